"""Static probes traced under every linker: GNU ld, gold, lld and mold.

  test_linkers.py REPOSITORY_ROOT SCRATCH_DIRECTORY

Builds tests/linkers (a program firing usdt_linker:hit 1000 times) with gcc
-fuse-ld=bfd|gold|lld|mold, with the probe in the program or in a shared
library, declared by USDT_STATIC_PROBE or by a header usdt-dtrace generates,
and with clang and GNU ld, lld and mold; then traces each build with
bpftrace three ways:
  -c       bpftrace starts the program (the uprobe exists before the
           program maps its file: the kernel's delayed semaphore increment);
  before   bpftrace traces the file system-wide, the program starts after;
  -p       the program runs first and waits for bpftrace to attach.
Each way, bpftrace must count every fire with its argument (the sum of 0 to
999), and the program (whose output bpftrace -c does not pass on) must have
found the probe enabled at every fire. A probe in a shared library is not
traced with -c: bpftrace 0.17 looks for the library in the child before the
child has loaded it ("Error finding location for probe"). lld
and mold start the read-write segment on the file page where the RELRO
segment ends; usdt.h gives .probes a page of its own so that the kernel's
delayed increment reaches the semaphore (see USDT__PROBES_PAGE).
"""

import os
import shutil
import signal
import subprocess
import sys

import tracing
from tracing import check, fail

ROOT = os.path.abspath(sys.argv[1])
SCRATCH = os.path.abspath(sys.argv[2])
SOURCES = os.path.join(ROOT, "tests", "linkers")
FIRES = 1000
LINKERS = ("bfd", "gold", "lld", "mold")
# (compiler, linker, where the probe is): every linker with gcc, also with
# the probe in a shared library; clang with the linkers it can use.
BUILDS = [("gcc", linker, where) for linker in LINKERS
          for where in ("program", "library", "generated", "generated library")] + \
         [("clang", linker, "program") for linker in ("bfd", "lld", "mold")]

WHERE = {"program": "probe in the program", "library": "probe in a shared library",
         "generated": "probe from a usdt-dtrace header",
         "generated library": "probe from a usdt-dtrace header in a shared library"}


def run(argv, **kwargs):
    result = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    check(result.returncode == 0, f"{' '.join(argv)} failed:\n{result.stderr}")
    return result


def build(compiler, linker, where):
    """The program's path and the path of the file holding the probe."""
    out = os.path.join(SCRATCH, f"{compiler}-{linker}-{where.replace(' ', '-')}")
    os.makedirs(out, exist_ok=True)
    flags = [compiler, "-O2", "-Wall", "-Wextra", "-Werror", f"-fuse-ld={linker}",
             f"-I{ROOT}", f"-I{SOURCES}"]
    program = os.path.join(out, "linker_target")
    main, probe = os.path.join(SOURCES, "main.c"), os.path.join(SOURCES, "probe.c")
    if where.startswith("generated"):
        run([sys.executable, os.path.join(ROOT, "usdt-dtrace"), "-h", "-s",
             os.path.join(SOURCES, "probes.d"), "-o", os.path.join(out, "linker_probes.h")])
        flags += ["-DLINKER_GENERATED", f"-I{out}"]
    if not where.endswith("library"):
        run(flags + [main, probe, "-o", program])
        return program, program
    library = os.path.join(out, "liblinker_probe.so")
    run(flags + ["-fPIC", "-shared", probe, "-o", library])
    run(flags + [main, library, f"-Wl,-rpath,{out}", "-o", program])
    return program, library


def script(path):
    """Count the fires and sum their arguments; exit after the last one."""
    return (f"usdt:{path}:usdt_linker:hit {{ @fires = count(); @sum = sum(arg0); "
            f"if (arg0 == {FIRES - 1}) {{ exit(); }} }}")


def check_trace(label, out, program_output=None):
    check(program_output is None or f"enabled={FIRES}" in program_output,
          f"{label}: the program did not find the probe enabled at every fire:\n"
          f"{program_output}\n{out}")
    fires, total = tracing.bpftrace_map(out, "fires"), tracing.bpftrace_map(out, "sum")
    check(fires == FIRES and total == FIRES * (FIRES - 1) // 2,
          f"{label}: bpftrace counted {fires} fires summing to {total}, expected "
          f"{FIRES} and {FIRES * (FIRES - 1) // 2}:\n{out}")


def trace_started_by_bpftrace(label, program, path):
    out = tracing.bpftrace_finish(tracing.bpftrace_start(script(path), args=("-c", program)))
    check_trace(label, out)


def trace_before_start(label, program, path):
    bpftrace = tracing.bpftrace_start(script(path))
    try:
        result = subprocess.run([program], capture_output=True, text=True,
                                timeout=tracing.TIMEOUT)
        try:
            bpftrace.wait(timeout=10)
        except subprocess.TimeoutExpired:  # the last fire was not seen: stop it
            bpftrace.send_signal(signal.SIGINT)
        out = tracing.bpftrace_finish(bpftrace)
    finally:
        if bpftrace.poll() is None:
            bpftrace.kill()
    check(result.returncode == 0, f"{label}: the program failed: {result.stderr}")
    check_trace(label, out, result.stdout)


def trace_running(label, program, path):
    target = subprocess.Popen([program, "wait"], stdout=subprocess.PIPE, stdin=subprocess.PIPE,
                              text=True)
    try:
        check(target.stdout.readline() == "ready\n", f"{label}: the program did not start")
        bpftrace = tracing.bpftrace_start(script(path), pid=target.pid)
        target.stdin.write("go\n")
        target.stdin.flush()
        out = tracing.bpftrace_finish(bpftrace)
        rest, _ = target.communicate(timeout=tracing.TIMEOUT)
    finally:
        if target.poll() is None:
            target.kill()
            target.wait()
    check(target.returncode == 0, f"{label}: the program exited with {target.returncode}")
    check_trace(label, out, rest)


WAYS = {"-c": trace_started_by_bpftrace, "before": trace_before_start, "-p": trace_running}


def main():
    tracing.require_tracer()
    missing = [tool for tool in ("gcc", "clang", "ld.gold", "ld.lld", "mold")
               if shutil.which(tool) is None]
    if missing:
        message = f"not installed: {', '.join(missing)} (./run.sh test installs them)"
        if os.environ.get("CI") == "true":
            fail(message)
        print(f"SKIP: {message}")
        sys.exit(tracing.SKIP)
    shutil.rmtree(SCRATCH, ignore_errors=True)
    failures, cases = [], 0
    for compiler, linker, where in BUILDS:
        program, path = build(compiler, linker, where)
        for way, trace in WAYS.items():
            if way == "-c" and where.endswith("library"):
                continue  # bpftrace 0.17 -c finds no library the child has not loaded yet
            cases += 1
            label = f"{compiler} -fuse-ld={linker}, {WHERE[where]}, bpftrace {way}"
            try:
                trace(label, program, path)
            except SystemExit:
                failures.append(label)
                continue
            print(f"PASS: {label}: {FIRES} fires traced, enabled at each", flush=True)
    shutil.rmtree(SCRATCH, ignore_errors=True)
    check(not failures, f"{len(failures)} of {cases} cases failed: "
                        f"{'; '.join(failures)}")


if __name__ == "__main__":
    main()
