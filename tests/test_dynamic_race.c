/* Under ThreadSanitizer: threads fire a provider's probes while it is loaded
 * for the first time, unloaded and loaded again. The handles change under
 * them at the first load; usdt.h reads a dynamic handle's pointers with
 * atomic loads, usdt_dynamic.c stores them with atomic stores. Meanwhile
 * other threads load and unload providers of their own, concurrently: the
 * shared stand-in, gdb's JIT list, one shared file and the reclaiming of
 * the directory. Any data race fails the test (ThreadSanitizer's exit
 * status). */
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

/* Load and unload providers: one of the same name in every thread (one
 * file), one of the thread's own. */
static void *load_unload(void *arg)
{
	usdt_error err;
	char name[32];
	snprintf(name, sizeof(name), "race_own%d", (int)(long)arg);
	usdt_provider *p[2] = { usdt_provider_create("race_shared", &err),
				usdt_provider_create(name, &err) };
	long failed = 0;
	for (int i = 0; i < 2; i++)
		failed |= !usdt_probe_add(p[i], "tick", 0, NULL, &err);
	for (int n = 0; n < 30; n++)
		for (int i = 0; i < 2; i++)
			failed |= usdt_provider_load(p[i], &err) != 0 ||
				  usdt_provider_unload(p[i], &err) != 0;
	for (int i = 0; i < 2; i++)
		usdt_provider_destroy(p[i]);
	if (failed)
		printf("load_unload: %s\n", err.message);
	return (void *)failed;
}

int main(void)
{
	usdt_error err;
	const enum usdt_type types[] = { USDT_INT32, USDT_STRING };
	provider = usdt_provider_create("race", &err);
	probe0 = usdt_probe_add(provider, "zero", 0, NULL, &err);
	probe2 = usdt_probe_add(provider, "two", 2, types, &err);
	pthread_t threads[2], loaders[3];
	for (int i = 0; i < 2; i++)
		pthread_create(&threads[i], NULL, fire, NULL);
	for (long i = 0; i < 3; i++)
		pthread_create(&loaders[i], NULL, load_unload, (void *)i);
	int rc = usdt_provider_load(provider, &err);
	for (int i = 0; rc == 0 && i < 20; i++) {
		rc = usdt_provider_unload(provider, &err);
		if (rc == 0)
			rc = usdt_provider_load(provider, &err);
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < 2; i++)
		pthread_join(threads[i], NULL);
	for (int i = 0; i < 3; i++) {
		void *failed;
		pthread_join(loaders[i], &failed);
		rc |= failed != NULL;
	}
	usdt_provider_destroy(provider);
	printf("%s\n", rc == 0 ? "ok" : err.message);
	return rc == 0 ? 0 : 1;
}
