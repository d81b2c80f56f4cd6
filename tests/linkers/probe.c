/* The probe of the linker tests (tests/test_linkers.py), linked into the
 * program itself or into a shared library it uses; declared with
 * USDT_STATIC_PROBE, or with LINKER_GENERATED in a header usdt-dtrace
 * generates from probes.d. */
#include "usdt.h"

#include "probe.h"

#ifdef LINKER_GENERATED
#include "linker_probes.h"
#define LINKER_FIRE(i) USDT_LINKER_HIT(i)
#define LINKER_ENABLED() USDT_LINKER_HIT_ENABLED()
#else
USDT_STATIC_PROBE(linker_hit, usdt_linker, hit, int);
#define LINKER_FIRE(i) USDT_FIRE(linker_hit, i)
#define LINKER_ENABLED() USDT_ENABLED(linker_hit)
#endif

int linker_fire(int i)
{
	LINKER_FIRE(i);
	return LINKER_ENABLED() != 0;
}
