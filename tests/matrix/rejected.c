/* Probe argument types usdt.h must reject at compile time. The compile matrix
 * builds this file as C and as C++ with one of
 *   -DDECLARED=type  a probe declared with that argument type
 *   -DFIRED=value    a probe fired with that value
 *   -DDECLARED_COUNT=n          a probe declared with n arguments
 *   -DFIRED_STATIC_COUNT=n      a 12-argument static probe fired with n
 *   -DFIRED_DYNAMIC_COUNT=n     a dynamic probe fired with n arguments
 * and expects an error that names usdt; DECLARED=long and the counts of 12
 * are the controls. */
#include "usdt.h"

struct pair {
	int first, second;
};
union word {
	int number;
	const char *text;
};
__extension__ typedef __int128 int128;
typedef char char8[8];

#define MATRIX_ARGS_12 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12
#define MATRIX_ARGS_13 MATRIX_ARGS_12, 13
#define MATRIX_ARGS_16 MATRIX_ARGS_13, 14, 15, 16
#define MATRIX_TYPES_12 long, long, long, long, long, long, long, long, long, long, long, long
#define MATRIX_TYPES_13 MATRIX_TYPES_12, long
#define MATRIX_LIST(kind, n) MATRIX_LIST_(kind, n)
#define MATRIX_LIST_(kind, n) MATRIX_##kind##_##n

#ifdef DECLARED
USDT_STATIC_PROBE(p_declared, matrix, declared, int, DECLARED);
#endif
#ifdef DECLARED_COUNT
USDT_STATIC_PROBE(p_counted, matrix, counted, MATRIX_LIST(TYPES, DECLARED_COUNT));
#endif
USDT_STATIC_PROBE(p_fired, matrix, fired, long);
USDT_STATIC_PROBE(p_twelve, matrix, twelve, MATRIX_TYPES_12);
/* Filled in by usdt_dynamic.c in a real program; only compiled here. */
extern const usdt_probe *matrix_dynamic;

int main(void)
{
	double real = 1.5;
	struct pair pair_value = { 1, 2 };
	union word word_value = { 3 };
	(void)real;
	(void)pair_value;
	(void)word_value;
#ifdef FIRED
	USDT_FIRE(p_fired, FIRED);
#endif
#ifdef FIRED_STATIC_COUNT
	USDT_FIRE(p_twelve, MATRIX_LIST(ARGS, FIRED_STATIC_COUNT));
#endif
#ifdef FIRED_DYNAMIC_COUNT
	USDT_FIRE(matrix_dynamic, MATRIX_LIST(ARGS, FIRED_DYNAMIC_COUNT));
#endif
	return USDT_ENABLED(p_fired);
}
