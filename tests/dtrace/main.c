/* The protocol of tests/target.h without usdt.h, so that the same program
 * builds with systemtap's headers: print "ready pid=N", wait until a tracer
 * enables every probe and the harness says "go", fire, wait for the tracer to
 * leave. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "program.h"

/* Wait up to 60 s until the number of enabled probes is `want`. */
static int wait_enabled(int want)
{
	const struct timespec tick = { 0, 5 * 1000 * 1000 };
	for (int i = 0; i < 60 * 200; i++) {
		if (probes_enabled() == want)
			return 0;
		nanosleep(&tick, NULL);
	}
	printf("timeout: %d of %d probes enabled, waiting for %d\n", probes_enabled(),
	       probe_count, want);
	return -1;
}

int main(void)
{
	char line[16];
	printf("ready pid=%ld\n", (long)getpid());
	printf("enabled before: %d of %d\n", probes_enabled(), probe_count);
	fflush(stdout);
	if (wait_enabled(probe_count) != 0)
		return 1;
	if (!fgets(line, sizeof(line), stdin) || strcmp(line, "go\n") != 0) {
		printf("no go from the test harness\n");
		return 1;
	}
	workload();
	fflush(stdout);
	fire_done();
	if (wait_enabled(0) != 0)
		return 1;
	printf("enabled after: 0 of %d\n", probe_count);
	return 0;
}
