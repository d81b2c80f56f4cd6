/* types.d, second half: preprocessor and typedef'd types, sizes, pointers. */
#include "types_probes.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <unistd.h>

#include "program.h"

struct opaque {
	int unused;
};

int probes_enabled_a(void);
void workload_a(void);

const int probe_count = 7;

int probes_enabled(void)
{
	return probes_enabled_a() + !!TYPES_DEFINED_ENABLED() + !!TYPES_SIZES_ENABLED() +
	       !!TYPES_POINTERS_ENABLED() + !!TYPES_DONE_ENABLED();
}

void workload(void)
{
	static const char *labels[] = { "first", "second", "third" };
	static struct opaque object;
	workload_a();
	for (int i = 0; i < 3; i++) {
		unsigned int oid = 4000000000u + (unsigned)i;
		unsigned int block = (unsigned)i * 7;
		int fork = -i;
		unsigned char flag = (unsigned char)(250 + i);
		long long duration = -1000000000000LL * (i + 1);
		const char *label = labels[i];
		TYPES_DEFINED(oid, block, fork, flag, duration, label);
		REPORT("fire types:defined %llu %llu %lld %llu %lld %llu", U(oid), U(block), S(fork),
		       U(flag), S(duration), P(label));

		size_t size = SIZE_MAX - (size_t)i;
		ssize_t ssize = -1 - i;
		intptr_t iptr = INTPTR_MIN + i;
		uintptr_t uptr = UINTPTR_MAX - (uintptr_t)i;
		pid_t pid = getpid();
		bool flagged = i == 1;
		TYPES_SIZES(size, ssize, iptr, uptr, pid, flagged);
		REPORT("fire types:sizes %llu %lld %lld %llu %lld %llu", U(size), S(ssize), S(iptr),
		       U(uptr), S(pid), U(flagged));

		int *numbers = &fork;
		int **indirect = &numbers;
		void *anything = &block;
		TYPES_POINTERS(label, anything, indirect, &object, &object, &labels[i]);
		REPORT("fire types:pointers %llu %llu %llu %llu %llu %llu", P(label), P(anything),
		       P(indirect), P(&object), P(&object), P(&labels[i]));
	}
}

void fire_done(void)
{
	TYPES_DONE();
}
