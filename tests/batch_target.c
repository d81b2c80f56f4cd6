/* A program with probes fired in batch mode, driven by test_batch_tracer.py
 * under bpftrace: every event is 40 bytes (two integer arguments), fired by
 * the main thread (half of them through usdt_probe_fire, as bindings do), by
 * a signal handler interrupting those fires, by 8 threads that exit, and by
 * a forked child; it prints how many each fired. With "values", two events
 * of known values and strings and one without arguments, the last 200 ms
 * after the others, then _exit: no exit flush, the
 * age rule alone hands them over. With "overflow", a signal handler fills
 * the half while a fire is in progress (the fire's string is on a page it
 * cannot read until the handler lets it): padding, drops, the fire flushes
 * the full half. With "refused", madvise fails (a seccomp
 * filter): the buffer is refused, fires go on, errno is kept. Static probes,
 * or with BATCH_DYNAMIC the same probes of a dynamic provider. */
#include "usdt.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "target.h"

#ifdef BATCH_DYNAMIC
static const usdt_probe *p_main, *p_signal, *p_thread, *p_child, *p_values, *p_zero, *p_text;
static usdt_provider *provider;

static int load_provider(void)
{
	const enum usdt_type two[] = { USDT_INT32, USDT_INT64 };
	const enum usdt_type unsigned_two[] = { USDT_INT32, USDT_UINT64 };
	const enum usdt_type text[] = { USDT_STRING };
	const enum usdt_type values[] = { USDT_INT8, USDT_UINT16, USDT_STRING, USDT_STRING,
					  USDT_INT64 };
	usdt_error err;
	provider = usdt_provider_create("usdt_batch_test", &err);
	if (!provider || !(p_main = usdt_probe_add(provider, "main", 2, two, &err)) ||
	    !(p_signal = usdt_probe_add(provider, "signal", 2, two, &err)) ||
	    !(p_thread = usdt_probe_add(provider, "thread", 2, unsigned_two, &err)) ||
	    !(p_child = usdt_probe_add(provider, "child", 2, two, &err)) ||
	    !(p_values = usdt_probe_add(provider, "values", 5, values, &err)) ||
	    !(p_zero = usdt_probe_add(provider, "zero", 0, NULL, &err)) ||
	    !(p_text = usdt_probe_add(provider, "text", 1, text, &err)) ||
	    usdt_provider_load(provider, &err) != 0) {
		printf("provider: %s\n", err.message);
		return -1;
	}
	return 0;
}
#else
USDT_STATIC_PROBE(p_main, usdt_batch_test, main, int, long);
USDT_STATIC_PROBE(p_signal, usdt_batch_test, signal, int, int);
USDT_STATIC_PROBE(p_thread, usdt_batch_test, thread, int, unsigned long long);
USDT_STATIC_PROBE(p_child, usdt_batch_test, child, int, long);
USDT_STATIC_PROBE(p_values, usdt_batch_test, values, int8_t, uint16_t, const char *, const char *,
		  int64_t);
USDT_STATIC_PROBE(p_zero, usdt_batch_test, zero);
USDT_STATIC_PROBE(p_text, usdt_batch_test, text, const char *);
#endif

#define MAIN_FIRES 200000
#define THREADS 8
#define THREAD_FIRES 50000
#define CHILD_FIRES 30000
#define BEFORE_FORK 100
#define SIGNAL_FIRES 2000

static volatile sig_atomic_t signal_fires;
static volatile int firing = 1;

static void on_signal(int sig)
{
	(void)sig;
	USDT_FIRE(p_signal, signal_fires, -1);
	signal_fires++;
}

/* Interrupts the main thread with SIGUSR1 while it fires. */
static void *signaller(void *main_thread)
{
	const struct timespec pause = { 0, 20 * 1000 };
	while (firing) {
		pthread_kill(*(pthread_t *)main_thread, SIGUSR1);
		nanosleep(&pause, NULL);
	}
	return NULL;
}

static void *worker(void *arg)
{
	for (int i = 0; i < THREAD_FIRES; i++)
		USDT_FIRE(p_thread, i, (unsigned long long)(uintptr_t)arg);
	return NULL;
}

/* Wait until a tracer has switched batching on for n probes and traces the
 * flush probe. */
static int wait_batching(const usdt_probe *const *probes, int n)
{
	const struct timespec tick = { 0, 5 * 1000 * 1000 };
	for (int waited = 0; waited < 60 * 200; waited++) {
		int on = usdt__batch_root.semaphore != 0;
		for (int i = 0; i < n; i++)
			on &= probes[i]->semaphore[1] != 0;
		if (on)
			return 0;
		nanosleep(&tick, NULL);
	}
	return -1;
}

/* Two events and one without arguments, then 200 ms later a third through
 * usdt_probe_fire. */
static int values(void)
{
	const struct timespec pause = { 0, 200 * 1000 * 1000 };
	const uint64_t second[] = { 5, 7, (uint64_t)(uintptr_t) "batch!", (uint64_t)(uintptr_t) "x",
				    (uint64_t)-2 };
	const usdt_probe *const probes[] = { p_values, p_zero };
	if (wait_batching(probes, 2) != 0) {
		printf("batching never switched on\n");
		return 1;
	}
	USDT_FIRE(p_values, -1, 65535, "hello", (const char *)NULL, INT64_MIN);
	USDT_FIRE(p_zero);
	nanosleep(&pause, NULL);
	usdt_probe_fire(p_values, 5, second);
	printf("values id=%#llx zero=%#llx\n", (unsigned long long)(uintptr_t)p_values->semaphore,
	       (unsigned long long)(uintptr_t)p_zero->semaphore);
	fflush(stdout);
	_exit(0);
}

#define OVERFLOW_FIRES 2000
static char *hidden; /* a page holding "abc", unreadable until the fault */

/* The fire of p_text faults reading its string: fire 2000 events of 40
 * bytes, more than a half holds, then let the string be read. */
static void on_fault(int sig)
{
	(void)sig;
	for (int i = 0; i < OVERFLOW_FIRES; i++)
		USDT_FIRE(p_signal, i, -4);
	mprotect(hidden, 4096, PROT_READ);
}

static int overflow(void)
{
	const usdt_probe *const probes[] = { p_text, p_signal, p_main };
	struct sigaction action;
	if (wait_batching(probes, 3) != 0) {
		printf("batching never switched on\n");
		return 1;
	}
	hidden = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (hidden == MAP_FAILED)
		return 1;
	strcpy(hidden, "abc");
	mprotect(hidden, 4096, PROT_NONE);
	memset(&action, 0, sizeof(action));
	action.sa_handler = on_fault;
	sigaction(SIGSEGV, &action, NULL);
	USDT_FIRE(p_text, hidden); /* 40 bytes, like every other event here */
	USDT_FIRE(p_main, 1, -1L);
	printf("overflow fired=%d\n", 1 + OVERFLOW_FIRES + 1);
	return 0;
}

/* Fires while madvise answers EPERM, as under a strict seccomp filter. */
static int refused(void)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_madvise, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(filter) / sizeof(filter[0]), filter };
	const usdt_probe *const probes[] = { p_main };
	int fired;
	if (wait_batching(probes, 1) != 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
		printf("no batching or no filter: %s\n", strerror(errno));
		return 1;
	}
	errno = 0;
	for (fired = 0; fired < 1000; fired++)
		USDT_FIRE(p_main, fired, -1L);
	printf("refused fired=%d errno=%d\n", fired, errno);
	return 0;
}

int main(int argc, char **argv)
{
	pthread_t self = pthread_self(), helper, workers[THREADS];
	struct sigaction action;
	int status, before;
	pid_t child;
	int fired = 0;

#ifdef BATCH_DYNAMIC
	if (load_provider() != 0)
		return 1;
	printf("ready pid=%d provider=%s\n", (int)getpid(), usdt_provider_path(provider));
#else
	printf("ready pid=%d\n", (int)getpid());
#endif
	printf("batch semaphores before: %u\n", (unsigned)p_main->semaphore[1]);
	fflush(stdout);
	target_wait_go();
	if (argc > 1 && strcmp(argv[1], "values") == 0)
		return values();
	if (argc > 1 && strcmp(argv[1], "refused") == 0)
		return refused();
	if (argc > 1 && strcmp(argv[1], "overflow") == 0)
		return overflow();
	const usdt_probe *const all[] = { p_main, p_signal, p_thread, p_child };
	if (wait_batching(all, 4) != 0) {
		printf("batching never switched on\n");
		return 1;
	}
	memset(&action, 0, sizeof(action));
	action.sa_handler = on_signal;
	sigaction(SIGUSR1, &action, NULL);
	pthread_create(&helper, NULL, signaller, &self);
	/* Until the handler has fired often enough, most times in a fire. */
	for (; fired < MAIN_FIRES || signal_fires < SIGNAL_FIRES; fired++) {
		const uint64_t args[2] = { (uint64_t)fired, (uint64_t)-1 };
		if (fired % 2)
			usdt_probe_fire(p_main, 2, args);
		else
			USDT_FIRE(p_main, fired, -1L);
	}
	firing = 0;
	pthread_join(helper, NULL);

	for (int t = 0; t < THREADS; t++)
		pthread_create(&workers[t], NULL, worker, (void *)(uintptr_t)t);
	for (int t = 0; t < THREADS; t++)
		pthread_join(workers[t], NULL);

	/* A few events left in the buffer at fork: the parent's, never the
	 * child's. */
	for (before = 0; before < BEFORE_FORK; before++)
		USDT_FIRE(p_main, before, -2L);
	fflush(stdout);
	child = fork();
	if (child == 0) {
		for (int i = 0; i < CHILD_FIRES; i++)
			USDT_FIRE(p_child, i, -3L);
		printf("child pid=%d fired=%d\n", (int)getpid(), CHILD_FIRES);
		exit(0);
	}
	waitpid(child, &status, 0);
	printf("parent pid=%d fired=%d signal=%d\n", (int)getpid(),
	       fired + THREADS * THREAD_FIRES + BEFORE_FORK + (int)signal_fires,
	       (int)signal_fires);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
