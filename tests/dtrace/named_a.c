/* named.d, first half: function entry and return. */
#include "named_probes.h"

#include "program.h"

int probes_enabled_a(void);
void workload_a(void);

int probes_enabled_a(void)
{
	return !!NAMED_FUNCTION_ENTRY_ENABLED() + !!NAMED_FUNCTION_RETURN_ENABLED();
}

void workload_a(void)
{
	static const char filename[] = "module.py";
	static const char *functions[] = { "main", "parse", "emit", "close" };
	for (int depth = 0; depth < 4; depth++) {
		NAMED_FUNCTION_ENTRY(filename, functions[depth], 10 * depth - 15);
		REPORT("fire named:function__entry %llu %llu %lld", P(filename), P(functions[depth]),
		       S(10 * depth - 15));
	}
	for (int depth = 3; depth >= 0; depth--) {
		if (NAMED_FUNCTION_RETURN_ENABLED())
			NAMED_FUNCTION_RETURN(filename, functions[depth], 100 + depth);
		REPORT("fire named:function__return %llu %llu %lld", P(filename), P(functions[depth]),
		       S(100 + depth));
	}
}
