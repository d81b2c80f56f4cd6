/* Fault injection: every system call and allocation usdt_dynamic.c makes
 * while loading, unloading and reloading a provider is made to fail, one at a
 * time (linked with -Wl,--wrap). Each failure must come back as an error that
 * changed nothing (same mappings, descriptors and path), probes must stay
 * safe to fire, and the same call must then succeed. */
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
#include <sys/mman.h>
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

static const char *const functions[] = { "mmap",  "mprotect", "munmap",  "memfd_create", "write",
					  "calloc", "realloc", "mremap", "fcntl" };

/* What a failed call must not change: the process's mappings of the
 * provider's object and its address range, its descriptors, its path. */
static void snapshot(char *out, size_t room, const usdt_probe *probe, const usdt_provider *p)
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
	snprintf(out + n, room - (size_t)n, "fds %d\n", fds);
}

enum operation { FIRST_LOAD, UNLOAD, RELOAD };
static const char *const operation_names[] = { "first load", "unload", "reload" };

static int run(usdt_provider *p, enum operation op, usdt_error *err)
{
	return op == UNLOAD ? usdt_provider_unload(p, err) : usdt_provider_load(p, err);
}

int main(void)
{
	int failures = 0, cases = 0;
	const enum usdt_type types[] = { USDT_INT32, USDT_STRING };
	/* Each call failing once; then each failing from its nth call on, as
	 * at vm.max_map_count, where every new mapping fails. */
	for (fail_on = 0; fail_on <= 1; fail_on++)
	for (int op = FIRST_LOAD; op <= RELOAD; op++) {
		for (size_t f = 0; f < sizeof(functions) / sizeof(functions[0]); f++) {
			for (int nth = 0;; nth++) {
				usdt_error err;
				usdt_provider *p = usdt_provider_create("faults", &err);
				const usdt_probe *probe = usdt_probe_add(p, "fire", 2, types, &err);
				if (op != FIRST_LOAD)
					usdt_provider_load(p, &err);
				if (op == RELOAD)
					usdt_provider_unload(p, &err);
				static char before[8192], after[8192];
				snapshot(before, sizeof(before), probe, p);
				fail_function = functions[f];
				fail_countdown = nth;
				injected = 0;
				int rc = run(p, (enum operation)op, &err);
				fail_function = NULL;
				if (!injected) { /* every call of this function has failed once */
					usdt_provider_destroy(p);
					break;
				}
				cases++;
				snapshot(after, sizeof(after), probe, p);
				USDT_FIRE_UNGATED(probe, 1, "still safe");
				if (rc == 0) {
					/* Only a failure the call recovers from may go unreported. */
				} else if (strcmp(before, after) != 0 || err.message[0] == '\0') {
					failures++;
					printf("FAIL: %s with %s call %d%s failing: state changed\n"
					       "before:\n%safter:\n%s",
					       operation_names[op], functions[f], nth,
					       fail_on ? " and later" : "", before, after);
				} else if (run(p, (enum operation)op, &err) != 0) {
					failures++;
					printf("FAIL: %s after %s call %d failed: %s\n",
					       operation_names[op], functions[f], nth, err.message);
				}
				USDT_FIRE_UNGATED(probe, 2, "still safe");
				usdt_provider_destroy(p);
			}
		}
	}
	printf("%s: %d failures injected, %d wrongly handled\n", failures ? "FAIL" : "ok", cases,
	       failures);
	return failures ? 1 : 0;
}
