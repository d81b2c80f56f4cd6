"""Run test programs under real tracers (bpftrace, and a small libbpf tracer).

A target program follows the protocol of tests/target.h: it prints
"ready pid=N", waits for its semaphores to become nonzero, runs its workload,
fires a "done" probe, waits for its semaphores to return to zero and exits 0.

Outside CI, a machine that cannot run a tracer makes these tests skip (exit 77,
which meson reports as SKIP); with CI=true that is a failure.
"""

import os
import re
import shutil
import signal
import subprocess
import sys

SKIP = 77
TIMEOUT = 120


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def _tracer_problem():
    if os.geteuid() != 0:
        return "not running as root"
    if shutil.which("bpftrace") is None:
        return "bpftrace is not installed"
    if not os.path.isdir("/sys/bus/event_source/devices/uprobe"):
        return "the kernel has no uprobe event source"
    if not os.path.exists("/sys/kernel/tracing/uprobe_events"):
        # bpftrace needs tracefs for uprobes; mount it if the machine did not.
        subprocess.run(["mount", "-t", "tracefs", "nodev", "/sys/kernel/tracing"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not os.path.exists("/sys/kernel/tracing/uprobe_events"):
            return "tracefs is not mounted at /sys/kernel/tracing and cannot be"
    return None


def require_tracer():
    """Skip (or under CI=true, fail) when no tracer can run here."""
    problem = _tracer_problem()
    if problem is None:
        return
    if os.environ.get("CI") == "true":
        fail(f"a tracer is required under CI=true but cannot run: {problem}")
    print(f"SKIP: no tracer can run here: {problem}")
    sys.exit(SKIP)


class Target:
    """A running target program and what it printed."""

    def __init__(self, argv):
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stdin=subprocess.PIPE,
                                     text=True)
        self.lines = []
        while True:
            line = self.proc.stdout.readline()
            if not line:
                fail(f"{argv[0]} exited before it was ready: {self.lines}")
            self.lines.append(line.rstrip("\n"))
            match = re.match(r"ready pid=(\d+)", line)
            if match:
                self.pid = int(match.group(1))
                break
        # The line after "ready" reports the semaphores before any tracer.
        self.lines.append(self.proc.stdout.readline().rstrip("\n"))

    def value(self, key):
        """The text after 'key=' on the first line that has it."""
        for line in self.lines:
            match = re.search(rf"(?:^|\s){re.escape(key)}=(\S+)", line)
            if match:
                return match.group(1)
        fail(f"target printed no {key}=: {self.lines}")

    def semaphores(self, label):
        for line in self.lines:
            if line.startswith(label + ":"):
                return [int(v) for v in line.split(":", 1)[1].split()]
        fail(f"target printed no '{label}' line: {self.lines}")

    def check_semaphore_flips(self):
        """Every semaphore was 0 before the tracer, nonzero while attached
        and 0 again after it detached."""
        before, attached, detached = (self.semaphores(f"semaphores {when}")
                                      for when in ("before", "attached", "detached"))
        check(not any(before), f"semaphores before attach: {before}")
        check(all(attached), f"semaphores while attached: {attached}")
        check(not any(detached), f"semaphores after detach: {detached}")

    def go(self):
        """Tell the target that the tracer is attached (tests/target.h)."""
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()

    def finish(self):
        out, _ = self.proc.communicate(timeout=TIMEOUT)
        self.lines += out.splitlines()
        check(self.proc.returncode == 0,
              f"target exited with {self.proc.returncode}: {self.lines}")
        return self

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


BPFTRACE = ("bpftrace",)


def bpftrace_list(pid, bpftrace=BPFTRACE):
    """The USDT probes bpftrace (the argv that runs it) lists for a live process."""
    result = subprocess.run([*bpftrace, "-l", "usdt:*", "-p", str(pid)], capture_output=True,
                            text=True, timeout=TIMEOUT)
    check(result.returncode == 0, f"bpftrace -l failed: {result.stderr}")
    return result.stdout.splitlines()


# bpftrace prints this line once every probe is attached when the variable is
# set (its own test harness relies on it): on stderr up to 0.22, on stdout from
# 0.23 (bpftrace commit 3b0b4704b, "Change bpftrace flag outputs from stderr
# to stdout"). Both streams are read as one.
NOTIFY = "__BPFTRACE_NOTIFY_PROBES_ATTACHED"


def bpftrace_start(script, pid=None, target=None, bpftrace=BPFTRACE, args=()):
    """Start bpftrace (the argv that runs it) on a script; with pid, as
    bpftrace -p PID. Returns once every probe is attached, after telling
    target (one Target or a list of them) to go."""
    argv = [*bpftrace, *args] + (["-p", str(pid)] if pid else []) + ["-e", script]
    env = dict(os.environ, **{NOTIFY: "1"})
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env)
    proc.early_output, proc.attached = [], False
    for line in proc.stdout:
        if line.startswith(NOTIFY):
            proc.attached = True
            break
        proc.early_output.append(line)
    targets = target if isinstance(target, list) else [target] if target else []
    for each in targets:
        each.go()
    return proc


def bpftrace_finish(proc):
    """Wait for a bpftrace started by bpftrace_start to exit; its output
    (stdout and stderr)."""
    try:
        out, _ = proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
    out = "".join(proc.early_output) + out
    check(proc.returncode == 0, f"bpftrace failed ({proc.returncode}):\n{out}")
    # "Attaching N probes..." up to 0.25, "Attached N probes" from 0.26.
    check(re.search(r"^Attach(ing|ed) \d+ probe", out, re.M) is not None,
          f"bpftrace did not attach:\n{out}")
    return out


def bpftrace_interrupt(proc):
    """Stop a bpftrace started by bpftrace_start; its output. SIGINT again
    every few seconds: a bpftrace 0.17 with nothing to print now and then
    misses one (seen under load and in qemu guests) and waits on."""
    for _ in range(TIMEOUT // 5):
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=5)
            break
        except subprocess.TimeoutExpired:
            pass
    return bpftrace_finish(proc)


def bpftrace_run(script, pid=None, target=None, bpftrace=BPFTRACE):
    """Run a bpftrace script until it exits; its output."""
    return bpftrace_finish(bpftrace_start(script, pid, target, bpftrace))


def trace_process(proc, script, go=True):
    """Run bpftrace on script while proc (a Popen with stdout piped, and
    stdin piped when go) runs; once every probe is attached, tell proc "go".
    Returns (bpftrace's output, the rest of proc's output); on any failure
    neither is left running."""
    bpftrace = None
    try:
        bpftrace = bpftrace_start(script)
        if go:
            proc.stdin.write("go\n")
            proc.stdin.flush()
        out = bpftrace_finish(bpftrace)
        rest, _ = proc.communicate(timeout=TIMEOUT)
    finally:
        for p in (proc, bpftrace):
            if p and p.poll() is None:
                p.kill()
    return out, rest


def lines_starting(output, prefix):
    """The words after prefix of each line of output that starts with it."""
    return [line[len(prefix):].split() for line in output.splitlines() if line.startswith(prefix)]


def bpftrace_map(output, name):
    """The value of a scalar map such as '@fires: 123' in bpftrace's output."""
    match = re.search(rf"^@{re.escape(name)}: (-?\d+)$", output, re.M)
    check(match is not None, f"bpftrace printed no @{name}:\n{output}")
    return int(match.group(1))


def libbpf_trace(tracer, bpf_object, target, path, probe, stop, strings_mask=0, quiet=False):
    """Run the libbpf tracer on probe (provider, name) until stop fires.

    Returns (fires, count, dropped): the argument lists printed for each fire
    (strings as str, numbers as int), the count the BPF side kept and drops."""
    argv = [tracer, bpf_object, str(target.pid), path, probe[0], probe[1], stop[0], stop[1],
            "--strings", str(strings_mask)]
    if quiet:
        argv.append("--quiet")
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = proc.stdout.readline()
    if first == "attached\n":
        target.go()
    try:
        # The tracer gives up by itself after 120 s; wait a little longer.
        out, err = proc.communicate(timeout=TIMEOUT + 30)
    finally:
        if proc.poll() is None:
            proc.kill()
    check(proc.returncode == 0,
          f"libbpf tracer failed ({proc.returncode}):\n{first}{out}\n{err}")
    fires, count, dropped = [], None, None
    for line in out.splitlines():
        if line.startswith("fire "):
            fires.append([_parse_arg(a) for a in _split_args(line[5:])][1:])
        elif line.startswith("count "):
            _, count, _, dropped = line.split()
    check(count is not None, f"libbpf tracer printed no count:\n{out}")
    return fires, int(count), int(dropped)


def _split_args(text):
    return re.findall(r'"(?:[^"\\]|\\.)*"|\S+', text)


def _parse_arg(token):
    """A quoted, escaped string; '?' for an argument the tracer could not
    read (None); else a number."""
    if token.startswith('"'):
        return token[1:-1].encode().decode("unicode_escape")
    return None if token == "?" else int(token)


def run_traced(argv, trace):
    """Start a target, let trace(target) attach a tracer and return its
    result, then collect the target's output. Returns (target, result)."""
    target = Target(argv)
    try:
        result = trace(target)
        target.finish()
    finally:
        target.kill()
    return target, result
