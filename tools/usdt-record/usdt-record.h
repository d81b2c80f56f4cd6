/* What usdt-record.bpf.c hands to usdt-record.c: one ring-buffer record per
 * flush of a thread's buffer (see docs/batching.md for the buffer's records),
 * and the counters the tool reports at the end. */
#ifndef USDT_RECORD_H
#define USDT_RECORD_H

#include <linux/types.h>

#define USDT_RECORD_MAX_BUFFER 65536 /* the most a flush hands over */

struct usdt_record_flush {
	__u32 pid, tid;
	__u32 len;     /* bytes of data */
	__u32 runtime; /* the tool's index of the object whose flush probe fired */
	__u64 ip;      /* the flush site's address in the process */
	__u64 anchor_ticks, anchor_ns;
	__u64 clock;   /* 1: ticks are x86-64 TSC ticks; 0: CLOCK_MONOTONIC ns */
	__u64 dropped; /* events dropped by this buffer since it was made */
	__u8 data[];
};

enum usdt_record_counter {
	USDT_RECORD_FLUSHES,      /* flushes seen, copied or not */
	USDT_RECORD_LOST_FLUSHES, /* flushes the ring buffer had no room for */
	USDT_RECORD_LOST_EVENTS,  /* the events in those */
	USDT_RECORD_COUNTERS,
};

#endif
