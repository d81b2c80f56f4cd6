/* usdt.h - USDT probes for C and C++ on Linux, static and dynamic, one interface.
 *
 * Copy this file into your tree. Static probes need only this header and
 * <sys/sdt.h> (Debian: systemtap-sdt-dev). Dynamic probes, whose provider and
 * probe names are known only at run time, also need usdt_dynamic.c and libelf.
 *
 * A probe costs nothing until a tracer (bpftrace, bcc, libbpf, perf, gdb)
 * attaches to it; then the tracer receives the exact argument values.
 *
 * DECLARING A STATIC PROBE
 *
 *   USDT_STATIC_PROBE(req_start, myapp, request_start, int, const char *);
 *
 * declares `req_start`, a probe of provider `myapp` named `request_start` with
 * two arguments. Put the declaration at file scope (a header shared by several
 * translation units is fine). Each probe has a semaphore in the `.probes`
 * section that the kernel increments while a tracer is attached; you never
 * define it yourself.
 *
 * DECLARING A DYNAMIC PROBE (usdt_dynamic.c)
 *
 *   usdt_provider *prov = usdt_provider_create(plugin_name, &err);
 *   const usdt_probe *req_start =
 *       usdt_probe_add(prov, "request_start", 2, types, &err);
 *   usdt_provider_load(prov, &err);
 *
 * FIRING A PROBE: the same verbs for both kinds
 *
 *   USDT_FIRE(req_start, id, path);        // arguments evaluated only while traced
 *   if (USDT_ENABLED(req_start)) { ... }   // one volatile 16-bit load
 *   USDT_FIRE_UNGATED(req_start, id, path);// no load: static, just the nop
 *
 *   unsigned long long t = USDT_TIMESTAMP(req_done);  // clock read only if traced
 *   ...
 *   USDT_FIRE_ELAPSED(req_done, t, path);  // fires (elapsed ns, path)
 *
 * Moving a probe between static and dynamic changes its declaration, never its
 * call sites: `req_start` is a `const usdt_probe *` either way. The timing
 * verbs need POSIX clock_gettime (define _POSIX_C_SOURCE or _GNU_SOURCE).
 *
 * ARGUMENTS: 0 to 12 of: integers of 1, 2, 4 or 8 bytes (signed or unsigned),
 * bool, enums (C and C++, signedness kept), pointers; strings as `const char *`.
 * Floating-point types, structs, unions and types wider than 8 bytes are
 * rejected at compile time: pass a scaled integer or a pointer instead.
 *
 * TRACING
 *
 *   bpftrace -l 'usdt:*' -p PID
 *   bpftrace -p PID -e 'usdt:/abs/path/app:myapp:request_start
 *                       { printf("%ld %s\n", arg0, str(arg1)); }'
 *   # dynamic probes: the path from usdt_provider_path(), /proc/PID/fd/N
 *   bpftrace -e 'usdt:/proc/PID/fd/N:plugin:request_start { @ = count(); }'
 *
 * CONFIGURATION (define before including this header)
 *
 *   USDT_DISABLE     remove every probe: USDT_ENABLED is 0, USDT_FIRE does
 *                    nothing and evaluates nothing.
 *   USDT_REQUIRE     make a missing <sys/sdt.h> a compile error; without it,
 *                    where <sys/sdt.h> is missing (another OS, package not
 *                    installed) probes compile as with USDT_DISABLE.
 *
 * CAVEAT: include usdt.h before any direct include of <sys/sdt.h> in the same
 * translation unit; usdt.h turns on sys/sdt.h's semaphore support, which
 * sys/sdt.h decides once per translation unit.
 */
#ifndef USDT_H
#define USDT_H

#include <stdint.h>
#include <time.h>

/* What every call site reads. A static probe is a constant instance, so the
 * compiler folds both loads away; a dynamic probe is filled in by
 * usdt_dynamic.c. `fire` is called with each argument converted to
 * unsigned long long. */
typedef struct usdt_probe {
	volatile unsigned short *semaphore;
	void (*fire)(void);
} usdt_probe;

/* ---- Configuration ------------------------------------------------------ */

#if !defined(USDT_DISABLE) && !defined(USDT__HAVE_SDT)
#  if defined(__linux__) && defined(__ELF__) && defined(__has_include)
#    if __has_include(<sys/sdt.h>)
#      define USDT__HAVE_SDT 1
#    endif
#  endif
#  if !defined(USDT__HAVE_SDT)
#    if defined(USDT_REQUIRE)
#      error "usdt.h: USDT_REQUIRE is set but <sys/sdt.h> is unavailable (Debian: apt-get install systemtap-sdt-dev)"
#    endif
#    define USDT_DISABLE 1
#  endif
#endif

#if defined(USDT__HAVE_SDT) && !defined(USDT_DISABLE)
#  if defined(_SYS_SDT_H) && !defined(_SDT_HAS_SEMAPHORES)
#    error "usdt.h: include usdt.h before <sys/sdt.h> (probes need sys/sdt.h semaphores)"
#  endif
#  ifndef _SDT_HAS_SEMAPHORES
#    define _SDT_HAS_SEMAPHORES 1
#  endif
#  include <sys/sdt.h>
#endif

/* ---- Machinery ---------------------------------------------------------- */

#define USDT__CAT_(a, b) a##b
#define USDT__CAT(a, b) USDT__CAT_(a, b)
#define USDT__NARG(...) USDT__NARG_(__VA_ARGS__, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define USDT__NARG_(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, n, ...) n

typedef unsigned long long usdt__u64;

/* One argument at a call site: any integer, enum or pointer, as 64 bits. */
#ifdef __cplusplus
#include <type_traits>
template <typename T>
inline usdt__u64 usdt__arg(T value)
{
	static_assert(std::is_integral<T>::value || std::is_enum<T>::value ||
			      std::is_pointer<T>::value || std::is_null_pointer<T>::value,
		      "usdt: a probe argument must be an integer, enum, bool or pointer "
		      "(floating-point: pass a scaled integer; struct: pass a pointer)");
	static_assert(sizeof(T) <= 8, "usdt: a probe argument must be at most 8 bytes");
	return (usdt__u64)(uintptr_t)value;
}
#define USDT__ARG(x) usdt__arg(x)
#else
/* classify 8 and 9 are real and complex floating point: the bit-field's name
 * is the error message. */
#define USDT__ARG(x)                                                                       \
	((void)sizeof(struct {                                                             \
		int usdt_probe_argument_must_not_be_floating_point                         \
			: (__builtin_classify_type(x) == 8 || __builtin_classify_type(x) == 9) ? -1 : 1; \
	}),                                                                                \
	 (usdt__u64)(uintptr_t)(x))
#endif

#define USDT__P usdt__u64
#define USDT__CALL(q, ptype, args) ((void(*) ptype)(q)->fire) args
#define USDT__CALL_1(q, p) USDT__CALL(q, (void), ())
#define USDT__CALL_2(q, p, a) USDT__CALL(q, (USDT__P), (USDT__ARG(a)))
#define USDT__CALL_3(q, p, a, b) USDT__CALL(q, (USDT__P, USDT__P), (USDT__ARG(a), USDT__ARG(b)))
#define USDT__CALL_4(q, p, a, b, c) \
	USDT__CALL(q, (USDT__P, USDT__P, USDT__P), (USDT__ARG(a), USDT__ARG(b), USDT__ARG(c)))
#define USDT__CALL_5(q, p, a, b, c, d)                                      \
	USDT__CALL(q, (USDT__P, USDT__P, USDT__P, USDT__P),             \
		   (USDT__ARG(a), USDT__ARG(b), USDT__ARG(c), USDT__ARG(d)))
#define USDT__CALL_6(q, p, a, b, c, d, e)                                              \
	USDT__CALL(q, (USDT__P, USDT__P, USDT__P, USDT__P, USDT__P),               \
		   (USDT__ARG(a), USDT__ARG(b), USDT__ARG(c), USDT__ARG(d), USDT__ARG(e)))
#define USDT__CALL_7(q, p, a, b, c, d, e, f)                                        \
	USDT__CALL(q, (USDT__P, USDT__P, USDT__P, USDT__P, USDT__P, USDT__P),   \
		   (USDT__ARG(a), USDT__ARG(b), USDT__ARG(c), USDT__ARG(d), USDT__ARG(e), \
		    USDT__ARG(f)))
#define USDT__CALL_8(q, p, a, b, c, d, e, f, g)                                          \
	USDT__CALL(q, (USDT__P, USDT__P, USDT__P, USDT__P, USDT__P, USDT__P, USDT__P),\
		   (USDT__ARG(a), USDT__ARG(b), USDT__ARG(c), USDT__ARG(d), USDT__ARG(e),  \
		    USDT__ARG(f), USDT__ARG(g)))
#define USDT__CALL_9(q, p, a, b, c, d, e, f, g, h)                                         \
	USDT__CALL(q, (USDT__P, USDT__P, USDT__P, USDT__P, USDT__P, USDT__P, USDT__P,  \
		       USDT__P),                                                        \
		   (USDT__ARG(a), USDT__ARG(b), USDT__ARG(c), USDT__ARG(d), USDT__ARG(e),    \
		    USDT__ARG(f), USDT__ARG(g), USDT__ARG(h)))
#define USDT__CALL_10(q, p, a, b, c, d, e, f, g, h, i)                                     \
	USDT__CALL(q, (USDT__P, USDT__P, USDT__P, USDT__P, USDT__P, USDT__P, USDT__P,  \
		       USDT__P, USDT__P),                                               \
		   (USDT__ARG(a), USDT__ARG(b), USDT__ARG(c), USDT__ARG(d), USDT__ARG(e),    \
		    USDT__ARG(f), USDT__ARG(g), USDT__ARG(h), USDT__ARG(i)))
#define USDT__CALL_11(q, p, a, b, c, d, e, f, g, h, i, j)                                  \
	USDT__CALL(q, (USDT__P, USDT__P, USDT__P, USDT__P, USDT__P, USDT__P, USDT__P,  \
		       USDT__P, USDT__P, USDT__P),                                      \
		   (USDT__ARG(a), USDT__ARG(b), USDT__ARG(c), USDT__ARG(d), USDT__ARG(e),    \
		    USDT__ARG(f), USDT__ARG(g), USDT__ARG(h), USDT__ARG(i), USDT__ARG(j)))
#define USDT__CALL_12(q, p, a, b, c, d, e, f, g, h, i, j, k)                               \
	USDT__CALL(q, (USDT__P, USDT__P, USDT__P, USDT__P, USDT__P, USDT__P, USDT__P,  \
		       USDT__P, USDT__P, USDT__P, USDT__P),                             \
		   (USDT__ARG(a), USDT__ARG(b), USDT__ARG(c), USDT__ARG(d), USDT__ARG(e),    \
		    USDT__ARG(f), USDT__ARG(g), USDT__ARG(h), USDT__ARG(i), USDT__ARG(j),    \
		    USDT__ARG(k)))
#define USDT__CALL_13(q, p, a, b, c, d, e, f, g, h, i, j, k, l)                            \
	USDT__CALL(q, (USDT__P, USDT__P, USDT__P, USDT__P, USDT__P, USDT__P, USDT__P,  \
		       USDT__P, USDT__P, USDT__P, USDT__P, USDT__P),                    \
		   (USDT__ARG(a), USDT__ARG(b), USDT__ARG(c), USDT__ARG(d), USDT__ARG(e),    \
		    USDT__ARG(f), USDT__ARG(g), USDT__ARG(h), USDT__ARG(i), USDT__ARG(j),    \
		    USDT__ARG(k), USDT__ARG(l)))

/* ---- The call-site verbs ------------------------------------------------ */

#ifndef USDT_DISABLE

/* Nonzero while a tracer is attached: one volatile 16-bit load, never hoisted.
 * On x86-64 the load is the compare itself, which gcc does not make of a
 * volatile load: a static probe's check is then `cmpw $0, sem(%rip); jne`. */
#if defined(__x86_64__) && defined(__GCC_ASM_FLAG_OUTPUTS__)
__attribute__((always_inline, unused)) static inline int
usdt__enabled(const volatile unsigned short *semaphore)
{
	int on;
	__asm__ __volatile__("cmpw $0, %1" : "=@ccnz"(on) : "m"(*semaphore));
	return on;
}
#else
__attribute__((always_inline, unused)) static inline int
usdt__enabled(const volatile unsigned short *semaphore)
{
	return *semaphore != 0;
}
#endif
#define USDT_ENABLED(probe) usdt__enabled((probe)->semaphore)

/* Fire the probe if a tracer is attached; arguments are evaluated only then. */
#define USDT_FIRE(...)                                                    \
	do {                                                              \
		const usdt_probe *const usdt__probe = USDT__FIRST(__VA_ARGS__); \
		if (__builtin_expect(USDT_ENABLED(usdt__probe), 0))       \
			USDT__CAT(USDT__CALL_, USDT__NARG(__VA_ARGS__))   \
			(usdt__probe, __VA_ARGS__);                       \
	} while (0)

/* Fire without the enabled check: a static probe is then only its nop; the
 * arguments are always evaluated. */
#define USDT_FIRE_UNGATED(...)                                            \
	do {                                                              \
		const usdt_probe *const usdt__probe = USDT__FIRST(__VA_ARGS__); \
		USDT__CAT(USDT__CALL_, USDT__NARG(__VA_ARGS__))           \
		(usdt__probe, __VA_ARGS__);                               \
	} while (0)

#else /* USDT_DISABLE */

#define USDT_ENABLED(probe) ((void)(probe), 0)
#define USDT_FIRE(...) USDT__IGNORE(__VA_ARGS__)
#define USDT_FIRE_UNGATED(...) USDT__IGNORE(__VA_ARGS__)

#endif /* USDT_DISABLE */

/* FIRST(p, ...) is p. */
#define USDT__FIRST(...) USDT__FIRST_(__VA_ARGS__, ~)
#define USDT__FIRST_(p, ...) p

/* ---- Timing a block of code, only while traced -------------------------- */

#ifdef CLOCK_MONOTONIC
/* CLOCK_MONOTONIC in nanoseconds. */
__attribute__((unused)) static inline unsigned long long usdt_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
}

/* A start time if the probe is enabled, else 0: no clock read untraced. */
#define USDT_TIMESTAMP(probe) (USDT_ENABLED(probe) ? usdt_now_ns() : 0ULL)

/* Fire probe with the nanoseconds since start (from USDT_TIMESTAMP) as its
 * first argument, then the other arguments; nothing if start is 0 or the
 * probe is no longer enabled. */
#define USDT_FIRE_ELAPSED(...) \
	USDT__CAT(USDT__ELAPSED_, USDT__MORE_THAN_TWO(__VA_ARGS__))(__VA_ARGS__)
#define USDT__MORE_THAN_TWO(...) \
	USDT__NARG_(__VA_ARGS__, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, ~)
#define USDT__ELAPSED_0(probe, start) USDT__ELAPSED(probe, start, USDT__NOTHING)
#define USDT__ELAPSED_1(probe, start, ...) USDT__ELAPSED(probe, start, USDT__AND(__VA_ARGS__))
#define USDT__NOTHING
#define USDT__AND(...) , __VA_ARGS__
#define USDT__ELAPSED(probe, start, more)                                         \
	do {                                                                      \
		const unsigned long long usdt__start = (start);                   \
		if (__builtin_expect(usdt__start != 0 && USDT_ENABLED(probe), 0)) \
			USDT_FIRE_UNGATED(probe, usdt_now_ns() - usdt__start more); \
	} while (0)
#endif

/* Disabled probes evaluate nothing, but still name their probe and arguments
 * (in dead code), so variables used only by probes raise no warnings. */
#define USDT__IGNORE(...) \
	do { if (0) (void)usdt__ignore(__VA_ARGS__); } while (0)
#ifdef __cplusplus
template <typename... T> inline int usdt__ignore(const T &...) { return 0; }
#else
__attribute__((unused)) static inline int usdt__ignore(const void *probe, ...)
{
	(void)probe;
	return 0;
}
#endif

/* ---- Static probe declaration ------------------------------------------- */

/* USDT_STATIC_PROBE(probe, provider, name, argument types...)
 *
 * Declares `probe` (a `const usdt_probe *`) for the static probe
 * provider:name with up to 12 arguments of the given types. Provider and
 * name are identifiers. */
#define USDT_STATIC_PROBE(...) \
	USDT__CAT(USDT__STATIC_, USDT__NARG(__VA_ARGS__))(__VA_ARGS__)

#ifdef __cplusplus
/* The integer type a probe argument of type T is recorded as: enums as their
 * underlying type, so sys/sdt.h records their signedness correctly. */
template <typename T, bool = std::is_enum<T>::value> struct usdt__recorded {
	typedef T type;
};
template <typename T> struct usdt__recorded<T, true> {
	typedef typename std::underlying_type<T>::type type;
};
#define USDT__AS(T, v) USDT__AS_(usdt__recorded<T>::type, v)
#define USDT__TYPE_CHECK(probe, n, T)                                                         \
	static_assert((std::is_integral<T>::value || std::is_enum<T>::value ||                \
		       std::is_pointer<T>::value) && sizeof(T) <= 8,                           \
		      "usdt: argument " #n " of probe " #probe " must be an integer, enum, bool " \
		      "or pointer of at most 8 bytes (floating-point: use a scaled integer)")
#else
#define USDT__AS(T, v) USDT__AS_(T, v)
/* classify 8, 9: real and complex floating point; 12, 13: structs and unions. */
#define USDT__CLASS(T) __builtin_classify_type(*(__typeof__(T) *)0)
#define USDT__SCALAR(T) (USDT__CLASS(T) != 8 && USDT__CLASS(T) != 9 && USDT__CLASS(T) != 12 && \
			 USDT__CLASS(T) != 13 && sizeof(T) <= 8)
#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define USDT__TYPE_CHECK(probe, n, T)                                                         \
	_Static_assert(USDT__SCALAR(T),                                                        \
		       "usdt: argument " #n " of probe " #probe " must be an integer, enum, bool " \
		       "or pointer of at most 8 bytes (floating-point: use a scaled integer)")
#else
#define USDT__TYPE_CHECK(probe, n, T)                                                    \
	typedef char usdt__argument_##n##_of_##probe##_must_be_integer_or_pointer_of_8_bytes \
		[(USDT__SCALAR(T)) ? 1 : -1]
#endif
#endif

#ifndef USDT_DISABLE

/* An argument as sys/sdt.h sees it: of type T, in a register whose upper
 * bits hold its sign or zero extension. Tracers disagree on widening what
 * the note's size leaves out (bpftrace 0.17 reads the whole register and
 * reads 4@$-1 as -1, not UINT32_MAX), so leave nothing to widen. The empty
 * asm also keeps the value out of an immediate. Runs only while traced. */
__attribute__((always_inline, unused)) static inline usdt__u64 usdt__opaque(usdt__u64 value)
{
	__asm__("" : "+r"(value));
	return value;
}
#define USDT__AS_(T, v) ((T)usdt__opaque((usdt__u64)(T)(uintptr_t)(v)))

/* sys/sdt.h invokes one of its own variadic macros without variadic
 * arguments, which clang -Wpedantic reports at the user's call site. */
#if defined(__clang__)
#define USDT__SDT_BEGIN                                         \
	_Pragma("clang diagnostic push")                        \
	_Pragma("clang diagnostic ignored \"-Wpedantic\"")      \
	_Pragma("clang diagnostic ignored \"-Wgnu-zero-variadic-macro-arguments\"")
#define USDT__SDT_END _Pragma("clang diagnostic pop")
#else
#define USDT__SDT_BEGIN
#define USDT__SDT_END
#endif

/* The semaphore, weak and hidden so every translation unit of one binary or
 * shared library that declares the probe shares one. */
#define USDT__SEMAPHORE(provider, name)                                                \
	__attribute__((weak, visibility("hidden"), section(".probes"))) volatile unsigned short \
	provider##_##name##_semaphore __asm__(#provider "_" #name "_semaphore") = 0

/* The fire function holds the sys/sdt.h probe; it is always inlined where the
 * compiler can see the call, leaving the nop and the note at the call site. */
#define USDT__STATIC_DEFINE(probe, provider, name, params, stap, stap_args)      \
	USDT__SEMAPHORE(provider, name);                                          \
	__attribute__((always_inline, unused)) static inline void usdt__fire_##probe params \
	{                                                                         \
		USDT__SDT_BEGIN stap stap_args; USDT__SDT_END                               \
	}                                                                         \
	__attribute__((unused)) static const usdt_probe probe[1] = {              \
		{ &provider##_##name##_semaphore, (void (*)(void))usdt__fire_##probe } \
	}

#else /* USDT_DISABLE */

#define USDT__STATIC_DEFINE(probe, provider, name, params, stap, stap_args) \
	__attribute__((unused)) static const usdt_probe probe[1] = { { 0, 0 } }

#endif /* USDT_DISABLE */

#define USDT__STATIC_3(probe, prov, name) \
	USDT__STATIC_DEFINE(probe, prov, name, (void), STAP_PROBE, (prov, name))
#define USDT__STATIC_4(probe, prov, name, T1)                                            \
	USDT__TYPE_CHECK(probe, 1, T1);                                                  \
	USDT__STATIC_DEFINE(probe, prov, name, (usdt__u64 a1),                           \
			    STAP_PROBE1, (prov, name, USDT__AS(T1, a1)))
#define USDT__STATIC_5(probe, prov, name, T1, T2)                                        \
	USDT__TYPE_CHECK(probe, 1, T1); USDT__TYPE_CHECK(probe, 2, T2);                  \
	USDT__STATIC_DEFINE(probe, prov, name, (usdt__u64 a1, usdt__u64 a2),             \
			    STAP_PROBE2, (prov, name, USDT__AS(T1, a1), USDT__AS(T2, a2)))
#define USDT__STATIC_6(probe, prov, name, T1, T2, T3)                                    \
	USDT__TYPE_CHECK(probe, 1, T1); USDT__TYPE_CHECK(probe, 2, T2);                  \
	USDT__TYPE_CHECK(probe, 3, T3);                                                  \
	USDT__STATIC_DEFINE(probe, prov, name, (usdt__u64 a1, usdt__u64 a2, usdt__u64 a3), \
			    STAP_PROBE3, (prov, name, USDT__AS(T1, a1), USDT__AS(T2, a2),  \
					USDT__AS(T3, a3)))
#define USDT__STATIC_7(probe, prov, name, T1, T2, T3, T4)                                \
	USDT__TYPE_CHECK(probe, 1, T1); USDT__TYPE_CHECK(probe, 2, T2);                  \
	USDT__TYPE_CHECK(probe, 3, T3); USDT__TYPE_CHECK(probe, 4, T4);                  \
	USDT__STATIC_DEFINE(probe, prov, name,                                           \
			    (usdt__u64 a1, usdt__u64 a2, usdt__u64 a3, usdt__u64 a4),    \
			    STAP_PROBE4, (prov, name, USDT__AS(T1, a1), USDT__AS(T2, a2),  \
					USDT__AS(T3, a3), USDT__AS(T4, a4)))
#define USDT__STATIC_8(probe, prov, name, T1, T2, T3, T4, T5)                            \
	USDT__TYPE_CHECK(probe, 1, T1); USDT__TYPE_CHECK(probe, 2, T2);                  \
	USDT__TYPE_CHECK(probe, 3, T3); USDT__TYPE_CHECK(probe, 4, T4);                  \
	USDT__TYPE_CHECK(probe, 5, T5);                                                  \
	USDT__STATIC_DEFINE(probe, prov, name,                                           \
			    (usdt__u64 a1, usdt__u64 a2, usdt__u64 a3, usdt__u64 a4,     \
			     usdt__u64 a5),                                              \
			    STAP_PROBE5, (prov, name, USDT__AS(T1, a1), USDT__AS(T2, a2),  \
					USDT__AS(T3, a3), USDT__AS(T4, a4), USDT__AS(T5, a5)))
#define USDT__STATIC_9(probe, prov, name, T1, T2, T3, T4, T5, T6)                        \
	USDT__TYPE_CHECK(probe, 1, T1); USDT__TYPE_CHECK(probe, 2, T2);                  \
	USDT__TYPE_CHECK(probe, 3, T3); USDT__TYPE_CHECK(probe, 4, T4);                  \
	USDT__TYPE_CHECK(probe, 5, T5); USDT__TYPE_CHECK(probe, 6, T6);                  \
	USDT__STATIC_DEFINE(probe, prov, name,                                           \
			    (usdt__u64 a1, usdt__u64 a2, usdt__u64 a3, usdt__u64 a4,     \
			     usdt__u64 a5, usdt__u64 a6),                                \
			    STAP_PROBE6, (prov, name, USDT__AS(T1, a1), USDT__AS(T2, a2),  \
					USDT__AS(T3, a3), USDT__AS(T4, a4), USDT__AS(T5, a5), \
					USDT__AS(T6, a6)))
#define USDT__STATIC_10(probe, prov, name, T1, T2, T3, T4, T5, T6, T7)                   \
	USDT__TYPE_CHECK(probe, 1, T1); USDT__TYPE_CHECK(probe, 2, T2);                  \
	USDT__TYPE_CHECK(probe, 3, T3); USDT__TYPE_CHECK(probe, 4, T4);                  \
	USDT__TYPE_CHECK(probe, 5, T5); USDT__TYPE_CHECK(probe, 6, T6);                  \
	USDT__TYPE_CHECK(probe, 7, T7);                                                  \
	USDT__STATIC_DEFINE(probe, prov, name,                                           \
			    (usdt__u64 a1, usdt__u64 a2, usdt__u64 a3, usdt__u64 a4,     \
			     usdt__u64 a5, usdt__u64 a6, usdt__u64 a7),                  \
			    STAP_PROBE7, (prov, name, USDT__AS(T1, a1), USDT__AS(T2, a2),  \
					USDT__AS(T3, a3), USDT__AS(T4, a4), USDT__AS(T5, a5), \
					USDT__AS(T6, a6), USDT__AS(T7, a7)))
#define USDT__STATIC_11(probe, prov, name, T1, T2, T3, T4, T5, T6, T7, T8)               \
	USDT__TYPE_CHECK(probe, 1, T1); USDT__TYPE_CHECK(probe, 2, T2);                  \
	USDT__TYPE_CHECK(probe, 3, T3); USDT__TYPE_CHECK(probe, 4, T4);                  \
	USDT__TYPE_CHECK(probe, 5, T5); USDT__TYPE_CHECK(probe, 6, T6);                  \
	USDT__TYPE_CHECK(probe, 7, T7); USDT__TYPE_CHECK(probe, 8, T8);                  \
	USDT__STATIC_DEFINE(probe, prov, name,                                           \
			    (usdt__u64 a1, usdt__u64 a2, usdt__u64 a3, usdt__u64 a4,     \
			     usdt__u64 a5, usdt__u64 a6, usdt__u64 a7, usdt__u64 a8),    \
			    STAP_PROBE8, (prov, name, USDT__AS(T1, a1), USDT__AS(T2, a2),  \
					USDT__AS(T3, a3), USDT__AS(T4, a4), USDT__AS(T5, a5), \
					USDT__AS(T6, a6), USDT__AS(T7, a7), USDT__AS(T8, a8)))
#define USDT__STATIC_12(probe, prov, name, T1, T2, T3, T4, T5, T6, T7, T8, T9)           \
	USDT__TYPE_CHECK(probe, 1, T1); USDT__TYPE_CHECK(probe, 2, T2);                  \
	USDT__TYPE_CHECK(probe, 3, T3); USDT__TYPE_CHECK(probe, 4, T4);                  \
	USDT__TYPE_CHECK(probe, 5, T5); USDT__TYPE_CHECK(probe, 6, T6);                  \
	USDT__TYPE_CHECK(probe, 7, T7); USDT__TYPE_CHECK(probe, 8, T8);                  \
	USDT__TYPE_CHECK(probe, 9, T9);                                                  \
	USDT__STATIC_DEFINE(probe, prov, name,                                           \
			    (usdt__u64 a1, usdt__u64 a2, usdt__u64 a3, usdt__u64 a4,     \
			     usdt__u64 a5, usdt__u64 a6, usdt__u64 a7, usdt__u64 a8,     \
			     usdt__u64 a9),                                              \
			    STAP_PROBE9, (prov, name, USDT__AS(T1, a1), USDT__AS(T2, a2),  \
					USDT__AS(T3, a3), USDT__AS(T4, a4), USDT__AS(T5, a5), \
					USDT__AS(T6, a6), USDT__AS(T7, a7), USDT__AS(T8, a8), \
					USDT__AS(T9, a9)))
#define USDT__STATIC_13(probe, prov, name, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10)      \
	USDT__TYPE_CHECK(probe, 1, T1); USDT__TYPE_CHECK(probe, 2, T2);                  \
	USDT__TYPE_CHECK(probe, 3, T3); USDT__TYPE_CHECK(probe, 4, T4);                  \
	USDT__TYPE_CHECK(probe, 5, T5); USDT__TYPE_CHECK(probe, 6, T6);                  \
	USDT__TYPE_CHECK(probe, 7, T7); USDT__TYPE_CHECK(probe, 8, T8);                  \
	USDT__TYPE_CHECK(probe, 9, T9); USDT__TYPE_CHECK(probe, 10, T10);                \
	USDT__STATIC_DEFINE(probe, prov, name,                                           \
			    (usdt__u64 a1, usdt__u64 a2, usdt__u64 a3, usdt__u64 a4,     \
			     usdt__u64 a5, usdt__u64 a6, usdt__u64 a7, usdt__u64 a8,     \
			     usdt__u64 a9, usdt__u64 a10),                               \
			    STAP_PROBE10, (prov, name, USDT__AS(T1, a1), USDT__AS(T2, a2), \
					 USDT__AS(T3, a3), USDT__AS(T4, a4), USDT__AS(T5, a5), \
					 USDT__AS(T6, a6), USDT__AS(T7, a7), USDT__AS(T8, a8), \
					 USDT__AS(T9, a9), USDT__AS(T10, a10)))
#define USDT__STATIC_14(probe, prov, name, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11) \
	USDT__TYPE_CHECK(probe, 1, T1); USDT__TYPE_CHECK(probe, 2, T2);                  \
	USDT__TYPE_CHECK(probe, 3, T3); USDT__TYPE_CHECK(probe, 4, T4);                  \
	USDT__TYPE_CHECK(probe, 5, T5); USDT__TYPE_CHECK(probe, 6, T6);                  \
	USDT__TYPE_CHECK(probe, 7, T7); USDT__TYPE_CHECK(probe, 8, T8);                  \
	USDT__TYPE_CHECK(probe, 9, T9); USDT__TYPE_CHECK(probe, 10, T10);                \
	USDT__TYPE_CHECK(probe, 11, T11);                                                \
	USDT__STATIC_DEFINE(probe, prov, name,                                           \
			    (usdt__u64 a1, usdt__u64 a2, usdt__u64 a3, usdt__u64 a4,     \
			     usdt__u64 a5, usdt__u64 a6, usdt__u64 a7, usdt__u64 a8,     \
			     usdt__u64 a9, usdt__u64 a10, usdt__u64 a11),                \
			    STAP_PROBE11, (prov, name, USDT__AS(T1, a1), USDT__AS(T2, a2), \
					 USDT__AS(T3, a3), USDT__AS(T4, a4), USDT__AS(T5, a5), \
					 USDT__AS(T6, a6), USDT__AS(T7, a7), USDT__AS(T8, a8), \
					 USDT__AS(T9, a9), USDT__AS(T10, a10), USDT__AS(T11, a11)))
#define USDT__STATIC_15(probe, prov, name, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12) \
	USDT__TYPE_CHECK(probe, 1, T1); USDT__TYPE_CHECK(probe, 2, T2);                  \
	USDT__TYPE_CHECK(probe, 3, T3); USDT__TYPE_CHECK(probe, 4, T4);                  \
	USDT__TYPE_CHECK(probe, 5, T5); USDT__TYPE_CHECK(probe, 6, T6);                  \
	USDT__TYPE_CHECK(probe, 7, T7); USDT__TYPE_CHECK(probe, 8, T8);                  \
	USDT__TYPE_CHECK(probe, 9, T9); USDT__TYPE_CHECK(probe, 10, T10);                \
	USDT__TYPE_CHECK(probe, 11, T11); USDT__TYPE_CHECK(probe, 12, T12);              \
	USDT__STATIC_DEFINE(probe, prov, name,                                           \
			    (usdt__u64 a1, usdt__u64 a2, usdt__u64 a3, usdt__u64 a4,     \
			     usdt__u64 a5, usdt__u64 a6, usdt__u64 a7, usdt__u64 a8,     \
			     usdt__u64 a9, usdt__u64 a10, usdt__u64 a11, usdt__u64 a12), \
			    STAP_PROBE12, (prov, name, USDT__AS(T1, a1), USDT__AS(T2, a2), \
					 USDT__AS(T3, a3), USDT__AS(T4, a4), USDT__AS(T5, a5), \
					 USDT__AS(T6, a6), USDT__AS(T7, a7), USDT__AS(T8, a8), \
					 USDT__AS(T9, a9), USDT__AS(T10, a10), USDT__AS(T11, a11), \
					 USDT__AS(T12, a12)))

/* ---- Dynamic providers (usdt_dynamic.c, link with libelf) --------------- */

#ifdef __cplusplus
extern "C" {
#endif

/* Argument types of dynamic probes. */
enum usdt_type {
	USDT_INT8 = 1,
	USDT_UINT8,
	USDT_INT16,
	USDT_UINT16,
	USDT_INT32,
	USDT_UINT32,
	USDT_INT64,
	USDT_UINT64,
	USDT_POINTER,
	USDT_STRING /* const char *: a tracer reads it with str() */
};

#define USDT_MAX_ARGS 12
#define USDT_NAME_MAX 64 /* longest provider or probe name, in bytes */

/* What went wrong: an errno value and a sentence for a human. */
typedef struct usdt_error {
	int code;
	char message[192];
} usdt_error;

typedef struct usdt_provider usdt_provider;

/* Every call takes an optional usdt_error to fill in; on failure the call
 * changes nothing. Names are 1 to USDT_NAME_MAX bytes of [A-Za-z0-9_], not
 * starting with a digit (what every tracer's probe syntax accepts).
 *
 * Calls on one provider must not run concurrently; firing its probes from any
 * thread at any time is safe, whether the provider is loaded or not. */

/* A new, empty provider. NULL on error. */
usdt_provider *usdt_provider_create(const char *name, usdt_error *err);

/* Add a probe with up to USDT_MAX_ARGS arguments, before the first load.
 * The returned probe stays valid until usdt_provider_destroy() and is a no-op
 * while its provider is not loaded. NULL on error. */
const usdt_probe *usdt_probe_add(usdt_provider *provider, const char *name, int argc,
				 const enum usdt_type *types, usdt_error *err);

/* Make the provider's probes visible to tracers. 0, or a negative errno. */
int usdt_provider_load(usdt_provider *provider, usdt_error *err);

/* Hide them again; their probes become no-ops, also for a thread firing one
 * at that moment. A provider can be loaded again. 0, or a negative errno. */
int usdt_provider_unload(usdt_provider *provider, usdt_error *err);

/* Unload if loaded and free everything. No probe of the provider may be in
 * use any more. NULL is a no-op. */
void usdt_provider_destroy(usdt_provider *provider);

/* While loaded, the path a tracer can attach to, "/proc/PID/fd/N" (PID of
 * the process that loaded it); NULL otherwise. */
const char *usdt_provider_path(const usdt_provider *provider);

#ifdef __cplusplus
}
#endif

#endif /* USDT_H */
