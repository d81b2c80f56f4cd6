/* A program recorded by usdt-record in test_record.py: 8 threads fire
 * batched probes with integers of several types, strings (quotes, control
 * bytes, UTF-8, NULL, one longer than the 255 bytes kept) and 12 arguments,
 * while a signal handler fires another probe on the same threads. Static
 * probes, or with RECORD_DYNAMIC the same probes of a dynamic provider, one
 * of them fired every other time through libusdt's usdt_probe_fire: the events
 * of one thread then come from two runtimes (this executable's and libusdt's),
 * whose buffers usdt-record merges by time.
 *
 *   record_target [FIRES [END]]
 *
 * Prints "ready pid=N" and "waiting for go", waits for "go" on stdin (the recorder is attached),
 * then each thread fires FIRES times (default 5000) in phase A, notes the
 * clock, sleeps 2 ms, notes it again and fires until it has fired 2 * FIRES
 * times and its signal handler at least SIGNALS_MIN times (phase B). At the
 * end it prints its log, every event as usdt-record's text lines show it,
 * without the time, but each string as s:HEX (its bytes) or NULL:
 *   thread T tid=TID a=FIRES t1=NS t2=NS fires=N signals=M
 *   fire TID provider:name ARG...       in the order the thread fired
 *   sigfire TID provider:name ARG...    in the order its handler fired
 *
 * END makes the threads keep their last events: they do not exit and no
 * handler fires. The log comes first, "end of log" after it (its thread
 * lines without t1 and t2), then the threads fire, and at once once they are
 * done (idle, their last events unflushed) the program
 *   stop   prints "idle" and sleeps until it is killed (the recorder stops
 *          first)
 *   exit   calls exit, its threads idle
 *   _exit  calls _exit, its threads idle
 *   exec   execs /bin/true, its threads idle
 *   kill   is killed by SIGKILL, its threads idle */
#define _GNU_SOURCE
#include "usdt.h"

#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "target.h"

#define THREADS 8
static int signals_min = 20;
#define STRING_MAX 255 /* bytes of a string argument a batched event keeps */

#ifdef RECORD_DYNAMIC
static const usdt_probe *p_ints, *p_strs, *p_twelve, *p_signal;
static usdt_provider *provider;

static int record_load(void)
{
	const enum usdt_type ints[] = { USDT_INT32, USDT_INT64, USDT_UINT64, USDT_INT16 };
	const enum usdt_type strs[] = { USDT_STRING, USDT_INT32, USDT_STRING };
	const enum usdt_type sig[] = { USDT_INT32, USDT_STRING };
	enum usdt_type twelve[12];
	usdt_error err;

	for (int i = 0; i < 12; i++)
		twelve[i] = USDT_INT64;
	provider = usdt_provider_create("record_test", &err);
	if (!provider || !(p_ints = usdt_probe_add(provider, "ints", 4, ints, &err)) ||
	    !(p_strs = usdt_probe_add(provider, "strs", 3, strs, &err)) ||
	    !(p_twelve = usdt_probe_add(provider, "twelve", 12, twelve, &err)) ||
	    !(p_signal = usdt_probe_add(provider, "signal", 2, sig, &err)) ||
	    usdt_provider_load(provider, &err) != 0) {
		printf("provider: %s\n", err.message);
		return -1;
	}
	return 0;
}

/* Every thread that fired has exited: its events are flushed. */
static void record_unload(void)
{
	usdt_provider_destroy(provider);
}
#else
USDT_STATIC_PROBE(p_ints, record_test, ints, int, long, unsigned long long, short);
USDT_STATIC_PROBE(p_strs, record_test, strs, const char *, int, const char *);
USDT_STATIC_PROBE(p_twelve, record_test, twelve, long, long, long, long, long, long, long, long,
		  long, long, long, long);
USDT_STATIC_PROBE(p_signal, record_test, signal, int, const char *);

static int record_load(void)
{
	return 0;
}

static void record_unload(void)
{
}
#endif

static char long_string[300];
static const char *const strings[] = {
	"", "plain", "with \"quotes\" and \\", "tab\tnewline\n", "\xc3\xa9t\xc3\xa9", long_string, NULL,
};
#define NSTRINGS (sizeof(strings) / sizeof(strings[0]))

/* The values of fire i of thread t: the fire and the log use the same. */
static int v_int(int t, int i) { return i * (t + 1) - 5000; }
static long v_long(int t, int i) { return -1000000007L * i + t; }
static unsigned long long v_ull(int t, int i) { return ~0ull - (unsigned long long)i * 977 - t; }
static short v_short(int t, int i) { return (short)(i * 7 + t); }
static const char *v_str(int i, int k) { return strings[(i + k) % NSTRINGS]; }

struct worker {
	pthread_t thread;
	int index, tid;
	int phase_a, fires;
	volatile unsigned progress; /* the thread's own fires so far */
	volatile int signals;
	int64_t t1, t2;
	volatile int started, done;
};

static struct worker workers[THREADS];
static __thread struct worker *self;
static volatile int signalling = 1;
static int idle; /* END given: threads stay, idle, after their fires */
static volatile int released; /* END: the log is out, fire */

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void fire(int t, int i)
{
#ifdef RECORD_DYNAMIC
	/* Every other one through libusdt, as bindings fire: its runtime, not
	 * this executable's, records it, in a buffer of its own. */
	const uint64_t args[] = { (uint64_t)v_int(t, i), (uint64_t)v_long(t, i), v_ull(t, i),
				  (uint64_t)v_short(t, i) };

	if (i % 2)
		usdt_probe_fire(p_ints, 4, args);
	else
#endif
		USDT_FIRE(p_ints, v_int(t, i), v_long(t, i), v_ull(t, i), v_short(t, i));
	USDT_FIRE(p_strs, v_str(i, 0), i, v_str(i, 3));
	if (i % 16 == 0)
		USDT_FIRE(p_twelve, (long)i, 1L, -2L, 3L, -4L, 5L, -6L, 7L, -8L, 9L, -10L, (long)t);
}

static void on_signal(int signo)
{
	(void)signo;
	USDT_FIRE(p_signal, self->signals, "sig");
	self->signals++;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	const struct timespec gap = { 0, 2 * 1000 * 1000 };
	int a = w->phase_a, i;
	sigset_t block;

	self = w;
	w->tid = (int)syscall(SYS_gettid);
	w->started = idle; /* END: the log is printed, then the fires start */
	while (idle && !released)
		usleep(1000);
	/* A handler that fires while the thread's first batched fire maps its
	 * buffer records nothing (a counted drop): signals start after it. */
	fire(w->index, 0);
	w->started = 1;
	for (i = 1; i < a; i++) {
		fire(w->index, i);
		w->progress++;
	}
	w->t1 = now_ns();
	while (nanosleep(&gap, NULL) != 0)
		;
	w->t2 = now_ns();
	for (; i < 2 * a || w->signals < signals_min; i++) {
		fire(w->index, i);
		w->progress++;
	}
	/* No handler runs while the thread's buffer is flushed at exit. */
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &block, NULL);
	w->fires = i;
	w->done = 1;
	while (idle)
		pause(); /* keeps what its buffer holds: no exit, no fire */
	return NULL;
}

/* Interrupts the workers, round robin, while they fire; a worker again only
 * once it has fired since. Otherwise, on a slow machine (qemu's TCG) where a
 * real-time signaller keeps the last busy worker in its handler, the handler's
 * fires filled a half while one of the worker's fires was in progress: drops,
 * counted as such, but not what this test is for (test_batch_tracer.py's
 * overflow mode is). */
static void *signaller(void *arg)
{
	const struct timespec pause = { 0, 20 * 1000 };
	unsigned seen[THREADS] = { 0 };

	(void)arg;
	for (unsigned k = 0; signalling; k++) {
		struct worker *w = &workers[k % THREADS];
		const unsigned progress = w->progress;

		if (w->started && !w->done && progress != seen[k % THREADS]) {
			seen[k % THREADS] = progress;
			pthread_kill(w->thread, SIGUSR1);
		}
		nanosleep(&pause, NULL);
	}
	return NULL;
}

/* A string argument as "s:" and its bytes in hex, those a batched event
 * keeps; NULL as NULL. */
static void print_string(const char *s)
{
	size_t n;

	if (!s) {
		fputs(" NULL", stdout);
		return;
	}
	n = strlen(s) < STRING_MAX ? strlen(s) : STRING_MAX;
	fputs(" s:", stdout);
	for (size_t i = 0; i < n; i++)
		printf("%02x", (unsigned char)s[i]);
}

static void print_fires(const struct worker *w);

/* Every integer as usdt-record prints it: a 64-bit signed decimal. */
static void print_log(const struct worker *w)
{
	printf("thread %d tid=%d a=%d t1=%" PRId64 " t2=%" PRId64 " fires=%d signals=%d\n", w->index,
	       w->tid, w->phase_a, w->t1, w->t2, w->fires, w->signals);
	print_fires(w);
	for (int k = 0; k < w->signals; k++)
		printf("sigfire %d record_test:signal %d \"sig\"\n", w->tid, k);
}

/* The thread's own fires, in order. */
static void print_fires(const struct worker *w)
{
	for (int i = 0; i < w->fires; i++) {
		int t = w->index;

		printf("fire %d record_test:ints %d %ld %lld %d\n", w->tid, v_int(t, i), v_long(t, i),
		       (long long)v_ull(t, i), v_short(t, i));
		printf("fire %d record_test:strs", w->tid);
		print_string(v_str(i, 0));
		printf(" %d", i);
		print_string(v_str(i, 3));
		putchar('\n');
		if (i % 16 == 0)
			printf("fire %d record_test:twelve %d 1 -2 3 -4 5 -6 7 -8 9 -10 %d\n", w->tid, i, t);
	}
}

/* END: the log first (the fires are known but for the times of the pause),
 * then the fires, then at once the end it names, the threads idle with their
 * last events unflushed. */
static int record_end(const char *end)
{
	for (int t = 0; t < THREADS; t++)
		while (!workers[t].started)
			usleep(1000);
	for (int t = 0; t < THREADS; t++) {
		struct worker *w = &workers[t];

		w->fires = 2 * w->phase_a;
		printf("thread %d tid=%d a=%d fires=%d signals=0\n", w->index, w->tid, w->phase_a,
		       w->fires);
		print_fires(w);
	}
	printf("end of log\n");
	fflush(stdout);
	released = 1;
	for (int t = 0; t < THREADS; t++)
		while (!workers[t].done)
			usleep(1000);
	if (strcmp(end, "exit") == 0)
		exit(0);
	if (strcmp(end, "_exit") == 0)
		_exit(0);
	if (strcmp(end, "exec") == 0) {
		execl("/bin/true", "true", (char *)NULL);
		return 1;
	}
	if (strcmp(end, "kill") == 0)
		raise(SIGKILL);
	printf("idle\n");
	fflush(stdout);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	int fires = argc > 1 ? atoi(argv[1]) : 5000;
	const char *end = argc > 2 ? argv[2] : NULL;
	struct sigaction action;
	pthread_attr_t attr;
	pthread_t helper;

	memset(long_string, 'L', sizeof(long_string) - 1);
	if (end) {
		idle = 1;
		signals_min = 0;
	}
	if (record_load() != 0)
		return 1;
	printf("ready pid=%d\nwaiting for go\n", (int)getpid());
	fflush(stdout);
	target_wait_go();
	memset(&action, 0, sizeof(action));
	action.sa_handler = on_signal;
	sigaction(SIGUSR1, &action, NULL);
	for (int t = 0; t < THREADS; t++) {
		workers[t].index = t;
		workers[t].phase_a = fires;
		pthread_create(&workers[t].thread, NULL, work, &workers[t]);
	}
	/* Real-time, so that its signals come every few tens of microseconds
	 * while 8 threads keep the processors busy (as root; else as it can). */
	pthread_attr_init(&attr);
	pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
	pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
	pthread_attr_setschedparam(&attr, &(struct sched_param){ .sched_priority = 1 });
	if (idle)
		return record_end(end);
	if (pthread_create(&helper, &attr, signaller, NULL) != 0)
		pthread_create(&helper, NULL, signaller, NULL);
	pthread_attr_destroy(&attr);
	for (int t = 0; t < THREADS; t++)
		while (!workers[t].done)
			usleep(1000);
	signalling = 0;
	pthread_join(helper, NULL);
	for (int t = 0; t < THREADS; t++)
		pthread_join(workers[t].thread, NULL);
	record_unload();
	for (int t = 0; t < THREADS; t++)
		print_log(&workers[t]);
	return 0;
}
