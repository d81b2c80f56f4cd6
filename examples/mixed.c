/* mixed: static and dynamic probes behind one call site.
 *
 * A request passes through stages. The built-in stages are compiled in, so
 * their probes are static: mixed:parse and mixed:respond. Plugin stages are
 * known only at run time (a fixed list here, standing in for a plugin
 * directory), so their probes are dynamic, in provider "plugins". Every
 * stage fires from the same line,
 *
 *   USDT_FIRE(stage->probe, request, stage->name);
 *
 * because a probe is a `const usdt_probe *` whichever kind it is. A tracer
 * attaches to the program for the static probes and to the path the program
 * prints for the dynamic ones:
 *
 *   bpftrace examples/mixed.bt /absolute/path/to/mixed /proc/PID/fd/N
 */
#define _POSIX_C_SOURCE 200809L
#include "example.h"

USDT_STATIC_PROBE(parse, mixed, parse, unsigned long long, const char *);
USDT_STATIC_PROBE(respond, mixed, respond, unsigned long long, const char *);
USDT_STATIC_PROBE(done, mixed, done);

struct stage {
	const char *name;
	const usdt_probe *probe;
};

/* Built-in stages come with their static probes; the plugin stages, whose
 * probe is NULL here, get dynamic ones once the plugins are known. */
static struct stage stages[] = {
	{ "parse", parse },
	{ "auth", NULL },
	{ "compress", NULL },
	{ "respond", respond },
};
#define STAGES (int)(sizeof(stages) / sizeof(stages[0]))

static void handle_request(unsigned long long request)
{
	for (const struct stage *stage = stages; stage < stages + STAGES; stage++)
		USDT_FIRE(stage->probe, request, stage->name);
}

int main(int argc, char **argv)
{
	long count;
	if (example_parse_count(argc, argv, &count) != argc) {
		fprintf(stderr, "usage: mixed [--count N]\n");
		return 2;
	}
	usdt_error err;
	usdt_provider *plugins = usdt_provider_create("plugins", &err);
	if (!plugins) {
		fprintf(stderr, "mixed: %s\n", err.message);
		return 1;
	}
	const enum usdt_type types[] = { USDT_UINT64, USDT_STRING };
	for (int i = 0; i < STAGES; i++) {
		if (stages[i].probe)
			continue;
		stages[i].probe = usdt_probe_add(plugins, stages[i].name, 2, types, &err);
		if (!stages[i].probe) {
			fprintf(stderr, "mixed: %s\n", err.message);
			return 1;
		}
	}
	if (usdt_provider_load(plugins, &err) != 0) {
		fprintf(stderr, "mixed: %s\n", err.message);
		return 1;
	}
	example_handle_stop();
	printf("mixed (pid %ld) handles a request every 500 ms; trace it with:\n"
	       "  bpftrace examples/mixed.bt %s %s\n",
	       (long)getpid(), example_self_path(), usdt_provider_path(plugins));
	fflush(stdout);

	const usdt_probe *probes[STAGES + 1] = { done };
	for (int i = 0; i < STAGES; i++)
		probes[1 + i] = stages[i].probe;
	if (count > 0 && example_wait_traced(probes, STAGES + 1) != 0)
		return 1;
	unsigned long long handled = 0;
	while (!example_stopped && (count == 0 || handled < (unsigned long long)count)) {
		handle_request(++handled);
		if (count == 0)
			example_sleep_us(500 * 1000);
	}
	USDT_FIRE(done);
	printf("handled %llu requests\n", handled);
	usdt_provider_destroy(plugins);
	return 0;
}
