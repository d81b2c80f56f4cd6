#!/usr/bin/env python3
"""Run the kit's benchmarks and print the results as a markdown table.

    python3 bench/run.py BUILD_DIR

BUILD_DIR is a compiled meson build directory configured with
buildtype=release or debugoptimized. The run takes a few minutes on 2 cores;
naming sections (untraced, instructions, inline, traced, batched, providers,
compile, dtrace_check, python, ruby, node, go) after BUILD_DIR measures only those.
With USDT_BENCH_LIBSTAPSDT=PATH (the older runtime-probe library's shared
object, built elsewhere), its provider calls are measured in the same run,
interleaved with the kit's.

Times are medians of RUNS runs. Nothing here asserts a timing: the targets
are printed beside the measurements for a reader to compare. The exit status
is nonzero only when a benchmark went wrong, above all when bpftrace counted
a different number of fires than the program made. A valgrind or bpftrace
that is missing or cannot run here leaves its rows "not measured".
"""

import contextlib
import json
import os
import resource
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # importing tracing must leave tests/ as it is
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from tracing import _tracer_problem as tracer_problem  # noqa: E402 (mounts tracefs if needed)
from tracing import bpftrace_interrupt, bpftrace_start  # noqa: E402

RUNS = 7
ITERATIONS = 100_000_000  # per untraced loop run
COUNTED = (100_000, 200_000)  # callgrind iterations: the difference cancels the loop's setup
TRACED_FIRES = 100_000  # per probe kind and run
PROVIDER_SAMPLES = 501  # fresh providers per probe count
TIMEOUT = 300

# The table: (section, key, measure, target, the older runtime-probe library's
# figure as measured on these machines). A section's measurement fills
# in the values of its keys.
ROWS = [
    ("untraced", "empty", "Untraced loop: empty (baseline), ns/iteration", "", ""),
    ("untraced", "raw_bare", "Untraced: sys/sdt.h STAP_PROBE1, bare, ns/iteration", "", ""),
    ("untraced", "raw_gated",
     "Untraced: sys/sdt.h STAP_PROBE1 behind __builtin_expect(semaphore, 0), ns/iteration", "", ""),
    ("untraced", "static_ungated", "Untraced: static USDT_FIRE_UNGATED, ns/iteration", "", ""),
    ("untraced", "static_gated", "Untraced: static USDT_FIRE, ns/iteration", "", ""),
    ("untraced", "dynamic_gated", "Untraced: dynamic USDT_FIRE (enabled check), ns/iteration",
     "≤ 2 ns", "1.1–1.4 ns (enabled check)"),
    ("untraced", "dynamic_local",
     "Untraced: dynamic USDT_FIRE, handle in a local, ns/iteration", "", ""),
    ("untraced", "dynamic_ungated",
     "Untraced: dynamic USDT_FIRE_UNGATED (call to the stub), ns/iteration", "≤ 2 ns",
     "≈ 5 ns (untraced fire)"),
    ("instructions", "empty", "Untraced loop: empty (baseline), instructions/iteration", "", ""),
    ("instructions", "raw_bare", "Untraced: sys/sdt.h STAP_PROBE1, bare, instructions/iteration",
     "", ""),
    ("instructions", "raw_gated",
     "Untraced: sys/sdt.h STAP_PROBE1 behind __builtin_expect(semaphore, 0), "
     "instructions/iteration", "", ""),
    ("instructions", "static_ungated", "Untraced: static USDT_FIRE_UNGATED, instructions/iteration",
     "", ""),
    ("instructions", "static_gated", "Untraced: static USDT_FIRE, instructions/iteration", "", ""),
    ("instructions", "dynamic_gated",
     "Untraced: dynamic USDT_FIRE (enabled check), instructions/iteration", "",
     "9–18 (enabled check)"),
    ("instructions", "dynamic_local",
     "Untraced: dynamic USDT_FIRE, handle in a local, instructions/iteration", "", ""),
    ("instructions", "dynamic_ungated",
     "Untraced: dynamic USDT_FIRE_UNGATED (call to the stub), instructions/iteration", "", ""),
    ("inline", "static_gated", "Static enabled check as compiled (objdump)", "", ""),
    ("inline", "dynamic_local", "Dynamic enabled check as compiled, handle in a local (objdump)",
     "≤ 3 instructions", "9–18 instructions"),
    ("inline", "dynamic_gated", "Dynamic enabled check as compiled, handle in a global (objdump)",
     "", ""),
    ("traced", "raw_gated",
     "Traced fire (bpftrace count()): sys/sdt.h probe behind __builtin_expect, ns/fire", "", ""),
    ("traced", "static_gated", "Traced fire (bpftrace count()): static USDT_FIRE, ns/fire", "", ""),
    ("traced", "nop5_gated",
     "Traced fire (bpftrace count()): 5-byte nop inline behind a semaphore (reference), ns/fire",
     "", ""),
    ("traced", "static_over_nop5",
     "Traced: static USDT_FIRE (1-byte nop since the fork fault) ÷ inline 5-byte nop (same run)",
     "", ""),
    ("traced", "raw_over_static", "Traced: sys/sdt.h probe ÷ static USDT_FIRE (same run)", "≥ 3",
     ""),
    ("traced", "dynamic_gated", "Traced fire (bpftrace count()): dynamic probe, ns/fire",
     "< traced static fire", "≈ 668 ns (sys/sdt.h in the same run: 635 ns)"),
    ("batched", "inline",
     "Batch bench: static enabled check as compiled, 2-argument probe (objdump)",
     "one compare and `jne`", ""),
    ("batched", "untraced", "Batch bench: untraced USDT_FIRE, 2 integer arguments, ns/fire", "",
     ""),
    ("batched", "direct",
     "Batch bench: traced directly (bpftrace count()), 5-byte nop site (trampoline), ns/fire",
     "", ""),
    ("batched", "int3",
     "Batch bench: traced directly (bpftrace count()), 1-byte nop site (int3), ns/fire", "", ""),
    ("batched", "batched", "Batch bench: batched fire, amortized, ns/fire", "≤ 50 ns", ""),
    ("batched", "lttng",
     "Batch bench: LTTng-UST tracepoint, same 2 integers, session recording, ns/event", "", ""),
    ("batched", "batched_over_direct", "Batched ÷ traced directly, trampoline (same rounds)",
     "≤ 0.1", ""),
    ("batched", "batched_over_int3", "Batched ÷ traced directly, int3 (same rounds)", "≤ 0.05",
     ""),
    ("batched", "batched_over_lttng", "Batched ÷ LTTng-UST (same rounds)", "< 1", ""),
    ("batched", "consumer_cpu", "Batch consumer's CPU per million batched events", "", ""),
    ("batched", "buffer", "Batch buffers: memory per thread", "", ""),
    ("providers", "create_load_1", "Dynamic provider: create + add + load, 1 probe, µs", "",
     "≈ 53 µs"),
    ("providers", "create_load_10", "Dynamic provider: create + add + load, 10 probes, µs",
     "≤ 20 µs", "≈ 62 µs"),
    ("providers", "create_load_100", "Dynamic provider: create + add + load, 100 probes, µs", "",
     "≈ 149 µs"),
    ("providers", "destroy_10", "Dynamic provider: destroy a loaded one, 10 probes, µs", "", ""),
    ("providers", "providers_1000",
     "Dynamic providers: create + load 1000 of one name, all kept (10 probes each), ms",
     "", "≈ 83 ms"),
    ("providers", "kib", "Dynamic provider: address space per loaded provider", "≤ 16 KiB",
     "≈ 2 MiB"),
    ("providers", "mappings", "Dynamic provider: mappings per loaded provider", "≤ 2", "3"),
    ("providers", "fds", "Dynamic provider: file descriptors per loaded provider", "", ""),
    ("providers", "unload_10", "Dynamic provider: unload, 10 probes, µs",
     "≤ ½ the older library's", "29.8 µs (measured before, another run)"),
    ("providers", "reload_10", "Dynamic provider: load again after unload, 10 probes, µs", "",
     ""),
    ("providers", "stapsdt_create_load_10",
     "Older library, same run, interleaved: create + add + load, 10 probes, µs", "", ""),
    ("providers", "stapsdt_unload_10",
     "Older library, same run, interleaved: unload, 10 probes, µs", "", ""),
    ("providers", "stapsdt_reload_10",
     "Older library, same run, interleaved: load again after unload, 10 probes, µs", "", ""),
    ("compile", "gcc -O0",
     "Compile a unit including a generated 500-probe header, firing one: gcc -O0, s "
     "(÷ systemtap's header)", "≤ 2×", ""),
    ("compile", "gcc -O2", "Same, gcc -O2, s (÷ systemtap's header)", "≤ 2×", ""),
    ("compile", "clang -O0", "Same, clang -O0, s (÷ systemtap's header)", "≤ 2×", ""),
    ("compile", "clang -O2", "Same, clang -O2, s (÷ systemtap's header)", "≤ 2×", ""),
    ("compile", "notes", "Same, notes in the unit's object (-O0)", "2 (one probe, 2 sites)", ""),
    ("dtrace_check", "gcc",
     "Untraced enabled check of a usdt-dtrace header against sys/sdt.h's, same run: gcc -O2, "
     "per iteration", "", ""),
    ("dtrace_check", "clang", "Same, clang -O2, per iteration", "", ""),
    ("python", "python_enabled",
     "Python (bindings/python/usdt.py): untraced probe.enabled, ns/read", "", ""),
    ("python", "python_fire",
     "Python: untraced probe.fire(i) (enabled check), ns/call, and ratio to the C USDT_FIRE",
     "", ""),
    ("python", "python_traced",
     "Python: traced probe.fire(i) (bpftrace count()), ns/fire, and ratio to the C fire",
     "", ""),
    ("ruby", "ruby_enabled",
     "Ruby (bindings/ruby/usdt.rb): untraced tracepoint.enabled?, ns/read", "", ""),
    ("ruby", "ruby_fire",
     "Ruby: untraced tracepoint.fire(i) (enabled check), ns/call, and ratio to the C USDT_FIRE",
     "", ""),
    ("ruby", "ruby_traced",
     "Ruby: traced tracepoint.fire(i) (bpftrace count()), ns/fire, and ratio to the C fire",
     "", ""),
    ("node", "node_enabled", "Node.js (bindings/node, Node-API): untraced probe.enabled, ns/read",
     "", ""),
    ("node", "node_fire",
     "Node.js: untraced probe.fire(i) (enabled check), ns/call, and ratio to the C USDT_FIRE",
     "", ""),
    ("node", "node_traced",
     "Node.js: traced probe.fire(i) (bpftrace count()), ns/fire, and ratio to the C fire",
     "", ""),
    ("go", "go_enabled", "Go (bindings/go, cgo): untraced probe.Enabled(), ns/read", "", ""),
    ("go", "go_fire",
     "Go: untraced probe.Fire(i) (enabled check, no cgo call), ns/call, and ratio to the C "
     "USDT_FIRE", "", ""),
    ("go", "go_cgo", "Go: one cgo call (usdt.ABIVersion()), for scale, ns/call", "", ""),
    ("go", "go_traced",
     "Go: traced probe.Fire(i) (bpftrace count()), ns/fire, and ratio to the C fire", "", ""),
]


class NotMeasured(Exception):
    """A tool this benchmark needs is missing or cannot run here."""


class Broken(Exception):
    """The benchmark itself went wrong: the run exits nonzero. values, if
    given, are what it measured all the same, to print."""

    def __init__(self, message, values=None):
        super().__init__(message)
        self.values = values


def run(argv, **kwargs):
    result = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT, **kwargs)
    if result.returncode != 0:
        raise Broken(f"{os.path.basename(argv[0])} exited with {result.returncode}: "
                     f"{result.stderr.strip()[-300:]}")
    return result


def samples(output):
    """'KEY VALUE' lines as {KEY: [VALUE, ...]}."""
    values = {}
    for line in output.splitlines():
        key, value = line.rsplit(" ", 1)
        values.setdefault(key, []).append(float(value))
    return values


def version(argv):
    if shutil.which(argv[0]) is None:
        return "not installed"
    result = subprocess.run(argv, capture_output=True, text=True)
    return (result.stdout or result.stderr).strip().splitlines()[0]


# ---- The measurements: each returns {key: value text} for its section ----

def over_empty(values, spec):
    """Each case's value and, for the probes, its difference from the empty loop."""
    return {case: f"{v:{spec}}" if case == "empty" else
            f"{v:{spec}} ({v - values['empty']:+{spec}} over empty)"
            for case, v in values.items()}


def untraced(bench_fire):
    medians = {case: statistics.median(ns) for case, ns in
               samples(run([bench_fire, "untraced", str(ITERATIONS), str(RUNS)]).stdout).items()}
    return over_empty(medians, ".2f")


def instructions_per_iteration(argv, function):
    """Instructions per iteration of the loop in function, exact: callgrind
    counts only inside it, running argv(n) at two iteration counts n."""
    if shutil.which("valgrind") is None:
        raise NotMeasured("valgrind is not installed")
    counts = []
    for n in COUNTED:
        try:
            stderr = run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                          f"--toggle-collect={function}", *argv(n)]).stderr
        except Broken as failure:
            raise NotMeasured(f"valgrind cannot run here: {failure}")
        collected = re.search(r"Collected : (\d+)", stderr)
        if not collected:
            raise NotMeasured(f"callgrind reported no count: {stderr.strip()[-200:]}")
        counts.append(int(collected.group(1)))
    return (counts[1] - counts[0]) / (COUNTED[1] - COUNTED[0])


def instructions(bench_fire):
    cases = [key for section, key, *_ in ROWS if section == "instructions"]
    return over_empty({case: instructions_per_iteration(
        lambda n, case=case: [bench_fire, "untraced", str(n), "1", case], f"bench_loop_{case}")
        for case in cases}, "g")


def enabled_check(bench_fire, function):
    """The instructions of the enabled check in function as compiled
    (x86-64): the loads that find the semaphore, the read of it (16 or 32
    bits) and what follows up to the conditional jump on it."""
    listing = run(["objdump", "-d", "--no-show-raw-insn", f"--disassemble={function}",
                   bench_fire]).stdout
    code = [" ".join(re.sub(r"#.*|<.*>", "", line.split("\t")[-1]).split())
            for line in listing.splitlines() if re.match(r"\s+[0-9a-f]+:\t", line)]
    read = next((i for i, ins in enumerate(code)
                 if re.match(r"(movzwl|movzx|cmpw|testw|cmpl|testl) .*\(", ins)), None)
    if read is None:
        raise NotMeasured(f"no semaphore read found in {function} (x86-64 only)")
    start = read
    needed = set(re.findall(r"%(\w+)", re.search(r"\(([^)]*)\)", code[read]).group(1)))
    while start > 0:
        load = re.fullmatch(r"mov [-\w]*\(([^)]*)\),%(\w+)", code[start - 1])
        if not load or load.group(2) not in needed:
            break
        start -= 1
        needed = set(re.findall(r"%(\w+)", load.group(1)))
    end = next(i for i in range(read, len(code)) if code[i].startswith("j"))
    return code[start:end + 1]


def inline(bench_fire):
    if shutil.which("objdump") is None:
        raise NotMeasured("objdump is not installed")
    checks = {}
    for case in ("static_gated", "dynamic_local", "dynamic_gated"):
        check = enabled_check(bench_fire, f"bench_loop_{case}")
        checks[case] = f"{len(check)} instructions: " + "; ".join(f"`{i}`" for i in check)
    return checks


def run_traced(argv, script, env=None, values=None):
    """Run a benchmark program that prints "ready pid=N path=PATH" and waits
    for its semaphores, under bpftrace running script(PATH) until it exits.
    Returns (the program's output, bpftrace's); raises Broken (with values)
    if either fails."""
    name = os.path.basename(argv[1] if argv[0] == sys.executable else argv[0])
    target = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=env)
    tracer = None
    try:
        ready = re.match(r"ready pid=\d+ path=(\S+)", target.stdout.readline())
        if not ready:
            raise Broken(f"{name} did not start: {target.stderr.read().strip()}", values)
        tracer = subprocess.Popen(["bpftrace", "-e", script(ready.group(1))],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        output, errors = target.communicate(timeout=TIMEOUT)
        trace, trace_errors = tracer.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise Broken(f"{name} traced or bpftrace still running after {TIMEOUT} s", values)
    finally:
        for proc in (target, tracer):
            if proc and proc.poll() is None:
                proc.kill()
                proc.wait()
    if target.returncode != 0 or tracer.returncode != 0 or "Attaching" not in trace:
        raise Broken(f"{name} exited with {target.returncode} ({errors.strip()}), "
                     f"bpftrace with {tracer.returncode} ({trace_errors.strip()[-300:]})", values)
    return output, trace


def spread(ns, digits):
    """'MEDIAN (runs FASTEST–SLOWEST' of the runs' ns, closed by the caller."""
    return f"{statistics.median(ns):.{digits}f} (runs {min(ns):.{digits}f}–{max(ns):.{digits}f}"


def counted_fires(ns, digits, fired, counted, lost, case):
    """A traced case's text: its spread and its fires, all counted; or the
    count mismatch, case then appended to lost."""
    if counted == fired:
        return f"{spread(ns, digits)}; {fired} fires, all counted)"
    lost.append(case)
    return f"**COUNT MISMATCH: the tracer counted {counted} of {fired} fires**"


def per_round(times, over, under, spec=".3g"):
    """The median, fastest and slowest of the rounds' ratios over/under: per
    round the cases ran one after the other, so the median of the rounds'
    ratios is the least disturbed by other load."""
    ratios = [o / u for o, u in zip(times[over], times[under])]
    return (f"{statistics.median(ratios):{spec}} "
            f"(rounds {min(ratios):{spec}}–{max(ratios):{spec}})")


def traced(bench_fire):
    problem = tracer_problem()
    if problem:
        raise NotMeasured(problem)
    binary = os.path.abspath(bench_fire)
    # The dynamic provider's path: its file (or /proc/PID/fd/N for a
    # memfd), which bpftrace attaches to without -p.
    argv = [bench_fire, "traced", str(TRACED_FIRES), str(RUNS)]
    output, trace = run_traced(argv, lambda path: f"""
            usdt:{binary}:bench:raw_fire {{ @raw_gated = count(); }}
            usdt:{binary}:bench:static_fire {{ @static_gated = count(); }}
            usdt:{binary}:bench:nop5_fire {{ @nop5_gated = count(); }}
            usdt:{path}:bench:dynamic_fire {{ @dynamic_gated = count(); }}
            usdt:{binary}:bench:done {{ exit(); }}""")
    fired = {case: int(n) for case, n in re.findall(r"^fired (\w+) (\d+)$", output, re.M)}
    counted = {case: int(n) for case, n in re.findall(r"^@(\w+): (\d+)$", trace, re.M)}
    times = samples("\n".join(line for line in output.splitlines()
                              if not line.startswith("fired ")))
    values, lost = {}, []
    for case, ns in times.items():
        values[case] = counted_fires(ns, 0, fired[case], counted.get(case), lost, case)
    if lost:
        raise Broken(f"bpftrace lost fires of {', '.join(lost)}", values)
    for key, slow, fast in (("static_over_nop5", "static_gated", "nop5_gated"),
                            ("raw_over_static", "raw_gated", "static_gated")):
        if slow in times and fast in times:
            values[key] = per_round(times, slow, fast, ".2f")
    return values


# bench_batch: fires per round of the fast cases (untraced, batched, LTTng)
# and of the direct traced ones (trampoline, int3).
BATCH_FIRES = 500_000
BATCH_SLOW_FIRES = 50_000
# A batched event with 2 integer arguments: header, id, ticks, 2 values.
BATCH_RECORD_BYTES = 40
LTTNG_SESSION = "usdt-bench"
LTTNG_SHARED = "; in the session daemon already running"
# What LTTng leaves behind on a machine where it did not run before: root's
# run directory and the shared memory its applications wait on.
LTTNG_LEFTOVERS = ("/var/run/lttng", "/dev/shm/lttng-ust-wait-8",
                   f"/dev/shm/lttng-ust-wait-8-{os.geteuid()}")


def cpu_seconds(pids):
    """The CPU seconds used so far by every thread of the processes pids
    (/proc/PID/task/TID/schedstat: nanoseconds on a CPU)."""
    total = 0
    for pid in pids:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                total += int(f.read().split()[0])
    return total / 1e9


def read_text(path):
    """The file's text, or "" if it is gone (a process that exited)."""
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def children(pid):
    """The processes whose parent is pid."""
    return [child for child in os.listdir("/proc") if child.isdigit() and
            read_text(f"/proc/{child}/stat").rsplit(")", 1)[-1].split()[1:2] == [str(pid)]]


def stop(proc):
    if proc and proc.poll() is None:
        proc.kill()
        proc.wait()


@contextlib.contextmanager
def lttng_session(scratch):
    """An LTTng session recording bench_lttng:fire into scratch, in a
    session daemon started for this run (as root: its sockets in
    /var/run/lttng, its home in scratch), or in root's daemon if one runs
    already (Debian starts one where lttng-tools is installed with systemd);
    yields a dict that gets, once the session is stopped, the channel's
    discarded events, the consumer daemons' CPU seconds and the trace's
    size. Leaves nothing running that it started, and no session."""
    if shutil.which("lttng-sessiond") is None or shutil.which("lttng") is None:
        raise NotMeasured("lttng-tools is not installed")
    env = dict(os.environ, LTTNG_HOME=os.path.join(scratch, "lttng-home"))
    os.makedirs(env["LTTNG_HOME"])

    def lttng(*args):
        return run(["lttng", *args], env=env).stdout

    running = read_text("/var/run/lttng/lttng-sessiond.pid").strip()
    daemon = None
    if not (running.isdigit() and os.path.exists(f"/proc/{running}")):
        daemon = subprocess.Popen(["lttng-sessiond", "--no-kernel", "--quiet"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        running = str(daemon.pid)
    session, created = f"{LTTNG_SESSION}-{os.getpid()}", False
    try:
        for _ in range(100):
            if daemon and daemon.poll() is not None:
                raise NotMeasured(f"lttng-sessiond exited: {daemon.stderr.read().strip()}")
            if subprocess.run(["lttng", "list"], env=env, capture_output=True).returncode == 0:
                break
            time.sleep(0.1)
        trace = os.path.join(scratch, "lttng-trace")
        lttng("create", session, f"--output={trace}")
        created = True
        # Sub-buffers large enough that the consumer daemon keeps up.
        lttng("enable-channel", "--userspace", "--subbuf-size=1M", "--num-subbuf=8", "bench",
              f"--session={session}")
        lttng("enable-event", "--userspace", "bench_lttng:fire", "--channel=bench",
              f"--session={session}")
        lttng("start", session)
        consumers = [pid for pid in children(running)
                     if "consumerd" in read_text(f"/proc/{pid}/comm")]
        stats = {"cpu": -cpu_seconds(consumers), "shared": daemon is None}
        yield stats
        lttng("stop", session)
        stats["cpu"] += cpu_seconds(consumers)
        discarded = re.search(r"Discarded events: (\d+)", lttng("list", session))
        stats["discarded"] = int(discarded.group(1)) if discarded else None
        stats["trace_bytes"] = sum(os.path.getsize(os.path.join(d, f))
                                   for d, _, files in os.walk(trace) for f in files)
    finally:
        if created:
            subprocess.run(["lttng", "destroy", session], env=env, capture_output=True)
        if daemon:
            daemon.terminate()
            try:
                daemon.wait(timeout=10)
            except subprocess.TimeoutExpired:
                stop(daemon)


def remove_new(paths):
    """Remove those of paths (files or directories) that exist now."""
    for path in paths:
        if os.path.isdir(path):
            shutil.rmtree(path, ignore_errors=True)
        elif os.path.exists(path):
            os.unlink(path)



def batch_consumer(binary, pid):
    """Batching on for bench_batch:batched in process pid: usdt-record
    --count where this build has it, else bpftrace tracing the flush probe
    and the probe's companion and counting the bytes flushed (the process's
    side alone, nothing copied). Returns the consumer's Popen and its name."""
    record = os.path.join(os.path.dirname(os.path.dirname(binary)), "tools", "usdt-record",
                          "usdt-record")
    if os.path.exists(record):
        return (subprocess.Popen([record, "-p", pid, "--count", "bench_batch:batched"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True),
                "usdt-record --count")
    return bpftrace_start(f"""
        usdt:{binary}:usdt_batch:flush {{
            @flushes = count(); @bytes = sum(arg1); @dropped = max(arg5); }}
        usdt:{binary}:usdt_batch:bench_batch__batched {{ }}"""), "bpftrace on the flush probe"


def batch_consumer_finish(consumer, name, values):
    """Once the traced process has exited: the consumer's CPU seconds, and
    the events, flushes, events dropped in the process and lost in the
    consumer it counted."""
    if name.startswith("usdt-record"):
        # It stops by itself once the process has gone and it has drained;
        # its CPU time is what wait4 says of it, all its threads included.
        deadline = time.monotonic() + TIMEOUT
        while True:
            pid, status, usage = os.wait4(consumer.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                raise Broken(f"usdt-record still running after {TIMEOUT} s", values)
            time.sleep(0.05)
        consumer.returncode = os.waitstatus_to_exitcode(status)
        cpu = usage.ru_utime + usage.ru_stime
        output, errors = consumer.stdout.read(), consumer.stderr.read()
        summary = re.search(r"(\d+) events, (\d+) flushes, (\d+) dropped in the process, "
                            r"(\d+) lost in the consumer", errors)
        counted = re.search(r"^bench_batch:batched (\d+)$", output, re.M)
        if consumer.returncode != 0 or not summary:
            raise Broken(f"usdt-record exited with {consumer.returncode}: "
                         f"{errors.strip()[-300:]}", values)
        return cpu, {"events": int(counted.group(1)) if counted else 0,
                     "flushes": int(summary.group(2)), "dropped": int(summary.group(3)),
                     "lost": int(summary.group(4))}
    cpu = cpu_seconds([consumer.pid])
    counted = {key: int(n) for key, n in
               re.findall(r"^@(\w+): (\d+)$", bpftrace_interrupt(consumer), re.M)}
    return cpu, {"events": counted.get("bytes", 0) // BATCH_RECORD_BYTES,
                 "flushes": counted.get("flushes", 0), "dropped": counted.get("dropped", 0),
                 "lost": 0}


def batched(bench_batch):
    """bench_batch's cases in one process, taking turns in each round:
    untraced, traced directly by bpftrace (trampoline, int3), batched, and
    LTTng-UST with a session of this run recording."""
    problem = tracer_problem()
    if problem:
        raise NotMeasured(problem)
    binary = os.path.abspath(bench_batch)
    values = {"inline": "; ".join(f"`{i}`" for i in enabled_check(binary, "bench_loop_untraced"))}
    cases = ["untraced", "direct", "int3", "batched"]
    scratch = tempfile.mkdtemp(prefix="usdt-batch-", dir=os.path.dirname(binary))
    with contextlib.ExitStack() as stack:
        stack.callback(shutil.rmtree, scratch, ignore_errors=True)
        # bench_batch links LTTng-UST, which makes some of these even with
        # no session daemon.
        stack.callback(remove_new, [path for path in LTTNG_LEFTOVERS
                                    if not os.path.exists(path)])
        try:
            if "liblttng-ust" not in run(["readelf", "-d", binary]).stdout:
                raise NotMeasured("bench_batch was built without LTTng-UST (liblttng-ust-dev)")
            lttng = stack.enter_context(lttng_session(scratch))
            cases.append("lttng")
        except NotMeasured as reason:
            lttng, values["lttng"] = None, f"not measured: {reason}"
        target = subprocess.Popen([binary, str(BATCH_FIRES), str(BATCH_SLOW_FIRES), str(RUNS),
                                   ",".join(cases)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        stack.callback(stop, target)
        ready = re.match(r"ready pid=(\d+)", target.stdout.readline())
        if not ready:
            raise Broken(f"bench_batch did not start: {target.stderr.read().strip()}", values)
        direct = bpftrace_start(f"""
            usdt:{binary}:bench_batch:direct {{ @direct = count(); }}
            usdt:{binary}:bench_batch:int3 {{ @int3 = count(); }}""")
        stack.callback(stop, direct)
        consumer, consumer_name = batch_consumer(binary, ready.group(1))
        stack.callback(stop, consumer)
        try:
            output, errors = target.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            raise Broken(f"bench_batch still running after {TIMEOUT} s", values)
        if target.returncode != 0:
            raise Broken(f"bench_batch exited with {target.returncode}: {errors.strip()}",
                         values)
        counted = {case: int(n) for case, n in
                   re.findall(r"^@(\w+): (\d+)$", bpftrace_interrupt(direct), re.M)}
        consumer_cpu, batch = batch_consumer_finish(consumer, consumer_name, values)
    counted["batched"] = batch["events"]
    fired = {case: int(n) for case, n in re.findall(r"^fired (\w+) (\d+)$", output, re.M)}
    times = samples("\n".join(line for line in output.splitlines()
                              if line.split()[0] in cases))
    lost = []
    for case, ns in times.items():
        digits = 2 if case == "untraced" else 1
        if case == "untraced":
            values[case] = spread(ns, digits) + ")"
        elif case == "lttng":
            values[case] = (f"{spread(ns, digits)}; {fired[case]} events, "
                            f"{lttng['discarded']} discarded, "
                            f"{lttng['trace_bytes'] / fired[case]:.1f} bytes each in the trace"
                            f"{LTTNG_SHARED if lttng['shared'] else ''})")
            if lttng["discarded"] != 0:
                lost.append(case)
        else:
            values[case] = counted_fires(ns, digits, fired[case], counted.get(case), lost, case)
    if lost:
        raise Broken(f"events lost: {', '.join(lost)}", values)
    values["batched"] += (f"; {batch['flushes']} flushes, {batch['dropped']} dropped in the "
                          f"process, {batch['lost']} lost in the consumer")
    values["batched_over_direct"] = per_round(times, "batched", "direct")
    values["batched_over_int3"] = per_round(times, "batched", "int3")
    values["batched_over_lttng"] = (per_round(times, "batched", "lttng") if "lttng" in times
                                    else values["lttng"])
    events = fired["batched"] / 1e6
    values["consumer_cpu"] = f"{consumer_cpu / events * 1000:.1f} ms ({consumer_name})"
    if lttng:
        values["consumer_cpu"] += (f"; LTTng's consumer daemon: "
                                   f"{lttng['cpu'] / (fired['lttng'] / 1e6) * 1000:.1f} ms")
    buffer = {key: int(n) for key, n in re.findall(r"^(buffer_\w+) (\d+)$", output, re.M)}
    site = re.search(r"^site_nop (\d+)$", output, re.M)
    if site and site.group(1) != "5":
        values["direct"] += f" (this kernel: {site.group(1)}-byte nop, no trampoline)"
    values["buffer"] = (f"{buffer['buffer_bytes'] / 1024:g} KiB of address space, "
                        f"{buffer['buffer_resident_bytes'] / 1024:g} KiB resident")
    return values


def providers(bench_provider):
    values = samples(run([bench_provider, str(PROVIDER_SAMPLES), str(RUNS)]).stdout)
    median = {key: statistics.median(v) for key, v in values.items()}
    result = {key: f"{median[key] / 1000:.1f}"
              for key in ("create_load_1", "create_load_10", "create_load_100", "destroy_10")}
    result["providers_1000"] = f"{median['providers_1000'] / 1e6:.1f}"
    # Unload and reload, ours and (with USDT_BENCH_LIBSTAPSDT) the older
    # library's: median with the interquartile range, and ours over theirs.
    for key in ("unload_10", "reload_10", "stapsdt_create_load_10", "stapsdt_unload_10",
                "stapsdt_reload_10"):
        if key not in values:
            result[key] = ("not measured: set USDT_BENCH_LIBSTAPSDT to the older library's "
                           "shared object")
            continue
        q1, _, q3 = statistics.quantiles(values[key], n=4)
        result[key] = f"{median[key] / 1000:.1f} (IQR {q1 / 1000:.1f}–{q3 / 1000:.1f})"
        theirs = "stapsdt_" + key
        if theirs in median:
            result[key] += f", {median[theirs] / median[key]:.1f}x faster than the older library"
    result["create_load_10"] += (f" (older library, same run: "
                                 f"{median['stapsdt_create_load_10'] / 1000:.1f})"
                                 if "stapsdt_create_load_10" in median else "")
    result["kib"] = (f"{median['object_kib']:g} KiB (its mappings); "
                     f"{median['kib']:.1f} KiB all told, with the heap its handles take")
    result["mappings"] = f"{median['mappings']:g}"
    result["fds"] = f"{median['fds']:g}"
    return result


# Per binding: untraced loop iterations per run, traced fires per run.
BINDINGS = {"python": (1_000_000, 20_000), "ruby": (1_000_000, 20_000),
            "node": (10_000_000, 20_000), "go": (10_000_000, 20_000)}


def binding_command(language, build_dir):
    """The argv that runs bench/bench_LANGUAGE on the build's libusdt, and its
    environment."""
    bench = os.path.dirname(os.path.abspath(__file__))
    source = os.path.dirname(bench)
    library = os.path.join(build_dir, "libusdt.so")
    if not os.path.exists(library):
        raise NotMeasured(f"{library} is not built")
    env = dict(os.environ, USDT_LIBRARY=library)
    if language == "python":
        return [sys.executable, os.path.join(bench, "bench_python.py")], env
    if language == "ruby":
        if shutil.which("ruby") is None:
            raise NotMeasured("ruby is not installed")
        return ["ruby", "-I", os.path.join(source, "bindings", "ruby"),
                os.path.join(bench, "bench_ruby.rb")], env
    if language == "node":
        module = os.path.join(build_dir, "bindings", "node", "usdt.node")
        if shutil.which("node") is None or not os.path.exists(module):
            raise NotMeasured(f"node or {module} is missing")
        return ["node", os.path.join(bench, "bench_node.js"), module], env
    if shutil.which("go") is None:
        raise NotMeasured("go is not installed")
    import gobuild
    built = gobuild.build(source, library, os.path.join(build_dir, "bench", "go-scratch"),
                          {"bench_go": os.path.join(bench, "bench_go.go")}, vet=False)
    return [built["bench_go"]], env


def binding(language, bench_fire, measured):
    """bench/bench_LANGUAGE through the binding on the build's libusdt; ratios
    to the C dynamic fire measured in the same run."""
    build_dir = os.path.dirname(os.path.dirname(os.path.abspath(bench_fire)))
    argv, env = binding_command(language, build_dir)
    iterations, fires = BINDINGS[language]
    key = language + "_"

    def ratio(binding_ns, section):
        """'N× the C fire' from the C dynamic fire of section, if measured."""
        c_text = measured.get(section, {})
        if not isinstance(c_text, dict) or "dynamic_gated" not in c_text:
            return "C fire not measured"
        c_ns = float(c_text["dynamic_gated"].split()[0])
        return (f"{binding_ns / c_ns:.{0 if binding_ns / c_ns >= 10 else 1}f}× the C fire's "
                f"{c_ns:g} ns" if c_ns > 0 else "C fire 0 ns")

    untraced = samples(run(argv + ["untraced", str(iterations), str(RUNS)], env=env).stdout)
    median = {k: statistics.median(v) for k, v in untraced.items()}
    enabled = median[key + "enabled"] - median[key + "empty"]
    fire = median[key + "fire"] - median[key + "empty"]
    values = {key + "enabled": f"{enabled:.1f} (empty loop subtracted)",
              key + "fire": f"{fire:.1f} (empty loop subtracted; {ratio(fire, 'untraced')})"}
    if key + "cgo" in median:
        values[key + "cgo"] = f"{median[key + 'cgo'] - median[key + 'empty']:.1f}"
    if key + "fire_allocs" in median:
        values[key + "fire"] += f"; {median[key + 'fire_allocs']:g} heap allocations per call"

    problem = tracer_problem()
    if problem:
        values[key + "traced"] = f"not measured: {problem}"
        return values
    provider = {"python": "bench_py", "ruby": "bench_rb"}.get(language, "bench_" + language)
    output, trace = run_traced(argv + ["traced", str(fires), str(RUNS)], lambda path: f"""
            usdt:{path}:{provider}:fire {{ @traced = count(); }}
            usdt:{path}:{provider}:done {{ exit(); }}""", env=env, values=values)
    fired = int(re.search(r"^fired (\d+)$", output, re.M).group(1))
    counted = re.search(r"^@traced: (\d+)$", trace, re.M)
    if not counted or int(counted.group(1)) != fired:
        values[key + "traced"] = (f"**COUNT MISMATCH: bpftrace counted "
                                  f"{counted and counted.group(1)} of {fired} fires**")
        raise Broken(f"bpftrace lost {language} fires", values)
    ns = statistics.median(samples("\n".join(line for line in output.splitlines()
                                             if line.startswith(key + "traced ")))
                           [key + "traced"])
    values[key + "traced"] = f"{ns:.0f} ({fired} fires, all counted; {ratio(ns, 'traced')})"
    return values


# ---- The report ----

COMPILE_PROBES = 500
COMPILE_TYPES = ("int", "unsigned int", "long", "const char *", "uint64_t", "unsigned char",
                 "short", "void *")


def compile_times(_):
    """A unit including a header generated from a 500-probe provider file
    (the size of QEMU's trace headers) and firing one of its probes, compiled
    by gcc and clang at -O0 and -O2 (-c), with usdt-dtrace's header and with
    systemtap's dtrace's: median CPU seconds (the compiler's processes, user
    and system) and their ratio."""
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    for tool in ("dtrace", "gcc", "clang"):
        if shutil.which(tool) is None:
            raise NotMeasured(f"{tool} is not installed")
    values = {}
    with tempfile.TemporaryDirectory() as scratch:
        probes = []
        for i in range(COMPILE_PROBES):
            args = [COMPILE_TYPES[(i + j) % len(COMPILE_TYPES)] for j in range(i % 7)]
            probes.append(f"\tprobe p{i}({', '.join(args)});\n")
        with open(os.path.join(scratch, "big.d"), "w") as f:
            f.write("provider big {\n" + "".join(probes) + "};\n")
        generators = {"usdt": [sys.executable, os.path.join(root, "usdt-dtrace")],
                      "systemtap": ["dtrace"]}
        for name, generator in generators.items():
            os.makedirs(os.path.join(scratch, name))
            run(generator + ["-h", "-s", os.path.join(scratch, "big.d"), "-o",
                             os.path.join(scratch, name, "big.h")], cwd=scratch)
            # p10: three arguments, int, unsigned int and long (COMPILE_TYPES).
            with open(os.path.join(scratch, name, "unit.c"), "w") as f:
                f.write("#include <stdint.h>\n#include \"big.h\"\n"
                        "int main(int argc, char **argv)\n{\n\t(void)argv;\n"
                        "\tBIG_P10(argc, (unsigned int)argc, (long)argc);\n\treturn 0;\n}\n")
        for compiler in ("gcc", "clang"):
            for level in ("-O0", "-O2"):
                times = {name: [] for name in generators}
                for _ in range(RUNS):
                    for name in generators:
                        start = resource.getrusage(resource.RUSAGE_CHILDREN)
                        run([compiler, level, "-I", root, "-I", os.path.join(scratch, name),
                             "-c", os.path.join(scratch, name, "unit.c"), "-o",
                             os.path.join(scratch, name, "unit.o")])
                        end = resource.getrusage(resource.RUSAGE_CHILDREN)
                        times[name].append(end.ru_utime + end.ru_stime -
                                           start.ru_utime - start.ru_stime)
                seconds = {name: statistics.median(t) for name, t in times.items()}
                values[f"{compiler} {level}"] = (
                    f"{seconds['usdt']:.3f} s ({seconds['usdt'] / seconds['systemtap']:.2f}× "
                    f"systemtap's {seconds['systemtap']:.3f} s)")
        run(["gcc", "-O0", "-I", root, "-I", os.path.join(scratch, "usdt"), "-c",
             os.path.join(scratch, "usdt", "unit.c"), "-o", os.path.join(scratch, "unit.o")])
        notes = run(["readelf", "-n", os.path.join(scratch, "unit.o")]).stdout.count("NT_STAPSDT")
        values["notes"] = str(notes)
    return values


def dtrace_check(_):
    """bench/bench_dtrace_check.c, whose probe comes from a header
    usdt-dtrace generated, compiled by gcc and by clang (-O2): the generated
    enabled check and the sys/sdt.h-style one, untraced, in the same run, in
    ns and instructions per iteration, and as compiled."""
    bench = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(bench)
    values = {}
    with tempfile.TemporaryDirectory() as scratch:
        run([sys.executable, os.path.join(root, "usdt-dtrace"), "-h", "-s",
             os.path.join(bench, "bench_dtrace_check.d"), "-o",
             os.path.join(scratch, "bench_dtrace_check.h")])
        for compiler in ("gcc", "clang"):
            if shutil.which(compiler) is None:
                values[compiler] = f"not measured: {compiler} is not installed"
                continue
            program = os.path.join(scratch, compiler)
            run([compiler, "-O2", "-falign-loops=64", "-I", scratch, "-I", root,
                 os.path.join(bench, "bench_dtrace_check.c"), "-o", program])
            ns = {case: statistics.median(v) for case, v in
                  samples(run([program, str(ITERATIONS), str(RUNS)]).stdout).items()}
            count = {case: instructions_per_iteration(lambda n: [program, str(n), "1"],
                                                      f"bench_loop_{case}") for case in ns}
            listing = run(["objdump", "-d", "--no-show-raw-insn",
                           "--disassemble=bench_loop_generated_check", program]).stdout
            leas = len(re.findall(r"\tlea .*<bench_dtrace_fire_semaphore>", listing))
            check = "; ".join(f"`{i}`" for i in
                              enabled_check(program, "bench_loop_generated_check"))
            values[compiler] = (
                f"generated {ns['generated_check']:.2f} ns, {count['generated_check']:g} "
                f"instructions; sys/sdt.h-style {ns['sdt_check']:.2f} ns, "
                f"{count['sdt_check']:g} instructions; empty loop {ns['empty']:.2f} ns, "
                f"{count['empty']:g} instructions. Generated check in the loop: {check}; "
                f"`lea` of the semaphore in the function: {leas}")
    return values


def setup(build_dir):
    with open(os.path.join(build_dir, "meson-info", "intro-buildoptions.json")) as f:
        options = {o["name"]: o["value"] for o in json.load(f)}
    if options["optimization"] not in ("2", "3"):
        sys.exit(f"run.py: {build_dir} has buildtype={options['buildtype']}; benchmarks need "
                 f"an optimized build: meson setup DIR --buildtype=release")
    with open(os.path.join(build_dir, "meson-info", "intro-targets.json")) as f:
        targets = {t["name"]: t for t in json.load(f)}
    missing = [name for name in ("bench_fire", "bench_provider", "bench_batch")
               if name not in targets or not os.path.exists(targets[name]["filename"][0])]
    if missing:
        sys.exit(f"run.py: {build_dir} has no {', '.join(missing)}: meson compile -C {build_dir}")
    with open("/proc/cpuinfo") as f:
        cpu = re.search(r"^(?:model name|Model)\s*: (.*)$", f.read(), re.M)
    compiler = targets["bench_fire"]["target_sources"][0]["compiler"]
    facts = [
        ("CPU", f"{cpu.group(1) if cpu else os.uname().machine}, {os.cpu_count()} CPUs"),
        ("Kernel", os.uname().release),
        ("Compiler", f"{version(compiler + ['--version'])} "
                     f"(buildtype={options['buildtype']}, -O{options['optimization']})"),
        ("bpftrace", version(["bpftrace", "--version"])),
        ("valgrind", version(["valgrind", "--version"])),
    ]
    programs = {name: targets[name]["filename"][0]
                for name in ("bench_fire", "bench_provider", "bench_batch")}
    return facts, programs


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: python3 bench/run.py BUILD_DIR [SECTION...]")
    facts, programs = setup(sys.argv[1])
    # Dynamic providers' files in a directory of this run, removed afterwards
    # (none left in /run/usdt).
    objects = tempfile.mkdtemp(prefix="usdt-objects-", dir=os.path.abspath(sys.argv[1]))
    os.environ["USDT_DIR"] = objects
    try:
        measure_all(facts, programs, sys.argv[2:])
    finally:
        shutil.rmtree(objects, ignore_errors=True)


def measure_all(facts, programs, only):
    """Every section's rows, or only those of the sections named."""
    measured, broken = {}, False
    for section, measure, program in (("untraced", untraced, "bench_fire"),
                                      ("instructions", instructions, "bench_fire"),
                                      ("inline", inline, "bench_fire"),
                                      ("traced", traced, "bench_fire"),
                                      ("batched", batched, "bench_batch"),
                                      ("providers", providers, "bench_provider"),
                                      ("compile", compile_times, "bench_fire"),
                                      ("dtrace_check", dtrace_check, "bench_fire"),
                                      *((language, lambda bench_fire, language=language:
                                         binding(language, bench_fire, measured), "bench_fire")
                                        for language in BINDINGS)):
        if only and section not in only:
            continue
        try:
            measured[section] = measure(programs[program])
        except NotMeasured as reason:
            measured[section] = f"not measured: {reason}"
        except Broken as failure:
            broken = True
            measured[section] = failure.values or f"**FAILED: {failure}**"
            print(f"run.py: {section}: {failure}", file=sys.stderr)

    print("## usdt benchmarks\n")
    print("| Setup | |\n|---|---|")
    for name, value in facts:
        print(f"| {name} | {value} |")
    print(f"\n| Measure (median of {RUNS} runs) | Measured | Target | Older library |")
    print("|---|---|---|---|")
    for section, key, label, target, older in ROWS:
        if section not in measured:
            continue
        values = measured[section]
        value = values.get(key, "missing") if isinstance(values, dict) else values
        print(f"| {label} | {value} | {target} | {older} |")
    print(f"""
- Untraced: a loop of {ITERATIONS:,} iterations per run, each case in its own noinline
  function aligned to a 64-byte fetch block (-falign-loops=64), timed with clock_gettime;
  "over empty" subtracts the empty loop.
- Instructions: callgrind `--toggle-collect` on the loop's function at {COUNTED[0]:,} and
  {COUNTED[1]:,} iterations; the difference divided by {COUNTED[1] - COUNTED[0]:,} is exact.
- Enabled check as compiled: the loads that find the semaphore, its 16- or 32-bit read and the
  instructions up to the conditional jump, from objdump of the loop.
- Traced: {TRACED_FIRES:,} fires per run under one bpftrace counting every probe, the cases
  taking turns in each run; ns/fire is the traced loop's time over its fires, untraced loop
  time not subtracted; median, then the fastest and slowest run. The program counts its
  fires and bpftrace's count must equal it. Ratios: the median, fastest and slowest of the
  rounds' ratios, each round timing the cases one after the other.
- Batch bench: bench/bench_batch.c, one process; each of {RUNS} rounds (after one untimed)
  fires every case in turn, {BATCH_FIRES:,} times untraced, batched and LTTng-UST,
  {BATCH_SLOW_FIRES:,} times traced directly; ns/fire is the loop's time over its fires
  (a batched fire's share of the flushes included); median, fastest and slowest round;
  ratios are the rounds' ratios. Direct: bpftrace count() on the 5-byte nop site, and on
  the 1-byte one (int3) by forcing the header's site choice for that loop. Batched:
  usdt-record --count attached (or, in a build without it, bpftrace on the flush
  probe), every event counted. LTTng-UST: lttng-sessiond started for the run (or root's
  running one), one userspace channel of 8 x 1 MiB sub-buffers, the trace written under
  the build directory; 0 discarded events required. Consumer CPU: user and system time of
  usdt-record (or of LTTng's consumer daemon) over the run, per million events. Buffer
  memory: what the process's size and resident size grew by in the thread's first
  batched round.
- Enabled check of a usdt-dtrace header: bench/bench_dtrace_check.c compiled by gcc and
  clang -O2 against a header generated from bench_dtrace_check.d, its loops timed in
  turn ({ITERATIONS:,} iterations per run) and counted by callgrind as above.
- Providers: {PROVIDER_SAMPLES} fresh providers per probe count, destroyed outside the timed
  part; 1000 providers kept loaded together, once per run. Per provider: the mappings
  holding its probes (code and semaphores), and what the 1000 added to /proc/self/maps
  and /proc/self/fd, divided by 1000.
- Unload, reload: {PROVIDER_SAMPLES} loaded 10-probe providers, each unloaded then loaded
  again; median and interquartile range. With USDT_BENCH_LIBSTAPSDT=PATH (the older
  runtime-probe library's shared object, loaded with dlopen), each sample is followed by
  the same provider made, loaded, unloaded and loaded again with it.
- Compile: a provider file of {COMPILE_PROBES} probes of 0 to 6 arguments, headers from
  usdt-dtrace and from systemtap's dtrace, a unit including one and firing one probe,
  compiled (-c) {RUNS} times each, interleaved per compiler and level; median CPU
  seconds of the compiler's processes (user and system) and the ratio of the medians.
- Bindings: bench/bench_python.py, bench_ruby.rb, bench_node.js and bench_go.go through
  their binding on the build's libusdt, {BINDINGS['python'][0]:,} (Python, Ruby) or
  {BINDINGS['go'][0]:,} (Node.js, Go) iterations per untraced loop run (the language's
  empty loop subtracted), {BINDINGS['python'][1]:,} fires per traced run; ratios to the C
  dynamic USDT_FIRE of the same run. Go's heap allocations per untraced Fire from
  runtime.MemStats.""")
    sys.exit(1 if broken else 0)


if __name__ == "__main__":
    main()
