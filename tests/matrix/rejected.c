/* Probe argument types usdt.h must reject at compile time. The compile matrix
 * builds this file as C and as C++ with one of
 *   -DDECLARED=type  a probe declared with that argument type
 *   -DFIRED=value    a probe fired with that value
 * and expects an error that names usdt; DECLARED=long is the control. */
#include "usdt.h"

struct pair {
	int first, second;
};
__extension__ typedef __int128 int128;

#ifdef DECLARED
USDT_STATIC_PROBE(p_declared, matrix, declared, int, DECLARED);
#endif
USDT_STATIC_PROBE(p_fired, matrix, fired, long);

int main(void)
{
	double real = 1.5;
	(void)real;
#ifdef FIRED
	USDT_FIRE(p_fired, FIRED);
#endif
	return USDT_ENABLED(p_fired);
}
