/* A program with static probes, driven by test_static_tracer.py under bpftrace. */
#include "usdt.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "target.h"

enum signed_color { COLOR_NEGATIVE = -7, COLOR_POSITIVE = 7 };

USDT_STATIC_PROBE(p_values, usdt_test, values, int8_t, uint8_t, int16_t, uint16_t, int32_t,
		  uint32_t, int64_t, uint64_t, enum signed_color, bool, const char *, const void *);
USDT_STATIC_PROBE(p_counted, usdt_test, counted, unsigned long long);
USDT_STATIC_PROBE(p_zero, usdt_test, zero);
USDT_STATIC_PROBE(p_done, usdt_test, done);

#define FIRES 20000

static unsigned long long fired;
static volatile int8_t v_i8 = INT8_MAX;
static volatile uint8_t v_u8 = 0;
static volatile int16_t v_i16 = INT16_MAX;
static volatile uint16_t v_u16 = 0;
static volatile int32_t v_i32 = INT32_MAX;
static volatile uint32_t v_u32 = 0;
static volatile int64_t v_i64 = INT64_MAX;
static volatile uint64_t v_u64 = 0;
static volatile int v_color = COLOR_POSITIVE;
static volatile bool v_bool = false;
static const char text[] = "hello, tracer";

static unsigned long long count_fire(void)
{
	return ++fired;
}

static void workload(void)
{
	USDT_FIRE(p_values, INT8_MIN, UINT8_MAX, INT16_MIN, UINT16_MAX, INT32_MIN, UINT32_MAX,
		  INT64_MIN, UINT64_MAX, COLOR_NEGATIVE, true, "constant string", (const void *)text);
	/* Run-time values: the other extremes. */
	USDT_FIRE(p_values, v_i8, v_u8, v_i16, v_u16, v_i32, v_u32, v_i64, v_u64,
		  (enum signed_color)v_color, v_bool, text, (const void *)&fired);
	for (int i = 0; i < FIRES; i++) {
		USDT_FIRE(p_counted, count_fire());
		USDT_FIRE(p_zero);
	}
	printf("fired=%llu text=%p fired_address=%p trampoline=%s site=%d\n", fired,
	       (const void *)text, (const void *)&fired,
	       target_has_uprobes_trampoline() ? "yes" : "no", target_site_nop());
	fflush(stdout);
	USDT_FIRE(p_done);
}

/* Usage: static_target [values]; with "values", wait only for a tracer on
 * the values and done probes. */
int main(int argc, char **argv)
{
	const usdt_probe *const all[] = { p_values, p_counted, p_zero, p_done };
	const usdt_probe *const values_only[] = { p_values, p_done };
	int only_values = argc > 1 && strcmp(argv[1], "values") == 0;
	/* Before any tracer: a gated fire evaluates nothing. */
	for (int i = 0; i < 100; i++)
		USDT_FIRE(p_counted, count_fire());
	printf("fired while untraced: untraced=%llu\n", fired);
	fired = 0;
	if (only_values)
		return target_run(values_only, 2, workload);
	return target_run(all, 4, workload);
}
