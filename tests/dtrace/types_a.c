/* types.d, first half: the integer widths and keywords. */
#include "types_probes.h"

#include <limits.h>

#include "program.h"

int probes_enabled_a(void);
void workload_a(void);

int probes_enabled_a(void)
{
	return !!TYPES_WIDTHS_ENABLED() + !!TYPES_WIDE_ENABLED() + !!TYPES_KEYWORDS_ENABLED();
}

void workload_a(void)
{
	for (int i = 0; i < 3; i++) {
		int8_t i8 = i == 0 ? INT8_MIN : i == 1 ? INT8_MAX : -1;
		uint8_t u8 = i == 0 ? 0 : i == 1 ? UINT8_MAX : 1;
		int16_t i16 = i == 0 ? INT16_MIN : i == 1 ? INT16_MAX : -2;
		uint16_t u16 = i == 0 ? 0 : i == 1 ? UINT16_MAX : 2;
		int32_t i32 = i == 0 ? INT32_MIN : i == 1 ? INT32_MAX : -3;
		uint32_t u32 = i == 0 ? 0 : i == 1 ? UINT32_MAX : 3;
		TYPES_WIDTHS(i8, u8, i16, u16, i32, u32);
		REPORT("fire types:widths %lld %llu %lld %llu %lld %llu", S(i8), U(u8), S(i16),
		       U(u16), S(i32), U(u32));

		int64_t i64 = i == 0 ? INT64_MIN : i == 1 ? INT64_MAX : -4;
		uint64_t u64 = i == 0 ? 0 : i == 1 ? UINT64_MAX : 4;
		long l = i == 0 ? LONG_MIN : i == 1 ? LONG_MAX : -5;
		unsigned long ul = i == 0 ? 0 : i == 1 ? ULONG_MAX : 5;
		long long ll = i == 0 ? LLONG_MIN : i == 1 ? LLONG_MAX : -6;
		unsigned long long ull = i == 0 ? 0 : i == 1 ? ULLONG_MAX : 6;
		TYPES_WIDE(i64, u64, l, ul, ll, ull);
		REPORT("fire types:wide %lld %llu %lld %llu %lld %llu", S(i64), U(u64), S(l), U(ul),
		       S(ll), U(ull));

		char c = i == 0 ? 'a' : i == 1 ? CHAR_MAX : CHAR_MIN;
		signed char sc = i == 0 ? SCHAR_MIN : i == 1 ? SCHAR_MAX : -7;
		unsigned char uc = i == 0 ? 0 : i == 1 ? UCHAR_MAX : 7;
		short s = i == 0 ? SHRT_MIN : i == 1 ? SHRT_MAX : -8;
		unsigned short us = i == 0 ? 0 : i == 1 ? USHRT_MAX : 8;
		unsigned u = i == 0 ? 0 : i == 1 ? UINT_MAX : 9;
		TYPES_KEYWORDS(c, sc, uc, s, us, u);
		REPORT("fire types:keywords %lld %lld %llu %lld %llu %llu", S(c), S(sc), U(uc), S(s),
		       U(us), U(u));
	}
}
