/* Helpers for the programs the tracer tests run: report semaphore states and
 * wait, with a deadline, for a tracer to attach or detach. */
#ifndef TARGET_H
#define TARGET_H

#include "usdt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TARGET_TIMEOUT_SECONDS 60

/* Print "label: s1 s2 ..." with each probe's semaphore value. */
static inline void target_print_semaphores(const char *label, const usdt_probe *const *probes, int n)
{
	printf("%s:", label);
	for (int i = 0; i < n; i++)
		printf(" %u", (unsigned)probes[i]->semaphore[0]);
	printf("\n");
	fflush(stdout);
}

/* Wait until every semaphore is nonzero (want_enabled) or every one is zero.
 * Returns 0 when reached, -1 at the deadline. */
static inline int target_wait_semaphores(const usdt_probe *const *probes, int n, int want_enabled)
{
	const struct timespec tick = { 0, 5 * 1000 * 1000 };
	for (int waited = 0; waited < TARGET_TIMEOUT_SECONDS * 200; waited++) {
		int reached = 1;
		for (int i = 0; i < n; i++)
			if (USDT_ENABLED(probes[i]) != want_enabled)
				reached = 0;
		if (reached)
			return 0;
		nanosleep(&tick, NULL);
	}
	return -1;
}

/* A semaphore turns nonzero when the tracer registers the uprobe, a moment
 * before its program is attached: wait for the harness, which knows from the
 * tracer when everything is attached, to say "go" on stdin. */
static inline void target_wait_go(void)
{
	char line[16];
	if (!fgets(line, sizeof(line), stdin) || strcmp(line, "go\n") != 0) {
		printf("no go from the test harness\n");
		exit(1);
	}
}

/* Kernels from 6.18 turn a uprobe on a 5-byte nop, as in the dynamic stubs
 * and static probes' out-of-line fire functions, into a call to a trampoline
 * they map into the process. */
static inline int target_has_uprobes_trampoline(void)
{
	char line[256];
	int found = 0;
	FILE *maps = fopen("/proc/self/maps", "r");
	while (maps && fgets(line, sizeof(line), maps))
		found |= strstr(line, "[uprobes-trampoline]") != NULL;
	if (maps)
		fclose(maps);
	return found;
}

/* The nop size of the kit's x86-64 out-of-line sites on this kernel (0
 * elsewhere): a trampoline is expected where static sites are 5-byte nops
 * and dynamic stubs 5- or 10-byte ones. */
static inline int target_site_nop(void)
{
#if defined(__x86_64__)
	return usdt__x86_site_nop();
#else
	return 0;
#endif
}

/* The common protocol: report "ready", wait for the tracer, run the workload,
 * wait for the tracer to go away, report the semaphores each time. */
static inline int target_run(const usdt_probe *const *probes, int n, void (*workload)(void))
{
	printf("ready pid=%ld\n", (long)getpid());
	target_print_semaphores("semaphores before", probes, n);
	if (target_wait_semaphores(probes, n, 1) != 0) {
		target_print_semaphores("timeout waiting for attach", probes, n);
		return 1;
	}
	target_print_semaphores("semaphores attached", probes, n);
	target_wait_go();
	workload();
	if (target_wait_semaphores(probes, n, 0) != 0) {
		target_print_semaphores("timeout waiting for detach", probes, n);
		return 1;
	}
	target_print_semaphores("semaphores detached", probes, n);
	return 0;
}

#endif
