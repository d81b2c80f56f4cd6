#include "multi.h"

int fire_in_a(int value)
{
	USDT_FIRE(p_shared, value, "a");
	return value + 1;
}
