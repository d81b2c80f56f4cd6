/* many.d, first half: provider many, probes with 0 to 12 arguments. */
#include "many_probes.h"

#include "program.h"

int probes_enabled_a(void);
void workload_a(void);

int probes_enabled_a(void)
{
	return !!MANY_ARGS0_ENABLED() + !!MANY_ARGS1_ENABLED() + !!MANY_ARGS2_ENABLED() +
	       !!MANY_ARGS3_ENABLED() + !!MANY_ARGS4_ENABLED() + !!MANY_ARGS5_ENABLED() +
	       !!MANY_ARGS6_ENABLED() + !!MANY_ARGS7_ENABLED() + !!MANY_ARGS8_ENABLED() +
	       !!MANY_ARGS9_ENABLED() + !!MANY_ARGS10_ENABLED() + !!MANY_ARGS11_ENABLED() +
	       !!MANY_ARGS12_ENABLED();
}

/* Fire argsN with arguments i * 1000003 + k, wrapped to their types, negated for
 * signed ones, for each fire i and argument k. */
void workload_a(void)
{
	for (long long i = 1; i <= 4; i++) {
		MANY_ARGS0();
		REPORT("fire many:args0");
		unsigned long v1_0 = (unsigned long)(i * 1000003 + 0);
		MANY_ARGS1(v1_0);
		REPORT("fire many:args1 %llu", U(v1_0));
		short v2_0 = (short)-(i * 1000003 + 0);
		unsigned char v2_1 = (unsigned char)(i * 1000003 + 1);
		MANY_ARGS2(v2_0, v2_1);
		REPORT("fire many:args2 %lld %llu", S(v2_0), U(v2_1));
		unsigned char v3_0 = (unsigned char)(i * 1000003 + 0);
		long long v3_1 = (long long)-(i * 1000003 + 1);
		uint16_t v3_2 = (uint16_t)(i * 1000003 + 2);
		MANY_ARGS3(v3_0, v3_1, v3_2);
		REPORT("fire many:args3 %llu %lld %llu", U(v3_0), S(v3_1), U(v3_2));
		long long v4_0 = (long long)-(i * 1000003 + 0);
		uint16_t v4_1 = (uint16_t)(i * 1000003 + 1);
		int8_t v4_2 = (int8_t)-(i * 1000003 + 2);
		unsigned int v4_3 = (unsigned int)(i * 1000003 + 3);
		MANY_ARGS4(v4_0, v4_1, v4_2, v4_3);
		REPORT("fire many:args4 %lld %llu %lld %llu", S(v4_0), U(v4_1), S(v4_2), U(v4_3));
		uint16_t v5_0 = (uint16_t)(i * 1000003 + 0);
		int8_t v5_1 = (int8_t)-(i * 1000003 + 1);
		unsigned int v5_2 = (unsigned int)(i * 1000003 + 2);
		char v5_3 = (char)-(i * 1000003 + 3);
		uint64_t v5_4 = (uint64_t)(i * 1000003 + 4);
		MANY_ARGS5(v5_0, v5_1, v5_2, v5_3, v5_4);
		REPORT("fire many:args5 %llu %lld %llu %lld %llu", U(v5_0), S(v5_1), U(v5_2),
		       S(v5_3), U(v5_4));
		int8_t v6_0 = (int8_t)-(i * 1000003 + 0);
		unsigned int v6_1 = (unsigned int)(i * 1000003 + 1);
		char v6_2 = (char)-(i * 1000003 + 2);
		uint64_t v6_3 = (uint64_t)(i * 1000003 + 3);
		signed char v6_4 = (signed char)-(i * 1000003 + 4);
		long v6_5 = (long)-(i * 1000003 + 5);
		MANY_ARGS6(v6_0, v6_1, v6_2, v6_3, v6_4, v6_5);
		REPORT("fire many:args6 %lld %llu %lld %llu %lld %lld", S(v6_0), U(v6_1),
		       S(v6_2), U(v6_3), S(v6_4), S(v6_5));
		unsigned int v7_0 = (unsigned int)(i * 1000003 + 0);
		char v7_1 = (char)-(i * 1000003 + 1);
		uint64_t v7_2 = (uint64_t)(i * 1000003 + 2);
		signed char v7_3 = (signed char)-(i * 1000003 + 3);
		long v7_4 = (long)-(i * 1000003 + 4);
		int v7_5 = (int)-(i * 1000003 + 5);
		unsigned long v7_6 = (unsigned long)(i * 1000003 + 6);
		MANY_ARGS7(v7_0, v7_1, v7_2, v7_3, v7_4, v7_5, v7_6);
		REPORT("fire many:args7 %llu %lld %llu %lld %lld %lld %llu", U(v7_0), S(v7_1),
		       U(v7_2), S(v7_3), S(v7_4), S(v7_5), U(v7_6));
		char v8_0 = (char)-(i * 1000003 + 0);
		uint64_t v8_1 = (uint64_t)(i * 1000003 + 1);
		signed char v8_2 = (signed char)-(i * 1000003 + 2);
		long v8_3 = (long)-(i * 1000003 + 3);
		int v8_4 = (int)-(i * 1000003 + 4);
		unsigned long v8_5 = (unsigned long)(i * 1000003 + 5);
		short v8_6 = (short)-(i * 1000003 + 6);
		unsigned char v8_7 = (unsigned char)(i * 1000003 + 7);
		MANY_ARGS8(v8_0, v8_1, v8_2, v8_3, v8_4, v8_5, v8_6, v8_7);
		REPORT("fire many:args8 %lld %llu %lld %lld %lld %llu %lld %llu", S(v8_0),
		       U(v8_1), S(v8_2), S(v8_3), S(v8_4), U(v8_5), S(v8_6), U(v8_7));
		uint64_t v9_0 = (uint64_t)(i * 1000003 + 0);
		signed char v9_1 = (signed char)-(i * 1000003 + 1);
		long v9_2 = (long)-(i * 1000003 + 2);
		int v9_3 = (int)-(i * 1000003 + 3);
		unsigned long v9_4 = (unsigned long)(i * 1000003 + 4);
		short v9_5 = (short)-(i * 1000003 + 5);
		unsigned char v9_6 = (unsigned char)(i * 1000003 + 6);
		long long v9_7 = (long long)-(i * 1000003 + 7);
		uint16_t v9_8 = (uint16_t)(i * 1000003 + 8);
		MANY_ARGS9(v9_0, v9_1, v9_2, v9_3, v9_4, v9_5, v9_6, v9_7, v9_8);
		REPORT("fire many:args9 %llu %lld %lld %lld %llu %lld %llu %lld %llu", U(v9_0),
		       S(v9_1), S(v9_2), S(v9_3), U(v9_4), S(v9_5), U(v9_6), S(v9_7), U(v9_8));
		signed char v10_0 = (signed char)-(i * 1000003 + 0);
		long v10_1 = (long)-(i * 1000003 + 1);
		int v10_2 = (int)-(i * 1000003 + 2);
		unsigned long v10_3 = (unsigned long)(i * 1000003 + 3);
		short v10_4 = (short)-(i * 1000003 + 4);
		unsigned char v10_5 = (unsigned char)(i * 1000003 + 5);
		long long v10_6 = (long long)-(i * 1000003 + 6);
		uint16_t v10_7 = (uint16_t)(i * 1000003 + 7);
		int8_t v10_8 = (int8_t)-(i * 1000003 + 8);
		unsigned int v10_9 = (unsigned int)(i * 1000003 + 9);
		MANY_ARGS10(v10_0, v10_1, v10_2, v10_3, v10_4, v10_5, v10_6, v10_7, v10_8, v10_9);
		REPORT("fire many:args10 %lld %lld %lld %llu %lld %llu %lld %llu %lld %llu",
		       S(v10_0), S(v10_1), S(v10_2), U(v10_3), S(v10_4), U(v10_5), S(v10_6),
		       U(v10_7), S(v10_8), U(v10_9));
		long v11_0 = (long)-(i * 1000003 + 0);
		int v11_1 = (int)-(i * 1000003 + 1);
		unsigned long v11_2 = (unsigned long)(i * 1000003 + 2);
		short v11_3 = (short)-(i * 1000003 + 3);
		unsigned char v11_4 = (unsigned char)(i * 1000003 + 4);
		long long v11_5 = (long long)-(i * 1000003 + 5);
		uint16_t v11_6 = (uint16_t)(i * 1000003 + 6);
		int8_t v11_7 = (int8_t)-(i * 1000003 + 7);
		unsigned int v11_8 = (unsigned int)(i * 1000003 + 8);
		char v11_9 = (char)-(i * 1000003 + 9);
		uint64_t v11_10 = (uint64_t)(i * 1000003 + 10);
		MANY_ARGS11(v11_0, v11_1, v11_2, v11_3, v11_4, v11_5, v11_6, v11_7, v11_8, v11_9,
		            v11_10);
		REPORT("fire many:args11 %lld %lld %llu %lld %llu %lld %llu %lld %llu %lld %llu",
		       S(v11_0), S(v11_1), U(v11_2), S(v11_3), U(v11_4), S(v11_5), U(v11_6),
		       S(v11_7), U(v11_8), S(v11_9), U(v11_10));
		int v12_0 = (int)-(i * 1000003 + 0);
		unsigned long v12_1 = (unsigned long)(i * 1000003 + 1);
		short v12_2 = (short)-(i * 1000003 + 2);
		unsigned char v12_3 = (unsigned char)(i * 1000003 + 3);
		long long v12_4 = (long long)-(i * 1000003 + 4);
		uint16_t v12_5 = (uint16_t)(i * 1000003 + 5);
		int8_t v12_6 = (int8_t)-(i * 1000003 + 6);
		unsigned int v12_7 = (unsigned int)(i * 1000003 + 7);
		char v12_8 = (char)-(i * 1000003 + 8);
		uint64_t v12_9 = (uint64_t)(i * 1000003 + 9);
		signed char v12_10 = (signed char)-(i * 1000003 + 10);
		long v12_11 = (long)-(i * 1000003 + 11);
		MANY_ARGS12(v12_0, v12_1, v12_2, v12_3, v12_4, v12_5, v12_6, v12_7, v12_8, v12_9,
		            v12_10, v12_11);
		REPORT("fire many:args12 %lld %llu %lld %llu %lld %llu %lld %llu %lld %llu %lld %lld",
		       S(v12_0), U(v12_1), S(v12_2), U(v12_3), S(v12_4), U(v12_5), S(v12_6),
		       U(v12_7), S(v12_8), U(v12_9), S(v12_10), S(v12_11));
	}
}
