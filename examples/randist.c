/* randist: the distribution of the values a probe sees, as a bpftrace lhist.
 *
 * randist:value fires with a random integer from 0 to 99, a hundred times a
 * second. The tracer, not the program, builds the histogram:
 *
 *   bpftrace examples/randist.bt /absolute/path/to/randist
 *
 * and Ctrl-C on bpftrace prints it. */
#define _POSIX_C_SOURCE 200809L
#include "example.h"

USDT_STATIC_PROBE(value, randist, value, int);
USDT_STATIC_PROBE(done, randist, done);

/* The sum of two dice rather than one, so the histogram has a shape. */
static int draw(void)
{
	return (int)(example_random() % 50 + example_random() % 50);
}

int main(int argc, char **argv)
{
	long count;
	if (example_parse_count(argc, argv, &count) != argc) {
		fprintf(stderr, "usage: randist [--count N]\n");
		return 2;
	}
	example_handle_stop();
	printf("randist (pid %ld) draws 100 numbers a second; trace it with:\n"
	       "  bpftrace examples/randist.bt %s\n",
	       (long)getpid(), example_self_path());
	fflush(stdout);

	const usdt_probe *const probes[] = { value, done };
	if (count > 0 && example_wait_traced(probes, 2) != 0)
		return 1;
	long drawn = 0;
	while (!example_stopped && (count == 0 || drawn < count)) {
		USDT_FIRE(value, draw());
		drawn++;
		if (count == 0)
			example_sleep_us(10 * 1000);
	}
	USDT_FIRE(done);
	printf("drew %ld numbers\n", drawn);
	return 0;
}
