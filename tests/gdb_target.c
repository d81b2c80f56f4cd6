/* A dynamic provider fired in a loop, for gdb attached to the live process
 * (test_dynamic_gdb.py). Another JIT's entry sits in gdb's JIT list first,
 * as in a process that also runs a JIT compiler; unloading and loading again
 * must keep it.
 *
 * Prints "pid=N path=PATH", then fires gdb_jit:hit(n, "jit text") with n
 * counting up, every millisecond, for up to a minute. */
#define _GNU_SOURCE
#include "usdt.h"

#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

/* gdb's JIT interface as another JIT in the process sees it. */
struct jit_code_entry {
	struct jit_code_entry *next, *prev;
	const char *symfile_addr;
	uint64_t symfile_size;
};
struct jit_descriptor {
	uint32_t version, action_flag;
	struct jit_code_entry *relevant_entry, *first_entry;
};
extern struct jit_descriptor jit_descriptor __asm__("__jit_debug_descriptor");
void jit_register_code(void) __asm__("__jit_debug_register_code");

static struct jit_code_entry foreign; /* an empty symfile: gdb ignores it */

int main(void)
{
	usdt_error err;
	foreign.next = jit_descriptor.first_entry;
	jit_descriptor.first_entry = &foreign;
	jit_descriptor.relevant_entry = &foreign;
	jit_descriptor.action_flag = 1;
	jit_register_code();

	const enum usdt_type types[] = { USDT_INT64, USDT_STRING };
	usdt_provider *provider = usdt_provider_create("gdb_jit", &err);
	const usdt_probe *hit = provider ? usdt_probe_add(provider, "hit", 2, types, &err) : NULL;
	if (!hit || usdt_provider_load(provider, &err) != 0 ||
	    usdt_provider_unload(provider, &err) != 0 || usdt_provider_load(provider, &err) != 0) {
		fprintf(stderr, "gdb_target: %s\n", err.message);
		return 1;
	}
	int foreign_kept = 0;
	for (struct jit_code_entry *e = jit_descriptor.first_entry; e; e = e->next)
		foreign_kept |= e == &foreign;
	printf("pid=%ld path=%s foreign_kept=%d\n", (long)getpid(), usdt_provider_path(provider),
	       foreign_kept);
	fflush(stdout);
	for (long long n = 0; n < 60000; n++) {
		USDT_FIRE_UNGATED(hit, n, "jit text");
		usleep(1000);
	}
	usdt_provider_destroy(provider);
	return 0;
}
