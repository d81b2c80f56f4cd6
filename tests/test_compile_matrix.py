"""The static half of usdt.h across compilers, standards, optimization levels,
linkers and configurations, checked in the ELF files with readelf.

  test_compile_matrix.py REPOSITORY_ROOT SCRATCH_DIRECTORY DEBIAN_CACHE

Runs gcc, g++, clang and clang++ (from PATH; Debian 12: gcc 12, clang 14),
and gcc 14 and clang 19 from Debian 13, fetched by tests/debian.py into
DEBIAN_CACHE (or $USDT_DEBIAN_CACHE), on the sources in tests/matrix:
  - every verb compiles without a warning under -Wall -Wextra -Wpedantic
    -Werror in each C and C++ standard, at -O0 and -O2;
  - in C11 and C++17 also at -Og, -O1, -O3, -Os, with -fno-inline (-O0, -O2),
    -fPIE -pie and -fno-pie -no-pie, -flto at -O2 and -Og, and with the
    firing functions at another level than the file (gcc: optimize("O0") in
    an -O2 file, "O3" in -O0, "O2" in -Og, "Os" in -O3; clang, which ignores
    that attribute with an "unknown attribute" warning: optnone in -O2 and
    -O3 files, minsize in -O0 and -O2 files);
  - each binary has a note per probe with the right provider, name and argument
    sizes and signs, inside a function, and one semaphore per probe in a
    writable .probes section that all its notes name;
  - several translation units, a shared library (-fPIC), -flto, --gc-sections
    and C++ inline functions and templates, with GNU ld and with lld, at -O2;
    the shared library and several units also at -O0 and -Og, LTO also at
    -Og (where each probe's notes sit is checked against the documented
    table: fire functions per unit, ungated fires inline where inlined);
  - USDT_DISABLE, and a <sys/sdt.h> that is missing, with and without
    USDT_REQUIRE;
  - usdt_dynamic.c compiles without a warning with gcc and clang at -O0 to
    -O3 and -Os, and with gcc 14 and clang 19 at -O0, -O2 and -O3;
  - -m32 (compiled and inspected only: this kernel runs no 32-bit program):
    without sys/sdt.h on the 32-bit include path the header says so, in a
    diagnostic that can be turned off; with a copy of the system's sys/sdt.h
    the object's notes name every probe with its argument sizes, and 8-byte
    arguments are recorded whole (memory or constant, not a 32-bit register);
  - floating-point, struct, union (also of 8 bytes or less), array and
    16-byte argument types, more than 12 arguments fired on a static or a
    dynamic probe and more than 12 declared fail to compile, the first error
    naming usdt;
  - gcc 14 and clang 19 (a subset, not the cross product): C23 and C++23 at
    -O0, -Og, -O2, -O3, -Os, with USDT_DISABLE and with the caller attributes;
    C17 and C++17 at -O2; a few rejected types. They compile only (-c, run
    through Debian 13's loader); this machine's g++ links their objects, so
    that the programs run on this machine's libc;
  - a fact about sys/sdt.h: used directly, its STAP_PROBE1 fails under clang
    19 -std=c17 -Wpedantic -Werror ("a C23 extension"), while the same
    standard through usdt.h is clean.
Every linked program is run once, untraced, and must exit 0. The jobs run in
parallel, one per core: about 390 builds, 1.5 to 2 minutes on 2 cores. If
Debian 13's compilers cannot be fetched the rest still runs and the test is
a skip, or a failure under CI=true.
"""

import concurrent.futures
import os
import re
import shutil
import subprocess
import sys

import debian
from tracing import SKIP, fail

ROOT = os.path.abspath(sys.argv[1])
SCRATCH = os.path.abspath(sys.argv[2])
DEBIAN_CACHE = os.environ.get("USDT_DEBIAN_CACHE") or os.path.abspath(sys.argv[3])
SOURCES = os.path.join(ROOT, "tests", "matrix")
TOOLS = ("gcc", "g++", "clang", "clang++", "ld.lld", "readelf")
WARNINGS = ["-Wall", "-Wextra", "-Wpedantic", "-Werror"]
# Warnings beyond -Wall -Wextra that projects commonly turn on: the header
# must not raise them in user code either.
STRICT = {"gcc": ["-Wbad-function-cast"], "g++": ["-Wold-style-cast", "-Wuseless-cast"],
          "clang": ["-Wmissing-variable-declarations"],
          "clang++": ["-Wold-style-cast", "-Wmissing-variable-declarations"]}
C_STANDARDS = ("c99", "gnu99", "c11", "c17", "c2x")
CXX_STANDARDS = ("c++11", "c++14", "c++17", "c++20", "c++2b")
CXX = {"gcc": "g++", "clang": "clang++", "gcc-14": "g++-14", "clang-19": "clang++-19"}
# The argv that runs each compiler; Debian 13's are added by main().
COMMANDS = {compiler: [compiler] for compiler in ("gcc", "g++", "clang", "clang++")}
# Compilers run from another Debian release compile only (-c): this
# machine's g++ links their objects against this machine's libc.
COMPILE_ONLY = set()
# Diagnostics in plain ASCII, without quoted source lines: a message must
# name usdt in its own words, not through a quoted line of usdt.h.
ENV = dict(os.environ, LC_ALL="C")
MESSAGE_LINES = 4  # of a compiler's output, in a failure message
NO_CARET = {"gcc": "-fno-diagnostics-show-caret", "g++": "-fno-diagnostics-show-caret",
            "clang": "-fno-caret-diagnostics", "clang++": "-fno-caret-diagnostics"}
PROVIDER = "matrix"

# Argument specs as sys/sdt.h writes them: [-]size, '-' for signed.
VERBS_PROBES = {
    "zero": [],
    "two": ["-4", "8"],
    "twelve": ["-1", "1", "-2", "2", "-4", "4", "-8", "8", "-4", "1", "8", "8"],
}
VERBS_CXX_PROBES = dict(VERBS_PROBES, scoped=["-4", "4", "-1", "8"])


class Build:
    """One case built by one compiler, in its own scratch directory. Failures
    are collected, so that one run reports all of them."""

    def __init__(self, label):
        self.label = label
        self.dir = os.path.join(SCRATCH, re.sub(r"[^A-Za-z0-9.+-]+", "_", label))
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.failures = []

    def check(self, condition, message):
        if not condition:
            self.failures.append(f"{self.label}: {message}")
        return condition

    def path(self, name):
        return os.path.join(self.dir, name)

    def run(self, argv, stdin=None):
        return subprocess.run(argv, cwd=self.dir, env=ENV, input=stdin, capture_output=True,
                              text=True, timeout=120)

    def compile(self, argv):
        """Run a compiler that must succeed without printing anything."""
        result = self.run(argv)
        output = (result.stdout + result.stderr).strip().splitlines()
        return self.check(result.returncode == 0 and not output,
                          f"exit {result.returncode} from {' '.join(argv)}\n  "
                          + "\n  ".join(output[:MESSAGE_LINES]))

    def reject(self, argv, words):
        """Run a compiler that must fail with a first error message holding
        all words."""
        result = self.run(argv)
        if not self.check(result.returncode != 0,
                          f"compiled, expected an error: {' '.join(argv)}"):
            return
        errors = re.findall(r"\berror: (.*)", result.stderr)
        self.check(errors and all(w in errors[0] for w in words),
                   f"the first error message does not name {' and '.join(words)}:\n  "
                   + "\n  ".join(errors[:MESSAGE_LINES]))

    def execute(self, program):
        result = subprocess.run([program], capture_output=True, text=True, timeout=60)
        self.check(result.returncode == 0,
                   f"{program} exited with {result.returncode}: {result.stdout}{result.stderr}")


class Elf:
    """What readelf shows of a linked file: sections, symbols, stapsdt notes."""

    def __init__(self, build, path):
        self.name, self.path = os.path.basename(path), path

        def readelf(*options):
            result = build.run(["readelf", "--wide", *options, path])
            build.check(result.returncode == 0, f"readelf {' '.join(options)} {path} failed:\n"
                        f"{result.stderr}")
            return result.stdout

        self.sections = {}
        for line in readelf("-S").splitlines():
            match = re.match(r"\s*\[\s*(\d+)\] (.*)", line)
            fields = match.group(2).split() if match else []
            if len(fields) in (9, 10) and fields[1].isupper():
                self.sections[fields[0]] = {
                    "type": fields[1], "address": int(fields[2], 16), "size": int(fields[4], 16),
                    "flags": fields[6] if len(fields) == 10 else ""}
        self.symbols = self._symbols(readelf("--syms").partition("'.symtab'")[2])
        self.dynamic_symbols = self._symbols(readelf("--dyn-syms"))
        self.notes = [
            {"provider": m[0], "name": m[1], "location": int(m[2], 16), "base": int(m[3], 16),
             "semaphore": int(m[4], 16), "arguments": m[5].split()}
            for m in re.findall(r"Provider: (\S+)\s+Name: (\S+)\s+Location: (0x[0-9a-f]+), "
                                r"Base: (0x[0-9a-f]+), Semaphore: (0x[0-9a-f]+)\s+"
                                r"Arguments:([^\n]*)", readelf("-n"))]

    @staticmethod
    def _symbols(text):
        symbols = []
        for line in text.splitlines():
            fields = line.split()
            if len(fields) >= 8 and re.match(r"\d+:$", fields[0]):
                size = fields[2]
                symbols.append({"name": fields[7], "value": int(fields[1], 16),
                                "size": int(size, 16) if size.startswith("0x") else int(size),
                                "type": fields[3]})
        return symbols

    def function_at(self, address):
        for s in self.symbols:
            if s["type"] == "FUNC" and s["value"] <= address < s["value"] + s["size"]:
                return s["name"]
        return None

    def function_start(self, address):
        for s in self.symbols:
            if s["type"] == "FUNC" and s["value"] <= address < s["value"] + s["size"]:
                return s["value"]
        return None

    def section_holding(self, address, length=1):
        for name, s in self.sections.items():
            if s["address"] and s["address"] <= address and address + length <= (
                    s["address"] + s["size"]):
                return name
        return None


# x86-64 stack pointer moves a fire function makes, by instruction.
STACK_MOVES = {"push": -8, "pop": 8, "call": 0, "ret": 0}


def check_red_zone(build, elf, function):
    """Nothing in an out-of-line fire function reads or writes memory below
    the stack pointer (its red zone), where a kernel's uprobe trampoline call
    writes when it optimizes a site (Linux 6.18: the 5-byte nop). Follows the
    stack pointer and a frame pointer copied from it, from the entry on."""
    symbol = next(s for s in elf.symbols if s["name"] == function and s["type"] == "FUNC")
    result = build.run(["objdump", "-d", "--no-show-raw-insn", f"--start-address={symbol['value']}",
                        f"--stop-address={symbol['value'] + symbol['size']}", elf.path])
    rsp, rbp, body, what = 0, None, None, f"{elf.name}: {function}"
    for line in result.stdout.splitlines():
        match = re.match(r"\s*[0-9a-f]+:\s+(\S+)\s*(.*)", line)
        if not match:
            continue
        op, operands = match.group(1), match.group(2).split("#")[0].strip()
        # The code after a return is reached by a jump from the body: the
        # stack as it was after the prologue.
        prologue = op.startswith("push") or op.startswith("sub") or operands == "%rsp,%rbp"
        if body is None and not prologue:
            body = (rsp, rbp)
        if op.startswith("ret"):
            rsp, rbp = body or (rsp, rbp)
            continue
        for disp, base in re.findall(r"(-?0x[0-9a-f]+|-?\d+)?\(%(rsp|rbp)[,)]", operands):
            at = int(disp or "0", 0) + (rsp if base == "rsp" else rbp if rbp is not None else 0)
            if base == "rbp" and rbp is None:
                continue  # rbp not a frame pointer here
            if not build.check(at >= rsp, f"{what}: '{op} {operands}' reaches "
                               f"{rsp - at} bytes below the stack pointer"):
                return
        stack = re.match(r"(sub|add)q?\s+\$(0x[0-9a-f]+|\d+),%rsp$", operands and f"{op} {operands}")
        if op.startswith(("push", "pop")):
            rsp += STACK_MOVES[op[:4] if op.startswith("push") else "pop"]
        elif stack:
            rsp += int(stack.group(2), 0) * (-1 if stack.group(1) == "sub" else 1)
        elif op.startswith("mov") and operands == "%rsp,%rbp":
            rbp = rsp
        elif op.startswith("leave"):
            rsp, rbp = rbp + 8, None
        elif "%rsp" in operands.split(",")[-1] and not op.startswith(("cmp", "test")):
            build.check(False, f"{what}: cannot follow the stack pointer past '{op} {operands}'")
            return


def check_probes(build, elf, expected):
    """The notes of elf are exactly the probes in expected (name -> argument
    specs), each fired somewhere, sharing one semaphore in .probes per probe."""
    what = f"{elf.name}:"
    by_name = {}
    for note in elf.notes:
        by_name.setdefault((note["provider"], note["name"]), []).append(note)
    unexpected = set(by_name) - {(PROVIDER, name) for name in expected}
    build.check(not unexpected, f"{what} unexpected probes {sorted(unexpected)}")

    probes = elf.sections.get(".probes")
    if build.check(probes is not None, f"{what} no .probes section"):
        build.check(probes["type"] == "PROGBITS" and "W" in probes["flags"]
                    and "A" in probes["flags"] and "X" not in probes["flags"],
                    f"{what} .probes is {probes['type']} {probes['flags']}, expected "
                    "file-backed (PROGBITS), allocated, writable, not executable")
    base = elf.sections.get(".stapsdt.base")
    semaphores, fire_functions = {}, set()
    for name, specs in expected.items():
        probe = f"{what} {PROVIDER}:{name}"
        notes = by_name.get((PROVIDER, name), [])
        if not build.check(notes, f"{probe} has no note"):
            continue
        for note in notes:
            found = [re.sub(r"@.*", "", a) for a in note["arguments"]]
            build.check(found == specs, f"{probe} at {note['location']:#x} has arguments "
                        f"{' '.join(note['arguments']) or '(none)'}, expected "
                        f"{' '.join(s + '@' for s in specs) or '(none)'}")
            function = elf.function_at(note["location"])
            build.check(function is not None,
                        f"{probe} note at {note['location']:#x} is in no function")
            if function and function.startswith("usdt__fire_") and \
                    not function.startswith("usdt__fire_inline_"):
                fire_functions.add(function)
            build.check(note["base"] == (base["address"] if base else 0),
                        f"{probe} note base {note['base']:#x} is not .stapsdt.base")
        addresses = {note["semaphore"] for note in notes}
        if not build.check(len(addresses) == 1, f"{probe} notes name several semaphores "
                           f"{sorted(hex(a) for a in addresses)}"):
            continue
        address = addresses.pop()
        semaphores[name] = address
        build.check(elf.section_holding(address, 2) == ".probes",
                    f"{probe} semaphore {address:#x} is not inside .probes")
        symbol = f"{PROVIDER}_{name}_semaphore"
        defined = [s for s in elf.symbols if s["name"] == symbol]
        build.check(len(defined) == 1 and defined[0]["value"] == address and
                    defined[0]["size"] == 2, f"{probe} semaphore {address:#x}: symbol "
                    f"{symbol} is {defined}, expected one 2-byte symbol at that address")
    if os.uname().machine == "x86_64":
        for function in sorted(fire_functions):
            check_red_zone(build, elf, function)
    build.check(len(set(semaphores.values())) == len(semaphores),
                f"{what} probes share a semaphore: {semaphores}")
    exported = [s["name"] for s in elf.dynamic_symbols if s["name"].endswith("_semaphore")]
    build.check(not exported, f"{what} semaphores in the dynamic symbol table: {exported}")


def check_no_probes(build, elf):
    """Probes compiled out: nothing of usdt.h or sys/sdt.h is left."""
    for section in (".note.stapsdt", ".probes", ".stapsdt.base"):
        build.check(section not in elf.sections, f"{elf.name}: has a {section} section")
    semaphores = [s["name"] for s in elf.symbols if s["name"].endswith("_semaphore")]
    build.check(not semaphores, f"{elf.name}: has semaphores {semaphores}")


def kind(compiler):
    """gcc, g++, clang or clang++: the compiler without its version."""
    return re.sub(r"-\d+$", "", compiler)


def language(compiler):
    return ["-x", "c++"] if kind(compiler).endswith("++") else ["-x", "c"]


def build_program(build, compiler, argv, program):
    """Compile and link argv (compiler options and sources) into program;
    a compile-only compiler's object is linked by this machine's g++."""
    if compiler not in COMPILE_ONLY:
        return build.compile([*COMMANDS[compiler], *argv, "-o", program])
    return (build.compile([*COMMANDS[compiler], *argv, "-c", "-o", program + ".o"]) and
            build.compile(["g++", program + ".o", "-o", program]))


def verbs(compiler, std, flags, expect_probes=True, includes=None, build=None):
    """verbs.c built by one compiler in one standard: warning-free, its notes
    (or, with probes compiled out, none) and an untraced run."""
    build = build or Build(f"{compiler} -std={std} {' '.join(flags)} verbs.c")
    program = build.path("verbs")
    argv = [f"-std={std}", *WARNINGS, *STRICT[kind(compiler)], *flags, *(includes or []),
            "-I", ROOT, *language(compiler), os.path.join(SOURCES, "verbs.c")]
    if build_program(build, compiler, argv, program):
        elf = Elf(build, program)
        if expect_probes:
            check_probes(build, elf, VERBS_CXX_PROBES if "++" in compiler else VERBS_PROBES)
        else:
            check_no_probes(build, elf)
        build.execute(program)
    return build


def library(compiler, optimization):
    """usdt_dynamic.c, the library's source, compiled without a warning: it
    is built at the user's level (a release build is -O3), where the
    optimizer's own warnings differ."""
    build = Build(f"{compiler} {optimization} usdt_dynamic.c")
    build.compile([*COMMANDS[compiler], "-std=c11", *WARNINGS, optimization, "-I", ROOT, "-c",
                   os.path.join(ROOT, "usdt_dynamic.c"), "-o", build.path("usdt_dynamic.o")])
    return build


def include_flags_without_sdt(build, compiler):
    """Compiler flags for the compiler's own header search path, except that
    the directory holding sys/sdt.h is replaced by a copy, made of symbolic
    links, that lacks it: a machine without systemtap-sdt-dev."""
    result = build.run([compiler, *language(compiler), "-E", "-v", "-o", os.devnull,
                        os.devnull])
    listing = re.search(r"#include <\.\.\.> search starts here:\n(.*?)\nEnd of search list",
                        result.stderr, re.S)
    if not build.check(listing, f"{compiler} -v printed no include search list:\n"
                       f"{result.stderr}"):
        return None
    flags = ["-nostdinc", "-nostdinc++"] if compiler.endswith("++") else ["-nostdinc"]
    for number, directory in enumerate(listing.group(1).split()):
        if os.path.exists(os.path.join(directory, "sys", "sdt.h")):
            copy = build.path(f"include{number}")
            os.makedirs(os.path.join(copy, "sys"))
            for entry in os.listdir(directory):
                if entry != "sys":
                    os.symlink(os.path.join(directory, entry), os.path.join(copy, entry))
            for entry in os.listdir(os.path.join(directory, "sys")):
                if not entry.startswith("sdt"):
                    os.symlink(os.path.join(directory, "sys", entry),
                               os.path.join(copy, "sys", entry))
            directory = copy
        flags += ["-isystem", directory]
    return flags


def missing_sdt(compiler, std):
    """Where <sys/sdt.h> is missing, probes compile as with USDT_DISABLE, and
    USDT_REQUIRE turns that into an error."""
    build = Build(f"{compiler} -std={std} without <sys/sdt.h>")
    includes = include_flags_without_sdt(build, compiler)
    if includes is None:
        return build
    hidden = build.run([compiler, *includes, *language(compiler), "-fsyntax-only", "-"],
                       stdin="#include <sys/sdt.h>\n")
    if not build.check(hidden.returncode != 0, "the include path still finds <sys/sdt.h>"):
        return build
    verbs(compiler, std, ["-O2"], expect_probes=False, includes=includes, build=build)
    build.reject([compiler, f"-std={std}", NO_CARET[compiler], *includes, "-DUSDT_REQUIRE",
                  "-I", ROOT, *language(compiler), "-c", os.path.join(SOURCES, "verbs.c"),
                  "-o", build.path("verbs.o")], ["USDT_REQUIRE", "sys/sdt.h"])
    return build


def rejected(compiler, std, define, control=False):
    """rejected.c must fail to compile, with a first error naming usdt; or,
    for the control, compile without a warning."""
    build = Build(f"{compiler} -std={std} rejected.c -D'{define}'")
    argv = [*COMMANDS[compiler], f"-std={std}", *WARNINGS, NO_CARET[kind(compiler)], "-I", ROOT,
            f"-D{define}", *language(compiler), "-c", os.path.join(SOURCES, "rejected.c"),
            "-o", build.path("rejected.o")]
    if control:
        build.compile(argv)
    else:
        build.reject(argv, ["usdt"])
    return build


def raw_sdt(compiler, std, words):
    """A fact about sys/sdt.h itself, the reason usdt.h wraps it: its
    STAP_PROBE1 fails under -Wpedantic -Werror with an error holding words
    (clang 19: "a C23 extension"), where verbs.c, through usdt.h, is clean."""
    build = Build(f"{compiler} -std={std} plain sys/sdt.h")
    build.reject([*COMMANDS[compiler], f"-std={std}", *WARNINGS, NO_CARET[kind(compiler)],
                  *language(compiler), "-c", os.path.join(SOURCES, "raw_sdt.c"),
                  "-o", build.path("raw_sdt.o")], words)
    return build


# Argument sizes where pointers have 4 bytes.
VERBS_PROBES_32 = {"zero": [], "two": ["-4", "4"],
                   "twelve": VERBS_PROBES["twelve"][:10] + ["4", "4"]}
VERBS_CXX_PROBES_32 = dict(VERBS_PROBES_32, scoped=VERBS_CXX_PROBES["scoped"])
# What a user defines to compile probes out without being told that
# <sys/sdt.h> is missing for -m32.
M32_QUIET = ["-DUSDT_DISABLE"]


def sdt_headers(build, compiler):
    """The system's sys/sdt.h and the headers it includes from sys/."""
    result = build.run([*COMMANDS[compiler], "-x", "c", "-M", "-"],
                       stdin="#include <sys/sdt.h>\n")
    headers = [h for h in result.stdout.replace("\\\n", " ").split()
               if re.search(r"/sys/sdt[^/]*\.h$", h)]
    build.check(headers, f"{compiler} finds no sys/sdt.h:\n{result.stderr}")
    return headers


def m32_missing_sdt(compiler):
    """-m32, where Debian's include path has no sys/sdt.h: probes compile
    out, but not silently: a diagnostic naming usdt and sys/sdt.h, which
    M32_QUIET turns off."""
    build = Build(f"{compiler} -m32 without <sys/sdt.h>")
    argv = [*COMMANDS[compiler], "-m32", "-O2", "-Wall", "-Wextra", NO_CARET[kind(compiler)],
            "-I", ROOT, *language(compiler), "-c", os.path.join(SOURCES, "verbs.c"),
            "-o", build.path("verbs.o")]
    hidden = build.run([*COMMANDS[compiler], "-m32", *language(compiler), "-fsyntax-only", "-"],
                       stdin="#include <sys/sdt.h>\n")
    if not build.check(hidden.returncode != 0, "the -m32 include path finds <sys/sdt.h>"):
        return build
    result = build.run(argv)
    said = re.findall(r"\b(?:warning|error): (.*)", result.stderr)
    build.check(any("usdt" in line and "sys/sdt.h" in line for line in said),
                "-m32 without <sys/sdt.h>: no diagnostic names usdt and sys/sdt.h "
                f"(exit {result.returncode}):\n  " + "\n  ".join(said[:MESSAGE_LINES]))
    build.compile([*argv, "-Werror", *M32_QUIET])
    return build


def m32_notes(compiler, optimization):
    """-m32 with a copy of the system's sys/sdt.h (it serves every
    architecture): verbs.c compiles to an object, inspected only (this
    kernel runs no 32-bit programs), whose notes name every probe with its
    argument sizes and record each 8-byte argument whole: in memory or as a
    constant, never in one 32-bit register."""
    build = Build(f"{compiler} -m32 {optimization} verbs.c notes")
    include = build.path("include")
    os.makedirs(os.path.join(include, "sys"))
    for header in sdt_headers(build, "gcc"):
        shutil.copy(header, os.path.join(include, "sys"))
    obj = build.path("verbs.o")
    std = "c++17" if kind(compiler).endswith("++") else "c11"
    if not build.compile([*COMMANDS[compiler], "-m32", optimization, f"-std={std}", *WARNINGS,
                          "-isystem", include, "-DUSDT_REQUIRE", "-I", ROOT,
                          *language(compiler), "-c", os.path.join(SOURCES, "verbs.c"),
                          "-o", obj]):
        return build
    elf = Elf(build, obj)
    expected = VERBS_CXX_PROBES_32 if kind(compiler).endswith("++") else VERBS_PROBES_32
    found = {(n["provider"], n["name"]) for n in elf.notes}
    build.check(found == {(PROVIDER, name) for name in expected},
                f"notes for {sorted(found)}, expected the probes {sorted(expected)}")
    for note in elf.notes:
        specs = expected.get(note["name"])
        probe = f"{note['provider']}:{note['name']}"
        sizes = [re.sub(r"@.*", "", a) for a in note["arguments"]]
        if specs is not None:
            build.check(sizes == specs, f"{probe} has arguments "
                        f"{' '.join(note['arguments']) or '(none)'}, expected "
                        f"{' '.join(s + '@' for s in specs) or '(none)'}")
        for i, argument in enumerate(note["arguments"]):
            size, _, operand = argument.partition("@")
            build.check(size not in ("8", "-8") or not re.fullmatch(r"%\w+", operand),
                        f"{probe} argument {i} is {argument}: 8 bytes in a 32-bit register "
                        f"({' '.join(note['arguments'])})")
    return build


LINKERS = {"GNU ld": ["-fuse-ld=bfd"], "lld": ["-fuse-ld=lld"]}
MODES = {
    "plain": [],
    "gc-sections": ["-ffunction-sections", "-fdata-sections", "-Wl,--gc-sections"],
    "lto": ["-flto"],
}


def link_flags(family, mode, linker, optimization="-O2"):
    if mode == "lto" and family == "gcc":
        mode_flags = ["-flto=auto"]  # without the note about serial LTRANS jobs
    else:
        mode_flags = MODES[mode]
    return [optimization, *WARNINGS, "-DUSDT_REQUIRE", "-I", ROOT, *LINKERS[linker], *mode_flags]


def link_variants():
    """(compiler family, mode, linker): LTO only with each compiler's own
    linker plugin, GNU ld for gcc and lld for clang."""
    for family in ("gcc", "clang"):
        for mode in MODES:
            for linker in LINKERS:
                if mode != "lto" or linker == ("GNU ld" if family == "gcc" else "lld"):
                    yield family, mode, linker


def multi_tu(family, mode, linker, optimization="-O2"):
    """Three translation units fire one probe declared in a shared header."""
    build = Build(f"{family} {optimization} {mode} ({linker}) multi-TU")
    program = build.path("multi")
    sources = [os.path.join(SOURCES, f"multi_{part}.c") for part in ("main", "a", "b")]
    if build.compile([family, "-std=c11", *link_flags(family, mode, linker, optimization),
                      *sources, "-o", program]):
        elf = Elf(build, program)
        check_probes(build, elf, {"shared": ["-4", "8"], "main_only": ["-8"]})
        # USDT_FIRE (main, a) calls an out-of-line fire function, one copy
        # per unit (LTO may merge identical copies; at -O0 b, which only
        # declares it, keeps one too); USDT_FIRE_UNGATED (b) is inlined where
        # the compiler inlines (not at -O0, nor at gcc's -Og; clang's -Og is
        # -O1), else in one usdt__fire_inline_ function per unit.
        shared = [n["location"] for n in elf.notes if n["name"] == "shared"]
        functions = {elf.function_at(a) for a in shared}
        copies = {elf.function_start(a) for a in shared
                  if str(elf.function_at(a)).startswith("usdt__fire_p_shared")}
        inlining = optimization != "-O0" and (optimization, family) != ("-Og", "gcc")
        ungated = "fire_in_b" if inlining else "usdt__fire_inline_p_shared"
        fewest = 1 if mode == "lto" else 2
        most = 3 if optimization == "-O0" else 2
        build.check(any(str(f).startswith(ungated) for f in functions) and
                    fewest <= len(copies) <= most,
                    f"matrix:shared notes in {sorted(map(str, functions))}, expected "
                    f"{ungated} and {fewest} to {most} copies of usdt__fire_p_shared")
        build.execute(program)
    return build


def shared_library(family, mode, linker, optimization="-O2"):
    """A shared library (-fPIC) and its program, each with its own probes."""
    build = Build(f"{family} {optimization} {mode} ({linker}) shared library")
    library, program = build.path("libmatrix.so"), build.path("shlib_main")
    flags = ["-std=c11", *link_flags(family, mode, linker, optimization)]
    if (build.compile([family, *flags, "-fPIC", "-shared", os.path.join(SOURCES, "shlib.c"),
                       "-o", library]) and
            build.compile([family, *flags, os.path.join(SOURCES, "shlib_main.c"), library,
                           f"-Wl,-rpath,{build.dir}", "-o", program])):
        check_probes(build, Elf(build, library), {"both": ["-4"], "lib_only": ["4"]})
        check_probes(build, Elf(build, program), {"both": ["-4"], "exe_only": ["-8"]})
        build.execute(program)
    return build


def cxx_inline(family, mode, linker, optimization):
    """Probes in a C++ inline function and a template used from two units."""
    compiler = CXX[family]
    build = Build(f"{compiler} {optimization} {mode} ({linker}) inline and template")
    program = build.path("inline")
    sources = [os.path.join(SOURCES, f"inline_{part}.cpp") for part in ("main", "a", "b")]
    if build.compile([compiler, "-std=c++17", *link_flags(family, mode, linker, optimization),
                      *sources, "-o", program]):
        check_probes(build, Elf(build, program),
                     {"inline_fn": ["-4"], "template_fn": ["-8"]})
        build.execute(program)
    return build


def jobs():
    for family in ("gcc", "clang"):
        for compiler, standards in ((family, C_STANDARDS), (CXX[family], CXX_STANDARDS)):
            for std in standards:
                for optimization in ("-O0", "-O2"):
                    yield verbs, compiler, std, [optimization]
                    yield verbs, compiler, std, [optimization, "-DUSDT_DISABLE"], False
            yield missing_sdt, compiler, standards[2]
            yield missing_sdt, compiler, standards[-1]
        for std in ("c99", "c11"):
            for define in ("DECLARED=double", "DECLARED=float", "DECLARED=struct pair",
                           "DECLARED=int128", "DECLARED=_Complex float", "FIRED=real",
                           "DECLARED=char8", "FIRED=pair_value", "FIRED=word_value",
                           "DECLARED_COUNT=13", "FIRED_DYNAMIC_COUNT=13"):
                yield rejected, family, std, define
            yield rejected, family, std, "DECLARED=long", True
        for std in ("c++11", "c++2b"):
            for define in ("DECLARED=double", "DECLARED=float", "DECLARED=struct pair",
                           "DECLARED=int128", "FIRED=real", "DECLARED=char8",
                           "FIRED=pair_value", "FIRED=word_value", "DECLARED_COUNT=13",
                           "FIRED_DYNAMIC_COUNT=13"):
                yield rejected, CXX[family], std, define
            yield rejected, CXX[family], std, "DECLARED=long", True
    for family in ("gcc", "clang"):
        for optimization in ("-O0", "-Og", "-O1", "-O2", "-O3", "-Os"):
            yield library, family, optimization
    for variant in link_variants():
        yield multi_tu, *variant
        yield shared_library, *variant
        yield cxx_inline, *variant, "-O2"
        if variant[1] == "plain":
            yield cxx_inline, *variant, "-O0"
    yield from level_jobs(("gcc", "clang"), {"gcc": "c11", "g++": "c++17", "clang": "c11",
                                            "clang++": "c++17"})
    for family in ("gcc", "clang"):
        for compiler in (family, CXX[family]):
            yield m32_missing_sdt, compiler
            for optimization in ("-O0", "-O2"):
                yield m32_notes, compiler, optimization
            std = "c11" if compiler == family else "c++17"
            for define in ("FIRED_STATIC_COUNT=13", "FIRED_STATIC_COUNT=16",
                           "FIRED_DYNAMIC_COUNT=16", "DECLARED=char[8]"):
                yield rejected, compiler, std, define
            for define in ("FIRED_STATIC_COUNT=12", "FIRED_DYNAMIC_COUNT=12",
                           "DECLARED_COUNT=12"):
                yield rejected, compiler, std, define, True
        # -fPIC at -O0 and -Og, several units at -O0 and -Og, LTO at -Og.
        linker = "GNU ld" if family == "gcc" else "lld"
        for optimization in ("-O0", "-Og"):
            yield shared_library, family, "plain", linker, optimization
        for optimization in ("-O0", "-Og"):
            yield multi_tu, family, "plain", linker, optimization
        yield multi_tu, family, "lto", linker, "-Og"
        yield cxx_inline, family, "lto", linker, "-Og"


# Optimization levels and code generation options beyond -O0 and -O2, for
# verbs.c in one C and one C++ standard.
LEVELS = (["-Og"], ["-O1"], ["-O3"], ["-Os"], ["-O2", "-fno-inline"], ["-O0", "-fno-inline"],
          ["-O2", "-fPIE", "-pie"], ["-O2", "-fno-pie", "-no-pie"])
# -flto with each compiler's own linker plugin.
LTO = {"gcc": ["-flto=auto"], "clang": ["-flto", "-fuse-ld=lld"]}
# A calling function at another optimization level than its file: gcc's
# optimize attribute; clang ignores that attribute ("unknown attribute
# 'optimize' ignored") and has optnone (never optimized, needs noinline)
# and minsize (optimized for size, as -Oz) instead.
CALLERS = {
    "gcc": [("-O2", 'optimize("O0")'), ("-O0", 'optimize("O3")'), ("-Og", 'optimize("O2")'),
            ("-O3", 'optimize("Os")')],
    "clang": [("-O2", "optnone, noinline"), ("-O3", "optnone, noinline"), ("-O0", "minsize"),
              ("-O2", "minsize")],
}


def level_jobs(families, standards):
    """verbs.c at every level of LEVELS, with -flto at -O2 and -Og, and
    with each caller attribute of CALLERS."""
    for family in families:
        for compiler in (family, CXX[family]):
            std = standards[kind(compiler)]
            for flags in LEVELS:
                yield verbs, compiler, std, flags
            for optimization in ("-O2", "-Og"):
                yield verbs, compiler, std, [optimization, *LTO[kind(family)]]
            for optimization, attribute in CALLERS[kind(family)]:
                yield verbs, compiler, std, [
                    optimization, f"-DMATRIX_CALLER=__attribute__(({attribute}))"]


def debian13_jobs():
    """gcc 14 and clang 19 from Debian 13: verbs.c in the newest standard
    each accepts (C23, C++23) at -O0, -Og, -O2, -O3, -Os, with USDT_DISABLE,
    and with each caller attribute; in C17 and C++17 at -O2 (clang 19 calls
    sys/sdt.h's empty variadic macro argument a C23 extension there); the
    rejected argument types; plain sys/sdt.h under clang 19. They compile
    only: their objects are linked by this machine's g++, and LTO (which
    needs their own linker plugin) is left to this machine's compilers."""
    for family in ("gcc-14", "clang-19"):
        for compiler, new, old in ((family, "c23", "c17"), (CXX[family], "c++23", "c++17")):
            for optimization in ("-O0", "-Og", "-O2", "-O3", "-Os"):
                yield verbs, compiler, new, [optimization]
            yield verbs, compiler, new, ["-O2", "-DUSDT_DISABLE"], False
            yield verbs, compiler, old, ["-O2"]
            for optimization, attribute in CALLERS[kind(family)]:
                yield verbs, compiler, new, [
                    optimization, f"-DMATRIX_CALLER=__attribute__(({attribute}))"]
            for define in ("DECLARED=struct pair", "FIRED=pair_value", "FIRED=real",
                           "FIRED_DYNAMIC_COUNT=13", "DECLARED_COUNT=13"):
                yield rejected, compiler, new, define
    yield raw_sdt, "clang-19", "c17", ["C23 extension"]
    for family in ("gcc-14", "clang-19"):
        for optimization in ("-O0", "-O2", "-O3"):
            yield library, family, optimization


def debian13_compilers():
    """Add gcc-14, g++-14, clang-19 and clang++-19 from Debian 13 to
    COMMANDS, each run through Debian 13's own loader and libraries: gcc's
    driver runs cc1, cc1plus and as (found by -B) through the same loader
    (-wrapper); clang compiles and assembles in its own process, with its
    resource directory named, since it would look for it beside the loader."""
    sysroot = debian.fetch(DEBIAN_CACHE, "trixie", ["gcc-14", "g++-14", "clang-19"])
    loader = [sysroot.loader, "--library-path", sysroot.library_path]
    for compiler in ("gcc-14", "g++-14"):
        COMMANDS[compiler] = sysroot.command(f"usr/bin/{compiler}") + [
            "-B", sysroot.path("usr/bin") + "/", "-wrapper", ",".join(loader)]
    for compiler in ("clang-19", "clang++-19"):
        COMMANDS[compiler] = sysroot.command(f"usr/bin/{compiler}") + [
            "-resource-dir", sysroot.path("usr/lib/llvm-19/lib/clang/19")]
    COMPILE_ONLY.update(("gcc-14", "g++-14", "clang-19", "clang++-19"))


def main():
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        fail(f"not on PATH: {', '.join(missing)}; the compile matrix runs {', '.join(TOOLS)}")
    os.makedirs(SCRATCH, exist_ok=True)
    all_jobs = list(jobs())
    try:
        debian13_compilers()
        all_jobs += debian13_jobs()
        unfetched = None
    except debian.FetchError as error:
        unfetched = f"gcc 14 and clang 19 from Debian 13 could not be fetched: {error}"
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        builds = list(pool.map(lambda job: job[0](*job[1:]), all_jobs))
    failures = [f for build in builds for f in build.failures]
    for failure in failures:
        print(f"FAIL: {failure}", file=sys.stderr)
    if failures:
        failed = sum(1 for build in builds if build.failures)
        fail(f"{failed} of {len(builds)} builds failed" + (f"; {unfetched}" if unfetched else ""))
    if unfetched:
        if os.environ.get("CI") == "true":
            fail(unfetched)
        print(f"SKIP: {len(builds)} builds checked, but {unfetched}")
        sys.exit(SKIP)
    print(f"ok: {len(builds)} builds checked")


main()
