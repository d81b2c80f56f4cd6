#include "shlib.h"

USDT_STATIC_PROBE(p_lib_only, matrix, lib_only, unsigned);

int shlib_call(int value)
{
	USDT_FIRE(p_both, value);
	USDT_FIRE(p_lib_only, (unsigned)value);
	return value + USDT_ENABLED(p_both) + USDT_ENABLED(p_lib_only);
}
