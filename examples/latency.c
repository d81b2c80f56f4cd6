/* latency: how long a block of code takes, measured only while traced.
 *
 * Each simulated request sleeps a few hundred microseconds to a few
 * milliseconds. USDT_TIMESTAMP reads the clock before it only if the probe is
 * enabled, and USDT_FIRE_ELAPSED fires latency:request with the nanoseconds
 * it took: untraced, the timing costs one load per request and no clock read.
 *
 *   bpftrace examples/latency.bt /absolute/path/to/latency
 *
 * and Ctrl-C on bpftrace prints the latency histogram. */
#define _POSIX_C_SOURCE 200809L
#include "example.h"

USDT_STATIC_PROBE(request, latency, request, unsigned long long);
USDT_STATIC_PROBE(done, latency, done);

/* Mostly cache hits, some misses, now and then a slow disk. */
static void handle_request(void)
{
	uint32_t kind = example_random() % 100;
	uint32_t spread = example_random();
	if (kind < 70)
		example_sleep_us(100 + spread % 300);
	else if (kind < 95)
		example_sleep_us(550 + spread % 400);
	else
		example_sleep_us(1000 + spread % 2000);
}

int main(int argc, char **argv)
{
	long count;
	if (example_parse_count(argc, argv, &count) != argc) {
		fprintf(stderr, "usage: latency [--count N]\n");
		return 2;
	}
	example_handle_stop();
	printf("latency (pid %ld) serves simulated requests; trace it with:\n"
	       "  bpftrace examples/latency.bt %s\n",
	       (long)getpid(), example_self_path());
	fflush(stdout);

	const usdt_probe *const probes[] = { request, done };
	if (count > 0 && example_wait_traced(probes, 2) != 0)
		return 1;
	long served = 0;
	while (!example_stopped && (count == 0 || served < count)) {
		unsigned long long start = USDT_TIMESTAMP(request);
		handle_request();
		USDT_FIRE_ELAPSED(request, start);
		served++;
		if (count == 0 && served % 1000 == 0) {
			printf("served %ld requests\n", served);
			fflush(stdout);
		}
	}
	USDT_FIRE(done);
	printf("served %ld requests\n", served);
	return 0;
}
