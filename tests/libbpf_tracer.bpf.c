/* BPF side of libbpf_tracer: reads every argument (up to 12) of one USDT
 * probe through libbpf's USDT support, which bpftrace 0.17 cannot do past
 * argument 5. Loaded by libbpf_tracer.c; see there for the output format.
 *
 * Build: clang -O2 -g -target bpf -D__TARGET_ARCH_x86 \
 *            -I/usr/include/x86_64-linux-gnu -c libbpf_tracer.bpf.c
 * The -I is where Debian keeps <asm/...>, which clang -target bpf does not
 * search by itself. For arm64: -D__TARGET_ARCH_arm64 and
 * -I/usr/include/aarch64-linux-gnu on an arm64 host, or on another host
 * -I/usr/aarch64-linux-gnu/include (linux-libc-dev-arm64-cross). */
#include <stdbool.h> /* usdt.bpf.h uses bool without including it */
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/usdt.bpf.h>

/* Shared with libbpf_tracer.c, which keeps its own copy of these. */
#define TRACER_MAX_ARGS 12 /* the most sys/sdt.h and libbpf support */
#define TRACER_STR_LEN 64

enum tracer_counter {
	TRACER_FIRES,   /* fires of the traced probe, delivered or not */
	TRACER_DROPS,   /* fires whose event did not fit in the ring buffer */
	TRACER_STOPPED, /* nonzero once the stop probe has fired */
	TRACER_COUNTERS,
};

struct tracer_event {
	/* bpf_usdt_arg_cnt(): negative if libbpf could not find the probe's
	 * argument spec, which the loader reports as an error. */
	__s32 arg_cnt;
	/* Bit i set: argument i (or its string) could not be read. */
	__u16 unreadable;
	__s64 args[TRACER_MAX_ARGS];
	/* Present only when tracer_string_mask is nonzero. */
	char strs[TRACER_MAX_ARGS][TRACER_STR_LEN];
};

/* Bit i set: argument i is a `const char *` to read as a string. Set by the
 * loader before load; being read-only, the verifier sees it as a constant
 * and prunes the string reads that are not asked for. */
const volatile __u32 tracer_string_mask = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 * 1024 * 1024);
} tracer_events SEC(".maps");

/* An array rather than globals so the loader can read each counter by index
 * without knowing the layout of .bss. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TRACER_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} tracer_counters SEC(".maps");

static __always_inline void tracer_count(__u32 which)
{
	__u64 *counter = bpf_map_lookup_elem(&tracer_counters, &which);

	/* Atomic: the target may fire from several CPUs at once. */
	if (counter)
		__sync_fetch_and_add(counter, 1);
}

SEC("usdt")
int tracer_fire(struct pt_regs *ctx)
{
	/* Without strings the record is only its head, so the ring buffer holds
	 * about eight times as many events before it has to drop any. */
	const __u64 size = tracer_string_mask ? sizeof(struct tracer_event)
					       : offsetof(struct tracer_event, strs);
	struct tracer_event *event;
	int arg_cnt;

	tracer_count(TRACER_FIRES);
	event = bpf_ringbuf_reserve(&tracer_events, size, 0);
	if (!event) {
		tracer_count(TRACER_DROPS);
		return 0;
	}
	arg_cnt = bpf_usdt_arg_cnt(ctx);
	event->arg_cnt = arg_cnt;
	event->unreadable = 0;
	/* Slots past arg_cnt are left unwritten: the loader never reads them. */
	for (int i = 0; i < TRACER_MAX_ARGS && i < arg_cnt; i++) {
		long value;

		/* On failure bpf_usdt_arg() sets value to 0. */
		if (bpf_usdt_arg(ctx, i, &value) != 0)
			event->unreadable |= 1 << i;
		event->args[i] = value;
		if ((tracer_string_mask & (1u << i)) &&
		    bpf_probe_read_user_str(event->strs[i], TRACER_STR_LEN,
					    (const void *)value) < 0)
			event->unreadable |= 1 << i;
	}
	bpf_ringbuf_submit(event, 0);
	return 0;
}

SEC("usdt")
int tracer_stop(struct pt_regs *ctx)
{
	/* The loader polls this flag rather than waiting for a ring buffer
	 * record, which could be dropped when the buffer is full. */
	tracer_count(TRACER_STOPPED);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
