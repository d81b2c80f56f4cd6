/* BPF side of usdt-record: the handler of every runtime's usdt_batch:flush
 * probe copies the thread's buffer into the ring buffer while the flushing
 * thread waits in the trap, so the runtime may reuse the buffer as soon as the
 * probe returns. Companion uprobes (record_companion) only switch batching on
 * through their semaphore and never run. Uses nothing newer than kernel 6.1,
 * but for the preemption guard below, built only into the second object.
 *
 * The guard (REC_PREEMPT_GUARD, kernels with bpf_preempt_disable, 6.10 on):
 * from 6.13 the x86-64 JIT runs a kprobe-type program (uprobes included)
 * whose frame is 64 bytes or more on one private stack per CPU, while a
 * uprobe's programs run preemptible (migrate_disable and rcu_read_lock
 * only; Debian's 6.18 and 7.x preempt "lazy" by default). A flush preempted
 * by another thread's flush on the same CPU then resumes with that thread's
 * locals: it copied another thread's half, or a half of a length read for
 * another one (docs/kernels.md, "A uprobe program's private stack"). */
#include <stdbool.h> /* usdt.bpf.h uses bool without including it */
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/usdt.bpf.h>

#include "usdt-record.h"

#ifdef REC_PREEMPT_GUARD
extern void bpf_preempt_disable(void) __ksym;
extern void bpf_preempt_enable(void) __ksym;
#else
static __always_inline void bpf_preempt_disable(void) {}
static __always_inline void bpf_preempt_enable(void) {}
#endif

/* Size set by the tool (--buffer-size) before loading. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 << 20);
} record_flushes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, USDT_RECORD_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} record_counters SEC(".maps");

static __always_inline void record_count(__u32 which, __u64 n)
{
	__u64 *counter = bpf_map_lookup_elem(&record_counters, &which);

	if (counter)
		__sync_fetch_and_add(counter, n);
}

struct record_walk {
	__u64 buffer, len, offset, events;
};

/* One record of a buffer the ring buffer had no room for: count it if it is
 * an event; stop at padding, at the end or at a malformed size. */
static long record_walk_one(__u32 index, void *data)
{
	struct record_walk *walk = data;
	__u32 head;

	(void)index;
	if (walk->offset + 8 > walk->len ||
	    bpf_probe_read_user(&head, sizeof(head), (void *)(walk->buffer + walk->offset)))
		return 1;
	if ((head >> 16 & 0xff) != 1 || (head & 0xffff) < 24 || (head & 7))
		return 1;
	walk->events++;
	walk->offset += head & 0xffff;
	return 0;
}

static __always_inline int record_copy(struct pt_regs *ctx, __u64 buffer, __u32 len,
				       const __u32 room)
{
	struct usdt_record_flush *flush;
	long value;

	flush = bpf_ringbuf_reserve(&record_flushes, sizeof(*flush) + room, 0);
	if (!flush) {
		struct record_walk walk = { .buffer = buffer, .len = len };

		bpf_loop(USDT_RECORD_MAX_BUFFER / 24, record_walk_one, &walk, 0);
		record_count(USDT_RECORD_LOST_FLUSHES, 1);
		record_count(USDT_RECORD_LOST_EVENTS, walk.events);
		return 0;
	}
	flush->pid = bpf_get_current_pid_tgid() >> 32;
	flush->tid = (__u32)bpf_get_current_pid_tgid();
	flush->runtime = (__u32)bpf_usdt_cookie(ctx);
	flush->ip = PT_REGS_IP(ctx);
	bpf_usdt_arg(ctx, 2, &value);
	flush->anchor_ticks = value;
	bpf_usdt_arg(ctx, 3, &value);
	flush->anchor_ns = value;
	bpf_usdt_arg(ctx, 4, &value);
	flush->clock = value;
	bpf_usdt_arg(ctx, 5, &value);
	flush->dropped = value;
	if (len > room || bpf_probe_read_user(flush->data, len, (void *)buffer))
		len = 0; /* the tool reports a flush it could not read */
	flush->len = len;
	bpf_ringbuf_submit(flush, 0);
	return 0;
}

static __always_inline int record_flush_body(struct pt_regs *ctx)
{
	long buffer = 0, len = 0;

	record_count(USDT_RECORD_FLUSHES, 1);
	bpf_usdt_arg(ctx, 0, &buffer);
	bpf_usdt_arg(ctx, 1, &len);
	if (len <= 0 || len > USDT_RECORD_MAX_BUFFER)
		return 0;
	/* A few size classes: a flush by the time bound is often small. */
	if (len <= 1024)
		return record_copy(ctx, buffer, len, 1024);
	if (len <= 8192)
		return record_copy(ctx, buffer, len, 8192);
	return record_copy(ctx, buffer, len, USDT_RECORD_MAX_BUFFER);
}

SEC("usdt")
int record_flush(struct pt_regs *ctx)
{
	int ret;

	/* Before anything is on the stack (see the top of this file). */
	bpf_preempt_disable();
	ret = record_flush_body(ctx);
	bpf_preempt_enable();
	return ret;
}

SEC("uprobe")
int record_companion(struct pt_regs *ctx)
{
	(void)ctx;
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
