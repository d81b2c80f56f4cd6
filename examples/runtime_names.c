/* runtime_names: probes whose names exist only at run time.
 *
 *   runtime_names [--count N] PROVIDER NAME...
 *   runtime_names shop login search checkout
 *
 * creates provider PROVIDER with one probe per NAME (here shop:login,
 * shop:search, shop:checkout), each with the request number as its argument,
 * and sends simulated requests to randomly chosen routes, ten a second. A
 * tracer attaches to the path the program prints:
 *
 *   bpftrace examples/runtime_names.bt /proc/PID/fd/N
 *
 * With --count N the program sends N requests as soon as a tracer is on every
 * probe, then exits. */
#define _POSIX_C_SOURCE 200809L
#include "example.h"

int main(int argc, char **argv)
{
	long count;
	int first = example_parse_count(argc, argv, &count);
	if (first < 0 || argc - first < 2) {
		fprintf(stderr, "usage: runtime_names [--count N] PROVIDER NAME...\n");
		return 2;
	}
	const char *provider_name = argv[first];
	char **names = argv + first + 1;
	int routes = argc - first - 1;

	usdt_error err;
	usdt_provider *provider = usdt_provider_create(provider_name, &err);
	const usdt_probe **probes = calloc((size_t)routes, sizeof(*probes));
	if (!provider || !probes) {
		fprintf(stderr, "runtime_names: %s\n", provider ? "out of memory" : err.message);
		return 1;
	}
	const enum usdt_type request_number[] = { USDT_UINT64 };
	for (int i = 0; i < routes; i++) {
		probes[i] = usdt_probe_add(provider, names[i], 1, request_number, &err);
		if (!probes[i]) {
			fprintf(stderr, "runtime_names: %s\n", err.message);
			return 1;
		}
	}
	if (usdt_provider_load(provider, &err) != 0) {
		fprintf(stderr, "runtime_names: %s\n", err.message);
		return 1;
	}
	example_handle_stop();
	printf("runtime_names (pid %ld) has %d probes in provider %s; trace them with:\n"
	       "  bpftrace examples/runtime_names.bt %s\n",
	       (long)getpid(), routes, provider_name, usdt_provider_path(provider));
	fflush(stdout);

	if (count > 0 && example_wait_traced(probes, routes) != 0)
		return 1;
	unsigned long long sent = 0;
	while (!example_stopped && (count == 0 || sent < (unsigned long long)count)) {
		/* Counted outside USDT_FIRE, whose arguments are evaluated only
		 * while traced. */
		sent++;
		USDT_FIRE(probes[example_random() % (uint32_t)routes], sent);
		if (count == 0)
			example_sleep_us(100 * 1000);
	}
	printf("sent %llu requests\n", sent);
	usdt_provider_destroy(provider);
	free(probes);
	return 0;
}
