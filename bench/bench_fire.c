/* bench_fire.c - what a probe costs where it fires, untraced and traced.
 *
 * Usage: bench_fire untraced ITERATIONS RUNS [CASE]
 *            time every loop (or only CASE) RUNS times, round robin;
 *            prints "CASE NS_PER_ITERATION" per loop run
 *        bench_fire traced FIRES RUNS
 *            prints "ready pid=N path=P" (P: the dynamic provider), waits for
 *            a tracer on bench:raw_fire, bench:static_fire, bench:nop5_fire,
 *            bench:done and P's bench:dynamic_fire, times the gated loops RUNS
 *            times, round robin, prints
 *            "CASE NS_PER_FIRE" per loop run and "fired CASE N", fires
 *            bench:done
 *
 * Each case is its own noinline function, bench_loop_CASE, so callgrind can
 * count exactly its instructions (--toggle-collect) and objdump can show
 * its loop.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime and nanosleep under -std=c11 too */
#include "usdt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BENCH_DEADLINE_SECONDS 30

USDT_STATIC_PROBE(bench_static, bench, static_fire, unsigned long long);
USDT_STATIC_PROBE(bench_done, bench, done);

#if defined(__clang__)
/* sys/sdt.h calls one of its variadic macros with no variadic arguments;
 * usdt.h hides that from clang -Wpedantic for its probes, not for raw ones. */
#pragma clang diagnostic ignored "-Wgnu-zero-variadic-macro-arguments"
#endif

/* Raw sys/sdt.h probes, written as a program without usdt.h would. usdt.h
 * turned on sys/sdt.h's semaphores for this file, so each raw probe needs
 * one, even the bare probe whose code never reads it. */
__attribute__((section(".probes"))) volatile unsigned short bench_raw_fire_semaphore;
__attribute__((section(".probes"))) volatile unsigned short bench_raw_bare_semaphore;
__attribute__((section(".probes"))) volatile unsigned short bench_nop5_fire_semaphore;

static const usdt_probe *bench_dynamic;

/* The gated loops pass the fire count as the argument: it is evaluated
 * exactly when the probe fires, so it counts the fires a tracer must see. */
static unsigned long long bench_fired_raw, bench_fired_static, bench_fired_dynamic;
static unsigned long long bench_fired_nop5;

__attribute__((noinline)) static void bench_loop_empty(unsigned long long n)
{
	for (unsigned long long i = 0; i < n; i++)
		__asm__ volatile("" : : "r"(i)); /* keeps the loop, costs nothing */
}

__attribute__((noinline)) static void bench_loop_raw_bare(unsigned long long n)
{
	for (unsigned long long i = 0; i < n; i++)
		STAP_PROBE1(bench, raw_bare, i);
}

/* The test as dtrace -h's PROVIDER_NAME_ENABLED() writes it. */
__attribute__((noinline)) static void bench_loop_raw_gated(unsigned long long n)
{
	for (unsigned long long i = 0; i < n; i++)
		if (__builtin_expect(bench_raw_fire_semaphore, 0))
			STAP_PROBE1(bench, raw_fire, ++bench_fired_raw);
}

/* The reference for a traced fire on the kernel's fast path: the 5-byte nop
 * inline in the loop, behind the same test. The stack pointer steps over the
 * red zone around it, which the trampoline's call would overwrite. */
__attribute__((noinline)) static void bench_loop_nop5_gated(unsigned long long n)
{
	for (unsigned long long i = 0; i < n; i++)
		if (__builtin_expect(bench_nop5_fire_semaphore, 0)) {
			unsigned long long fired = ++bench_fired_nop5;
#if defined(__x86_64__)
			__asm__ __volatile__("lea -128(%%rsp), %%rsp\n"
					     ".balign 8\n"
					     "990: .byte 0x0f, 0x1f, 0x44, 0x00, 0x00\n"
					     "lea 128(%%rsp), %%rsp\n" USDT__NOTE(bench, nop5_fire,
										   "8@%q0")
					     :
					     : "r"(fired));
#else
			STAP_PROBE1(bench, nop5_fire, fired);
#endif
		}
}

__attribute__((noinline)) static void bench_loop_static_ungated(unsigned long long n)
{
	for (unsigned long long i = 0; i < n; i++)
		USDT_FIRE_UNGATED(bench_static, i);
}

__attribute__((noinline)) static void bench_loop_static_gated(unsigned long long n)
{
	for (unsigned long long i = 0; i < n; i++)
		USDT_FIRE(bench_static, ++bench_fired_static);
}

__attribute__((noinline)) static void bench_loop_dynamic_gated(unsigned long long n)
{
	for (unsigned long long i = 0; i < n; i++)
		USDT_FIRE(bench_dynamic, ++bench_fired_dynamic);
}

/* The same with the handle in a local, as a hot loop would hold it: the
 * compiler must reload a global handle after each call it cannot see into. */
__attribute__((noinline)) static void bench_loop_dynamic_local(unsigned long long n)
{
	const usdt_probe *probe = bench_dynamic;
	for (unsigned long long i = 0; i < n; i++)
		USDT_FIRE(probe, ++bench_fired_dynamic);
}

__attribute__((noinline)) static void bench_loop_dynamic_ungated(unsigned long long n)
{
	for (unsigned long long i = 0; i < n; i++)
		USDT_FIRE_UNGATED(bench_dynamic, i);
}

static const struct bench_case {
	const char *name;
	void (*loop)(unsigned long long n);
	unsigned long long *fired; /* gated loops only: timed under the tracer too */
} bench_cases[] = {
	{ "empty", bench_loop_empty, NULL },
	{ "raw_bare", bench_loop_raw_bare, NULL },
	{ "raw_gated", bench_loop_raw_gated, &bench_fired_raw },
	{ "static_ungated", bench_loop_static_ungated, NULL },
	{ "static_gated", bench_loop_static_gated, &bench_fired_static },
	{ "nop5_gated", bench_loop_nop5_gated, &bench_fired_nop5 },
	{ "dynamic_gated", bench_loop_dynamic_gated, &bench_fired_dynamic },
	{ "dynamic_local", bench_loop_dynamic_local, NULL },
	{ "dynamic_ungated", bench_loop_dynamic_ungated, NULL },
};
#define BENCH_CASES (sizeof(bench_cases) / sizeof(bench_cases[0]))

static double bench_ns_per_iteration(const struct bench_case *c, unsigned long long n)
{
	unsigned long long start = usdt_now_ns();
	c->loop(n);
	return (double)(usdt_now_ns() - start) / (double)n;
}

static usdt_provider *bench_load_dynamic(void)
{
	static const enum usdt_type types[] = { USDT_UINT64 };
	usdt_error err;
	usdt_provider *provider = usdt_provider_create("bench", &err);
	if (provider)
		bench_dynamic = usdt_probe_add(provider, "dynamic_fire", 1, types, &err);
	if (!provider || !bench_dynamic || usdt_provider_load(provider, &err) != 0) {
		fprintf(stderr, "bench_fire: %s\n", err.message);
		exit(1);
	}
	return provider;
}

/* Timing must not start before the tracer has attached to every probe. */
static int bench_wait_for_tracer(void)
{
	const struct timespec tick = { 0, 10 * 1000 * 1000 };
	for (int i = 0; i < BENCH_DEADLINE_SECONDS * 100; i++) {
		if (bench_raw_fire_semaphore && bench_nop5_fire_semaphore && USDT_ENABLED(bench_static) &&
		    USDT_ENABLED(bench_dynamic) && USDT_ENABLED(bench_done))
			return 0;
		nanosleep(&tick, NULL);
	}
	return -1;
}

static int bench_untraced(unsigned long long iterations, int runs, const char *only)
{
	int found = 0;
	for (int run = 0; run < runs; run++) {
		for (size_t i = 0; i < BENCH_CASES; i++) {
			const struct bench_case *c = &bench_cases[i];
			if (only && strcmp(only, c->name) != 0)
				continue;
			found = 1;
			printf("%s %.4f\n", c->name, bench_ns_per_iteration(c, iterations));
		}
	}
	if (!found)
		fprintf(stderr, "bench_fire: no case named %s\n", only);
	return found ? 0 : 2;
}

static int bench_traced(const usdt_provider *provider, unsigned long long fires, int runs)
{
	printf("ready pid=%ld path=%s\n", (long)getpid(), usdt_provider_path(provider));
	fflush(stdout);
	if (bench_wait_for_tracer() != 0) {
		fprintf(stderr, "bench_fire: no tracer attached within %d s\n", BENCH_DEADLINE_SECONDS);
		return 1;
	}
	for (int run = 0; run < runs; run++)
		for (size_t i = 0; i < BENCH_CASES; i++)
			if (bench_cases[i].fired)
				printf("%s %.1f\n", bench_cases[i].name,
				       bench_ns_per_iteration(&bench_cases[i], fires));
	for (size_t i = 0; i < BENCH_CASES; i++)
		if (bench_cases[i].fired)
			printf("fired %s %llu\n", bench_cases[i].name, *bench_cases[i].fired);
	fflush(stdout);
	USDT_FIRE(bench_done);
	return 0;
}

int main(int argc, char **argv)
{
	int untraced = argc >= 4 && argc <= 5 && strcmp(argv[1], "untraced") == 0;
	int traced = argc == 4 && strcmp(argv[1], "traced") == 0;
	unsigned long long n = argc >= 4 ? strtoull(argv[2], NULL, 10) : 0;
	int runs = argc >= 4 ? atoi(argv[3]) : 0;
	if ((!untraced && !traced) || n == 0 || runs <= 0) {
		fprintf(stderr, "usage: bench_fire untraced ITERATIONS RUNS [CASE]\n"
				"       bench_fire traced FIRES RUNS\n");
		return 2;
	}
	usdt_provider *provider = bench_load_dynamic();
	int status = untraced ? bench_untraced(n, runs, argc == 5 ? argv[4] : NULL)
			      : bench_traced(provider, n, runs);
	usdt_provider_destroy(provider);
	return status;
}
