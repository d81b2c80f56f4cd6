/* The calls for bindings, linked against the shared library as a binding
 * would use it: versions, errors, enabled checks through the semaphore's
 * address, firing with every argument count (the values checked where a
 * probe's function receives them), static and dynamic probes, and threads
 * firing while the provider is unloaded and loaded again. No tracer: a test
 * raises a semaphore itself. Runs clean under ASan, UBSan and valgrind. */
#define _GNU_SOURCE
#include "usdt.h"

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "check.h"

USDT_STATIC_PROBE(s_none, ffi_test, none);
USDT_STATIC_PROBE(s_pair, ffi_test, pair, long long, const char *);

/* ---- Versions ----------------------------------------------------------- */

static void test_versions(void)
{
	char version[32];
	snprintf(version, sizeof(version), "%d.%d.%d", USDT_VERSION_MAJOR, USDT_VERSION_MINOR,
		 USDT_VERSION_PATCH);
	CHECK(strcmp(version, USDT_PROJECT_VERSION) == 0,
	      "usdt.h says %s, the build's project version is %s", version, USDT_PROJECT_VERSION);
	CHECK(usdt_abi_version() == USDT_ABI_VERSION, "library ABI %d, header ABI %d",
	      usdt_abi_version(), USDT_ABI_VERSION);
}

/* ---- Values, through probes whose function records what it receives ----- */

static unsigned long long received[USDT_MAX_ARGS];
static int received_argc = -1;

static void record(int argc, const unsigned long long *values)
{
	received_argc = argc;
	if (argc > 0)
		memcpy(received, values, (size_t)argc * sizeof(*values));
}

typedef unsigned long long u;
static void capture0(void)
{
	record(0, NULL);
}
#define CAPTURE(n, params, ...)                                   \
	static void capture##n params                             \
	{                                                         \
		const unsigned long long values[] = { __VA_ARGS__ }; \
		record(n, values);                                \
	}
CAPTURE(1, (u a), a)
CAPTURE(2, (u a, u b), a, b)
CAPTURE(3, (u a, u b, u c), a, b, c)
CAPTURE(4, (u a, u b, u c, u d), a, b, c, d)
CAPTURE(5, (u a, u b, u c, u d, u e), a, b, c, d, e)
CAPTURE(6, (u a, u b, u c, u d, u e, u f), a, b, c, d, e, f)
CAPTURE(7, (u a, u b, u c, u d, u e, u f, u g), a, b, c, d, e, f, g)
CAPTURE(8, (u a, u b, u c, u d, u e, u f, u g, u h), a, b, c, d, e, f, g, h)
CAPTURE(9, (u a, u b, u c, u d, u e, u f, u g, u h, u i), a, b, c, d, e, f, g, h, i)
CAPTURE(10, (u a, u b, u c, u d, u e, u f, u g, u h, u i, u j), a, b, c, d, e, f, g, h, i, j)
CAPTURE(11, (u a, u b, u c, u d, u e, u f, u g, u h, u i, u j, u k), a, b, c, d, e, f, g, h, i,
	j, k)
CAPTURE(12, (u a, u b, u c, u d, u e, u f, u g, u h, u i, u j, u k, u l), a, b, c, d, e, f, g,
	h, i, j, k, l)

static void (*const captures[USDT_MAX_ARGS + 1])(void) = {
	capture0,
	(void (*)(void))capture1,  (void (*)(void))capture2,  (void (*)(void))capture3,
	(void (*)(void))capture4,  (void (*)(void))capture5,  (void (*)(void))capture6,
	(void (*)(void))capture7,  (void (*)(void))capture8,  (void (*)(void))capture9,
	(void (*)(void))capture10, (void (*)(void))capture11, (void (*)(void))capture12,
};

static void test_values(void)
{
	static const char text[] = "text";
	const uint64_t values[USDT_MAX_ARGS] = {
		0, 1, UINT64_MAX, (uint64_t)INT64_MIN, (uint64_t)INT64_MAX, (uint64_t)-1,
		(uint64_t)(uintptr_t)text, 0x0123456789abcdefULL, 0xfedcba9876543210ULL, 42,
		(uint64_t)INT32_MIN, UINT32_MAX,
	};
	for (int argc = 0; argc <= USDT_MAX_ARGS; argc++) {
		/* A probe's semaphore pair: its sites' tracers, its batch. */
		__attribute__((aligned(4))) volatile unsigned short semaphore[2] = { 0, 0 };
		const usdt_probe probe = { semaphore, captures[argc], argc, 0 };
		received_argc = -1;
		CHECK(usdt_probe_fire(&probe, argc, values) == 0, "argc %d: fired while disabled",
		      argc);
		CHECK(received_argc == -1, "argc %d: called while disabled", argc);
		CHECK(usdt_probe_enabled(&probe) == 0, "argc %d", argc);
		semaphore[0] = 1;
		CHECK(usdt_probe_enabled(&probe) == 1, "argc %d", argc);
		CHECK(usdt_probe_fire(&probe, argc, values) == 1, "argc %d: did not fire", argc);
		CHECK(received_argc == argc, "argc %d: called with %d", argc, received_argc);
		CHECK(memcmp(received, values, (size_t)argc * sizeof(*values)) == 0,
		      "argc %d: values differ", argc);
		CHECK(usdt_probe_fire(&probe, argc, values) == 1, "argc %d: a second fire", argc);
		/* Every other count is refused, and nothing is called. */
		for (int other = -1; other <= USDT_MAX_ARGS + 1; other++) {
			if (other == argc)
				continue;
			received_argc = -1;
			CHECK(usdt_probe_fire(&probe, other, values) == -EINVAL,
			      "argc %d fired with %d", argc, other);
			CHECK(received_argc == -1, "argc %d fired with %d", argc, other);
		}
		if (argc > 0)
			CHECK(usdt_probe_fire(&probe, argc, NULL) == -EINVAL, "argc %d, no args", argc);
		CHECK(usdt_probe_argc(&probe) == argc, "argc %d", argc);
	}
}

/* ---- Static probes ------------------------------------------------------ */

static void test_static(void)
{
	CHECK(usdt_probe_argc(s_none) == 0, "%d", usdt_probe_argc(s_none));
	CHECK(usdt_probe_argc(s_pair) == 2, "%d", usdt_probe_argc(s_pair));
	CHECK(usdt_probe_semaphore(s_pair) == s_pair->semaphore, "semaphore address");
	const uint64_t args[2] = { (uint64_t)-5, (uint64_t)(uintptr_t) "static" };
	CHECK(usdt_probe_fire(s_pair, 2, args) == 0, "fired untraced");
	CHECK(usdt_probe_fire(s_pair, 1, args) == -EINVAL, "fired with 1 argument of 2");
	CHECK(usdt_probe_fire(s_none, 1, args) == -EINVAL, "fired with 1 argument of 0");
	if (!s_pair->semaphore) {
		/* Compiled without <sys/sdt.h> (a cross compiler without it): the
		 * probes are disabled, never enabled, and fire nothing. */
		CHECK(usdt_probe_semaphore(s_pair) == NULL, "a disabled probe has a semaphore");
		CHECK(usdt_probe_enabled(s_pair) == 0, "a disabled probe reads enabled");
		return;
	}
	CHECK(usdt_probe_semaphore(s_pair) != usdt_probe_semaphore(s_none), "shared semaphore");
	/* Raised by hand, as the kernel does for a tracer: the probe's function
	 * (an out-of-line copy holding the sys/sdt.h probe) runs. */
	s_pair->semaphore[0]++;
	s_none->semaphore[0]++;
	CHECK(usdt_probe_enabled(s_pair) == 1, "enabled");
	CHECK(usdt_probe_fire(s_pair, 2, args) == 1, "did not fire");
	CHECK(usdt_probe_fire(s_none, 0, NULL) == 1, "did not fire");
	s_pair->semaphore[0]--;
	s_none->semaphore[0]--;
	CHECK(usdt_probe_enabled(s_pair) == 0, "enabled");
}

/* ---- Bad input ---------------------------------------------------------- */

static void test_null(void)
{
	CHECK(usdt_probe_enabled(NULL) == 0, "NULL enabled");
	CHECK(usdt_probe_fire(NULL, 0, NULL) == -EINVAL, "NULL fired");
	CHECK(usdt_probe_semaphore(NULL) == NULL, "NULL semaphore");
	CHECK(usdt_probe_argc(NULL) == -EINVAL, "NULL argc");
	usdt_error err;
	CHECK(sizeof(err) == 196 && offsetof(usdt_error, message) == sizeof(int),
	      "usdt_error is %zu bytes", sizeof(err));
	CHECK(usdt_provider_create("1bad", &err) == NULL && err.code == EINVAL &&
		      strstr(err.message, "starts with a digit"),
	      "error %d: %s", err.code, err.message);
}

/* ---- Dynamic probes ----------------------------------------------------- */

static usdt_provider *provider;
static const usdt_probe *d_none, *d_all;
static const enum usdt_type all_types[USDT_MAX_ARGS] = {
	USDT_INT8,  USDT_UINT8,  USDT_INT16,   USDT_UINT16, USDT_INT32, USDT_UINT32,
	USDT_INT64, USDT_UINT64, USDT_POINTER, USDT_STRING, USDT_INT64, USDT_UINT64,
};
static const uint64_t all_args[USDT_MAX_ARGS] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 11, 12 };

static void load(void)
{
	usdt_error err;
	int rc = usdt_provider_load(provider, &err);
	CHECK(rc == 0, "load: %s", err.message);
	/* As the kernel does for a tracer. */
	if (rc == 0) {
		*(volatile unsigned short *)usdt_probe_semaphore(d_none) = 1;
		*(volatile unsigned short *)usdt_probe_semaphore(d_all) = 1;
	}
}

static volatile int stop;
static unsigned long long thread_fires[2];

static void *fire_thread(void *arg)
{
	unsigned long long *fires = arg;
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		int a = usdt_probe_fire(d_all, USDT_MAX_ARGS, all_args);
		int b = usdt_probe_fire(d_none, 0, NULL);
		if (a < 0 || b < 0)
			failures++;
		__atomic_fetch_add(fires, (unsigned long long)(a + b), __ATOMIC_RELAXED);
	}
	return NULL;
}

static void test_dynamic(void)
{
	usdt_error err;
	provider = usdt_provider_create("ffi_test", &err);
	CHECK(provider != NULL, "%s", err.message);
	if (!provider)
		return;
	d_none = usdt_probe_add(provider, "none", 0, NULL, &err);
	d_all = usdt_probe_add(provider, "all", USDT_MAX_ARGS, all_types, &err);
	CHECK(d_none && d_all, "%s", err.message);
	if (!d_none || !d_all)
		return;
	CHECK(usdt_probe_argc(d_none) == 0 && usdt_probe_argc(d_all) == USDT_MAX_ARGS, "argc");

	/* Before the first load: disabled, firing does nothing. */
	const volatile unsigned short *before = usdt_probe_semaphore(d_all);
	CHECK(before != NULL && *before == 0, "semaphore before load");
	CHECK(usdt_probe_fire(d_all, USDT_MAX_ARGS, all_args) == 0, "fired before load");
	CHECK(usdt_probe_fire(d_all, 1, all_args) == -EINVAL, "fired with 1 argument of 12");

	load();
	const volatile unsigned short *loaded = usdt_probe_semaphore(d_all);
	CHECK(loaded != before, "the semaphore did not move at the first load");
	CHECK(usdt_probe_enabled(d_all) == 1, "raised semaphore reads disabled");
	CHECK(usdt_probe_fire(d_all, USDT_MAX_ARGS, all_args) == 1, "did not fire");
	CHECK(usdt_probe_fire(d_none, 0, NULL) == 1, "did not fire");

	/* After unload: the same address stays readable, reads 0, fires nothing. */
	CHECK(usdt_provider_unload(provider, &err) == 0, "unload: %s", err.message);
	CHECK(*loaded == 0, "semaphore after unload: %u", *loaded);
	CHECK(usdt_probe_enabled(d_all) == 0, "enabled after unload");
	CHECK(usdt_probe_fire(d_all, USDT_MAX_ARGS, all_args) == 0, "fired after unload");

	/* Threads fire (with the semaphore raised whenever loaded) while the
	 * provider is unloaded and loaded again. */
	load();
	pthread_t threads[2];
	for (int i = 0; i < 2; i++)
		CHECK(pthread_create(&threads[i], NULL, fire_thread, &thread_fires[i]) == 0, "thread");
	for (int cycle = 0; cycle < 200; cycle++) {
		CHECK(usdt_provider_unload(provider, &err) == 0, "unload: %s", err.message);
		load();
	}
	/* Loaded and raised now: each thread fires at least once (a deadline
	 * for valgrind, which runs one thread at a time). */
	const struct timespec tick = { 0, 1000000 };
	for (int waited = 0; waited < 10000; waited++) {
		if (__atomic_load_n(&thread_fires[0], __ATOMIC_RELAXED) &&
		    __atomic_load_n(&thread_fires[1], __ATOMIC_RELAXED))
			break;
		nanosleep(&tick, NULL);
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < 2; i++)
		pthread_join(threads[i], NULL);
	CHECK(thread_fires[0] > 0 && thread_fires[1] > 0, "a thread never fired");
	/* Destroy after the last fire has returned. */
	usdt_provider_destroy(provider);
}

int main(void)
{
	test_versions();
	test_values();
	test_static();
	test_null();
	test_dynamic();
	if (failures) {
		printf("%d failures\n", failures);
		return 1;
	}
	printf("ok: versions, values for 0 to 12 arguments, static and dynamic probes, "
	       "threads firing during 200 unload/load cycles (%llu fires)\n",
	       thread_fires[0] + thread_fires[1]);
	return 0;
}
