/* bench_lttng_tp.h - the LTTng-UST tracepoint bench_batch measures the kit's
 * batched fire against: bench_lttng:fire, the two 64-bit integers of the
 * kit's probe. */
#undef LTTNG_UST_TRACEPOINT_PROVIDER
#define LTTNG_UST_TRACEPOINT_PROVIDER bench_lttng
#undef LTTNG_UST_TRACEPOINT_INCLUDE
#define LTTNG_UST_TRACEPOINT_INCLUDE "bench_lttng_tp.h"

#if !defined(BENCH_LTTNG_TP_H) || defined(LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ)
#define BENCH_LTTNG_TP_H

#include <lttng/tracepoint.h>

LTTNG_UST_TRACEPOINT_EVENT(bench_lttng, fire,
	LTTNG_UST_TP_ARGS(unsigned long long, a, unsigned long long, b),
	LTTNG_UST_TP_FIELDS(lttng_ust_field_integer(unsigned long long, a, a)
			    lttng_ust_field_integer(unsigned long long, b, b)))

#endif

#include <lttng/tracepoint-event.h>
