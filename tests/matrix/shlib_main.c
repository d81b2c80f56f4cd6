#include "shlib.h"

USDT_STATIC_PROBE(p_exe_only, matrix, exe_only, long);

int main(int argc, char **argv)
{
	(void)argv;
	USDT_FIRE(p_both, argc);
	USDT_FIRE(p_exe_only, (long)argc);
	return shlib_call(argc) == argc && !USDT_ENABLED(p_both) ? 0 : 1;
}
