/* CHECK(condition, format, ...): count and print a failed condition, go on.
 * A test program ends with `return failures ? 1 : 0`. */
#ifndef USDT_TESTS_CHECK_H
#define USDT_TESTS_CHECK_H

#include <stdio.h>

static int failures;

#define CHECK(cond, ...)                                                        \
	do {                                                                    \
		if (!(cond)) {                                                  \
			failures++;                                             \
			printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);  \
			printf(__VA_ARGS__);                                    \
			printf("\n");                                           \
		}                                                               \
	} while (0)

#endif
