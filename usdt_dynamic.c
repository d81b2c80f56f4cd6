/* usdt_dynamic.c - USDT providers and probes whose names are known at run time.
 *
 * A loaded provider is a tiny ELF object built with libelf into a memfd and
 * mapped into the process, so tracers find it through /proc/PID/maps like any
 * shared library:
 *
 *   offset 0        ELF header, program headers, then one 16-byte stub per
 *                   probe (x86-64: 5-byte nop, ret; aarch64: nop, ret) and the
 *                   1-byte .stapsdt.base.               PT_LOAD R+X
 *   next page       .probes: one 16-bit semaphore per probe.  PT_LOAD R+W
 *   not loaded      .note.stapsdt (one note per probe), .shstrtab, section
 *                   headers.
 *
 * Virtual addresses equal file offsets, so every tracer's address arithmetic
 * agrees. The code mapping is private and never writable; the semaphore
 * mapping is private and writable, which is what the kernel needs to count
 * attached tracers in it. Two mappings, two pages for up to 244 probes.
 *
 * A probe handle (usdt_probe) points at its semaphore and its stub. Unloading
 * replaces both mappings in one mremap, at the same addresses, by anonymous
 * memory holding the same stubs and zero semaphores: a thread that is firing
 * at that moment finds a nop and a ret where it expects them, and tracers no
 * longer see the object. Loading again maps a new object over the same
 * addresses, so handles never change once loaded.
 */
#define _GNU_SOURCE
#include "usdt.h"

#include <errno.h>
#include <fcntl.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/statvfs.h>
#include <unistd.h>

#if defined(__x86_64__)
#define USDT_DYN_MACHINE EM_X86_64
/* nopl 0x0(%rax,%rax,1); ret: kernels from 6.18 turn a uprobe on exactly
 * this 5-byte nop into a call, which is safe here: a stub keeps nothing in
 * its red zone. Padding is int3. */
static const unsigned char usdt_dyn_stub[] = { 0x0f, 0x1f, 0x44, 0x00, 0x00, 0xc3 };
#define USDT_DYN_PAD 0xcc
#elif defined(__aarch64__)
#define USDT_DYN_MACHINE EM_AARCH64
/* nop; ret (little-endian); padding is zero, an undefined instruction. */
static const unsigned char usdt_dyn_stub[] = { 0x1f, 0x20, 0x03, 0xd5, 0xc0, 0x03, 0x5f, 0xd6 };
#define USDT_DYN_PAD 0x00
#endif

#define USDT_DYN_STUB_SIZE 16
#define USDT_DYN_HEADERS (sizeof(Elf64_Ehdr) + 2 * sizeof(Elf64_Phdr))
#define USDT_DYN_TEXT_OFFSET ((USDT_DYN_HEADERS + 15) & ~(size_t)15)

struct usdt_dyn_probe {
	usdt_probe public; /* first: handles are pointers to it */
	char name[USDT_NAME_MAX + 1];
	int argc;
	enum usdt_type types[USDT_MAX_ARGS];
};

struct usdt_provider {
	char name[USDT_NAME_MAX + 1];
	struct usdt_dyn_probe **probes;
	int count;
	int capacity;
	int fd;             /* the loaded object, open exactly while loaded */
	unsigned char *base; /* where the object is mapped, from the first load on */
	size_t text_size;   /* pages of headers and stubs */
	size_t map_size;    /* text_size plus the semaphore pages */
	char path[64];
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
	probe->argc = argc;
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

/* The layout of an object with count probes. */
struct usdt_dyn_layout {
	size_t base_offset;   /* .stapsdt.base */
	size_t text_size;     /* headers, stubs, .stapsdt.base, page-rounded */
	size_t probes_offset; /* .probes */
	size_t probes_size;
	size_t map_size;
};

static struct usdt_dyn_layout usdt_dyn_layout(int count)
{
	struct usdt_dyn_layout l;
	size_t page = usdt_dyn_page_size();
	l.base_offset = USDT_DYN_TEXT_OFFSET + (size_t)count * USDT_DYN_STUB_SIZE;
	l.text_size = usdt_dyn_round_up(l.base_offset + 1, page);
	l.probes_offset = l.text_size;
	l.probes_size = 2 * (size_t)count;
	l.map_size = l.text_size + usdt_dyn_round_up(l.probes_size, page);
	return l;
}

/* The stubs, for the object and for its anonymous stand-in after unload. */
static void usdt_dyn_write_stubs(unsigned char *stubs, int count)
{
	for (int i = 0; i < count; i++) {
		unsigned char *stub = stubs + (size_t)i * USDT_DYN_STUB_SIZE;
		memset(stub, USDT_DYN_PAD, USDT_DYN_STUB_SIZE);
		memcpy(stub, usdt_dyn_stub, sizeof(usdt_dyn_stub));
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

/* The .note.stapsdt section: one note per probe. */
static unsigned char *usdt_dyn_notes(const struct usdt_provider *provider,
				     const struct usdt_dyn_layout *l, size_t *size)
{
	/* Upper bound per note: header, name, 3 addresses, provider, name,
	 * 12 specs of at most 16 bytes, padding. */
	size_t bound = (size_t)provider->count *
		       (12 + 8 + 24 + 2 * (USDT_NAME_MAX + 1) + USDT_MAX_ARGS * 16 + 4);
	unsigned char *notes = calloc(1, bound);
	if (!notes)
		return NULL;
	unsigned char *p = notes;
	for (int i = 0; i < provider->count; i++) {
		const struct usdt_dyn_probe *probe = provider->probes[i];
		Elf64_Nhdr *nhdr = (Elf64_Nhdr *)(void *)p;
		unsigned char *desc = p + sizeof(*nhdr) + 8;
		uint64_t addresses[3] = {
			USDT_DYN_TEXT_OFFSET + (uint64_t)i * USDT_DYN_STUB_SIZE, /* pc */
			l->base_offset,                                          /* .stapsdt.base */
			l->probes_offset + 2 * (uint64_t)i,                      /* semaphore */
		};
		char *text = (char *)desc + sizeof(addresses);
		memcpy(p + sizeof(*nhdr), "stapsdt", 8);
		memcpy(desc, addresses, sizeof(addresses));
		text += sprintf(text, "%s", provider->name) + 1;
		text += sprintf(text, "%s", probe->name) + 1;
		for (int a = 0; a < probe->argc; a++) {
			if (a > 0)
				*text++ = ' ';
			text += usdt_dyn_arg_spec(text, 16, a, probe->types[a]);
		}
		text++; /* the arguments' terminating NUL */
		nhdr->n_namesz = 8;
		nhdr->n_descsz = (Elf64_Word)((unsigned char *)text - desc);
		nhdr->n_type = 3;
		p = desc + usdt_dyn_round_up(nhdr->n_descsz, 4);
	}
	*size = (size_t)(p - notes);
	return notes;
}

/* Section names, in the order of the sections. bcc lists probes by reading
 * the executable section, then .probes, then .note.stapsdt. */
static const char usdt_dyn_shstrtab[] = "\0.text\0.stapsdt.base\0.probes\0.note.stapsdt\0.shstrtab";
enum { USDT_DYN_N_TEXT = 1, USDT_DYN_N_BASE = 7, USDT_DYN_N_PROBES = 21, USDT_DYN_N_NOTE = 29,
       USDT_DYN_N_SHSTRTAB = 43 };

/* Headers go into the image in the file's byte order, by libelf. */
static int usdt_dyn_put(unsigned char *at, const void *headers, size_t size, Elf_Type type)
{
	Elf_Data memory = { .d_buf = (void *)(uintptr_t)headers, .d_type = type, .d_size = size,
			    .d_version = EV_CURRENT };
	Elf_Data file = { .d_buf = at, .d_type = type, .d_size = size, .d_version = EV_CURRENT };
	return elf64_xlatetof(&file, &memory, ELFDATA2LSB) ? 0 : -1;
}

/* The whole object, in memory, so that it takes one write. */
static unsigned char *usdt_dyn_image(const struct usdt_provider *provider, size_t *size)
{
	struct usdt_dyn_layout l = usdt_dyn_layout(provider->count);
	size_t notes_size = 0;
	unsigned char *notes = usdt_dyn_notes(provider, &l, &notes_size);
	size_t stubs_size = (size_t)provider->count * USDT_DYN_STUB_SIZE;
	size_t note_offset = l.probes_offset + usdt_dyn_round_up(l.probes_size, 8);
	size_t shstrtab_offset = note_offset + notes_size;
	size_t shoff = usdt_dyn_round_up(shstrtab_offset + sizeof(usdt_dyn_shstrtab), 8);
	*size = shoff + 6 * sizeof(Elf64_Shdr);
	unsigned char *image = notes ? calloc(1, *size) : NULL;
	if (!image) {
		free(notes);
		return NULL;
	}

	Elf64_Ehdr ehdr = {
		.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB, EV_CURRENT },
		.e_type = ET_DYN,
		.e_machine = USDT_DYN_MACHINE,
		.e_version = EV_CURRENT,
		.e_phoff = sizeof(Elf64_Ehdr),
		.e_shoff = shoff,
		.e_ehsize = sizeof(Elf64_Ehdr),
		.e_phentsize = sizeof(Elf64_Phdr),
		.e_phnum = 2,
		.e_shentsize = sizeof(Elf64_Shdr),
		.e_shnum = 6,
		.e_shstrndx = 5,
	};
	Elf64_Phdr phdr[2] = {
		{ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_filesz = l.base_offset + 1,
		  .p_memsz = l.base_offset + 1, .p_align = usdt_dyn_page_size() },
		{ .p_type = PT_LOAD, .p_flags = PF_R | PF_W, .p_offset = l.probes_offset,
		  .p_vaddr = l.probes_offset, .p_paddr = l.probes_offset, .p_filesz = l.probes_size,
		  .p_memsz = l.probes_size, .p_align = usdt_dyn_page_size() },
	};
	Elf64_Shdr shdr[6] = {
		{ 0 },
		{ .sh_name = USDT_DYN_N_TEXT, .sh_type = SHT_PROGBITS, .sh_flags = SHF_ALLOC | SHF_EXECINSTR,
		  .sh_addr = USDT_DYN_TEXT_OFFSET, .sh_offset = USDT_DYN_TEXT_OFFSET,
		  .sh_size = stubs_size, .sh_addralign = 16 },
		{ .sh_name = USDT_DYN_N_BASE, .sh_type = SHT_PROGBITS, .sh_flags = SHF_ALLOC,
		  .sh_addr = l.base_offset, .sh_offset = l.base_offset, .sh_size = 1, .sh_addralign = 1 },
		{ .sh_name = USDT_DYN_N_PROBES, .sh_type = SHT_PROGBITS, .sh_flags = SHF_ALLOC | SHF_WRITE,
		  .sh_addr = l.probes_offset, .sh_offset = l.probes_offset, .sh_size = l.probes_size,
		  .sh_addralign = 2 },
		{ .sh_name = USDT_DYN_N_NOTE, .sh_type = SHT_NOTE, .sh_offset = note_offset,
		  .sh_size = notes_size, .sh_addralign = 4 },
		{ .sh_name = USDT_DYN_N_SHSTRTAB, .sh_type = SHT_STRTAB, .sh_offset = shstrtab_offset,
		  .sh_size = sizeof(usdt_dyn_shstrtab), .sh_addralign = 1 },
	};
	usdt_dyn_write_stubs(image + USDT_DYN_TEXT_OFFSET, provider->count);
	memcpy(image + note_offset, notes, notes_size);
	memcpy(image + shstrtab_offset, usdt_dyn_shstrtab, sizeof(usdt_dyn_shstrtab));
	free(notes);
	if (usdt_dyn_put(image, &ehdr, sizeof(ehdr), ELF_T_EHDR) != 0 ||
	    usdt_dyn_put(image + ehdr.e_phoff, phdr, sizeof(phdr), ELF_T_PHDR) != 0 ||
	    usdt_dyn_put(image + shoff, shdr, sizeof(shdr), ELF_T_SHDR) != 0) {
		free(image);
		return NULL;
	}
	return image;
}

/* Write the object for provider into fd. 0 or a negative errno. */
static int usdt_dyn_write_object(const struct usdt_provider *provider, int fd, usdt_error *err)
{
	size_t size;
	unsigned char *image = usdt_dyn_image(provider, &size);
	if (!image)
		return usdt_dyn_fail(err, ENOMEM, "out of memory building provider \"%s\"",
				     provider->name);
	size_t done = 0;
	while (done < size) {
		ssize_t n = write(fd, image + done, size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int code = n < 0 ? errno : EIO;
			free(image);
			return usdt_dyn_fail(err, code, "cannot write provider \"%s\": %s",
					     provider->name, strerror(code));
		}
		done += (size_t)n;
	}
	free(image);
	return 0;
}

/* An unnamed file in dir that can be mapped executable, or -1. */
static int usdt_dyn_tmpfile(const char *dir)
{
	struct statvfs st;
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0 && (fstatvfs(fd, &st) != 0 || (st.f_flag & ST_NOEXEC))) {
		close(fd);
		errno = EACCES;
		fd = -1;
	}
	return fd;
}

/* An unnamed file for the object: a sealable memfd, or where memfd_create is
 * unavailable an O_TMPFILE file, which has no name to leave behind, in
 * /dev/shm or else /tmp (whichever is not mounted noexec). */
static int usdt_dyn_open_file(const struct usdt_provider *provider, int *sealable,
			      usdt_error *err)
{
	char name[USDT_NAME_MAX + 8];
	snprintf(name, sizeof(name), "usdt:%s", provider->name);
	int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	*sealable = fd >= 0;
	if (fd < 0 && (errno == ENOSYS || errno == EPERM)) {
		fd = usdt_dyn_tmpfile("/dev/shm");
		if (fd < 0)
			fd = usdt_dyn_tmpfile("/tmp");
	}
	if (fd < 0)
		return usdt_dyn_fail(err, errno, "cannot create a file for provider \"%s\": %s",
				     provider->name, strerror(errno));
	return fd;
}

/* Replace whatever is mapped at provider->base by anonymous memory holding
 * the same stubs at the same offsets and zero semaphores, in one mremap: a
 * thread firing at that moment finds a nop and a ret either way, and no
 * tracer sees the object any more. The stand-in is one read and execute
 * mapping, built aside first. */
static int usdt_dyn_stand_in(struct usdt_provider *provider)
{
	unsigned char *stand_in = mmap(NULL, provider->map_size, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (stand_in == MAP_FAILED)
		return -errno;
	usdt_dyn_write_stubs(stand_in + USDT_DYN_TEXT_OFFSET, provider->count);
	__builtin___clear_cache((char *)stand_in, (char *)stand_in + provider->text_size);
	if (mprotect(stand_in, provider->map_size, PROT_READ | PROT_EXEC) != 0 ||
	    mremap(stand_in, provider->map_size, provider->map_size, MREMAP_MAYMOVE | MREMAP_FIXED,
		   provider->base) == MAP_FAILED) {
		int code = errno;
		munmap(stand_in, provider->map_size);
		return -code;
	}
	return 0;
}

/* Map the object in fd, over the stand-in at provider->base when it has been
 * loaded before, else anywhere: one mmap and one mprotect, the cheapest way
 * to its two mappings. */
static int usdt_dyn_map(struct usdt_provider *provider, int fd, usdt_error *err)
{
	struct usdt_dyn_layout l = usdt_dyn_layout(provider->count);
	int reload = provider->base != NULL;
	unsigned char *base = mmap(provider->base, l.map_size, PROT_READ | PROT_EXEC,
				   MAP_PRIVATE | (reload ? MAP_FIXED : 0), fd, 0);
	if (base == MAP_FAILED)
		return usdt_dyn_fail(err, errno, "cannot map provider \"%s\": %s", provider->name,
				     strerror(errno));
	/* The semaphores' pages: private and writable, as the kernel needs. */
	if (mprotect(base + l.probes_offset, l.map_size - l.probes_offset,
		     PROT_READ | PROT_WRITE) != 0) {
		int code = errno;
		if (reload)
			usdt_dyn_stand_in(provider);
		else
			munmap(base, l.map_size);
		return usdt_dyn_fail(err, code, "cannot map the semaphores of provider \"%s\": %s",
				     provider->name, strerror(code));
	}
	provider->base = base;
	provider->text_size = l.text_size;
	provider->map_size = l.map_size;
	return 0;
}

/* Point the handles at the object, once: later loads map over the same
 * addresses. Other threads may be reading them: the stub first, so that a
 * thread seeing the new semaphore finds the new stub too. */
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

#endif /* USDT_DYN_MACHINE */

int usdt_provider_load(usdt_provider *provider, usdt_error *err)
{
	if (!provider)
		return usdt_dyn_fail(err, EINVAL, "provider is NULL");
	if (provider->fd >= 0)
		return usdt_dyn_fail(err, EBUSY, "provider \"%s\" is already loaded", provider->name);
	if (provider->count == 0)
		return usdt_dyn_fail(err, EINVAL, "provider \"%s\" has no probes to load",
				     provider->name);
#ifdef USDT_DYN_MACHINE
	if (elf_version(EV_CURRENT) == EV_NONE)
		return usdt_dyn_fail(err, EIO, "libelf is unusable: %s", elf_errmsg(-1));
	int first_load = provider->base == NULL;
	int sealable;
	int fd = usdt_dyn_open_file(provider, &sealable, err);
	if (fd < 0)
		return fd;
	int rc = usdt_dyn_write_object(provider, fd, err);
	if (rc == 0 && sealable &&
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0)
		rc = usdt_dyn_fail(err, errno, "cannot seal provider \"%s\": %s", provider->name,
				   strerror(errno));
	if (rc == 0)
		rc = usdt_dyn_map(provider, fd, err);
	if (rc != 0) {
		close(fd);
		return rc;
	}
	provider->fd = fd;
	snprintf(provider->path, sizeof(provider->path), "/proc/%ld/fd/%d", (long)getpid(), fd);
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
	if (provider->fd < 0)
		return usdt_dyn_fail(err, EINVAL, "provider \"%s\" is not loaded", provider->name);
#ifdef USDT_DYN_MACHINE
	int rc = usdt_dyn_stand_in(provider);
	if (rc != 0)
		return usdt_dyn_fail(err, -rc, "cannot unload provider \"%s\": %s", provider->name,
				     strerror(-rc));
	close(provider->fd);
	provider->fd = -1;
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
	if (provider->base)
		munmap(provider->base, provider->map_size);
	if (provider->fd >= 0)
		close(provider->fd);
	for (int i = 0; i < provider->count; i++)
		free(provider->probes[i]);
	free(provider->probes);
	free(provider);
}

const char *usdt_provider_path(const usdt_provider *provider)
{
	if (!provider || provider->fd < 0)
		return NULL;
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
