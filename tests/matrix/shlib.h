/* A shared library and the program using it both fire matrix:both; each must
 * have its own semaphore in its own .probes, none of them exported. */
#ifndef SHLIB_H
#define SHLIB_H

#include "usdt.h"

USDT_STATIC_PROBE(p_both, matrix, both, int);

int shlib_call(int value);

#endif
