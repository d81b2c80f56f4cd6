/* Fault injection: every system call and allocation usdt_dynamic.c makes
 * while loading, unloading and reloading a provider is made to fail, one at a
 * time (linked with -Wl,--wrap), with the provider's file in a directory
 * (made, held, reclaimed: open, flock, getdents64, linkat...) and in a memfd.
 * Each failure must come back as its own error (the ENOMEM injected), having
 * changed nothing (same mappings, descriptors and path), probes must stay
 * safe to fire, and the same call must then succeed. A load may instead
 * recover (a reclaim after the file is held is best effort): it is then
 * loaded. */
#define _GNU_SOURCE
#include "usdt.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *fail_function; /* which wrapped function fails, or NULL */
static int fail_countdown;        /* how many of its calls succeed before */
static int fail_on;               /* whether every later call fails too */
static int injected;

/* Whether this call of function (or of its 64-bit-offset twin, fcntl64 for
 * fcntl) is the one to fail. */
static int inject(const char *function)
{
	size_t n = fail_function ? strlen(fail_function) : 0;
	if (!fail_function || strncmp(function, fail_function, n) != 0 ||
	    (function[n] != '\0' && strcmp(function + n, "64") != 0))
		return 0;
	if (fail_countdown-- != 0 && !(fail_on && fail_countdown < 0))
		return 0;
	injected = 1;
	errno = ENOMEM;
	return 1;
}

#define WRAP(type, name, params, args, failed)                          \
	type __real_##name params;                                      \
	type __wrap_##name params;                                      \
	type __wrap_##name params                                       \
	{                                                               \
		return inject(#name) ? failed : __real_##name args;     \
	}
WRAP(void *, mmap, (void *a, size_t n, int prot, int flags, int fd, off_t off),
     (a, n, prot, flags, fd, off), MAP_FAILED)
/* glibc's name for mmap with 64-bit offsets, which meson asks for. */
WRAP(void *, mmap64, (void *a, size_t n, int prot, int flags, int fd, off_t off),
     (a, n, prot, flags, fd, off), MAP_FAILED)
WRAP(int, mprotect, (void *a, size_t n, int prot), (a, n, prot), -1)
WRAP(int, munmap, (void *a, size_t n), (a, n), -1)
WRAP(int, memfd_create, (const char *name, unsigned flags), (name, flags), -1)
WRAP(ssize_t, write, (int fd, const void *buf, size_t n), (fd, buf, n), -1)
WRAP(void *, calloc, (size_t count, size_t size), (count, size), NULL)
WRAP(void *, realloc, (void *p, size_t size), (p, size), NULL)
/* What holding and reclaiming the named files calls. stat64 is stat on the
 * 64-bit machines the kit supports. */
WRAP(int, flock, (int fd, int op), (fd, op), -1)
WRAP(int, fstat, (int fd, struct stat *st), (fd, st), -1)
WRAP(int, fstat64, (int fd, struct stat *st), (fd, st), -1)
WRAP(int, fstatat, (int at, const char *path, struct stat *st, int flags), (at, path, st, flags),
     -1)
WRAP(int, fstatat64, (int at, const char *path, struct stat *st, int flags),
     (at, path, st, flags), -1)
WRAP(ssize_t, getdents64, (int fd, void *buf, size_t n), (fd, buf, n), -1)
WRAP(int, linkat, (int from_at, const char *from, int to_at, const char *to, int flags),
     (from_at, from, to_at, to, flags), -1)
WRAP(int, renameat, (int from_at, const char *from, int to_at, const char *to),
     (from_at, from, to_at, to), -1)
WRAP(int, unlinkat, (int at, const char *path, int flags), (at, path, flags), -1)
WRAP(int, mkdirat, (int at, const char *path, mode_t mode), (at, path, mode), -1)

/* The variadic two: their one optional argument passed on. */
void *__real_mremap(void *a, size_t old, size_t new_size, int flags, ...);
void *__wrap_mremap(void *a, size_t old, size_t new_size, int flags, ...);
void *__wrap_mremap(void *a, size_t old, size_t new_size, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	void *to = va_arg(ap, void *);
	va_end(ap);
	return inject("mremap") ? MAP_FAILED : __real_mremap(a, old, new_size, flags, to);
}

#define WRAP_FCNTL(name)                                                 \
	int __real_##name(int fd, int cmd, ...);                         \
	int __wrap_##name(int fd, int cmd, ...);                         \
	int __wrap_##name(int fd, int cmd, ...)                          \
	{                                                                \
		va_list ap;                                              \
		va_start(ap, cmd);                                       \
		int arg = va_arg(ap, int);                               \
		va_end(ap);                                              \
		return inject(#name) ? -1 : __real_##name(fd, cmd, arg);   \
	}
WRAP_FCNTL(fcntl)
WRAP_FCNTL(fcntl64)

/* The opens: a mode only where the flags create a file. */
static mode_t open_mode(int flags, va_list ap)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? va_arg(ap, mode_t) : 0;
}

#define WRAP_OPEN(name)                                                          \
	int __real_##name(const char *path, int flags, ...);                     \
	int __wrap_##name(const char *path, int flags, ...);                     \
	int __wrap_##name(const char *path, int flags, ...)                      \
	{                                                                        \
		va_list ap;                                                      \
		va_start(ap, flags);                                             \
		mode_t mode = open_mode(flags, ap);                              \
		va_end(ap);                                                      \
		return inject(#name) ? -1 : __real_##name(path, flags, mode);    \
	}
WRAP_OPEN(open)
WRAP_OPEN(open64)

#define WRAP_OPENAT(name)                                                             \
	int __real_##name(int at, const char *path, int flags, ...);                  \
	int __wrap_##name(int at, const char *path, int flags, ...);                  \
	int __wrap_##name(int at, const char *path, int flags, ...)                   \
	{                                                                             \
		va_list ap;                                                           \
		va_start(ap, flags);                                                  \
		mode_t mode = open_mode(flags, ap);                                   \
		va_end(ap);                                                           \
		return inject(#name) ? -1 : __real_##name(at, path, flags, mode);     \
	}
WRAP_OPENAT(openat)
WRAP_OPENAT(openat64)

static const char *const functions[] = {
	"mmap",  "mprotect", "munmap",  "memfd_create", "write",   "calloc",
	"realloc", "mremap", "fcntl", "flock", "open", "openat", "fstat",
	"fstatat", "getdents64", "linkat", "renameat", "unlinkat", "mkdirat",
};

/* What a failed call must not change: the process's mappings of the
 * provider's object and its address range, its descriptors, its path; and
 * it leaves no temporary file in the directory files. */
static void snapshot(char *out, size_t room, const usdt_probe *probe, const usdt_provider *p,
		     const char *files)
{
	uintptr_t stub = (uintptr_t)probe->fire;
	FILE *maps = fopen("/proc/self/maps", "r");
	char line[512];
	int n = snprintf(out, room, "path %s\n", usdt_provider_path(p) ? "set" : "none");
	while (maps && fgets(line, sizeof(line), maps)) {
		unsigned long start, end;
		if (sscanf(line, "%lx-%lx", &start, &end) == 2 &&
		    (strstr(line, "usdt:") || (start <= stub + 8192 && stub < end + 8192)))
			n += snprintf(out + n, room - (size_t)n, "%s", line);
	}
	if (maps)
		fclose(maps);
	/* The process's one stand-in file, made once, is not the provider's. */
	int fds = 0;
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *e;
	while (dir && (e = readdir(dir)) != NULL) {
		char link[300], target[256] = "";
		snprintf(link, sizeof(link), "/proc/self/fd/%s", e->d_name);
		/* Unnamed: a deleted file that is not a provider's memfd. */
		if (readlink(link, target, sizeof(target) - 1) < 0 || !strstr(target, "(deleted)") ||
		    strstr(target, "usdt:"))
			fds++;
	}
	if (dir)
		closedir(dir);
	n += snprintf(out + n, room - (size_t)n, "fds %d\n", fds);
	/* A failed load leaves no temporary name behind. */
	dir = opendir(files);
	while (dir && (e = readdir(dir)) != NULL)
		if (strstr(e->d_name, ".tmp"))
			n += snprintf(out + n, room - (size_t)n, "left %s\n", e->d_name);
	if (dir)
		closedir(dir);
}

enum operation { FIRST_LOAD, UNLOAD, RELOAD };
static const char *const operation_names[] = { "first load", "unload", "reload" };

static int run(usdt_provider *p, enum operation op, usdt_error *err)
{
	return op == UNLOAD ? usdt_provider_unload(p, err) : usdt_provider_load(p, err);
}

/* Where the provider's file goes: a directory made afresh for each case (so
 * that its mkdirat fails too); the same holding a file no process holds
 * (which the load reclaims) and, at the provider's file name, other bytes a
 * live process holds (which the load replaces by a new file); a memfd. */
static char files_dir[4096], files_name[512];
static const struct {
	const char *dir;
	int occupied;
} backings[] = { { files_dir, 0 }, { files_dir, 1 }, { USDT_DIR_MEMFD, 0 } };

/* Empty the directory as a case leaves it, then take it away. */
static void remove_dir(void)
{
	char path[4700];
	snprintf(path, sizeof(path), "%s/%s", files_dir, files_name);
	unlink(path);
	snprintf(path, sizeof(path), "%s/held", files_dir);
	unlink(path);
	usdt_dir_reclaim(files_dir, NULL);
	rmdir(files_dir);
}

/* A file of other bytes at dir/name, read-only; held (linked as dir/held
 * too and opened by that name, which the load does not replace: the
 * snapshot sees a named file; locked shared, the descriptor returned) if
 * hold is set. */
static int put_file(const char *name, int hold)
{
	char path[4700], held[4700];
	snprintf(path, sizeof(path), "%s/%s", files_dir, name);
	snprintf(held, sizeof(held), "%s/held", files_dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
	if (fd < 0 || write(fd, "other bytes", 11) != 11 || close(fd) != 0 ||
	    (hold && link(path, held) != 0))
		return -1;
	fd = hold ? open(held, O_RDONLY | O_CLOEXEC) : 0;
	return fd >= 0 && hold && flock(fd, LOCK_SH) != 0 ? -1 : fd;
}

/* Occupy the directory as backings[].occupied says: the held file's
 * descriptor, 0 if none, -1 on failure. */
static int occupy(void)
{
	return mkdir(files_dir, 0755) == 0 &&
			       put_file("stale-0000000000000000000000000000000000000000.so", 0) == 0
		       ? put_file(files_name, 1)
		       : -1;
}

int main(void)
{
	int failures = 0, cases = 0;
	const enum usdt_type types[] = { USDT_INT32, USDT_STRING };
	const char *parent = getenv("USDT_DIR");
	if (!parent || parent[0] != '/') {
		printf("FAIL: USDT_DIR must name a directory of the build\n");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(files_dir, sizeof(files_dir), "%s/faults", parent);
	mkdir(parent, 0755); /* the kit makes only the last component */
	remove_dir();
	/* The provider's file name, from a first load. */
	usdt_error err;
	usdt_provider *named = usdt_provider_create("faults", &err);
	usdt_probe_add(named, "fire", 2, types, &err);
	usdt_provider_set_dir(named, files_dir, &err);
	const char *path = usdt_provider_load(named, &err) == 0 ? usdt_provider_path(named) : NULL;
	if (!path || !strrchr(path, '/')) {
		printf("FAIL: load in %s: %s\n", files_dir, err.message);
		usdt_provider_destroy(named);
		return 1;
	}
	snprintf(files_name, sizeof(files_name), "%s", strrchr(path, '/') + 1);
	usdt_provider_destroy(named);
	/* Each call failing once; then each failing from its nth call on, as
	 * at vm.max_map_count, where every new mapping fails. */
	for (size_t b = 0; b < sizeof(backings) / sizeof(backings[0]); b++)
	for (fail_on = 0; fail_on <= 1; fail_on++)
	for (int op = FIRST_LOAD; op <= RELOAD; op++) {
		for (size_t f = 0; f < sizeof(functions) / sizeof(functions[0]); f++) {
			for (int nth = 0;; nth++) {
				remove_dir();
				int holder = backings[b].occupied ? occupy() : 0;
				if (holder < 0) {
					printf("FAIL: cannot occupy %s: %s\n", files_dir,
					       strerror(errno));
					return 1;
				}
				usdt_provider *p = usdt_provider_create("faults", &err);
				const usdt_probe *probe = usdt_probe_add(p, "fire", 2, types, &err);
				usdt_provider_set_dir(p, backings[b].dir, &err);
				if (op != FIRST_LOAD)
					usdt_provider_load(p, &err);
				if (op == RELOAD)
					usdt_provider_unload(p, &err);
				static char before[8192], after[8192];
				snapshot(before, sizeof(before), probe, p, files_dir);
				fail_function = functions[f];
				fail_countdown = nth;
				injected = 0;
				int rc = run(p, (enum operation)op, &err);
				fail_function = NULL;
				if (!injected) { /* every call of this function has failed once */
					usdt_provider_destroy(p);
					if (holder > 0)
						close(holder);
					break;
				}
				cases++;
				snapshot(after, sizeof(after), probe, p, files_dir);
				USDT_FIRE_UNGATED(probe, 1, "still safe");
				if (rc == 0) {
					/* Only a failure the call recovers from may go unreported. */
					if (op != UNLOAD && !usdt_provider_path(p)) {
						failures++;
						printf("FAIL: %s in %s with %s call %d failing: "
						       "succeeded, not loaded\n",
						       operation_names[op], backings[b].dir,
						       functions[f], nth);
					}
				} else if (strcmp(before, after) != 0 || err.message[0] == '\0' ||
					   err.code != ENOMEM) {
					failures++;
					printf("FAIL: %s in %s with %s call %d%s failing: state "
					       "changed, or not the error injected (%s)\n"
					       "before:\n%safter:\n%s",
					       operation_names[op], backings[b].dir, functions[f], nth,
					       fail_on ? " and later" : "", err.message, before, after);
				} else if (run(p, (enum operation)op, &err) != 0) {
					failures++;
					printf("FAIL: %s in %s after %s call %d failed: %s\n",
					       operation_names[op], backings[b].dir, functions[f], nth,
					       err.message);
				}
				USDT_FIRE_UNGATED(probe, 2, "still safe");
				usdt_provider_destroy(p);
				if (holder > 0)
					close(holder);
			}
		}
	}
	remove_dir();
	printf("%s: %d failures injected, %d wrongly handled\n", failures ? "FAIL" : "ok", cases,
	       failures);
	return failures ? 1 : 0;
}
