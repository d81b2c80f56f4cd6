/* The batching runtime's list of thread buffers (usdt.h), which a consumer
 * walks to read the buffers of idle threads from outside: every buffer is on
 * it, a thread that exits hands its buffer to the next new thread, a forked
 * child takes its zeroed buffer back onto the list, and each buffer names its
 * owner's thread id. No tracer: the test raises the flush semaphore and the
 * probe's batching half itself, as a tracer's uprobes would.
 *
 *   test_batch_list      exit 0 with "ok ..." lines, else "FAIL: ..." and 1 */
#define _GNU_SOURCE
#include "usdt.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(USDT__BATCH)
USDT_STATIC_PROBE(p_tick, batch_list, tick, int, long);

static int failures;

#define CHECK(cond, ...)                                                         \
	do {                                                                     \
		if (!(cond)) {                                                   \
			printf("FAIL: %s:%d: ", __FILE__, __LINE__);             \
			printf(__VA_ARGS__);                                     \
			printf("\n");                                            \
			failures++;                                              \
		}                                                                \
	} while (0)

static struct usdt__batch *self_buffer(void)
{
	return usdt__batch_self >= USDT__BATCH_NONE ? (struct usdt__batch *)usdt__batch_self : NULL;
}

static int list_length(void)
{
	int n = 0;

	for (struct usdt__batch *b = usdt__batch_root.head; b && n < 1000; b = b->next)
		n++;
	return n;
}

static int on_list(const struct usdt__batch *buffer)
{
	for (struct usdt__batch *b = usdt__batch_root.head; b; b = b->next)
		if (b == buffer)
			return 1;
	return 0;
}

struct seen {
	struct usdt__batch *buffer;
	unsigned tid, owner;
	int gettid;
};

static void fire_and_note(struct seen *seen)
{
	USDT_FIRE(p_tick, 1, 2L);
	seen->buffer = self_buffer();
	seen->gettid = (int)syscall(SYS_gettid);
	if (seen->buffer) {
		seen->tid = seen->buffer->tid;
		seen->owner = seen->buffer->owner;
	}
}

static void *fire_thread(void *arg)
{
	fire_and_note(arg);
	return NULL;
}

static pthread_barrier_t both;

static void *fire_together(void *arg)
{
	fire_and_note(arg);
	pthread_barrier_wait(&both); /* both alive: two buffers */
	return NULL;
}

static struct seen in_thread(void *(*fn)(void *))
{
	struct seen seen = { 0 };
	pthread_t thread;

	pthread_create(&thread, NULL, fn, &seen);
	pthread_join(thread, NULL);
	return seen;
}

int main(void)
{
	volatile unsigned short *pair = (volatile unsigned short *)p_tick->semaphore;
	struct seen main_seen = { 0 }, first, second, a = { 0 }, b = { 0 };
	pthread_t ta, tb;
	int status;
	pid_t child;

	/* As a tracer batching the probe: its flush probe and companion. */
	usdt__batch_root.semaphore = 1;
	pair[1] = 1;

	fire_and_note(&main_seen);
	CHECK(main_seen.buffer && usdt__batch_root.head == main_seen.buffer &&
		      main_seen.buffer->magic == USDT__BATCH_MAGIC && main_seen.tid == (unsigned)main_seen.gettid,
	      "the main thread's buffer heads the list, its tid %u (gettid %d)", main_seen.tid,
	      main_seen.gettid);
	printf("ok main thread: buffer %p, tid %u\n", (void *)main_seen.buffer, main_seen.tid);

	first = in_thread(fire_thread);
	CHECK(first.buffer && first.buffer != main_seen.buffer && on_list(first.buffer) &&
		      first.tid == (unsigned)first.gettid && first.owner != 0,
	      "a thread's own buffer, on the list, its tid");
	CHECK(first.buffer && first.buffer->owner == 0 && first.buffer->tid == 0,
	      "an exited thread's buffer is free (owner %u)", first.buffer ? first.buffer->owner : 9);
	second = in_thread(fire_thread);
	CHECK(second.buffer == first.buffer && second.tid == (unsigned)second.gettid &&
		      list_length() == 2,
	      "the next thread takes the exited thread's buffer (%p, %p), list of %d",
	      (void *)first.buffer, (void *)second.buffer, list_length());
	printf("ok reuse: threads %d and %d had buffer %p; %d on the list\n", first.gettid,
	       second.gettid, (void *)second.buffer, list_length());

	pthread_barrier_init(&both, NULL, 2);
	pthread_create(&ta, NULL, fire_together, &a);
	pthread_create(&tb, NULL, fire_together, &b);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	CHECK(a.buffer && b.buffer && a.buffer != b.buffer && list_length() == 3,
	      "two live threads, two buffers (%p, %p), list of %d", (void *)a.buffer,
	      (void *)b.buffer, list_length());
	printf("ok two live threads: %d on the list\n", list_length());

	/* A flush hands a half over: its turn counts up, the other half is active. */
	{
		struct usdt__batch *mine = main_seen.buffer;
		const usdt__u64 turns = mine->turns;

		usdt__batch_drain(mine);
		CHECK(mine->turns == turns + 1 && mine->active == (unsigned)(mine->turns & 1) &&
			      mine->used[0] == 0 && mine->used[1] == 0,
		      "a flush: turns %llu -> %llu, active %u", (unsigned long long)turns,
		      (unsigned long long)mine->turns, mine->active);
		printf("ok flush: turn %llu\n", (unsigned long long)mine->turns);
	}

	fflush(stdout);
	child = fork();
	if (child == 0) {
		struct usdt__batch *mine = self_buffer();
		struct seen fresh;

		failures = 0;
		CHECK(mine == main_seen.buffer && mine->magic == 0 && mine->owner == 0,
		      "the child's buffer is wiped (magic %#x)", mine ? mine->magic : 0);
		fire_and_note(&main_seen);
		CHECK(usdt__batch_root.head == mine && mine->magic == USDT__BATCH_MAGIC &&
			      mine->owner != 0 && mine->tid == (unsigned)getpid() && mine->used[mine->active] > 0,
		      "the child's first fire takes its buffer back onto the list (head %p, tid %u)",
		      (void *)usdt__batch_root.head, mine->tid);
		/* The parent's other buffers, zeroed, are never handed out. */
		fresh = in_thread(fire_thread);
		CHECK(fresh.buffer && fresh.buffer != mine && fresh.buffer->magic == USDT__BATCH_MAGIC &&
			      fresh.tid == (unsigned)fresh.gettid,
		      "a new thread of the child maps a buffer of its own");
		printf("ok fork: the child's buffer back on the list, tid %u; a new thread's %p\n",
		       mine->tid, (void *)fresh.buffer);
		fflush(stdout);
		_exit(failures ? 1 : 0);
	}
	waitpid(child, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child failed");
	pair[1] = 0;
	usdt__batch_root.semaphore = 0;
	return failures ? 1 : 0;
}
#else
int main(void)
{
	printf("batching is not compiled on this architecture\n");
	return 77;
}
#endif
