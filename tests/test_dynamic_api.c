/* The dynamic API without a tracer: errors, the generated object, the
 * mappings, firing every argument count, unload and reload, firing threads
 * during unload, the fallback without memfd_create, and failing system calls.
 * Runs clean under ASan, UBSan and valgrind. */
#define _GNU_SOURCE
#include "usdt.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libelf.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/auxv.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static const enum usdt_type all_types[USDT_MAX_ARGS] = {
	USDT_INT8,  USDT_UINT8,  USDT_INT16,   USDT_UINT16, USDT_INT32, USDT_UINT32,
	USDT_INT64, USDT_UINT64, USDT_POINTER, USDT_STRING, USDT_INT64, USDT_UINT64,
};
/* Where the calling convention puts each argument at the stub's entry. */
#if defined(__x86_64__)
static const char *const all_specs[USDT_MAX_ARGS] = {
	"-1@%rdi",     "1@%rsi",      "-2@%rdx",     "2@%rcx",       "-4@%r8",       "4@%r9",
	"-8@8(%rsp)", "8@16(%rsp)", "8@24(%rsp)", "8@32(%rsp)", "-8@40(%rsp)", "8@48(%rsp)",
};
#elif defined(__aarch64__)
static const char *const all_specs[USDT_MAX_ARGS] = {
	"-1@x0", "1@x1", "-2@x2", "2@x3", "-4@x4", "4@x5",
	"-8@x6", "8@x7", "8@[sp, 0]", "8@[sp, 8]", "-8@[sp, 16]", "8@[sp, 24]",
};
#endif

static void expected_args(char *out, size_t room, int argc)
{
	out[0] = '\0';
	for (int i = 0; i < argc; i++)
		snprintf(out + strlen(out), room - strlen(out), "%s%s", i ? " " : "", all_specs[i]);
}

static int evaluated;
static int evaluate(void)
{
	return ++evaluated;
}

/* ---- Reading the object back, as a tracer would ------------------------- */

struct note {
	char provider[80], name[80], args[256];
	unsigned long long pc, base, semaphore;
};

struct object {
	int ok;
	Elf64_Half type;
	char sections[8][32];
	size_t nsections;
	unsigned long long text_start, text_end, probes_start, probes_end, base_addr;
	int base_in_load;
	char build_id[41];       /* hex, from .note.gnu.build-id */
	int build_id_in_note;    /* covered by a PT_NOTE, inside the first page */
	struct note notes[64];
	size_t nnotes;
};

static struct object read_object(const char *path)
{
	struct object o;
	memset(&o, 0, sizeof(o));
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return o;
	elf_version(EV_CURRENT);
	Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
	size_t shstrndx;
	Elf64_Ehdr *ehdr = elf ? elf64_getehdr(elf) : NULL;
	if (!ehdr || elf_getshdrstrndx(elf, &shstrndx) != 0)
		goto out;
	o.type = ehdr->e_type;
	size_t nphdr;
	elf_getphdrnum(elf, &nphdr);
	Elf64_Phdr *phdr = elf64_getphdr(elf);
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(elf, scn)) != NULL;) {
		Elf64_Shdr *shdr = elf64_getshdr(scn);
		const char *name = elf_strptr(elf, shstrndx, shdr->sh_name);
		if (o.nsections < 8)
			snprintf(o.sections[o.nsections++], 32, "%s", name);
		if (strcmp(name, ".text") == 0) {
			o.text_start = shdr->sh_addr;
			o.text_end = shdr->sh_addr + shdr->sh_size;
		} else if (strcmp(name, ".probes") == 0) {
			o.probes_start = shdr->sh_addr;
			o.probes_end = shdr->sh_addr + shdr->sh_size;
		} else if (strcmp(name, ".stapsdt.base") == 0) {
			o.base_addr = shdr->sh_addr;
			for (size_t i = 0; i < nphdr; i++)
				if (phdr[i].p_type == PT_LOAD && phdr[i].p_vaddr <= shdr->sh_addr &&
				    shdr->sh_addr < phdr[i].p_vaddr + phdr[i].p_memsz)
					o.base_in_load = 1;
		} else if (strcmp(name, ".note.gnu.build-id") == 0) {
			Elf_Data *data = elf_getdata(scn, NULL);
			const unsigned char *p = data->d_buf;
			const Elf64_Nhdr *n = (const Elf64_Nhdr *)(const void *)p;
			if (data->d_size >= sizeof(*n) + 4 + 20 && n->n_type == NT_GNU_BUILD_ID &&
			    n->n_namesz == 4 && n->n_descsz == 20 && memcmp(p + sizeof(*n), "GNU", 4) == 0)
				for (int i = 0; i < 20; i++)
					sprintf(o.build_id + 2 * i, "%02x", p[sizeof(*n) + 4 + i]);
			for (size_t i = 0; i < nphdr; i++)
				if (phdr[i].p_type == PT_NOTE && phdr[i].p_offset == shdr->sh_offset &&
				    phdr[i].p_filesz == shdr->sh_size && (shdr->sh_flags & SHF_ALLOC) &&
				    shdr->sh_offset + shdr->sh_size <= 4096)
					o.build_id_in_note = 1;
		} else if (strcmp(name, ".note.stapsdt") == 0) {
			Elf_Data *data = elf_getdata(scn, NULL);
			const unsigned char *p = data->d_buf, *end = p + data->d_size;
			while (p < end && o.nnotes < 64) {
				const Elf64_Nhdr *n = (const Elf64_Nhdr *)(const void *)p;
				const unsigned char *desc = p + sizeof(*n) + ((n->n_namesz + 3) & ~3u);
				struct note *note = &o.notes[o.nnotes++];
				memcpy(&note->pc, desc, 8);
				memcpy(&note->base, desc + 8, 8);
				memcpy(&note->semaphore, desc + 16, 8);
				const char *s = (const char *)desc + 24;
				snprintf(note->provider, sizeof(note->provider), "%s", s);
				s += strlen(s) + 1;
				snprintf(note->name, sizeof(note->name), "%s", s);
				s += strlen(s) + 1;
				snprintf(note->args, sizeof(note->args), "%s", s);
				p = desc + ((n->n_descsz + 3) & ~3u);
			}
		}
	}
	o.ok = 1;
out:
	if (elf)
		elf_end(elf);
	close(fd);
	return o;
}

/* Mappings of this process whose path contains needle. */
struct mappings {
	int count, writable_executable, code_writable;
	size_t bytes;
};

static struct mappings find_mappings(const char *needle)
{
	struct mappings m = { 0, 0, 0, 0 };
	FILE *maps = fopen("/proc/self/maps", "r");
	char line[512];
	while (maps && fgets(line, sizeof(line), maps)) {
		unsigned long start, end;
		char perms[5];
		if (!strstr(line, needle) || sscanf(line, "%lx-%lx %4s", &start, &end, perms) != 3)
			continue;
		m.count++;
		m.bytes += end - start;
		m.writable_executable += perms[1] == 'w' && perms[2] == 'x';
		m.code_writable += perms[2] == 'x' && perms[1] != '-';
	}
	if (maps)
		fclose(maps);
	return m;
}

/* ---- Tests -------------------------------------------------------------- */

static void expect_error(int rc, const usdt_error *err, int code, const char *what)
{
	CHECK(rc == -code, "%s: returned %d, expected %d", what, rc, -code);
	CHECK(err->code == code, "%s: code %d, expected %d", what, err->code, code);
	CHECK(err->message[0] != '\0', "%s: empty message", what);
}

static void test_bad_input(void)
{
	usdt_error err;
	char long_name[USDT_NAME_MAX + 2];
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	const char *bad_names[] = { NULL, "", long_name, "with-dash", "9starts_with_digit",
				    "col:on", "sp ace", "dot.ted", "new\nline" };
	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		memset(&err, 0, sizeof(err));
		CHECK(usdt_provider_create(bad_names[i], &err) == NULL, "bad provider name %zu", i);
		expect_error(-err.code, &err, EINVAL, "bad provider name");
	}
	long_name[USDT_NAME_MAX] = '\0'; /* exactly the longest name */
	usdt_provider *p = usdt_provider_create(long_name, &err);
	CHECK(p != NULL, "a %d-byte name is accepted: %s", USDT_NAME_MAX, err.message);
	usdt_provider_destroy(p);
	long_name[USDT_NAME_MAX] = 'a'; /* one byte too long again */

	p = usdt_provider_create("bad_input", &err);
	CHECK(usdt_probe_add(NULL, "x", 0, NULL, &err) == NULL, "NULL provider");
	expect_error(-err.code, &err, EINVAL, "NULL provider");
	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		CHECK(usdt_probe_add(p, bad_names[i], 0, NULL, &err) == NULL, "bad probe name %zu", i);
		expect_error(-err.code, &err, EINVAL, "bad probe name");
	}
	CHECK(usdt_probe_add(p, "many", USDT_MAX_ARGS + 1, all_types, &err) == NULL, "13 args");
	expect_error(-err.code, &err, EINVAL, "13 arguments");
	CHECK(usdt_probe_add(p, "negative", -1, all_types, &err) == NULL, "-1 args");
	expect_error(-err.code, &err, EINVAL, "-1 arguments");
	CHECK(usdt_probe_add(p, "no_types", 2, NULL, &err) == NULL, "NULL types");
	expect_error(-err.code, &err, EINVAL, "NULL types");
	const enum usdt_type unknown[] = { USDT_INT32, (enum usdt_type)0 };
	CHECK(usdt_probe_add(p, "unknown", 2, unknown, &err) == NULL, "type 0");
	expect_error(-err.code, &err, EINVAL, "unknown type");
	const enum usdt_type unknown_high[] = { (enum usdt_type)(USDT_STRING + 1) };
	CHECK(usdt_probe_add(p, "unknown", 1, unknown_high, &err) == NULL, "type too high");
	expect_error(-err.code, &err, EINVAL, "unknown type");

	expect_error(usdt_provider_load(NULL, &err), &err, EINVAL, "load NULL");
	expect_error(usdt_provider_unload(NULL, &err), &err, EINVAL, "unload NULL");
	expect_error(usdt_provider_load(p, &err), &err, EINVAL, "load with no probes");
	expect_error(usdt_provider_unload(p, &err), &err, EINVAL, "unload when not loaded");
	CHECK(usdt_provider_path(NULL) == NULL, "path of NULL");
	CHECK(usdt_provider_path(p) == NULL, "path before load");

	const usdt_probe *first = usdt_probe_add(p, "first", 1, all_types, &err);
	CHECK(first != NULL, "add: %s", err.message);
	CHECK(usdt_probe_add(p, "first", 0, NULL, &err) == NULL, "duplicate");
	expect_error(-err.code, &err, EEXIST, "duplicate probe");
	CHECK(usdt_provider_load(p, &err) == 0, "load: %s", err.message);
	expect_error(usdt_provider_load(p, &err), &err, EBUSY, "load twice");
	CHECK(usdt_probe_add(p, "late", 0, NULL, &err) == NULL, "add after load");
	expect_error(-err.code, &err, EBUSY, "add after load");

	/* None of the failures changed anything: one probe, as added. */
	struct object o = read_object(usdt_provider_path(p));
	CHECK(o.ok && o.nnotes == 2, "the object has %zu notes, expected 2 (one and its companion)",
	      o.nnotes);
	CHECK(o.nnotes == 2 && strcmp(o.notes[0].name, "first") == 0 &&
		      strcmp(o.notes[0].args, all_specs[0]) == 0,
	      "note of probe first");
	usdt_provider_destroy(p);
	usdt_provider_destroy(NULL);
	/* Errors may be ignored. */
	CHECK(usdt_provider_create("", NULL) == NULL, "NULL error argument");
}

/* A provider with one probe for every argument count, 0 to 12. */
struct counts {
	usdt_provider *provider;
	const usdt_probe *probe[USDT_MAX_ARGS + 1];
};

static struct counts make_counts(const char *name)
{
	struct counts c;
	usdt_error err;
	c.provider = usdt_provider_create(name, &err);
	CHECK(c.provider != NULL, "create: %s", err.message);
	for (int n = 0; n <= USDT_MAX_ARGS; n++) {
		char probe_name[32];
		snprintf(probe_name, sizeof(probe_name), "args%d", n);
		c.probe[n] = usdt_probe_add(c.provider, probe_name, n, all_types, &err);
		CHECK(c.probe[n] != NULL, "add %s: %s", probe_name, err.message);
	}
	return c;
}

/* Fire every probe: gated (must evaluate nothing, no tracer here) and
 * ungated (calls the stub, which must return). */
static void fire_counts(const struct counts *c)
{
	const char *s = "text";
	int before = evaluated;
	USDT_FIRE(c->probe[0]);
	USDT_FIRE(c->probe[1], evaluate());
	USDT_FIRE(c->probe[12], evaluate(), 2, 3, 4, 5, 6, 7, 8, s, s, 11, 12);
	CHECK(evaluated == before, "gated fire evaluated its arguments with no tracer");
	USDT_FIRE_UNGATED(c->probe[0]);
	USDT_FIRE_UNGATED(c->probe[1], -1);
	USDT_FIRE_UNGATED(c->probe[2], -1, 2);
	USDT_FIRE_UNGATED(c->probe[3], -1, 2, -3);
	USDT_FIRE_UNGATED(c->probe[4], -1, 2, -3, 4);
	USDT_FIRE_UNGATED(c->probe[5], -1, 2, -3, 4, -5);
	USDT_FIRE_UNGATED(c->probe[6], -1, 2, -3, 4, -5, 6);
	USDT_FIRE_UNGATED(c->probe[7], -1, 2, -3, 4, -5, 6, -7);
	USDT_FIRE_UNGATED(c->probe[8], -1, 2, -3, 4, -5, 6, -7, 8);
	USDT_FIRE_UNGATED(c->probe[9], -1, 2, -3, 4, -5, 6, -7, 8, s);
	USDT_FIRE_UNGATED(c->probe[10], -1, 2, -3, 4, -5, 6, -7, 8, s, s);
	USDT_FIRE_UNGATED(c->probe[11], -1, 2, -3, 4, -5, 6, -7, 8, s, s, -11);
	USDT_FIRE_UNGATED(c->probe[12], -1, 2, -3, 4, -5, 6, -7, 8, s, s, -11, 12);
	for (int n = 0; n <= USDT_MAX_ARGS; n++)
		CHECK(!USDT_ENABLED(c->probe[n]), "probe args%d enabled with no tracer", n);
}

/* A companion note's nop, never run. */
#if defined(__x86_64__)
#define COMPANION_NOP "\x90"
#else
#define COMPANION_NOP "\x1f\x20\x03\xd5"
#endif

/* The stub's nop is the one usdt.h's rule picks for the running kernel
 * (what each kernel then does with it is tests/kernels' business). */
static void expected_stub(const unsigned char **stub, size_t *size)
{
#if defined(__x86_64__)
	static const unsigned char nop10[] = { 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00,
					       0x00, 0x00, 0x00, 0x00, 0xc3 };
	static const unsigned char nop5[] = { 0x0f, 0x1f, 0x44, 0x00, 0x00, 0xc3 };
	static const unsigned char nop1[] = { 0x90, 0xc3 };
	int nop = usdt__x86_site_nop();
	*stub = nop == 10 ? nop10 : nop == 5 ? nop5 : nop1;
	*size = nop == 10 ? sizeof(nop10) : nop == 5 ? sizeof(nop5) : sizeof(nop1);
#else
	static const unsigned char nop[] = { 0x1f, 0x20, 0x03, 0xd5, 0xc0, 0x03, 0x5f, 0xd6 };
	*stub = nop;
	*size = sizeof(nop);
#endif
}

static int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}

/* The object, its mappings, unload and reload, in a memfd (dir NULL) or in
 * a named file in dir. */
/* Whether a process holds path: its exclusive lock is refused. */
static int held(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int refused = fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
	if (fd >= 0)
		close(fd);
	return refused;
}

static void test_object(const char *dir)
{
	usdt_error err;
	struct counts c = make_counts("object_test");
	CHECK(usdt_provider_set_dir(c.provider, dir ? dir : USDT_DIR_MEMFD, &err) == 0,
	      "set_dir: %s", err.message);
	fire_counts(&c); /* before load: no-ops */
	int fds_before = count_fds();
	CHECK(usdt_provider_load(c.provider, &err) == 0, "load: %s", err.message);
	fire_counts(&c);

	const char *path = usdt_provider_path(c.provider);
	char needle[PATH_MAX];
	int fd = -1;
	struct object o = read_object(path);
	if (!dir) {
		CHECK(path && sscanf(path, "/proc/%*d/fd/%d", &fd) == 1, "path %s",
		      path ? path : "NULL");
		CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC, "the memfd is not close-on-exec");
		int seals = fcntl(fd, F_GET_SEALS);
		int want = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL;
		CHECK(seals >= 0 && (seals & want) == want, "seals %#x", seals);
		snprintf(needle, sizeof(needle), "/memfd:usdt:object_test");
	} else {
		/* DIR/PROVIDER-BUILDID.so, read-only, shown by its name in the
		 * maps; one descriptor kept, holding the file against removal. */
		char expected[PATH_MAX];
		snprintf(expected, sizeof(expected), "%s/object_test-%s.so", dir, o.build_id);
		CHECK(path && strcmp(path, expected) == 0, "path %s, expected %s", path ? path : "NULL",
		      expected);
		struct stat st;
		CHECK(path && lstat(path, &st) == 0 && S_ISREG(st.st_mode) &&
			      (st.st_mode & 0777) == 0444 && st.st_uid == geteuid(),
		      "the file is not a read-only regular file of ours (mode %o)",
		      (unsigned)st.st_mode);
		CHECK(count_fds() == fds_before + 1, "%d descriptors for a named file",
		      count_fds() - fds_before);
		CHECK(path && held(path), "the loaded file is not held");
		snprintf(needle, sizeof(needle), "%s/object_test-", dir);
	}

	CHECK(o.ok && o.type == ET_DYN, "the object is not a readable ET_DYN");
	CHECK(strlen(o.build_id) == 40 && o.build_id_in_note,
	      "no 20-byte GNU build-id note in the first page under a PT_NOTE");
	/* bcc lists probes reading the executable section, then .probes, then
	 * the notes: keep them in that order. */
	const char *order[] = { ".note.gnu.build-id", ".text", ".stapsdt.base", ".probes",
				".note.stapsdt", ".shstrtab" };
	CHECK(o.nsections == 6, "%zu sections", o.nsections);
	for (size_t i = 0; i < 6 && i < o.nsections; i++)
		CHECK(strcmp(o.sections[i], order[i]) == 0, "section %zu is %s", i, o.sections[i]);
	CHECK(o.base_in_load, ".stapsdt.base is not inside a loaded segment");
	/* Per probe its note, then its companion (batching). */
	CHECK(o.nnotes == 2 * (USDT_MAX_ARGS + 1), "%zu notes", o.nnotes);

	const unsigned char *stub;
	size_t stub_size;
	expected_stub(&stub, &stub_size);
	const unsigned char *base = (const unsigned char *)(uintptr_t)c.probe[0]->fire - o.notes[0].pc;
	for (size_t i = 0; 2 * i + 1 < o.nnotes; i++) {
		struct note *n = &o.notes[2 * i], *companion = &o.notes[2 * i + 1];
		char name[32], batch_name[64], args[256];
		snprintf(name, sizeof(name), "args%zu", i);
		snprintf(batch_name, sizeof(batch_name), "object_test__args%zu", i);
		expected_args(args, sizeof(args), (int)i);
		CHECK(strcmp(n->provider, "object_test") == 0, "provider %s", n->provider);
		CHECK(strcmp(n->name, name) == 0, "name %s, expected %s", n->name, name);
		CHECK(strcmp(n->args, args) == 0, "%s: args \"%s\", expected \"%s\"", name, n->args,
		      args);
		CHECK(n->base == o.base_addr, "%s: base %#llx", name, n->base);
		CHECK(o.text_start <= n->pc && n->pc < o.text_end, "%s: pc outside .text", name);
		CHECK(o.probes_start <= n->semaphore && n->semaphore + 4 <= o.probes_end &&
			      n->semaphore % 4 == 0,
		      "%s: semaphore pair %#llx outside .probes or not 4-aligned", name, n->semaphore);
		/* The handle points at this note's stub and semaphore. */
		CHECK((const unsigned char *)(uintptr_t)c.probe[i]->fire == base + n->pc,
		      "%s: fire does not point at the note's pc", name);
		CHECK((const volatile unsigned char *)c.probe[i]->semaphore == base + n->semaphore,
		      "%s: semaphore does not point at the note's semaphore", name);
		CHECK(memcmp(base + n->pc, stub, stub_size) == 0,
		      "%s: the stub is not this kernel's nop, ret", name);
		/* The companion: the second half of the pair, a nop of its own
		 * in the stub's padding, no arguments. */
		CHECK(strcmp(companion->provider, "usdt_batch") == 0 &&
			      strcmp(companion->name, batch_name) == 0 && companion->args[0] == 0 &&
			      companion->base == o.base_addr,
		      "%s: companion %s:%s \"%s\"", name, companion->provider, companion->name,
		      companion->args);
		CHECK(companion->semaphore == n->semaphore + 2, "%s: companion semaphore %#llx",
		      name, companion->semaphore);
		CHECK(companion->pc > n->pc + stub_size && companion->pc < n->pc + 16 &&
			      memcmp(base + companion->pc, COMPANION_NOP, sizeof(COMPANION_NOP) - 1) == 0,
		      "%s: companion pc %#llx is not a nop after the stub at %#llx", name,
		      companion->pc, n->pc);
	}

	/* Two mappings, code never writable, at most 16 KiB. */
	struct mappings m = find_mappings(needle);
	CHECK(m.count == 2, "%d mappings", m.count);
	CHECK(m.writable_executable == 0 && m.code_writable == 0, "a writable code mapping");
	CHECK(m.bytes <= 16384, "%zu bytes of address space", m.bytes);

	/* Unload: no mapping of the file left, probes are no-ops. */
	const usdt_probe before = *c.probe[5];
	CHECK(usdt_provider_unload(c.provider, &err) == 0, "unload: %s", err.message);
	CHECK(usdt_provider_path(c.provider) == NULL, "path after unload");
	CHECK(find_mappings(needle).count == 0, "the object is still mapped");
	/* Unloading makes no system call but the mmap: the file stays open
	 * until the next load or destroy. */
	if (!dir)
		CHECK(fcntl(fd, F_GETFD) != -1, "unload closed the memfd");
	fire_counts(&c);
	expect_error(usdt_provider_unload(c.provider, &err), &err, EINVAL, "unload twice");

	/* Load again: the same handles, at the same addresses. */
	CHECK(usdt_provider_load(c.provider, &err) == 0, "reload: %s", err.message);
	CHECK(c.probe[5]->fire == before.fire && c.probe[5]->semaphore == before.semaphore,
	      "a reload moved the probes");
	CHECK(find_mappings(needle).count == 2, "reload mappings");
	fire_counts(&c);
	o = read_object(usdt_provider_path(c.provider));
	CHECK(o.ok && o.nnotes == 2 * (USDT_MAX_ARGS + 1), "reloaded object has %zu notes",
	      o.nnotes);
	usdt_provider_destroy(c.provider);
	CHECK(find_mappings(needle).count == 0, "destroy left a mapping");
}

/* A private directory for named files, removed at exit. */
static char scratch[64];

static void remove_scratch(void)
{
	DIR *d = opendir(scratch);
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL) {
		char path[PATH_MAX];
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", scratch, e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(scratch);
}

static const char *make_scratch(void)
{
	if (!scratch[0]) {
		/* /dev/shm where it allows executable mappings, like /run. */
		struct statvfs st;
		const char *root = statvfs("/dev/shm", &st) == 0 && !(st.f_flag & ST_NOEXEC)
					   ? "/dev/shm"
					   : "/tmp";
		snprintf(scratch, sizeof(scratch), "%s/usdt-test-XXXXXX", root);
		CHECK(mkdtemp(scratch) != NULL, "mkdtemp: %s", strerror(errno));
		atexit(remove_scratch);
	}
	return scratch;
}

/* Same provider, same file, but not twice in one process: the kernel would
 * raise the semaphores of one mapping only, so a second provider of the same
 * object, while the first exists, gets a file of its own; another provider
 * has its own. */
static void test_shared_file(void)
{
	const char *dir = make_scratch();
	usdt_error err;
	struct counts a = make_counts("shared"), b = make_counts("shared"), d = make_counts("other");
	usdt_provider_set_dir(a.provider, dir, &err);
	usdt_provider_set_dir(b.provider, dir, &err);
	usdt_provider_set_dir(d.provider, dir, &err);
	CHECK(usdt_provider_load(a.provider, &err) == 0, "load a: %s", err.message);
	CHECK(usdt_provider_load(b.provider, &err) == 0, "load b: %s", err.message);
	CHECK(usdt_provider_load(d.provider, &err) == 0, "load other: %s", err.message);
	char pa[PATH_MAX], pb[PATH_MAX], pd[PATH_MAX];
	snprintf(pa, sizeof(pa), "%s", usdt_provider_path(a.provider));
	snprintf(pb, sizeof(pb), "%s", usdt_provider_path(b.provider));
	snprintf(pd, sizeof(pd), "%s", usdt_provider_path(d.provider));
	CHECK(strcmp(pa, pb) != 0, "two instances in one process, one file: %s", pa);
	CHECK(access(pa, F_OK) == 0 && access(pb, F_OK) == 0, "an instance's file is gone");
	CHECK(strcmp(pa, pd) != 0, "two providers, one file");
	/* Each has its own semaphores. */
	CHECK(a.probe[1]->semaphore != b.probe[1]->semaphore, "shared semaphores");
	fire_counts(&a);
	fire_counts(&b);
	/* The first instance's file, free again, goes to the next load. */
	usdt_provider_destroy(a.provider);
	a = make_counts("shared");
	usdt_provider_set_dir(a.provider, dir, &err);
	CHECK(usdt_provider_load(a.provider, &err) == 0, "load a again: %s", err.message);
	CHECK(strcmp(usdt_provider_path(a.provider), pa) == 0, "a new file for the first instance: %s",
	      usdt_provider_path(a.provider));
	usdt_provider_destroy(a.provider);
	usdt_provider_destroy(b.provider);
	usdt_provider_destroy(d.provider);
	/* No process holds the files any more: the next load removes them. */
	struct counts e = make_counts("reclaimer");
	usdt_provider_set_dir(e.provider, dir, &err);
	CHECK(usdt_provider_load(e.provider, &err) == 0, "load: %s", err.message);
	CHECK(access(pa, F_OK) != 0 && access(pb, F_OK) != 0 && access(pd, F_OK) != 0,
	      "a file no process holds remains");
	usdt_provider_destroy(e.provider);
}

/* Whether path holds exactly the bytes of the file copy. */
static int same_bytes(const char *path, const char *copy)
{
	char cmd[3 * PATH_MAX];
	snprintf(cmd, sizeof(cmd), "cmp -s %s %s", path, copy);
	return system(cmd) == 0;
}

/* A file at the object's name that is not exactly what the kit wrote, or
 * not safe to map, is replaced atomically by the right one; if a process
 * holds it (maps it), it keeps what it maps. */
static void test_untrusted_file(void)
{
	const char *dir = make_scratch();
	usdt_error err;
	/* The expected name, from a load in a directory of its own. */
	char first[PATH_MAX], name[PATH_MAX];
	snprintf(first, sizeof(first), "%s/first", dir);
	struct counts c = make_counts("untrusted");
	usdt_provider_set_dir(c.provider, first, &err);
	CHECK(usdt_provider_load(c.provider, &err) == 0, "load: %s", err.message);
	const char *slash = strrchr(usdt_provider_path(c.provider), '/');
	snprintf(name, sizeof(name), "%s%s", dir, slash ? slash : "/?");
	char copy[PATH_MAX];
	snprintf(copy, sizeof(copy), "%s", usdt_provider_path(c.provider));
	/* Its file stays; destroyed, it leaves the loads below instance 0 of
	 * the object (see test_shared_file). */
	usdt_provider_destroy(c.provider);

	const char *cases[] = { "other bytes", "truncated", "writable", "symlink", "directory",
				"fifo", "another owner", "other bytes, held" };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unlink(name);
		rmdir(name);
		int holder = -1;
		char cmd[4 * PATH_MAX];
		if (i == 0 || i == 7) {
			int fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0444);
			CHECK(fd >= 0 && write(fd, "not an object", 13) == 13, "write");
			close(fd);
		} else if (i == 1) {
			snprintf(cmd, sizeof(cmd), "head -c 100 %s > %s && chmod 0444 %s", copy, name,
				 name);
			CHECK(system(cmd) == 0, "%s", cmd);
		} else if (i == 2) {
			snprintf(cmd, sizeof(cmd), "cp %s %s && chmod 0644 %s", copy, name, name);
			CHECK(system(cmd) == 0, "%s", cmd);
		} else if (i == 3) {
			CHECK(symlink(copy, name) == 0, "symlink");
		} else if (i == 4) {
			CHECK(mkdir(name, 0755) == 0, "mkdir");
		} else if (i == 5) {
			/* Opening a FIFO to read would wait for a writer. */
			CHECK(mkfifo(name, 0444) == 0, "mkfifo");
		} else if (i == 6) {
			/* The right bytes, read-only, but another user's (needs root
			 * to make). */
			snprintf(cmd, sizeof(cmd), "cp %s %s && chmod 0444 %s", copy, name, name);
			CHECK(system(cmd) == 0, "%s", cmd);
			if (geteuid() != 0 || chown(name, 65534, 65534) != 0)
				continue;
		}
		struct stat old;
		lstat(name, &old);
		if (i == 7) {
			holder = open(name, O_RDONLY);
			CHECK(holder >= 0 && flock(holder, LOCK_SH) == 0, "hold: %s", strerror(errno));
		}
		struct counts t = make_counts("untrusted");
		usdt_provider_set_dir(t.provider, dir, &err);
		alarm(20); /* a load that blocks is killed, and fails the test */
		int rc = usdt_provider_load(t.provider, &err);
		alarm(0);
		CHECK(rc == 0, "%s: not replaced: %s", cases[i], err.message);
		const char *path = usdt_provider_path(t.provider);
		CHECK(path && strcmp(path, name) == 0, "%s: loaded from %s", cases[i],
		      path ? path : "NULL");
		struct stat now;
		CHECK(lstat(name, &now) == 0 && S_ISREG(now.st_mode) && (now.st_mode & 0222) == 0 &&
			      now.st_uid == geteuid() && same_bytes(name, copy),
		      "%s: the name does not hold the object", cases[i]);
		fire_counts(&t);
		if (holder >= 0) {
			/* The holder's file is untouched, only unnamed. */
			struct stat held_st;
			CHECK(fstat(holder, &held_st) == 0 && held_st.st_ino == old.st_ino &&
				      held_st.st_size == 13 && now.st_ino != old.st_ino,
			      "%s: the held file was changed", cases[i]);
			close(holder);
		}
		usdt_provider_destroy(t.provider);
	}
	unlink(name);
	rmdir(name);
	/* The first load's directory: the scratch cleanup removes files only. */
	unlink(copy);
	rmdir(first);
}

/* $USDT_DIR picks the directory, "memfd" the memfd; the explicit choice
 * wins over it. */
static void test_environment(void)
{
	const char *dir = make_scratch();
	usdt_error err;
	/* The suite's own directory (tests/meson.build), restored afterwards. */
	char *suite_dir = getenv("USDT_DIR") ? strdup(getenv("USDT_DIR")) : NULL;
	setenv("USDT_DIR", dir, 1);
	struct counts c = make_counts("from_env");
	CHECK(usdt_provider_load(c.provider, &err) == 0, "load: %s", err.message);
	const char *path = usdt_provider_path(c.provider);
	CHECK(path && strncmp(path, dir, strlen(dir)) == 0, "USDT_DIR ignored: %s",
	      path ? path : "NULL");
	usdt_provider_destroy(c.provider);

	setenv("USDT_DIR", USDT_DIR_MEMFD, 1);
	c = make_counts("from_env");
	CHECK(usdt_provider_load(c.provider, &err) == 0, "load: %s", err.message);
	path = usdt_provider_path(c.provider);
	CHECK(path && strncmp(path, "/proc/", 6) == 0, "USDT_DIR=memfd ignored: %s",
	      path ? path : "NULL");
	CHECK(usdt_provider_unload(c.provider, &err) == 0, "unload: %s", err.message);
	CHECK(usdt_provider_set_dir(c.provider, dir, &err) == 0, "set_dir: %s", err.message);
	CHECK(usdt_provider_load(c.provider, &err) == 0, "load: %s", err.message);
	path = usdt_provider_path(c.provider);
	CHECK(path && strncmp(path, dir, strlen(dir)) == 0, "the explicit directory lost: %s",
	      path ? path : "NULL");
	usdt_provider_destroy(c.provider);
	if (suite_dir)
		setenv("USDT_DIR", suite_dir, 1);
	else
		unsetenv("USDT_DIR");
	free(suite_dir);

	expect_error(usdt_provider_set_dir(NULL, dir, &err), &err, EINVAL, "set_dir NULL");
	c = make_counts("relative");
	expect_error(usdt_provider_set_dir(c.provider, "relative/dir", &err), &err, EINVAL,
		     "relative directory");
	usdt_provider_destroy(c.provider);
}

/* A directory on a file system mounted noexec cannot hold the object: as
 * $USDT_DIR it is skipped (here for the memfd), as the explicit choice it is
 * an error. Mounted in a private mount namespace of a child (needs root). */
static void test_noexec_dir(void)
{
	const char *dir = make_scratch();
	char noexec[PATH_MAX];
	snprintf(noexec, sizeof(noexec), "%s/noexec", dir);
	mkdir(noexec, 0755);
	fflush(stdout);
	pid_t child = fork();
	if (child == 0) {
		if (unshare(CLONE_NEWNS) != 0 ||
		    mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0 ||
		    mount("usdt-test", noexec, "tmpfs", MS_NOEXEC, NULL) != 0 ||
		    mount("usdt-test", "/run", "tmpfs", 0, NULL) != 0)
			_exit(77); /* not root: nothing to test */
		/* A private /run: the fallback's /run/usdt leaves nothing behind. */
		usdt_error err;
		setenv("USDT_DIR", noexec, 1);
		unsetenv("XDG_RUNTIME_DIR");
		struct counts c = make_counts("noexec");
		CHECK(usdt_provider_load(c.provider, &err) == 0, "load: %s", err.message);
		const char *path = usdt_provider_path(c.provider);
		CHECK(path && strncmp(path, noexec, strlen(noexec)) != 0,
		      "the object went to a noexec directory: %s", path ? path : "NULL");
		usdt_provider_destroy(c.provider);
		c = make_counts("noexec");
		usdt_provider_set_dir(c.provider, noexec, &err);
		expect_error(usdt_provider_load(c.provider, &err), &err, EACCES,
			     "load into an explicit noexec directory");
		usdt_provider_destroy(c.provider);
		fflush(stdout);
		_exit(failures ? 1 : 0);
	}
	int status;
	waitpid(child, &status, 0);
	CHECK(WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 77),
	      "the noexec child failed (%#x)", status);
	rmdir(noexec);
}

/* After fork, the child's path names the child's own descriptor. */
static void test_fork_path(void)
{
	usdt_error err;
	struct counts c = make_counts("forked");
	usdt_provider_set_dir(c.provider, USDT_DIR_MEMFD, &err);
	CHECK(usdt_provider_load(c.provider, &err) == 0, "load: %s", err.message);
	fflush(stdout);
	pid_t child = fork();
	if (child == 0) {
		char expected[64];
		int fd = -1;
		sscanf(usdt_provider_path(c.provider), "/proc/%*d/fd/%d", &fd);
		snprintf(expected, sizeof(expected), "/proc/%ld/fd/%d", (long)getpid(), fd);
		int ok = strcmp(usdt_provider_path(c.provider), expected) == 0;
		if (!ok)
			printf("FAIL: the child's path is %s, expected %s\n",
			       usdt_provider_path(c.provider), expected);
		fflush(stdout);
		_exit(ok ? 0 : 1);
	}
	int status;
	waitpid(child, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child's path is the parent's");
	usdt_provider_destroy(c.provider);
}

/* Threads fire the probes while the provider is unloaded and loaded again
 * and again: unloading must never pull the code from under them. */
static volatile int stop_firing;

static void *fire_loop(void *arg)
{
	const struct counts *c = arg;
	while (!stop_firing) {
		USDT_FIRE_UNGATED(c->probe[12], 1, 2, 3, 4, 5, 6, 7, 8, "a", "b", 11, 12);
		USDT_FIRE_UNGATED(c->probe[0]);
		USDT_FIRE(c->probe[3], evaluate(), 2, 3);
	}
	return NULL;
}

static void test_unload_while_firing(void)
{
	usdt_error err;
	struct counts c = make_counts("racing");
	pthread_t threads[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&threads[i], NULL, fire_loop, &c);
	int cycles = 0;
	for (; cycles < 300; cycles++) {
		if (usdt_provider_load(c.provider, &err) != 0 ||
		    usdt_provider_unload(c.provider, &err) != 0)
			break;
	}
	CHECK(cycles == 300, "load/unload cycle %d failed: %s", cycles, err.message);
	stop_firing = 1;
	for (int i = 0; i < 2; i++)
		pthread_join(threads[i], NULL);
	usdt_provider_destroy(c.provider);
}

/* A system call that fails makes load fail with its errno, and changes
 * nothing: the same provider loads once the cause is gone. */
static void test_failing_system_calls(void)
{
	usdt_error err;
	struct counts c = make_counts("faults");
	struct rlimit saved;
	getrlimit(RLIMIT_NOFILE, &saved);
	struct rlimit none = { 3, saved.rlim_max }; /* only stdin, stdout, stderr */
	setrlimit(RLIMIT_NOFILE, &none);
	int rc = usdt_provider_load(c.provider, &err);
	setrlimit(RLIMIT_NOFILE, &saved);
	expect_error(rc, &err, EMFILE, "load without a free file descriptor");
	CHECK(usdt_provider_path(c.provider) == NULL, "a failed load has a path");
	CHECK(find_mappings("usdt:faults").count == 0, "a failed load left a mapping");
	fire_counts(&c);
	CHECK(usdt_provider_load(c.provider, &err) == 0, "load after the failure: %s", err.message);
	fire_counts(&c);
	usdt_provider_destroy(c.provider);
}

/* Where memfd_create is unavailable (here: refused by a seccomp filter), the
 * object lives in an unnamed O_TMPFILE file that leaves nothing behind. */
static int count_entries(const char *dir)
{
	int n = 0;
	DIR *d = opendir(dir);
	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}

static int refuse_memfd_create(int code)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_memfd_create, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (unsigned)code),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(filter) / sizeof(filter[0]), filter };
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
			       prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0
		       ? 0
		       : -1;
}

/* memfd_create refused with code (ENOSYS: an old kernel; EPERM, EACCES,
 * EINVAL: policies such as vm.memfd_noexec or a seccomp filter). */
static const int memfd_refusals[] = { ENOSYS, EPERM, EACCES, EINVAL };

static void test_without_memfd(int code)
{
	int shm_before = count_entries("/dev/shm");
	fflush(stdout);
	pid_t child = fork();
	if (child == 0) {
		usdt_error err;
		if (refuse_memfd_create(code) != 0 || syscall(SYS_memfd_create, "x", 0) != -1) {
			printf("FAIL: cannot refuse memfd_create here\n");
			_exit(1);
		}
		struct counts c = make_counts("no_memfd");
		usdt_provider_set_dir(c.provider, USDT_DIR_MEMFD, &err);
		CHECK(usdt_provider_load(c.provider, &err) == 0, "load: %s", err.message);
		char target[256] = "";
		const char *path = usdt_provider_path(c.provider);
		CHECK(path && readlink(path, target, sizeof(target) - 1) > 0, "readlink");
		/* /tmp where /dev/shm is mounted noexec. */
		CHECK((strncmp(target, "/dev/shm/", 9) == 0 || strncmp(target, "/tmp/", 5) == 0) &&
			      strstr(target, "(deleted)") != NULL,
		      "the fallback file is %s", target);
		CHECK(find_mappings(" (deleted)").count >= 2, "fallback not mapped");
		/* Nobody but root may write it: a truncation would kill the
		 * process at its next fire. */
		struct stat st;
		CHECK(stat(path, &st) == 0 && (st.st_mode & 0222) == 0, "the fallback is writable (%o)",
		      (unsigned)st.st_mode & 0777);
		struct object o = read_object(path);
		CHECK(o.ok && o.nnotes == 2 * (USDT_MAX_ARGS + 1), "fallback object: %zu notes",
		      o.nnotes);
		fire_counts(&c);
		CHECK(usdt_provider_unload(c.provider, &err) == 0, "unload: %s", err.message);
		CHECK(usdt_provider_load(c.provider, &err) == 0, "reload: %s", err.message);
		/* Killed while loaded: nothing may remain. */
		fflush(stdout);
		if (failures)
			_exit(1);
		kill(getpid(), SIGKILL);
	}
	int status;
	waitpid(child, &status, 0);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "the child failed (%#x)", status);
	CHECK(count_entries("/dev/shm") == shm_before, "the fallback left a file in /dev/shm");
}

/* usdt.h's kernel version, read from the vDSO's note, is the running
 * kernel's as uname tells it: major.minor.sublevel of the release, the
 * sublevel capped at 255 (Debian's release, "6.1.0-18-amd64", holds its ABI
 * number there; its version string, "... Debian 6.1.76-1 ...", the real
 * one). x32 and other targets without the parser read 0, and so does a
 * process without a vDSO (under valgrind). */
static void test_kernel_version(void)
{
#if defined(__x86_64__) && defined(__LP64__)
	struct utsname u;
	unsigned long major = 0, minor = 0, sublevel = 0, expected;
	const char *debian;
	CHECK(uname(&u) == 0, "uname: %s", strerror(errno));
	debian = strstr(u.version, " Debian ");
	if (!debian || sscanf(debian, " Debian %lu.%lu.%lu", &major, &minor, &sublevel) != 3)
		CHECK(sscanf(u.release, "%lu.%lu.%lu", &major, &minor, &sublevel) >= 2,
		      "release %s is not major.minor[.sublevel]", u.release);
	expected = major << 16 | minor << 8 | (sublevel < 255 ? sublevel : 255);
	if (!getauxval(AT_SYSINFO_EHDR))
		expected = 0;
	CHECK(usdt__kernel_version() == expected, "usdt__kernel_version() is %#lx, uname says "
	      "%s (%s): %#lx", usdt__kernel_version(), u.release, u.version, expected);
#endif
}

int main(int argc, char **argv)
{
	int skip_seccomp = argc > 1 && strcmp(argv[1], "--no-seccomp") == 0;
	test_kernel_version();
	test_bad_input();
	test_object(NULL);
	test_object(make_scratch());
	test_shared_file();
	test_untrusted_file();
	test_environment();
	test_fork_path();
	test_noexec_dir();
	test_unload_while_firing();
	test_failing_system_calls();
	if (!skip_seccomp)
		for (size_t i = 0; i < sizeof(memfd_refusals) / sizeof(memfd_refusals[0]); i++)
			test_without_memfd(memfd_refusals[i]);
	printf("%s: %d failures\n", failures ? "FAIL" : "ok", failures);
	return failures ? 1 : 0;
}
