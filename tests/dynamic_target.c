/* A program with dynamic probes, and static ones beside them, driven by
 * test_dynamic_tracer.py under bpftrace and the libbpf tracer.
 *
 * Usage: dynamic_target PROVIDER mixed    dynamic and static probes traced
 *                                         together, then unload and reload
 *        dynamic_target PROVIDER values12 one 12-argument dynamic probe
 *        dynamic_target PROVIDER static|dynamic
 *                                         for test_tracer_matrix.py: values,
 *                                         counted and done probes of one kind
 *                                         (both kinds are loaded and listed),
 *                                         waiting for a tracer on that kind
 *                                         (with "values": on values and done) */
#include "usdt.h"

#include <stdint.h>
#include <string.h>

#include "target.h"

USDT_STATIC_PROBE(s_counted, usdt_mixed, counted, unsigned long long);
USDT_STATIC_PROBE(s_done, usdt_mixed, done);
USDT_STATIC_PROBE(s_values, usdt_mixed, values, int8_t, uint8_t, int16_t, uint16_t, int32_t,
		  uint32_t, int64_t, uint64_t, const void *, const char *, int64_t, uint64_t);

#define FIRES 20000

static usdt_provider *provider;
static const usdt_probe *d_values, *d_values12, *d_counted, *d_done;
static unsigned long long dynamic_fired, static_fired, fired_unloaded, reloaded_fired;
static volatile int8_t v_i8 = INT8_MIN;
static volatile uint8_t v_u8 = UINT8_MAX;
static volatile int32_t v_i32 = INT32_MIN;
static volatile uint32_t v_u32 = UINT32_MAX;
static volatile int64_t v_i64 = INT64_MIN;
static volatile int16_t v_i16 = INT16_MAX;
static volatile uint64_t v_u64 = 0;
static const char text[] = "dynamic hello";

static const usdt_probe *add(const char *name, int argc, const enum usdt_type *types)
{
	usdt_error err;
	const usdt_probe *probe = usdt_probe_add(provider, name, argc, types, &err);
	if (!probe) {
		fprintf(stderr, "usdt_probe_add %s: %s\n", name, err.message);
		exit(1);
	}
	return probe;
}

static void load(const char *label)
{
	usdt_error err;
	if (usdt_provider_load(provider, &err) != 0) {
		fprintf(stderr, "usdt_provider_load: %s\n", err.message);
		exit(1);
	}
	printf("%s=%s\n", label, usdt_provider_path(provider));
	fflush(stdout);
}

static void fire_values12(void)
{
	USDT_FIRE(d_values12, INT8_MIN, UINT8_MAX, INT16_MIN, UINT16_MAX, INT32_MIN, UINT32_MAX,
		  INT64_MIN, UINT64_MAX, (const void *)text, text, INT64_MAX, (uint64_t)0x0123456789abcdefULL);
	USDT_FIRE(d_values12, INT8_MAX, 0, INT16_MAX, 0, INT32_MAX, 0, INT64_MAX, 0, (const void *)0,
		  "", -1, 1);
	USDT_FIRE(d_done);
}

static void mixed_workload(void)
{
	USDT_FIRE(d_values, v_i8, v_u8, v_i32, v_u32, v_i64, text);
	USDT_FIRE(d_values, INT8_MAX, 0, INT32_MAX, 0, INT64_MAX, "second");
	for (int i = 0; i < FIRES; i++) {
		USDT_FIRE(d_counted, ++dynamic_fired);
		USDT_FIRE(s_counted, ++static_fired);
	}
	printf("dynamic_fired=%llu static_fired=%llu trampoline=%s site=%d\n", dynamic_fired,
	       static_fired, target_has_uprobes_trampoline() ? "yes" : "no", target_site_nop());

	/* Unload while traced: the probes turn into no-ops at once. */
	usdt_error err;
	if (usdt_provider_unload(provider, &err) != 0) {
		fprintf(stderr, "usdt_provider_unload: %s\n", err.message);
		exit(1);
	}
	for (int i = 0; i < 1000; i++) {
		USDT_FIRE(d_counted, ++fired_unloaded);
		USDT_FIRE_UNGATED(d_counted, 7);
	}
	printf("unloaded_enabled=%d fired_unloaded=%llu path_unloaded=%s\n",
	       USDT_ENABLED(d_counted), fired_unloaded,
	       usdt_provider_path(provider) ? "set" : "none");
	/* Loading again maps the object again: from a named file, the same file,
	 * which the first tracer attached to its path still sees; from a memfd, a
	 * new one. Wait for a second tracer to attach to it. */
	load("reloaded_path");
	printf("reloaded_enabled=%d\n", USDT_ENABLED(d_counted));
	fflush(stdout);
	if (target_wait_semaphores(&d_counted, 1, 1) != 0) {
		printf("timeout waiting for a tracer on the reloaded provider\n");
		exit(1);
	}
	target_wait_go();
	for (int i = 0; i < 500; i++)
		USDT_FIRE(d_counted, ++reloaded_fired);
	printf("reloaded_fired=%llu\n", reloaded_fired);
	fflush(stdout);
	USDT_FIRE(s_done);
}

/* The matrix modes: one kind's probes fired with extreme values, then
 * FIRES times counted (argument: the running count), then done. */
static int matrix_static;
static unsigned long long matrix_fired;

static void matrix_workload(void)
{
	if (matrix_static) {
		USDT_FIRE(s_values, INT8_MIN, UINT8_MAX, INT16_MIN, UINT16_MAX, INT32_MIN,
			  UINT32_MAX, INT64_MIN, UINT64_MAX, (const void *)text, text, INT64_MAX,
			  (uint64_t)0x0123456789abcdefULL);
		/* Run-time values: the other extremes, in registers. */
		USDT_FIRE(s_values, (int8_t)~v_i8, (uint8_t)(v_u8 + 1), v_i16, (uint16_t)v_u64,
			  (int32_t)~v_i32, (uint32_t)(v_u32 + 1), (int64_t)~v_i64, v_u64,
			  (const void *)v_u64, "", (int64_t)-1, (uint64_t)1);
		for (int i = 0; i < FIRES; i++)
			USDT_FIRE(s_counted, ++matrix_fired);
	} else {
		USDT_FIRE(d_values12, INT8_MIN, UINT8_MAX, INT16_MIN, UINT16_MAX, INT32_MIN,
			  UINT32_MAX, INT64_MIN, UINT64_MAX, (const void *)text, text, INT64_MAX,
			  (uint64_t)0x0123456789abcdefULL);
		USDT_FIRE(d_values12, (int8_t)~v_i8, (uint8_t)(v_u8 + 1), v_i16, (uint16_t)v_u64,
			  (int32_t)~v_i32, (uint32_t)(v_u32 + 1), (int64_t)~v_i64, v_u64,
			  (const void *)v_u64, "", (int64_t)-1, (uint64_t)1);
		for (int i = 0; i < FIRES; i++)
			USDT_FIRE(d_counted, ++matrix_fired);
	}
	/* done first: a harness reading fired= knows that every probe fired. */
	if (matrix_static)
		USDT_FIRE(s_done);
	else
		USDT_FIRE(d_done);
	printf("fired=%llu\n", matrix_fired);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	usdt_error err;
	if (argc < 3) {
		fprintf(stderr, "usage: dynamic_target PROVIDER mixed|values12|static|dynamic [values]\n");
		return 2;
	}
	provider = usdt_provider_create(argv[1], &err);
	if (!provider) {
		fprintf(stderr, "usdt_provider_create: %s\n", err.message);
		return 1;
	}
	int status;
	if (strcmp(argv[2], "values12") == 0) {
		const enum usdt_type types[] = { USDT_INT8, USDT_UINT8, USDT_INT16, USDT_UINT16,
						 USDT_INT32, USDT_UINT32, USDT_INT64, USDT_UINT64,
						 USDT_POINTER, USDT_STRING, USDT_INT64, USDT_UINT64 };
		d_values12 = add("values12", 12, types);
		d_done = add("done", 0, NULL);
		load("path");
		printf("text=%p\n", (const void *)text);
		const usdt_probe *const probes[] = { d_values12, d_done };
		status = target_run(probes, 2, fire_values12);
	} else if (strcmp(argv[2], "static") == 0 || strcmp(argv[2], "dynamic") == 0) {
		const enum usdt_type types[] = { USDT_INT8, USDT_UINT8, USDT_INT16, USDT_UINT16,
						 USDT_INT32, USDT_UINT32, USDT_INT64, USDT_UINT64,
						 USDT_POINTER, USDT_STRING, USDT_INT64, USDT_UINT64 };
		const enum usdt_type counted_types[] = { USDT_UINT64 };
		d_values12 = add("values", 12, types);
		d_counted = add("counted", 1, counted_types);
		d_done = add("done", 0, NULL);
		load("path");
		printf("text=%p\n", (const void *)text);
		matrix_static = strcmp(argv[2], "static") == 0;
		/* With "values" (for a debugger), wait for no tracer on counted. */
		int values_only = argc > 3 && strcmp(argv[3], "values") == 0;
		const usdt_probe *const statics[] = { s_values, s_done, s_counted };
		const usdt_probe *const dynamics[] = { d_values12, d_done, d_counted };
		status = target_run(matrix_static ? statics : dynamics, values_only ? 2 : 3,
				    matrix_workload);
	} else {
		const enum usdt_type values_types[] = { USDT_INT8, USDT_UINT8, USDT_INT32,
							USDT_UINT32, USDT_INT64, USDT_STRING };
		const enum usdt_type counted_types[] = { USDT_UINT64 };
		d_values = add("values", 6, values_types);
		d_counted = add("counted", 1, counted_types);
		/* Untraced, before load: nothing is evaluated. */
		USDT_FIRE(d_counted, ++dynamic_fired);
		load("path");
		USDT_FIRE(d_counted, ++dynamic_fired);
		printf("untraced=%llu\n", dynamic_fired);
		const usdt_probe *const probes[] = { d_values, d_counted, s_counted, s_done };
		status = target_run(probes, 4, mixed_workload);
	}
	usdt_provider_destroy(provider);
	return status;
}
