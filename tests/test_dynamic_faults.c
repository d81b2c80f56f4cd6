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
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
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

/* The system calls usdt_dynamic.c makes through syscall(): the x86-64
 * stubs' nop is chosen by asking the kernel with the uprobe system call. */
#define UPROBE_SYSCALL 336
static int uprobe_syscalls;
long __real_syscall(long number, ...);
long __wrap_syscall(long number, ...);
long __wrap_syscall(long number, ...)
{
	long a[6];
	va_list ap;
	va_start(ap, number);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	uprobe_syscalls += number == UPROBE_SYSCALL;
	return __real_syscall(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* Under a seccomp filter the kit must not make that call: a filter may kill
 * the process on a system call it does not know (on kernels before 6.18,
 * which do not pass it through); the kernel's version decides instead. In a
 * child under a filter that allows everything, then in this process: a first
 * load asks only here. */
static int check_no_uprobe_syscall_under_seccomp(void)
{
	fflush(stdout);
	pid_t child = fork();
	if (child == 0) {
		struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
		struct sock_fprog prog = { 1, &allow };
		usdt_error err;
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
		    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
			_exit(3);
		usdt_provider *p = usdt_provider_create("seccomp", &err);
		if (!usdt_probe_add(p, "fire", 0, NULL, &err) || usdt_provider_load(p, &err) != 0)
			_exit(4);
		usdt_provider_destroy(p);
		_exit(uprobe_syscalls != 0 ? 5 : 0);
	}
	int status = 0, failures = 0;
	waitpid(child, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		failures++;
		printf("FAIL: a first load under a seccomp filter: child status %#x (5: it made "
		       "the uprobe system call)\n", status);
	}
	usdt_error err;
	usdt_provider *p = usdt_provider_create("no_seccomp", &err);
	usdt_probe_add(p, "fire", 0, NULL, &err);
	usdt_provider_load(p, &err);
	usdt_provider_destroy(p);
#if defined(__x86_64__)
	if (uprobe_syscalls != 1) {
		failures++;
		printf("FAIL: a first load without seccomp made %d uprobe system calls, not 1\n",
		       uprobe_syscalls);
	}
#endif
	return failures;
}

static int run(usdt_provider *p, enum operation op, usdt_error *err)
{
	return op == UNLOAD ? usdt_provider_unload(p, err) : usdt_provider_load(p, err);
}

int main(void)
{
	int failures = check_no_uprobe_syscall_under_seccomp(), cases = 0;
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
