"""usdt-dtrace's command line, its errors, its -G objects, and its headers
under every compiler and language standard.

    test_dtrace_cli.py ROOT SCRATCH
"""

import os
import re
import shutil
import subprocess
import sys

from tracing import check

root, scratch = (os.path.abspath(a) for a in sys.argv[1:3])
source_dir = os.path.join(root, "tests", "dtrace")
check(shutil.which("dtrace"), "systemtap's dtrace is not installed (Debian: systemtap-sdt-dev; "
                              "./run.sh test installs it)")
GENERATOR = [sys.executable, os.path.join(root, "usdt-dtrace")]
shutil.rmtree(scratch, ignore_errors=True)
os.makedirs(scratch)


def generate(args, cwd=scratch):
    return subprocess.run(GENERATOR + args, cwd=cwd, capture_output=True, text=True)


def run(argv, cwd=scratch):
    result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
    check(result.returncode == 0, f"{' '.join(argv)} failed:\n{result.stdout}{result.stderr}")
    return result


def write(name, text):
    path = os.path.join(scratch, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def failed_cleanly(result, what):
    """The generator refused with a message, exit status 1 and no traceback."""
    check(result.returncode == 1, f"{what}: exit status {result.returncode}, expected 1:\n"
                                  f"{result.stderr}")
    check("Traceback" not in result.stderr, f"{what}: a traceback:\n{result.stderr}")
    check(result.stderr.strip(), f"{what}: no message")


def notes(binary):
    """{name: argument specs} of the stapsdt notes in binary."""
    found, name = {}, None
    for line in run(["readelf", "-n", "--wide", binary]).stdout.splitlines():
        match = re.search(r"Name: (\S+)", line)
        if match:
            name = match.group(1)
        match = re.search(r"Arguments: (.*)", line)
        if match and name:
            found[name] = [a.split("@")[0] for a in match.group(1).split()]
        elif "Location:" in line and name:
            found.setdefault(name, [])
    return found


# ---- Bad input: an error naming file and line --------------------------------

bad_dir = os.path.join(source_dir, "bad")
bad_files = sorted(f for f in os.listdir(bad_dir) if f.endswith(".d"))
check(bad_files, f"no bad provider files in {bad_dir}")
for name in bad_files:
    path = os.path.join(bad_dir, name)
    with open(path) as f:
        expect = re.search(r"expect( -C)?( -h)?: (\d+): (.*?) \*/", f.read())
    check(expect, f"{name} says nothing about the error it expects")
    options = ["-C"] if expect.group(1) else []
    # "-h": an error for the header only (no provider: -G writes its object).
    for mode in ("-h",) if expect.group(2) else ("-h", "-G"):
        result = generate(options + [mode, "-s", path, "-o", os.path.join(scratch, "bad.out")])
        failed_cleanly(result, name)
        wanted = f"{path}:{expect.group(3)}: error: "
        check(result.stderr.startswith(wanted) and expect.group(4) in result.stderr,
              f"{name} {mode}: expected '{wanted}...{expect.group(4)}', got:\n{result.stderr}")
    check(not os.path.exists(os.path.join(scratch, "bad.out")), f"{name}: output written")
print(f"ok: {len(bad_files)} bad provider files refused with file:line and the reason",
      flush=True)

# ---- The command line ---------------------------------------------------------

os.makedirs(os.path.join(scratch, "inc"))
write(os.path.join("inc", "cli_types.h"), "#define Width short\n")
probes_d = write("cli.d", """#include "cli_types.h"
#ifdef NARROW
#define Counter unsigned char
#else
#define Counter long
#endif
#define Flag unsigned char
provider cli {
\tprobe void_list(void);
\tprobe translated(int native) : (long translated);
\tprobe defined(Width w, Counter c, Flag f);
\tprobe unknown(hwaddr address, int);
\tprobe string(char * name, const char *const *names);
};
""")
ok = generate(["-x", "nolibs", "-xstrsize=64", "-32", "-64", "-k", "--types", "-fPIC", "-h",
               "-s", probes_d, "-o", "cli.h"])
check(ok.returncode == 0, f"tolerated options refused:\n{ok.stderr}")
for option in ("-x nolibs", "-xstrsize=64", "-32", "-64", "-k", "--types", "-fPIC"):
    check(f"ignoring {option}\n" in ok.stderr, f"no warning about {option}:\n{ok.stderr}")
for line, name in ((11, "Width w"), (12, "hwaddr address")):
    check(re.search(rf"^{re.escape(probes_d)}:{line}: warning: .*unknown type '{name}'",
                    ok.stderr, re.M), f"no warning at line {line} for '{name}':\n{ok.stderr}")
with open(os.path.join(scratch, "cli.h")) as f:
    check("defined, long long, long, unsigned char))" in f.read(),
          "without -C, the file's own #defines are not its types")

# Through the preprocessor: -I finds Width, -D and -U choose Counter.
ok = generate(["-C", "-DNARROW", "-UNARROW", "-I", "inc", "-h", "-s", probes_d, "-o", "cli.h"])
check(ok.returncode == 0, f"-C with -D, -U and -I failed:\n{ok.stderr}")
with open(os.path.join(scratch, "cli.h")) as f:
    check("defined, short, long, unsigned char))" in f.read(), "-U did not reach the preprocessor")
ok = generate(["-C", "-DNARROW", "-Iinc", "-h", "-s", probes_d, "-o", "cli.h"])
check(ok.returncode == 0, f"-C with -D and -I failed:\n{ok.stderr}")
write("cli.c", """#include "cli.h"
#include <stdint.h>
int main(int argc, char **argv)
{
\tCLI_VOID_LIST();
\tCLI_TRANSLATED(argc);
\tCLI_DEFINED(argc, argc, argc);
\tCLI_UNKNOWN((uint32_t)argc, argc);
\tCLI_STRING(argv[0], argv);
\treturn 0;
}
""")
run(["cc", "-Wall", "-Wextra", "-Werror", "-I", root, "-o", "cli", "cli.c"])
found = notes(os.path.join(scratch, "cli"))
expected = {
    "void_list": [],             # (void) is no argument
    "translated": ["-4"],        # the native list, not the translated one
    "defined": ["-2", "1", "1"], # #include'd, #ifdef'd and #define'd types
    "unknown": ["-8", "-4"],     # an unknown type: a signed 64-bit integer
    "string": ["8", "8"],
}
check(found == expected, f"notes of cli.d: {found}, expected {expected}")

for args, what in ((["-h"], "no -s"), (["-s", probes_d], "neither -h nor -G"),
                   (["-h", "-G", "-s", probes_d], "-h with -G"),
                   (["--bogus", "-h", "-s", probes_d], "an unknown option"),
                   (["-h", "-s", probes_d, "-o"], "-o without a value"),
                   (["-h", "-s", os.path.join(scratch, "missing.d")], "a missing file"),
                   (["-C", "-h", "-s", write("missing_include.d", '#include "missing.h"\n'),
                     "-o", "x.h"], "a preprocessor error"),
                   (["-h", "-s", probes_d, "-o", os.path.join(scratch, "no", "such", "x.h")],
                    "an unwritable output")):
    result = generate(args)
    failed_cleanly(result, what)
    check(what != "a preprocessor error" or ("missing.h" in result.stderr and
                                            "preprocessor failed" in result.stderr),
          f"the preprocessor's error was not passed on:\n{result.stderr}")

# Without -o: FILE.h and FILE.o in the working directory, as systemtap's dtrace.
os.makedirs(os.path.join(scratch, "default"))
for mode, suffix in (("-h", ".h"), ("-G", ".o")):
    result = generate([mode, "-s", probes_d], cwd=os.path.join(scratch, "default"))
    written = os.listdir(os.path.join(scratch, "default"))
    check(result.returncode == 0 and written == ["cli" + suffix],
          f"{mode} without -o wrote {written}, not just cli{suffix}: {result.stderr}")
    os.unlink(os.path.join(scratch, "default", "cli" + suffix))
print("ok: options tolerated with warnings, -C -D -U -I, (void), translated lists, "
      "#define'd and unknown types, default outputs, usage errors", flush=True)

# ---- -G: an object that links, also given the program's objects ------------------

run(["cc", "-c", "-I", scratch, "-I", root, "-o", "cli_main.o", "cli.c"])
result = generate(["-G", "-s", probes_d, "-o", "cli_probes.o", "cli_main.o"])
check(result.returncode == 0, f"-G with objects failed:\n{result.stderr}")
header = run(["readelf", "-h", "cli_probes.o"]).stdout
check(re.search(r"Type:\s+REL", header), f"-G wrote no relocatable object:\n{header}")
symbols = run(["nm", "--defined-only", "cli_probes.o"]).stdout
check(symbols.strip() == "", f"the -G object defines symbols:\n{symbols}")
run(["cc", "-o", "cli_linked", "cli_main.o", "cli_probes.o"])
run([os.path.join(scratch, "cli_linked")])
check(notes(os.path.join(scratch, "cli_linked")) == expected, "the linked program lost notes")
# A configure script's check of -G (CPython's): probe clauses, no provider.
conftest = write("conftest.d", "BEGIN{}\n")
result = generate(["-G", "-s", conftest, "-o", "conftest.o"])
check(result.returncode == 0 and result.stderr == "",
      f"-G on a file without a provider failed:\n{result.stderr}")
check(re.search(r"Type:\s+REL", run(["readelf", "-h", "conftest.o"]).stdout),
      "-G on a file without a provider wrote no relocatable object")
result = generate(["-h", "-s", conftest, "-o", "conftest.h"])
failed_cleanly(result, "conftest.d -h")
check(f"no provider in {conftest}" in result.stderr, f"-h without a provider: {result.stderr}")
print("ok: -G writes an empty relocatable object that links, also given objects, also "
      "for a file of probe clauses without a provider (-h refuses it)", flush=True)

# Another library's usdt.h first on the include path: a clear error.
os.makedirs(os.path.join(scratch, "other"))
write(os.path.join("other", "usdt.h"), "/* another project's usdt.h */\n")
result = subprocess.run(["cc", "-I", os.path.join(scratch, "other"), "-I", root, "-c", "cli.c",
                         "-o", os.devnull], cwd=scratch, capture_output=True, text=True)
check(result.returncode != 0 and "needs the usdt kit's usdt.h" in result.stderr,
      f"another usdt.h was not reported:\n{result.stderr}")

# ---- Headers in every standard; call sites with other compatible types -----------

headers = {}
for generator, tool in (("usdt", GENERATOR), ("systemtap", ["dtrace"])):
    out = os.path.join(scratch, generator)
    os.makedirs(out)
    run(tool + ["-h", "-s", os.path.join(source_dir, "compat.d"), "-o", "compat_probes.h"],
        cwd=out)
    headers[generator] = out
compiles = 0
for compiler, language, standards in (
        ("gcc", "c", ["c99", "c11", "c17", "c2x"]),
        ("clang", "c", ["c99", "c11", "c17", "c2x"]),
        ("g++", "c++", ["c++11", "c++14", "c++17", "c++20", "c++2b"]),
        ("clang++", "c++", ["c++11", "c++14", "c++17", "c++20", "c++2b"])):
    for standard in standards:
        for generator, flags in (("usdt", ["-Wpedantic"]), ("systemtap", [])):
            variants = [[]]
            if language == "c++" and generator == "usdt":
                variants.append(["-DCOMPAT_EXTERN_C"])   # systemtap's fails there
            for variant in variants:
                argv = [compiler, "-x", language, f"-std={standard}", "-O2", "-Wall", "-Wextra",
                        "-Werror"] + flags + variant + [
                        "-I", headers[generator], "-I", root, "-c",
                        os.path.join(source_dir, "compat.c"), "-o", os.devnull]
                run(argv)
                compiles += 1
print(f"ok: compat.c built {compiles} ways (gcc, clang, C99 to C2x, C++11 to C++2b, "
      "-Wall -Wextra -Wpedantic -Werror; systemtap's header as a reference)")
