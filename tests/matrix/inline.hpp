// Probes in a C++ inline function and a function template, both instantiated
// in two translation units: the linker keeps one copy of each, and every note
// left must point into kept code and at the one semaphore.
#ifndef INLINE_HPP
#define INLINE_HPP

#include "usdt.h"

USDT_STATIC_PROBE(p_inline, matrix, inline_fn, int);
USDT_STATIC_PROBE(p_template, matrix, template_fn, long long);

inline int inline_fire(int value)
{
	USDT_FIRE(p_inline, value);
	return value + 1;
}

template <typename T> T template_fire(T value)
{
	USDT_FIRE(p_template, value);
	return value;
}

int use_in_a(int value);
int use_in_b(int value);

#endif
