/* many.d, second half: provider second. */
#include "many_probes.h"

#include "program.h"

int probes_enabled_a(void);
void workload_a(void);

const int probe_count = 22;

int probes_enabled(void)
{
	return probes_enabled_a() + !!MANY_DONE_ENABLED() + !!SECOND_EVENT_1_ENABLED() +
	       !!SECOND_EVENT_2_ENABLED() + !!SECOND_EVENT_3_ENABLED() +
	       !!SECOND_EVENT_4_ENABLED() + !!SECOND_EVENT_5_ENABLED() +
	       !!SECOND_EVENT_6_ENABLED() + !!SECOND_EVENT_7_ENABLED() + !!SECOND_EVENT_8_ENABLED();
}

void workload(void)
{
	static const char *names[] = { "zero", "one", "two" };
	workload_a();
	for (int64_t seq = -3; seq < 3; seq++) {
		const char *name = names[seq < 0 ? -seq - 1 : seq];
		SECOND_EVENT_1(seq, name);
		REPORT("fire second:event__1 %lld %llu", S(seq), P(name));
		SECOND_EVENT_2(seq * 2);
		REPORT("fire second:event__2 %lld", S(seq * 2));
		SECOND_EVENT_3(seq * 3, name);
		REPORT("fire second:event__3 %lld %llu", S(seq * 3), P(name));
		SECOND_EVENT_4(seq * 4);
		REPORT("fire second:event__4 %lld", S(seq * 4));
		SECOND_EVENT_5(seq * 5, name);
		REPORT("fire second:event__5 %lld %llu", S(seq * 5), P(name));
		SECOND_EVENT_6(seq * 6);
		REPORT("fire second:event__6 %lld", S(seq * 6));
		SECOND_EVENT_7(seq * 7, name);
		REPORT("fire second:event__7 %lld %llu", S(seq * 7), P(name));
		SECOND_EVENT_8(seq * 8);
		REPORT("fire second:event__8 %lld", S(seq * 8));
	}
}

void fire_done(void)
{
	MANY_DONE();
}
