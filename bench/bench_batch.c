/* bench_batch.c - a traced fire with two integer arguments, batched, against
 * the same fire traced directly (through the kernel's trampoline and through
 * int3), untraced, and an LTTng-UST tracepoint of the same two integers: one
 * process, the cases taking turns in every round.
 *
 * Usage: bench_batch FIRES SLOW_FIRES RUNS CASE[,CASE...]
 *   CASE: untraced, direct, int3, batched, lttng (lttng: built with LTTng-UST
 *   only). Prints "ready pid=N", then waits until every listed case but
 *   untraced is traced: a tracer on bench_batch:direct and bench_batch:int3,
 *   batching on for bench_batch:batched (usdt-record), an LTTng session
 *   recording bench_lttng:fire. Fires every case once (untimed; the batched
 *   case's first round measures its buffer: "buffer_bytes B" and
 *   "buffer_resident_bytes R", what the process's size and resident size
 *   grew by), then RUNS rounds, each firing every case FIRES times (direct
 *   and int3 SLOW_FIRES times) and printing "CASE NS_PER_FIRE". Ends with
 *   "fired CASE N" per case and "site_nop N" (the nop a traced static fire
 *   takes here when not forced: 1, or 0 before any traced fire).
 *
 * Each case is its own noinline function, bench_loop_CASE, for objdump.
 */
#define _POSIX_C_SOURCE 200809L
#include "usdt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef BENCH_LTTNG
#include "bench_lttng_tp.h"
#endif

#define BENCH_DEADLINE_SECONDS 30

USDT_STATIC_PROBE(bench_untraced, bench_batch, untraced, unsigned long long, unsigned long long);
USDT_STATIC_PROBE(bench_direct, bench_batch, direct, unsigned long long, unsigned long long);
USDT_STATIC_PROBE(bench_int3, bench_batch, int3, unsigned long long, unsigned long long);
USDT_STATIC_PROBE(bench_batched, bench_batch, batched, unsigned long long, unsigned long long);

/* Each loop passes its fire count as the first argument: evaluated exactly
 * when the probe fires, it counts the events a tracer must receive. */
static unsigned long long bench_fired_untraced, bench_fired_direct, bench_fired_int3,
	bench_fired_batched;
#ifdef BENCH_LTTNG
static unsigned long long bench_fired_lttng;
#endif

__attribute__((noinline)) static void bench_loop_untraced(unsigned long long n)
{
	for (unsigned long long i = 0; i < n; i++)
		USDT_FIRE(bench_untraced, ++bench_fired_untraced, i);
}

/* Which site a static fire function takes (usdt__site_choice, the header's
 * internal switch, normally chosen once per executable), forced for one
 * loop: the 5-byte nop, which the kit no longer takes (a child forked after
 * 6.18's trampoline optimized it dies there) but which shows the kernel's
 * trampoline, and the 1-byte nop (int3). The bench never forks. */
static int bench_force_sites(int choice)
{
#if defined(__x86_64__)
	int before = __atomic_load_n(&usdt__site_choice, __ATOMIC_RELAXED);
	__atomic_store_n(&usdt__site_choice, choice, __ATOMIC_RELAXED);
	return before;
#else
	return choice;
#endif
}

__attribute__((noinline)) static void bench_loop_direct(unsigned long long n)
{
	int before = bench_force_sites(5);
	for (unsigned long long i = 0; i < n; i++)
		USDT_FIRE(bench_direct, ++bench_fired_direct, i);
	bench_force_sites(before);
}

__attribute__((noinline)) static void bench_loop_int3(unsigned long long n)
{
	int before = bench_force_sites(1);
	for (unsigned long long i = 0; i < n; i++)
		USDT_FIRE(bench_int3, ++bench_fired_int3, i);
	bench_force_sites(before);
}

__attribute__((noinline)) static void bench_loop_batched(unsigned long long n)
{
	for (unsigned long long i = 0; i < n; i++)
		USDT_FIRE(bench_batched, ++bench_fired_batched, i);
}

#ifdef BENCH_LTTNG
__attribute__((noinline)) static void bench_loop_lttng(unsigned long long n)
{
	for (unsigned long long i = 0; i < n; i++)
		lttng_ust_tracepoint(bench_lttng, fire, ++bench_fired_lttng, i);
}

static int bench_lttng_traced(void)
{
	return lttng_ust_tracepoint_enabled(bench_lttng, fire) != 0;
}
#endif

static int bench_direct_traced(void) { return USDT_ENABLED(bench_direct); }
static int bench_int3_traced(void) { return USDT_ENABLED(bench_int3); }
/* Nothing attaches to this probe but a batching consumer. */
static int bench_batched_traced(void) { return USDT_ENABLED(bench_batched); }

static struct bench_case {
	const char *name;
	void (*loop)(unsigned long long n);
	int (*traced)(void); /* NULL: never traced */
	unsigned long long *fired;
	int slow;     /* fires SLOW_FIRES times a round */
	int selected; /* listed on the command line */
} bench_cases[] = {
	{ "untraced", bench_loop_untraced, NULL, &bench_fired_untraced, 0, 0 },
	{ "direct", bench_loop_direct, bench_direct_traced, &bench_fired_direct, 1, 0 },
	{ "int3", bench_loop_int3, bench_int3_traced, &bench_fired_int3, 1, 0 },
	{ "batched", bench_loop_batched, bench_batched_traced, &bench_fired_batched, 0, 0 },
#ifdef BENCH_LTTNG
	{ "lttng", bench_loop_lttng, bench_lttng_traced, &bench_fired_lttng, 0, 0 },
#endif
};
#define BENCH_CASES (sizeof(bench_cases) / sizeof(bench_cases[0]))

static int bench_select(char *list)
{
	for (char *name = strtok(list, ","); name; name = strtok(NULL, ",")) {
		size_t i = 0;
		while (i < BENCH_CASES && strcmp(bench_cases[i].name, name) != 0)
			i++;
		if (i == BENCH_CASES) {
			fprintf(stderr, "bench_batch: no case %s here\n", name);
			return -1;
		}
		bench_cases[i].selected = 1;
	}
	return 0;
}

/* Timing must not start before every tracer is attached. */
static int bench_wait_for_tracers(void)
{
	const struct timespec tick = { 0, 10 * 1000 * 1000 };
	for (int t = 0; t < BENCH_DEADLINE_SECONDS * 100; t++) {
		size_t i = 0;
		while (i < BENCH_CASES && (!bench_cases[i].selected || !bench_cases[i].traced ||
					   bench_cases[i].traced()))
			i++;
		if (i == BENCH_CASES)
			return 0;
		nanosleep(&tick, NULL);
	}
	return -1;
}

/* The process's size and resident size in bytes (/proc/self/statm). */
static int bench_memory(unsigned long long *size, unsigned long long *resident)
{
	FILE *statm = fopen("/proc/self/statm", "r");
	int ok = statm && fscanf(statm, "%llu %llu", size, resident) == 2;
	if (statm)
		fclose(statm);
	if (!ok) {
		fprintf(stderr, "bench_batch: cannot read /proc/self/statm\n");
		return -1;
	}
	*size *= (unsigned long long)sysconf(_SC_PAGESIZE);
	*resident *= (unsigned long long)sysconf(_SC_PAGESIZE);
	return 0;
}

static double bench_ns_per_fire(const struct bench_case *c, unsigned long long n)
{
	unsigned long long start = usdt_now_ns();
	c->loop(n);
	return (double)(usdt_now_ns() - start) / (double)n;
}

static int bench_run(unsigned long long fires, unsigned long long slow_fires, int runs)
{
	printf("ready pid=%ld\n", (long)getpid());
	fflush(stdout);
	if (bench_wait_for_tracers() != 0) {
		fprintf(stderr, "bench_batch: not every case traced within %d s\n",
			BENCH_DEADLINE_SECONDS);
		return 1;
	}
	/* One untimed round: the first traced fires map the kernel's pages
	 * (its trampoline), the batched case its buffer, measured alone. */
	for (size_t i = 0; i < BENCH_CASES; i++) {
		const struct bench_case *c = &bench_cases[i];
		unsigned long long size[2], resident[2];
		if (!c->selected)
			continue;
		if (bench_memory(&size[0], &resident[0]) != 0)
			return 1;
		c->loop(c->slow ? slow_fires : fires);
		if (bench_memory(&size[1], &resident[1]) != 0)
			return 1;
		if (c->loop == bench_loop_batched)
			printf("buffer_bytes %llu\nbuffer_resident_bytes %llu\n", size[1] - size[0],
			       resident[1] - resident[0]);
	}
	for (int run = 0; run < runs; run++)
		for (size_t i = 0; i < BENCH_CASES; i++)
			if (bench_cases[i].selected)
				printf("%s %.2f\n", bench_cases[i].name,
				       bench_ns_per_fire(&bench_cases[i],
							 bench_cases[i].slow ? slow_fires : fires));
	for (size_t i = 0; i < BENCH_CASES; i++)
		if (bench_cases[i].selected)
			printf("fired %s %llu\n", bench_cases[i].name, *bench_cases[i].fired);
#if defined(__x86_64__)
	printf("site_nop %d\n", usdt__x86_site_nop());
#endif
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long long fires = argc == 5 ? strtoull(argv[1], NULL, 10) : 0;
	unsigned long long slow_fires = argc == 5 ? strtoull(argv[2], NULL, 10) : 0;
	int runs = argc == 5 ? atoi(argv[3]) : 0;
	if (fires == 0 || slow_fires == 0 || runs <= 0) {
		fprintf(stderr, "usage: bench_batch FIRES SLOW_FIRES RUNS CASE[,CASE...]\n");
		return 2;
	}
	if (bench_select(argv[4]) != 0)
		return 2;
	return bench_run(fires, slow_fires, runs);
}
