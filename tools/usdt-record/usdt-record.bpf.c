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
#include <bpf/bpf_core_read.h>
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
	bpf_usdt_arg(ctx, 6, &value); /* 0 from a runtime without its list */
	flush->turn = value;
	bpf_usdt_arg(ctx, 7, &value);
	flush->buffer = value;
	flush->offset = 0;
	flush->kind = USDT_RECORD_FLUSH;
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

/* ---- Reading buffers from outside ----
 *
 * A thread that stops firing keeps its last events in its buffer, and the
 * process's exit, an exec or the tool's stop would lose them. So the tool
 * also reads buffers itself, through each runtime's list of them (the flush
 * semaphore's address + 8): every round (record_read, a task iterator the
 * tool runs every REC_READ_MS, reading the process's memory with
 * bpf_copy_from_user_task) the active half of a buffer that has not changed
 * for a round, or whose turn has not changed for two; when the process exits
 * or execs (record_exit_group, record_thread_exit, record_execve: a thread of
 * the process reads the memory it
 * shares with the others) and at the tool's stop, every buffer not read yet.
 *
 * A half is read only while no fire is in progress on its thread, in this
 * order: turns, the half's used bytes, depth (0), the bytes, turns again
 * (unchanged). The runtime raises depth before it reserves a slot and lowers
 * it after the record is written, and x86-64 shows another CPU its stores in
 * order (the buffer's magic says so): so every record below used is whole.
 * What was read of a half is remembered (record_reads), and only what is new
 * is read next time; the tool drops what a later flush of the half repeats. */

#define REC_BATCH_MAGIC_TSO 0x31425355u   /* usdt.h: USDT__BATCH_MAGIC_TSO */
#define REC_BATCH_MAGIC_OTHER 0x30425355u /* usdt.h: USDT__BATCH_MAGIC_OTHER */
#define REC_BATCH_HALF 65536u
/* usdt.h's struct usdt__batch, the header. */
struct rec_batch_head {
	__u64 used[2], first[2], dropped;
	__u32 depth, active;
	__u64 turns, next;
	__u32 magic, owner, tid, zero;
};
#define REC_BATCH_USED 0
#define REC_BATCH_DEPTH 40
#define REC_BATCH_TURNS 48
#define REC_BATCH_HEAD sizeof(struct rec_batch_head)

/* What the kernel's types hold that this reads (CO-RE). */
struct mm_struct;
struct task_struct {
	int pid, tgid;
	struct mm_struct *mm;
	struct signal_struct *signal;
} __attribute__((preserve_access_index));
struct signal_struct {
	unsigned int flags;
} __attribute__((preserve_access_index));
struct bpf_iter_meta;
struct bpf_iter__task {
	struct bpf_iter_meta *meta;
	struct task_struct *task;
} __attribute__((preserve_access_index));
#define REC_SIGNAL_GROUP_EXIT 0x00000004 /* include/linux/sched/signal.h */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, USDT_RECORD_MAX_ROOTS);
	__type(key, __u32);
	__type(value, struct usdt_record_root);
} record_roots SEC(".maps");

/* Per buffer: the half last seen and how much of it was read. */
struct rec_seen {
	__u64 turn, used, rounds; /* rounds: the turn unchanged since */
	__u64 read_turn, read_used;
};
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct rec_seen);
} record_reads SEC(".maps");

/* Set by the tool: the process, and a round number it raises before it runs
 * the iterator (one read per round, by the first thread of the process the
 * iterator comes to). */
struct usdt_record_control record_control;

/* The walk's state, handed to bpf_loop's callback. Its fields start from
 * values the verifier cannot know (record_control.zero): before Linux 6.7
 * (ab5cfac139ab, "bpf: verify callbacks as if they are called unknown number of times")
 * the verifier checked the callback once, with the state of the call, and
 * removed as dead the branch a constant there did not take (the walk's
 * buffer 0 at the call: no buffer was ever read, as on 6.1). */
struct rec_read {
	struct task_struct *task; /* the process's task to read through, or NULL: current */
	__u64 buffer;             /* the next buffer of the list, 0: the next list */
	__u32 root, runtime;
	__u32 kind, busy;
};

static __always_inline void rec_read_unknown(struct rec_read *r)
{
	r->buffer = record_control.zero;
	r->root = record_control.zero;
	r->runtime = record_control.zero;
	r->busy = record_control.zero;
}

static __always_inline long rec_read_user(struct rec_read *r, void *dst, __u32 size, __u64 from,
					  const bool other)
{
	long err;

	if (other)
		err = bpf_copy_from_user_task(dst, size, (const void *)from, r->task, 0);
	else
		err = bpf_probe_read_user(dst, size, (const void *)from);
	if (err)
		record_count(USDT_RECORD_READ_FAULTS, 1);
	return err;
}

/* The new part of a half into the ring buffer: [from, used) of half h of
 * turn `turn`; 0 if read, else nonzero (the half changed meanwhile, or no
 * room). */
static __always_inline int rec_read_chunk(struct rec_read *r, const struct rec_batch_head *head,
					  __u64 buffer, __u64 turn, __u64 from, __u64 used,
					  const __u32 room, const bool other)
{
	struct usdt_record_flush *chunk;
	const __u64 len = used - from;
	__u64 again = ~0ull;

	chunk = bpf_ringbuf_reserve(&record_flushes, sizeof(*chunk) + room, 0);
	if (!chunk)
		return 1;
	if (len > room || from > REC_BATCH_HALF ||
	    rec_read_user(r, chunk->data, len,
			  buffer + REC_BATCH_HEAD + (turn & 1) * REC_BATCH_HALF + from, other) ||
	    rec_read_user(r, &again, sizeof(again), buffer + REC_BATCH_TURNS, other) ||
	    again != turn) {
		bpf_ringbuf_discard(chunk, 0);
		return 1;
	}
	chunk->pid = record_control.pid;
	chunk->tid = head->tid;
	chunk->len = len;
	chunk->runtime = r->runtime;
	chunk->ip = 0;
	chunk->anchor_ticks = 0;
	chunk->anchor_ns = 0;
	chunk->clock = 1; /* the magic says x86-64: the TSC */
	chunk->dropped = head->dropped;
	chunk->buffer = buffer;
	chunk->turn = turn;
	chunk->offset = from;
	chunk->kind = r->kind;
	bpf_ringbuf_submit(chunk, 0);
	record_count(USDT_RECORD_READ_CHUNKS, 1);
	return 0;
}

/* One buffer of a list: read its active half's new part if it is time to.
 * The header, read at once, tells whether it is (a round costs one read
 * per buffer); the half is then read as the top of this part says. */
static __always_inline void rec_read_buffer(struct rec_read *r, const bool other)
{
	const __u64 buffer = r->buffer;
	struct rec_batch_head head;
	struct rec_seen *seen, fresh = { .read_turn = ~0ull };
	__u64 turn, used, from;
	__u32 depth;
	int unchanged;

	r->buffer = 0;
	if (rec_read_user(r, &head, sizeof(head), buffer, other))
		return;
	record_count(USDT_RECORD_READ_BUFFERS, 1);
	if (head.magic == REC_BATCH_MAGIC_OTHER)
		r->buffer = head.next; /* a buffer not to be read from outside */
	if (head.magic != REC_BATCH_MAGIC_TSO)
		return; /* else not a buffer: a wrong guess of where a list is */
	r->buffer = head.next;
	turn = head.turns;
	used = head.used[turn & 1] < REC_BATCH_HALF ? head.used[turn & 1] : REC_BATCH_HALF;
	seen = bpf_map_lookup_elem(&record_reads, &buffer);
	if (!seen) {
		fresh.turn = turn;
		fresh.used = used;
		bpf_map_update_elem(&record_reads, &buffer, &fresh, BPF_NOEXIST);
		seen = bpf_map_lookup_elem(&record_reads, &buffer);
		if (!seen)
			return;
		if (r->kind == USDT_RECORD_READ)
			return; /* first seen: read next round if still idle */
	}
	from = seen->read_turn == turn ? seen->read_used : 0;
	unchanged = seen->turn == turn && seen->used == used;
	seen->rounds = seen->turn == turn ? seen->rounds + 1 : 0;
	seen->turn = turn;
	seen->used = used;
	if (used <= from)
		return;
	if (r->kind == USDT_RECORD_READ && !unchanged && seen->rounds < 2)
		return;
	/* In this order, each read on its own (see the top of this part). */
	if (rec_read_user(r, &turn, sizeof(turn), buffer + REC_BATCH_TURNS, other) ||
	    rec_read_user(r, &used, sizeof(used), buffer + REC_BATCH_USED + 8 * (turn & 1), other) ||
	    rec_read_user(r, &depth, sizeof(depth), buffer + REC_BATCH_DEPTH, other))
		return;
	if (used > REC_BATCH_HALF)
		used = REC_BATCH_HALF;
	from = seen->read_turn == turn ? seen->read_used : 0;
	if (used <= from)
		return;
	if (depth) {
		r->busy++;
		return;
	}
	if (used - from <= 1024 ? rec_read_chunk(r, &head, buffer, turn, from, used, 1024, other)
	    : used - from <= 8192 ? rec_read_chunk(r, &head, buffer, turn, from, used, 8192, other)
				  : rec_read_chunk(r, &head, buffer, turn, from, used,
						   REC_BATCH_HALF, other))
		return;
	seen->read_turn = turn;
	seen->read_used = used;
}

/* One step of the walk: the next list's head, or the next buffer. */
static __always_inline long rec_read_step(struct rec_read *r, const bool other)
{
	struct usdt_record_root *root;
	__u32 index = r->root;

	if (r->buffer) {
		rec_read_buffer(r, other);
		return 0;
	}
	root = bpf_map_lookup_elem(&record_roots, &index);
	if (!root || !root->addr)
		return 1;
	r->root = index + 1;
	r->runtime = root->runtime;
	if (root->pid != record_control.pid) {
		r->buffer = 0;
		return 0;
	}
	root->err = rec_read_user(r, &r->buffer, 8, root->addr + 8, other);
	root->head = r->buffer;
	if (root->err)
		r->buffer = 0;
	else
		record_count(USDT_RECORD_READ_LISTS, 1);
	return 0;
}

static long rec_read_step_task(__u32 index, void *data)
{
	(void)index;
	return rec_read_step(data, true);
}

static long rec_read_step_current(__u32 index, void *data)
{
	(void)index;
	return rec_read_step(data, false);
}

#define REC_READ_STEPS (1u << 16) /* lists and buffers in all */

SEC("iter.s/task")
int record_read(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct rec_read r = { .kind = USDT_RECORD_READ };

	rec_read_unknown(&r);
	if (!task || task->tgid != (int)record_control.pid ||
	    record_control.done == record_control.round)
		return 0;
	record_control.done = record_control.round;
	r.task = task;
	if (record_control.stop)
		r.kind = USDT_RECORD_READ_STOP;
	record_count(USDT_RECORD_READ_WALKS, 1);
	bpf_loop(REC_READ_STEPS, rec_read_step_task, &r, 0);
	record_control.busy = r.busy;
	return 0;
}

/* Every buffer not read yet, from a thread of the process on its way out,
 * through the memory it shares with the others. */
static __always_inline __u32 rec_read_ending(void)
{
	struct rec_read r = { .kind = USDT_RECORD_READ_EXIT };

	rec_read_unknown(&r);
	record_count(USDT_RECORD_READ_WALKS, 1);
	bpf_loop(REC_READ_STEPS, rec_read_step_current, &r, 0);
	return r.busy;
}

/* The process exits (exit, _exit, return from main): the other threads are
 * still alive. Final: a buffer mid-fire then is read again at that thread's
 * exit if the kernel still has its memory there (below), else lost. */
static __always_inline int rec_read_exit(void)
{
	record_control.exit_busy = rec_read_ending();
	record_control.exit_read = !record_control.exit_busy;
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_exit_group")
int record_exit_group(void *ctx)
{
	(void)ctx;
	if (bpf_get_current_pid_tgid() >> 32 != record_control.pid || record_control.exit_read)
		return 0;
	return rec_read_exit();
}

/* A thread's exit once the process is exiting (also by a fatal signal,
 * SIGKILL included): from Linux 6.16 sched_process_exit comes before the
 * thread lets go of its memory; before, there is none to read here. */
SEC("tracepoint/sched/sched_process_exit")
int record_thread_exit(void *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	(void)ctx;
	if (bpf_get_current_pid_tgid() >> 32 != record_control.pid || record_control.exit_read ||
	    !BPF_CORE_READ(task, mm) ||
	    !(BPF_CORE_READ(task, signal, flags) & REC_SIGNAL_GROUP_EXIT))
		return 0;
	return rec_read_exit();
}

/* An exec: every buffer, while the other threads are alive (the exec may
 * still fail, and the process go on). */
static __always_inline int rec_read_exec(void)
{
	if (bpf_get_current_pid_tgid() >> 32 == record_control.pid)
		rec_read_ending();
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_execve")
int record_execve(void *ctx)
{
	(void)ctx;
	return rec_read_exec();
}

SEC("tracepoint/syscalls/sys_enter_execveat")
int record_execveat(void *ctx)
{
	(void)ctx;
	return rec_read_exec();
}

SEC("uprobe")
int record_companion(struct pt_regs *ctx)
{
	(void)ctx;
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
