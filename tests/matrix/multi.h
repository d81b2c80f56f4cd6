/* A probe declared in a header and fired from three translation units: the
 * program must have one semaphore for it, which all its notes name. */
#ifndef MULTI_H
#define MULTI_H

#include "usdt.h"

USDT_STATIC_PROBE(p_shared, matrix, shared, int, const char *);

/* Not inlined, so that each translation unit's notes stay in its own function,
 * also under -flto. */
__attribute__((noinline)) int fire_in_a(int value);
__attribute__((noinline)) int fire_in_b(int value);
/* multi_c.c only declares the probe. */
int plain_in_c(int value);

#endif
