/* Call sites passing other types than the provider file's, as code written
 * against systemtap's header does: compiled with both generators' headers as
 * C and C++ at -Wall -Wextra -Werror, which must not complain. With
 * COMPAT_EXTERN_C, C++ includes the header inside extern "C". */
#if defined(__cplusplus) && defined(COMPAT_EXTERN_C)
extern "C" {
#include "compat_probes.h"
}
#else
#include "compat_probes.h"
#endif

#include <stddef.h>
#include <stdint.h>

struct thing {
	int id;
};
enum color { RED, GREEN, BLUE };

int compat_fire(int argc, char **argv);

int compat_fire(int argc, char **argv)
{
	static const char greeting[] = "hello";
	char buffer[8] = "abc";
	struct thing thing = { 1 };
	const struct thing *const_thing = &thing;
	enum color color = BLUE;
	long long wide = 1LL << 40;
	unsigned char byte = 200;

	COMPAT_ADDRESS(argv[0]);            /* a char * as uintptr_t */
	COMPAT_ADDRESS(&thing);             /* a struct pointer as uintptr_t */
	COMPAT_COUNT(argc);                 /* an int as long */
	COMPAT_COUNT(wide);
	COMPAT_COUNT(byte);
	COMPAT_TEXT("literal");             /* a string literal, a const array, an array */
	COMPAT_TEXT(greeting);
	COMPAT_TEXT(buffer);
	COMPAT_TEXT(argv[0]);
	COMPAT_HANDLE(&thing);              /* object pointers of any type, NULL */
	COMPAT_HANDLE(const_thing);
	COMPAT_HANDLE(NULL);
	COMPAT_HANDLE(argv);
	COMPAT_FLAGS(color, argc > 1);      /* an enum, a comparison */
	COMPAT_FLAGS(GREEN, color == RED);
	COMPAT_SMALL(argv[0][0], argc);     /* a char as short, an int as unsigned char */
	COMPAT_SIZE(sizeof(thing), argc);   /* size_t, an int as uint64_t */
	COMPAT_SIZE(argc, (uintptr_t)argv);
	if (COMPAT_NOTHING_ENABLED())
		COMPAT_NOTHING();
	return COMPAT_COUNT_ENABLED() ? 1 : 0;
}
