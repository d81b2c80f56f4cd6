/* bench_dtrace_check.c - the enabled check of a header usdt-dtrace generated
 * (bench_dtrace_check.d), against the check sys/sdt.h users write by hand,
 * untraced, in one loop each; bench/run.py compiles it with gcc and with
 * clang, whose generated check has one `lea` more (docs/dtrace.md).
 *
 * Usage: bench_dtrace_check ITERATIONS RUNS
 *   times every loop RUNS times, round robin; prints "CASE NS_PER_ITERATION"
 *   per loop run. Each case is its own noinline function, bench_loop_CASE,
 *   for objdump.
 */
#define _POSIX_C_SOURCE 200809L
#include "bench_dtrace_check.h"

#include <stdio.h>
#include <stdlib.h>

#if defined(__clang__)
#pragma clang diagnostic ignored "-Wgnu-zero-variadic-macro-arguments"
#endif

/* The raw probe's semaphore: usdt.h turned on sys/sdt.h's semaphores. */
__attribute__((section(".probes"))) volatile unsigned short bench_dtrace_raw_semaphore;

__attribute__((noinline)) static void bench_loop_empty(unsigned long long n)
{
	for (unsigned long long i = 0; i < n; i++)
		__asm__ volatile("" : : "r"(i));
}

/* The test as systemtap's dtrace -h writes PROVIDER_NAME_ENABLED(). */
__attribute__((noinline)) static void bench_loop_sdt_check(unsigned long long n)
{
	for (unsigned long long i = 0; i < n; i++)
		if (__builtin_expect(bench_dtrace_raw_semaphore, 0))
			STAP_PROBE1(bench_dtrace, raw, i);
}

__attribute__((noinline)) static void bench_loop_generated_check(unsigned long long n)
{
	for (unsigned long long i = 0; i < n; i++)
		BENCH_DTRACE_FIRE(i);
}

static const struct {
	const char *name;
	void (*loop)(unsigned long long n);
} bench_cases[] = {
	{ "empty", bench_loop_empty },
	{ "sdt_check", bench_loop_sdt_check },
	{ "generated_check", bench_loop_generated_check },
};

int main(int argc, char **argv)
{
	unsigned long long n = argc == 3 ? strtoull(argv[1], NULL, 10) : 0;
	int runs = argc == 3 ? atoi(argv[2]) : 0;
	if (n == 0 || runs <= 0) {
		fprintf(stderr, "usage: bench_dtrace_check ITERATIONS RUNS\n");
		return 2;
	}
	for (int run = 0; run < runs; run++)
		for (size_t i = 0; i < sizeof(bench_cases) / sizeof(bench_cases[0]); i++) {
			unsigned long long start = usdt_now_ns();
			bench_cases[i].loop(n);
			printf("%s %.4f\n", bench_cases[i].name,
			       (double)(usdt_now_ns() - start) / (double)n);
		}
	return 0;
}
