/* usdt-record: records batched USDT probes of a live process.
 *
 *   usdt-record [-p PID | -c 'CMD ARGS'] [-d SECONDS] [--count | --hist ARGN |
 *               --json FILE] [--buffer-size MIB] PATTERN...
 *
 * PATTERN is provider:name with shell globs. The tool finds every object the
 * process maps (/proc/PID/maps; memfds and deleted files through
 * /proc/PID/map_files), attaches the flush probe usdt_batch:flush of each
 * batching runtime and the companion note of each matching probe, whose
 * semaphore switches batching on for that probe. The runtime then hands over
 * each thread's buffer of events at the flush probe, whose BPF handler
 * (usdt-record.bpf.c) copies it into a ring buffer. See docs/batching.md for
 * the records and the output formats.
 *
 * Exit status: 0, 1 on a failure of the machine (BPF, memory), 2 on bad input:
 * no such process, no probe matches, no batching runtime, not permitted. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <gelf.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <wordexp.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "usdt-record.h"
#include "usdt-record.bpf.h" /* usdt_record_bpf[] and usdt_record_guarded_bpf[]: usdt-record.bpf.c compiled */

#define REC_EXIT_FAILURE 1
#define REC_EXIT_BAD_INPUT 2
#define REC_SCAN_MS 100  /* how often the process's mappings are read again */
#define REC_DRAIN_MS 200 /* flush probes stay attached this long after companions go */
#define REC_READ_MS 30   /* how often buffers of idle threads are read from outside */
#define REC_STOP_TRIES 20 /* reads at the stop while a buffer is mid-fire, 10 ms apart */
#define REC_MAX_ARGS 12
#define REC_EVENT_HEAD 24 /* size, kind, argc, strmask, zero, id, ticks */

enum rec_output { REC_TEXT, REC_COUNT, REC_HIST, REC_JSON };

struct rec_note {
	char *provider, *name;
	uint64_t pc, sem; /* link-time addresses, .stapsdt.base applied */
};

/* One ELF file mapped by the process (or, with -c, about to be). */
struct rec_object {
	dev_t dev;
	ino_t ino;
	char *path; /* what the uprobes are attached through */
	struct rec_note *notes;
	size_t nnotes;
	GElf_Phdr *loads;
	size_t nloads;
	/* address in the process = link-time address + bias, one bias per
	 * time the file is loaded (one provider file can be loaded twice) */
	uint64_t *biases;
	size_t nbiases, biases_room;
	int runtime;   /* has a flush probe, attached */
};

/* A probe whose companion is attached: its events carry id = sem + bias. */
struct rec_probe {
	char *name; /* provider:name */
	size_t object;
	uint64_t sem;
};

/* Per-probe totals of --count and --hist, by id while recording. */
struct rec_stat {
	uint64_t id;
	uint64_t count;
	uint64_t negative, missing, buckets[65]; /* [0] is the value 0 */
};

/* One thread buffer: what of its last halves has arrived (a read from
 * outside takes part of a half, the flush then repeats it), and its drops. */
struct rec_buffer {
	uint32_t pid;
	uint64_t addr;
	uint64_t turn[4], taken[4]; /* by turn & 3: turn + 1 (0: none), bytes arrived */
	uint64_t dropped;           /* the last cumulative count */
};

/* The events of one thread from one runtime, in the order they were recorded. */
struct rec_stream {
	uint32_t pid, tid, runtime;
	uint64_t dropped; /* the last cumulative count the runtime reported */
	uint64_t last_key;
};

struct rec_event {
	uint64_t key; /* the ticks, raised to keep a stream's order */
	uint64_t ns;
	uint32_t stream;
	uint32_t pid, tid;
	size_t seq;
	const uint8_t *record;
};

struct rec_clock_pair {
	uint64_t ns, ticks;
};

static struct {
	/* options */
	int pid;
	char *command;
	double duration;
	enum rec_output output;
	int hist_arg;
	const char *json_path;
	unsigned long ring_mib;
	char **patterns;
	int npatterns;

	/* BPF */
	struct bpf_object *bpf;
	struct bpf_program *flush_prog, *companion_prog, *read_prog;
	struct bpf_link *read_link;
	struct bpf_link *ending_links[8]; /* reads at the process's exit and exec */
	size_t nending_links;
	struct bpf_map *roots;
	volatile struct usdt_record_control *control;
	uint64_t *root_addrs; /* the lists the BPF side walks, in its order */
	size_t nroots;
	struct ring_buffer *ring;
	struct bpf_map *counters;
	struct bpf_link **flush_links, **companion_links;
	size_t nflush_links, ncompanion_links;

	/* what the process holds */
	struct rec_object *objects;
	size_t nobjects;
	struct rec_probe *probes;
	size_t nprobes;
	size_t unbatchable; /* matching probe notes without a companion note */
	pid_t child;
	int child_status;

	/* what arrived */
	struct usdt_record_flush **flushes;
	size_t nflushes;
	struct rec_stream *streams;
	size_t nstreams;
	struct rec_buffer *buffers;
	size_t nbuffers;
	uint64_t kind_events[USDT_RECORD_READ_STOP + 1]; /* events by how they arrived */
	uint64_t repeated; /* chunks whose every byte had arrived before */
	uint32_t stop_busy; /* buffers mid-fire at the last read of the stop */
	int read_failed;
	struct rec_stat *stats; /* open addressing by id, nstats_room slots */
	size_t nstats, nstats_room;
	uint64_t events, malformed, unreadable;
	double ns_per_tick;
	struct rec_clock_pair first; /* the tool's own (ns, ticks) at its start */
} rec;

static volatile sig_atomic_t rec_stop;

static void rec_on_signal(int signo)
{
	(void)signo;
	rec_stop = 1;
}

static void rec_say(const char *fmt, va_list args)
{
	fputs("usdt-record: ", stderr);
	vfprintf(stderr, fmt, args);
	fputc('\n', stderr);
}

static void rec_error(const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	rec_say(fmt, args);
	va_end(args);
}

/* Says why and exits, killing a command of -c that is still waiting. */
static void rec_die(int status, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	rec_say(fmt, args);
	va_end(args);
	if (rec.child > 0)
		kill(rec.child, SIGKILL);
	exit(status);
}

/* Growable arrays: *items has room for *room; make room for one more. */
static void *rec_grow(void *items, size_t count, size_t *room, size_t size)
{
	if (count < *room)
		return items;
	*room = *room ? *room * 2 : 16;
	items = realloc(items, *room * size);
	if (!items)
		rec_die(REC_EXIT_FAILURE, "out of memory");
	return items;
}

static char *rec_strdup(const char *s)
{
	char *copy = strdup(s);

	if (!copy)
		rec_die(REC_EXIT_FAILURE, "out of memory");
	return copy;
}

static uint64_t rec_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- Ticks to CLOCK_MONOTONIC: the TSC rate, measured over the whole run ---- */

/* A (CLOCK_MONOTONIC, TSC) pair: of 16 tries, the one whose two clock
 * reads around the TSC read were closest (not preempted). */
static struct rec_clock_pair rec_clock_sample(void)
{
	struct rec_clock_pair pair = { 0, 0 };
#if defined(__x86_64__)
	uint64_t best = UINT64_MAX;

	for (int i = 0; i < 16; i++) {
		uint64_t before = rec_now_ns(), ticks = __builtin_ia32_rdtsc(), after = rec_now_ns();

		if (after - before < best) {
			best = after - before;
			pair = (struct rec_clock_pair){ before + best / 2, ticks };
		}
	}
#endif
	return pair;
}

/* ---- The stapsdt notes and load segments of one ELF file ---- */

static int rec_read_elf(int fd, struct rec_object *obj)
{
	size_t nphdr, shstrndx, notes_room = 0, loads_room = 0;
	uint64_t base = 0, *note_bases = NULL;
	size_t bases_room = 0;
	int have_base = 0, is64;
	Elf_Scn *scn = NULL;
	GElf_Ehdr ehdr;
	Elf *elf;

	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &ehdr) ||
	    elf_getphdrnum(elf, &nphdr) || elf_getshdrstrndx(elf, &shstrndx)) {
		elf_end(elf);
		return -1;
	}
	is64 = gelf_getclass(elf) == ELFCLASS64;
	for (size_t i = 0; i < nphdr; i++) {
		GElf_Phdr phdr;

		if (!gelf_getphdr(elf, (int)i, &phdr) || phdr.p_type != PT_LOAD)
			continue;
		obj->loads = rec_grow(obj->loads, obj->nloads, &loads_room, sizeof(phdr));
		obj->loads[obj->nloads++] = phdr;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;
		Elf_Data *data;
		GElf_Shdr shdr;
		GElf_Nhdr nhdr;
		size_t offset = 0, name_off, desc_off, next;

		if (!gelf_getshdr(scn, &shdr))
			continue;
		name = elf_strptr(elf, shstrndx, shdr.sh_name);
		if (name && strcmp(name, ".stapsdt.base") == 0) {
			base = shdr.sh_addr;
			have_base = 1;
		}
		if (shdr.sh_type != SHT_NOTE || !name || strcmp(name, ".note.stapsdt") != 0 ||
		    !(data = elf_getdata(scn, NULL)))
			continue;
		while ((next = gelf_getnote(data, offset, &nhdr, &name_off, &desc_off)) > 0) {
			const char *desc = (const char *)data->d_buf + desc_off;
			size_t width = is64 ? 8 : 4, strings = 3 * width;
			uint64_t addr[3] = { 0, 0, 0 };
			struct rec_note note;
			const char *provider, *probe;

			offset = next;
			if (nhdr.n_type != 3 || nhdr.n_namesz != 8 ||
			    memcmp((const char *)data->d_buf + name_off, "stapsdt", 8) != 0 ||
			    nhdr.n_descsz < strings + 2 || desc[nhdr.n_descsz - 1] != '\0')
				continue;
			for (int i = 0; i < 3; i++)
				memcpy(&addr[i], desc + i * width, width); /* little-endian hosts */
			provider = desc + strings;
			probe = provider + strlen(provider) + 1;
			if (probe >= desc + nhdr.n_descsz)
				continue;
			note.provider = rec_strdup(provider);
			note.name = rec_strdup(probe);
			note.pc = addr[0];
			note.sem = addr[2];
			note_bases = rec_grow(note_bases, obj->nnotes, &bases_room, sizeof(uint64_t));
			note_bases[obj->nnotes] = addr[1];
			obj->notes = rec_grow(obj->notes, obj->nnotes, &notes_room, sizeof(note));
			obj->notes[obj->nnotes++] = note;
		}
	}
	/* Tracers shift every address by .stapsdt.base's move since the note
	 * was written (prelinking). */
	for (size_t i = 0; have_base && i < obj->nnotes; i++) {
		obj->notes[i].pc += base - note_bases[i];
		if (obj->notes[i].sem)
			obj->notes[i].sem += base - note_bases[i];
	}
	free(note_bases);
	elf_end(elf);
	return 0;
}

static int rec_file_offset(const struct rec_object *obj, uint64_t addr, uint64_t *offset)
{
	for (size_t i = 0; i < obj->nloads; i++) {
		const GElf_Phdr *load = &obj->loads[i];

		if (addr >= load->p_vaddr && addr - load->p_vaddr < load->p_filesz) {
			*offset = addr - load->p_vaddr + load->p_offset;
			return 0;
		}
	}
	return -1;
}

static void rec_add_bias(struct rec_object *obj, uint64_t bias)
{
	for (size_t i = 0; i < obj->nbiases; i++)
		if (obj->biases[i] == bias)
			return;
	obj->biases = rec_grow(obj->biases, obj->nbiases, &obj->biases_room, sizeof(bias));
	obj->biases[obj->nbiases++] = bias;
}

/* The load bias from one line of /proc/PID/maps: START maps file offset PGOFF. */
static void rec_bias_from_mapping(struct rec_object *obj, uint64_t start, uint64_t pgoff)
{
	const uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);

	for (size_t i = 0; i < obj->nloads; i++) {
		const GElf_Phdr *load = &obj->loads[i];

		if (pgoff >= (load->p_offset & ~(page - 1)) &&
		    pgoff < load->p_offset + load->p_filesz) {
			rec_add_bias(obj, start - (load->p_vaddr - load->p_offset + pgoff));
			return;
		}
	}
}

/* ---- Attaching ---- */

static int rec_matches(const char *name)
{
	for (int i = 0; i < rec.npatterns; i++)
		if (fnmatch(rec.patterns[i], name, 0) == 0)
			return 1;
	return 0;
}

static void rec_attach_failed(const char *what, const char *path)
{
	int err = errno;

	if (err == EPERM || err == EACCES)
		rec_die(REC_EXIT_BAD_INPUT, "not permitted to attach uprobes (run as root): %s in %s",
			what, path);
	rec_error("cannot attach %s in %s: %s", what, path, strerror(err));
}

static void rec_attach_flush(size_t index)
{
	struct rec_object *obj = &rec.objects[index];
	LIBBPF_OPTS(bpf_usdt_opts, opts, .usdt_cookie = index);
	static size_t room;
	struct bpf_link *link;

	link = bpf_program__attach_usdt(rec.flush_prog, rec.pid, obj->path, "usdt_batch", "flush",
					&opts);
	if (!link) {
		rec_attach_failed("usdt_batch:flush", obj->path);
		return;
	}
	rec.flush_links = rec_grow(rec.flush_links, rec.nflush_links, &room, sizeof(link));
	rec.flush_links[rec.nflush_links++] = link;
	obj->runtime = 1;
}

static const struct rec_note *rec_probe_of(const struct rec_object *obj,
					   const struct rec_note *companion)
{
	for (size_t i = 0; i < obj->nnotes; i++)
		if (obj->notes[i].sem == companion->sem - 2 &&
		    strcmp(obj->notes[i].provider, "usdt_batch") != 0)
			return &obj->notes[i];
	return NULL;
}

static int rec_has_companion(const struct rec_object *obj, const struct rec_note *probe)
{
	for (size_t i = 0; probe->sem && i < obj->nnotes; i++)
		if (obj->notes[i].sem == probe->sem + 2 &&
		    strcmp(obj->notes[i].provider, "usdt_batch") == 0)
			return 1;
	return 0;
}

static void rec_attach_companion(size_t index, const struct rec_note *companion,
				 const struct rec_note *probe)
{
	struct rec_object *obj = &rec.objects[index];
	static size_t links_room, probes_room;
	uint64_t pc_offset, sem_offset;
	struct bpf_link *link;
	char name[512];
	size_t i;

	snprintf(name, sizeof(name), "%s:%s", probe->provider, probe->name);
	if (rec_file_offset(obj, companion->pc, &pc_offset) ||
	    rec_file_offset(obj, companion->sem, &sem_offset)) {
		rec_error("companion of %s in %s is outside the file's segments", name, obj->path);
		return;
	}
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .ref_ctr_offset = sem_offset);
	link = bpf_program__attach_uprobe_opts(rec.companion_prog, rec.pid, obj->path, pc_offset,
					       &opts);
	if (!link) {
		rec_attach_failed(name, obj->path);
		return;
	}
	rec.companion_links = rec_grow(rec.companion_links, rec.ncompanion_links, &links_room,
				       sizeof(link));
	rec.companion_links[rec.ncompanion_links++] = link;
	/* Several companions of one probe (one per translation unit): one probe. */
	for (i = 0; i < rec.nprobes; i++)
		if (rec.probes[i].object == index && rec.probes[i].sem == probe->sem)
			return;
	rec.probes = rec_grow(rec.probes, rec.nprobes, &probes_room, sizeof(*rec.probes));
	rec.probes[rec.nprobes++] = (struct rec_probe){ rec_strdup(name), index, probe->sem };
}

/* A note of the flush probe usdt_batch:flush (one per unit of a runtime,
 * all with the runtime's flush semaphore). */
static int rec_is_flush(const struct rec_note *note)
{
	return strcmp(note->provider, "usdt_batch") == 0 && strcmp(note->name, "flush") == 0;
}

static void rec_attach_runtime(size_t index)
{
	const struct rec_object *obj = &rec.objects[index];

	for (size_t i = 0; i < obj->nnotes; i++)
		if (rec_is_flush(&obj->notes[i])) {
			rec_attach_flush(index);
			return;
		}
}

static void rec_attach_companions(size_t index)
{
	const struct rec_object *obj = &rec.objects[index];
	char name[512];

	for (size_t i = 0; i < obj->nnotes; i++) {
		const struct rec_note *note = &obj->notes[i], *probe;

		if (strcmp(note->provider, "usdt_batch") == 0) {
			if (strcmp(note->name, "flush") != 0 && note->sem > 2 &&
			    (probe = rec_probe_of(obj, note))) {
				snprintf(name, sizeof(name), "%s:%s", probe->provider, probe->name);
				if (rec_matches(name))
					rec_attach_companion(index, note, probe);
			}
			continue;
		}
		snprintf(name, sizeof(name), "%s:%s", note->provider, note->name);
		if (rec_matches(name) && !rec_has_companion(obj, note))
			rec.unbatchable++;
	}
}

/* The list of buffers of every runtime the tool knows the place of, for the
 * BPF side to read: the flush semaphore's address + 8 (usdt.h). */
static void rec_add_roots(void)
{
	static size_t room;

	for (size_t i = 0; i < rec.nobjects; i++) {
		const struct rec_object *obj = &rec.objects[i];
		const struct rec_note *flush = NULL;

		for (size_t n = 0; obj->runtime && !flush && n < obj->nnotes; n++)
			if (rec_is_flush(&obj->notes[n]))
				flush = &obj->notes[n];
		for (size_t b = 0; flush && flush->sem && b < obj->nbiases; b++) {
			struct usdt_record_root root = { flush->sem + obj->biases[b], (uint32_t)i,
							 (uint32_t)rec.pid, 0, 0 };
			uint32_t key = (uint32_t)rec.nroots;
			size_t k;

			for (k = 0; k < rec.nroots && rec.root_addrs[k] != root.addr; k++)
				;
			if (k < rec.nroots || rec.nroots == USDT_RECORD_MAX_ROOTS)
				continue;
			if (bpf_map__update_elem(rec.roots, &key, sizeof(key), &root, sizeof(root), 0))
				rec_die(REC_EXIT_FAILURE, "cannot update the BPF map of buffer lists");
			rec.root_addrs = rec_grow(rec.root_addrs, rec.nroots, &room, sizeof(root.addr));
			rec.root_addrs[rec.nroots++] = root.addr;
		}
	}
}

/* Objects first..nobjects are new: the flush probes of their runtimes
 * first, since a runtime drops what it records while its flush probe is
 * untraced. */
static void rec_attach_new(size_t first)
{
	for (size_t i = first; i < rec.nobjects; i++)
		rec_attach_runtime(i);
	for (size_t i = first; i < rec.nobjects; i++)
		rec_attach_companions(i);
}

static size_t rec_find_object(dev_t dev, ino_t ino)
{
	for (size_t i = 0; i < rec.nobjects; i++)
		if (rec.objects[i].dev == dev && rec.objects[i].ino == ino)
			return i;
	return SIZE_MAX;
}

static size_t rec_add_object(int fd, dev_t dev, ino_t ino, const char *path)
{
	static size_t room;
	struct rec_object obj = { .dev = dev, .ino = ino, .path = rec_strdup(path) };

	rec_read_elf(fd, &obj); /* not an ELF file: an object without notes */
	rec.objects = rec_grow(rec.objects, rec.nobjects, &room, sizeof(obj));
	rec.objects[rec.nobjects] = obj;
	return rec.nobjects++;
}

/* Reads /proc/PID/maps and attaches to every object not seen before.
 * Returns 0, or -errno when the maps cannot be read. */
static int rec_scan(void)
{
	char maps[64], *line = NULL;
	size_t line_room = 0, first = rec.nobjects;
	FILE *f;

	snprintf(maps, sizeof(maps), "/proc/%d/maps", rec.pid);
	f = fopen(maps, "re");
	if (!f)
		return -errno;
	while (getline(&line, &line_room, f) > 0) {
		unsigned long long start, end, pgoff, ino;
		unsigned int major, minor;
		char perms[8], path[96];
		size_t index;
		dev_t dev;
		int fd;

		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu", &start, &end, perms, &pgoff,
			   &major, &minor, &ino) != 7 || ino == 0)
			continue;
		dev = makedev(major, minor);
		index = rec_find_object(dev, (ino_t)ino);
		if (index == SIZE_MAX) {
			/* map_files reaches memfds and deleted files as well. */
			snprintf(path, sizeof(path), "/proc/%d/map_files/%llx-%llx", rec.pid, start,
				 end);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0) {
				if (errno == EPERM || errno == EACCES)
					rec_die(REC_EXIT_BAD_INPUT,
						"not permitted to open %s (run as root)", path);
				continue; /* unmapped meanwhile */
			}
			index = rec_add_object(fd, dev, (ino_t)ino, path);
			close(fd);
		}
		rec_bias_from_mapping(&rec.objects[index], start, pgoff);
	}
	free(line);
	fclose(f);
	rec_attach_new(first);
	rec_add_roots();
	return 0;
}

/* ---- What arrives: flushes of thread buffers ---- */

static struct rec_stream *rec_stream_of(const struct usdt_record_flush *flush, uint32_t *index)
{
	static size_t room, last;

	if (last < rec.nstreams && rec.streams[last].tid == flush->tid &&
	    rec.streams[last].pid == flush->pid && rec.streams[last].runtime == flush->runtime) {
		*index = (uint32_t)last;
		return &rec.streams[last];
	}
	for (last = 0; last < rec.nstreams; last++)
		if (rec.streams[last].tid == flush->tid && rec.streams[last].pid == flush->pid &&
		    rec.streams[last].runtime == flush->runtime) {
			*index = (uint32_t)last;
			return &rec.streams[last];
		}
	rec.streams = rec_grow(rec.streams, rec.nstreams, &room, sizeof(*rec.streams));
	rec.streams[rec.nstreams] = (struct rec_stream){ flush->pid, flush->tid, flush->runtime,
							 0, 0 };
	*index = (uint32_t)rec.nstreams;
	return &rec.streams[rec.nstreams++];
}

/* Bytes of a string argument of the given length after the arguments: its
 * bytes (none for NULL) and a NUL. */
static uint64_t rec_string_bytes(uint64_t len)
{
	return (len == UINT64_MAX ? 0 : len) + 1;
}

static int rec_strings_fit(const uint8_t *record, uint16_t size)
{
	uint64_t room = size - REC_EVENT_HEAD - 8u * record[3], len;
	uint16_t strmask;

	memcpy(&strmask, record + 4, 2);
	for (int i = 0; i < record[3]; i++) {
		if (!(strmask >> i & 1))
			continue;
		memcpy(&len, record + REC_EVENT_HEAD + 8 * i, 8);
		if (len != UINT64_MAX && len > 255)
			return 0;
		if (rec_string_bytes(len) > room)
			return 0;
		room -= rec_string_bytes(len);
	}
	return 1;
}

/* Each event of a flush's buffer: calls fn (if any) with the record. Returns
 * the count; adds 1 to *malformed if it stopped at a malformed record. */
static size_t rec_each_event(const struct usdt_record_flush *flush,
			     void (*fn)(const struct usdt_record_flush *, const uint8_t *, void *),
			     void *arg, uint64_t *malformed)
{
	size_t offset = 0, count = 0;

	while (offset + 8 <= flush->len) {
		const uint8_t *record = flush->data + offset;
		uint16_t size;

		memcpy(&size, record, 2);
		if (record[2] == 2)
			break;
		if (record[2] != 1 || size < REC_EVENT_HEAD || size % 8 || size > flush->len - offset ||
		    record[3] > REC_MAX_ARGS || REC_EVENT_HEAD + 8u * record[3] > size) {
			*malformed += 1;
			break;
		}
		if (!rec_strings_fit(record, size)) {
			*malformed += 1;
			break;
		}
		if (fn)
			fn(flush, record, arg);
		count++;
		offset += size;
	}
	return count;
}

static uint64_t rec_arg(const uint8_t *record, int i)
{
	uint64_t value;

	memcpy(&value, record + REC_EVENT_HEAD + 8 * i, 8);
	return value;
}

static uint64_t rec_id(const uint8_t *record)
{
	uint64_t id;

	memcpy(&id, record + 8, 8);
	return id;
}

static uint64_t rec_ticks(const uint8_t *record)
{
	uint64_t ticks;

	memcpy(&ticks, record + 16, 8);
	return ticks;
}

static struct rec_stat *rec_stat_of(uint64_t id)
{
	size_t i;

	if (2 * (rec.nstats + 1) > rec.nstats_room) {
		struct rec_stat *old = rec.stats;
		size_t old_room = rec.nstats_room;

		rec.nstats_room = old_room ? old_room * 2 : 64;
		rec.stats = calloc(rec.nstats_room, sizeof(*rec.stats));
		if (!rec.stats)
			rec_die(REC_EXIT_FAILURE, "out of memory");
		rec.nstats = 0;
		for (i = 0; i < old_room; i++)
			if (old[i].count)
				*rec_stat_of(old[i].id) = old[i];
		free(old);
	}
	for (i = (size_t)(id >> 3) % rec.nstats_room; rec.stats[i].count;
	     i = (i + 1) % rec.nstats_room)
		if (rec.stats[i].id == id)
			return &rec.stats[i];
	rec.stats[i].id = id;
	rec.nstats++;
	return &rec.stats[i];
}

static void rec_tally(const struct usdt_record_flush *flush, const uint8_t *record, void *arg)
{
	struct rec_stat *stat = rec_stat_of(rec_id(record));
	int64_t value;

	(void)flush;
	(void)arg;
	stat->count++;
	if (rec.output != REC_HIST)
		return;
	if (rec.hist_arg >= record[3]) {
		stat->missing++;
		return;
	}
	value = (int64_t)rec_arg(record, rec.hist_arg);
	if (value < 0)
		stat->negative++;
	else
		stat->buckets[value ? 64 - __builtin_clzll((uint64_t)value) : 0]++;
}

static struct rec_buffer *rec_buffer_of(uint32_t pid, uint64_t addr)
{
	static size_t room, last;

	if (last < rec.nbuffers && rec.buffers[last].addr == addr && rec.buffers[last].pid == pid)
		return &rec.buffers[last];
	for (last = 0; last < rec.nbuffers; last++)
		if (rec.buffers[last].addr == addr && rec.buffers[last].pid == pid)
			return &rec.buffers[last];
	rec.buffers = rec_grow(rec.buffers, rec.nbuffers, &room, sizeof(*rec.buffers));
	rec.buffers[rec.nbuffers] = (struct rec_buffer){ .pid = pid, .addr = addr };
	return &rec.buffers[rec.nbuffers++];
}

/* How many of a chunk's bytes arrived before: a flush repeats what reads
 * from outside took of its half (never a part of a record). Notes the
 * chunk's end as arrived. */
static uint32_t rec_arrived(const struct usdt_record_flush *chunk)
{
	struct rec_buffer *buffer = rec_buffer_of(chunk->pid, chunk->buffer);
	const unsigned slot = chunk->turn & 3;
	const uint64_t end = (uint64_t)chunk->offset + chunk->len;
	uint64_t before;

	if (chunk->dropped > buffer->dropped)
		buffer->dropped = chunk->dropped;
	if (buffer->turn[slot] != chunk->turn + 1) {
		buffer->turn[slot] = chunk->turn + 1;
		buffer->taken[slot] = 0;
	}
	before = buffer->taken[slot];
	if (end > before)
		buffer->taken[slot] = end;
	if (before <= chunk->offset)
		return 0;
	return before >= end ? chunk->len : (uint32_t)(before - chunk->offset);
}

static int rec_on_flush(void *ctx, void *data, size_t size)
{
	const struct usdt_record_flush *flush = data;
	struct rec_stream *stream;
	struct usdt_record_flush *copy;
	static size_t room;
	uint32_t index, skip = 0;
	size_t events;

	(void)ctx;
	if (size < sizeof(*flush) || flush->len > size - sizeof(*flush) ||
	    flush->kind < USDT_RECORD_FLUSH || flush->kind > USDT_RECORD_READ_STOP) {
		rec_error("short flush record from the BPF side (%zu bytes)", size);
		return -EINVAL;
	}
	stream = rec_stream_of(flush, &index);
	if (!flush->buffer && flush->dropped > stream->dropped)
		stream->dropped = flush->dropped; /* a runtime without its list: by thread */
	if (flush->len == 0) {
		rec.unreadable++;
		return 0;
	}
	/* A runtime's object not seen in the maps yet (-c, an executable that
	 * exits before a rescan): its load bias is where its flush site sits. */
	if (flush->ip && flush->runtime < rec.nobjects && !rec.objects[flush->runtime].nbiases) {
		struct rec_object *obj = &rec.objects[flush->runtime];

		for (size_t i = 0; i < obj->nnotes; i++)
			if (rec_is_flush(&obj->notes[i]) && (flush->ip - obj->notes[i].pc) % 4096 == 0) {
				rec_add_bias(obj, flush->ip - obj->notes[i].pc);
				rec_add_roots();
				break;
			}
	}
	if (flush->buffer)
		skip = rec_arrived(flush);
	if (skip == flush->len) {
		rec.repeated++;
		return 0;
	}
	if (skip == 0 && (rec.output == REC_COUNT || rec.output == REC_HIST)) {
		events = rec_each_event(flush, rec_tally, NULL, &rec.malformed);
		rec.events += events;
		rec.kind_events[flush->kind] += events;
		return 0;
	}
	copy = malloc(sizeof(*flush) + flush->len - skip);
	if (!copy)
		rec_die(REC_EXIT_FAILURE, "out of memory");
	*copy = *flush;
	copy->offset += skip;
	copy->len -= skip;
	memcpy(copy->data, flush->data + skip, copy->len);
	if (rec.output == REC_COUNT || rec.output == REC_HIST) {
		events = rec_each_event(copy, rec_tally, NULL, &rec.malformed);
		free(copy);
	} else {
		events = rec_each_event(copy, NULL, NULL, &rec.malformed);
		rec.flushes = rec_grow(rec.flushes, rec.nflushes, &room, sizeof(copy));
		rec.flushes[rec.nflushes++] = copy;
	}
	rec.events += events;
	rec.kind_events[flush->kind] += events;
	return 0;
}

/* ---- Names of ids ---- */

struct rec_name {
	uint64_t id;
	const char *name;
};

static struct rec_name *rec_names;
static size_t rec_nnames;

static int rec_compare_names(const void *a, const void *b)
{
	const struct rec_name *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static void rec_resolve_names(void)
{
	size_t n = 1;

	for (size_t i = 0; i < rec.nprobes; i++)
		n += rec.objects[rec.probes[i].object].nbiases;
	rec_names = calloc(n, sizeof(*rec_names));
	if (!rec_names)
		rec_die(REC_EXIT_FAILURE, "out of memory");
	for (size_t i = 0; i < rec.nprobes; i++) {
		const struct rec_object *obj = &rec.objects[rec.probes[i].object];

		for (size_t b = 0; b < obj->nbiases; b++)
			rec_names[rec_nnames++] = (struct rec_name){ rec.probes[i].sem + obj->biases[b],
								     rec.probes[i].name };
	}
	qsort(rec_names, rec_nnames, sizeof(*rec_names), rec_compare_names);
}

/* The probe's name, or NULL for an id the tool did not switch on. */
static const char *rec_name_of(uint64_t id)
{
	struct rec_name key = { id, NULL }, *found;

	found = bsearch(&key, rec_names, rec_nnames, sizeof(key), rec_compare_names);
	return found ? found->name : NULL;
}

/* ---- Output ---- */

/* TSC ticks to CLOCK_MONOTONIC: ns = base_ns + (ticks - base_ticks) * rate,
 * one line for the whole run (every thread, every runtime), the rate measured
 * by the tool over its run, base_ns the least any flush's anchor pair gives:
 * a flush preempted between reading its two clocks (ticks first) gives a late
 * anchor, never an early one. */
static struct rec_clock_pair rec_base;

static void rec_fit_clock(void)
{
	int have = 0;

	for (size_t i = 0; i < rec.nflushes; i++) {
		const struct usdt_record_flush *flush = rec.flushes[i];
		int64_t behind;
		uint64_t ns;

		if (flush->clock != 1 || flush->kind != USDT_RECORD_FLUSH)
			continue; /* reads from outside carry no anchor */
		if (!have) {
			rec_base = (struct rec_clock_pair){ flush->anchor_ns, flush->anchor_ticks };
			have = 1;
			continue;
		}
		behind = (int64_t)(flush->anchor_ticks - rec_base.ticks);
		ns = flush->anchor_ns - (uint64_t)(int64_t)((double)behind * rec.ns_per_tick);
		if (ns < rec_base.ns)
			rec_base.ns = ns;
	}
	if (!have)
		rec_base = rec.first; /* only reads from outside: the tool's own pair */
}

static uint64_t rec_ticks_to_ns(uint64_t ticks)
{
	int64_t since = (int64_t)(ticks - rec_base.ticks);

	return rec_base.ns + (uint64_t)(int64_t)((double)since * rec.ns_per_tick);
}

static uint64_t rec_event_ns(const struct usdt_record_flush *flush, const uint8_t *record)
{
	return flush->clock == 1 ? rec_ticks_to_ns(rec_ticks(record)) : rec_ticks(record);
}

/* Chunks of one buffer in the order of their bytes (a read from outside of
 * a half may arrive before the flush of the half before it), else as they
 * arrived. */
struct rec_chunk_order {
	struct usdt_record_flush *chunk;
	size_t arrival;
};

static int rec_compare_chunks(const void *a, const void *b)
{
	const struct rec_chunk_order *x = a, *y = b;
	const struct usdt_record_flush *p = x->chunk, *q = y->chunk;

	if (p->pid != q->pid)
		return p->pid < q->pid ? -1 : 1;
	if (p->buffer != q->buffer)
		return p->buffer < q->buffer ? -1 : 1;
	if (p->buffer && p->turn != q->turn)
		return p->turn < q->turn ? -1 : 1;
	if (p->buffer && p->offset != q->offset)
		return p->offset < q->offset ? -1 : 1;
	return x->arrival < y->arrival ? -1 : x->arrival > y->arrival;
}

static void rec_order_chunks(void)
{
	struct rec_chunk_order *order = malloc((rec.nflushes + 1) * sizeof(*order));

	if (!order)
		rec_die(REC_EXIT_FAILURE, "out of memory");
	for (size_t i = 0; i < rec.nflushes; i++)
		order[i] = (struct rec_chunk_order){ rec.flushes[i], i };
	qsort(order, rec.nflushes, sizeof(*order), rec_compare_chunks);
	for (size_t i = 0; i < rec.nflushes; i++)
		rec.flushes[i] = order[i].chunk;
	free(order);
}

static struct rec_event *rec_events_ordered(size_t *count)
{
	struct rec_event *events = malloc((rec.events + 1) * sizeof(*events));
	size_t n = 0;

	if (!events)
		rec_die(REC_EXIT_FAILURE, "out of memory");
	rec_order_chunks();
	for (size_t f = 0; f < rec.nflushes; f++) {
		const struct usdt_record_flush *flush = rec.flushes[f];
		uint64_t ignored = 0;
		size_t offset = 0, nrecords = rec_each_event(flush, NULL, NULL, &ignored);
		struct rec_stream *stream;
		uint32_t index;

		stream = rec_stream_of(flush, &index);
		for (size_t i = 0; i < nrecords; i++) {
			const uint8_t *record = flush->data + offset;
			struct rec_event *e = &events[n];
			uint64_t ticks;
			uint16_t size;

			memcpy(&size, record, 2);
			offset += size;
			if (!rec_name_of(rec_id(record)))
				continue; /* switched on by another consumer */
			ticks = rec_ticks(record);
			e->ns = rec_event_ns(flush, record);
			/* Sorted by ticks, one clock for all runtimes and threads (each
			 * flush's anchor pair is read a few ns apart, so converted
			 * times of two runtimes could swap close events). A signal
			 * handler's event may carry an earlier time than the one it
			 * interrupted: the stream's order wins. */
			e->key = ticks > stream->last_key ? ticks : stream->last_key;
			stream->last_key = e->key;
			e->stream = index;
			e->pid = flush->pid;
			e->tid = flush->tid;
			e->seq = n;
			e->record = record;
			n++;
		}
	}
	*count = n;
	return events;
}

static int rec_compare_events(const void *a, const void *b)
{
	const struct rec_event *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	if (x->stream != y->stream)
		return x->stream < y->stream ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Strings: each string argument's bytes follow the arguments, in order. */
static const char *rec_string(const uint8_t *record, int arg, uint64_t *len)
{
	const uint8_t *p = record + REC_EVENT_HEAD + 8 * record[3];
	uint16_t strmask;

	memcpy(&strmask, record + 4, 2);
	for (int i = 0; i < arg; i++)
		if (strmask >> i & 1)
			p += rec_string_bytes(rec_arg(record, i));
	*len = rec_arg(record, arg);
	return (const char *)p;
}

static void rec_print_string(FILE *out, const char *s, uint64_t len, int json)
{
	fputc('"', out);
	for (uint64_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20 || c > 0x7e)
			fprintf(out, json ? "\\u%04x" : "\\x%02x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void rec_print_arg(FILE *out, const uint8_t *record, int i, int json)
{
	uint16_t strmask;

	memcpy(&strmask, record + 4, 2);
	if (strmask >> i & 1) {
		uint64_t len;
		const char *s = rec_string(record, i, &len);

		if (len == UINT64_MAX)
			fputs(json ? "null" : "NULL", out);
		else
			rec_print_string(out, s, len, json);
	} else {
		fprintf(out, "%" PRId64, (int64_t)rec_arg(record, i));
	}
}

static void rec_print_text(const struct rec_event *events, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const uint8_t *record = events[i].record;

		printf("%" PRIu64 " %" PRIu32 " %s", events[i].ns, events[i].tid,
		       rec_name_of(rec_id(record)));
		for (int a = 0; a < record[3]; a++) {
			putchar(' ');
			rec_print_arg(stdout, record, a, 0);
		}
		putchar('\n');
	}
}

/* Chrome's trace-event format: one instant event per fire, times in us. */
static void rec_write_json(const struct rec_event *events, size_t n)
{
	FILE *out = fopen(rec.json_path, "w");

	if (!out)
		rec_die(REC_EXIT_FAILURE, "cannot write %s: %s", rec.json_path, strerror(errno));
	fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[", out);
	for (size_t i = 0; i < n; i++) {
		const uint8_t *record = events[i].record;
		const char *name = rec_name_of(rec_id(record));

		fprintf(out, "%s\n{\"name\":", i ? "," : "");
		rec_print_string(out, name, strlen(name), 1);
		fputs(",\"cat\":", out);
		rec_print_string(out, name, (uint64_t)(strchr(name, ':') - name), 1);
		fprintf(out, ",\"ph\":\"i\",\"s\":\"t\",\"ts\":%" PRIu64 ".%03u,\"pid\":%" PRIu32
			     ",\"tid\":%" PRIu32 ",\"args\":{",
			events[i].ns / 1000, (unsigned)(events[i].ns % 1000), events[i].pid,
			events[i].tid);
		for (int a = 0; a < record[3]; a++) {
			fprintf(out, "%s\"arg%d\":", a ? "," : "", a);
			rec_print_arg(out, record, a, 1);
		}
		fputs("}}", out);
	}
	fputs("\n]}\n", out);
	if (fclose(out))
		rec_die(REC_EXIT_FAILURE, "cannot write %s: %s", rec.json_path, strerror(errno));
}

/* --count and --hist: totals by name (two providers of one name add up). */
static int rec_compare_stat_names(const void *a, const void *b)
{
	const struct rec_stat *x = a, *y = b;

	return strcmp(rec_name_of(x->id), rec_name_of(y->id));
}

/* 2^bit as bpftrace writes histogram bounds: 512, 1K, 2M, 16E. */
static void rec_power_of_two(char *text, size_t size, int bit)
{
	snprintf(text, size, "%llu%.1s", 1ull << bit % 10, &"\0KMGTPE"[bit / 10]);
}

static void rec_print_hist(const struct rec_stat *stat)
{
	uint64_t most = stat->negative > stat->missing ? stat->negative : stat->missing;
	int first = 65, last = -1;

	for (int b = 0; b < 65; b++)
		if (stat->buckets[b]) {
			first = b < first ? b : first;
			last = b;
			most = stat->buckets[b] > most ? stat->buckets[b] : most;
		}
	printf("%s arg%d\n", rec_name_of(stat->id), rec.hist_arg);
	if (stat->missing)
		printf("  (no arg%d)          %10" PRIu64 "\n", rec.hist_arg, stat->missing);
	if (stat->negative)
		printf("  (..., 0)            %10" PRIu64 " |%-40.*s|\n", stat->negative,
		       (int)(40 * stat->negative / most), "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@");
	for (int b = first; b <= last; b++) {
		char range[48], low[16], high[16];

		snprintf(range, sizeof(range), "[0]");
		if (b > 0) {
			rec_power_of_two(low, sizeof(low), b - 1);
			rec_power_of_two(high, sizeof(high), b);
			snprintf(range, sizeof(range), "[%s, %s)", low, high);
		}
		printf("  %-20s%10" PRIu64 " |%-40.*s|\n", range, stat->buckets[b],
		       (int)(40 * stat->buckets[b] / most), "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@");
	}
}

static void rec_print_stats(void)
{
	struct rec_stat *stats = malloc((rec.nstats + 1) * sizeof(*stats));
	size_t n = 0;

	if (!stats)
		rec_die(REC_EXIT_FAILURE, "out of memory");
	for (size_t i = 0; i < rec.nstats_room; i++)
		if (rec.stats[i].count && rec_name_of(rec.stats[i].id))
			stats[n++] = rec.stats[i];
	qsort(stats, n, sizeof(*stats), rec_compare_stat_names);
	for (size_t i = 0; i < n; i++) {
		/* Merge the next ones of the same name into this one. */
		while (i + 1 < n && rec_compare_stat_names(&stats[i], &stats[i + 1]) == 0) {
			stats[i + 1].count += stats[i].count;
			stats[i + 1].negative += stats[i].negative;
			stats[i + 1].missing += stats[i].missing;
			for (int b = 0; b < 65; b++)
				stats[i + 1].buckets[b] += stats[i].buckets[b];
			i++;
		}
		if (rec.output == REC_COUNT)
			printf("%s %" PRIu64 "\n", rec_name_of(stats[i].id), stats[i].count);
		else
			rec_print_hist(&stats[i]);
	}
	free(stats);
}

/* ---- The run ---- */

static uint64_t rec_counter(enum usdt_record_counter which)
{
	uint32_t key = which;
	uint64_t value = 0;

	bpf_map__lookup_elem(rec.counters, &key, sizeof(key), &value, sizeof(value), 0);
	return value;
}

static int rec_target_gone(void)
{
	char path[64], buf[512], *state;
	size_t n;
	FILE *f;

	if (rec.child > 0)
		return waitpid(rec.child, &rec.child_status, WNOHANG) == rec.child;
	snprintf(path, sizeof(path), "/proc/%d/stat", rec.pid);
	f = fopen(path, "re");
	if (!f)
		return 1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name may hold ") ": the state follows the last ')'. */
	state = strrchr(buf, ')');
	return state && (state[2] == 'Z' || state[2] == 'X');
}

static void rec_poll(int ms)
{
	int err = ring_buffer__poll(rec.ring, ms);

	if (err < 0 && err != -EINTR)
		rec_die(REC_EXIT_FAILURE, "reading the ring buffer: %s", strerror(-err));
}

/* One run of the iterator that reads buffers of idle threads from outside
 * (usdt-record.bpf.c, record_read); at the stop, every buffer's unread part.
 * Returns the buffers it found mid-fire. */
static uint32_t rec_read_round(int stop)
{
	char sink[64];
	ssize_t n;
	int fd;

	if (!rec.read_link) {
		/* The iterator visits only the process's threads (6.1 on), else
		 * every task of the machine. */
		union bpf_iter_link_info info = { .task.pid = (uint32_t)rec.pid };
		LIBBPF_OPTS(bpf_iter_attach_opts, opts, .link_info = &info,
			    .link_info_len = sizeof(info));

		rec.read_link = bpf_program__attach_iter(rec.read_prog, &opts);
		if (!rec.read_link)
			rec.read_link = bpf_program__attach_iter(rec.read_prog, NULL);
		if (!rec.read_link)
			rec_die(REC_EXIT_FAILURE, "cannot attach the BPF iterator: %s",
				strerror(errno));
	}
	rec.control->pid = (uint32_t)rec.pid;
	rec.control->stop = (uint32_t)stop;
	rec.control->busy = 0;
	rec.control->round++;
	fd = bpf_iter_create(bpf_link__fd(rec.read_link));
	if (fd < 0)
		rec_die(REC_EXIT_FAILURE, "cannot run the BPF iterator: %s", strerror(errno));
	while ((n = read(fd, sink, sizeof(sink))) > 0)
		;
	if (n < 0 && !rec.read_failed) {
		rec.read_failed = 1;
		rec_error("reading buffers from outside failed: %s", strerror(errno));
	}
	close(fd);
	return rec.control->busy;
}

static void rec_record(void)
{
	const uint64_t start = rec_now_ns();
	/* Rescans 5, 10, 20, ... ms in, then every REC_SCAN_MS: a command's
	 * libraries and buffer lists are known early, also when it exits soon. */
	uint64_t scan_gap = 5000000ull, next_scan = start + scan_gap, next_read = start;
	uint32_t busy;

	while (!rec_stop && !rec_target_gone() &&
	       !(rec.duration > 0 && rec_now_ns() - start >= rec.duration * 1e9)) {
		rec_poll(scan_gap < REC_SCAN_MS * 1000000ull ? 5 : REC_READ_MS / 3);
		if (rec_now_ns() >= next_read) {
			rec_read_round(0);
			next_read = rec_now_ns() + REC_READ_MS * 1000000ull;
		}
		if (rec_now_ns() >= next_scan) {
			rec_scan(); /* fails only once the process is gone */
			if (scan_gap < REC_SCAN_MS * 1000000ull)
				scan_gap *= 2;
			next_scan = rec_now_ns() + scan_gap;
		}
	}
	/* Companions first: the runtime stops recording. A thread exiting
	 * meanwhile flushes, while the flush probes stay attached a little
	 * longer; then every buffer's unread part is read from outside, again
	 * while one is mid-fire (its loss is reported). */
	for (size_t i = 0; i < rec.ncompanion_links; i++)
		bpf_link__destroy(rec.companion_links[i]);
	for (uint64_t end = rec_now_ns() + REC_DRAIN_MS * 1000000ull; rec_now_ns() < end;)
		rec_poll(REC_DRAIN_MS / 4);
	busy = rec_read_round(1);
	for (int tries = 1; busy && tries < REC_STOP_TRIES; tries++) {
		rec_poll(10);
		busy = rec_read_round(1);
	}
	rec.stop_busy = busy;
	for (size_t i = 0; i < rec.nflush_links; i++)
		bpf_link__destroy(rec.flush_links[i]);
	if (ring_buffer__consume(rec.ring) < 0)
		rec_die(REC_EXIT_FAILURE, "draining the ring buffer");
}

/* ---- Setup ---- */

static int rec_libbpf_log(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, args) : 0;
}

/* Whether the kernel has the kfunc bpf_preempt_disable (6.10 on): then the
 * object whose flush handler cannot be preempted is loaded (usdt-record.bpf.c
 * says why it must not be, from 6.13 on). */
static int rec_kernel_has_preempt_kfunc(void)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	int found;

	if (!vmlinux)
		return 0; /* no BTF, no kfuncs */
	found = btf__find_by_name_kind(vmlinux, "bpf_preempt_disable", BTF_KIND_FUNC) > 0;
	btf__free(vmlinux);
	return found;
}

static void rec_load_bpf(void)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "usdt_record");
	struct bpf_map *ring, *control;
	struct bpf_program *prog;
	void *mapped;
	int err;

	if (rec_kernel_has_preempt_kfunc())
		rec.bpf = bpf_object__open_mem(usdt_record_guarded_bpf, sizeof(usdt_record_guarded_bpf),
					       &opts);
	else
		rec.bpf = bpf_object__open_mem(usdt_record_bpf, sizeof(usdt_record_bpf), &opts);
	if (!rec.bpf)
		rec_die(REC_EXIT_FAILURE, "cannot open the BPF object: %s", strerror(errno));
	ring = bpf_object__find_map_by_name(rec.bpf, "record_flushes");
	rec.counters = bpf_object__find_map_by_name(rec.bpf, "record_counters");
	rec.roots = bpf_object__find_map_by_name(rec.bpf, "record_roots");
	control = bpf_object__find_map_by_name(rec.bpf, ".bss");
	rec.flush_prog = bpf_object__find_program_by_name(rec.bpf, "record_flush");
	rec.companion_prog = bpf_object__find_program_by_name(rec.bpf, "record_companion");
	rec.read_prog = bpf_object__find_program_by_name(rec.bpf, "record_read");
	if (!ring || !rec.counters || !rec.roots || !control || !rec.flush_prog ||
	    !rec.companion_prog || !rec.read_prog)
		rec_die(REC_EXIT_FAILURE, "the BPF object lacks its maps or programs");
	err = bpf_map__set_max_entries(ring, (uint32_t)(rec.ring_mib << 20));
	if (!err)
		err = bpf_object__load(rec.bpf);
	if (err == -EPERM || err == -EACCES)
		rec_die(REC_EXIT_BAD_INPUT, "not permitted to load BPF programs (run as root)");
	if (err)
		rec_die(REC_EXIT_FAILURE, "cannot load the BPF programs: %s", strerror(-err));
	rec.ring = ring_buffer__new(bpf_map__fd(ring), rec_on_flush, NULL, NULL);
	if (!rec.ring)
		rec_die(REC_EXIT_FAILURE, "cannot open the ring buffer: %s", strerror(errno));
	/* The .bss map (mmapable), mapped shared: the tool writes there what
	 * the BPF side reads. */
	if (bpf_map__value_size(control) < sizeof(*rec.control))
		rec_die(REC_EXIT_FAILURE, "the BPF object's globals are too small");
	mapped = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE, MAP_SHARED,
		      bpf_map__fd(control), 0);
	if (mapped == MAP_FAILED)
		rec_die(REC_EXIT_FAILURE, "cannot map the BPF object's globals: %s", strerror(errno));
	rec.control = mapped;
	/* The rest read buffers at the process's exit and exec, on tracepoints:
	 * without them those events are lost, which is said once. */
	bpf_object__for_each_program(prog, rec.bpf) {
		struct bpf_link *link;

		if (prog == rec.flush_prog || prog == rec.companion_prog || prog == rec.read_prog ||
		    rec.nending_links == sizeof(rec.ending_links) / sizeof(rec.ending_links[0]))
			continue;
		link = bpf_program__attach(prog);
		if (link)
			rec.ending_links[rec.nending_links++] = link;
		else
			fprintf(stderr, "usdt-record: cannot attach %s (%s): what threads hold at an "
					"exit or exec may be lost\n", bpf_program__section_name(prog),
				strerror(errno));
	}
}

/* -c: the command's executable by PATH, as execvp would find it. */
static char *rec_which(const char *file)
{
	const char *dirs = getenv("PATH");
	char path[PATH_MAX];

	if (strchr(file, '/'))
		return rec_strdup(file);
	for (dirs = dirs ? dirs : "/usr/bin:/bin"; *dirs;) {
		size_t len = strcspn(dirs, ":");

		snprintf(path, sizeof(path), "%.*s/%s", (int)len, len ? dirs : ".", file);
		if (access(path, X_OK) == 0)
			return rec_strdup(path);
		dirs += len + (dirs[len] == ':');
	}
	return NULL;
}

/* -c: a child that waits for the go (a byte on a pipe) before exec, so that
 * the executable's probes are attached before its first instruction: a
 * uprobe attached to a file with a PID follows that process across exec. */
static int rec_spawn(void)
{
	wordexp_t words;
	struct stat st;
	char *exe, go;
	int pipefd[2], fd;

	if (wordexp(rec.command, &words, WRDE_NOCMD) || words.we_wordc == 0)
		rec_die(REC_EXIT_BAD_INPUT, "cannot parse the command '%s'", rec.command);
	exe = rec_which(words.we_wordv[0]);
	if (!exe || (fd = open(exe, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st))
		rec_die(REC_EXIT_BAD_INPUT, "no such command: %s", words.we_wordv[0]);
	if (pipe2(pipefd, O_CLOEXEC))
		rec_die(REC_EXIT_FAILURE, "pipe: %s", strerror(errno));
	rec.child = fork();
	if (rec.child < 0)
		rec_die(REC_EXIT_FAILURE, "fork: %s", strerror(errno));
	if (rec.child == 0) {
		close(pipefd[1]);
		if (read(pipefd[0], &go, 1) != 1)
			_exit(127);
		execv(exe, words.we_wordv);
		fprintf(stderr, "usdt-record: cannot run %s: %s\n", exe, strerror(errno));
		_exit(127);
	}
	close(pipefd[0]);
	rec.pid = rec.child;
	rec_attach_new(rec_add_object(fd, st.st_dev, st.st_ino, exe));
	close(fd);
	free(exe);
	wordfree(&words);
	return pipefd[1];
}

static void rec_usage(FILE *out)
{
	fputs("usage: usdt-record [-p PID | -c 'CMD ARGS'] [-d SECONDS]\n"
	      "                   [--count | --hist ARGN | --json FILE] [--buffer-size MIB]\n"
	      "                   PATTERN...\n"
	      "Records the batched USDT probes matching PATTERN (provider:name, with shell\n"
	      "globs) in a process until it exits, SECONDS pass or Ctrl-C. Default output:\n"
	      "one line per event, TIME_NS TID provider:name ARGS..., in order per thread.\n"
	      "  --count        events per probe\n"
	      "  --hist ARGN    log2 histogram of argument ARGN (0-11) per probe\n"
	      "  --json FILE    Chrome/Perfetto trace-event JSON\n"
	      "  --buffer-size  BPF ring buffer, MiB, a power of two (default 64)\n",
	      out);
}

static long rec_number(const char *text, long min, long max, const char *what)
{
	char *end;
	long value;

	errno = 0;
	value = strtol(text, &end, 10);
	if (errno || end == text || *end || value < min || value > max)
		rec_die(REC_EXIT_BAD_INPUT, "bad %s '%s'", what, text);
	return value;
}

static void rec_parse(int argc, char **argv)
{
	enum { OPT_COUNT = 256, OPT_HIST, OPT_JSON, OPT_RING };
	static const struct option options[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "command", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 'd' },
		{ "count", no_argument, NULL, OPT_COUNT },
		{ "hist", required_argument, NULL, OPT_HIST },
		{ "json", required_argument, NULL, OPT_JSON },
		{ "buffer-size", required_argument, NULL, OPT_RING },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, outputs = 0;
	char *end;

	rec.ring_mib = 64;
	while ((opt = getopt_long(argc, argv, "+p:c:d:h", options, NULL)) != -1) {
		switch (opt) {
		case 'p':
			rec.pid = (int)rec_number(optarg, 1, INT32_MAX, "PID");
			break;
		case 'c':
			rec.command = optarg;
			break;
		case 'd':
			errno = 0;
			rec.duration = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(rec.duration > 0))
				rec_die(REC_EXIT_BAD_INPUT, "bad duration '%s'", optarg);
			break;
		case OPT_COUNT:
			rec.output = REC_COUNT;
			outputs++;
			break;
		case OPT_HIST:
			rec.output = REC_HIST;
			rec.hist_arg = (int)rec_number(optarg, 0, REC_MAX_ARGS - 1, "argument number");
			outputs++;
			break;
		case OPT_JSON:
			rec.output = REC_JSON;
			rec.json_path = optarg;
			outputs++;
			break;
		case OPT_RING:
			rec.ring_mib = (unsigned long)rec_number(optarg, 1, 2048, "buffer size");
			if (rec.ring_mib & (rec.ring_mib - 1))
				rec_die(REC_EXIT_BAD_INPUT, "buffer size %lu MiB is not a power of two",
					rec.ring_mib);
			break;
		case 'h':
			rec_usage(stdout);
			exit(0);
		default:
			rec_usage(stderr);
			exit(REC_EXIT_BAD_INPUT);
		}
	}
	rec.patterns = argv + optind;
	rec.npatterns = argc - optind;
	if (!rec.npatterns || !rec.pid == !rec.command || outputs > 1) {
		rec_usage(stderr);
		exit(REC_EXIT_BAD_INPUT);
	}
}

static void rec_check_found(const char *who)
{
	size_t runtimes = 0;

	for (size_t i = 0; i < rec.nobjects; i++)
		runtimes += rec.objects[i].runtime;
	if (!runtimes)
		rec_die(REC_EXIT_BAD_INPUT,
			"%s has no batching runtime: no usdt_batch:flush probe in the objects it maps",
			who);
	if (!rec.nprobes)
		rec_die(REC_EXIT_BAD_INPUT, "no batched probe in %s matches %s%s%s", who,
			rec.patterns[0], rec.npatterns > 1 ? " ..." : "",
			rec.unbatchable ? " (probes that match have no usdt_batch companion note: "
					  "they cannot batch)" : "");
}

/* Frees what the run gathered (the ring buffer and the BPF object last). */
static void rec_free(void)
{
	for (size_t i = 0; i < rec.nobjects; i++) {
		for (size_t n = 0; n < rec.objects[i].nnotes; n++) {
			free(rec.objects[i].notes[n].provider);
			free(rec.objects[i].notes[n].name);
		}
		free(rec.objects[i].notes);
		free(rec.objects[i].loads);
		free(rec.objects[i].biases);
		free(rec.objects[i].path);
	}
	for (size_t i = 0; i < rec.nprobes; i++)
		free(rec.probes[i].name);
	for (size_t i = 0; i < rec.nflushes; i++)
		free(rec.flushes[i]);
	free(rec.objects);
	free(rec.probes);
	free(rec.flushes);
	free(rec.streams);
	free(rec.stats);
	free(rec.flush_links);
	free(rec.companion_links);
	free(rec_names);
	free(rec.buffers);
	free(rec.root_addrs);
	bpf_link__destroy(rec.read_link);
	for (size_t i = 0; i < rec.nending_links; i++)
		bpf_link__destroy(rec.ending_links[i]);
	ring_buffer__free(rec.ring);
	bpf_object__close(rec.bpf);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = rec_on_signal };
	struct rec_clock_pair first, last;
	struct rlimit limit;
	struct rec_event *events;
	char who[64];
	uint64_t dropped = 0;
	size_t n;
	int go = -1;

	rec_parse(argc, argv);
	libbpf_set_print(rec_libbpf_log);
	elf_version(EV_CURRENT);
	/* One perf event (a descriptor) per attached probe site. */
	if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
		limit.rlim_cur = limit.rlim_max;
		setrlimit(RLIMIT_NOFILE, &limit);
	}
	if (rec.pid && (kill(rec.pid, 0) && errno == ESRCH))
		rec_die(REC_EXIT_BAD_INPUT, "no process with PID %d", rec.pid);
	rec_load_bpf();
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	first = rec_clock_sample();
	rec.first = first;
	if (rec.command) {
		go = rec_spawn();
		snprintf(who, sizeof(who), "the command");
	} else {
		int err = rec_scan();

		snprintf(who, sizeof(who), "process %d", rec.pid);
		if (err == -ENOENT || err == -ESRCH)
			rec_die(REC_EXIT_BAD_INPUT, "no process with PID %d", rec.pid);
		if (err == -EPERM || err == -EACCES)
			rec_die(REC_EXIT_BAD_INPUT, "not permitted to read /proc/%d/maps", rec.pid);
		if (err)
			rec_die(REC_EXIT_FAILURE, "cannot read /proc/%d/maps: %s", rec.pid,
				strerror(-err));
		rec_check_found(who);
	}
	rec.control->pid = (uint32_t)rec.pid; /* from here, its exit or exec is read */
	fprintf(stderr, "usdt-record: recording %zu probes in %s %d; Ctrl-C to stop\n",
		rec.nprobes, rec.command ? "command" : "process", rec.pid);
	if (go >= 0 && (write(go, "g", 1) != 1 || close(go)))
		rec_die(REC_EXIT_FAILURE, "cannot start the command: %s", strerror(errno));
	rec_record();
	if (rec.command) {
		if (rec.child > 0 && !WIFEXITED(rec.child_status) && !WIFSIGNALED(rec.child_status)) {
			kill(rec.child, SIGTERM);
			waitpid(rec.child, &rec.child_status, 0);
		}
		rec.child = 0;
		rec_check_found(who);
	}
	/* The TSC rate over the whole run (at least 10 ms of it). */
	while ((last = rec_clock_sample()).ns - first.ns < 10000000 && last.ticks)
		;
	rec.ns_per_tick = last.ticks > first.ticks
				  ? (double)(last.ns - first.ns) / (double)(last.ticks - first.ticks)
				  : 1.0;
	rec_resolve_names();
	if (rec.output == REC_COUNT || rec.output == REC_HIST) {
		rec_print_stats();
	} else {
		rec_fit_clock();
		events = rec_events_ordered(&n);
		qsort(events, n, sizeof(*events), rec_compare_events);
		if (rec.output == REC_JSON)
			rec_write_json(events, n);
		else
			rec_print_text(events, n);
		free(events);
	}
	fflush(stdout);
	for (size_t i = 0; i < rec.nstreams; i++)
		dropped += rec.streams[i].dropped;
	for (size_t i = 0; i < rec.nbuffers; i++)
		dropped += rec.buffers[i].dropped;
	fprintf(stderr,
		"usdt-record: %" PRIu64 " events, %" PRIu64 " flushes, %" PRIu64
		" dropped in the process, %" PRIu64 " lost in the consumer\n",
		rec.events, rec_counter(USDT_RECORD_FLUSHES), dropped,
		rec_counter(USDT_RECORD_LOST_EVENTS));
	if (rec_counter(USDT_RECORD_LOST_EVENTS) || rec_counter(USDT_RECORD_LOST_FLUSHES))
		fprintf(stderr, "usdt-record: lost %" PRIu64 " events in %" PRIu64
				" flushes: the ring buffer was full (--buffer-size)\n",
			rec_counter(USDT_RECORD_LOST_EVENTS), rec_counter(USDT_RECORD_LOST_FLUSHES));
	if (rec.kind_events[USDT_RECORD_READ] || rec.kind_events[USDT_RECORD_READ_EXIT] ||
	    rec.kind_events[USDT_RECORD_READ_STOP])
		fprintf(stderr, "usdt-record: read from buffers of idle threads: %" PRIu64
				" events while recording, %" PRIu64 " at the process's exit or exec, %" PRIu64
				" at the stop\n", rec.kind_events[USDT_RECORD_READ],
			rec.kind_events[USDT_RECORD_READ_EXIT], rec.kind_events[USDT_RECORD_READ_STOP]);
	if (rec.stop_busy || rec.control->exit_busy)
		fprintf(stderr, "usdt-record: %" PRIu32 " thread buffers were mid-fire %s: their "
				"unflushed events are lost\n",
			rec.stop_busy + rec.control->exit_busy,
			rec.stop_busy ? "at the stop" : "at the process's exit");
	if (getenv("USDT_RECORD_DEBUG"))
		fprintf(stderr, "usdt-record: reads from outside: %" PRIu64 " walks, %" PRIu64
				" lists, %" PRIu64 " buffers, %" PRIu64 " parts of halves, %" PRIu64
				" failed reads; %zu lists known, %" PRIu64 " chunks repeated\n",
			rec_counter(USDT_RECORD_READ_WALKS), rec_counter(USDT_RECORD_READ_LISTS),
			rec_counter(USDT_RECORD_READ_BUFFERS), rec_counter(USDT_RECORD_READ_CHUNKS),
			rec_counter(USDT_RECORD_READ_FAULTS), rec.nroots, rec.repeated);
	for (uint32_t i = 0; getenv("USDT_RECORD_DEBUG") && i < rec.nroots; i++) {
		struct usdt_record_root root;

		if (!bpf_map__lookup_elem(rec.roots, &i, sizeof(i), &root, sizeof(root), 0))
			fprintf(stderr, "usdt-record: list %u at %#" PRIx64 " (runtime %u): head %#" PRIx64
					", read %" PRId64 "\n", i, (uint64_t)root.addr, root.runtime,
				(uint64_t)root.head, (int64_t)root.err);
	}
	if (rec.malformed || rec.unreadable)
		fprintf(stderr, "usdt-record: %" PRIu64 " malformed and %" PRIu64
				" unreadable buffers skipped\n", rec.malformed, rec.unreadable);
	rec_free();
	return 0;
}
