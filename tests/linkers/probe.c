/* The probe of the linker tests (tests/test_linkers.py), linked into the
 * program itself or into a shared library it uses. */
#include "usdt.h"

#include "probe.h"

USDT_STATIC_PROBE(linker_hit, usdt_linker, hit, int);

int linker_fire(int i)
{
	USDT_FIRE(linker_hit, i);
	return USDT_ENABLED(linker_hit) != 0;
}
