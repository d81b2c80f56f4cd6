/* sys/sdt.h used directly, without usdt.h: the compile matrix shows that
 * its STAP_PROBE1 does not compile under clang 19 -Wpedantic -Werror (before
 * C23, an empty variadic argument of one of its macros is "a C23
 * extension"), where the same probe through usdt.h does. */
#include <sys/sdt.h>

int main(void)
{
	int value = 1;
	STAP_PROBE1(matrix, raw, value);
	return 0;
}
