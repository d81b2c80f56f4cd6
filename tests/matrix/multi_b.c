#include "multi.h"

int fire_in_b(int value)
{
	USDT_FIRE_UNGATED(p_shared, value, "b");
	return value + USDT_ENABLED(p_shared);
}
