#include "inline.hpp"

int use_in_b(int value)
{
	return inline_fire(value) + template_fire(value) + (int)template_fire<long>(1);
}
