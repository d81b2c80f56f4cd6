/* Under ThreadSanitizer: threads fire a provider's probes while it is loaded
 * for the first time, unloaded and loaded again. The handles change under
 * them at the first load; usdt.h reads a dynamic handle's pointers with
 * atomic loads, usdt_dynamic.c stores them with atomic stores. Any data race
 * fails the test (ThreadSanitizer's exit status). */
#include "usdt.h"

#include <pthread.h>
#include <stdio.h>

static usdt_provider *provider;
static const usdt_probe *probe0, *probe2;
static int stop;
static unsigned long long evaluated;

static void *fire(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		USDT_FIRE(probe2, 1, "two");
		USDT_FIRE_UNGATED(probe2, 3, "four");
		USDT_FIRE_UNGATED(probe0);
		if (USDT_ENABLED(probe0))
			__atomic_add_fetch(&evaluated, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

int main(void)
{
	usdt_error err;
	const enum usdt_type types[] = { USDT_INT32, USDT_STRING };
	provider = usdt_provider_create("race", &err);
	probe0 = usdt_probe_add(provider, "zero", 0, NULL, &err);
	probe2 = usdt_probe_add(provider, "two", 2, types, &err);
	pthread_t threads[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&threads[i], NULL, fire, NULL);
	int rc = usdt_provider_load(provider, &err);
	for (int i = 0; rc == 0 && i < 20; i++) {
		rc = usdt_provider_unload(provider, &err);
		if (rc == 0)
			rc = usdt_provider_load(provider, &err);
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < 2; i++)
		pthread_join(threads[i], NULL);
	usdt_provider_destroy(provider);
	printf("%s\n", rc == 0 ? "ok" : err.message);
	return rc == 0 ? 0 : 1;
}
