/* Declares p_shared (through multi.h) and never fires it: this unit must
 * keep no fire function and no note of it, at every level. */
#include "multi.h"

int plain_in_c(int value)
{
	return value - 1;
}
