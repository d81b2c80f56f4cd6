/* What the running kernel does with each kind of probe site, for
 * test_kernel_sites.py and test_seccomp.py (and tests/kernels under qemu).
 *
 * Usage: sites_target DIR [seccomp]
 *
 * Holds the kit's own sites, a static probe (kit_static) and a dynamic one
 * (provider sites_target, probe kit_dynamic, its object in DIR), and, on
 * x86-64, one hand-made site of each nop size (nop1, nop5, nop10) in a
 * function of its own, to measure what a traced fire costs on each. With
 * "seccomp" it first installs a filter that kills the process on uname(),
 * prctl() and the uprobe system call (336), then loads the provider.
 *
 * Prints "ready pid=N", then one line per command read from stdin:
 *   info          site=N (the kit's x86-64 nop size) kernel=VERSION (from the
 *                 vDSO) dynamic=STUB-ADDRESS path=PROVIDER-OBJECT
 *   sem           semaphores: kit_static kit_dynamic nop1 nop5 nop10
 *   fire N        fires each site N times: "fired N" and, per kind,
 *                 ns per fire: "cost static D dynamic D nop1 D nop5 D nop10 D"
 *   unload        unloads the provider, fires its probe (a no-op now): "unloaded"
 *   quit          exits 0 */
#define _GNU_SOURCE
#include "usdt.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif

USDT_STATIC_PROBE(kit_static, sites_target, kit_static, unsigned long long);

#if defined(__x86_64__)
#define NOP10 ".balign 16\n990: .byte 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00"
/* One function per nop size: its site, its note, its semaphore. */
#define SITE_FUNCTION(kind, nop)                                                       \
	USDT__SEMAPHORE(sites_target, kind);                                           \
	__attribute__((noinline)) static void fire_##kind(void)                         \
	{                                                                              \
		__asm__ __volatile__(nop "\n" USDT__NOTE(sites_target, kind, ""));   \
	}
SITE_FUNCTION(nop1, USDT__NOP1)
SITE_FUNCTION(nop5, USDT__NOP5)
SITE_FUNCTION(nop10, NOP10)
static void (*const kinds[3])(void) = { fire_nop1, fire_nop5, fire_nop10 };
static volatile unsigned short *const kind_semaphores[3] = {
	sites_target_nop1_semaphore, sites_target_nop5_semaphore, sites_target_nop10_semaphore
};
#define KINDS 3
#else
#define KINDS 0
#endif

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

#if defined(__x86_64__)
/* Kill the process on uname(), prctl() and the uprobe system call. */
static int kill_on_probing_calls(void)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_uname, 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_prctl, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 336, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	};
	struct sock_fprog prog = { sizeof(filter) / sizeof(filter[0]), filter };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -1;
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}
#endif

int main(int argc, char **argv)
{
	usdt_error err;
	usdt_provider *provider;
	const usdt_probe *kit_dynamic;
	const enum usdt_type types[] = { USDT_UINT64 };
	char line[64];
	if (argc < 2 || setenv("USDT_DIR", argv[1], 1) != 0)
		return 2;
#if defined(__x86_64__)
	if (argc > 2 && strcmp(argv[2], "seccomp") == 0 && kill_on_probing_calls() != 0) {
		printf("seccomp filter refused: %s\n", strerror(errno));
		return 1;
	}
#endif
	provider = usdt_provider_create("sites_target", &err);
	kit_dynamic = usdt_probe_add(provider, "kit_dynamic", 1, types, &err);
	if (!kit_dynamic || usdt_provider_load(provider, &err) != 0) {
		printf("provider: %s\n", err.message);
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready pid=%ld\n", (long)getpid());
	while (fgets(line, sizeof(line), stdin)) {
		long n = 0;
		if (strcmp(line, "info\n") == 0) {
#if defined(__x86_64__)
			unsigned long v = usdt__kernel_version();
			printf("site=%d kernel=%lu.%lu.%lu", usdt__x86_site_nop(), v >> 16, v >> 8 & 255, v & 255);
#endif
			printf(" dynamic=%#lx path=%s\n", (unsigned long)kit_dynamic->fire,
			       usdt_provider_path(provider));
		} else if (strcmp(line, "sem\n") == 0) {
			printf("semaphores: %u %u", (unsigned)*kit_static->semaphore,
			       (unsigned)*kit_dynamic->semaphore);
#if defined(__x86_64__)
			for (int k = 0; k < KINDS; k++)
				printf(" %u", (unsigned)*kind_semaphores[k]);
#endif
			printf("\n");
		} else if (sscanf(line, "fire %ld", &n) == 1) {
			double t0 = now_ns();
			for (long i = 0; i < n; i++)
				USDT_FIRE(kit_static, (unsigned long long)i);
			double t1 = now_ns();
			for (long i = 0; i < n; i++)
				USDT_FIRE(kit_dynamic, (unsigned long long)i);
			double t2 = now_ns();
			printf("cost static %.0f dynamic %.0f", (t1 - t0) / n, (t2 - t1) / n);
#if defined(__x86_64__)
			for (int k = 0; k < KINDS; k++) {
				double start = now_ns();
				for (long i = 0; i < n; i++)
					kinds[k]();
				printf(" nop%d %.0f", k == 0 ? 1 : k == 1 ? 5 : 10, (now_ns() - start) / n);
			}
#endif
			printf("\nfired %ld\n", n);
		} else if (strcmp(line, "unload\n") == 0) {
			if (usdt_provider_unload(provider, &err) != 0) {
				printf("unload: %s\n", err.message);
				return 1;
			}
			USDT_FIRE(kit_dynamic, 1ULL);
			printf("unloaded\n");
		} else if (strcmp(line, "quit\n") == 0) {
			usdt_provider_destroy(provider);
			/* Under the filter, skip exit-time work that is not the kit's:
			 * LeakSanitizer's check calls prctl(). */
			if (argc > 2)
				_exit(0);
			return 0;
		}
	}
	return 1;
}
