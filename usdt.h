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
 *   if (USDT_ENABLED(req_start)) { ... }   // one volatile 32-bit load
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
 * Floating-point types, structs, unions, arrays, types wider than 8 bytes and
 * a 13th argument are rejected at compile time: pass a scaled integer or a
 * pointer instead.
 *
 * WHERE A STATIC PROBE FIRES: a traced USDT_FIRE calls an out-of-line
 * function (one per probe and translation unit) whose x86-64 site is a 1-byte
 * nop on every kernel today (usdt__x86_site_nop(), below; docs/kernels.md);
 * USDT_FIRE_UNGATED's site is a 1-byte nop inlined where the compiler
 * inlines. See "Probe sites" below.
 *
 * BATCHING: a tracer may take a probe's fires in batches instead, attaching
 * to its companion note (usdt_batch:PROVIDER__NAME) and to usdt_batch:flush;
 * the process then writes each fire into a per-thread buffer, no kernel
 * entry, and fires usdt_batch:flush once per buffer (docs/batching.md).
 *
 * TRACING
 *
 *   bpftrace -l 'usdt:*' -p PID
 *   bpftrace -p PID -e 'usdt:/abs/path/app:myapp:request_start
 *                       { printf("%ld %s\n", arg0, str(arg1)); }'
 *   # dynamic probes: listed with -p like static ones; their file, from
 *   # usdt_provider_path() (DIR/PROVIDER-BUILDID.so), traced without -p
 *   # counts every process that loaded the provider
 *   bpftrace -e 'usdt:/run/usdt/plugin-ID.so:plugin:request_start { @ = count(); }'
 *   # gdb -p PID: info probes, break -probe-stap plugin:request_start
 *
 * LIBRARY AND BINDINGS
 *
 * Built with meson, usdt_dynamic.c is also libusdt.so.0 (and libusdt.a),
 * installed with this header, pkg-config files (usdt, usdt-dynamic) and a
 * CMake package (usdt::usdt, usdt::dynamic). Languages that call C through an
 * FFI use usdt_probe_enabled, usdt_probe_fire and usdt_probe_semaphore (end of
 * this file) where C uses the verbs; bindings/python and bindings/ruby do.
 *
 * CONFIGURATION (define before including this header)
 *
 *   USDT_DISABLE     remove every probe: USDT_ENABLED is 0, USDT_FIRE does
 *                    nothing and evaluates nothing.
 *   USDT_REQUIRE     make a missing <sys/sdt.h> a compile error; without it,
 *                    where <sys/sdt.h> is missing (another OS, package not
 *                    installed) probes compile as with USDT_DISABLE, and a
 *                    -m32 build on Debian (sys/sdt.h installed for x86-64
 *                    only) gets a #warning saying so: define USDT_DISABLE
 *                    to silence it, or keep the probes with -isystem DIR,
 *                    DIR holding copies of sys/sdt.h and sdt-config.h.
 *
 * COMPILERS: gcc or clang; C89 (gnu89, -std=c89, -ansi: without -Wpedantic,
 * which calls long long and variadic macros C99's) to C23, C++11 to C++23;
 * any linker (GNU ld, gold, lld, mold).
 *
 * CAVEAT: include usdt.h before any direct include of <sys/sdt.h> in the same
 * translation unit; usdt.h turns on sys/sdt.h's semaphore support, which
 * sys/sdt.h decides once per translation unit.
 */
#ifndef USDT_H
#define USDT_H

#include <stdint.h>
#include <time.h>

/* The kit's version, the same as its build's project version. */
#define USDT_VERSION_MAJOR 0
#define USDT_VERSION_MINOR 1
#define USDT_VERSION_PATCH 0

/* The version of the library's binary interface: the layouts of usdt_probe
 * and usdt_error and the contract of the functions below. It changes with
 * every incompatible change, and so does the shared library's soname,
 * libusdt.so.USDT_ABI_VERSION. usdt_abi_version() tells the library's. */
#define USDT_ABI_VERSION 0

/* What every call site reads. A static probe is a constant instance, so the
 * compiler folds both loads away; a dynamic probe is filled in by
 * usdt_dynamic.c. `fire` is called with `argc` arguments, each converted to
 * unsigned long long; call sites never read `argc` (usdt_probe_fire does).
 * `semaphore` points at a pair of 16-bit counters: tracers of the probe's
 * sites, tracers batching it. `batch` is 0 for a static probe, whose fire
 * function batches; for a dynamic probe USDT__BATCH_DYNAMIC and bit i set
 * for each string argument i, for the call site to batch it. */
typedef struct usdt_probe {
	volatile unsigned short *semaphore;
	void (*fire)(void);
	int argc;
	int batch;
} usdt_probe;
#define USDT__BATCH_DYNAMIC 0x10000
/* A semaphore pair as one 32-bit value: nonzero while traced either way. */
typedef unsigned int __attribute__((may_alias)) usdt__semaphore_pair;
#ifdef __cplusplus
#define USDT__PAIR_OF(semaphore) \
	reinterpret_cast<const volatile usdt__semaphore_pair *>(  \
		static_cast<const volatile void *>(semaphore))
#else
#define USDT__PAIR_OF(semaphore) \
	((const volatile usdt__semaphore_pair *)(const volatile void *)(semaphore))
#endif


/* Marks the functions the shared library exports; it is built with every
 * other symbol hidden. */
#ifndef USDT_API
#  if defined(__GNUC__) || defined(__clang__)
#    define USDT_API __attribute__((visibility("default")))
#  else
#    define USDT_API
#  endif
#endif

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
/* Debian installs sys/sdt.h for its native architecture only: a -m32 build
 * on x86-64 would lose its probes without a word. */
#    if defined(__i386__) && defined(__linux__) && defined(__has_include)
#      if __has_include(<x86_64-linux-gnu/sys/sdt.h>)
#        warning "usdt.h: <sys/sdt.h> is installed for x86-64 only, not for this 32-bit target, so every probe is compiled out; add -isystem DIR for a directory DIR holding copies of sys/sdt.h and sdt-config.h, or define USDT_DISABLE"
#      endif
#    endif
#    define USDT_DISABLE 1
#  endif
#endif

/* Batching (below) on the architectures whose notes usdt.h writes itself. */
#if !defined(USDT_DISABLE) && (defined(__x86_64__) || defined(__aarch64__)) && \
	defined(__LP64__)
#  define USDT__BATCH 1
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

#if defined(__x86_64__) && defined(__linux__)
/* An address in the vDSO as a pointer; an int as unsigned long. */
#ifdef __cplusplus
#define USDT__VDSO(type, address) reinterpret_cast<type>(address)
#define USDT__ULONG(i) static_cast<unsigned long>(i)
#else
#define USDT__VDSO(type, address) ((type)(address))
#define USDT__ULONG(i) ((unsigned long)(i))
#endif
#if defined(__LP64__)
/* The ELF64 header, program header and note header, and libc's getauxval
 * under another name: nothing of <elf.h> or <sys/auxv.h> (whose names clash
 * with <linux/elf.h>'s, and whose declaration differs between libcs) enters
 * the user's unit. */
struct usdt__elf_header {
	unsigned char ident[16];
	unsigned short type, machine;
	unsigned int version;
	unsigned long entry, phoff, shoff;
	unsigned int flags;
	unsigned short ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
struct usdt__elf_segment {
	unsigned int type, flags;
	unsigned long offset, vaddr, paddr, filesz, memsz, align;
};
struct usdt__elf_note {
	unsigned int namesz, descsz, type;
};
#ifdef __cplusplus
extern "C"
#endif
unsigned long usdt__getauxval(unsigned long type) __asm__("getauxval");
#endif
/* The running kernel's LINUX_VERSION_CODE (major << 16 | minor << 8 |
 * sublevel, the sublevel capped at 255), from the "Linux" note of the vDSO
 * the kernel maps into every process: no system call, so nothing a seccomp
 * filter can refuse or kill. 0 without a 64-bit vDSO (vdso=0, x32), or if
 * it is not as expected: every read stays inside the vDSO's first page (its
 * ELF header and program headers) or its loaded segment. */
__attribute__((unused)) static unsigned long usdt__kernel_version(void)
{
#if defined(__LP64__)
	const unsigned long vdso = usdt__getauxval(33); /* AT_SYSINFO_EHDR */
	const struct usdt__elf_header *ehdr = USDT__VDSO(const struct usdt__elf_header *, vdso);
	const struct usdt__elf_segment *phdr;
	unsigned long count, size = 0, i;
	if (!vdso || ehdr->ident[0] != 0x7f || ehdr->ident[1] != 'E' || ehdr->ident[2] != 'L' ||
	    ehdr->ident[3] != 'F' || ehdr->ident[4] != 2 /* ELFCLASS64 */ ||
	    ehdr->phentsize != sizeof(*phdr) || ehdr->phoff > 4096 ||
	    USDT__ULONG(ehdr->phnum) * sizeof(*phdr) > 4096 - ehdr->phoff)
		return 0;
	phdr = USDT__VDSO(const struct usdt__elf_segment *, vdso + ehdr->phoff);
	count = ehdr->phnum;
	for (i = 0; i < count; i++)
		if (phdr[i].type == 1 /* PT_LOAD */ && phdr[i].offset == 0)
			size = phdr[i].filesz;
	for (i = 0; i < count; i++) {
		unsigned long note = vdso + phdr[i].offset, end = note + phdr[i].filesz;
		if (phdr[i].type != 4 /* PT_NOTE */ || phdr[i].offset > size ||
		    phdr[i].filesz > size - phdr[i].offset)
			continue;
		while (end - note >= sizeof(struct usdt__elf_note)) {
			const struct usdt__elf_note *nhdr = USDT__VDSO(const struct usdt__elf_note *, note);
			const char *name = USDT__VDSO(const char *, note + sizeof(*nhdr));
			unsigned long namesz = (nhdr->namesz + 3ul) & ~3ul;
			unsigned long descsz = (nhdr->descsz + 3ul) & ~3ul;
			if (namesz > end - note - sizeof(*nhdr) ||
			    descsz > end - note - sizeof(*nhdr) - namesz)
				break;
			if (nhdr->type == 0 && nhdr->namesz == 6 && nhdr->descsz == 4 &&
			    name[0] == 'L' && name[1] == 'i' && name[2] == 'n' && name[3] == 'u' &&
			    name[4] == 'x' && name[5] == 0)
				return *USDT__VDSO(const unsigned int *, note + sizeof(*nhdr) + namesz);
			note += sizeof(*nhdr) + namesz + descsz;
		}
	}
#endif
	return 0;
}

#define USDT__LINUX(major, minor, sublevel) ((major) << 16 | (minor) << 8 | (sublevel))
/* The size in bytes of the nop at an out-of-line x86-64 site (a static
 * probe's fire function, a dynamic probe's stub; never an inline site, whose
 * red zone may be live) that a traced fire costs least with on the running
 * kernel, that costs nothing again once the tracer has gone, and that a child
 * forked while it is traced can fire (kernel commits: docs/kernels.md,
 * "Kernel commits behind the rule"):
 *  10  `66 2e 0f 1f 84 00 00 00 00 00`, optimized into `lea -0x80(%rsp),%rsp;
 *      call` a trampoline, red zone kept, by 554ba38456da ("uprobes/x86: Move
 *      optimized uprobe from nop5 to nop10"): mainline in 7.3; in 7.2.y by
 *      7.2.6 at the latest (Debian's 7.2.6 source has it; the backport's
 *      release was not identified). Kernels without it refuse a uprobe on
 *      this nop (its CS prefix), so 7.2.0 to 7.2.5 get 0x90.
 *   1  Everywhere else: 0x90, which every kernel emulates after the
 *      breakpoint. Before 6.16 a multi-byte nop is single-stepped, several
 *      times slower; 6.16 and 6.17 emulate both at the same cost.
 * Never the 5-byte nop `0f 1f 44 00 00` that 6.18 to 7.1 optimize into a
 * call to a trampoline (ba2bfc97b462, "uprobes/x86: Add support to optimize
 * uprobes"): that trampoline is mapped in the traced process only, so a
 * child forked after the site was optimized dies of SIGSEGV on its first
 * fire there (6.18.44; 6.18.15, 6.19.14, 7.0.13, 7.1.13 under qemu;
 * docs/kernels.md, "Fork").
 * The version comes from usdt__kernel_version(): no system call. */
__attribute__((unused)) static int usdt__x86_site_nop(void)
{
	return usdt__kernel_version() >= USDT__LINUX(7, 2, 6) ? 10 : 1;
}
#endif

/* ---- Machinery ---------------------------------------------------------- */

#define USDT__CAT_(a, b) a##b
#define USDT__CAT(a, b) USDT__CAT_(a, b)
/* The number of arguments, 1 to 24. */
#define USDT__NARG(...)                                                                   \
	USDT__NARG_(__VA_ARGS__, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, \
		    8, 7, 6, 5, 4, 3, 2, 1, 0)
#define USDT__NARG_(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16,  \
		    _17, _18, _19, _20, _21, _22, _23, _24, n, ...)                            \
	n
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
 * type, so that notes record their signedness. */
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
template <bool at_most_12> struct usdt__max_args {
	static_assert(at_most_12, "usdt: a probe takes at most 12 arguments");
};
/* Whether tracers should read an argument of type T as signed. */
template <typename T> struct usdt__signed {
	static const bool value = std::is_signed<typename usdt__recorded<T>::type>::value;
};
#define USDT__TO_U64(x) usdt__to_u64(x)
#define USDT__FROM_U64(T, v) usdt__from_u64<usdt__recorded<T>::type>(v)
#define USDT__FUNCTION_CAST(type, f) reinterpret_cast<type>(f)
#define USDT__CHECK_ARITY(probe, n) \
	((void)sizeof(usdt__arity<sizeof(probe) == sizeof(void *) || \
				  sizeof(probe) == ((n) + 1) * sizeof(usdt_probe)>))
#define USDT__TOO_MANY_ARGUMENTS() ((void)sizeof(usdt__max_args<false>))
#define USDT__TOO_MANY_TYPES() static_assert(false, "usdt: a probe takes at most 12 arguments")
#define USDT__SIGNED(T) usdt__signed<T>::value
/* Whether an argument of type T is recorded as a string when batched. */
template <typename T> struct usdt__is_string {
	typedef typename std::remove_cv<typename std::remove_pointer<T>::type>::type pointee;
	static const bool value = std::is_pointer<T>::value &&
				  (std::is_same<pointee, char>::value ||
				   std::is_same<pointee, signed char>::value ||
				   std::is_same<pointee, unsigned char>::value);
};
#define USDT__IS_STRING(T) usdt__is_string<T>::value
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
			   __builtin_classify_type(x) == 12 ||                               \
			   __builtin_classify_type(x) == 13 ||                               \
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
			   sizeof(probe) == ((n) + 1) * sizeof(usdt_probe)) ? 1 : -1; \
	}))
#define USDT__TOO_MANY_ARGUMENTS() \
	((void)sizeof(struct { int usdt_a_probe_takes_at_most_12_arguments : -1; }))
/* An array type is the one that changes when its value is used (decays). */
#define USDT__IS_ARRAY(T) \
	(!__builtin_types_compatible_p(__typeof__(T), __typeof__(((void)0, *(__typeof__(T) *)0))))
#define USDT__SCALAR(T) (USDT__CLASS(T) != 8 && USDT__CLASS(T) != 9 && USDT__CLASS(T) != 12 && \
			 USDT__CLASS(T) != 13 && !USDT__IS_ARRAY(T) && sizeof(T) <= 8)
/* Whether an argument of type T is recorded as a string when batched. */
#define USDT__IS_STRING(T)                                                                  \
	(__builtin_types_compatible_p(T, char *) ||                                         \
	 __builtin_types_compatible_p(T, const char *) ||                                   \
	 __builtin_types_compatible_p(T, signed char *) ||                                  \
	 __builtin_types_compatible_p(T, const signed char *) ||                            \
	 __builtin_types_compatible_p(T, unsigned char *) ||                                \
	 __builtin_types_compatible_p(T, const unsigned char *))
/* Pointers through intptr_t: same size, so no warning about the cast. */
#define USDT__SIGNED(T)                                                                        \
	__builtin_choose_expr(USDT__CLASS(T) == 5, 0,                                          \
			      (__typeof__(T))(intptr_t)-1 < (__typeof__(T))(intptr_t)1)
#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define USDT__TYPE_CHECK(probe, i, T)                                                   \
	_Static_assert(USDT__SCALAR(T), "usdt: argument " #i " of probe " #probe         \
					" must be an integer, enum, bool or pointer of at most " \
					"8 bytes (floating-point: use a scaled integer)")
#define USDT__TOO_MANY_TYPES() _Static_assert(0, "usdt: a probe takes at most 12 arguments")
#else
#define USDT__TOO_MANY_TYPES() typedef char usdt__a_probe_takes_at_most_12_arguments[-1]
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
/* 13 to 23 arguments: an error that says so, first. */
#define USDT__CALL_14(...) USDT__TOO_MANY_ARGUMENTS()
#define USDT__CALL_15(...) USDT__TOO_MANY_ARGUMENTS()
#define USDT__CALL_16(...) USDT__TOO_MANY_ARGUMENTS()
#define USDT__CALL_17(...) USDT__TOO_MANY_ARGUMENTS()
#define USDT__CALL_18(...) USDT__TOO_MANY_ARGUMENTS()
#define USDT__CALL_19(...) USDT__TOO_MANY_ARGUMENTS()
#define USDT__CALL_20(...) USDT__TOO_MANY_ARGUMENTS()
#define USDT__CALL_21(...) USDT__TOO_MANY_ARGUMENTS()
#define USDT__CALL_22(...) USDT__TOO_MANY_ARGUMENTS()
#define USDT__CALL_23(...) USDT__TOO_MANY_ARGUMENTS()
#define USDT__CALL_24(...) USDT__TOO_MANY_ARGUMENTS()

/* ---- The call-site verbs ------------------------------------------------ */

#ifndef USDT_DISABLE

/* Nonzero while a tracer is attached, directly or in batch mode: one
 * volatile 32-bit load of the semaphore pair, never hoisted. On x86-64 the
 * load is the compare itself, which gcc does not make of a volatile load: a
 * static probe's check is then `cmpl $0, sem(%rip); jne`. A macro, not a
 * function, so that it is inline at every optimization level. */
#if defined(__x86_64__) && defined(__GCC_ASM_FLAG_OUTPUTS__) && !defined(__clang__)
#define USDT__ENABLED(semaphore)                                                              \
	__extension__({                                                                       \
		int usdt__on;                                                                 \
		__asm__ __volatile__("{cmpl $0, %1|cmp DWORD PTR %1, 0}" : "=@ccnz"(usdt__on) \
				     : "m"(*USDT__PAIR_OF(semaphore)));                       \
		usdt__on;                                                                     \
	})
#else
#define USDT__ENABLED(semaphore) (*USDT__PAIR_OF(semaphore) != 0)
#endif
/* A handle's pointers. A static probe is a constant array, whose pointers
 * the compiler folds into the compare. A dynamic handle (a pointer, by its
 * size) is filled in by usdt_dynamic.c while other threads may read it: a
 * relaxed atomic load, which on x86-64 and aarch64 is the same one load as a
 * plain one. `as_written` is the probe as the call site names it, `probe`
 * an expression of the same value. */
#define USDT__IS_HANDLE(probe) (sizeof(probe) == sizeof(const usdt_probe *))
#define USDT__POINTER_OF(as_written, probe, member)                                 \
	(USDT__IS_HANDLE(as_written) ? __atomic_load_n(&(probe)->member, __ATOMIC_RELAXED) \
				     : (probe)->member)
#define USDT__ENABLED_AS(as_written, probe) \
	USDT__ENABLED(USDT__POINTER_OF(as_written, probe, semaphore))
#define USDT_ENABLED(probe) USDT__ENABLED_AS(probe, probe)

/* Fire the probe if a tracer is attached; arguments are evaluated only then.
 * A static probe's fire function is out of line (see "Probe sites" below). */
#define USDT_FIRE(...)                                                          \
	do {                                                                    \
		const usdt_probe *const usdt__probe = USDT__FIRST(__VA_ARGS__); \
		USDT__CHECK_ARITY(USDT__FIRST(__VA_ARGS__), USDT__NARG(__VA_ARGS__)); \
		if (__builtin_expect(                                           \
			USDT__ENABLED_AS(USDT__FIRST(__VA_ARGS__), usdt__probe), 0)) \
			USDT__FIRE_ENABLED(usdt__probe, __VA_ARGS__);           \
	} while (0)

/* Fire an enabled probe: a static probe's fire function fires its sites
 * and batches; a dynamic handle's stub fires its site, then the call site
 * records the event if batched (the arguments evaluated once). */
#define USDT__FIRE_ENABLED(probe, ...)                                                 \
	do {                                                                           \
		if (USDT__IS_HANDLE(USDT__FIRST(__VA_ARGS__)))                          \
			USDT__CAT(USDT__HANDLE_, USDT__NARG(__VA_ARGS__))(probe, __VA_ARGS__); \
		else                                                                   \
			USDT__CALL(probe, __VA_ARGS__);                                \
	} while (0)
#define USDT__HANDLE_1(probe, p)                         \
	do {                                             \
		USDT__POINTER_OF(p, probe, fire)();      \
		USDT__HANDLE_BATCH(probe, 0, 0);         \
	} while (0)
#define USDT__HANDLE_N(probe, p, ...)                                                          \
	do {                                                                                   \
		const usdt__u64 usdt__v[] = { USDT__FOR(USDT__U64_VALUE, ~, USDT__COMMA,        \
							__VA_ARGS__) };                        \
		USDT__FUNCTION_CAST(void (*)(USDT__FOR(USDT__U64_TYPE, ~, USDT__COMMA, __VA_ARGS__)), \
				    USDT__POINTER_OF(p, probe, fire))(                         \
			USDT__FOR(USDT__VALUE_OF, ~, USDT__COMMA, __VA_ARGS__));               \
		USDT__HANDLE_BATCH(probe, USDT__NARG(__VA_ARGS__), usdt__v);                  \
	} while (0)
#define USDT__VALUE_OF(c, i, x) usdt__v[(i) - 1]
#define USDT__HANDLE_2(probe, p, ...) USDT__HANDLE_N(probe, p, __VA_ARGS__)
#define USDT__HANDLE_3(probe, p, ...) USDT__HANDLE_N(probe, p, __VA_ARGS__)
#define USDT__HANDLE_4(probe, p, ...) USDT__HANDLE_N(probe, p, __VA_ARGS__)
#define USDT__HANDLE_5(probe, p, ...) USDT__HANDLE_N(probe, p, __VA_ARGS__)
#define USDT__HANDLE_6(probe, p, ...) USDT__HANDLE_N(probe, p, __VA_ARGS__)
#define USDT__HANDLE_7(probe, p, ...) USDT__HANDLE_N(probe, p, __VA_ARGS__)
#define USDT__HANDLE_8(probe, p, ...) USDT__HANDLE_N(probe, p, __VA_ARGS__)
#define USDT__HANDLE_9(probe, p, ...) USDT__HANDLE_N(probe, p, __VA_ARGS__)
#define USDT__HANDLE_10(probe, p, ...) USDT__HANDLE_N(probe, p, __VA_ARGS__)
#define USDT__HANDLE_11(probe, p, ...) USDT__HANDLE_N(probe, p, __VA_ARGS__)
#define USDT__HANDLE_12(probe, p, ...) USDT__HANDLE_N(probe, p, __VA_ARGS__)
#define USDT__HANDLE_13(probe, p, ...) USDT__HANDLE_N(probe, p, __VA_ARGS__)
#define USDT__HANDLE_14(...) USDT__TOO_MANY_ARGUMENTS()
#define USDT__HANDLE_15(...) USDT__TOO_MANY_ARGUMENTS()
#define USDT__HANDLE_16(...) USDT__TOO_MANY_ARGUMENTS()
#define USDT__HANDLE_17(...) USDT__TOO_MANY_ARGUMENTS()
#define USDT__HANDLE_18(...) USDT__TOO_MANY_ARGUMENTS()
#define USDT__HANDLE_19(...) USDT__TOO_MANY_ARGUMENTS()
#define USDT__HANDLE_20(...) USDT__TOO_MANY_ARGUMENTS()
#define USDT__HANDLE_21(...) USDT__TOO_MANY_ARGUMENTS()
#define USDT__HANDLE_22(...) USDT__TOO_MANY_ARGUMENTS()
#define USDT__HANDLE_23(...) USDT__TOO_MANY_ARGUMENTS()
#define USDT__HANDLE_24(...) USDT__TOO_MANY_ARGUMENTS()
#ifdef USDT__BATCH
#define USDT__HANDLE_BATCH(probe, n, values)                                                \
	do {                                                                                \
		const volatile unsigned short *const usdt__s =                              \
			__atomic_load_n(&(probe)->semaphore, __ATOMIC_RELAXED);             \
		if (((probe)->batch & USDT__BATCH_DYNAMIC) && usdt__s[1])                    \
			usdt__batch_record(usdt__s, (n), USDT__CAST(unsigned, (probe)->batch) & 0xfffu, \
					   (values));                                       \
	} while (0)
#else
#define USDT__HANDLE_BATCH(probe, n, values) ((void)0)
#endif

/* Fire without the enabled check: a static probe is then only its nop; the
 * arguments are always evaluated. A static probe's second instance holds the
 * fire function meant to be inlined (the first one's is out of line); a
 * dynamic probe is a pointer, which sizeof tells apart. */
#define USDT_FIRE_UNGATED(...)                                                           \
	do {                                                                             \
		const usdt_probe *const usdt__probe =                                    \
			USDT__FIRST(__VA_ARGS__) +                                       \
			(sizeof(USDT__FIRST(__VA_ARGS__)) != sizeof(void *));            \
		USDT__CHECK_ARITY(USDT__FIRST(__VA_ARGS__), USDT__NARG(__VA_ARGS__));    \
		USDT__CALL(usdt__probe, __VA_ARGS__);                                    \
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
static __inline__ int usdt__ignore(const void *probe, ...)
{
	(void)probe;
	return 0;
}
#endif

/* ---- Timing a block of code, only while traced -------------------------- */

#ifdef CLOCK_MONOTONIC
/* CLOCK_MONOTONIC in nanoseconds. */
static __inline__ unsigned long long usdt_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return USDT__TO_U64(ts.tv_sec) * 1000000000ULL + USDT__TO_U64(ts.tv_nsec);
}

/* A start time if the probe is enabled, else 0: no clock read untraced. */
#define USDT_TIMESTAMP(probe) (USDT_ENABLED(probe) ? usdt_now_ns() : 0ULL)

/* Fire probe with the nanoseconds since start (from USDT_TIMESTAMP) as its
 * first argument, then the other arguments; nothing if start is 0 or the
 * probe is no longer enabled. */
#define USDT_FIRE_ELAPSED(...) \
	USDT__CAT(USDT__ELAPSED_, USDT__MORE_THAN_TWO(__VA_ARGS__))(__VA_ARGS__)
#define USDT__MORE_THAN_TWO(...)                                                                 \
	USDT__NARG_(__VA_ARGS__, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, \
		    0, 0, ~)
#define USDT__ELAPSED_0(probe, start) USDT__ELAPSED(probe, start, )
#define USDT__ELAPSED_1(probe, start, ...) USDT__ELAPSED(probe, start, USDT__AND(__VA_ARGS__))
#define USDT__AND(...) , __VA_ARGS__
#define USDT__ELAPSED(probe, start, more)                                              \
	do {                                                                           \
		const unsigned long long usdt__start = (start);                        \
		const usdt_probe *const usdt__probe = (probe);                         \
		USDT__CHECK_ARITY(probe, USDT__NARG(probe, usdt__start more));         \
		if (__builtin_expect(usdt__start != 0 &&                               \
				     USDT__ENABLED_AS(probe, usdt__probe), 0))                 \
			USDT__FIRE_ENABLED(usdt__probe, probe, usdt_now_ns() - usdt__start more); \
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
/* 0: no argument, N: 1 to 12, X: more. */
#define USDT__MORE_THAN_THREE(...)                                                              \
	USDT__NARG_(__VA_ARGS__, X, X, X, X, X, X, X, X, X, N, N, N, N, N, N, N, N, N, N, N, N, 0, \
		    ~, ~, ~)
#define USDT__STATIC_X(...) USDT__TOO_MANY_TYPES()

#ifndef USDT_DISABLE

/* The semaphore, weak and hidden so every translation unit of one binary or
 * shared library that declares the probe shares one; used, because notes
 * name it from assembly only.
 *
 * The .probes section starts a page of its own (a page as large as the
 * architecture's largest, 64 KiB beyond x86). The kernel increments the
 * semaphore of a process that maps the file after the uprobe exists (run
 * under `bpftrace -c`, or traced system-wide before it starts) in the first
 * writable private mapping of the file that covers the semaphore's file
 * offset (kernel/events/uprobes.c: uprobe_mmap -> delayed_ref_ctr_inc ->
 * valid_ref_ctr_vma, Linux 4.20 to 6.18 at least), and forgets it then.
 * lld and mold start the read-write segment on the file page where the
 * RELRO segment ends; the RELRO segment, mapped first and writable until the
 * dynamic loader protects it, then takes the increment, and the semaphore
 * reads 0. One empty section per link (a COMDAT group) carries the
 * alignment; each unit's .probes refers to it (an R_*_NONE relocation) so
 * that --gc-sections keeps it. */
#if defined(__x86_64__) || defined(__i386__)
#define USDT__PAGE "4096"
#else
#define USDT__PAGE "65536"
#endif
#define USDT__PROBES_PAGE __asm__(USDT__PROBES_PAGE_ASM)
#define USDT__PROBES_PAGE_ASM                                                      \
		".ifndef usdt__probes_page\n"                                      \
		".pushsection .probes,\"awG\",\"progbits\",usdt__probes_page,comdat\n" \
		".balign " USDT__PAGE "\n"                                          \
		".weak usdt__probes_page\n"                                         \
		".hidden usdt__probes_page\n"                                       \
		"usdt__probes_page:\n"                                              \
		".popsection\n"                                                     \
		".pushsection .probes,\"aw\",\"progbits\"\n"                        \
		".reloc ., BFD_RELOC_NONE, usdt__probes_page\n"                     \
		".popsection\n"                                                     \
		".endif\n"
#define USDT__SEMAPHORE_NAME(provider, name) provider##_##name##_semaphore
/* A probe's semaphore is a pair of 16-bit counters, 4-aligned: [0] counts
 * the tracers of its sites (the stapsdt notes name it), [1] those of its
 * companion note (batching, below). */
#define USDT__SEMAPHORE_DECLARATION(provider, name)                                      \
	extern volatile unsigned short USDT__SEMAPHORE_NAME(provider, name)[2] __asm__(    \
		#provider "_" #name "_semaphore") __attribute__((visibility("hidden")))
#define USDT__SEMAPHORE(provider, name)                                                  \
	USDT__SEMAPHORE_DECLARATION(provider, name);                                      \
	__attribute__((weak, used, visibility("hidden"), section(".probes"), aligned(4)))   \
	volatile unsigned short USDT__SEMAPHORE_NAME(provider, name)[2] __asm__(           \
		#provider "_" #name "_semaphore") = { 0, 0 }

/* ---- Probe sites -------------------------------------------------------- */

/* A static probe has two fire functions, each holding probe sites (a nop and
 * its stapsdt note):
 *
 * - usdt__fire_PROBE, called by USDT_FIRE (and USDT_FIRE_ELAPSED) only while
 *   traced, never inlined: one copy per translation unit. Entered by call,
 *   nothing of its caller lives below its stack pointer, so on x86-64 its
 *   site can be the 5-byte nop `0f 1f 44 00 00` that Linux 6.18 (commit
 *   ba2bfc97b4629, "uprobes/x86: Add support to optimize uprobes") turns
 *   into a call to its uprobe trampoline: the trampoline's call writes
 *   below the stack pointer, which is safe here and not in an inlined probe.
 *   So the function has both sites, and the first traced fire picks one,
 *   for the whole executable or shared library, by usdt__x86_site_nop():
 *   the 5-byte nop where the rule says 5, else the 1-byte nop (0x90,
 *   emulated for years). The rule says 5 on no kernel today: a child forked
 *   after 6.18 optimized a site dies on its first fire there. A tracer
 *   attaches to both; one of them fires.
 * - usdt__fire_inline_PROBE, called by USDT_FIRE_UNGATED: one 1-byte nop,
 *   inlined at each call site when the compiler inlines (from -O1; at gcc's
 *   -Og it stays one out-of-line copy per translation unit). Where nothing
 *   is inlined (-O0, -fno-inline), USDT_FIRE_UNGATED calls usdt__fire_PROBE
 *   instead. Never forced: always_inline fails to compile at -Og and under
 *   optimize attributes.
 *
 * So a probe fired in a unit has 2 notes there (the 5-byte and the 1-byte
 * nop of its fire function: a tracer attaches to both, one fires), and one
 * more for each place its inline fire function lands; at -O0, 2 in all.
 *
 * The notes are written here rather than by sys/sdt.h, in its format: every
 * argument in a 64-bit register holding the value extended to 64 bits by its
 * type's sign (`-1@%rsi`, not `-1@%sil`, which tracers read the same way and
 * gdb 13 can parse also for r8 to r15), on i386 in memory (`8@4(%esp)`: a
 * register pair cannot be named), on aarch64 an x register. */

#if defined(__x86_64__) || defined(__i386__) || defined(__aarch64__)
#define USDT__OWN_NOTES 1
#endif

#ifdef USDT__OWN_NOTES

#if defined(__LP64__) || defined(_LP64)
#define USDT__ASM_ADDRESS ".8byte "
#else
#define USDT__ASM_ADDRESS ".4byte "
#endif

/* The stapsdt note of the site at local label 990, and the .stapsdt.base
 * section every tracer expects next to it (shared by all notes of a link). */
#define USDT__NOTE(provider, name, arguments) \
	USDT__NOTE_OF(#provider, #name, #provider "_" #name "_semaphore", arguments)
#define USDT__NOTE_OF(provider, name, semaphore, arguments)                        \
	".pushsection .note.stapsdt,\"?\",\"note\"\n"                              \
	".balign 4\n"                                                              \
	".4byte 992f-991f, 994f-993f, 3\n"                                         \
	"991: .asciz \"stapsdt\"\n"                                                \
	"992: .balign 4\n"                                                         \
	"993: " USDT__ASM_ADDRESS "990b\n"                                         \
	USDT__ASM_ADDRESS "_.stapsdt.base\n"                                       \
	USDT__ASM_ADDRESS semaphore "\n"                                          \
	".asciz \"" provider "\"\n"                                                \
	".asciz \"" name "\"\n"                                                    \
	".asciz \"" arguments "\"\n"                                               \
	"994: .balign 4\n"                                                         \
	".popsection\n"                                                            \
	".ifndef _.stapsdt.base\n"                                                 \
	".pushsection .stapsdt.base,\"aG\",\"progbits\",.stapsdt.base,comdat\n"    \
	".weak _.stapsdt.base\n"                                                   \
	".hidden _.stapsdt.base\n"                                                 \
	"_.stapsdt.base: .space 1\n"                                               \
	".size _.stapsdt.base, 1\n"                                                \
	".popsection\n"                                                            \
	".endif\n"

/* Argument i: its spec, "[-]size@operand", and its two asm operands. */
#if defined(__x86_64__)
#define USDT__SPEC(c, i, T) "%c[usdt__s" #i "]@%q[usdt__a" #i "]"
#define USDT__CONSTRAINT "r"
#elif defined(__i386__)
#define USDT__SPEC(c, i, T) "%c[usdt__s" #i "]@%[usdt__a" #i "]"
#define USDT__CONSTRAINT "m"
#else
#define USDT__SPEC(c, i, T) "%c[usdt__s" #i "]@%[usdt__a" #i "]"
#define USDT__CONSTRAINT "r"
#endif
#define USDT__SPACE() " "
#define USDT__SIZE_OPERAND(c, i, T)                                                        \
	[usdt__s##i] "n"((USDT__SIGNED(T) ? -1 : 1) *                                      \
			 (sizeof(T) == 1 ? 1 : sizeof(T) == 2 ? 2 : sizeof(T) == 4 ? 4 : 8))
#define USDT__OPERANDS(c, i, T) \
	USDT__SIZE_OPERAND(c, i, T), [usdt__a##i] USDT__CONSTRAINT(usdt__a##i)

/* One site: a nop, then its note. */
#define USDT__SITE(nop, provider, name, specs, ...) \
	__asm__ __volatile__(nop "\n" USDT__NOTE(provider, name, specs) : : __VA_ARGS__)
#define USDT__SITE_0(nop, provider, name) \
	__asm__ __volatile__(nop "\n" USDT__NOTE(provider, name, ""))

#if defined(__x86_64__)
/* The 5-byte nop, as bytes (an assembler may shorten a written nopl), at
 * an address that is a multiple of 8, so that it never crosses a page. */
#define USDT__NOP5 ".balign 8\n990: .byte 0x0f, 0x1f, 0x44, 0x00, 0x00"
#define USDT__NOP1 "990: nop"
/* 0: not decided yet; else usdt__x86_site_nop() of the running kernel. */
extern int usdt__site_choice;
__attribute__((weak, visibility("hidden"))) int usdt__site_choice;
__attribute__((noinline, cold, unused)) static int usdt__choose_sites(void)
{
	int choice = usdt__x86_site_nop();
	__atomic_store_n(&usdt__site_choice, choice, __ATOMIC_RELAXED);
	return choice;
}
/* A static probe's notes are fixed at build time and a tracer attaches to
 * every one, but kernels that do not optimize the 10-byte nop refuse a
 * uprobe on it (its CS prefix): static probes have only 5-byte and 1-byte
 * nop sites, and take the 1-byte one where the rule says 10 (kernels that
 * optimize the 10-byte nop no longer optimize the 5-byte one, which then
 * costs the same as 0x90), and everywhere else too as long as the rule
 * never says 5. */
#define USDT__NOP5_SITES()                                                  \
	(__atomic_load_n(&usdt__site_choice, __ATOMIC_RELAXED) == 5 ||       \
	 (__atomic_load_n(&usdt__site_choice, __ATOMIC_RELAXED) == 0 &&      \
	  usdt__choose_sites() == 5))
#define USDT__FIRE_SITES(site, ...)                            \
	do {                                                   \
		if (USDT__NOP5_SITES())                        \
			site(USDT__NOP5, __VA_ARGS__);         \
		else                                           \
			site(USDT__NOP1, __VA_ARGS__);         \
	} while (0)
#define USDT__INLINE_SITE(site, ...) site(USDT__NOP1, __VA_ARGS__)
#else
#define USDT__FIRE_SITES(site, ...) site("990: nop", __VA_ARGS__)
#define USDT__INLINE_SITE(site, ...) site("990: nop", __VA_ARGS__)
#endif

#define USDT__SITES_0(where, provider, name) where(USDT__SITE_0, provider, name)
#define USDT__SITES_N(where, provider, name, ...)                                  \
	where(USDT__SITE, provider, name,                                          \
	      USDT__FOR(USDT__SPEC, ~, USDT__SPACE, __VA_ARGS__),                  \
	      USDT__FOR(USDT__OPERANDS, ~, USDT__COMMA, __VA_ARGS__))

#if defined(__x86_64__)
/* ---- Probes of headers generated by usdt-dtrace (x86-64) ----------------
 *
 * A generated header declares every probe of its provider file in every unit
 * that includes it (QEMU's trace headers have hundreds), and a unit fires a
 * few: so a probe's declaration there is its semaphore alone, and its fire
 * functions are written where a unit fires it. The call site's asm emits
 * two stubs, `endbr64; nop5; ret` and `endbr64; nop; ret`, each site with
 * its note, in a COMDAT group per probe and kind of nop (one copy per
 * executable or shared library), and hands over their addresses; while
 * traced, the call site calls the one USDT__NOP5_SITES picks, with each
 * argument brought to its declared type and extended to 64 bits. The stubs
 * are entered by call like usdt__fire_PROBE, so the 5-byte nop is as safe
 * there; the notes name the arguments where the calling convention puts
 * them (%rdi to %r9, then the stack above the return address). */
#define USDT__STUB_ARG_1 "%%rdi"
#define USDT__STUB_ARG_2 "%%rsi"
#define USDT__STUB_ARG_3 "%%rdx"
#define USDT__STUB_ARG_4 "%%rcx"
#define USDT__STUB_ARG_5 "%%r8"
#define USDT__STUB_ARG_6 "%%r9"
#define USDT__STUB_ARG_7 "8(%%rsp)"
#define USDT__STUB_ARG_8 "16(%%rsp)"
#define USDT__STUB_ARG_9 "24(%%rsp)"
#define USDT__STUB_ARG_10 "32(%%rsp)"
#define USDT__STUB_ARG_11 "40(%%rsp)"
#define USDT__STUB_ARG_12 "48(%%rsp)"
/* Argument i of a call site, a pair (T, x): its spec in the stub, its size
 * operand, x in 64 bits in a local (checked to be an integer or a pointer,
 * and expanded once), and that value as a T in 64 bits. */
#define USDT__PAIR_TYPE(T, x) T
#define USDT__PAIR_EXPRESSION(T, x) x
#define USDT__STUB_SPEC(c, i, pair) "%c[usdt__s" #i "]@" USDT__STUB_ARG_##i
#define USDT__STUB_OPERAND(c, i, pair) USDT__SIZE_OPERAND(c, i, USDT__PAIR_TYPE pair)
#define USDT__STUB_LOCAL(c, i, pair) \
	const usdt__u64 usdt__x##i = USDT__TO_U64(USDT__PAIR_EXPRESSION pair);
#define USDT__STUB_VALUE(c, i, pair) \
	USDT__TO_U64(USDT__FROM_U64(USDT__PAIR_TYPE pair, usdt__x##i))
/* The stub of provider:name whose symbol ends in kind (.5 or .1). */
#define USDT__STUB_NAME(provider, name, kind) "usdt__stub." #provider "." #name kind
#define USDT__STUB(provider, name, kind, nop, specs)                                    \
	".ifndef " USDT__STUB_NAME(provider, name, kind) "\n"                             \
	".pushsection .text." USDT__STUB_NAME(provider, name, kind) ",\"axG\",@progbits," \
	USDT__STUB_NAME(provider, name, kind) ",comdat\n"                                  \
	".weak " USDT__STUB_NAME(provider, name, kind) "\n"                               \
	".hidden " USDT__STUB_NAME(provider, name, kind) "\n"                             \
	".type " USDT__STUB_NAME(provider, name, kind) ",@function\n"                     \
	USDT__STUB_NAME(provider, name, kind) ":\n"                                       \
	"endbr64\n" nop "\n"                                                             \
	USDT__NOTE(provider, name, specs)                                                 \
	"ret\n"                                                                          \
	".size " USDT__STUB_NAME(provider, name, kind) ", .-"                             \
	USDT__STUB_NAME(provider, name, kind) "\n"                                        \
	".popsection\n"                                                                  \
	".endif\n"
#define USDT__STUB_CALL(provider, name, params, specs, operands, values)                 \
	do {                                                                             \
		void(*usdt__nop5) params;                                                \
		void(*usdt__nop1) params;                                                \
		__asm__(USDT__STUB(provider, name, ".5", USDT__NOP5, specs)              \
			USDT__STUB(provider, name, ".1", USDT__NOP1, specs)              \
			"lea " USDT__STUB_NAME(provider, name, ".5") "(%%rip), %0\n"     \
			"lea " USDT__STUB_NAME(provider, name, ".1") "(%%rip), %1"        \
			: "=r"(usdt__nop5), "=r"(usdt__nop1) operands);                  \
		(USDT__NOP5_SITES() ? usdt__nop5 : usdt__nop1) values;                   \
	} while (0)
/* The semaphore is declared with the probe and defined, as USDT__SEMAPHORE
 * does, where a unit reads it. */
#define USDT__DTRACE_PROBE(provider, name, declaration) \
	USDT__SEMAPHORE_DECLARATION(provider, name)
#define USDT__SEMAPHORE_ASM(provider, name)                                   \
	USDT__PROBES_PAGE_ASM                                                 \
	".ifndef " #provider "_" #name "_semaphore\n"                          \
	".pushsection .probes,\"aw\",\"progbits\"\n"                          \
	".weak " #provider "_" #name "_semaphore\n"                            \
	".hidden " #provider "_" #name "_semaphore\n"                          \
	".type " #provider "_" #name "_semaphore,@object\n"                    \
	".size " #provider "_" #name "_semaphore,4\n"                          \
	".balign 4\n"                                                         \
	#provider "_" #name "_semaphore: .zero 4\n"                            \
	".popsection\n"                                                       \
	".endif\n"
/* The check of a generated probe defines its semaphore in the same asm, which
 * must not be one that the compiler takes to write memory (a basic asm in a
 * function, under gcc; any volatile asm or one without outputs, under
 * clang): it would reload after the check every value read before it.
 * gcc: the compare of USDT__ENABLED, whose operands say what it reads.
 * clang: an asm of no side effect that gives the semaphore's address. */
#if defined(__GCC_ASM_FLAG_OUTPUTS__) && !defined(__clang__)
#define USDT__DTRACE_ENABLED(provider, name, probe)                                      \
	__extension__({                                                                  \
		int usdt__on;                                                            \
		__asm__ __volatile__(USDT__SEMAPHORE_ASM(provider, name)                 \
				     "{cmpw $0, %1|cmp WORD PTR %1, 0}"                  \
				     : "=@ccnz"(usdt__on)                                \
				     : "m"(USDT__SEMAPHORE_NAME(provider, name)[0]));    \
		usdt__on;                                                                \
	})
#else
#define USDT__DTRACE_ENABLED(provider, name, probe)                                      \
	__extension__({                                                                  \
		volatile unsigned short *usdt__semaphore;                                \
		__asm__(USDT__SEMAPHORE_ASM(provider, name)                              \
			"lea " #provider "_" #name "_semaphore(%%rip), %0"               \
			: "=r"(usdt__semaphore));                                        \
		*usdt__semaphore != 0;                                                   \
	})
#endif
#define USDT__DTRACE_FIRE0(provider, name, fire)                                \
	do {                                                                    \
		if (__builtin_expect(USDT__DTRACE_ENABLED(provider, name, ~), 0)) \
			USDT__STUB_CALL(provider, name, (void), "", , ());         \
	} while (0)
#define USDT__DTRACE_FIRE(provider, name, fire, ...)                                     \
	do {                                                                             \
		if (__builtin_expect(USDT__DTRACE_ENABLED(provider, name, ~), 0)) {        \
			USDT__FOR(USDT__STUB_LOCAL, ~, USDT__NOTHING, __VA_ARGS__)       \
			USDT__STUB_CALL(                                                 \
				provider, name,                                          \
				(USDT__FOR(USDT__U64_TYPE, ~, USDT__COMMA, __VA_ARGS__)), \
				USDT__FOR(USDT__STUB_SPEC, ~, USDT__SPACE, __VA_ARGS__), \
				: USDT__FOR(USDT__STUB_OPERAND, ~, USDT__COMMA, __VA_ARGS__), \
				(USDT__FOR(USDT__STUB_VALUE, ~, USDT__COMMA, __VA_ARGS__))); \
		}                                                                        \
	} while (0)
#endif

#else /* !USDT__OWN_NOTES: sys/sdt.h writes the notes, 1-byte nops only */

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
#define USDT__RECORD(c, i, T) USDT__FROM_U64(T, usdt__a##i)
#define USDT__SITES_0(where, provider, name) \
	USDT__SDT_BEGIN STAP_PROBE(provider, name); USDT__SDT_END
#define USDT__SITES_N(where, provider, name, ...)                                      \
	USDT__SDT_BEGIN USDT__CAT(STAP_PROBE, USDT__NARG(__VA_ARGS__))(                 \
		provider, name, USDT__FOR(USDT__RECORD, ~, USDT__COMMA, __VA_ARGS__)); \
	USDT__SDT_END

#endif /* USDT__OWN_NOTES */


/* Per argument i of type T, in a fire function: its parameter, and bringing
 * it back to T and out to 64 bits again, so that the value recorded holds
 * its sign or zero extension (tracers disagree on widening what the note's
 * size leaves out: bpftrace 0.17 reads the whole register). */
#define USDT__PARAM(c, i, T) usdt__u64 usdt__a##i
#define USDT__PREPARE(c, i, T) usdt__a##i = USDT__TO_U64(USDT__FROM_U64(T, usdt__a##i));

/* A fire function's work: the sites while traced directly, then the record
 * while batched (both when both are on). */
#define USDT__DIRECT(provider, name) USDT__SEMAPHORE_NAME(provider, name)[0]

/* Never inlined, never cloned with constants folded in, cold. */
#if defined(__has_attribute)
#if __has_attribute(noipa)
#define USDT__OUT_OF_LINE __attribute__((noipa, cold))
#endif
#endif
#ifndef USDT__OUT_OF_LINE
#define USDT__OUT_OF_LINE __attribute__((noinline, cold))
#endif

/* Using its frame address makes the compiler give the out-of-line fire
 * function a frame pointer even where the rest of the program has none, so
 * that a stack walked through frame pointers (bpftrace's ustack) shows the
 * function that fired the probe. */
#define USDT__FRAME __asm__ __volatile__("" : : "r"(__builtin_frame_address(0)));

/* `probe` is an array of one instance per argument and two more, so that a
 * call site can check its number of arguments with sizeof; its first
 * instance fires out of line, its second inline (USDT_FIRE_UNGATED). The
 * definition ends with an empty file-scope asm, which takes the user's
 * semicolon after the pragmas. */
#define USDT__STATIC_DEFINE(probe, provider, name, n, params, prepare, fire, fire_inline, \
			    batch)                                                        \
	USDT__PROBES_PAGE;                                                                \
	USDT__SEMAPHORE(provider, name);                                                  \
	USDT__UNUSED_BEGIN                                                                \
	static USDT__IF_UNUSED_O0 void usdt__fire_##probe params;                        \
	static __inline__ void usdt__fire_inline_##probe params;                          \
	__attribute__((unused)) static const usdt_probe probe[(n) + 2] = {              \
		{ USDT__SEMAPHORE_NAME(provider, name),                                 \
		  USDT__FUNCTION_CAST(void (*)(void), usdt__fire_##probe), (n), 0 },     \
		{ USDT__SEMAPHORE_NAME(provider, name),                                 \
		  USDT__FUNCTION_CAST(void (*)(void), USDT__UNGATED_FIRE(probe)), (n), 0 } \
	};                                                                                \
	USDT__OUT_OF_LINE static USDT__IF_UNUSED_O0 void usdt__fire_##probe params      \
	{                                                                                 \
		USDT__FRAME prepare                                                       \
		if (USDT__DIRECT(provider, name))                                         \
			fire;                                                             \
		batch                                                                     \
	}                                                                                 \
	__attribute__((unused)) static __inline__ void                                    \
	usdt__fire_inline_##probe params                                                  \
	{                                                                                 \
		prepare fire_inline;                                                      \
	}                                                                                 \
	USDT__UNUSED_END                                                                  \
	__asm__("")
/* Where the compiler inlines nothing (-O0, -fno-inline: __NO_INLINE__), the
 * probe array is kept whole wherever a probe is fired, with the functions
 * it names: USDT_FIRE_UNGATED then calls the out-of-line fire function too,
 * so that a unit keeps no fire function, and no note, that nothing calls. */
#ifdef __NO_INLINE__
#define USDT__UNGATED_FIRE(probe) usdt__fire_##probe
#else
#define USDT__UNGATED_FIRE(probe) usdt__fire_inline_##probe
#endif
/* A unit that declares a probe and never fires it keeps neither its array
 * nor its functions (nor notes). gcc without optimization keeps every
 * static variable (no -ftoplevel-reorder), which the pragma turns back on
 * for the array, and every static function not declared inline: the
 * out-of-line one is then inline too, never inlined all the same (noipa),
 * which gcc warns about (-Wattributes). */
#if defined(__GNUC__) && !defined(__clang__) && !defined(__OPTIMIZE__)
#define USDT__UNUSED_BEGIN                                         \
	_Pragma("GCC diagnostic push")                             \
	_Pragma("GCC diagnostic ignored \"-Wattributes\"")         \
	_Pragma("GCC push_options")                                \
	_Pragma("GCC optimize(\"toplevel-reorder\")")
#define USDT__UNUSED_END _Pragma("GCC pop_options") _Pragma("GCC diagnostic pop")
#define USDT__IF_UNUSED_O0 __inline__
#else
#define USDT__UNUSED_BEGIN
#define USDT__UNUSED_END
#define USDT__IF_UNUSED_O0
#endif

/* ---- Batching: the in-process runtime ------------------------------------
 *
 * A tracer that attaches to a probe's companion note (provider usdt_batch,
 * name PROVIDER__NAME, semaphore the probe's + 2, a never executed nop)
 * raises the second half of the probe's semaphore pair: each fire is then
 * written into a buffer of the firing thread, which the probe usdt_batch:flush
 * hands over, many events per trap (docs/batching.md has the format). The
 * runtime is static code of each unit that fires a probe, sharing a buffer
 * per thread through weak hidden variables, so one per executable or shared
 * library. x86-64 and aarch64 only; elsewhere the companions are missing and
 * the second half stays 0. */
#ifdef USDT__BATCH
#ifdef __cplusplus
#define USDT__CAST(T, x) static_cast<T>(x)
#define USDT__RECAST(T, x) reinterpret_cast<T>(x)
extern "C" {
#else
#define USDT__CAST(T, x) ((T)(x))
#define USDT__RECAST(T, x) ((T)(x))
#endif

/* The companion note of provider:name, in its out-of-line fire function, so
 * in each unit that fires it (a tracer attaches to every copy): its nop is
 * in a subsection of the function's section, after all of the unit's code
 * there, kept and dropped with the function (--gc-sections), never run. */
#define USDT__COMPANION(provider, name)                                         \
	__asm__ __volatile__(".subsection 1\n"                                    \
			     "990: nop\n"                                         \
			     USDT__NOTE_OF("usdt_batch", #provider "__" #name,    \
					   #provider "_" #name "_semaphore+2", "") \
			     ".subsection 0\n")

#define USDT__BATCH_HALF 65536u   /* bytes in each half of a buffer */
#define USDT__BATCH_LOW 4096u     /* an outermost fire flushes with less left */
#define USDT__BATCH_AGE 100000000ull /* ticks: 100 ms at 1 tick per ns or more */
#define USDT__BATCH_STRING 255u   /* longest string recorded, in bytes */

/* A thread's buffer, one anonymous mapping, all zero when new and in a
 * forked child (MADV_WIPEONFORK), which is a valid empty state. Every buffer
 * a runtime made is on its list (usdt__batch_root.head, through next) for
 * good: a thread that exits hands its buffer back (owner 0) to the next new
 * thread. A consumer may read a half that is not being written (docs/batching.md,
 * "Reading a buffer from outside"): on x86-64 (magic USDT__BATCH_MAGIC_TSO)
 * depth is raised before a slot is reserved and lowered after it is written,
 * and turns counts the halves handed over. */
#define USDT__BATCH_MAGIC_TSO 0x31425355u   /* "USB1": stores seen in order (x86-64) */
#define USDT__BATCH_MAGIC_OTHER 0x30425355u /* "USB0": not to be read from outside */
#if defined(__x86_64__)
#define USDT__BATCH_MAGIC USDT__BATCH_MAGIC_TSO
#define USDT__SYS_GETTID 186
#else
#define USDT__BATCH_MAGIC USDT__BATCH_MAGIC_OTHER
#define USDT__SYS_GETTID 178 /* aarch64 */
#endif
struct usdt__batch {
	volatile usdt__u64 used[2];  /* bytes reserved in each half */
	volatile usdt__u64 first[2]; /* ticks of each half's first event */
	volatile usdt__u64 dropped;  /* events dropped since the mapping */
	volatile unsigned depth;     /* fires in progress on the thread */
	volatile unsigned active;    /* the half fires write to: turns & 1 */
	volatile usdt__u64 turns;    /* halves handed over since the mapping */
	struct usdt__batch *volatile next; /* the runtime's buffer made before it */
	volatile unsigned magic;     /* USDT__BATCH_MAGIC once on the list */
	volatile unsigned owner;     /* 0: free for a new thread */
	volatile unsigned tid;       /* the owner's thread id */
	unsigned zero;
	usdt__u64 half[2][USDT__BATCH_HALF / 8];
};

/* libc under names of the kit's own, so that no system header is needed
 * (MAP_ANONYMOUS, MADV_WIPEONFORK are missing in strict modes). */
struct usdt__timespec {
	long sec, nsec;
};
void *usdt__mmap(void *, unsigned long, int, int, int, long) __asm__("mmap");
int usdt__munmap(void *, unsigned long) __asm__("munmap");
int usdt__madvise(void *, unsigned long, int) __asm__("madvise");
int *usdt__errno(void) __asm__("__errno_location");
int usdt__clock_gettime(int, struct usdt__timespec *) __asm__("clock_gettime");
int usdt__pthread_once(int *, void (*)(void)) __asm__("pthread_once");
int usdt__pthread_key_create(unsigned *, void (*)(void *)) __asm__("pthread_key_create");
int usdt__pthread_setspecific(unsigned, const void *) __asm__("pthread_setspecific");
int usdt__pthread_key_delete(unsigned) __asm__("pthread_key_delete");
int usdt__atexit(void (*)(void)) __asm__("atexit");
long usdt__syscall(long, ...) __asm__("syscall");

/* Shared by every unit of a link: the thread's buffer's address (or below
 * USDT__BATCH_NONE: 0 before it, USDT__BATCH_REFUSED if it could not be
 * made, USDT__BATCH_MAKING plus the events signal handlers fired while it
 * was being made, counted as drops once it is), the thread-exit key and its
 * once flag, and the flush probe's semaphore. */
#define USDT__BATCH_REFUSED 1u
#define USDT__BATCH_MAKING 2u
#define USDT__BATCH_NONE 4096u /* no mapping is below */
extern __thread uintptr_t usdt__batch_self;
__attribute__((weak, visibility("hidden"))) __thread uintptr_t usdt__batch_self;
extern int usdt__batch_once;
__attribute__((weak, visibility("hidden"))) int usdt__batch_once;
extern int usdt__batch_ready;
__attribute__((weak, visibility("hidden"))) int usdt__batch_ready;
extern unsigned usdt__batch_key;
__attribute__((weak, visibility("hidden"))) unsigned usdt__batch_key;
extern volatile int usdt__batch_exiting;
__attribute__((weak, visibility("hidden"))) volatile int usdt__batch_exiting;
USDT__PROBES_PAGE; /* the flush semaphore's page, also in a link of dynamic probes only */
/* The flush probe's semaphore, then the list of buffers: a consumer finds
 * the list at the semaphore's address + 8. */
struct usdt__batch_root {
	volatile unsigned short semaphore;
	unsigned short zero[3];
	struct usdt__batch *volatile head;
};
extern struct usdt__batch_root usdt__batch_root __asm__("usdt_batch_flush_semaphore")
	__attribute__((visibility("hidden")));
__attribute__((weak, used, visibility("hidden"), section(".probes")))
struct usdt__batch_root usdt__batch_root __asm__("usdt_batch_flush_semaphore") = { 0, { 0, 0, 0 }, 0 };

USDT__UNUSED_BEGIN
/* Timestamps: the TSC on x86-64 (kind 1), else CLOCK_MONOTONIC ns (kind 0). */
static __inline__ usdt__u64 usdt__batch_ns(void)
{
	struct usdt__timespec ts = { 0, 0 };
	usdt__clock_gettime(1 /* CLOCK_MONOTONIC */, &ts);
	return USDT__CAST(usdt__u64, ts.sec) * 1000000000ull + USDT__CAST(usdt__u64, ts.nsec);
}
#if defined(__x86_64__)
#define USDT__BATCH_CLOCK 1
static __inline__ usdt__u64 usdt__batch_ticks(void)
{
	unsigned lo, hi;
	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return USDT__CAST(usdt__u64, hi) << 32 | lo;
}
/* Reserve by one instruction, which a signal cannot split. */
static __inline__ usdt__u64 usdt__batch_add(volatile usdt__u64 *counter, usdt__u64 n)
{
	__asm__ __volatile__("xaddq %0, %1" : "+r"(n), "+m"(*counter));
	return n;
}
#else
#define USDT__BATCH_CLOCK 0
#define usdt__batch_ticks usdt__batch_ns
static __inline__ usdt__u64 usdt__batch_add(volatile usdt__u64 *counter, usdt__u64 n)
{
	return __atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}
#endif

/* The flush probe: a buffer's half, its length, the anchors, the drops, the
 * half's turn and the buffer. Its site is the 1-byte nop: Linux 6.18 maps
 * the trampoline of an optimized 5-byte nop in the traced process only, so
 * that a child forked after it crashes on its first fire of that site. */
static USDT__IF_UNUSED_O0 __attribute__((noinline, unused)) void
usdt__batch_flush_fire(usdt__u64 usdt__a1, usdt__u64 usdt__a2, usdt__u64 usdt__a3,
		       usdt__u64 usdt__a4, usdt__u64 usdt__a5, usdt__u64 usdt__a6,
		       usdt__u64 usdt__a7, usdt__u64 usdt__a8)
{
	USDT__FRAME
	USDT__SITES_N(USDT__INLINE_SITE, usdt_batch, flush, usdt__u64, usdt__u64, usdt__u64,
		      usdt__u64, usdt__u64, usdt__u64, usdt__u64, usdt__u64);
}

/* Hand the active half over and start on the other one. Only the outermost
 * fire of a thread calls it; a signal handler that fires meanwhile writes
 * to the new active half. */
static __inline__ __attribute__((unused)) void usdt__batch_flush(struct usdt__batch *b)
{
	const unsigned h = b->active;
	const usdt__u64 turn = b->turns;
	usdt__u64 length, ticks;
	b->active = h ^ 1u;
	b->turns = turn + 1;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	length = b->used[h] < USDT__BATCH_HALF ? b->used[h] : USDT__BATCH_HALF;
	ticks = usdt__batch_ticks();
	usdt__batch_flush_fire(USDT__RECAST(uintptr_t, b->half[h]), length, ticks,
			       usdt__batch_ns(), USDT__BATCH_CLOCK, b->dropped, turn,
			       USDT__RECAST(uintptr_t, b));
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	b->used[h] = 0;
}

/* At thread exit (the key's destructor) and process exit (atexit), as an
 * outermost fire would: a signal handler firing meanwhile only appends. */
static __inline__ __attribute__((unused)) void usdt__batch_drain(struct usdt__batch *b)
{
	if (b->depth == 0 && b->used[b->active] != 0) {
		b->depth = 1;
		usdt__batch_flush(b);
		b->depth = 0;
	}
}
/* The buffer goes back to the list for the next new thread, its written
 * pages given back to the system (past the first, which holds the header). */
static __inline__ __attribute__((unused)) void usdt__batch_thread_exit(void *buffer)
{
	struct usdt__batch *b = USDT__CAST(struct usdt__batch *, buffer);
	const int saved = *usdt__errno();
	usdt__batch_drain(b);
	usdt__batch_self = 0;
	usdt__madvise(USDT__RECAST(char *, b) + 4096, sizeof(*b) - 4096, 4 /* MADV_DONTNEED */);
	*usdt__errno() = saved;
	b->tid = 0;
	__atomic_store_n(&b->owner, 0u, __ATOMIC_RELEASE);
}
/* At exit (or dlclose of a library holding the runtime): the calling
 * thread's buffer drained, and from then on every outermost fire flushes
 * (fires of later exit handlers and destructors); the key deleted, so that no
 * thread exiting after a dlclose calls into unmapped code (other live
 * threads' buffers are then neither flushed nor unmapped). */
static __inline__ __attribute__((unused)) void usdt__batch_exit(void)
{
	if (usdt__batch_self >= USDT__BATCH_NONE)
		usdt__batch_drain(USDT__RECAST(struct usdt__batch *, usdt__batch_self));
	usdt__batch_exiting = 1;
	if (usdt__batch_ready) {
		usdt__batch_ready = 0;
		usdt__pthread_key_delete(usdt__batch_key);
	}
}
static __inline__ __attribute__((unused)) void usdt__batch_setup(void)
{
	usdt__batch_ready = usdt__pthread_key_create(&usdt__batch_key, usdt__batch_thread_exit) == 0 &&
			    usdt__atexit(usdt__batch_exit) == 0;
}

/* b's owner is the calling thread: its id for a reader outside (0 if
 * gettid is refused). */
static USDT__IF_UNUSED_O0 __attribute__((noinline, cold, unused)) void
usdt__batch_name_owner(struct usdt__batch *b)
{
	const long tid = usdt__syscall(USDT__SYS_GETTID);
	b->tid = tid > 0 ? USDT__CAST(unsigned, tid) : 0u;
}

/* b, owned by the calling thread, goes on the runtime's list. */
static USDT__IF_UNUSED_O0 __attribute__((noinline, cold, unused)) void
usdt__batch_enlist(struct usdt__batch *b)
{
	struct usdt__batch *head = usdt__batch_root.head;
	usdt__batch_name_owner(b);
	if (head != b) {
		do
			b->next = head;
		while (!__atomic_compare_exchange_n(&usdt__batch_root.head, &head, b, 0,
						    __ATOMIC_RELEASE, __ATOMIC_RELAXED));
	}
	__atomic_store_n(&b->magic, USDT__BATCH_MAGIC, __ATOMIC_RELEASE);
}

/* The thread's buffer in a forked child: zeroed (MADV_WIPEONFORK), and off
 * the list, whose links are zeroed too (the head may still point to it).
 * Taken back once: a signal handler's fire meanwhile records all the same. */
static USDT__IF_UNUSED_O0 __attribute__((noinline, cold, unused)) void
usdt__batch_adopt(struct usdt__batch *b)
{
	const int saved = *usdt__errno();
	unsigned mine = 0;
	if (__atomic_compare_exchange_n(&b->owner, &mine, 1u, 0, __ATOMIC_ACQUIRE,
					__ATOMIC_RELAXED))
		usdt__batch_enlist(b);
	*usdt__errno() = saved;
}

/* The thread's first batched fire takes a free buffer from the list, or maps
 * one: mmap, madvise, gettid and nothing else but what pthread_once and
 * pthread_setspecific need, once. NULL if refused (then never tried again on
 * this thread), or for a signal handler's fire while the thread is making
 * it, which counts as a drop (an atomic add: the handler may be interrupted
 * by another). errno is kept. */
static USDT__IF_UNUSED_O0 __attribute__((noinline, cold, unused)) struct usdt__batch *
usdt__batch_open(void)
{
	const int saved = *usdt__errno();
	const unsigned long size = sizeof(struct usdt__batch);
	uintptr_t lost, seen = 0;
	struct usdt__batch *b = 0;
	void *p;
	/* One instruction from 0 to making: a signal handler's fire in between
	 * would otherwise make a second buffer. */
	if (!__atomic_compare_exchange_n(&usdt__batch_self, &seen, USDT__BATCH_MAKING, 0,
					 __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
		if (seen >= USDT__BATCH_NONE)
			return USDT__RECAST(struct usdt__batch *, seen);
		if (seen >= USDT__BATCH_MAKING && seen < USDT__BATCH_NONE / 2)
			__atomic_fetch_add(&usdt__batch_self, 1, __ATOMIC_RELAXED);
		return 0;
	}
	if (usdt__pthread_once(&usdt__batch_once, usdt__batch_setup) == 0 && usdt__batch_ready) {
		for (b = usdt__batch_root.head; b; b = b->next) {
			unsigned free_ = 0;
			if (__atomic_load_n(&b->magic, __ATOMIC_ACQUIRE) == USDT__BATCH_MAGIC &&
			    b->owner == 0 &&
			    __atomic_compare_exchange_n(&b->owner, &free_, 1u, 0, __ATOMIC_ACQUIRE,
							__ATOMIC_RELAXED))
				break;
		}
		if (b) {
			if (usdt__pthread_setspecific(usdt__batch_key, b) != 0) {
				__atomic_store_n(&b->owner, 0u, __ATOMIC_RELEASE);
				b = 0;
			} else {
				usdt__batch_name_owner(b);
			}
		} else {
			p = usdt__mmap(0, size, 3 /* PROT_READ|PROT_WRITE */,
				       0x22 /* MAP_PRIVATE|MAP_ANONYMOUS */, -1, 0);
			if (p != USDT__RECAST(void *, USDT__CAST(intptr_t, -1))) {
				if (usdt__madvise(p, size, 18 /* MADV_WIPEONFORK */) == 0 &&
				    usdt__pthread_setspecific(usdt__batch_key, p) == 0) {
					b = USDT__CAST(struct usdt__batch *, p);
					b->owner = 1;
					usdt__batch_enlist(b);
				} else {
					usdt__munmap(p, size);
				}
			}
		}
		if (b) {
			/* One instruction: a handler sees the count or the buffer. */
			lost = __atomic_exchange_n(&usdt__batch_self, USDT__RECAST(uintptr_t, b),
						   __ATOMIC_RELAXED);
			usdt__batch_add(&b->dropped, lost - USDT__BATCH_MAKING);
			*usdt__errno() = saved;
			return b;
		}
	}
	usdt__batch_self = USDT__BATCH_REFUSED;
	*usdt__errno() = saved;
	return 0;
}

/* Record a fire of the probe whose semaphore pair is at id: argc values,
 * those of the bits of strings being string addresses. gcc -O3 (12) takes
 * the lengths of the strings, each set in the first loop, for unset in the
 * second. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
static USDT__IF_UNUSED_O0 __attribute__((noinline, unused)) void
usdt__batch_record(const volatile unsigned short *id, unsigned argc, unsigned strings,
		   const usdt__u64 *args)
{
	/* Read once: a signal handler may make the buffer between two reads. */
	const uintptr_t self = __atomic_load_n(&usdt__batch_self, __ATOMIC_RELAXED);
	struct usdt__batch *b = USDT__RECAST(struct usdt__batch *, self);
	usdt__u64 length[12], size = 24 + 8 * USDT__CAST(usdt__u64, argc), at, ticks, *record;
	unsigned char *bytes;
	unsigned i, h;
	if (self < USDT__BATCH_NONE) {
		if (!usdt__batch_root.semaphore || !(b = usdt__batch_open()))
			return;
	}
	if (b->magic != USDT__BATCH_MAGIC)
		usdt__batch_adopt(b); /* a forked child's */
	b->depth = b->depth + 1; /* a signal handler's fires leave it as they found it */
	/* Raised before the slot is reserved, for a reader outside. */
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (!usdt__batch_root.semaphore) {
		usdt__batch_add(&b->dropped, 1);
		b->depth = b->depth - 1;
		return;
	}
	for (i = 0; i < argc; i++) {
		const char *s = USDT__RECAST(const char *, USDT__CAST(uintptr_t, args[i]));
		length[i] = 0;
		if (!(strings >> i & 1))
			continue;
		if (!s) {
			length[i] = ~0ull;
			size += 1;
			continue;
		}
		while (length[i] < USDT__BATCH_STRING && s[length[i]])
			length[i]++;
		size += length[i] + 1;
	}
	size = (size + 7) & ~7ull;
	h = b->active;
	at = usdt__batch_add(&b->used[h], size);
	if (at + size > USDT__BATCH_HALF) {
		if (at + 8 <= USDT__BATCH_HALF) {
			record = b->half[h] + at / 8;
			record[0] = (USDT__BATCH_HALF - at) | 2u << 16;
		}
		usdt__batch_add(&b->dropped, 1);
		ticks = b->first[h]; /* a full half is flushed whatever its age */
	} else {
		ticks = usdt__batch_ticks();
		if (at == 0)
			b->first[h] = ticks;
		record = b->half[h] + at / 8;
		record[0] = size | 1u << 16 | USDT__CAST(usdt__u64, argc) << 24 |
			    USDT__CAST(usdt__u64, strings) << 32;
		record[1] = USDT__RECAST(uintptr_t, id);
		record[2] = ticks;
		if (size > 24 + 8 * USDT__CAST(usdt__u64, argc))
			record[size / 8 - 1] = 0; /* the strings' padding */
		bytes = USDT__RECAST(unsigned char *, record + 3 + argc);
		for (i = 0; i < argc; i++) {
			const unsigned char *s;
			usdt__u64 n;
			if (!(strings >> i & 1)) {
				record[3 + i] = args[i];
				continue;
			}
			record[3 + i] = length[i];
			s = USDT__RECAST(const unsigned char *, USDT__CAST(uintptr_t, args[i]));
			for (n = 0; s && n < length[i]; n++)
				*bytes++ = s[n];
			*bytes++ = 0;
		}
	}
	/* The outermost fire flushes, also one that found its half full (a
	 * signal handler filled it meanwhile). */
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (b->depth == 1 &&
	    (b->used[h] > USDT__BATCH_HALF - USDT__BATCH_LOW || ticks - b->first[h] > USDT__BATCH_AGE ||
	     usdt__batch_exiting))
		usdt__batch_flush(b);
	b->depth = b->depth - 1;
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
USDT__UNUSED_END

#ifdef __cplusplus
}
#endif

#define USDT__ARG(c, i, T) usdt__a##i
#define USDT__STRING_BIT(c, i, T) (USDT__IS_STRING(T) ? 1u << ((i) - 1) : 0u)
#define USDT__OR() |
#define USDT__BATCH_0(provider, name)                                                    \
	USDT__COMPANION(provider, name);                                                  \
	if (USDT__SEMAPHORE_NAME(provider, name)[1])                                      \
		usdt__batch_record(USDT__SEMAPHORE_NAME(provider, name), 0, 0, 0);
#define USDT__BATCH_N(provider, name, ...)                                               \
	USDT__COMPANION(provider, name);                                                  \
	if (USDT__SEMAPHORE_NAME(provider, name)[1]) {                                    \
		const usdt__u64 usdt__args[] = { USDT__FOR(USDT__ARG, ~, USDT__COMMA,      \
							   __VA_ARGS__) };                \
		usdt__batch_record(USDT__SEMAPHORE_NAME(provider, name),                  \
				   USDT__NARG(__VA_ARGS__),                               \
				   USDT__FOR(USDT__STRING_BIT, ~, USDT__OR, __VA_ARGS__), \
				   usdt__args);                                           \
	}
#else /* !USDT__BATCH */
#define USDT__BATCH_0(provider, name)
#define USDT__BATCH_N(provider, name, ...)
#define USDT__COMPANION(provider, name)
#endif

#define USDT__STATIC_0(probe, provider, name)                                     \
	USDT__STATIC_DEFINE(probe, provider, name, 0, (void), ,                   \
			    USDT__SITES_0(USDT__FIRE_SITES, provider, name),      \
			    USDT__SITES_0(USDT__INLINE_SITE, provider, name),     \
			    USDT__BATCH_0(provider, name))
#define USDT__STATIC_N(probe, provider, name, ...)                                    \
	USDT__FOR(USDT__TYPE_CHECK, probe, USDT__SEMICOLON, __VA_ARGS__);             \
	USDT__STATIC_DEFINE(probe, provider, name, USDT__NARG(__VA_ARGS__),           \
			    (USDT__FOR(USDT__PARAM, ~, USDT__COMMA, __VA_ARGS__)),    \
			    USDT__FOR(USDT__PREPARE, ~, USDT__NOTHING, __VA_ARGS__),  \
			    USDT__SITES_N(USDT__FIRE_SITES, provider, name, __VA_ARGS__), \
			    USDT__SITES_N(USDT__INLINE_SITE, provider, name, __VA_ARGS__), \
			    USDT__BATCH_N(provider, name, __VA_ARGS__))

#else /* USDT_DISABLE */

#define USDT__STATIC_DISABLED(probe, n) \
	__attribute__((unused)) static const usdt_probe probe[1] = { { 0, 0, (n), 0 } }
#define USDT__STATIC_0(probe, provider, name) USDT__STATIC_DISABLED(probe, 0)
#define USDT__STATIC_N(probe, provider, name, ...) \
	USDT__STATIC_DISABLED(probe, USDT__NARG(__VA_ARGS__))

#endif /* USDT_DISABLE */

/* The probes of headers generated by usdt-dtrace: each one's declaration,
 * enabled check and fires, given its provider and name, its
 * USDT_STATIC_PROBE arguments, its handle and USDT_FIRE arguments, and
 * (x86-64) a pair (type, value) per argument. Beyond x86-64, and with
 * USDT_DISABLE, the verbs. */
#ifndef USDT__DTRACE_PROBE
#define USDT__DTRACE_PROBE(provider, name, declaration) USDT_STATIC_PROBE declaration
#define USDT__DTRACE_ENABLED(provider, name, probe) USDT_ENABLED(probe)
#define USDT__DTRACE_FIRE0(provider, name, fire) USDT_FIRE fire
#define USDT__DTRACE_FIRE(provider, name, fire, ...) USDT_FIRE fire
#endif

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
#define USDT_PROBES_MAX 65535 /* most probes in one dynamic provider */

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
USDT_API usdt_provider *usdt_provider_create(const char *name, usdt_error *err);

/* Where loaded providers' objects are stored, for this provider's next
 * loads: an absolute directory (created if missing; an error if it cannot
 * hold the object), USDT_DIR_MEMFD for a sealed memfd, or NULL for the
 * default: $USDT_DIR (a directory or "memfd"), else $XDG_RUNTIME_DIR/usdt,
 * else /run/usdt where writable, each skipped if unusable or mounted noexec,
 * else a memfd (usdt_provider_fallback() says why). In a directory the
 * object is one read-only file per distinct provider, DIR/PROVIDER-BUILDID.so
 * (DIR/usdt-EUID/... where others may write DIR, as in /tmp), shared by every
 * process that loads the same provider, held by each of them while loaded
 * and removed by a later load once none of them is alive. Every directory on
 * the way must be root's or the user's, writable by nobody else unless
 * sticky; a symlink is followed only if root's or the user's. Delete such a
 * file, never rewrite or truncate it. 0, or a negative errno. */
#define USDT_DIR_MEMFD "memfd"
USDT_API int usdt_provider_set_dir(usdt_provider *provider, const char *dir, usdt_error *err);

/* Add a probe with up to USDT_MAX_ARGS arguments, before the first load;
 * at most USDT_PROBES_MAX per provider (ENOSPC past it).
 * The returned probe stays valid until usdt_provider_destroy() and is a no-op
 * while its provider is not loaded. NULL on error. */
USDT_API const usdt_probe *usdt_probe_add(usdt_provider *provider, const char *name,
					  int argc, const enum usdt_type *types,
					  usdt_error *err);

/* Make the provider's probes visible to tracers (and to gdb, through its JIT
 * interface). 0, or a negative errno. */
USDT_API int usdt_provider_load(usdt_provider *provider, usdt_error *err);

/* Hide them again; their probes become no-ops, also for a thread firing one
 * at that moment. A provider can be loaded again. Makes no system call but
 * one mmap of what its load prepared: it works with no descriptor or address
 * space left. 0, or a negative errno. */
USDT_API int usdt_provider_unload(usdt_provider *provider, usdt_error *err);

/* Unload if loaded and free everything. No probe of the provider may be in
 * use any more. NULL is a no-op. */
USDT_API void usdt_provider_destroy(usdt_provider *provider);

/* While loaded, the path a tracer can attach to: the object's file
 * (DIR/PROVIDER-BUILDID.so; attaching to it without a PID traces every
 * process that loaded it), or for a memfd "/proc/PID/fd/N" with PID the
 * calling process (a forked child names its own). NULL otherwise. */
USDT_API const char *usdt_provider_path(const usdt_provider *provider);

/* While loaded, whether the last load went to another backing than the
 * first directory it tried (the explicit directory has no fallback: its
 * failure fails the load): 0, or the errno of why that directory was not
 * used, with the sentence in why (optional); usdt_provider_path() says where
 * the object went. 0 while not loaded. */
USDT_API int usdt_provider_fallback(const usdt_provider *provider, usdt_error *why);

/* Remove the provider files in dir (NULL: in each default directory) that
 * no live process has loaded. Every load does it in its own directory; this
 * is for operators and cleanup jobs. The number of files removed, or a
 * negative errno. */
USDT_API int usdt_dir_reclaim(const char *dir, usdt_error *err);

/* ---- Calls for bindings (usdt_dynamic.c, the shared library libusdt) ---- */

/* Plain functions where the verbs above are macros, for a language that
 * reaches the kit through a foreign function interface. They take static and
 * dynamic probes alike.
 *
 * The contract a binding relies on:
 *   - Threads: these calls are safe from any thread at any time, also while
 *     another thread loads or unloads the probe's provider. Provider calls
 *     (create, add, load, unload, destroy, path) on one provider must not run
 *     concurrently with each other.
 *   - Handles: a dynamic probe's handle is valid from usdt_probe_add() until
 *     usdt_provider_destroy(); while its provider is not loaded it reads as
 *     disabled and firing it does nothing. Destroy a provider only after the
 *     last fire of its probes has returned: destroy frees the handles.
 *   - usdt_error: `int code`, a positive errno value (0 after a success),
 *     then `char message[192]`, a NUL-terminated sentence ("" after a
 *     success); 196 bytes, aligned as an int.
 *   - Arguments go to usdt_probe_fire as 64-bit values: signed integers in
 *     two's complement, bools as 0 or 1, strings and pointers as addresses
 *     (a string must stay valid until the call returns). */

/* USDT_ABI_VERSION as the library was built. */
USDT_API int usdt_abi_version(void);

/* 1 while a tracer is attached to probe, directly or in batch mode, else 0
 * (also for NULL). */
USDT_API int usdt_probe_enabled(const usdt_probe *probe);

/* If probe is enabled, fire it with args[0] to args[argc - 1], each passed
 * where the probe's declaration expects it, and record the event if the
 * probe is batched (docs/batching.md). 1 if it fired, 0 if not enabled,
 * -EINVAL if probe is NULL, argc is not the probe's number of arguments or
 * args is NULL with argc > 0. */
USDT_API int usdt_probe_fire(const usdt_probe *probe, int argc, const uint64_t *args);

/* The address of probe's semaphore pair, for a binding to read without a
 * call: two volatile unsigned 16-bit counters, 4-aligned, the first counting
 * the tracers of its sites, the second those that batch it (docs/batching.md).
 * Read the 32 bits at that address as one volatile value: nonzero while
 * traced either way. A
 * dynamic probe's semaphore moves when its provider is first loaded (later
 * loads map over the same addresses): take the address after loading; it
 * stays readable until destroy. NULL for a
 * NULL probe or a static probe compiled with USDT_DISABLE. */
USDT_API const volatile unsigned short *usdt_probe_semaphore(const usdt_probe *probe);

/* The number of arguments probe takes, or -EINVAL for NULL. */
USDT_API int usdt_probe_argc(const usdt_probe *probe);

#ifdef __cplusplus
}
#endif

#endif /* USDT_H */
