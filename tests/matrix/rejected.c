/* Probe argument types usdt.h must reject at compile time. The compile matrix
 * builds this file as C and as C++ with one of
 *   -DDECLARED=type  a probe declared with that argument type
 *   -DFIRED=value    a probe fired with that value
 *   -DTHIRTEEN_DECLARED, -DTHIRTEEN_FIRED  a static probe declared, a
 *                    dynamic one fired, with 13 arguments
 * and expects an error that names usdt; DECLARED=long is the control. */
#include "usdt.h"

struct pair {
	int first, second;
};
union word {
	int value;
};
__extension__ typedef __int128 int128;
typedef char char8[8];

#ifdef DECLARED
USDT_STATIC_PROBE(p_declared, matrix, declared, int, DECLARED);
#endif
USDT_STATIC_PROBE(p_fired, matrix, fired, long);
#ifdef THIRTEEN_DECLARED
USDT_STATIC_PROBE(p_thirteen, matrix, thirteen, int, int, int, int, int, int, int, int, int, int,
		  int, int, int);
#endif

int main(void)
{
	double real = 1.5;
	struct pair pair_value = { 1, 2 };
	union word word_value = { 3 };
	const usdt_probe *dynamic = p_fired;
	(void)real, (void)pair_value, (void)word_value, (void)dynamic;
#ifdef FIRED
	USDT_FIRE(p_fired, FIRED);
#endif
#ifdef THIRTEEN_FIRED
	USDT_FIRE(dynamic, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13);
#endif
	return USDT_ENABLED(p_fired);
}
