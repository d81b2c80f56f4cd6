/* The scaffolding the examples share, so each example's .c file shows only
 * its probes: command line, waiting for a tracer, stopping on Ctrl-C.
 *
 * Every example runs until Ctrl-C (or SIGTERM) without arguments. With
 * `--count N` it runs a fixed workload for tests and demos instead: it waits
 * (at most EXAMPLE_TIMEOUT_SECONDS) for a tracer on its probes, does N units
 * of work and fires the final probe its script exits on (each example's
 * comment says where it differs). */
#ifndef EXAMPLE_H
#define EXAMPLE_H

#include "usdt.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define EXAMPLE_TIMEOUT_SECONDS 60

/* Set by Ctrl-C or SIGTERM; the main loop finishes its iteration and exits. */
static volatile sig_atomic_t example_stopped;

static inline void example_stop(int signo)
{
	(void)signo;
	example_stopped = 1;
}

/* Stop on Ctrl-C and SIGTERM, without SA_RESTART so a sleep ends at once. */
static inline void example_handle_stop(void)
{
	struct sigaction action;
	memset(&action, 0, sizeof(action));
	action.sa_handler = example_stop;
	sigemptyset(&action.sa_mask);
	sigaction(SIGINT, &action, NULL);
	sigaction(SIGTERM, &action, NULL);
}

/* Parse an optional leading `--count N` (N >= 1) into *count, 0 without it.
 * Returns the index of the first remaining argument, or -1 on a bad count. */
static inline int example_parse_count(int argc, char **argv, long *count)
{
	*count = 0;
	if (argc < 2 || strcmp(argv[1], "--count") != 0)
		return 1;
	char *end = NULL;
	*count = argc > 2 ? strtol(argv[2], &end, 10) : 0;
	if (*count < 1 || end == NULL || *end != '\0')
		return -1;
	return 3;
}

/* The absolute path of this program, what a tracer attaches static probes to. */
static inline const char *example_self_path(void)
{
	static char path[4096];
	ssize_t len = readlink("/proc/self/exe", path, sizeof(path) - 1);
	if (len < 0)
		return "/proc/self/exe";
	path[len] = '\0';
	return path;
}

static inline void example_sleep_us(long us)
{
	struct timespec delay = { us / 1000000, (us % 1000000) * 1000 };
	nanosleep(&delay, NULL);
}

/* Wait until every probe has a tracer attached. Returns 0 then, or -1 (with
 * a message) at the deadline or on Ctrl-C. */
static inline int example_wait_traced(const usdt_probe *const *probes, int n)
{
	for (long waited_ms = 0; waited_ms < EXAMPLE_TIMEOUT_SECONDS * 1000L; waited_ms += 5) {
		int traced = 0;
		while (traced < n && USDT_ENABLED(probes[traced]))
			traced++;
		if (traced == n) {
			/* A semaphore goes up when the tracer registers the first
			 * of a probe's locations (a static probe can have several),
			 * a moment before its program runs on all of them. */
			example_sleep_us(200 * 1000);
			return 0;
		}
		if (example_stopped)
			return -1;
		example_sleep_us(5000);
	}
	fprintf(stderr, "no tracer attached within %d seconds\n", EXAMPLE_TIMEOUT_SECONDS);
	return -1;
}

/* A fixed pseudo-random sequence (xorshift32): the same numbers on every libc,
 * which rand() does not promise, so an example's expected output holds. */
static inline uint32_t example_random(void)
{
	static uint32_t state = 2463534242u;
	state ^= state << 13;
	state ^= state >> 17;
	state ^= state << 5;
	return state;
}

#endif
