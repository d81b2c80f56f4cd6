/* A probe's enabled check is no compiler memory barrier: each function reads
 * matrix_value before a check and uses it again after, and at -O2 must read
 * it once (the compile matrix counts the references in its code). */
#include "usdt.h"
#include "warnings_probes.h"

USDT_STATIC_PROBE(b_static, matrix, barrier, int);

#ifdef __cplusplus
extern "C" {
#endif
int matrix_value, matrix_flag;
int check_generated(void);
int check_static(void);
#ifdef __cplusplus
}
#endif

int check_generated(void)
{
	int before = matrix_value;
	if (MATRIX_GENERATED_NONE_ENABLED())
		matrix_flag = 1;
	return before + matrix_value;
}

int check_static(void)
{
	int before = matrix_value;
	if (USDT_ENABLED(b_static))
		matrix_flag = 1;
	return before + matrix_value;
}
