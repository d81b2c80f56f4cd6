"""A tracer attached by path to a provider's file keeps counting while other
processes load, unload, crash and reclaim around it; the file is removed
once no process holds it.

Three processes load the provider "kept" (one file, shared); bpftrace
attaches to that file's path without -p and counts fires per process while
60 short-lived processes load providers of their own (and "kept"), half of
them killed by SIGKILL while loaded, reclaims run, one holder unloads and
loads again and another is killed.

The last reclaim is the operator's command: python3 bindings/python/usdt.py
reclaim DIR.

    test_reclaim_tracer.py TEST_DYNAMIC_SAFETY SCRATCH LIBUSDT SOURCE_ROOT"""

import os
import re
import shutil
import signal
import subprocess
import sys

from tracing import bpftrace_finish, bpftrace_start, check, fail, require_tracer

require_tracer()
program, scratch, library, source_root = sys.argv[1:5]
shutil.rmtree(scratch, ignore_errors=True)
os.makedirs(scratch)


class Holder:
    def __init__(self):
        self.proc = subprocess.Popen([program, scratch, "hold", "kept"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        match = re.match(r"ready pid=(\d+) path=(\S+)", line)
        check(match is not None, f"holder: {line!r}")
        self.pid, self.path = int(match.group(1)), match.group(2)

    def do(self, command):
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        reply = self.proc.stdout.readline().split()
        check(reply and reply[0] == "done", f"{command} in {self.pid}: {reply}")
        return reply[1]

    def maps_inode(self):
        with open(f"/proc/{self.pid}/maps") as f:
            inodes = {int(line.split()[4]) for line in f if line.rstrip().endswith(self.path)}
        check(len(inodes) == 1, f"{self.pid} maps {self.path} as {inodes}")
        return inodes.pop()


def churn(first, count):
    for i in range(first, first + count):
        run = subprocess.run([program, scratch, "churn", f"tenant{i}", str(i % 2)])
        check(run.returncode in (0, -signal.SIGKILL), f"churn {i}: {run.returncode}")


def reclaim():
    out = subprocess.run([program, scratch, "reclaim"], capture_output=True, text=True,
                         check=True).stdout
    return int(out.split()[1])


holders, tracer = [], None
try:
    holders = [Holder(), Holder()]
    path = holders[0].path
    check(holders[1].path == path, f"two files for one provider: {holders[1].path}")
    tracer = bpftrace_start(f"usdt:{path}:kept:tick {{ @fires[arg0] = count(); }}")
    check(tracer.attached, f"bpftrace did not attach: {''.join(tracer.early_output)}")
    for h in holders:
        h.do("fire 100")
    churn(0, 30)
    reclaim()
    check(holders[0].do("unload") == "(null)", "a path after unload")
    churn(30, 10)
    check(holders[0].do("load") == path, "another file after reload")
    holders[0].do("fire 100")
    holders[0].proc.kill()
    holders[0].proc.wait()
    churn(40, 20)
    reclaim()
    check(os.path.exists(path), "the file of a live holder was removed")
    holders[1].do("fire 100")
    holders.append(Holder())  # loads after the crash and the reclaims
    check(holders[2].path == path, f"a new load went elsewhere: {holders[2].path}")
    holders[2].do("fire 50")
    for h in holders[1:]:
        check(h.maps_inode() == os.stat(path).st_ino, f"{path} no longer names what {h.pid} maps")
    files = [n for n in os.listdir(scratch) if n.endswith(".so")]
    check(len(files) <= 16, f"{len(files)} files with 3 providers held: {files}")
    tracer.send_signal(signal.SIGINT)
    out = bpftrace_finish(tracer)
    counts = {int(k): int(v) for k, v in re.findall(r"^@fires\[(\d+)\]: (\d+)$", out, re.M)}
    expected = {holders[0].pid: 200, holders[1].pid: 200, holders[2].pid: 50}
    check(counts == expected, f"bpftrace counted {counts}, expected {expected}:\n{out}")
    print(f"bpftrace by path counted {counts} across 60 processes loading, crashing and "
          f"reclaiming; {len(files)} files while held")
    for h in holders[1:]:
        h.proc.stdin.write("exit\n")
        h.proc.stdin.flush()
        check(h.proc.wait(timeout=30) == 0, f"holder {h.pid} failed")
    env = dict(os.environ, USDT_LIBRARY=os.path.abspath(library))
    # A library built with AddressSanitizer needs its runtime loaded first.
    asan = re.search(r"=> (\S*libasan\S*)", subprocess.run(["ldd", library], capture_output=True,
                                                           text=True).stdout)
    if asan:
        env.update(LD_PRELOAD=asan.group(1), ASAN_OPTIONS="detect_leaks=0")
    command = subprocess.run(
        [sys.executable, os.path.join(source_root, "bindings", "python", "usdt.py"), "reclaim",
         scratch], env=env, capture_output=True, text=True)
    check(command.returncode == 0, f"usdt.py reclaim: {command.stderr}")
    removed = int(command.stdout.split()[0])
    left = os.listdir(scratch)
    check(not left, f"left after the last holder: {left}")
    check(removed == 1, f"usdt.py reclaim removed {removed} files, expected the shared one")
    print(f"python3 usdt.py reclaim removed {removed} file")
except subprocess.TimeoutExpired as error:
    fail(f"timed out: {error}")
finally:
    for p in [h.proc for h in holders] + [tracer]:
        if p and p.poll() is None:
            p.kill()
            p.wait()
    shutil.rmtree(scratch, ignore_errors=True)
