/* A consumer of the installed kit (pkg-config, CMake find_package) or of its
 * source tree (CMake add_subdirectory): static and dynamic probes, fired
 * through the verbs and through the calls for bindings.
 *
 * Usage: consumer          print "path=P abi=N version=V", wait for a tracer
 *                          on every probe and for "go" on stdin, fire, print
 *                          what it fired, fire consumer:done
 *        consumer untraced fire everything with no tracer, print the same */
#define _POSIX_C_SOURCE 200809L
#include <usdt.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

USDT_STATIC_PROBE(s_values, consumer, values, int64_t, uint64_t, const char *);
USDT_STATIC_PROBE(s_counted, consumer, counted, unsigned long long);
USDT_STATIC_PROBE(s_done, consumer, done);

#define COUNTED 100

static const usdt_probe *d_values, *d_counted;

static int all_enabled(void)
{
	return USDT_ENABLED(s_values) && USDT_ENABLED(s_counted) && USDT_ENABLED(s_done) &&
	       usdt_probe_enabled(d_values) && *usdt_probe_semaphore(d_counted) != 0;
}

static void fire_values(const usdt_probe *probe, const char *kind)
{
	char macro[32], call[32];
	snprintf(macro, sizeof(macro), "%s macro", kind);
	snprintf(call, sizeof(call), "%s call", kind);
	USDT_FIRE(probe, INT64_MIN, UINT64_MAX, macro);
	const uint64_t args[3] = { (uint64_t)INT64_MAX, 0, (uint64_t)(uintptr_t)call };
	int fired = usdt_probe_fire(probe, 3, args);
	int wrong = usdt_probe_fire(probe, 2, args);
	printf("%s_fired=%d %s_wrong_argc=%d\n", kind, fired, kind, wrong);
}

int main(int argc, char **argv)
{
	int traced = !(argc > 1 && strcmp(argv[1], "untraced") == 0);
	usdt_error err;
	usdt_provider *provider = usdt_provider_create("consumer_dynamic", &err);
	const enum usdt_type types[] = { USDT_INT64, USDT_UINT64, USDT_STRING };
	d_values = provider ? usdt_probe_add(provider, "values", 3, types, &err) : NULL;
	d_counted = d_values ? usdt_probe_add(provider, "counted", 1, types + 1, &err) : NULL;
	if (!d_counted || usdt_provider_load(provider, &err) != 0) {
		fprintf(stderr, "consumer: %s\n", err.message);
		return 1;
	}
	printf("path=%s abi=%d version=%d.%d.%d\n", usdt_provider_path(provider),
	       usdt_abi_version(), USDT_VERSION_MAJOR, USDT_VERSION_MINOR, USDT_VERSION_PATCH);
	fflush(stdout);
	if (traced) {
		const struct timespec tick = { 0, 5000000 };
		for (int i = 0; i < 12000 && !all_enabled(); i++)
			nanosleep(&tick, NULL);
		/* The semaphores rise a moment before the tracer's programs are
		 * attached: the test says when they are. */
		char go[8];
		if (!fgets(go, sizeof(go), stdin))
			return 1;
	}
	fire_values(s_values, "static");
	fire_values(d_values, "dynamic");
	unsigned long long static_fired = 0, dynamic_fired = 0;
	for (unsigned long long i = 1; i <= COUNTED; i++) {
		if (USDT_ENABLED(s_counted))
			static_fired++;
		USDT_FIRE(s_counted, i);
		const uint64_t args[1] = { i };
		dynamic_fired += usdt_probe_fire(d_counted, 1, args) == 1;
	}
	printf("static_counted=%llu dynamic_counted=%llu\n", static_fired, dynamic_fired);
	fflush(stdout);
	USDT_FIRE(s_done);
	usdt_provider_destroy(provider);
	return 0;
}
