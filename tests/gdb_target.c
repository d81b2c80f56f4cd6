/* A static probe of 12 arguments of mixed types, read by gdb in
 * test_gdb_static.py: gdb stops at the probe (`break -probe-stap`), which
 * also raises its semaphore, and prints every $_probe_argN.
 *
 * The probe fires twice: first with constants (the extremes of each type),
 * then with the same values read from volatile variables, so that the
 * compiler keeps them in registers (1-byte values included) rather than
 * immediates. Before each fire the program prints the values it passes, one
 * line "fired: v0 ... v11" in decimal, so that the test compares gdb's view
 * with what the program fired. */
#include "usdt.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

USDT_STATIC_PROBE(p_mixed, usdt_gdb, mixed, int8_t, uint8_t, int16_t, uint16_t, int32_t,
		  uint32_t, int64_t, uint64_t, int8_t, uint8_t, bool, long);

static volatile int8_t v_i8 = INT8_MIN;
static volatile uint8_t v_u8 = UINT8_MAX;
static volatile int16_t v_i16 = INT16_MIN;
static volatile uint16_t v_u16 = UINT16_MAX;
static volatile int32_t v_i32 = INT32_MIN;
static volatile uint32_t v_u32 = UINT32_MAX;
static volatile int64_t v_i64 = INT64_MIN;
static volatile uint64_t v_u64 = UINT64_MAX;
static volatile int8_t v_i8_other = INT8_MAX;
static volatile uint8_t v_u8_other = 0x5a;
static volatile bool v_bool = true;
static volatile long v_long = -1234567890123L;

static void print_fired(int8_t a0, uint8_t a1, int16_t a2, uint16_t a3, int32_t a4, uint32_t a5,
			int64_t a6, uint64_t a7, int8_t a8, uint8_t a9, bool a10, long a11)
{
	printf("fired: %d %u %d %u %" PRId32 " %" PRIu32 " %" PRId64 " %" PRIu64
	       " %d %u %d %ld\n",
	       a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11);
	fflush(stdout);
}

int main(void)
{
	print_fired(INT8_MIN, UINT8_MAX, INT16_MIN, UINT16_MAX, INT32_MIN, UINT32_MAX, INT64_MIN,
		    UINT64_MAX, INT8_MAX, 0x5a, true, -1234567890123L);
	USDT_FIRE(p_mixed, INT8_MIN, UINT8_MAX, INT16_MIN, UINT16_MAX, INT32_MIN, UINT32_MAX,
		  INT64_MIN, UINT64_MAX, INT8_MAX, 0x5a, true, -1234567890123L);

	int8_t i8 = v_i8, i8_other = v_i8_other;
	uint8_t u8 = v_u8, u8_other = v_u8_other;
	int16_t i16 = v_i16;
	uint16_t u16 = v_u16;
	int32_t i32 = v_i32;
	uint32_t u32 = v_u32;
	int64_t i64 = v_i64;
	uint64_t u64 = v_u64;
	bool flag = v_bool;
	long wide = v_long;
	print_fired(i8, u8, i16, u16, i32, u32, i64, u64, i8_other, u8_other, flag, wide);
	USDT_FIRE(p_mixed, i8, u8, i16, u16, i32, u32, i64, u64, i8_other, u8_other, flag, wide);
	return 0;
}
