/* usdt_dynamic.c - USDT providers and probes whose names are known at run time.
 *
 * A loaded provider is a tiny ELF object built in memory and mapped into the
 * process, so tracers find it through /proc/PID/maps like any shared library:
 *
 *   offset 0        ELF header, program headers, the GNU build-id note, then
 *                   one 16-byte stub per probe (x86-64: a nop, ret; aarch64:
 *                   nop, ret) and the 1-byte .stapsdt.base.   PT_LOAD R+X
 *   next page       .probes: one pair of 16-bit semaphores per probe (direct,
 *                   batch; usdt.h).                          PT_LOAD R+W
 *   not loaded      .note.stapsdt (one note per probe), .shstrtab, section
 *                   headers.
 *
 * Virtual addresses equal file offsets, so every tracer's address arithmetic
 * agrees. The code mapping is private and never writable; the semaphore
 * mapping is private and writable, which is what the kernel needs to count
 * attached tracers in it. Two mappings, two pages for up to 238 probes.
 *
 * The object is a pure function of the provider (names, argument types, the
 * architecture, the page size and the stub's nop), so it is stored like a
 * shared library under a name derived from its content,
 * DIR/PROVIDER-BUILDID.so, read-only, shared by every process and run that
 * loads the same provider: a tracer attaching to that path sees all of them,
 * while each process keeps its own semaphores in its private mapping. A
 * second provider of the same object in one process gets a second object
 * (the build-id mixed with an instance number) and file, since the kernel
 * raises semaphores in one mapping of a file per process; every process's
 * second instance shares that one. Where no
 * directory is usable the object lives in a sealed memfd, as before. Each
 * process that loaded the file holds a shared flock on it while loaded; every
 * load removes the directory's files nobody holds (the kernel drops the locks
 * of dead processes), so files do not pile up.
 *
 * A probe handle (usdt_probe) points at its semaphore and its stub. Unloading
 * maps, in one mmap over the same addresses, a stand-in holding the same stubs
 * and zero semaphores: a thread that is firing at that moment finds a nop and
 * a ret where it expects them, and tracers no longer see the object. The
 * stand-in is made at load, so that unloading needs no new resource. Loading
 * again moves a new object over the same addresses, so handles never change
 * once loaded.
 */
#define _GNU_SOURCE
#include "usdt.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libelf.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__)
#define USDT_DYN_MACHINE EM_X86_64
/* Padding between stubs is int3. The stub's nop is chosen per kernel at run
 * time: usdt_dyn_stub(). */
#define USDT_DYN_PAD 0xcc
/* Each stub's last byte is the nop of the probe's companion note (batching,
 * usdt.h), never run. */
#define USDT_DYN_COMPANION_AT 15
static const unsigned char usdt_dyn_companion_nop[] = { 0x90 };
#elif defined(__aarch64__)
#define USDT_DYN_MACHINE EM_AARCH64
/* Padding is zero, an undefined instruction. */
#define USDT_DYN_PAD 0x00
#define USDT_DYN_COMPANION_AT 12
static const unsigned char usdt_dyn_companion_nop[] = { 0x1f, 0x20, 0x03, 0xd5 };
#endif

#define USDT_DYN_STUB_SIZE 16
#define USDT_DYN_PHNUM 3
#define USDT_DYN_HEADERS (sizeof(Elf64_Ehdr) + USDT_DYN_PHNUM * sizeof(Elf64_Phdr))
/* The GNU build-id note, right after the headers: inside the first page, as
 * perf and systemtap expect. */
#define USDT_DYN_BUILD_ID_SIZE 20
#define USDT_DYN_BUILD_ID_NOTE_SIZE (sizeof(Elf64_Nhdr) + 4 + USDT_DYN_BUILD_ID_SIZE)
#define USDT_DYN_BUILD_ID_OFFSET ((USDT_DYN_HEADERS + 3) & ~(size_t)3)
#define USDT_DYN_TEXT_OFFSET \
	((USDT_DYN_BUILD_ID_OFFSET + USDT_DYN_BUILD_ID_NOTE_SIZE + 15) & ~(size_t)15)

struct usdt_dyn_probe {
	usdt_probe public; /* first: handles are pointers to it */
	char name[USDT_NAME_MAX + 1];
	enum usdt_type types[USDT_MAX_ARGS]; /* public.argc of them */
};

/* gdb's JIT interface: one entry per loaded object, holding a copy of it
 * with the addresses it is mapped at. */
struct usdt_dyn_jit_entry {
	struct usdt_dyn_jit_entry *next;
	struct usdt_dyn_jit_entry *prev;
	const char *symfile_addr;
	uint64_t symfile_size;
};

struct usdt_provider {
	char name[USDT_NAME_MAX + 1];
	struct usdt_dyn_probe **probes;
	int count;
	int capacity;
	unsigned *index;     /* probe names' hash table: probe number + 1, or 0 */
	size_t index_size;   /* a power of two, at least twice count */
	char *dir;           /* from usdt_provider_set_dir(), or NULL */
	int loaded;
	/* The object's file, from a load until the next load or destroy (unload
	 * makes no system call): a named file holding a shared lock that keeps
	 * it from being reclaimed, or the unnamed file. -1 before. */
	int fd;
	int named;
	dev_t held_dev; /* the named file, registered in usdt_dyn_held */
	ino_t held_ino; /* 0 if none */
	usdt_error fallback; /* why the last load did not use the first directory */
	unsigned char *base; /* where the object is mapped, from the first load on */
	size_t text_size;    /* pages of headers and stubs */
	size_t map_size;     /* text_size plus the semaphore pages */
	struct usdt_dyn_jit_entry *jit; /* gdb's copy, from a load until the next or destroy */
	int jit_listed;                 /* while loaded, gdb sees it */
	char path[PATH_MAX]; /* the named file, or /proc/PID/fd/N */
	/* The instance of the object this provider holds, from its first
	 * load on (-1 before; see usdt_dyn_take_instance), and the object's
	 * build-id as instance 0. */
	int instance;
	unsigned char object[USDT_DYN_BUILD_ID_SIZE];
};

/* The process-wide state's lock: the stand-in, gdb's list, the last
 * checked directory. */
static pthread_mutex_t usdt_dyn_lock = PTHREAD_MUTEX_INITIALIZER;

/* fork() while another thread holds usdt_dyn_lock would leave it locked
 * forever in the child: fork waits for it. */
static void usdt_dyn_lock_for_fork(void)
{
	pthread_mutex_lock(&usdt_dyn_lock);
}

static void usdt_dyn_unlock_after_fork(void)
{
	pthread_mutex_unlock(&usdt_dyn_lock);
}

static void usdt_dyn_register_fork_handlers(void)
{
	pthread_atfork(usdt_dyn_lock_for_fork, usdt_dyn_unlock_after_fork,
		       usdt_dyn_unlock_after_fork);
}

/* Take usdt_dyn_lock, the fork handlers registered first: every taker goes
 * through here, so no entry point can hand a child a locked mutex. */
static void usdt_dyn_lock_take(void)
{
	static pthread_once_t fork_handlers = PTHREAD_ONCE_INIT;
	pthread_once(&fork_handlers, usdt_dyn_register_fork_handlers);
	pthread_mutex_lock(&usdt_dyn_lock);
}

static void usdt_dyn_lock_release(void)
{
	pthread_mutex_unlock(&usdt_dyn_lock);
}

/* Where a probe points until its provider is first loaded: a zero semaphore
 * and a function that only returns, written in assembly because it is
 * called with any number of arguments. */
static const unsigned short usdt_dyn_zero[2] __attribute__((aligned(4)));
#if defined(__x86_64__) || defined(__aarch64__)
__asm__(".pushsection .text\n"
	".p2align 4\n"
	"usdt_dyn_inert_fire:\n"
	"\tret\n"
	".popsection\n");
void usdt_dyn_inert_fire(void) __asm__("usdt_dyn_inert_fire");
#define USDT_DYN_INERT_FIRE usdt_dyn_inert_fire
#else
static void usdt_dyn_inert(void)
{
}
#define USDT_DYN_INERT_FIRE usdt_dyn_inert
#endif

static int usdt_dyn_fail(usdt_error *err, int code, const char *format, ...)
	__attribute__((format(printf, 3, 4)));

static int usdt_dyn_fail(usdt_error *err, int code, const char *format, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, format);
		err->code = code;
		vsnprintf(err->message, sizeof(err->message), format, ap);
		va_end(ap);
	}
	return -code;
}

static void usdt_dyn_ok(usdt_error *err)
{
	if (err) {
		err->code = 0;
		err->message[0] = '\0';
	}
}

/* s, at most len bytes of it, for a message: printable ASCII as is, any
 * other byte (newlines included), '"' and '\' as \xNN. Truncated to fit out,
 * which it returns. */
#define USDT_DYN_QUOTED_SIZE (4 * USDT_NAME_MAX + 8)
static const char *usdt_dyn_quote(char out[USDT_DYN_QUOTED_SIZE], const char *s, size_t len)
{
	size_t at = 0;
	for (size_t i = 0; i < len && s[i] && at + 5 < USDT_DYN_QUOTED_SIZE; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			out[at++] = (char)c;
		else
			at += (size_t)snprintf(out + at, 5, "\\x%02x", c);
	}
	out[at] = '\0';
	return out;
}

static int usdt_dyn_check_name(usdt_error *err, const char *what, const char *name)
{
	if (!name)
		return usdt_dyn_fail(err, EINVAL, "%s name is NULL", what);
	size_t len = strnlen(name, USDT_NAME_MAX + 1);
	char quoted[USDT_DYN_QUOTED_SIZE];
	if (len == 0)
		return usdt_dyn_fail(err, EINVAL, "%s name is empty", what);
	if (len > USDT_NAME_MAX)
		return usdt_dyn_fail(err, EINVAL, "%s name \"%s...\" is longer than %d bytes", what,
				     usdt_dyn_quote(quoted, name, 16), USDT_NAME_MAX);
	if (name[0] >= '0' && name[0] <= '9')
		return usdt_dyn_fail(err, EINVAL, "%s name \"%s\" starts with a digit", what,
				     usdt_dyn_quote(quoted, name, len));
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_'))
			return usdt_dyn_fail(err, EINVAL,
					     "%s name \"%s\" has a character other than "
					     "letters, digits and '_' at byte %zu",
					     what, usdt_dyn_quote(quoted, name, len), i);
	}
	return 0;
}

usdt_provider *usdt_provider_create(const char *name, usdt_error *err)
{
#ifndef USDT_DYN_MACHINE
	(void)name;
	usdt_dyn_fail(err, ENOSYS, "dynamic probes are not supported on this architecture");
	return NULL;
#else
	if (usdt_dyn_check_name(err, "provider", name) != 0)
		return NULL;
	struct usdt_provider *provider = calloc(1, sizeof(*provider));
	if (!provider) {
		usdt_dyn_fail(err, ENOMEM, "out of memory creating provider \"%s\"", name);
		return NULL;
	}
	strcpy(provider->name, name);
	provider->fd = -1;
	provider->instance = -1;
	usdt_dyn_ok(err);
	return provider;
#endif
}

int usdt_provider_set_dir(usdt_provider *provider, const char *dir, usdt_error *err)
{
	if (!provider)
		return usdt_dyn_fail(err, EINVAL, "provider is NULL");
	char quoted[USDT_DYN_QUOTED_SIZE];
	if (dir && strcmp(dir, USDT_DIR_MEMFD) != 0 && dir[0] != '/')
		return usdt_dyn_fail(err, EINVAL,
				     "directory \"%s\" is neither absolute nor \"" USDT_DIR_MEMFD "\"",
				     usdt_dyn_quote(quoted, dir, USDT_NAME_MAX));
	if (dir && strlen(dir) > PATH_MAX - 3 * USDT_NAME_MAX)
		return usdt_dyn_fail(err, ENAMETOOLONG, "directory \"%s...\" is too long",
				     usdt_dyn_quote(quoted, dir, USDT_NAME_MAX));
	char *copy = dir ? strdup(dir) : NULL;
	if (dir && !copy)
		return usdt_dyn_fail(err, ENOMEM, "out of memory setting a directory");
	free(provider->dir);
	provider->dir = copy;
	usdt_dyn_ok(err);
	return 0;
}

/* The probe names' hash table (open addressing, linear probing): the slot
 * holding the probe named name, or the empty slot where it would go; NULL
 * while the table is empty. */
static unsigned *usdt_dyn_find_probe(const struct usdt_provider *provider, const char *name)
{
	if (!provider->index_size)
		return NULL;
	uint32_t hash = 2166136261u; /* FNV-1a */
	for (const char *c = name; *c; c++)
		hash = (hash ^ (unsigned char)*c) * 16777619u;
	size_t mask = provider->index_size - 1;
	for (size_t i = hash & mask;; i = (i + 1) & mask) {
		unsigned *slot = &provider->index[i];
		if (!*slot || strcmp(provider->probes[*slot - 1]->name, name) == 0)
			return slot;
	}
}

static int usdt_dyn_grow_index(struct usdt_provider *provider)
{
	size_t size = provider->index_size ? 2 * provider->index_size : 16;
	unsigned *index = calloc(size, sizeof(*index));
	if (!index)
		return -1;
	free(provider->index);
	provider->index = index;
	provider->index_size = size;
	for (int i = 0; i < provider->count; i++)
		*usdt_dyn_find_probe(provider, provider->probes[i]->name) = (unsigned)i + 1;
	return 0;
}

const usdt_probe *usdt_probe_add(usdt_provider *provider, const char *name, int argc,
				 const enum usdt_type *types, usdt_error *err)
{
	if (!provider) {
		usdt_dyn_fail(err, EINVAL, "provider is NULL");
		return NULL;
	}
	if (provider->base) {
		usdt_dyn_fail(err, EBUSY,
			      "provider \"%s\" has been loaded: add probes before the first load",
			      provider->name);
		return NULL;
	}
	if (usdt_dyn_check_name(err, "probe", name) != 0)
		return NULL;
	if (argc < 0 || argc > USDT_MAX_ARGS) {
		usdt_dyn_fail(err, EINVAL, "probe \"%s\" has %d arguments; 0 to %d are allowed", name,
			      argc, USDT_MAX_ARGS);
		return NULL;
	}
	if (argc > 0 && !types) {
		usdt_dyn_fail(err, EINVAL, "probe \"%s\" has %d arguments but no types", name, argc);
		return NULL;
	}
	for (int i = 0; i < argc; i++) {
		if (types[i] < USDT_INT8 || types[i] > USDT_STRING) {
			usdt_dyn_fail(err, EINVAL, "argument %d of probe \"%s\" has unknown type %d",
				      i + 1, name, (int)types[i]);
			return NULL;
		}
	}
	if (provider->count >= USDT_PROBES_MAX) {
		usdt_dyn_fail(err, ENOSPC, "provider \"%s\" has %d probes, the most there can be",
			      provider->name, USDT_PROBES_MAX);
		return NULL;
	}
	unsigned *slot = usdt_dyn_find_probe(provider, name);
	if (slot && *slot) {
		usdt_dyn_fail(err, EEXIST, "provider \"%s\" already has a probe \"%s\"",
			      provider->name, name);
		return NULL;
	}
	if (provider->count == provider->capacity) {
		int capacity = provider->capacity ? 2 * provider->capacity : 8;
		void *grown = realloc(provider->probes, (size_t)capacity * sizeof(*provider->probes));
		if (!grown) {
			usdt_dyn_fail(err, ENOMEM, "out of memory adding probe \"%s\"", name);
			return NULL;
		}
		provider->probes = grown;
		provider->capacity = capacity;
	}
	if (2 * ((size_t)provider->count + 1) > provider->index_size) {
		if (usdt_dyn_grow_index(provider) != 0) {
			usdt_dyn_fail(err, ENOMEM, "out of memory adding probe \"%s\"", name);
			return NULL;
		}
		slot = usdt_dyn_find_probe(provider, name);
	}
	struct usdt_dyn_probe *probe = calloc(1, sizeof(*probe));
	if (!probe) {
		usdt_dyn_fail(err, ENOMEM, "out of memory adding probe \"%s\"", name);
		return NULL;
	}
	probe->public.semaphore = (volatile unsigned short *)usdt_dyn_zero;
	probe->public.fire = USDT_DYN_INERT_FIRE;
	probe->public.argc = argc;
	probe->public.batch = USDT__BATCH_DYNAMIC;
	strcpy(probe->name, name);
	for (int i = 0; i < argc; i++) {
		probe->types[i] = types[i];
		if (types[i] == USDT_STRING)
			probe->public.batch |= 1 << i;
	}
	provider->probes[provider->count++] = probe;
	*slot = (unsigned)provider->count;
	usdt_dyn_ok(err);
	return &probe->public;
}

/* ---- The ELF object ----------------------------------------------------- */

#ifdef USDT_DYN_MACHINE

static size_t usdt_dyn_page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

static size_t usdt_dyn_round_up(size_t n, size_t to)
{
	return (n + to - 1) / to * to;
}

/* The stub: a nop the kernel replaces by a breakpoint, then a return.
 *
 * x86-64: the nop usdt.h's usdt__x86_site_nop() picks for the running
 * kernel, the rule static probes' fire functions follow too (the reasons
 * are there): the 10-byte nop on kernels that optimize it, else 0x90. It
 * reads the kernel's version from the vDSO, without a system call, so that
 * no seccomp filter is ever asked.
 *
 * aarch64: nop; ret. */
#if defined(__x86_64__)
static const unsigned char usdt_dyn_stub_nop10[] = { 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00,
						     0x00, 0x00, 0x00, 0x00, 0xc3 };
static const unsigned char usdt_dyn_stub_nop1[] = { 0x90, 0xc3 };

static const unsigned char *usdt_dyn_stub(size_t *size)
{
	int nop10 = usdt__x86_site_nop() == 10;
	*size = nop10 ? sizeof(usdt_dyn_stub_nop10) : sizeof(usdt_dyn_stub_nop1);
	return nop10 ? usdt_dyn_stub_nop10 : usdt_dyn_stub_nop1;
}
#else
static const unsigned char usdt_dyn_stub_nop[] = { 0x1f, 0x20, 0x03, 0xd5, 0xc0, 0x03, 0x5f, 0xd6 };

static const unsigned char *usdt_dyn_stub(size_t *size)
{
	*size = sizeof(usdt_dyn_stub_nop);
	return usdt_dyn_stub_nop;
}
#endif

/* The layout of an object with count probes. */
struct usdt_dyn_layout {
	size_t base_offset;   /* .stapsdt.base */
	size_t text_size;     /* headers, stubs, .stapsdt.base, page-rounded */
	size_t probes_offset; /* .probes */
	size_t probes_size;
	size_t map_size;
	size_t note_offset;   /* .note.stapsdt */
	size_t notes_size;
	size_t shstrtab_offset;
	size_t shoff;         /* section headers */
	size_t file_size;
};

/* The stubs, filling size bytes: for the object and for the stand-in. */
static void usdt_dyn_write_stubs(unsigned char *stubs, size_t size)
{
	size_t stub_size;
	const unsigned char *stub = usdt_dyn_stub(&stub_size);
	for (size_t at = 0; at + USDT_DYN_STUB_SIZE <= size; at += USDT_DYN_STUB_SIZE) {
		memset(stubs + at, USDT_DYN_PAD, USDT_DYN_STUB_SIZE);
		memcpy(stubs + at, stub, stub_size);
		memcpy(stubs + at + USDT_DYN_COMPANION_AT, usdt_dyn_companion_nop,
		       sizeof(usdt_dyn_companion_nop));
	}
}

/* The sys/sdt.h argument spec of argument i (0-based) at the stub's entry,
 * where the calling convention put it. The call site passes every argument
 * as 64 bits; the size prefix tells the tracer how much of it to keep. */
static int usdt_dyn_arg_spec(char *out, size_t room, int i, enum usdt_type type)
{
	static const int sizes[] = { 0, 1, 1, 2, 2, 4, 4, 8, 8, 8, 8 };
	int is_signed = type == USDT_INT8 || type == USDT_INT16 || type == USDT_INT32 ||
			type == USDT_INT64;
	const char *sign = is_signed ? "-" : "";
	int size = sizes[type];
#if defined(__x86_64__)
	static const char *const regs[] = { "rdi", "rsi", "rdx", "rcx", "r8", "r9" };
	if (i < 6)
		return snprintf(out, room, "%s%d@%%%s", sign, size, regs[i]);
	return snprintf(out, room, "%s%d@%d(%%rsp)", sign, size, 8 * (i - 6 + 1));
#else
	if (i < 8)
		return snprintf(out, room, "%s%d@x%d", sign, size, i);
	return snprintf(out, room, "%s%d@[sp, %d]", sign, size, 8 * (i - 8));
#endif
}

/* One stapsdt note at out (unless NULL); its size. */
static size_t usdt_dyn_note(unsigned char *out, uint64_t pc, uint64_t base, uint64_t semaphore,
			    const char *provider, const char *name, const char *args)
{
	uint64_t addresses[3] = { pc, base, semaphore };
	size_t provider_len = strlen(provider) + 1, name_len = strlen(name) + 1;
	size_t args_len = strlen(args) + 1;
	size_t descsz = sizeof(addresses) + provider_len + name_len + args_len;
	if (out) {
		Elf64_Nhdr nhdr = { .n_namesz = 8, .n_descsz = (Elf64_Word)descsz, .n_type = 3 };
		unsigned char *p = out;
		memcpy(p, &nhdr, sizeof(nhdr));
		memcpy(p + sizeof(nhdr), "stapsdt", 8);
		p += sizeof(nhdr) + 8;
		memcpy(p, addresses, sizeof(addresses));
		p += sizeof(addresses);
		memcpy(p, provider, provider_len);
		memcpy(p + provider_len, name, name_len);
		memcpy(p + provider_len + name_len, args, args_len);
	}
	return sizeof(Elf64_Nhdr) + 8 + usdt_dyn_round_up(descsz, 4);
}

/* The .note.stapsdt section, written at out (a zeroed buffer) unless out is
 * NULL: per probe its note, then its companion note (usdt.h, batching:
 * provider usdt_batch, name PROVIDER__NAME, no arguments, the second half
 * of its semaphore pair, the nop in its stub's padding). Its size either
 * way. */
static size_t usdt_dyn_notes(const struct usdt_provider *provider,
			     const struct usdt_dyn_layout *l, unsigned char *out)
{
	size_t at = 0;
	for (int i = 0; i < provider->count; i++) {
		const struct usdt_dyn_probe *probe = provider->probes[i];
		char args[USDT_MAX_ARGS * 16] = "", companion[2 * USDT_NAME_MAX + 3];
		size_t args_len = 0;
		for (int a = 0; a < probe->public.argc; a++) {
			if (a > 0)
				args[args_len++] = ' ';
			args_len += (size_t)usdt_dyn_arg_spec(args + args_len, 16, a, probe->types[a]);
		}
		uint64_t stub = USDT_DYN_TEXT_OFFSET + (uint64_t)i * USDT_DYN_STUB_SIZE;
		uint64_t semaphore = l->probes_offset + 4 * (uint64_t)i;
		at += usdt_dyn_note(out ? out + at : NULL, stub, l->base_offset, semaphore,
				    provider->name, probe->name, args);
		snprintf(companion, sizeof(companion), "%s__%s", provider->name, probe->name);
		at += usdt_dyn_note(out ? out + at : NULL, stub + USDT_DYN_COMPANION_AT,
				    l->base_offset, semaphore + 2, "usdt_batch", companion, "");
	}
	return at;
}

/* Section names, in the order of the sections. bcc lists probes by reading
 * the executable section, then .probes, then .note.stapsdt. */
static const char usdt_dyn_shstrtab[] =
	"\0.note.gnu.build-id\0.text\0.stapsdt.base\0.probes\0.note.stapsdt\0.shstrtab";
enum { USDT_DYN_N_BUILD_ID = 1, USDT_DYN_N_TEXT = 20, USDT_DYN_N_BASE = 26,
       USDT_DYN_N_PROBES = 40, USDT_DYN_N_NOTE = 48, USDT_DYN_N_SHSTRTAB = 62,
       USDT_DYN_SHNUM = 7 };

static struct usdt_dyn_layout usdt_dyn_layout(const struct usdt_provider *provider)
{
	struct usdt_dyn_layout l;
	size_t page = usdt_dyn_page_size();
	l.base_offset = USDT_DYN_TEXT_OFFSET + (size_t)provider->count * USDT_DYN_STUB_SIZE;
	l.text_size = usdt_dyn_round_up(l.base_offset + 1, page);
	l.probes_offset = l.text_size;
	l.probes_size = 4 * (size_t)provider->count;
	l.map_size = l.text_size + usdt_dyn_round_up(l.probes_size, page);
	l.note_offset = l.probes_offset + usdt_dyn_round_up(l.probes_size, 8);
	l.notes_size = usdt_dyn_notes(provider, &l, NULL);
	l.shstrtab_offset = l.note_offset + l.notes_size;
	l.shoff = usdt_dyn_round_up(l.shstrtab_offset + sizeof(usdt_dyn_shstrtab), 8);
	l.file_size = l.shoff + USDT_DYN_SHNUM * sizeof(Elf64_Shdr);
	return l;
}

/* SHA-1 (FIPS 180-4), for the build-id and the file name. */
static uint32_t usdt_dyn_rol(uint32_t x, int n)
{
	return x << n | x >> (32 - n);
}

static void usdt_dyn_sha1_block(uint32_t h[5], const unsigned char *p)
{
	uint32_t w[80];
	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 80; i++)
		w[i] = usdt_dyn_rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
	for (int i = 0; i < 80; i++) {
		uint32_t f, k;
		if (i < 20) {
			f = (b & c) | (~b & d);
			k = 0x5a827999;
		} else if (i < 40) {
			f = b ^ c ^ d;
			k = 0x6ed9eba1;
		} else if (i < 60) {
			f = (b & c) | (b & d) | (c & d);
			k = 0x8f1bbcdc;
		} else {
			f = b ^ c ^ d;
			k = 0xca62c1d6;
		}
		uint32_t t = usdt_dyn_rol(a, 5) + f + e + k + w[i];
		e = d;
		d = c;
		c = usdt_dyn_rol(b, 30);
		b = a;
		a = t;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
}

struct usdt_dyn_sha1 {
	uint32_t h[5];
	unsigned char block[64];
	uint64_t size;
};

static void usdt_dyn_sha1_init(struct usdt_dyn_sha1 *c)
{
	static const uint32_t h[5] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476,
				       0xc3d2e1f0 };
	memcpy(c->h, h, sizeof(h));
	c->size = 0;
}

static void usdt_dyn_sha1_add(struct usdt_dyn_sha1 *c, const void *data, size_t size)
{
	const unsigned char *p = data;
	while (size > 0) {
		size_t at = (size_t)(c->size % 64), n = 64 - at < size ? 64 - at : size;
		memcpy(c->block + at, p, n);
		c->size += n;
		p += n;
		size -= n;
		if (c->size % 64 == 0)
			usdt_dyn_sha1_block(c->h, c->block);
	}
}

static void usdt_dyn_sha1_end(struct usdt_dyn_sha1 *c, unsigned char out[USDT_DYN_BUILD_ID_SIZE])
{
	uint64_t bits = c->size * 8;
	unsigned char length[8];
	for (int i = 0; i < 8; i++)
		length[i] = (unsigned char)(bits >> (56 - 8 * i));
	usdt_dyn_sha1_add(c, "\x80", 1);
	while (c->size % 64 != 56)
		usdt_dyn_sha1_add(c, "", 1);
	usdt_dyn_sha1_add(c, length, 8);
	for (int i = 0; i < USDT_DYN_BUILD_ID_SIZE; i++)
		out[i] = (unsigned char)(c->h[i / 4] >> (24 - 8 * (i % 4)));
}

/* The build-id: the SHA-1 of everything the object is a function of (this
 * format's version, the machine, the page size, the stub, the names and
 * argument types), cheaper than hashing the object and the same thing: two
 * objects differ exactly when these do. An instance other than 0 is mixed
 * in: a process loading a provider twice needs a second object for it (see
 * usdt_dyn_take_instance). */
static void usdt_dyn_object_id(const struct usdt_provider *provider, unsigned instance,
			       unsigned char out[USDT_DYN_BUILD_ID_SIZE])
{
	struct usdt_dyn_sha1 c;
	size_t stub_size;
	const unsigned char *stub = usdt_dyn_stub(&stub_size);
	uint32_t numbers[4] = { 2 /* this format */, USDT_DYN_MACHINE,
				(uint32_t)usdt_dyn_page_size(), (uint32_t)provider->count };
	usdt_dyn_sha1_init(&c);
	usdt_dyn_sha1_add(&c, numbers, sizeof(numbers));
	usdt_dyn_sha1_add(&c, stub, stub_size);
	usdt_dyn_sha1_add(&c, provider->name, strlen(provider->name) + 1);
	for (int i = 0; i < provider->count; i++) {
		const struct usdt_dyn_probe *probe = provider->probes[i];
		usdt_dyn_sha1_add(&c, probe->name, strlen(probe->name) + 1);
		int argc = probe->public.argc;
		usdt_dyn_sha1_add(&c, &argc, sizeof(argc));
		usdt_dyn_sha1_add(&c, probe->types, (size_t)argc * sizeof(probe->types[0]));
	}
	if (instance)
		usdt_dyn_sha1_add(&c, &instance, sizeof(instance));
	usdt_dyn_sha1_end(&c, out);
}

/* Headers go into the image in the file's byte order, by libelf. */
static int usdt_dyn_put(unsigned char *at, const void *headers, size_t size, Elf_Type type)
{
	Elf_Data memory = { .d_buf = (void *)(uintptr_t)headers, .d_type = type, .d_size = size,
			    .d_version = EV_CURRENT };
	Elf_Data file = { .d_buf = at, .d_type = type, .d_size = size, .d_version = EV_CURRENT };
	return elf64_xlatetof(&file, &memory, ELFDATA2LSB) ? 0 : -1;
}

/* Write the ELF, program and section headers of provider's object into
 * image, with addresses as if loaded at address: 0 for the file, where it is
 * mapped for gdb. 0, or -1 if libelf failed. */
static int usdt_dyn_headers(const struct usdt_provider *provider,
			    const struct usdt_dyn_layout *lp, uint64_t address, unsigned char *image)
{
	const struct usdt_dyn_layout l = *lp;
	size_t stubs_size = (size_t)provider->count * USDT_DYN_STUB_SIZE;
	size_t shstrtab_offset = l.shstrtab_offset, shoff = l.shoff;
	size_t page = usdt_dyn_page_size();

	Elf64_Ehdr ehdr = {
		.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB, EV_CURRENT },
		.e_type = ET_DYN,
		.e_machine = USDT_DYN_MACHINE,
		.e_version = EV_CURRENT,
		.e_phoff = sizeof(Elf64_Ehdr),
		.e_shoff = shoff,
		.e_ehsize = sizeof(Elf64_Ehdr),
		.e_phentsize = sizeof(Elf64_Phdr),
		.e_phnum = USDT_DYN_PHNUM,
		.e_shentsize = sizeof(Elf64_Shdr),
		.e_shnum = USDT_DYN_SHNUM,
		.e_shstrndx = USDT_DYN_SHNUM - 1,
	};
	Elf64_Phdr phdr[USDT_DYN_PHNUM] = {
		{ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_vaddr = address, .p_paddr = address,
		  .p_filesz = l.base_offset + 1, .p_memsz = l.base_offset + 1, .p_align = page },
		{ .p_type = PT_LOAD, .p_flags = PF_R | PF_W, .p_offset = l.probes_offset,
		  .p_vaddr = address + l.probes_offset, .p_paddr = address + l.probes_offset,
		  .p_filesz = l.probes_size, .p_memsz = l.probes_size, .p_align = page },
		{ .p_type = PT_NOTE, .p_flags = PF_R, .p_offset = USDT_DYN_BUILD_ID_OFFSET,
		  .p_vaddr = address + USDT_DYN_BUILD_ID_OFFSET,
		  .p_paddr = address + USDT_DYN_BUILD_ID_OFFSET,
		  .p_filesz = USDT_DYN_BUILD_ID_NOTE_SIZE, .p_memsz = USDT_DYN_BUILD_ID_NOTE_SIZE,
		  .p_align = 4 },
	};
	Elf64_Shdr shdr[USDT_DYN_SHNUM] = {
		{ 0 },
		{ .sh_name = USDT_DYN_N_BUILD_ID, .sh_type = SHT_NOTE, .sh_flags = SHF_ALLOC,
		  .sh_addr = address + USDT_DYN_BUILD_ID_OFFSET, .sh_offset = USDT_DYN_BUILD_ID_OFFSET,
		  .sh_size = USDT_DYN_BUILD_ID_NOTE_SIZE, .sh_addralign = 4 },
		{ .sh_name = USDT_DYN_N_TEXT, .sh_type = SHT_PROGBITS, .sh_flags = SHF_ALLOC | SHF_EXECINSTR,
		  .sh_addr = address + USDT_DYN_TEXT_OFFSET, .sh_offset = USDT_DYN_TEXT_OFFSET,
		  .sh_size = stubs_size, .sh_addralign = 16 },
		{ .sh_name = USDT_DYN_N_BASE, .sh_type = SHT_PROGBITS, .sh_flags = SHF_ALLOC,
		  .sh_addr = address + l.base_offset, .sh_offset = l.base_offset, .sh_size = 1,
		  .sh_addralign = 1 },
		{ .sh_name = USDT_DYN_N_PROBES, .sh_type = SHT_PROGBITS, .sh_flags = SHF_ALLOC | SHF_WRITE,
		  .sh_addr = address + l.probes_offset, .sh_offset = l.probes_offset,
		  .sh_size = l.probes_size, .sh_addralign = 2 },
		{ .sh_name = USDT_DYN_N_NOTE, .sh_type = SHT_NOTE, .sh_offset = l.note_offset,
		  .sh_size = l.notes_size, .sh_addralign = 4 },
		{ .sh_name = USDT_DYN_N_SHSTRTAB, .sh_type = SHT_STRTAB, .sh_offset = shstrtab_offset,
		  .sh_size = sizeof(usdt_dyn_shstrtab), .sh_addralign = 1 },
	};
	return usdt_dyn_put(image, &ehdr, sizeof(ehdr), ELF_T_EHDR) != 0 ||
			       usdt_dyn_put(image + ehdr.e_phoff, phdr, sizeof(phdr), ELF_T_PHDR) != 0 ||
			       usdt_dyn_put(image + shoff, shdr, sizeof(shdr), ELF_T_SHDR) != 0
		       ? -1
		       : 0;
}

/* Write provider's object, laid out as l, as the given instance, into image
 * (l.file_size zeroed bytes). 0, or -1 if libelf failed. */
static int usdt_dyn_image(const struct usdt_provider *provider, const struct usdt_dyn_layout *l,
			  unsigned instance, unsigned char *image)
{
	Elf64_Nhdr build_id_nhdr = { .n_namesz = 4, .n_descsz = USDT_DYN_BUILD_ID_SIZE,
				     .n_type = NT_GNU_BUILD_ID };
	memcpy(image + USDT_DYN_BUILD_ID_OFFSET, &build_id_nhdr, sizeof(build_id_nhdr));
	memcpy(image + USDT_DYN_BUILD_ID_OFFSET + sizeof(Elf64_Nhdr), "GNU", 4);
	usdt_dyn_object_id(provider, instance,
			   image + USDT_DYN_BUILD_ID_OFFSET + sizeof(Elf64_Nhdr) + 4);
	usdt_dyn_write_stubs(image + USDT_DYN_TEXT_OFFSET,
			     (size_t)provider->count * USDT_DYN_STUB_SIZE);
	usdt_dyn_notes(provider, l, image + l->note_offset);
	memcpy(image + l->shstrtab_offset, usdt_dyn_shstrtab, sizeof(usdt_dyn_shstrtab));
	return usdt_dyn_headers(provider, l, 0, image);
}

static const unsigned char *usdt_dyn_build_id(const unsigned char *image)
{
	return image + USDT_DYN_BUILD_ID_OFFSET + sizeof(Elf64_Nhdr) + 4;
}

/* ---- Instances ---------------------------------------------------------- */

/* The kernel counts a probe's tracers in the semaphore of one mapping per
 * process for each file and offset (kernel/events/uprobes.c:
 * update_ref_ctr() updates the one mapping find_ref_ctr_vma() finds): two
 * providers of one object in a process, mapping one file, would leave the
 * second one's semaphores at zero. So each provider takes, from its first
 * load until destroyed, an instance of its object that no other provider of
 * the process holds: 0, the object as is, whose file every process shares,
 * if free; else the lowest free one, whose build-id mixes in its number: a
 * file of its own, shared by every process's instance of that number. One
 * entry per object (instance 0's build-id) with a bitmap of the instances
 * taken; open addressing. Under usdt_dyn_lock. */
struct usdt_dyn_object {
	unsigned char id[USDT_DYN_BUILD_ID_SIZE];
	int used;        /* 0: an empty slot */
	size_t words;
	uint64_t *taken; /* bit i of word w: instance 64 w + i */
};
static struct usdt_dyn_object *usdt_dyn_objects;
static size_t usdt_dyn_objects_size, usdt_dyn_objects_used;

static struct usdt_dyn_object *usdt_dyn_object_slot(const unsigned char *id)
{
	size_t mask = usdt_dyn_objects_size - 1, i;
	memcpy(&i, id, sizeof(i)); /* a SHA-1: as good as any hash */
	for (i &= mask;; i = (i + 1) & mask) {
		struct usdt_dyn_object *o = &usdt_dyn_objects[i];
		if (!o->used || memcmp(o->id, id, USDT_DYN_BUILD_ID_SIZE) == 0)
			return o;
	}
}

static int usdt_dyn_grow_objects(void)
{
	size_t size = usdt_dyn_objects_size ? 2 * usdt_dyn_objects_size : 16;
	struct usdt_dyn_object *old = usdt_dyn_objects, *grown = calloc(size, sizeof(*grown));
	size_t old_size = usdt_dyn_objects_size;
	if (!grown)
		return -ENOMEM;
	usdt_dyn_objects = grown;
	usdt_dyn_objects_size = size;
	for (size_t i = 0; i < old_size; i++)
		if (old[i].used)
			*usdt_dyn_object_slot(old[i].id) = old[i];
	free(old);
	return 0;
}

/* Take the lowest instance of the object id that no provider of this
 * process holds, into *instance: 0 or -ENOMEM. */
static int usdt_dyn_take_instance(const unsigned char *id, unsigned *instance)
{
	usdt_dyn_lock_take();
	int rc = 2 * (usdt_dyn_objects_used + 1) > usdt_dyn_objects_size ? usdt_dyn_grow_objects()
									     : 0;
	struct usdt_dyn_object *o = rc == 0 ? usdt_dyn_object_slot(id) : NULL;
	size_t w = 0;
	while (o && w < o->words && o->taken[w] == UINT64_MAX)
		w++;
	if (o && w == o->words) {
		uint64_t *taken = realloc(o->taken, (w + 1) * sizeof(*taken));
		rc = taken ? 0 : -ENOMEM;
		if (taken) {
			taken[w] = 0;
			o->taken = taken;
			o->words = w + 1;
		}
	}
	if (rc == 0) {
		usdt_dyn_objects_used += !o->used;
		o->used = 1;
		memcpy(o->id, id, USDT_DYN_BUILD_ID_SIZE);
		int bit = __builtin_ctzll(~o->taken[w]);
		o->taken[w] |= (uint64_t)1 << bit;
		*instance = (unsigned)(64 * w + (size_t)bit);
	}
	usdt_dyn_lock_release();
	return rc;
}

static void usdt_dyn_release_instance(const unsigned char *id, unsigned instance)
{
	usdt_dyn_lock_take();
	struct usdt_dyn_object *o = usdt_dyn_objects_size ? usdt_dyn_object_slot(id) : NULL;
	if (o && o->used && instance / 64 < o->words)
		o->taken[instance / 64] &= ~((uint64_t)1 << instance % 64);
	usdt_dyn_lock_release();
}

/* ---- Where the object lives --------------------------------------------- */

static int usdt_dyn_write_all(int fd, const unsigned char *image, size_t size)
{
	size_t done = 0;
	while (done < size) {
		ssize_t n = write(fd, image + done, size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		done += (size_t)n;
	}
	return 0;
}

/* Whether the file system of fd allows executable mappings. */
static int usdt_dyn_exec_allowed(int fd)
{
	struct statvfs st;
	return fstatvfs(fd, &st) == 0 && !(st.f_flag & ST_NOEXEC);
}

/* Whether fd, opened by name in dirfd, is still what that name refers to
 * (1, else 0): a remover may have unlinked it, or a loader put a new file
 * over it. A negative errno if either cannot be inspected. */
static int usdt_dyn_same_file(int dirfd, const char *name, int fd, struct stat *st)
{
	struct stat by_name;
	if (fstat(fd, st) != 0)
		return -errno;
	if (fstatat(dirfd, name, &by_name, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? 0 : -errno;
	return st->st_dev == by_name.st_dev && st->st_ino == by_name.st_ino;
}

/* Whether st and fd hold exactly provider's object, safe to map: a regular
 * file, owned by us or root, writable by nobody (root aside). A file this
 * call wrote (its identity in *written) need not be read. */
static int usdt_dyn_holds(int fd, const struct stat *st, const unsigned char *image, size_t size,
			  const struct stat *written)
{
	if (!S_ISREG(st->st_mode) || (st->st_uid != geteuid() && st->st_uid != 0) ||
	    (st->st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)) || st->st_size != (off_t)size)
		return 0;
	if (written->st_ino != 0 && written->st_ino == st->st_ino && written->st_dev == st->st_dev)
		return 1;
	unsigned char *content = malloc(size);
	size_t done = 0;
	while (content && done < size) {
		ssize_t n = pread(fd, content + done, size - done, (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	int same = content && done == size && memcmp(content, image, size) == 0;
	free(content);
	return same;
}

/* Put a new file holding image at dir/name, read-only, atomically: written
 * into an unnamed file, locked shared (so that no remover takes it), then
 * linked at the name, or where replace is set linked at a temporary name
 * and renamed over whatever is at the name. Someone else having linked it
 * first is fine. The new file stays open in *written_fd (closing the one
 * there before), its identity in *written, until the caller holds the file
 * by its name. 0 or a negative errno. */
static int usdt_dyn_create_named(int dirfd, const char *name, const unsigned char *image,
				 size_t size, int replace, struct stat *written, int *written_fd)
{
	static unsigned serial;
	int fd = openat(dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0444);
	if (fd < 0)
		return -errno;
	int rc = usdt_dyn_write_all(fd, image, size);
	char proc[64], temporary[NAME_MAX + 1];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	snprintf(temporary, sizeof(temporary), "%s.tmp%ld.%u", name, (long)getpid(),
		 __atomic_fetch_add(&serial, 1, __ATOMIC_RELAXED));
	const char *link = replace ? temporary : name;
	/* *written only once linked: a closed file's inode number may be
	 * reused by another file, which usdt_dyn_holds would then not read. */
	struct stat st;
	if (rc == 0 && (fstat(fd, &st) != 0 || flock(fd, LOCK_SH | LOCK_NB) != 0))
		rc = -errno;
	if (rc == 0 && linkat(AT_FDCWD, proc, dirfd, link, AT_SYMLINK_FOLLOW) != 0)
		rc = errno == EEXIST && !replace ? 1 : -errno;
	if (rc == 0 && replace && renameat(dirfd, temporary, dirfd, name) != 0) {
		rc = -errno;
		unlinkat(dirfd, temporary, 0);
	}
	if (rc != 0) {
		close(fd);
		return rc > 0 ? 0 : rc;
	}
	if (*written_fd >= 0)
		close(*written_fd);
	*written_fd = fd;
	*written = st;
	return 0;
}

/* Whether name is one of the kit's files: PROVIDER-BUILDID.so, or that
 * followed by .tmp and anything (left by a load that died while
 * replacing). */
static int usdt_dyn_is_object_name(const char *name)
{
	const char *so = strstr(name, ".so");
	size_t hex = 2 * USDT_DYN_BUILD_ID_SIZE;
	if (!so || (so[3] && strncmp(so + 3, ".tmp", 4) != 0) || (size_t)(so - name) < hex + 2 ||
	    so[-(ptrdiff_t)hex - 1] != '-')
		return 0;
	for (const char *c = so - hex; c < so; c++)
		if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
			return 0;
	return 1;
}

/* The named files this process holds, with how many of its providers hold
 * each: a reclaiming load skips them without a system call (a process with
 * many providers would otherwise try each of its own files at every load).
 * Open addressing; a count of 0 keeps its slot until the table grows. Under
 * usdt_dyn_lock. */
struct usdt_dyn_held_file {
	dev_t dev;
	ino_t ino; /* 0: an empty slot */
	unsigned count;
};
static struct usdt_dyn_held_file *usdt_dyn_held;
static size_t usdt_dyn_held_size, usdt_dyn_held_used;

static struct usdt_dyn_held_file *usdt_dyn_held_slot(dev_t dev, ino_t ino)
{
	size_t mask = usdt_dyn_held_size - 1;
	for (size_t i = (size_t)(ino ^ dev) * 0x9e3779b97f4a7c15u & mask;; i = (i + 1) & mask) {
		struct usdt_dyn_held_file *slot = &usdt_dyn_held[i];
		if (!slot->ino || (slot->ino == ino && slot->dev == dev))
			return slot;
	}
}

/* Count one more hold of the file st by this process: 0, or -1 if out of
 * memory (the file is then tried, in vain, by reclaiming loads). */
static int usdt_dyn_hold(const struct stat *st)
{
	usdt_dyn_lock_take();
	int rc = 0;
	if (2 * (usdt_dyn_held_used + 1) > usdt_dyn_held_size) {
		size_t size = usdt_dyn_held_size ? 2 * usdt_dyn_held_size : 16;
		struct usdt_dyn_held_file *old = usdt_dyn_held, *grown = calloc(size, sizeof(*grown));
		size_t old_size = usdt_dyn_held_size;
		if (grown) {
			usdt_dyn_held = grown;
			usdt_dyn_held_size = size;
			usdt_dyn_held_used = 0;
			for (size_t i = 0; i < old_size; i++)
				if (old[i].count) {
					*usdt_dyn_held_slot(old[i].dev, old[i].ino) = old[i];
					usdt_dyn_held_used++;
				}
			free(old);
		}
		rc = grown ? 0 : -1;
	}
	if (rc == 0) {
		struct usdt_dyn_held_file *slot = usdt_dyn_held_slot(st->st_dev, st->st_ino);
		usdt_dyn_held_used += !slot->ino;
		slot->dev = st->st_dev;
		slot->ino = st->st_ino;
		slot->count++;
	}
	usdt_dyn_lock_release();
	return rc;
}

static void usdt_dyn_unhold(dev_t dev, ino_t ino)
{
	usdt_dyn_lock_take();
	struct usdt_dyn_held_file *slot = usdt_dyn_held_size ? usdt_dyn_held_slot(dev, ino) : NULL;
	if (slot && slot->ino && slot->count)
		slot->count--;
	usdt_dyn_lock_release();
}

static int usdt_dyn_held_here(dev_t dev, ino_t ino)
{
	usdt_dyn_lock_take();
	int held = usdt_dyn_held_size && usdt_dyn_held_slot(dev, ino)->count > 0;
	usdt_dyn_lock_release();
	return held;
}

/* Close a loaded object's descriptor, and for a named file (ino not 0)
 * count one hold less. */
static void usdt_dyn_close_file(int fd, dev_t dev, ino_t ino)
{
	if (ino)
		usdt_dyn_unhold(dev, ino);
	close(fd);
}

/* Remove every file of the kit in the directory dirfd that no process
 * holds: a loaded provider's file is locked shared by every process that
 * loaded it, and the kernel drops the lock when the last of them closes it
 * or dies. The lock taken exclusive, the name must still refer to the
 * locked file (a loader re-checks the same way after its lock). Files
 * this process holds are skipped. The number of files removed, or a
 * negative errno. */
static int usdt_dyn_reclaim_at(int dirfd)
{
	struct stat dir;
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &dir) != 0) {
		int code = errno;
		if (fd >= 0)
			close(fd);
		return -code;
	}
	int removed = 0;
	ssize_t n;
	char entries[4096] __attribute__((aligned(8)));
	while ((n = getdents64(fd, entries, sizeof(entries))) > 0) {
		for (ssize_t at = 0; at < n;) {
			const struct dirent64 *e = (const void *)(entries + at);
			at += e->d_reclen;
			if ((e->d_type != DT_REG && e->d_type != DT_UNKNOWN) ||
			    !usdt_dyn_is_object_name(e->d_name) || usdt_dyn_held_here(dir.st_dev, e->d_ino))
				continue;
			int file = openat(dirfd, e->d_name,
					  O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
			struct stat st;
			if (file >= 0 && flock(file, LOCK_EX | LOCK_NB) == 0 &&
			    usdt_dyn_same_file(dirfd, e->d_name, file, &st) > 0 && S_ISREG(st.st_mode) &&
			    unlinkat(dirfd, e->d_name, 0) == 0)
				removed++;
			if (file >= 0)
				close(file);
		}
	}
	int code = n < 0 ? errno : 0;
	close(fd);
	return code ? -code : removed;
}

/* The name of our own directory in a directory others may write:
 * usdt-EUID. */
static void usdt_dyn_user_dir_name(char name[32])
{
	snprintf(name, 32, "usdt-%ld", (long)geteuid());
}

enum { USDT_DYN_DIR_OWNER = 1, USDT_DYN_DIR_WRITABLE };

/* What forbids the directory st to hold the kit's files or lead to them:
 * 0 where it is ours (or root's, where root_ok is set) and writable by
 * nobody else (unless sticky where sticky_ok is set: nobody else can then
 * rename or remove what is ours), else the reason. */
static int usdt_dyn_dir_unsafe(const struct stat *st, int root_ok, int sticky_ok)
{
	if (st->st_uid != geteuid() && !(root_ok && st->st_uid == 0))
		return USDT_DYN_DIR_OWNER;
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(sticky_ok && (st->st_mode & S_ISVTX)))
		return USDT_DYN_DIR_WRITABLE;
	return 0;
}

/* Whether the directory fd may hold the kit's files or lead to them: owned
 * by root or by us and writable by nobody else unless sticky; where mine is
 * set (our own directory in a shared one), owned by us and writable by
 * nobody else at all. */
static int usdt_dyn_check_dir(int fd, const char *dir, const char *component, int mine,
			      usdt_error *err)
{
	struct stat st;
	char quoted[2][USDT_DYN_QUOTED_SIZE];
	usdt_dyn_quote(quoted[0], dir, USDT_NAME_MAX);
	usdt_dyn_quote(quoted[1], component, USDT_NAME_MAX);
	if (fstat(fd, &st) != 0)
		return usdt_dyn_fail(err, errno, "directory \"%s\": cannot inspect \"%s\": %s",
				     quoted[0], quoted[1], strerror(errno));
	int unsafe = usdt_dyn_dir_unsafe(&st, !mine, !mine);
	if (unsafe == USDT_DYN_DIR_OWNER)
		return usdt_dyn_fail(err, EPERM,
				     "directory \"%s\": \"%s\" belongs to another user (uid %ld)",
				     quoted[0], quoted[1], (long)st.st_uid);
	if (unsafe == USDT_DYN_DIR_WRITABLE)
		return usdt_dyn_fail(err, EPERM,
				     "directory \"%s\": others may write \"%s\" (mode %o%s)",
				     quoted[0], quoted[1], (unsigned)st.st_mode & 07777,
				     mine ? "" : ", not sticky");
	return 0;
}

/* Step from the directory *fd into its entry component, checked as
 * usdt_dyn_check_dir does: a symlink is followed only if root or we own it;
 * the new directory replaces *fd. */
static int usdt_dyn_enter(int *fd, const char *dir, const char *component, int create,
			  int mine, usdt_error *err)
{
	int flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
	int next = openat(*fd, component, flags | O_NOFOLLOW);
	/* Another process may create it at the same time. */
	if (next < 0 && errno == ENOENT && create &&
	    (mkdirat(*fd, component, 0755) == 0 || errno == EEXIST))
		next = openat(*fd, component, flags | O_NOFOLLOW);
	struct stat st;
	if (next < 0 && errno == ENOTDIR &&
	    fstatat(*fd, component, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
		char quoted[2][USDT_DYN_QUOTED_SIZE];
		if (st.st_uid != 0 && st.st_uid != geteuid())
			return usdt_dyn_fail(err, EPERM,
					     "directory \"%s\": the symlink \"%s\" belongs to "
					     "another user (uid %ld)",
					     usdt_dyn_quote(quoted[0], dir, USDT_NAME_MAX),
					     usdt_dyn_quote(quoted[1], component, USDT_NAME_MAX),
					     (long)st.st_uid);
		next = openat(*fd, component, flags);
	}
	if (next < 0) {
		char quoted[USDT_DYN_QUOTED_SIZE];
		return usdt_dyn_fail(err, errno, "cannot open directory \"%s\": %s",
				     usdt_dyn_quote(quoted, dir, USDT_NAME_MAX), strerror(errno));
	}
	close(*fd);
	*fd = next;
	return usdt_dyn_check_dir(next, dir, component, mine, err);
}

/* Walk to dir for the kit's files, one component at a time from "/", each
 * checked by usdt_dyn_enter, the last created if create is set and it is
 * missing. A directory others may write to (sticky, as /tmp and /dev/shm
 * are) is not used itself but its subdirectory usdt-EUID, which must be
 * ours: *user_dir says so. An O_PATH descriptor, or a negative errno. */
static int usdt_dyn_walk_dir(const char *dir, int create, int *user_dir, usdt_error *err)
{
	int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return usdt_dyn_fail(err, errno, "cannot open /: %s", strerror(errno));
	int rc = usdt_dyn_check_dir(fd, dir, "/", 0, err);
	for (const char *at = dir; rc == 0 && *at;) {
		size_t len = strcspn(at, "/");
		char component[NAME_MAX + 1];
		if (len > NAME_MAX) {
			rc = usdt_dyn_fail(err, ENAMETOOLONG, "directory \"%.64s\" has a name too long",
					   dir);
			break;
		}
		memcpy(component, at, len);
		component[len] = '\0';
		at += len + strspn(at + len, "/");
		if (strcmp(component, "..") == 0) {
			char quoted[USDT_DYN_QUOTED_SIZE];
			rc = usdt_dyn_fail(err, EINVAL, "directory \"%s\" has a \"..\"",
					   usdt_dyn_quote(quoted, dir, USDT_NAME_MAX));
		} else if (len && strcmp(component, ".") != 0) {
			rc = usdt_dyn_enter(&fd, dir, component, create && !*at, 0, err);
		}
	}
	struct stat st;
	*user_dir = rc == 0 && fstat(fd, &st) == 0 && (st.st_mode & (S_IWGRP | S_IWOTH));
	if (*user_dir) {
		char mine[32];
		usdt_dyn_user_dir_name(mine);
		rc = usdt_dyn_enter(&fd, dir, mine, create, 1, err);
	}
	if (rc != 0) {
		close(fd);
		return rc;
	}
	return fd;
}

/* The last directory usdt_dyn_walk_dir opened and checked. Opening its
 * path again (following symlinks) and finding that same directory, still
 * ours or root's and writable by nobody else, skips the walk: whichever way
 * led there, the files go into the checked directory. Under usdt_dyn_lock. */
static struct {
	char path[PATH_MAX];
	uid_t euid;
	dev_t dev;
	ino_t ino;
	int user_dir;
} usdt_dyn_checked_dir;

/* Open dir for the kit's files, as usdt_dyn_walk_dir does. */
static int usdt_dyn_open_dir(const char *dir, int create, int *user_dir, usdt_error *err)
{
	uid_t euid = geteuid();
	usdt_dyn_lock_take();
	int hit = usdt_dyn_checked_dir.euid == euid && strcmp(usdt_dyn_checked_dir.path, dir) == 0;
	dev_t dev = usdt_dyn_checked_dir.dev;
	ino_t ino = usdt_dyn_checked_dir.ino;
	*user_dir = usdt_dyn_checked_dir.user_dir;
	usdt_dyn_lock_release();
	/* Zeroed: valgrind saw the optimized code test it when fstat had failed. */
	struct stat st = { 0 };
	int fd = hit ? open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
	if (fd >= 0 && *user_dir) {
		char mine[32];
		usdt_dyn_user_dir_name(mine);
		int sub = openat(fd, mine, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = sub;
	}
	if (fd >= 0 && fstat(fd, &st) == 0 && st.st_dev == dev && st.st_ino == ino &&
	    !usdt_dyn_dir_unsafe(&st, !*user_dir, 0))
		return fd;
	if (fd >= 0)
		close(fd);
	fd = usdt_dyn_walk_dir(dir, create, user_dir, err);
	if (fd >= 0 && fstat(fd, &st) == 0 && strlen(dir) < PATH_MAX) {
		usdt_dyn_lock_take();
		strcpy(usdt_dyn_checked_dir.path, dir);
		usdt_dyn_checked_dir.euid = euid;
		usdt_dyn_checked_dir.dev = st.st_dev;
		usdt_dyn_checked_dir.ino = st.st_ino;
		usdt_dyn_checked_dir.user_dir = *user_dir;
		usdt_dyn_lock_release();
	}
	return fd;
}

/* The file at dirfd/name holding image, held: locked shared, and checked
 * to still be at that name once locked. A missing file is created; anything
 * else there (other bytes, a writable file, a symlink, a FIFO...) is removed
 * if no process holds it, else replaced. The descriptor or a negative
 * errno. */
static int usdt_dyn_hold_named(int dirfd, const char *name, const unsigned char *image,
			       size_t size, struct stat *st_out)
{
	int written_fd = -1, rc = -EAGAIN, same;
	struct stat written = { 0 }, st;
	for (int attempt = 0; attempt < 100 && rc == -EAGAIN; attempt++) {
		/* O_NONBLOCK: a FIFO put at the name must not block the open. */
		int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT) {
			rc = usdt_dyn_create_named(dirfd, name, image, size, 0, &written, &written_fd);
			rc = rc == 0 ? -EAGAIN : rc;
		} else if (fd < 0 && errno == ELOOP) { /* a symlink */
			if (unlinkat(dirfd, name, 0) != 0 && errno != ENOENT)
				rc = -errno;
		} else if (fd < 0) {
			rc = -errno;
		} else if (flock(fd, LOCK_SH | LOCK_NB) != 0) {
			/* A remover holds it for the moment it takes to unlink it. */
			rc = errno == EWOULDBLOCK ? -EAGAIN : -errno;
			if (rc == -EAGAIN)
				nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
		} else if ((same = usdt_dyn_same_file(dirfd, name, fd, &st)) <= 0) {
			rc = same < 0 ? same : -EAGAIN;
		} else if (usdt_dyn_holds(fd, &st, image, size, &written)) {
			*st_out = st;
			rc = fd;
			fd = -1;
		} else if (flock(fd, LOCK_EX | LOCK_NB) == 0 &&
			   usdt_dyn_same_file(dirfd, name, fd, &st) > 0) {
			/* No process holds it: ours to remove. */
			if (unlinkat(dirfd, name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) != 0)
				rc = -errno;
		} else {
			/* Live processes map it, changed in place under them: they
			 * keep what they map, new loads get a new file. */
			rc = usdt_dyn_create_named(dirfd, name, image, size, 1, &written, &written_fd);
			rc = rc == 0 ? -EAGAIN : rc;
		}
		if (fd >= 0)
			close(fd);
	}
	if (written_fd >= 0)
		close(written_fd);
	return rc;
}

/* The object as dir/PROVIDER-BUILDID.so, created if missing, held, and
 * opened by that name (so that the mapping shows it); the directory stays
 * open in *dir_out, for the load to reclaim once it succeeded. Sets
 * provider->path. */
static int usdt_dyn_open_named(struct usdt_provider *provider, const char *dir,
			       const unsigned char *image, size_t size, struct stat *held, int *dir_out,
			       usdt_error *err)
{
	char name[USDT_NAME_MAX + 2 * USDT_DYN_BUILD_ID_SIZE + 8], mine[32] = "";
	int n = snprintf(name, sizeof(name), "%s-", provider->name);
	for (int i = 0; i < USDT_DYN_BUILD_ID_SIZE; i++)
		n += snprintf(name + n, sizeof(name) - (size_t)n, "%02x",
			      usdt_dyn_build_id(image)[i]);
	snprintf(name + n, sizeof(name) - (size_t)n, ".so");
	int user_dir, dirfd = usdt_dyn_open_dir(dir, 1, &user_dir, err);
	if (dirfd < 0)
		return dirfd;
	if (user_dir)
		usdt_dyn_user_dir_name(mine);
	char quoted[USDT_DYN_QUOTED_SIZE];
	int fd = -1;
	if ((size_t)snprintf(provider->path, sizeof(provider->path), "%s%s%s/%s", dir,
			     user_dir ? "/" : "", mine, name) >= sizeof(provider->path))
		fd = usdt_dyn_fail(err, ENAMETOOLONG, "directory \"%s\" is too long",
				   usdt_dyn_quote(quoted, dir, USDT_NAME_MAX));
	else if (!usdt_dyn_exec_allowed(dirfd))
		fd = usdt_dyn_fail(err, EACCES, "directory \"%s\" is on a file system mounted noexec",
				   usdt_dyn_quote(quoted, dir, USDT_NAME_MAX));
	else if ((fd = usdt_dyn_hold_named(dirfd, name, image, size, held)) < 0)
		usdt_dyn_fail(err, -fd, "cannot make %s: %s", provider->path, strerror(-fd));
	if (fd >= 0 && usdt_dyn_hold(held) != 0)
		held->st_ino = 0;
	if (fd >= 0) {
		*dir_out = dirfd;
		return fd;
	}
	provider->path[0] = '\0';
	close(dirfd);
	return fd;
}

/* An unnamed, read-only file in dir that can be mapped executable, or -1. */
static int usdt_dyn_tmpfile(const char *dir)
{
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0400);
	if (fd >= 0 && !usdt_dyn_exec_allowed(fd)) {
		close(fd);
		errno = EACCES;
		fd = -1;
	}
	return fd;
}

/* An unnamed file named name (for /proc/PID/maps) holding content and then
 * zeros up to size bytes: a sealed memfd, or where memfd_create is refused
 * (or memfd_last is set: a seccomp filter may kill the process on it) an
 * O_TMPFILE file, read-only, in /dev/shm or else /tmp (whichever is not
 * mounted noexec). Nothing remains of it after the process. Its descriptor,
 * or a negative errno. */
static int usdt_dyn_unnamed_file(const char *name, const unsigned char *content,
				 size_t content_size, size_t size, int memfd_last)
{
	int fd = memfd_last ? -1 : memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	int sealable = fd >= 0;
	if (memfd_last ||
	    (fd < 0 && (errno == ENOSYS || errno == EPERM || errno == EACCES || errno == EINVAL))) {
		fd = usdt_dyn_tmpfile("/dev/shm");
		if (fd < 0)
			fd = usdt_dyn_tmpfile("/tmp");
	}
	if (fd < 0 && memfd_last) {
		fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
		sealable = fd >= 0;
	}
	int rc = fd < 0 ? -errno : usdt_dyn_write_all(fd, content, content_size);
	/* Zeros written, not a hole left by ftruncate: reading a hole of a full
	 * tmpfs would raise SIGBUS in a thread firing an unloaded probe. */
	unsigned char *zeros = rc == 0 && size > content_size ? calloc(1, size - content_size) : NULL;
	if (rc == 0 && size > content_size)
		rc = zeros ? usdt_dyn_write_all(fd, zeros, size - content_size) : -ENOMEM;
	free(zeros);
	if (rc == 0 && sealable &&
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0)
		rc = -errno;
	if (rc != 0 && fd >= 0)
		close(fd);
	return rc != 0 ? rc : fd;
}

/* The object in an unnamed file, which stays open while loaded. */
static int usdt_dyn_open_unnamed(struct usdt_provider *provider, const unsigned char *image,
				 size_t size, usdt_error *err)
{
	char name[USDT_NAME_MAX + 8];
	snprintf(name, sizeof(name), "usdt:%s", provider->name);
	int fd = usdt_dyn_unnamed_file(name, image, size, size, 0);
	if (fd < 0)
		return usdt_dyn_fail(err, -fd, "cannot make a file for provider \"%s\": %s",
				     provider->name, strerror(-fd));
	return fd;
}

/* Whether /run/usdt can hold files: it is writable, or can be created. */
static int usdt_dyn_run_writable(void)
{
	return access("/run/usdt", W_OK) == 0 || (errno == ENOENT && access("/run", W_OK) == 0);
}

static const char *usdt_dyn_getenv(const char *name)
{
	const char *value = secure_getenv(name);
	return value && value[0] ? value : NULL;
}

/* The default directories, in order: $USDT_DIR, $XDG_RUNTIME_DIR/usdt (in
 * xdg), /run/usdt where we may write it; NULL where unset. 1 if $USDT_DIR
 * asks for the memfd instead, else 0. */
static int usdt_dyn_default_dirs(const char *dirs[3], char xdg[PATH_MAX])
{
	const char *runtime = usdt_dyn_getenv("XDG_RUNTIME_DIR");
	dirs[0] = usdt_dyn_getenv("USDT_DIR");
	dirs[1] = runtime && (size_t)snprintf(xdg, PATH_MAX, "%s/usdt", runtime) < PATH_MAX ? xdg
											     : NULL;
	dirs[2] = usdt_dyn_run_writable() ? "/run/usdt" : NULL;
	return dirs[0] && strcmp(dirs[0], USDT_DIR_MEMFD) == 0;
}

/* Open the object's backing: the provider's directory if set, else the
 * default directories (the first that works; why the first failed goes to
 * *fallback), else an unnamed file. *named says which; a named file's
 * directory is left open in *dirfd, else it is -1. */
static int usdt_dyn_open_backing(struct usdt_provider *provider, const unsigned char *image,
				 size_t size, int *named, struct stat *held, int *dirfd,
				 usdt_error *fallback, usdt_error *err)
{
	*named = 1;
	*dirfd = -1;
	usdt_dyn_ok(fallback);
	if (provider->dir && strcmp(provider->dir, USDT_DIR_MEMFD) != 0)
		return usdt_dyn_open_named(provider, provider->dir, image, size, held, dirfd,
					   err);
	char xdg[PATH_MAX];
	const char *dirs[3];
	if (!provider->dir && !usdt_dyn_default_dirs(dirs, xdg)) {
		for (int i = 0; i < 3; i++) {
			usdt_error why;
			int fd = !dirs[i] ? -1
				 : dirs[i][0] == '/'
					 ? usdt_dyn_open_named(provider, dirs[i], image, size, held,
							       dirfd, &why)
					 : usdt_dyn_fail(&why, EINVAL, "$%s is not absolute",
							 i ? "XDG_RUNTIME_DIR" : "USDT_DIR");
			if (fd >= 0)
				return fd;
			if (dirs[i] && !fallback->code)
				*fallback = why;
		}
		/* No default directory at all is a fallback too. */
		if (!fallback->code)
			usdt_dyn_fail(fallback, EACCES,
				      "no usable default directory: $XDG_RUNTIME_DIR is unset and "
				      "/run/usdt is not writable");
	}
	*named = 0;
	return usdt_dyn_open_unnamed(provider, image, size, err);
}

int usdt_dir_reclaim(const char *dir, usdt_error *err)
{
	char xdg[PATH_MAX], quoted[USDT_DYN_QUOTED_SIZE];
	const char *dirs[3] = { dir, NULL, NULL };
	if (dir && dir[0] != '/')
		return usdt_dyn_fail(err, EINVAL, "directory \"%s\" is not absolute",
				     usdt_dyn_quote(quoted, dir, USDT_NAME_MAX));
	if (!dir)
		usdt_dyn_default_dirs(dirs, xdg);
	int removed = 0;
	for (int i = 0; i < 3; i++) {
		if (!dirs[i] || dirs[i][0] != '/')
			continue;
		int user_dir, fd = usdt_dyn_open_dir(dirs[i], 0, &user_dir, err);
		if (fd < 0 && dir)
			return fd;
		int rc = fd >= 0 ? usdt_dyn_reclaim_at(fd) : 0;
		if (fd >= 0)
			close(fd);
		if (rc < 0 && dir)
			return usdt_dyn_fail(err, -rc, "cannot reclaim in \"%s\": %s",
					     usdt_dyn_quote(quoted, dir, USDT_NAME_MAX), strerror(-rc));
		removed += rc > 0 ? rc : 0;
	}
	usdt_dyn_ok(err);
	return removed;
}

/* ---- The mappings ------------------------------------------------------- */

/* Map the object in fd anywhere: the code pages read and execute, the
 * semaphore pages read and write, both private, the semaphores' own mmap
 * making them writable from the start as the kernel's semaphore counting
 * needs. MAP_FAILED with errno on failure. */
static unsigned char *usdt_dyn_map_object(int fd, const struct usdt_dyn_layout *l)
{
	unsigned char *base = mmap(NULL, l->map_size, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	if (base == MAP_FAILED)
		return MAP_FAILED;
	if (mmap(base + l->text_size, l->map_size - l->text_size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_FIXED, fd, (off_t)l->text_size) == MAP_FAILED) {
		int code = errno;
		munmap(base, l->map_size);
		errno = code;
		return MAP_FAILED;
	}
	return base;
}

/* The stand-in: one file per process holding `pages` pages of stubs and then
 * as many pages of zeros. Mapped over a provider's range it has a nop and a
 * ret at every stub and zero semaphores, is never written, and costs one
 * mmap. It only grows. */
static int usdt_dyn_stand_in_fd = -1;
static size_t usdt_dyn_stand_in_pages;

/* The stand-in's pages for a provider of text_size and map_size bytes. */
static size_t usdt_dyn_stand_in_need(size_t text_size, size_t map_size)
{
	size_t page = usdt_dyn_page_size();
	size_t text_pages = text_size / page, semaphore_pages = (map_size - text_size) / page;
	return text_pages > semaphore_pages ? text_pages : semaphore_pages;
}

/* Make the stand-in cover a provider laid out as l, at its load: unloading
 * then needs nothing new. 0 or a negative errno. */
static int usdt_dyn_stand_in_reserve(const struct usdt_dyn_layout *l)
{
	size_t pages = usdt_dyn_stand_in_need(l->text_size, l->map_size);
	usdt_dyn_lock_take();
	size_t page = usdt_dyn_page_size();
	size_t want = usdt_dyn_stand_in_pages ? 2 * usdt_dyn_stand_in_pages : 1;
	while (want < pages)
		want *= 2;
	unsigned char *stubs = pages > usdt_dyn_stand_in_pages ? malloc(want * page) : NULL;
	int fd = pages <= usdt_dyn_stand_in_pages ? usdt_dyn_stand_in_fd : stubs ? 0 : -ENOMEM;
	if (stubs) {
		usdt_dyn_write_stubs(stubs, want * page);
		/* Not a memfd first: a named provider's load needs no memfd_create. */
		fd = usdt_dyn_unnamed_file("usdt-stand-in", stubs, want * page, 2 * want * page, 1);
		free(stubs);
	}
	if (fd >= 0 && fd != usdt_dyn_stand_in_fd) {
		if (usdt_dyn_stand_in_fd >= 0)
			close(usdt_dyn_stand_in_fd);
		usdt_dyn_stand_in_fd = fd;
		usdt_dyn_stand_in_pages = want;
	}
	usdt_dyn_lock_release();
	return fd < 0 ? fd : 0;
}

/* Map the stand-in over the provider's range, in one mmap of the
 * descriptor opened at load (no new file, no memory: it works with every
 * descriptor taken and the address space full): a thread firing at that
 * moment finds a nop and a ret either way, and no tracer sees the object
 * any more. 0 or a negative errno. */
static int usdt_dyn_stand_in(struct usdt_provider *provider)
{
	size_t page = usdt_dyn_page_size();
	size_t text_pages = provider->text_size / page;
	usdt_dyn_lock_take();
	int rc = 0;
	if (mmap(provider->base, provider->map_size, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED,
		 usdt_dyn_stand_in_fd, (off_t)((usdt_dyn_stand_in_pages - text_pages) * page)) ==
	    MAP_FAILED)
		rc = -errno;
	usdt_dyn_lock_release();
	return rc;
}

/* Move the object mapped at from over the stand-in at provider->base: the
 * code, then the semaphores. A thread firing meanwhile finds a nop and a
 * ret either way. On failure the stand-in is in place again. */
static int usdt_dyn_move(struct usdt_provider *provider, unsigned char *from)
{
	size_t text = provider->text_size, semaphores = provider->map_size - provider->text_size;
	if (mremap(from, text, text, MREMAP_MAYMOVE | MREMAP_FIXED, provider->base) == MAP_FAILED) {
		int code = errno;
		/* The kernel may have unmapped the destination before failing. */
		munmap(from, provider->map_size);
		usdt_dyn_stand_in(provider);
		return -code;
	}
	if (mremap(from + text, semaphores, semaphores, MREMAP_MAYMOVE | MREMAP_FIXED,
		   provider->base + text) == MAP_FAILED) {
		int code = errno;
		munmap(from + text, semaphores);
		usdt_dyn_stand_in(provider);
		return -code;
	}
	return 0;
}

/* Point the handles at the object, once: later loads map over the same
 * addresses. Other threads may be reading them (usdt.h reads a handle's
 * pointers with relaxed atomic loads): the stub first, so that a thread
 * seeing the new semaphore most likely finds the new stub too (else it
 * calls the inert stub, which only returns). */
static void usdt_dyn_point_probes(struct usdt_provider *provider)
{
	for (int i = 0; i < provider->count; i++) {
		usdt_probe *probe = &provider->probes[i]->public;
		unsigned char *stub = provider->base + USDT_DYN_TEXT_OFFSET +
				      (size_t)i * USDT_DYN_STUB_SIZE;
		unsigned char *semaphore = provider->base + provider->text_size + 4 * (size_t)i;
		__atomic_store_n(&probe->fire, (void (*)(void))(uintptr_t)stub, __ATOMIC_RELEASE);
		__atomic_store_n(&probe->semaphore, (volatile unsigned short *)(void *)semaphore,
				 __ATOMIC_RELEASE);
	}
}

/* ---- gdb's JIT interface ------------------------------------------------ */

/* gdb finds objects that no dynamic linker list holds through one list per
 * process: __jit_debug_descriptor, and a function it breaks on,
 * __jit_debug_register_code (gdb manual, "JIT Interface"; version 1). Both
 * are weak: where another JIT in the program defines them, the linker keeps
 * one definition and every JIT adds its own entries to the same list. gdb
 * (from 11) also reads one list per object file. */
struct usdt_dyn_jit_descriptor {
	uint32_t version;
	uint32_t action_flag; /* 1: register relevant_entry, 2: unregister it */
	struct usdt_dyn_jit_entry *relevant_entry;
	struct usdt_dyn_jit_entry *first_entry;
};

extern struct usdt_dyn_jit_descriptor usdt_dyn_jit_descriptor __asm__("__jit_debug_descriptor");
__attribute__((weak, visibility("default"))) struct usdt_dyn_jit_descriptor
	usdt_dyn_jit_descriptor = { 1, 0, NULL, NULL };

void usdt_dyn_jit_register_code(void) __asm__("__jit_debug_register_code");
__attribute__((weak, noinline, visibility("default"))) void usdt_dyn_jit_register_code(void)
{
	__asm__ __volatile__("" ::: "memory");
}

enum { USDT_DYN_JIT_REGISTER = 1, USDT_DYN_JIT_UNREGISTER = 2 };

static void usdt_dyn_jit_notify(struct usdt_dyn_jit_entry *entry, int add)
{
	struct usdt_dyn_jit_descriptor *d = &usdt_dyn_jit_descriptor;
	usdt_dyn_lock_take();
	if (add) {
		entry->prev = NULL;
		entry->next = d->first_entry;
		if (entry->next)
			entry->next->prev = entry;
		d->first_entry = entry;
	} else {
		if (entry->prev)
			entry->prev->next = entry->next;
		else
			d->first_entry = entry->next;
		if (entry->next)
			entry->next->prev = entry->prev;
	}
	d->relevant_entry = entry;
	d->action_flag = add ? USDT_DYN_JIT_REGISTER : USDT_DYN_JIT_UNREGISTER;
	usdt_dyn_jit_register_code();
	d->relevant_entry = NULL;
	d->action_flag = 0;
	usdt_dyn_lock_release();
}

/* Take the provider's object out of gdb's list (its copy is freed by the
 * next load or destroy: unloading allocates and frees nothing). */
static void usdt_dyn_jit_unlist(struct usdt_provider *provider)
{
	if (provider->jit_listed)
		usdt_dyn_jit_notify(provider->jit, 0);
	provider->jit_listed = 0;
}

static void usdt_dyn_jit_free(struct usdt_provider *provider)
{
	usdt_dyn_jit_unlist(provider);
	if (provider->jit)
		free((void *)(uintptr_t)provider->jit->symfile_addr);
	free(provider->jit);
	provider->jit = NULL;
}

#endif /* USDT_DYN_MACHINE */

int usdt_provider_load(usdt_provider *provider, usdt_error *err)
{
	if (!provider)
		return usdt_dyn_fail(err, EINVAL, "provider is NULL");
	if (provider->loaded)
		return usdt_dyn_fail(err, EBUSY, "provider \"%s\" is already loaded", provider->name);
	if (provider->count == 0)
		return usdt_dyn_fail(err, EINVAL, "provider \"%s\" has no probes to load",
				     provider->name);
#ifdef USDT_DYN_MACHINE
	if (elf_version(EV_CURRENT) == EV_NONE)
		return usdt_dyn_fail(err, EIO, "libelf is unusable: %s", elf_errmsg(-1));
	struct usdt_dyn_layout l = usdt_dyn_layout(provider);
	size_t size = l.file_size;
	/* Everything that can run out of memory, first. */
	unsigned char *image = calloc(1, size);
	unsigned char *symfile = image ? calloc(1, size) : NULL;
	struct usdt_dyn_jit_entry *jit = symfile ? calloc(1, sizeof(*jit)) : NULL;
	if (!jit) {
		free(symfile);
		free(image);
		return usdt_dyn_fail(err, ENOMEM, "out of memory loading provider \"%s\"",
				     provider->name);
	}
	int named = 0, fd = -1, dirfd = -1, rc = 0, new_instance = provider->instance < 0;
	usdt_error fallback;
	struct stat held = { 0 };
	if (new_instance) {
		unsigned instance;
		usdt_dyn_object_id(provider, 0, provider->object);
		rc = usdt_dyn_take_instance(provider->object, &instance);
		provider->instance = rc == 0 ? (int)instance : -1;
		if (rc != 0)
			usdt_dyn_fail(err, ENOMEM, "out of memory loading provider \"%s\"",
				      provider->name);
	}
	if (rc == 0 && usdt_dyn_image(provider, &l, (unsigned)provider->instance, image) != 0)
		rc = usdt_dyn_fail(err, EIO, "libelf cannot write provider \"%s\": %s",
				   provider->name, elf_errmsg(-1));
	/* What unloading needs, now. */
	if (rc == 0 && (rc = usdt_dyn_stand_in_reserve(&l)) != 0)
		usdt_dyn_fail(err, -rc, "cannot make the stand-in for provider \"%s\": %s",
			      provider->name, strerror(-rc));
	if (rc == 0) {
		fd = usdt_dyn_open_backing(provider, image, size, &named, &held, &dirfd, &fallback,
					   err);
		rc = fd < 0 ? fd : 0;
	}
	unsigned char *base = MAP_FAILED;
	if (rc == 0) {
		base = usdt_dyn_map_object(fd, &l);
		if (base == MAP_FAILED)
			rc = usdt_dyn_fail(err, errno, "cannot map provider \"%s\": %s",
					   provider->name, strerror(errno));
	}
	int first_load = provider->base == NULL;
	/* gdb's copy, with the addresses the object is about to have. */
	if (rc == 0)
		memcpy(symfile, image, size);
	if (rc == 0 &&
	    usdt_dyn_headers(provider, &l, (uint64_t)(uintptr_t)(first_load ? base : provider->base),
			     symfile) != 0) {
		munmap(base, l.map_size);
		rc = usdt_dyn_fail(err, EIO, "libelf cannot write provider \"%s\": %s",
				   provider->name, elf_errmsg(-1));
	}
	if (rc == 0 && first_load) {
		provider->base = base;
		provider->text_size = l.text_size;
		provider->map_size = l.map_size;
	} else if (rc == 0) {
		rc = usdt_dyn_move(provider, base);
		if (rc != 0)
			usdt_dyn_fail(err, -rc, "cannot map provider \"%s\" again: %s",
				      provider->name, strerror(-rc));
	}
	free(image);
	/* Only a load that succeeded reclaims: a failed one changes nothing. */
	if (dirfd >= 0) {
		if (rc == 0)
			usdt_dyn_reclaim_at(dirfd);
		close(dirfd);
	}
	if (rc != 0) {
		if (fd >= 0)
			usdt_dyn_close_file(fd, held.st_dev, held.st_ino);
		if (new_instance && provider->instance >= 0)
			usdt_dyn_release_instance(provider->object, (unsigned)provider->instance);
		if (new_instance)
			provider->instance = -1;
		free(jit);
		free(symfile);
		provider->path[0] = '\0';
		return rc < 0 ? rc : -EIO;
	}
	/* The previous load's file and gdb's copy, kept by unload. */
	if (provider->fd >= 0)
		usdt_dyn_close_file(provider->fd, provider->held_dev, provider->held_ino);
	usdt_dyn_jit_free(provider);
	provider->fd = fd;
	provider->named = named;
	provider->held_dev = held.st_dev;
	provider->held_ino = held.st_ino;
	provider->fallback = fallback;
	provider->loaded = 1;
	jit->symfile_addr = (const char *)symfile;
	jit->symfile_size = size;
	provider->jit = jit;
	provider->jit_listed = 1;
	usdt_dyn_jit_notify(jit, 1);
	if (first_load)
		usdt_dyn_point_probes(provider);
	usdt_dyn_ok(err);
	return 0;
#else
	return usdt_dyn_fail(err, ENOSYS, "dynamic probes are not supported on this architecture");
#endif
}

int usdt_provider_unload(usdt_provider *provider, usdt_error *err)
{
	if (!provider)
		return usdt_dyn_fail(err, EINVAL, "provider is NULL");
	if (!provider->loaded)
		return usdt_dyn_fail(err, EINVAL, "provider \"%s\" is not loaded", provider->name);
#ifdef USDT_DYN_MACHINE
	int rc = usdt_dyn_stand_in(provider);
	if (rc != 0)
		return usdt_dyn_fail(err, -rc, "cannot unload provider \"%s\": %s", provider->name,
				     strerror(-rc));
	usdt_dyn_jit_unlist(provider);
	provider->loaded = 0;
	provider->path[0] = '\0';
	usdt_dyn_ok(err);
	return 0;
#else
	return usdt_dyn_fail(err, ENOSYS, "dynamic probes are not supported on this architecture");
#endif
}

void usdt_provider_destroy(usdt_provider *provider)
{
	if (!provider)
		return;
#ifdef USDT_DYN_MACHINE
	usdt_dyn_jit_free(provider);
	if (provider->fd >= 0)
		usdt_dyn_close_file(provider->fd, provider->held_dev, provider->held_ino);
	if (provider->instance >= 0)
		usdt_dyn_release_instance(provider->object, (unsigned)provider->instance);
#endif
	if (provider->base)
		munmap(provider->base, provider->map_size);
	for (int i = 0; i < provider->count; i++)
		free(provider->probes[i]);
	free(provider->probes);
	free(provider->index);
	free(provider->dir);
	free(provider);
}

int usdt_provider_fallback(const usdt_provider *provider, usdt_error *why)
{
	if (!provider || !provider->loaded) {
		usdt_dyn_ok(why);
		return 0;
	}
	if (why)
		*why = provider->fallback;
	return provider->fallback.code;
}

const char *usdt_provider_path(const usdt_provider *provider)
{
	if (!provider || !provider->loaded)
		return NULL;
	if (!provider->named) {
		/* An unnamed file, through this process: after a fork, the child. */
		struct usdt_provider *p = (struct usdt_provider *)(uintptr_t)provider;
		snprintf(p->path, sizeof(p->path), "/proc/%ld/fd/%d", (long)getpid(), p->fd);
	}
	return provider->path;
}

/* ---- Calls for bindings ------------------------------------------------- */

int usdt_abi_version(void)
{
	return USDT_ABI_VERSION;
}

int usdt_probe_enabled(const usdt_probe *probe)
{
	const volatile unsigned short *semaphore = usdt_probe_semaphore(probe);
	return semaphore && *USDT__PAIR_OF(semaphore) != 0;
}

const volatile unsigned short *usdt_probe_semaphore(const usdt_probe *probe)
{
	/* Acquire: pairs with the release in usdt_dyn_point_probes. */
	return probe ? __atomic_load_n(&probe->semaphore, __ATOMIC_ACQUIRE) : NULL;
}

int usdt_probe_argc(const usdt_probe *probe)
{
	return probe ? probe->argc : -EINVAL;
}

/* Call fire as USDT_FIRE does: with the arguments as 64-bit values. */
#define USDT_DYN_CALL(fire, params, ...) ((void (*) params)(fire))(__VA_ARGS__)

int usdt_probe_fire(const usdt_probe *probe, int argc, const uint64_t *args)
{
	if (!probe || argc != probe->argc || (argc > 0 && !args))
		return -EINVAL;
	const volatile unsigned short *semaphore = usdt_probe_semaphore(probe);
	if (!semaphore || *USDT__PAIR_OF(semaphore) == 0)
		return 0;
	/* Seeing the probe's semaphore, this thread also sees its function. */
	void (*fire)(void) = __atomic_load_n(&probe->fire, __ATOMIC_ACQUIRE);
	const uint64_t *a = args;
	typedef usdt__u64 u;
	switch (argc) {
	case 0: fire(); break;
	case 1: USDT_DYN_CALL(fire, (u), a[0]); break;
	case 2: USDT_DYN_CALL(fire, (u, u), a[0], a[1]); break;
	case 3: USDT_DYN_CALL(fire, (u, u, u), a[0], a[1], a[2]); break;
	case 4: USDT_DYN_CALL(fire, (u, u, u, u), a[0], a[1], a[2], a[3]); break;
	case 5: USDT_DYN_CALL(fire, (u, u, u, u, u), a[0], a[1], a[2], a[3], a[4]); break;
	case 6: USDT_DYN_CALL(fire, (u, u, u, u, u, u), a[0], a[1], a[2], a[3], a[4], a[5]); break;
	case 7:
		USDT_DYN_CALL(fire, (u, u, u, u, u, u, u), a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
		break;
	case 8:
		USDT_DYN_CALL(fire, (u, u, u, u, u, u, u, u), a[0], a[1], a[2], a[3], a[4], a[5],
			      a[6], a[7]);
		break;
	case 9:
		USDT_DYN_CALL(fire, (u, u, u, u, u, u, u, u, u), a[0], a[1], a[2], a[3], a[4], a[5],
			      a[6], a[7], a[8]);
		break;
	case 10:
		USDT_DYN_CALL(fire, (u, u, u, u, u, u, u, u, u, u), a[0], a[1], a[2], a[3], a[4],
			      a[5], a[6], a[7], a[8], a[9]);
		break;
	case 11:
		USDT_DYN_CALL(fire, (u, u, u, u, u, u, u, u, u, u, u), a[0], a[1], a[2], a[3], a[4],
			      a[5], a[6], a[7], a[8], a[9], a[10]);
		break;
	case 12:
		USDT_DYN_CALL(fire, (u, u, u, u, u, u, u, u, u, u, u, u), a[0], a[1], a[2], a[3],
			      a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11]);
		break;
	default:
		return -EINVAL;
	}
	/* As USDT_FIRE on a handle (a static probe's fire function has batched
	 * it already). Without <sys/sdt.h> usdt.h defines no batching. */
#ifdef USDT__BATCH
	USDT__HANDLE_BATCH(probe, (unsigned)argc, (const usdt__u64 *)(const void *)args);
#endif
	return 1;
}
