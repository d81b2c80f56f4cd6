/* Probes from a .d file through the kit's usdt-dtrace, found by meson's
 * find_program('usdt-dtrace') in the subproject. */
#include "consumer_probes.h"

int main(int argc, char **argv)
{
	(void)argv;
	CONSUMER_D_STARTED(argc);
	return CONSUMER_D_STARTED_ENABLED() ? 1 : 0;
}
