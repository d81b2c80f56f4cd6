"""Two providers of the same name and probes, loaded in one process, both
work under a tracer: each has a file of its own, so the kernel raises the
semaphores of both (it counts a probe's tracers in one mapping per process
for each file), and every fire of each is counted.

Two processes each load the provider "twin" twice; each instance fires N
times, the second 2N.

  path: the first instances share one file, the second instances another;
        the system's bpftrace attached by path to both files, without -p,
        counts N and 2N fires per process. A reload of the first instance
        keeps its file; once the processes are gone a reclaim removes both.
  pid:  bpftrace 0.27 (Debian unstable's, fetched by tests/debian.py into
        $USDT_DEBIAN_CACHE, else BUILD_ROOT/debian, as the tracer matrix
        does) run as bpftrace -p PID on usdt:*:twin:tick counts N fires of
        the first instance's file and 2N of the second's in that process.
        (bpftrace 0.17 -p resolves a provider and probe name to the first
        object of the process that has it, through bcc, and enables only
        that one.)

    test_twin_providers.py TEST_DYNAMIC_SAFETY SCRATCH BUILD_ROOT path|pid"""

import os
import re
import shutil
import subprocess
import sys

import debian
import tracing
from tracing import bpftrace_start, check, fail, require_tracer

require_tracer()
program, scratch, build_root, mode = sys.argv[1:5]
shutil.rmtree(scratch, ignore_errors=True)
os.makedirs(scratch)
FIRES = 100
running = []  # processes to kill if the test fails


class Holder:
    def __init__(self):
        self.proc = subprocess.Popen([program, scratch, "hold", "twin", "2"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        running.append(self.proc)
        line = self.proc.stdout.readline()
        match = re.match(r"ready pid=(\d+) path=(\S+) path=(\S+)$", line)
        check(match is not None, f"holder: {line!r}")
        self.pid, self.paths = int(match.group(1)), [match.group(2), match.group(3)]

    def do(self, command):
        """Send command; the first instance's path and whether each instance
        is enabled, as the holder replies."""
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        reply = self.proc.stdout.readline().split()
        check(reply and reply[0] == "done", f"{command} in {self.pid}: {reply}")
        return reply[1], reply[2:]


def by_path(holders):
    first, second = holders[0].paths
    tracer = bpftrace_start(f"usdt:{first}:twin:tick {{ @first[arg0] = count(); }}\n"
                            f"usdt:{second}:twin:tick {{ @second[arg0] = count(); }}")
    running.append(tracer)
    check(tracer.attached, f"bpftrace did not attach: {''.join(tracer.early_output)}")
    for h in holders:
        _, enabled = h.do(f"fire {FIRES}")
        check(enabled == ["1", "1"], f"instances enabled in {h.pid}: {enabled}")
    path, enabled = holders[0].do("unload")
    check(path == "(null)" and enabled == ["0", "1"], f"after unload: {path} {enabled}")
    path, enabled = holders[0].do("load")
    check(path == first, f"the first instance moved to {path} on reload")
    holders[0].do(f"fire {FIRES}")
    out = tracing.bpftrace_interrupt(tracer)
    counts = {name: {int(k): int(v) for k, v in
                     re.findall(rf"^@{name}\[(\d+)\]: (\d+)$", out, re.M)}
              for name in ("first", "second")}
    a, b = holders[0].pid, holders[1].pid
    expected = {"first": {a: 2 * FIRES, b: FIRES}, "second": {a: 4 * FIRES, b: 2 * FIRES}}
    check(counts == expected, f"bpftrace counted {counts}, expected {expected}:\n{out}")
    print(f"bpftrace by path counted {counts} in two processes with two instances each")


def by_pid(holders):
    try:
        cache = os.environ.get("USDT_DEBIAN_CACHE", os.path.join(build_root, "debian"))
        argv = debian.fetch(cache, "sid", ["bpftrace"]).command("usr/bin/bpftrace")
    except (debian.FetchError, OSError) as error:
        if os.environ.get("CI") == "true":
            fail(f"bpftrace 0.27 is required under CI=true but cannot be fetched: {error}")
        print(f"SKIP: cannot fetch bpftrace from Debian sid: {error}")
        sys.exit(tracing.SKIP)
    traced = holders[0]
    tracer = bpftrace_start("usdt:*:twin:tick { @fires[pid, probe] = count(); }",
                            pid=traced.pid, bpftrace=argv)
    running.append(tracer)
    check(tracer.attached, f"bpftrace did not attach: {''.join(tracer.early_output)}")
    _, enabled = traced.do(f"fire {FIRES}")
    check(enabled == ["1", "1"], f"instances enabled in {traced.pid}: {enabled}")
    out = tracing.bpftrace_interrupt(tracer)
    counts = {(int(pid), os.path.basename(probe.split(":")[1])): int(n) for pid, probe, n in
              re.findall(r"^@fires\[(\d+), (\S+)\]: (\d+)$", out, re.M)}
    expected = {(traced.pid, os.path.basename(traced.paths[0])): FIRES,
                (traced.pid, os.path.basename(traced.paths[1])): 2 * FIRES}
    check(counts == expected, f"bpftrace -p counted {counts}, expected {expected}:\n{out}")
    print(f"bpftrace 0.27 -p {traced.pid} counted {counts}")


try:
    holders = [Holder(), Holder()]
    check(holders[0].paths[0] != holders[0].paths[1],
          f"both instances in one process map {holders[0].paths[0]}")
    check(holders[1].paths == holders[0].paths,
          f"the instances of two processes differ: {holders[0].paths} {holders[1].paths}")
    {"path": by_path, "pid": by_pid}[mode](holders)
    for h in holders:
        h.proc.stdin.write("exit\n")
        h.proc.stdin.flush()
        check(h.proc.wait(timeout=30) == 0, f"holder {h.pid} failed")
    out = subprocess.run([program, scratch, "reclaim"], capture_output=True, text=True,
                         check=True).stdout
    check(out.split()[1] == "2", f"reclaim after the holders: {out}")
    check(not os.listdir(scratch), f"left: {os.listdir(scratch)}")
except subprocess.TimeoutExpired as error:
    fail(f"timed out: {error}")
finally:
    for p in running:
        if p.poll() is None:
            p.kill()
            p.wait()
    shutil.rmtree(scratch, ignore_errors=True)
