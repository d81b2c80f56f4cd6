/* A consumer of the header alone (pkg-config usdt, CMake usdt::usdt): one
 * static probe, no library. */
#include <usdt.h>

USDT_STATIC_PROBE(s_header, header_only, hello, int);

int main(int argc, char **argv)
{
	(void)argv;
	USDT_FIRE(s_header, argc);
	return 0;
}
