/* hello: one static probe, hello:greet, with an int and a string.
 *
 * The program greets every 100 ms and says whether a tracer is attached,
 * which is what USDT_ENABLED tells it. In another terminal:
 *
 *   bpftrace examples/hello.bt /absolute/path/to/hello
 *
 * and the greetings turn from "not traced" to "traced"; stop bpftrace and
 * they turn back. */
#define _POSIX_C_SOURCE 200809L
#include "example.h"

USDT_STATIC_PROBE(greet, hello, greet, int, const char *);
USDT_STATIC_PROBE(done, hello, done);

int main(int argc, char **argv)
{
	long count;
	if (example_parse_count(argc, argv, &count) != argc) {
		fprintf(stderr, "usage: hello [--count N]\n");
		return 2;
	}
	example_handle_stop();
	printf("hello (pid %ld) greets every 100 ms; trace it with:\n"
	       "  bpftrace examples/hello.bt %s\n",
	       (long)getpid(), example_self_path());
	fflush(stdout);

	const usdt_probe *const probes[] = { greet, done };
	if (count > 0 && example_wait_traced(probes, 2) != 0)
		return 1;
	int greetings = 0;
	while (!example_stopped && (count == 0 || greetings < count)) {
		greetings++;
		printf("greeting %d: %s\n", greetings, USDT_ENABLED(greet) ? "traced" : "not traced");
		fflush(stdout);
		USDT_FIRE(greet, greetings, "world");
		example_sleep_us(100 * 1000);
	}
	USDT_FIRE(done);
	printf("greeted %d times\n", greetings);
	return 0;
}
