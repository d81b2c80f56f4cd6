/* bench_lttng_tp.c - the probe of bench_lttng_tp.h's tracepoint, linked into
 * bench_batch. */
#define LTTNG_UST_TRACEPOINT_CREATE_PROBES
#define LTTNG_UST_TRACEPOINT_DEFINE
#include "bench_lttng_tp.h"
