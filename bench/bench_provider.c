/* bench_provider.c - what a dynamic provider costs to make and to keep.
 *
 * Usage: bench_provider SAMPLES RUNS
 *
 * Prints "KEY VALUE" lines:
 *   create_load_P NS     one line per fresh provider with P probes (P = 1, 10,
 *                        100; SAMPLES each): create, add the probes, load
 *   destroy_10 NS        destroying one of the loaded 10-probe providers
 *   providers_1000 NS    creating and loading 1000 providers of 10 probes,
 *                        all named "bench" (all kept), once per run
 *   mappings, kib, fds   what the 1000 loaded providers added to the
 *                        process, per provider
 *   object_kib           the size of the mappings holding one provider's
 *                        probes (its code and its semaphores)
 *   unload_10 NS         unloading a loaded 10-probe provider (SAMPLES)
 *   reload_10 NS         loading it again after that
 *
 * With USDT_BENCH_LIBSTAPSDT=PATH (the older runtime-probe library's shared
 * object, loaded with dlopen), the same provider made with it, each sample
 * interleaved with one of ours:
 *   stapsdt_create_load_10, stapsdt_unload_10, stapsdt_reload_10 NS
 */
#define _POSIX_C_SOURCE 200809L /* getline, clock_gettime under -std=c11 too */
#include "usdt.h"

#include <dirent.h>
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define BENCH_MAX_PROBES 100
#define BENCH_PROVIDERS 1000

static char bench_names[BENCH_MAX_PROBES][16];

static void bench_check(int ok, const usdt_error *err)
{
	if (!ok) {
		fprintf(stderr, "bench_provider: %s\n", err->message);
		exit(1);
	}
}

/* A loaded provider with probes probes of one 64-bit argument; *first is
 * its first probe. */
static usdt_provider *bench_create_load(int probes, const usdt_probe **first)
{
	static const enum usdt_type types[] = { USDT_UINT64 };
	usdt_error err;
	usdt_provider *provider = usdt_provider_create("bench", &err);
	bench_check(provider != NULL, &err);
	for (int i = 0; i < probes; i++) {
		const usdt_probe *probe = usdt_probe_add(provider, bench_names[i], 1, types, &err);
		bench_check(probe != NULL, &err);
		if (i == 0)
			*first = probe;
	}
	bench_check(usdt_provider_load(provider, &err) == 0, &err);
	return provider;
}

/* The process's mappings: how many, their size, and the size of those that
 * hold the code or the semaphore of probe (if not NULL). */
struct bench_space {
	long mappings;
	unsigned long long bytes;
	unsigned long long probe_bytes;
};

static int bench_holds(unsigned long long lo, unsigned long long hi, const volatile void *p)
{
	return (uintptr_t)p >= lo && (uintptr_t)p < hi;
}

static struct bench_space bench_space(const usdt_probe *probe)
{
	struct bench_space space = { 0, 0, 0 };
	FILE *maps = fopen("/proc/self/maps", "r");
	char *line = NULL;
	size_t size = 0;
	unsigned long long lo, hi;
	if (!maps) {
		perror("bench_provider: /proc/self/maps");
		exit(1);
	}
	while (getline(&line, &size, maps) > 0) {
		if (sscanf(line, "%llx-%llx", &lo, &hi) != 2)
			continue;
		space.mappings++;
		space.bytes += hi - lo;
		/* A function pointer as an address: what the mapping holds. */
		if (probe && (bench_holds(lo, hi, (const void *)(uintptr_t)probe->fire) ||
			      bench_holds(lo, hi, probe->semaphore)))
			space.probe_bytes += hi - lo;
	}
	free(line);
	fclose(maps);
	return space;
}

static long bench_open_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	long count = 0;
	if (!dir) {
		perror("bench_provider: /proc/self/fd");
		exit(1);
	}
	while (readdir(dir))
		count++;
	closedir(dir);
	return count;
}

static void bench_create_load_samples(int probes, int samples)
{
	for (int i = 0; i < samples; i++) {
		const usdt_probe *first;
		unsigned long long start = usdt_now_ns();
		usdt_provider *provider = bench_create_load(probes, &first);
		unsigned long long loaded = usdt_now_ns();
		usdt_provider_destroy(provider);
		unsigned long long destroyed = usdt_now_ns();
		printf("create_load_%d %llu\n", probes, loaded - start);
		if (probes == 10)
			printf("destroy_10 %llu\n", destroyed - loaded);
	}
}

/* The older library's calls, when USDT_BENCH_LIBSTAPSDT names it. */
struct bench_stapsdt {
	void *(*init)(const char *name);
	void *(*add)(void *provider, const char *name, int argc, ...);
	int (*load)(void *provider);
	int (*unload)(void *provider);
	void (*destroy)(void *provider);
};

static int bench_stapsdt_open(struct bench_stapsdt *lib)
{
	const char *path = getenv("USDT_BENCH_LIBSTAPSDT");
	if (!path || !path[0])
		return 0;
	void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!handle) {
		fprintf(stderr, "bench_provider: %s\n", dlerror());
		exit(1);
	}
	*(void **)&lib->init = dlsym(handle, "providerInit");
	*(void **)&lib->add = dlsym(handle, "providerAddProbe");
	*(void **)&lib->load = dlsym(handle, "providerLoad");
	*(void **)&lib->unload = dlsym(handle, "providerUnload");
	*(void **)&lib->destroy = dlsym(handle, "providerDestroy");
	if (!lib->init || !lib->add || !lib->load || !lib->unload || !lib->destroy) {
		fprintf(stderr, "bench_provider: %s lacks the provider calls\n", path);
		exit(1);
	}
	return 1;
}

/* Unload and load again a 10-probe provider, ours then (if given) the older
 * library's, SAMPLES times, interleaved. */
static void bench_unload_samples(int samples)
{
	struct bench_stapsdt lib;
	memset(&lib, 0, sizeof(lib));
	int older = bench_stapsdt_open(&lib);
	for (int i = 0; i < samples; i++) {
		usdt_error err;
		const usdt_probe *first;
		usdt_provider *provider = bench_create_load(10, &first);
		unsigned long long start = usdt_now_ns();
		bench_check(usdt_provider_unload(provider, &err) == 0, &err);
		unsigned long long unloaded = usdt_now_ns();
		bench_check(usdt_provider_load(provider, &err) == 0, &err);
		unsigned long long reloaded = usdt_now_ns();
		usdt_provider_destroy(provider);
		printf("unload_10 %llu\nreload_10 %llu\n", unloaded - start, reloaded - unloaded);
		if (!older)
			continue;
		start = usdt_now_ns();
		void *theirs = lib.init("bench");
		for (int p = 0; theirs && p < 10; p++)
			if (!lib.add(theirs, bench_names[p], 1, 8 /* uint64 */))
				theirs = NULL;
		int failed = !theirs || lib.load(theirs) != 0;
		unsigned long long loaded = usdt_now_ns();
		failed = failed || lib.unload(theirs) != 0;
		unloaded = usdt_now_ns();
		failed = failed || lib.load(theirs) != 0;
		reloaded = usdt_now_ns();
		if (failed) {
			fprintf(stderr, "bench_provider: the older library failed\n");
			exit(1);
		}
		lib.destroy(theirs);
		printf("stapsdt_create_load_10 %llu\nstapsdt_unload_10 %llu\nstapsdt_reload_10 %llu\n",
		       loaded - start, unloaded - loaded, reloaded - unloaded);
	}
}

/* 1000 providers at once; the first run also reports what they occupy. */
static void bench_many(int report_space)
{
	static usdt_provider *providers[BENCH_PROVIDERS];
	const usdt_probe *first = NULL;
	struct bench_space before = bench_space(NULL);
	long fds_before = bench_open_fds();
	unsigned long long start = usdt_now_ns();
	for (int i = 0; i < BENCH_PROVIDERS; i++)
		providers[i] = bench_create_load(10, &first);
	printf("providers_1000 %llu\n", usdt_now_ns() - start);
	if (report_space) {
		struct bench_space after = bench_space(first);
		long fds = bench_open_fds() - fds_before;
		printf("mappings %.2f\n", (double)(after.mappings - before.mappings) / BENCH_PROVIDERS);
		printf("kib %.2f\n", (double)(after.bytes - before.bytes) / 1024 / BENCH_PROVIDERS);
		printf("fds %.2f\n", (double)fds / BENCH_PROVIDERS);
		printf("object_kib %.2f\n", (double)after.probe_bytes / 1024);
	}
	for (int i = 0; i < BENCH_PROVIDERS; i++)
		usdt_provider_destroy(providers[i]);
}

int main(int argc, char **argv)
{
	int samples = argc == 3 ? atoi(argv[1]) : 0;
	int runs = argc == 3 ? atoi(argv[2]) : 0;
	if (samples <= 0 || runs <= 0) {
		fprintf(stderr, "usage: bench_provider SAMPLES RUNS\n");
		return 2;
	}
	/* Each loaded provider keeps a descriptor open; 1000 of them come close
	 * to the usual soft limit of 1024. */
	struct rlimit limit;
	if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
		limit.rlim_cur = limit.rlim_max;
		setrlimit(RLIMIT_NOFILE, &limit);
	}
	for (int i = 0; i < BENCH_MAX_PROBES; i++)
		snprintf(bench_names[i], sizeof(bench_names[i]), "probe_%d", i);

	static const int probe_counts[] = { 1, 10, 100 };
	for (size_t i = 0; i < sizeof(probe_counts) / sizeof(probe_counts[0]); i++)
		bench_create_load_samples(probe_counts[i], samples);
	for (int run = 0; run < runs; run++)
		bench_many(run == 0);
	bench_unload_samples(samples);
	return 0;
}
