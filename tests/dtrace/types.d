/*
 * Types through the C preprocessor (dtrace -C): #include'd and #define'd
 * names, typedefs, every integer width, pointers.
 */
#include "types_defs.h"

#define BlockNumber unsigned int
#define ForkNumber int

typedef long long duration_t;
typedef const char *label_t;
typedef struct opaque opaque_t;

provider types {
	probe widths(int8_t, uint8_t, int16_t, uint16_t, int32_t, uint32_t);
	probe wide(int64_t, uint64_t, long, unsigned long, long long, unsigned long long);
	probe keywords(char, signed char, unsigned char, short int, unsigned short, unsigned);
	probe defined(Oid, BlockNumber, ForkNumber, Flag, duration_t, label_t);
	probe sizes(size_t, ssize_t, intptr_t, uintptr_t, pid_t, bool);
	probe pointers(const char *, void *, int **, struct opaque *, opaque_t *, const label_t *);
	probe done();
};
