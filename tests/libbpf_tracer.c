/* libbpf_tracer: a second real USDT tracer for the tests, built on libbpf,
 * because bpftrace 0.17 reads only USDT arguments 0 to 5 and a probe has up to
 * 12. It attaches libbpf_tracer.bpf.o to one probe of one process and prints
 * what every fire carried.
 *
 * Usage:
 *   libbpf_tracer BPF_OBJECT PID BINARY_PATH PROVIDER NAME STOP_PROVIDER STOP_NAME
 *                 [--strings MASK] [--quiet]
 *
 * BINARY_PATH is the ELF file holding the probes: an executable, a shared
 * library or a /proc/PID/fd/N path of a memfd. PID -1 traces every process.
 * Bit i of MASK (decimal, or 0x... hex) marks argument i as a C string.
 *
 * Output on stdout:
 *   attached                      once both probes are attached
 *   fire N A0 A1 ... A(N-1)       per fire of PROVIDER:NAME, unless --quiet
 *   count C dropped D             when STOP_PROVIDER:STOP_NAME fires
 * Each Ai is a signed 64-bit decimal; a string argument is "text" (at most 63
 * bytes; `"`, `\` and bytes outside printable ASCII escaped C-style as \", \\
 * and \xHH); an argument that could not be read is `?`. C counts every fire,
 * D those whose event the ring buffer had no room for, so C - D fire lines.
 *
 * Exit status: 0 after the stop probe, 1 on error, 2 if the stop probe has not
 * fired within 120 s.
 *
 * Build: cc -O2 -Wall -o libbpf_tracer libbpf_tracer.c -lbpf -lelf -lz */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

/* Must match libbpf_tracer.bpf.c. */
#define TRACER_MAX_ARGS 12
#define TRACER_STR_LEN 64

enum tracer_counter {
	TRACER_FIRES,
	TRACER_DROPS,
	TRACER_STOPPED,
	TRACER_COUNTERS,
};

struct tracer_event {
	int32_t arg_cnt;
	uint16_t unreadable;
	int64_t args[TRACER_MAX_ARGS];
	char strs[TRACER_MAX_ARGS][TRACER_STR_LEN];
};

#define TRACER_TIMEOUT_SECONDS 120
#define TRACER_POLL_MS 50 /* how often the stop flag, the clock and the target are checked */

enum tracer_exit { TRACER_EXIT_OK, TRACER_EXIT_ERROR, TRACER_EXIT_TIMEOUT };

struct tracer_options {
	const char *object_path;
	int pid;
	const char *binary_path;
	const char *provider, *name;
	const char *stop_provider, *stop_name;
	unsigned long string_mask;
	int quiet;
};

static volatile sig_atomic_t tracer_interrupted;

static void tracer_on_signal(int signo)
{
	(void)signo;
	tracer_interrupted = 1;
}

/* libbpf's info and debug chatter would bury the tracer's own output. */
static int tracer_libbpf_log(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level != LIBBPF_WARN)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static void tracer_usage(void)
{
	fprintf(stderr, "usage: libbpf_tracer BPF_OBJECT PID BINARY_PATH PROVIDER NAME "
			"STOP_PROVIDER STOP_NAME [--strings MASK] [--quiet]\n");
}

static int tracer_parse_args(int argc, char **argv, struct tracer_options *opt)
{
	const char *positional[7];
	int npositional = 0;
	char *end;
	long pid;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quiet") == 0) {
			opt->quiet = 1;
		} else if (strcmp(argv[i], "--strings") == 0) {
			if (++i == argc) {
				fprintf(stderr, "libbpf_tracer: --strings needs a MASK\n");
				return -1;
			}
			errno = 0;
			opt->string_mask = strtoul(argv[i], &end, 0);
			if (errno || end == argv[i] || *end ||
			    opt->string_mask >> TRACER_MAX_ARGS) {
				fprintf(stderr,
					"libbpf_tracer: bad --strings mask '%s' (bits 0 to %d only)\n",
					argv[i], TRACER_MAX_ARGS - 1);
				return -1;
			}
		} else if (npositional < 7) {
			positional[npositional++] = argv[i];
		} else {
			fprintf(stderr, "libbpf_tracer: unexpected argument '%s'\n", argv[i]);
			return -1;
		}
	}
	if (npositional < 7) {
		tracer_usage();
		return -1;
	}
	opt->object_path = positional[0];
	errno = 0;
	pid = strtol(positional[1], &end, 10);
	if (errno || end == positional[1] || *end || pid < -1 || pid == 0 || pid > INT32_MAX) {
		fprintf(stderr, "libbpf_tracer: bad PID '%s'\n", positional[1]);
		return -1;
	}
	opt->pid = (int)pid;
	opt->binary_path = positional[2];
	opt->provider = positional[3];
	opt->name = positional[4];
	opt->stop_provider = positional[5];
	opt->stop_name = positional[6];
	return 0;
}

/* Without a generated skeleton, a `const volatile` variable is set by finding
 * its offset in the object's BTF and rewriting .rodata's initial image. */
static int tracer_set_rodata_u32(struct bpf_object *obj, const char *var, uint32_t value)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, ".rodata");
	const struct btf *btf = bpf_object__btf(obj);
	const struct btf_var_secinfo *secinfo;
	const struct btf_type *sec;
	const void *image;
	size_t size;
	int sec_id;

	sec_id = btf ? btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC) : -1;
	if (!map || sec_id < 0) {
		fprintf(stderr, "libbpf_tracer: BPF object has no .rodata with BTF\n");
		return -1;
	}
	image = bpf_map__initial_value(map, &size);
	sec = btf__type_by_id(btf, sec_id);
	secinfo = btf_var_secinfos(sec);
	for (int i = 0; i < btf_vlen(sec); i++, secinfo++) {
		const struct btf_type *t = btf__type_by_id(btf, secinfo->type);
		char *copy;
		int err;

		if (strcmp(btf__name_by_offset(btf, t->name_off), var) != 0)
			continue;
		if (secinfo->size != sizeof(value) || secinfo->offset + sizeof(value) > size) {
			fprintf(stderr, "libbpf_tracer: %s is not a 32-bit variable\n", var);
			return -1;
		}
		copy = malloc(size);
		if (!copy) {
			perror("libbpf_tracer: malloc");
			return -1;
		}
		memcpy(copy, image, size);
		memcpy(copy + secinfo->offset, &value, sizeof(value));
		err = bpf_map__set_initial_value(map, copy, size);
		free(copy);
		if (err) {
			fprintf(stderr, "libbpf_tracer: cannot set %s: %s\n", var, strerror(-err));
			return -1;
		}
		return 0;
	}
	fprintf(stderr, "libbpf_tracer: BPF object has no variable %s\n", var);
	return -1;
}

static void tracer_print_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c > 0x7e)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* Ring buffer callback: one line per fire. A negative return stops polling
 * and is returned by ring_buffer__poll(). */
static int tracer_on_event(void *ctx, void *data, size_t size)
{
	const struct tracer_options *opt = ctx;
	const struct tracer_event *event = data;
	size_t want = opt->string_mask ? sizeof(*event) : offsetof(struct tracer_event, strs);

	if (size < want) {
		fprintf(stderr, "libbpf_tracer: short event (%zu bytes, want %zu): "
				"BPF object and loader disagree\n", size, want);
		return -EINVAL;
	}
	if (event->arg_cnt < 0 || event->arg_cnt > TRACER_MAX_ARGS) {
		fprintf(stderr, "libbpf_tracer: bpf_usdt_arg_cnt() gave %d: libbpf lost the "
				"probe's argument spec\n", event->arg_cnt);
		return -EINVAL;
	}
	if (opt->quiet)
		return 0;
	printf("fire %d", event->arg_cnt);
	for (int i = 0; i < event->arg_cnt; i++) {
		putchar(' ');
		if (event->unreadable & (1u << i))
			putchar('?');
		else if (opt->string_mask & (1ul << i))
			tracer_print_string(event->strs[i]);
		else
			printf("%lld", (long long)event->args[i]);
	}
	putchar('\n');
	return 0;
}

static int tracer_read_counter(const struct bpf_map *counters, uint32_t which, uint64_t *value)
{
	int err = bpf_map__lookup_elem(counters, &which, sizeof(which), value, sizeof(*value), 0);

	if (err)
		fprintf(stderr, "libbpf_tracer: cannot read counter %u: %s\n", which,
			strerror(-err));
	return err;
}

/* True once the target has exited; a zombie counts as exited, since a test
 * harness that has not reaped it yet still holds its PID. */
static int tracer_target_gone(int pid)
{
	char path[64], buf[512], *state;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return errno == ENOENT || errno == ESRCH;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name may itself hold ") ", so the state follows the last ')'. */
	state = strrchr(buf, ')');
	return state && (state[2] == 'Z' || state[2] == 'X');
}

static struct bpf_link *tracer_attach(struct bpf_object *obj, const char *prog_name,
				      const struct tracer_options *opt, const char *provider,
				      const char *name)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(obj, prog_name);
	struct bpf_link *link;

	if (!prog) {
		fprintf(stderr, "libbpf_tracer: BPF object has no program %s\n", prog_name);
		return NULL;
	}
	link = bpf_program__attach_usdt(prog, opt->pid, opt->binary_path, provider, name, NULL);
	/* libbpf says ENOENT both for a missing file and for a missing probe. */
	if (!link)
		fprintf(stderr, "libbpf_tracer: cannot attach to USDT %s:%s in %s (pid %d): %s%s\n",
			provider, name, opt->binary_path, opt->pid, strerror(errno),
			errno == ENOENT ? " (no such file, or no such probe in it)" : "");
	return link;
}

static double tracer_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Polls until the stop probe has fired, then drains and prints the totals. */
static int tracer_run(const struct tracer_options *opt, struct ring_buffer *rb,
		      const struct bpf_map *counters)
{
	const double deadline = tracer_now() + TRACER_TIMEOUT_SECONDS;
	uint64_t stopped, fires, drops;
	int err, gone;

	for (;;) {
		err = ring_buffer__poll(rb, TRACER_POLL_MS);
		fflush(stdout);
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "libbpf_tracer: polling the ring buffer: %s\n",
				strerror(-err));
			return TRACER_EXIT_ERROR;
		}
		if (tracer_interrupted) {
			fprintf(stderr, "libbpf_tracer: interrupted before %s:%s fired\n",
				opt->stop_provider, opt->stop_name);
			return TRACER_EXIT_ERROR;
		}
		/* Look at the target before the flag: a target that fires the stop
		 * probe and exits has set the flag by the time it is gone. */
		gone = opt->pid > 0 && tracer_target_gone(opt->pid);
		if (tracer_read_counter(counters, TRACER_STOPPED, &stopped))
			return TRACER_EXIT_ERROR;
		if (stopped)
			break;
		if (gone) {
			fprintf(stderr, "libbpf_tracer: process %d exited before %s:%s fired\n",
				opt->pid, opt->stop_provider, opt->stop_name);
			return TRACER_EXIT_ERROR;
		}
		if (tracer_now() > deadline) {
			fprintf(stderr, "libbpf_tracer: %s:%s did not fire within %d s\n",
				opt->stop_provider, opt->stop_name, TRACER_TIMEOUT_SECONDS);
			return TRACER_EXIT_TIMEOUT;
		}
	}
	err = ring_buffer__consume(rb);
	if (err < 0) {
		fprintf(stderr, "libbpf_tracer: draining the ring buffer: %s\n", strerror(-err));
		return TRACER_EXIT_ERROR;
	}
	if (tracer_read_counter(counters, TRACER_FIRES, &fires) ||
	    tracer_read_counter(counters, TRACER_DROPS, &drops))
		return TRACER_EXIT_ERROR;
	printf("count %llu dropped %llu\n", (unsigned long long)fires, (unsigned long long)drops);
	fflush(stdout);
	return TRACER_EXIT_OK;
}

int main(int argc, char **argv)
{
	const struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };
	struct tracer_options opt = { 0 };
	struct bpf_link *fire_link = NULL, *stop_link = NULL;
	struct ring_buffer *rb = NULL;
	struct bpf_object *obj;
	struct sigaction sa = { .sa_handler = tracer_on_signal };
	const struct bpf_map *counters;
	int ret = TRACER_EXIT_ERROR, err;

	if (tracer_parse_args(argc, argv, &opt))
		return TRACER_EXIT_ERROR;
	libbpf_set_print(tracer_libbpf_log);
	/* Kernels before 5.11 charge BPF maps to RLIMIT_MEMLOCK; later ones use
	 * memory cgroups, so a failure here is harmless. */
	setrlimit(RLIMIT_MEMLOCK, &unlimited);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	obj = bpf_object__open_file(opt.object_path, NULL);
	if (!obj) {
		fprintf(stderr, "libbpf_tracer: cannot open BPF object %s: %s\n", opt.object_path,
			strerror(errno));
		return TRACER_EXIT_ERROR;
	}
	if (tracer_set_rodata_u32(obj, "tracer_string_mask", (uint32_t)opt.string_mask))
		goto out;
	err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "libbpf_tracer: cannot load BPF object %s: %s\n", opt.object_path,
			strerror(-err));
		goto out;
	}
	counters = bpf_object__find_map_by_name(obj, "tracer_counters");
	if (!counters) {
		fprintf(stderr, "libbpf_tracer: BPF object has no map tracer_counters\n");
		goto out;
	}
	rb = ring_buffer__new(bpf_object__find_map_fd_by_name(obj, "tracer_events"),
			      tracer_on_event, &opt, NULL);
	if (!rb) {
		fprintf(stderr, "libbpf_tracer: cannot open ring buffer tracer_events: %s\n",
			strerror(errno));
		goto out;
	}
	fire_link = tracer_attach(obj, "tracer_fire", &opt, opt.provider, opt.name);
	if (!fire_link)
		goto out;
	stop_link = tracer_attach(obj, "tracer_stop", &opt, opt.stop_provider, opt.stop_name);
	if (!stop_link)
		goto out;
	printf("attached\n");
	fflush(stdout);
	ret = tracer_run(&opt, rb, counters);
out:
	/* Destroying the links detaches the uprobes, which is what sets the
	 * probes' semaphores back to zero. */
	bpf_link__destroy(stop_link);
	bpf_link__destroy(fire_link);
	ring_buffer__free(rb);
	bpf_object__close(obj);
	return ret;
}
