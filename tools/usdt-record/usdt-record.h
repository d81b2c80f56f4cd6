/* What usdt-record.bpf.c hands to usdt-record.c: one ring-buffer record per
 * flush of a thread's buffer (see docs/batching.md for the buffer's records),
 * and the counters the tool reports at the end. */
#ifndef USDT_RECORD_H
#define USDT_RECORD_H

#include <linux/types.h>

#define USDT_RECORD_MAX_BUFFER 65536 /* the most a flush hands over */

/* Where a chunk of a half came from. */
enum usdt_record_kind {
	USDT_RECORD_FLUSH = 1, /* the flush probe */
	USDT_RECORD_READ,      /* read from outside: a thread idle for a round */
	USDT_RECORD_READ_EXIT, /* read from outside: the process exits or execs */
	USDT_RECORD_READ_STOP, /* read from outside: the tool stops */
};

struct usdt_record_flush {
	__u32 pid, tid;
	__u32 len;     /* bytes of data */
	__u32 runtime; /* the tool's index of the object whose runtime made the buffer */
	__u64 ip;      /* the flush site's address in the process (0: read from outside) */
	__u64 anchor_ticks, anchor_ns; /* 0 for a read from outside */
	__u64 clock;   /* 1: ticks are x86-64 TSC ticks; 0: CLOCK_MONOTONIC ns */
	__u64 dropped; /* events dropped by this buffer since it was made */
	__u64 buffer;  /* the buffer's address (0: a runtime without its list) */
	__u64 turn;    /* the half's turn: halves the buffer handed over before it */
	__u32 offset;  /* where in the half data starts */
	__u32 kind;    /* enum usdt_record_kind */
	__u8 data[];
};

/* The lists of buffers to read from outside: one per runtime the tool found
 * (the flush semaphore's address + 8 holds the list's head). */
#define USDT_RECORD_MAX_ROOTS 256
struct usdt_record_root {
	__u64 addr; /* the flush semaphore's address in the process */
	__u32 runtime, pid;
	__s64 err;  /* debug: the last read of the head */
	__u64 head;
};

/* The BPF side's only global (its .bss), shared with the tool. */
struct usdt_record_control {
	__u32 pid;         /* the process */
	__u32 stop;        /* set: the next round is the stop's */
	__u64 round, done; /* the tool raises round before each run of the iterator */
	__u32 busy;        /* buffers the last round found mid-fire */
	__u32 exit_read;   /* the process's exit read every buffer */
	__u32 exit_busy;   /* else those mid-fire at its last attempt */
	__u32 zero;
};

enum usdt_record_counter {
	USDT_RECORD_FLUSHES,      /* flushes seen, copied or not */
	USDT_RECORD_LOST_FLUSHES, /* flushes the ring buffer had no room for */
	USDT_RECORD_LOST_EVENTS,  /* the events in those */
	/* Reads from outside, for USDT_RECORD_DEBUG: */
	USDT_RECORD_READ_WALKS,   /* walks of the lists */
	USDT_RECORD_READ_LISTS,   /* lists whose head was read */
	USDT_RECORD_READ_BUFFERS, /* buffers whose header was read */
	USDT_RECORD_READ_FAULTS,  /* reads that failed */
	USDT_RECORD_READ_CHUNKS,  /* parts of halves read */
	USDT_RECORD_COUNTERS,
};

#endif
