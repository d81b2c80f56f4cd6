/* usdt_dynamic.c - USDT providers and probes whose names are known at run time.
 *
 * A loaded provider is a tiny ELF object built in memory and mapped into the
 * process, so tracers find it through /proc/PID/maps like any shared library:
 *
 *   offset 0        ELF header, program headers, the GNU build-id note, then
 *                   one 16-byte stub per probe (x86-64: a nop, ret; aarch64:
 *                   nop, ret) and the 1-byte .stapsdt.base.   PT_LOAD R+X
 *   next page       .probes: one 16-bit semaphore per probe.  PT_LOAD R+W
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
 * while each process keeps its own semaphores in its private mapping. Where no
 * directory is usable the object lives in a sealed memfd, as before.
 *
 * A probe handle (usdt_probe) points at its semaphore and its stub. Unloading
 * maps, in one mmap over the same addresses, a stand-in holding the same stubs
 * and zero semaphores: a thread that is firing at that moment finds a nop and
 * a ret where it expects them, and tracers no longer see the object. Loading
 * again moves a new object over the same addresses, so handles never change
 * once loaded.
 */
#define _GNU_SOURCE
#include "usdt.h"

#include <errno.h>
#include <fcntl.h>
#include <libelf.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#if defined(__x86_64__)
#define USDT_DYN_MACHINE EM_X86_64
/* Padding between stubs is int3. The stub's nop is chosen per kernel at run
 * time: usdt_dyn_stub(). */
#define USDT_DYN_PAD 0xcc
#elif defined(__aarch64__)
#define USDT_DYN_MACHINE EM_AARCH64
/* Padding is zero, an undefined instruction. */
#define USDT_DYN_PAD 0x00
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
	char *dir;           /* from usdt_provider_set_dir(), or NULL */
	int loaded;
	int fd;              /* the memfd or unnamed file while loaded, else -1 */
	unsigned char *base; /* where the object is mapped, from the first load on */
	size_t text_size;    /* pages of headers and stubs */
	size_t map_size;     /* text_size plus the semaphore pages */
	struct usdt_dyn_jit_entry *jit; /* while loaded, where gdb can see it */
	char path[PATH_MAX]; /* the named file, or /proc/PID/fd/N */
};

/* Where a probe points until its provider is first loaded: a zero semaphore
 * and a function that only returns, written in assembly because it is
 * called with any number of arguments. */
static const unsigned short usdt_dyn_zero;
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

static int usdt_dyn_check_name(usdt_error *err, const char *what, const char *name)
{
	if (!name)
		return usdt_dyn_fail(err, EINVAL, "%s name is NULL", what);
	size_t len = strnlen(name, USDT_NAME_MAX + 1);
	if (len == 0)
		return usdt_dyn_fail(err, EINVAL, "%s name is empty", what);
	if (len > USDT_NAME_MAX)
		return usdt_dyn_fail(err, EINVAL, "%s name is longer than %d bytes", what,
				     USDT_NAME_MAX);
	if (name[0] >= '0' && name[0] <= '9')
		return usdt_dyn_fail(err, EINVAL, "%s name \"%s\" starts with a digit", what, name);
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_'))
			return usdt_dyn_fail(err, EINVAL,
					     "%s name \"%.*s\" has a character other than "
					     "letters, digits and '_' at byte %zu",
					     what, (int)len, name, i);
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
	usdt_dyn_ok(err);
	return provider;
#endif
}

int usdt_provider_set_dir(usdt_provider *provider, const char *dir, usdt_error *err)
{
	if (!provider)
		return usdt_dyn_fail(err, EINVAL, "provider is NULL");
	if (dir && strcmp(dir, USDT_DIR_MEMFD) != 0 && dir[0] != '/')
		return usdt_dyn_fail(err, EINVAL,
				     "directory \"%s\" is neither absolute nor \"" USDT_DIR_MEMFD "\"",
				     dir);
	if (dir && strlen(dir) > PATH_MAX - 2 * USDT_NAME_MAX)
		return usdt_dyn_fail(err, ENAMETOOLONG, "directory \"%.64s...\" is too long", dir);
	char *copy = dir ? strdup(dir) : NULL;
	if (dir && !copy)
		return usdt_dyn_fail(err, ENOMEM, "out of memory setting a directory");
	free(provider->dir);
	provider->dir = copy;
	usdt_dyn_ok(err);
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
	for (int i = 0; i < provider->count; i++) {
		if (strcmp(provider->probes[i]->name, name) == 0) {
			usdt_dyn_fail(err, EEXIST, "provider \"%s\" already has a probe \"%s\"",
				      provider->name, name);
			return NULL;
		}
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
	struct usdt_dyn_probe *probe = calloc(1, sizeof(*probe));
	if (!probe) {
		usdt_dyn_fail(err, ENOMEM, "out of memory adding probe \"%s\"", name);
		return NULL;
	}
	probe->public.semaphore = (volatile unsigned short *)&usdt_dyn_zero;
	probe->public.fire = USDT_DYN_INERT_FIRE;
	probe->public.argc = argc;
	strcpy(probe->name, name);
	for (int i = 0; i < argc; i++)
		probe->types[i] = types[i];
	provider->probes[provider->count++] = probe;
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
 * are there): the 10-byte nop on kernels that optimize it, the 5-byte nop
 * on those that optimize it and undo it on detach, else 0x90. It reads the
 * kernel's version from the vDSO, without a system call, so that no seccomp
 * filter is ever asked. A stub keeps nothing in its red zone, which the
 * 5-byte nop's trampoline call overwrites.
 *
 * aarch64: nop; ret. */
#if defined(__x86_64__)
static const unsigned char usdt_dyn_stub_nop10[] = { 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00,
						     0x00, 0x00, 0x00, 0x00, 0xc3 };
static const unsigned char usdt_dyn_stub_nop5[] = { 0x0f, 0x1f, 0x44, 0x00, 0x00, 0xc3 };
static const unsigned char usdt_dyn_stub_nop1[] = { 0x90, 0xc3 };

static const unsigned char *usdt_dyn_stub(size_t *size)
{
	int nop = usdt__x86_site_nop();
	*size = nop == 10 ? sizeof(usdt_dyn_stub_nop10)
		: nop == 5 ? sizeof(usdt_dyn_stub_nop5)
			   : sizeof(usdt_dyn_stub_nop1);
	return nop == 10 ? usdt_dyn_stub_nop10 : nop == 5 ? usdt_dyn_stub_nop5 : usdt_dyn_stub_nop1;
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

/* The .note.stapsdt section, one note per probe, written at out (a zeroed
 * buffer) unless out is NULL. Its size either way. */
static size_t usdt_dyn_notes(const struct usdt_provider *provider,
			     const struct usdt_dyn_layout *l, unsigned char *out)
{
	size_t at = 0;
	for (int i = 0; i < provider->count; i++) {
		const struct usdt_dyn_probe *probe = provider->probes[i];
		char args[USDT_MAX_ARGS * 16] = "";
		size_t args_len = 0;
		for (int a = 0; a < probe->public.argc; a++) {
			if (a > 0)
				args[args_len++] = ' ';
			args_len += (size_t)usdt_dyn_arg_spec(args + args_len, 16, a, probe->types[a]);
		}
		size_t provider_len = strlen(provider->name) + 1, name_len = strlen(probe->name) + 1;
		uint64_t addresses[3] = {
			USDT_DYN_TEXT_OFFSET + (uint64_t)i * USDT_DYN_STUB_SIZE, /* pc */
			l->base_offset,                                          /* .stapsdt.base */
			l->probes_offset + 2 * (uint64_t)i,                      /* semaphore */
		};
		size_t descsz = sizeof(addresses) + provider_len + name_len + args_len + 1;
		if (out) {
			Elf64_Nhdr nhdr = { .n_namesz = 8, .n_descsz = (Elf64_Word)descsz, .n_type = 3 };
			unsigned char *p = out + at;
			memcpy(p, &nhdr, sizeof(nhdr));
			memcpy(p + sizeof(nhdr), "stapsdt", 8);
			p += sizeof(nhdr) + 8;
			memcpy(p, addresses, sizeof(addresses));
			p += sizeof(addresses);
			memcpy(p, provider->name, provider_len);
			memcpy(p + provider_len, probe->name, name_len);
			memcpy(p + provider_len + name_len, args, args_len + 1);
		}
		at += sizeof(Elf64_Nhdr) + 8 + usdt_dyn_round_up(descsz, 4);
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
	l.probes_size = 2 * (size_t)provider->count;
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
 * objects differ exactly when these do. */
static void usdt_dyn_object_id(const struct usdt_provider *provider,
			       unsigned char out[USDT_DYN_BUILD_ID_SIZE])
{
	struct usdt_dyn_sha1 c;
	size_t stub_size;
	const unsigned char *stub = usdt_dyn_stub(&stub_size);
	uint32_t numbers[4] = { 1 /* this format */, USDT_DYN_MACHINE,
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

/* Write provider's object, laid out as l, into image (l.file_size zeroed
 * bytes). 0, or -1 if libelf failed. */
static int usdt_dyn_image(const struct usdt_provider *provider, const struct usdt_dyn_layout *l,
			  unsigned char *image)
{
	Elf64_Nhdr build_id_nhdr = { .n_namesz = 4, .n_descsz = USDT_DYN_BUILD_ID_SIZE,
				     .n_type = NT_GNU_BUILD_ID };
	memcpy(image + USDT_DYN_BUILD_ID_OFFSET, &build_id_nhdr, sizeof(build_id_nhdr));
	memcpy(image + USDT_DYN_BUILD_ID_OFFSET + sizeof(Elf64_Nhdr), "GNU", 4);
	usdt_dyn_object_id(provider, image + USDT_DYN_BUILD_ID_OFFSET + sizeof(Elf64_Nhdr) + 4);
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

/* A file that is safe to map as provider's object: a regular file, owned by
 * us or root, writable by nobody (root aside), holding exactly image. */
static int usdt_dyn_verify(const struct usdt_provider *provider, int fd, const char *path,
			   const unsigned char *image, size_t size, const struct stat *written,
			   usdt_error *err)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return usdt_dyn_fail(err, errno, "cannot inspect %s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return usdt_dyn_fail(err, EPERM, "%s is not a regular file", path);
	if (st.st_uid != geteuid() && st.st_uid != 0)
		return usdt_dyn_fail(err, EPERM, "%s belongs to another user (uid %ld)", path,
				     (long)st.st_uid);
	if (st.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH))
		return usdt_dyn_fail(err, EPERM, "%s is writable (mode %o)", path,
				     (unsigned)st.st_mode & 07777);
	int same = st.st_size == (off_t)size;
	/* The file this call wrote and still holds open (never writable
	 * since): no need to read it. */
	if (same && written->st_ino != 0 && written->st_ino == st.st_ino &&
	    written->st_dev == st.st_dev)
		return 0;
	unsigned char *content = same ? malloc(size) : NULL;
	if (same && !content)
		return usdt_dyn_fail(err, ENOMEM, "out of memory loading provider \"%s\"",
				     provider->name);
	size_t done = 0;
	while (same && done < size) {
		ssize_t n = pread(fd, content + done, size - done, (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	same = same && done == size && memcmp(content, image, size) == 0;
	free(content);
	if (!same)
		return usdt_dyn_fail(err, EPERM, "%s does not hold provider \"%s\"'s object", path,
				     provider->name);
	return 0;
}

/* Create dir/name holding image, atomically: written into an unnamed file,
 * then linked into place. Someone else having linked it first is fine. The
 * file this call linked stays open in *written_fd, its identity in *written,
 * until the caller has verified what it opened by the name (so that its
 * inode number cannot be reused meanwhile); else *written_fd is -1. */
static int usdt_dyn_create_named(int dirfd, const char *name, const unsigned char *image,
				 size_t size, struct stat *written, int *written_fd)
{
	int fd = openat(dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0444);
	if (fd < 0)
		return -errno;
	int rc = usdt_dyn_write_all(fd, image, size);
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (rc == 0 && fstat(fd, written) != 0)
		rc = -errno;
	if (rc == 0 && linkat(AT_FDCWD, proc, dirfd, name, AT_SYMLINK_FOLLOW) == 0) {
		*written_fd = fd;
		return 0;
	}
	if (rc == 0 && errno != EEXIST)
		rc = -errno;
	close(fd);
	return rc;
}

/* The object as dir/PROVIDER-BUILDID.so, created if missing, verified, and
 * opened by that name (so that the mapping shows it). Sets provider->path. */
static int usdt_dyn_open_named(struct usdt_provider *provider, const char *dir,
			       const unsigned char *image, size_t size, usdt_error *err)
{
	char name[USDT_NAME_MAX + 2 * USDT_DYN_BUILD_ID_SIZE + 8];
	int n = snprintf(name, sizeof(name), "%s-", provider->name);
	for (int i = 0; i < USDT_DYN_BUILD_ID_SIZE; i++)
		n += snprintf(name + n, sizeof(name) - (size_t)n, "%02x",
			      usdt_dyn_build_id(image)[i]);
	snprintf(name + n, sizeof(name) - (size_t)n, ".so");
	if ((size_t)snprintf(provider->path, sizeof(provider->path), "%s/%s", dir, name) >=
	    sizeof(provider->path))
		return usdt_dyn_fail(err, ENAMETOOLONG, "directory %s is too long", dir);
	/* Usually the file exists: opening it is all it takes. */
	/* O_NONBLOCK: a FIFO put at the name must not block the open (the
	 * verification then refuses it). */
	int rc = 0, written_fd = -1;
	struct stat written = { 0 };
	int fd = open(provider->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		/* Another process may create the directory at the same time. */
		if (dirfd < 0 && errno == ENOENT && (mkdir(dir, 0755) == 0 || errno == EEXIST))
			dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dirfd < 0)
			rc = usdt_dyn_fail(err, errno, "cannot open directory %s: %s", dir,
					   strerror(errno));
		else if (!usdt_dyn_exec_allowed(dirfd))
			rc = usdt_dyn_fail(err, EACCES,
					   "directory %s is on a file system mounted noexec", dir);
		else if ((rc = usdt_dyn_create_named(dirfd, name, image, size, &written,
						     &written_fd)) != 0)
			usdt_dyn_fail(err, -rc, "cannot create %s: %s", provider->path, strerror(-rc));
		else
			fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (dirfd >= 0)
			close(dirfd);
	}
	if (rc == 0 && fd < 0)
		rc = usdt_dyn_fail(err, errno, "cannot open %s: %s", provider->path, strerror(errno));
	if (rc == 0 && !usdt_dyn_exec_allowed(fd))
		rc = usdt_dyn_fail(err, EACCES, "directory %s is on a file system mounted noexec",
				   dir);
	if (rc == 0)
		rc = usdt_dyn_verify(provider, fd, provider->path, image, size, &written, err);
	if (written_fd >= 0)
		close(written_fd);
	if (rc != 0) {
		if (fd >= 0)
			close(fd);
		provider->path[0] = '\0';
		return rc;
	}
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
 * zeros up to size bytes: a sealed memfd, or where memfd_create is refused an
 * O_TMPFILE file, read-only, in /dev/shm or else /tmp (whichever is not
 * mounted noexec). Nothing remains of it after the process. Its descriptor,
 * or a negative errno. */
static int usdt_dyn_unnamed_file(const char *name, const unsigned char *content,
				 size_t content_size, size_t size)
{
	int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	int sealable = fd >= 0;
	if (fd < 0 && (errno == ENOSYS || errno == EPERM || errno == EACCES || errno == EINVAL)) {
		fd = usdt_dyn_tmpfile("/dev/shm");
		if (fd < 0)
			fd = usdt_dyn_tmpfile("/tmp");
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
	int fd = usdt_dyn_unnamed_file(name, image, size, size);
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

/* Open the object's backing: the provider's directory if set, else
 * $USDT_DIR, $XDG_RUNTIME_DIR/usdt, /run/usdt (the first that works), else
 * an unnamed file. *named says which: a named file is closed once mapped, an
 * unnamed one stays open while loaded. */
static int usdt_dyn_open_backing(struct usdt_provider *provider, const unsigned char *image,
				 size_t size, int *named, usdt_error *err)
{
	*named = 1;
	const char *dir = provider->dir ? provider->dir : usdt_dyn_getenv("USDT_DIR");
	if (dir && strcmp(dir, USDT_DIR_MEMFD) != 0 && provider->dir)
		return usdt_dyn_open_named(provider, dir, image, size, err);
	if (!dir || strcmp(dir, USDT_DIR_MEMFD) != 0) {
		char xdg[PATH_MAX];
		const char *runtime = usdt_dyn_getenv("XDG_RUNTIME_DIR");
		const char *candidates[3] = { dir, NULL, NULL };
		if (runtime && runtime[0] == '/' &&
		    (size_t)snprintf(xdg, sizeof(xdg), "%s/usdt", runtime) < sizeof(xdg))
			candidates[1] = xdg;
		if (usdt_dyn_run_writable())
			candidates[2] = "/run/usdt";
		for (int i = 0; i < 3; i++) {
			int fd = candidates[i] && candidates[i][0] == '/'
					 ? usdt_dyn_open_named(provider, candidates[i], image, size, err)
					 : -1;
			if (fd >= 0)
				return fd;
		}
	}
	*named = 0;
	return usdt_dyn_open_unnamed(provider, image, size, err);
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
static pthread_mutex_t usdt_dyn_lock = PTHREAD_MUTEX_INITIALIZER;
static int usdt_dyn_stand_in_fd = -1;
static size_t usdt_dyn_stand_in_pages;

/* Make the stand-in cover pages pages of stubs and of semaphores. Under
 * usdt_dyn_lock. 0 or a negative errno. */
static int usdt_dyn_stand_in_reserve(size_t pages)
{
	if (pages <= usdt_dyn_stand_in_pages)
		return 0;
	size_t page = usdt_dyn_page_size();
	size_t want = usdt_dyn_stand_in_pages ? 2 * usdt_dyn_stand_in_pages : 1;
	while (want < pages)
		want *= 2;
	unsigned char *stubs = malloc(want * page);
	if (!stubs)
		return -ENOMEM;
	usdt_dyn_write_stubs(stubs, want * page);
	int fd = usdt_dyn_unnamed_file("usdt-stand-in", stubs, want * page, 2 * want * page);
	free(stubs);
	if (fd < 0)
		return fd;
	if (usdt_dyn_stand_in_fd >= 0)
		close(usdt_dyn_stand_in_fd);
	usdt_dyn_stand_in_fd = fd;
	usdt_dyn_stand_in_pages = want;
	return 0;
}

/* Map the stand-in over the provider's range, in one mmap: a thread firing
 * at that moment finds a nop and a ret either way, and no tracer sees the
 * object any more. 0 or a negative errno. */
static int usdt_dyn_stand_in(struct usdt_provider *provider)
{
	size_t page = usdt_dyn_page_size();
	size_t text_pages = provider->text_size / page;
	size_t semaphore_pages = (provider->map_size - provider->text_size) / page;
	pthread_mutex_lock(&usdt_dyn_lock);
	int rc = usdt_dyn_stand_in_reserve(text_pages > semaphore_pages ? text_pages
									: semaphore_pages);
	if (rc == 0 &&
	    mmap(provider->base, provider->map_size, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED,
		 usdt_dyn_stand_in_fd, (off_t)((usdt_dyn_stand_in_pages - text_pages) * page)) ==
		    MAP_FAILED)
		rc = -errno;
	pthread_mutex_unlock(&usdt_dyn_lock);
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
		unsigned char *semaphore = provider->base + provider->text_size + 2 * (size_t)i;
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
	pthread_mutex_lock(&usdt_dyn_lock);
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
	pthread_mutex_unlock(&usdt_dyn_lock);
}

/* Take the provider's object out of gdb's list and free its copy. */
static void usdt_dyn_jit_unregister(struct usdt_provider *provider)
{
	if (!provider->jit)
		return;
	usdt_dyn_jit_notify(provider->jit, 0);
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
	int named = 0, fd = -1, rc = 0;
	if (usdt_dyn_image(provider, &l, image) != 0)
		rc = usdt_dyn_fail(err, EIO, "libelf cannot write provider \"%s\": %s",
				   provider->name, elf_errmsg(-1));
	if (rc == 0) {
		fd = usdt_dyn_open_backing(provider, image, size, &named, err);
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
	if (rc != 0) {
		if (fd >= 0)
			close(fd);
		free(jit);
		free(symfile);
		provider->path[0] = '\0';
		return rc < 0 ? rc : -EIO;
	}
	if (named) {
		close(fd);
		fd = -1;
	}
	provider->fd = fd;
	provider->loaded = 1;
	jit->symfile_addr = (const char *)symfile;
	jit->symfile_size = size;
	provider->jit = jit;
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
	usdt_dyn_jit_unregister(provider);
	if (provider->fd >= 0)
		close(provider->fd);
	provider->fd = -1;
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
	usdt_dyn_jit_unregister(provider);
#endif
	if (provider->base)
		munmap(provider->base, provider->map_size);
	if (provider->fd >= 0)
		close(provider->fd);
	for (int i = 0; i < provider->count; i++)
		free(provider->probes[i]);
	free(provider->probes);
	free(provider->dir);
	free(provider);
}

const char *usdt_provider_path(const usdt_provider *provider)
{
	if (!provider || !provider->loaded)
		return NULL;
	if (provider->fd >= 0) {
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
	return semaphore && *semaphore != 0;
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
	if (!semaphore || *semaphore == 0)
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
	return 1;
}
