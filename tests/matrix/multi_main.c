#include "multi.h"

USDT_STATIC_PROBE(p_main_only, matrix, main_only, long);

int main(int argc, char **argv)
{
	(void)argv;
	USDT_FIRE(p_shared, argc, "main");
	USDT_FIRE(p_main_only, (long)argc);
	int result = fire_in_a(argc) + fire_in_b(argc) + plain_in_c(1);
	return result == 2 * argc + 1 && !USDT_ENABLED(p_main_only) ? 0 : 1;
}
