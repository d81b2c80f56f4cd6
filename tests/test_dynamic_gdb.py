"""gdb attached to a live process sees its dynamic probes (through gdb's JIT
interface): `info probes` lists them, `break -probe-stap` stops on one with
the right $_probe_argN."""

import os
import re
import shutil
import subprocess
import sys

import tracing
from tracing import check

target_binary = os.path.abspath(sys.argv[1])
if shutil.which("gdb") is None or os.geteuid() != 0:
    problem = "gdb is not installed" if shutil.which("gdb") is None else "not running as root"
    if os.environ.get("CI") == "true":
        tracing.fail(f"gdb is required under CI=true: {problem}")
    print(f"SKIP: {problem}")
    sys.exit(tracing.SKIP)

target = subprocess.Popen([target_binary], stdout=subprocess.PIPE, text=True)
try:
    first = target.stdout.readline()
    match = re.match(r"pid=(\d+) path=(\S+) foreign_kept=(\d)", first)
    check(match is not None, f"the target printed {first!r}")
    pid, path, foreign_kept = match.group(1), match.group(2), match.group(3)
    check(foreign_kept == "1", "loading and unloading dropped another JIT's entry")
    gdb = subprocess.run(
        ["gdb", "-nx", "-batch", "-p", pid,
         "-ex", "info probes stap gdb_jit",
         "-ex", "break -probe-stap gdb_jit:hit",
         "-ex", "continue", "-ex", "print $_probe_arg0", "-ex", "x/s $_probe_arg1",
         "-ex", "continue", "-ex", "print $_probe_arg0",
         "-ex", "kill"],
        capture_output=True, text=True, timeout=tracing.TIMEOUT)
finally:
    if target.poll() is None:
        target.kill()
    target.wait()
out = gdb.stdout
check(re.search(r"^stap\s+gdb_jit\s+hit\s+0x", out, re.M) is not None,
      f"info probes does not list gdb_jit:hit:\n{out}\n{gdb.stderr}")
check(out.count("Breakpoint 1, ") == 2, f"gdb did not stop twice at the probe:\n{out}")
values = [int(v) for v in re.findall(r"^\$\d+ = (-?\d+)$", out, re.M)]
check(len(values) == 2 and values[1] == values[0] + 1,
      f"$_probe_arg0 is not the counter the target fires: {values}\n{out}")
check(re.search(r':\s+"jit text"$', out, re.M) is not None,
      f"$_probe_arg1 is not the string the target fires:\n{out}")
print(f"ok: gdb listed the dynamic probe of {path}, stopped on it twice, "
      f"$_probe_arg0 {values[0]} then {values[1]}, $_probe_arg1 \"jit text\"")
