#include "inline.hpp"

int main(int argc, char **)
{
	int expected = 2 * (argc + 1 + argc + 1);
	return use_in_a(argc) + use_in_b(argc) == expected && !USDT_ENABLED(p_inline) ? 0 : 1;
}
