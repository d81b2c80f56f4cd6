/* A consumer of the subproject: one static and one dynamic probe, fired
 * through the same verbs while a tracer is attached. */
#define _POSIX_C_SOURCE 200809L
#include "usdt.h"

#include <stdio.h>
#include <time.h>

USDT_STATIC_PROBE(s_tick, consumer, tick, int);
USDT_STATIC_PROBE(s_done, consumer, done);

int main(void)
{
	usdt_error err;
	usdt_provider *provider = usdt_provider_create("consumer_dynamic", &err);
	const enum usdt_type types[] = { USDT_INT32 };
	const usdt_probe *d_tick = provider ? usdt_probe_add(provider, "tick", 1, types, &err) : NULL;
	if (!d_tick || usdt_provider_load(provider, &err) != 0) {
		fprintf(stderr, "consumer: %s\n", err.message);
		return 1;
	}
	printf("path=%s\n", usdt_provider_path(provider));
	fflush(stdout);
	const struct timespec tick = { 0, 5000000 };
	for (int i = 0; i < 12000 && !(USDT_ENABLED(s_tick) && USDT_ENABLED(d_tick) &&
				       USDT_ENABLED(s_done)); i++)
		nanosleep(&tick, NULL);
	/* The test says when the tracer is attached (semaphores rise a moment
	 * before). */
	char go[8];
	if (!fgets(go, sizeof(go), stdin))
		return 1;
	int fired = 0;
	for (int i = 0; i < 100; i++) {
		if (USDT_ENABLED(s_tick))
			fired++;
		USDT_FIRE(s_tick, i);
		USDT_FIRE(d_tick, -i);
	}
	printf("fired=%d\n", fired);
	fflush(stdout);
	USDT_FIRE(s_done);
	usdt_provider_destroy(provider);
	return 0;
}
