/* named.d, second half: the other probes. */
#include "named_probes.h"

#include <stdbool.h>

#include "program.h"

int probes_enabled_a(void);
void workload_a(void);

const int probe_count = 8;

int probes_enabled(void)
{
	return probes_enabled_a() + !!NAMED_GC_START_ENABLED() + !!NAMED_GC_DONE_ENABLED() +
	       !!NAMED_INSTANCE_NEW_START_ENABLED() + !!NAMED_AUDIT_ENABLED() +
	       !!NAMED_LINE_ENABLED() + !!NAMED_DONE_ENABLED();
}

void workload(void)
{
	static char filename[] = "script.py";
	static int audited;
	workload_a();
	for (int generation = 0; generation < 3; generation++) {
		long collected = -1L - 1000L * generation;
		NAMED_GC_START(generation);
		REPORT("fire named:gc__start %lld", S(generation));
		NAMED_GC_DONE(collected);
		REPORT("fire named:gc__done %lld", S(collected));
	}
	NAMED_INSTANCE_NEW_START("Widget", "widgets");
	REPORT("fire named:instance__new__start %llu %llu", P("Widget"), P("widgets"));
	for (int i = 0; i < 5; i++) {
		NAMED_AUDIT("open", &audited);
		REPORT("fire named:audit %llu %llu", P("open"), P(&audited));
	}
	for (unsigned long long line = 1; line <= 6; line++) {
		bool traced = line % 2 == 0;
		NAMED_LINE(filename, line << 40, traced);
		REPORT("fire named:line %llu %llu %llu", P(filename), U(line << 40), U(traced));
	}
}

void fire_done(void)
{
	NAMED_DONE();
}
