#!/usr/bin/env python3
"""Run an example under bpftrace and show what the tracer saw.

    examples/run.py NAME [BINARY]

NAME is hello, randist, latency, runtime_names, mixed or on_demand. BINARY is
the built example (default: the newest build*/examples/NAME in the
repository); the script is examples/NAME.bt. This builds nothing and needs
root, bpftrace and tracefs at /sys/kernel/tracing.

The example runs in its bounded mode (--count N): it waits for the tracer,
does a fixed amount of work and fires the probe the script exits on (for
runtime_names, whose script has none, this presses Ctrl-C on bpftrace once
the program is done). The tests (test_examples.py) run the same code through
run().
"""

import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TIMEOUT = 120

# The bounded-mode arguments of each example.
ARGUMENTS = {
    "hello": ["--count", "5"],
    "randist": ["--count", "1000"],
    "latency": ["--count", "500"],
    "runtime_names": ["--count", "50", "shop", "login", "search", "checkout"],
    "mixed": ["--count", "3"],
    "on_demand": ["--count", "5"],
}

# What an example prints for the tracer: "  bpftrace examples/NAME.bt ARG...".
TRACE_LINE = r"^\s*bpftrace \S+\.bt((?: \S+)+)\s*$"


class Failure(Exception):
    pass


class Program:
    """An example program, its stdout read line by line as it comes."""

    def __init__(self, argv):
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     text=True)
        # One CPU: bpftrace's printf output comes through per-CPU buffers, so
        # lines of a program that moved between CPUs could come out of order.
        # Pinning it this late is fine: it fires nothing before a tracer is on.
        os.sched_setaffinity(self.proc.pid, {min(os.sched_getaffinity(0))})
        self.lines = []
        self.seen = 0
        self.ended = False
        self.changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            with self.changed:
                self.lines.append(line.rstrip("\n"))
                self.changed.notify_all()
        with self.changed:
            self.ended = True
            self.changed.notify_all()

    def wait_for(self, pattern):
        """The match of the next line matching pattern."""
        deadline = time.monotonic() + TIMEOUT
        with self.changed:
            while True:
                while self.seen < len(self.lines):
                    match = re.search(pattern, self.lines[self.seen])
                    self.seen += 1
                    if match:
                        return match
                left = deadline - time.monotonic()
                if self.ended or left <= 0:
                    raise Failure(f"the program never printed /{pattern}/; it printed:\n"
                                  + "\n".join(self.lines))
                self.changed.wait(left)

    def finish(self, stop=None):
        """Wait for the program to exit (after sending stop, if given)."""
        if stop is not None and self.proc.poll() is None:
            self.proc.send_signal(stop)
        try:
            self.proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            raise Failure("the program did not exit")
        with self.changed:
            while not self.ended:
                self.changed.wait()
        if self.proc.returncode != 0:
            raise Failure(f"the program exited with {self.proc.returncode}; it printed:\n"
                          + "\n".join(self.lines))

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class Tracer:
    """bpftrace running a script until the script calls exit() or gets Ctrl-C."""

    def __init__(self, script, arguments):
        self.argv = ["bpftrace", script] + arguments
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.stdout = ""

    def finish(self, program, stop_when_program_exits=False):
        """Wait for bpftrace to exit; give up if the program fails first. A
        script that has no exit() of its own gets Ctrl-C once the program
        is done, as a person would press it."""
        deadline = time.monotonic() + TIMEOUT
        stopped = False
        while True:
            try:
                out, err = self.proc.communicate(timeout=0.1)
                break
            except subprocess.TimeoutExpired:
                pass
            status = program.proc.poll()
            if status not in (None, 0):
                raise Failure(f"the program exited with {status}; it printed:\n"
                              + "\n".join(program.lines))
            if status == 0 and stop_when_program_exits and not stopped:
                self.proc.send_signal(signal.SIGINT)
                stopped = True
            if time.monotonic() > deadline:
                self.kill()
                raise Failure(f"bpftrace did not exit within {TIMEOUT} s")
        if self.proc.returncode != 0 or not out.startswith("Attaching "):
            raise Failure(f"{' '.join(self.argv)} failed ({self.proc.returncode}):\n{out}{err}")
        # What the script printed: without the "Attaching N probes..." line
        # and the blank lines bpftrace puts around its map printout.
        self.stdout = out.split("\n", 1)[1].strip("\n") + "\n"

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


class Result:
    def __init__(self, program, tracer):
        self.program_argv = program.proc.args
        self.program_lines = program.lines
        self.tracer_argv = tracer.argv
        self.output = tracer.stdout
        # For on_demand: the mappings of the process's provider objects, by stage.
        self.object_mappings = {}


# A provider's object: DIR/PROVIDER-BUILDID.so, or a memfd named usdt:PROVIDER.
OBJECT = re.compile(r"/memfd:usdt:|/[A-Za-z0-9_]+-[0-9a-f]{40}\.so$")


def object_mappings(pid):
    with open(f"/proc/{pid}/maps") as maps:
        return [line.split(None, 5)[-1].strip() for line in maps
                if OBJECT.search(line.rstrip("\n"))]


def run(name, binary, script=None):
    """Run the example under bpftrace; a Result, or Failure."""
    script = script or os.path.join(HERE, f"{name}.bt")
    program = Program([os.path.abspath(binary)] + ARGUMENTS[name])
    tracer = None
    try:
        if name == "on_demand":
            return run_on_demand(program, script)
        tracer = Tracer(script, program.wait_for(TRACE_LINE).group(1).split())
        # runtime_names.bt has no exit-on-done clause (see the script).
        tracer.finish(program, stop_when_program_exits=(name == "runtime_names"))
        program.finish()
        return Result(program, tracer)
    finally:
        program.kill()
        if tracer:
            tracer.kill()


def run_on_demand(program, script):
    """Load the probes with SIGUSR1, trace them, unload them with SIGUSR1,
    noting the provider object mappings before, during and after."""
    pid = int(program.wait_for(r"kill -USR1 (\d+)").group(1))
    before = object_mappings(pid)
    os.kill(pid, signal.SIGUSR1)
    tracer = Tracer(script, program.wait_for(TRACE_LINE).group(1).split())
    try:
        loaded = object_mappings(pid)
        tracer.finish(program)
    finally:
        tracer.kill()
    os.kill(pid, signal.SIGUSR1)
    program.wait_for(r"^probes unloaded$")
    after = object_mappings(pid)
    program.finish(stop=signal.SIGTERM)
    result = Result(program, tracer)
    result.object_mappings = {"before SIGUSR1": before, "after SIGUSR1": loaded,
                             "after a second SIGUSR1": after}
    return result


def find_binary(name):
    candidates = glob.glob(os.path.join(HERE, "..", "build*", "examples", name))
    candidates = [c for c in candidates if os.access(c, os.X_OK)]
    if not candidates:
        raise Failure(f"no build*/examples/{name} in the repository: build it, or give its path")
    return max(candidates, key=os.path.getmtime)


def short(path):
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def report(name, result):
    """What the demonstration shows of a run: the two commands, what the
    tracer printed, and what the program said last."""
    lines = [f"$ {' '.join([short(result.program_argv[0])] + result.program_argv[1:])}",
             f"$ {' '.join(['bpftrace', short(result.tracer_argv[1])] + result.tracer_argv[2:])}",
             result.output.rstrip("\n")]
    for stage, mappings in result.object_mappings.items():
        lines.append(f"provider object mappings {stage}: {', '.join(mappings) or 'none'}")
    lines.append(f"({name}: {result.program_lines[-1]})")
    return "\n".join(lines) + "\n"


def main():
    if len(sys.argv) not in (2, 3) or sys.argv[1] not in ARGUMENTS:
        print(f"usage: {sys.argv[0]} {'|'.join(ARGUMENTS)} [BINARY]", file=sys.stderr)
        return 2
    name = sys.argv[1]
    if not os.path.exists("/sys/kernel/tracing/uprobe_events"):
        print(f"{name}: bpftrace needs tracefs: mount -t tracefs nodev /sys/kernel/tracing",
              file=sys.stderr)
        return 1
    try:
        binary = sys.argv[2] if len(sys.argv) == 3 else find_binary(name)
    except Failure as failure:
        print(f"{name}: FAILED: {failure}", file=sys.stderr)
        return 1
    # Dynamic providers' files in a directory of this run, next to the
    # binary, removed afterwards (none left in /run/usdt).
    objects = tempfile.mkdtemp(prefix="usdt-objects-", dir=os.path.dirname(os.path.abspath(binary)))
    os.environ["USDT_DIR"] = objects
    try:
        result = run(name, binary)
    except Failure as failure:
        print(f"{name}: FAILED: {failure}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(objects, ignore_errors=True)
    print(report(name, result), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
