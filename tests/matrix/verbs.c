/* Every verb of usdt.h with every kind of argument it accepts. The compile
 * matrix builds this file as C and as C++ (-x c++) with each standard,
 * optimization level and configuration, checks its notes with readelf and
 * runs it once: untraced, every probe must be disabled, a gated fire must
 * evaluate nothing, an ungated fire everything unless probes are compiled out.
 * MATRIX_CALLER, if defined, holds attributes for the functions that fire
 * probes (such as an optimization level other than the file's). */
#include "usdt.h"

#include <stdint.h>
#include <stdio.h>
#ifndef __cplusplus
#include <stdbool.h>
#endif

#ifndef MATRIX_CALLER
#define MATRIX_CALLER
#endif

enum signed_color { COLOR_NEGATIVE = -7, COLOR_POSITIVE = 7 };

USDT_STATIC_PROBE(p_zero, matrix, zero);
USDT_STATIC_PROBE(p_two, matrix, two, int, const char *);
USDT_STATIC_PROBE(p_twelve, matrix, twelve, int8_t, uint8_t, int16_t, uint16_t, int32_t,
		  uint32_t, int64_t, uint64_t, enum signed_color, bool, const char *, const void *);

#ifdef __cplusplus
namespace app {
enum class level : int { low = -1, high = 1 };
enum class flags : unsigned { none = 0, all = 0xffffffffu };
enum class tiny : int8_t { least = INT8_MIN };
enum class wide : uint64_t { most = UINT64_MAX };
USDT_STATIC_PROBE(p_scoped, matrix, scoped, level, flags, tiny, wide);
} // namespace app
#endif

/* How many probe arguments were evaluated. */
static int evaluated;

static int evaluate(int value)
{
	evaluated++;
	return value;
}

/* The same probe fired from a second function. */
MATRIX_CALLER static void fire_elsewhere(const char *where)
{
	USDT_FIRE(p_two, evaluate(-1), where);
}

MATRIX_CALLER int main(void)
{
	int enabled = 0;
	const void *evaluated_address = &evaluated;
	for (int i = 0; i < 100; i++) {
		if (USDT_ENABLED(p_two))
			enabled++;
		USDT_FIRE(p_two, evaluate(i), "loop");
		USDT_FIRE(p_zero);
	}
	fire_elsewhere("elsewhere");
	USDT_FIRE(p_twelve, INT8_MIN, UINT8_MAX, INT16_MIN, UINT16_MAX, INT32_MIN, UINT32_MAX,
		  INT64_MIN, UINT64_MAX, COLOR_NEGATIVE, true, "constant", evaluated_address);
#ifdef __cplusplus
	USDT_FIRE(app::p_scoped, app::level::low, app::flags::all, app::tiny::least,
		  app::wide::most);
	enabled += USDT_ENABLED(app::p_scoped);
#endif
	enabled += USDT_ENABLED(p_zero) + USDT_ENABLED(p_twelve);
	if (enabled != 0 || evaluated != 0) {
		fprintf(stderr, "untraced: %d probes enabled, %d arguments evaluated\n", enabled,
			evaluated);
		return 1;
	}

	/* One evaluated argument per ungated fire. */
	int ungated = 2;
	USDT_FIRE_UNGATED(p_zero);
	USDT_FIRE_UNGATED(p_two, evaluate(1), NULL);
	USDT_FIRE_UNGATED(p_twelve, evaluate(-1), 0, 0, 0, 0, 0, 0, 0, COLOR_POSITIVE,
			  false, "ungated", NULL);
#ifdef __cplusplus
	ungated = 3;
	USDT_FIRE_UNGATED(app::p_scoped, app::level::high, app::flags::none, app::tiny::least,
			  static_cast<app::wide>(evaluate(7)));
	USDT_FIRE_UNGATED(p_two, 2, nullptr);
#endif
#ifdef USDT_DISABLE /* defined by usdt.h too where <sys/sdt.h> is missing */
	ungated = 0;
#endif
	if (evaluated != ungated) {
		fprintf(stderr, "ungated: %d arguments evaluated, expected %d\n", evaluated, ungated);
		return 1;
	}
	return 0;
}
