#include "inline.hpp"

int use_in_a(int value)
{
	return inline_fire(value) + template_fire(value) + template_fire<short>(1);
}
