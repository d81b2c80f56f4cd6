/* The programs built from the test provider files, once with headers from
 * usdt-dtrace and once with systemtap's dtrace: main.c drives them, each
 * provider file has two source files firing its probes. */
#ifndef PROGRAM_H
#define PROGRAM_H

#include <stdint.h>
#include <stdio.h>

/* How many of the program's probes are enabled, and how many it has. */
int probes_enabled(void);
extern const int probe_count;
/* Fire every probe a few times, reporting each fire; then fire done. */
void workload(void);
void fire_done(void);

/* Each fire is reported as "fire PROVIDER:NAME VALUES...", signed values as
 * S(x), unsigned values as U(x) and pointers as P(x). */
#define S(x) ((long long)(x))
#define U(x) ((unsigned long long)(x))
#define P(x) ((unsigned long long)(uintptr_t)(x))
#define REPORT(...) (printf(__VA_ARGS__), putchar('\n'))

#endif
