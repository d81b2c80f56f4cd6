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
/* The number of arguments, 1 to 15. */
#define USDT__NARG(...) USDT__NARG_(__VA_ARGS__, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define USDT__NARG_(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, n, ...) n
/* FIRST(p, ...) is p. */
#define USDT__FIRST(...) USDT__FIRST_(__VA_ARGS__, ~)
#define USDT__FIRST_(p, ...) p

/* FOR(m, c, sep, x1, ..., xn) is m(c, 1, x1) sep() m(c, 2, x2) ... m(c, n, xn). */
#define USDT__FOR(m, c, sep, ...) USDT__CAT(USDT__FOR_, USDT__NARG(__VA_ARGS__))(m, c, sep, __VA_ARGS__)
#define USDT__FOR_1(m, c, s, a) m(c, 1, a)
#define USDT__FOR_2(m, c, s, a, b) USDT__FOR_1(m, c, s, a) s() m(c, 2, b)
#define USDT__FOR_3(m, c, s, a, b, d) USDT__FOR_2(m, c, s, a, b) s() m(c, 3, d)
#define USDT__FOR_4(m, c, s, a, b, d, e) USDT__FOR_3(m, c, s, a, b, d) s() m(c, 4, e)
#define USDT__FOR_5(m, c, s, a, b, d, e, f) USDT__FOR_4(m, c, s, a, b, d, e) s() m(c, 5, f)
#define USDT__FOR_6(m, c, s, a, b, d, e, f, g) USDT__FOR_5(m, c, s, a, b, d, e, f) s() m(c, 6, g)
#define USDT__FOR_7(m, c, s, a, b, d, e, f, g, h) \
	USDT__FOR_6(m, c, s, a, b, d, e, f, g) s() m(c, 7, h)
#define USDT__FOR_8(m, c, s, a, b, d, e, f, g, h, i) \
	USDT__FOR_7(m, c, s, a, b, d, e, f, g, h) s() m(c, 8, i)
#define USDT__FOR_9(m, c, s, a, b, d, e, f, g, h, i, j) \
	USDT__FOR_8(m, c, s, a, b, d, e, f, g, h, i) s() m(c, 9, j)
#define USDT__FOR_10(m, c, s, a, b, d, e, f, g, h, i, j, k) \
	USDT__FOR_9(m, c, s, a, b, d, e, f, g, h, i, j) s() m(c, 10, k)
#define USDT__FOR_11(m, c, s, a, b, d, e, f, g, h, i, j, k, l) \
	USDT__FOR_10(m, c, s, a, b, d, e, f, g, h, i, j, k) s() m(c, 11, l)
#define USDT__FOR_12(m, c, s, a, b, d, e, f, g, h, i, j, k, l, n) \
	USDT__FOR_11(m, c, s, a, b, d, e, f, g, h, i, j, k, l) s() m(c, 12, n)
#define USDT__COMMA() ,
#define USDT__SEMICOLON() ;
#define USDT__NOTHING()

typedef unsigned long long usdt__u64;

/* Conversions between probe arguments and the 64-bit values fire functions
 * take: TO_U64(x) at a call site, FROM_U64(T, v) back to the declared type,
 * pointers through uintptr_t, everything else directly (also on 32-bit
 * targets, where uintptr_t would drop half of a 64-bit integer). */
#ifdef __cplusplus
#include <type_traits>
template <typename T> struct usdt__is_pointer {
	static const bool value =
		std::is_pointer<T>::value || std::is_same<T, decltype(nullptr)>::value;
};
template <typename T>
inline typename std::enable_if<usdt__is_pointer<T>::value, usdt__u64>::type usdt__to_u64(T value)
{
	return reinterpret_cast<uintptr_t>(value);
}
template <typename T>
inline typename std::enable_if<!usdt__is_pointer<T>::value, usdt__u64>::type usdt__to_u64(T value)
{
	static_assert(std::is_integral<T>::value || std::is_enum<T>::value,
		      "usdt: a probe argument must be an integer, enum, bool or pointer "
		      "(floating-point: pass a scaled integer; struct: pass a pointer)");
	static_assert(sizeof(T) <= 8, "usdt: a probe argument must be at most 8 bytes");
	return static_cast<usdt__u64>(value);
}
template <typename T>
inline typename std::enable_if<std::is_pointer<T>::value, T>::type usdt__from_u64(usdt__u64 value)
{
	return reinterpret_cast<T>(static_cast<uintptr_t>(value));
}
template <typename T>
inline typename std::enable_if<!std::is_pointer<T>::value, T>::type usdt__from_u64(usdt__u64 value)
{
	return static_cast<T>(value);
}
/* The type an argument of type T is recorded as: enums as their underlying
 * type, so that sys/sdt.h records their signedness. */
template <typename T, bool = std::is_enum<T>::value> struct usdt__recorded {
	typedef T type;
};
template <typename T> struct usdt__recorded<T, true> {
	typedef typename std::underlying_type<T>::type type;
};
template <bool declared_count> struct usdt__arity {
	static_assert(declared_count, "usdt: a static probe fired with a number of arguments "
				      "other than its declaration's");
};
#define USDT__TO_U64(x) usdt__to_u64(x)
#define USDT__FROM_U64(T, v) usdt__from_u64<usdt__recorded<T>::type>(v)
#define USDT__FUNCTION_CAST(type, f) reinterpret_cast<type>(f)
#define USDT__CHECK_ARITY(probe, n) \
	((void)sizeof(usdt__arity<sizeof(probe) == sizeof(void *) || \
				  sizeof(probe) == (n) * sizeof(usdt_probe)>))
#define USDT__TYPE_CHECK(probe, i, T)                                                      \
	static_assert((std::is_integral<T>::value || std::is_enum<T>::value ||             \
		       std::is_pointer<T>::value) && sizeof(T) <= 8,                        \
		      "usdt: argument " #i " of probe " #probe " must be an integer, enum, " \
		      "bool or pointer of at most 8 bytes (floating-point: use a scaled integer)")
#else
/* __builtin_classify_type: 5 pointer, 14 array, 8 and 9 real and complex
 * floating point, 12 and 13 struct and union. The bit-fields' names are the
 * error messages. */
#define USDT__IS_POINTER(x) (__builtin_classify_type(x) == 5 || __builtin_classify_type(x) == 14)
#define USDT__TO_U64(x)                                                                      \
	((void)sizeof(struct {                                                               \
		int usdt_probe_argument_must_be_an_integer_or_pointer_of_at_most_8_bytes     \
			: (__builtin_classify_type(x) == 8 || __builtin_classify_type(x) == 9 || \
			   (!USDT__IS_POINTER(x) && sizeof(x) > 8)) ? -1 : 1;                \
	}),                                                                                  \
	 (usdt__u64)__builtin_choose_expr(USDT__IS_POINTER(x), (uintptr_t)(x), (x)))
#define USDT__CLASS(T) __builtin_classify_type(*(__typeof__(T) *)0)
#define USDT__FROM_U64(T, v) ((T)__builtin_choose_expr(USDT__CLASS(T) == 5, (uintptr_t)(v), (v)))
#define USDT__FUNCTION_CAST(type, f) ((type)(f))
#define USDT__CHECK_ARITY(probe, n)                                                  \
	((void)sizeof(struct {                                                       \
		int usdt_static_probe_fired_with_another_number_of_arguments         \
			: (sizeof(probe) == sizeof(void *) ||                        \
			   sizeof(probe) == (n) * sizeof(usdt_probe)) ? 1 : -1;      \
	}))
#define USDT__SCALAR(T) (USDT__CLASS(T) != 8 && USDT__CLASS(T) != 9 && USDT__CLASS(T) != 12 && \
			 USDT__CLASS(T) != 13 && sizeof(T) <= 8)
#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define USDT__TYPE_CHECK(probe, i, T)                                                   \
	_Static_assert(USDT__SCALAR(T), "usdt: argument " #i " of probe " #probe         \
					" must be an integer, enum, bool or pointer of at most " \
					"8 bytes (floating-point: use a scaled integer)")
#else
#define USDT__TYPE_CHECK(probe, i, T)                                                    \
	typedef char usdt__argument_##i##_of_##probe##_must_be_integer_or_pointer_of_8_bytes \
		[(USDT__SCALAR(T)) ? 1 : -1]
#endif
#endif

/* Call a probe's fire function with n (0 to 12) arguments as 64-bit values. */
#define USDT__U64_TYPE(c, i, x) usdt__u64
#define USDT__U64_VALUE(c, i, x) USDT__TO_U64(x)
#define USDT__CALL(probe, ...) USDT__CAT(USDT__CALL_, USDT__NARG(__VA_ARGS__))(probe, __VA_ARGS__)
#define USDT__CALL_1(probe, p) USDT__POINTER_OF(p, probe, fire)()
#define USDT__CALL_2(probe, p, ...) USDT__CALL_N(probe, p, __VA_ARGS__)
#define USDT__CALL_3(probe, p, ...) USDT__CALL_N(probe, p, __VA_ARGS__)
#define USDT__CALL_4(probe, p, ...) USDT__CALL_N(probe, p, __VA_ARGS__)
#define USDT__CALL_5(probe, p, ...) USDT__CALL_N(probe, p, __VA_ARGS__)
#define USDT__CALL_6(probe, p, ...) USDT__CALL_N(probe, p, __VA_ARGS__)
#define USDT__CALL_7(probe, p, ...) USDT__CALL_N(probe, p, __VA_ARGS__)
#define USDT__CALL_8(probe, p, ...) USDT__CALL_N(probe, p, __VA_ARGS__)
#define USDT__CALL_9(probe, p, ...) USDT__CALL_N(probe, p, __VA_ARGS__)
#define USDT__CALL_10(probe, p, ...) USDT__CALL_N(probe, p, __VA_ARGS__)
#define USDT__CALL_11(probe, p, ...) USDT__CALL_N(probe, p, __VA_ARGS__)
#define USDT__CALL_12(probe, p, ...) USDT__CALL_N(probe, p, __VA_ARGS__)
#define USDT__CALL_13(probe, p, ...) USDT__CALL_N(probe, p, __VA_ARGS__)
#define USDT__CALL_N(probe, p, ...)                                                           \
	USDT__FUNCTION_CAST(void (*)(USDT__FOR(USDT__U64_TYPE, ~, USDT__COMMA, __VA_ARGS__)), \
			    USDT__POINTER_OF(p, probe, fire))(                                \
		USDT__FOR(USDT__U64_VALUE, ~, USDT__COMMA, __VA_ARGS__))

/* ---- The call-site verbs ------------------------------------------------ */

#ifndef USDT_DISABLE

/* Nonzero while a tracer is attached: one volatile 16-bit load, never hoisted.
 * On x86-64 the load is the compare itself, which gcc does not make of a
 * volatile load: a static probe's check is then `cmpw $0, sem(%rip); jne`. */
#if defined(__x86_64__) && defined(__GCC_ASM_FLAG_OUTPUTS__)
__attribute__((always_inline)) static inline int
usdt__enabled(const volatile unsigned short *semaphore)
{
	int on;
	__asm__ __volatile__("{cmpw $0, %1|cmp WORD PTR %1, 0}" : "=@ccnz"(on) : "m"(*semaphore));
	return on;
}
#else
__attribute__((always_inline)) static inline int
usdt__enabled(const volatile unsigned short *semaphore)
{
	return *semaphore != 0;
}
#endif
/* A handle's pointers. A static probe is a constant array, whose pointers
 * the compiler folds into the compare. A dynamic handle (a pointer, by its
 * size) is filled in by usdt_dynamic.c while other threads may read it: a
 * relaxed atomic load, which on x86-64 and aarch64 is the same one load as a
 * plain one. */
#define USDT__IS_HANDLE(probe) (sizeof(probe) == sizeof(const usdt_probe *))
#define USDT__POINTER_OF(as_written, probe, member)                                 \
	(USDT__IS_HANDLE(as_written) ? __atomic_load_n(&(probe)->member, __ATOMIC_RELAXED) \
				     : (probe)->member)
#define USDT_ENABLED(probe) usdt__enabled(USDT__POINTER_OF(probe, probe, semaphore))

/* Fire the probe if a tracer is attached; arguments are evaluated only then. */
#define USDT_FIRE(...)                                                          \
	do {                                                                    \
		const usdt_probe *const usdt__probe = USDT__FIRST(__VA_ARGS__); \
		USDT__CHECK_ARITY(USDT__FIRST(__VA_ARGS__), USDT__NARG(__VA_ARGS__)); \
		if (__builtin_expect(usdt__enabled(USDT__POINTER_OF(            \
			USDT__FIRST(__VA_ARGS__), usdt__probe, semaphore)), 0)) \
			USDT__CALL(usdt__probe, __VA_ARGS__);                   \
	} while (0)

/* Fire without the enabled check: a static probe is then only its nop; the
 * arguments are always evaluated. */
#define USDT_FIRE_UNGATED(...)                                                  \
	do {                                                                    \
		const usdt_probe *const usdt__probe = USDT__FIRST(__VA_ARGS__); \
		USDT__CHECK_ARITY(USDT__FIRST(__VA_ARGS__), USDT__NARG(__VA_ARGS__)); \
		USDT__CALL(usdt__probe, __VA_ARGS__);                           \
	} while (0)

#else /* USDT_DISABLE */

#define USDT_ENABLED(probe) ((void)(probe), 0)
#define USDT_FIRE(...) USDT__IGNORE(__VA_ARGS__)
#define USDT_FIRE_UNGATED(...) USDT__IGNORE(__VA_ARGS__)

#endif /* USDT_DISABLE */

/* Disabled probes evaluate nothing, but still name their probe and arguments
 * (in dead code), so variables used only by probes raise no warnings. */
#define USDT__IGNORE(...) \
	do { if (0) (void)usdt__ignore(__VA_ARGS__); } while (0)
#ifdef __cplusplus
template <typename... T> inline int usdt__ignore(const T &...) { return 0; }
#else
static inline int usdt__ignore(const void *probe, ...)
{
	(void)probe;
	return 0;
}
#endif

/* ---- Timing a block of code, only while traced -------------------------- */

#ifdef CLOCK_MONOTONIC
/* CLOCK_MONOTONIC in nanoseconds. */
static inline unsigned long long usdt_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	unsigned long long seconds = ts.tv_sec, nanoseconds = ts.tv_nsec;
	return seconds * 1000000000ULL + nanoseconds;
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
#define USDT__ELAPSED_0(probe, start) USDT__ELAPSED(probe, start, )
#define USDT__ELAPSED_1(probe, start, ...) USDT__ELAPSED(probe, start, USDT__AND(__VA_ARGS__))
#define USDT__AND(...) , __VA_ARGS__
#define USDT__ELAPSED(probe, start, more)                                         \
	do {                                                                      \
		const unsigned long long usdt__start = (start);                   \
		if (__builtin_expect(usdt__start != 0 && USDT_ENABLED(probe), 0)) \
			USDT_FIRE_UNGATED(probe, usdt_now_ns() - usdt__start more); \
	} while (0)
#endif

/* ---- Static probe declaration ------------------------------------------- */

/* USDT_STATIC_PROBE(probe, provider, name, argument types...)
 *
 * Declares `probe` (a `const usdt_probe *`) for the static probe
 * provider:name with up to 12 arguments of the given types. Provider and
 * name are identifiers. */
#define USDT_STATIC_PROBE(...) \
	USDT__CAT(USDT__STATIC_, USDT__MORE_THAN_THREE(__VA_ARGS__))(__VA_ARGS__)
#define USDT__MORE_THAN_THREE(...) \
	USDT__NARG_(__VA_ARGS__, N, N, N, N, N, N, N, N, N, N, N, N, 0, ~, ~, ~)

#ifndef USDT_DISABLE

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
#define USDT__SEMAPHORE_NAME(provider, name) provider##_##name##_semaphore
#define USDT__SEMAPHORE(provider, name)                                                  \
	extern volatile unsigned short USDT__SEMAPHORE_NAME(provider, name) __asm__(       \
		#provider "_" #name "_semaphore") __attribute__((visibility("hidden")));      \
	__attribute__((weak, visibility("hidden"), section(".probes"))) volatile unsigned short \
	USDT__SEMAPHORE_NAME(provider, name) __asm__(#provider "_" #name "_semaphore") = 0

/* Per argument i of type T, in the fire function: its parameter; bringing it
 * back to T and out to 64 bits again, so that the register holds its sign or
 * zero extension (tracers disagree on widening what the note's size leaves
 * out: bpftrace 0.17 reads the whole register); hiding it in a register from
 * the optimizer, so that sys/sdt.h records a register, not an immediate such
 * as 4@$-1 for UINT32_MAX that tracers widen differently; and what sys/sdt.h
 * records. All of this runs only while traced. */
#define USDT__PARAM(c, i, T) usdt__u64 usdt__a##i
#define USDT__PREPARE(c, i, T)                                           \
	usdt__a##i = USDT__TO_U64(USDT__FROM_U64(T, usdt__a##i)); \
	__asm__("" : "+r"(usdt__a##i));
#define USDT__RECORD(c, i, T) USDT__FROM_U64(T, usdt__a##i)

/* The fire function holds the sys/sdt.h probe; it is always inlined where the
 * compiler can see the call, leaving the nop and the note at the call site.
 * `probe` is an array of one instance per argument and one more, so that a
 * call site can check its number of arguments with sizeof. */
#define USDT__STATIC_DEFINE(probe, provider, name, n, params, prepare, stap, stap_args) \
	USDT__SEMAPHORE(provider, name);                                                \
	__attribute__((always_inline)) static inline void usdt__fire_##probe params      \
	{                                                                               \
		prepare USDT__SDT_BEGIN stap stap_args; USDT__SDT_END                   \
	}                                                                               \
	__attribute__((unused)) static const usdt_probe probe[(n) + 1] = {              \
		{ &USDT__SEMAPHORE_NAME(provider, name),                                \
		  USDT__FUNCTION_CAST(void (*)(void), usdt__fire_##probe) }             \
	}

#define USDT__STATIC_0(probe, provider, name) \
	USDT__STATIC_DEFINE(probe, provider, name, 0, (void), , STAP_PROBE, (provider, name))
#define USDT__STATIC_N(probe, provider, name, ...)                                          \
	USDT__FOR(USDT__TYPE_CHECK, probe, USDT__SEMICOLON, __VA_ARGS__);                   \
	USDT__STATIC_DEFINE(probe, provider, name, USDT__NARG(__VA_ARGS__),                 \
			    (USDT__FOR(USDT__PARAM, ~, USDT__COMMA, __VA_ARGS__)),          \
			    USDT__FOR(USDT__PREPARE, ~, USDT__NOTHING, __VA_ARGS__),        \
			    USDT__CAT(STAP_PROBE, USDT__NARG(__VA_ARGS__)),                 \
			    (provider, name, USDT__FOR(USDT__RECORD, ~, USDT__COMMA, __VA_ARGS__)))

#else /* USDT_DISABLE */

#define USDT__STATIC_0(probe, provider, name) \
	__attribute__((unused)) static const usdt_probe probe[1] = { { 0, 0 } }
#define USDT__STATIC_N(probe, provider, name, ...) USDT__STATIC_0(probe, provider, name)

#endif /* USDT_DISABLE */

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

/* Where loaded providers' objects are stored, for this provider's next
 * loads: an absolute directory (created if missing; an error if it cannot
 * hold the object), USDT_DIR_MEMFD for a sealed memfd, or NULL for the
 * default: $USDT_DIR (a directory or "memfd"), else $XDG_RUNTIME_DIR/usdt,
 * else /run/usdt where writable, each skipped if unusable or mounted noexec,
 * else a memfd. In a directory the object is one read-only file per distinct
 * provider, DIR/PROVIDER-BUILDID.so, shared by every process that loads the
 * same provider and kept (like a shared library) until removed or, on tmpfs,
 * until reboot. 0, or a negative errno. */
#define USDT_DIR_MEMFD "memfd"
int usdt_provider_set_dir(usdt_provider *provider, const char *dir, usdt_error *err);

/* Add a probe with up to USDT_MAX_ARGS arguments, before the first load.
 * The returned probe stays valid until usdt_provider_destroy() and is a no-op
 * while its provider is not loaded. NULL on error. */
const usdt_probe *usdt_probe_add(usdt_provider *provider, const char *name, int argc,
				 const enum usdt_type *types, usdt_error *err);

/* Make the provider's probes visible to tracers (and to gdb, through its JIT
 * interface). 0, or a negative errno. */
int usdt_provider_load(usdt_provider *provider, usdt_error *err);

/* Hide them again; their probes become no-ops, also for a thread firing one
 * at that moment. A provider can be loaded again. 0, or a negative errno. */
int usdt_provider_unload(usdt_provider *provider, usdt_error *err);

/* Unload if loaded and free everything. No probe of the provider may be in
 * use any more. NULL is a no-op. */
void usdt_provider_destroy(usdt_provider *provider);

/* While loaded, the path a tracer can attach to: the object's file
 * (DIR/PROVIDER-BUILDID.so; attaching to it without a PID traces every
 * process that loaded it), or for a memfd "/proc/PID/fd/N" with PID the
 * calling process (a forked child names its own). NULL otherwise. */
const char *usdt_provider_path(const usdt_provider *provider);

#ifdef __cplusplus
}
#endif

#endif /* USDT_H */
