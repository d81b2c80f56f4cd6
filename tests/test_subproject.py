"""The kit as a meson subproject: a consumer project with this repository in
subprojects/usdt writes dependency('usdt') and dependency('usdt-dynamic') and
find_program('usdt-dtrace'), builds, installs nothing of the kit, and its
static and dynamic probes are traced by bpftrace."""

import os
import shutil
import subprocess
import sys

import tracing
from tracing import check

root, scratch = sys.argv[1:3]
tracing.require_tracer()

project = os.path.join(scratch, "consumer")
shutil.rmtree(project, ignore_errors=True)
shutil.copytree(os.path.join(root, "tests", "consumer"), project)
# The kit's repository as a user checks it out under subprojects/.
kit = os.path.join(project, "subprojects", "usdt")
shutil.copytree(root, kit, ignore=shutil.ignore_patterns(".git", "build*", "__pycache__"))

build = os.path.join(project, "build")
for argv in (["meson", "setup", build, project], ["meson", "compile", "-C", build]):
    result = subprocess.run(argv, capture_output=True, text=True)
    check(result.returncode == 0, f"{' '.join(argv)} failed:\n{result.stdout}\n{result.stderr}")

# The kit installs nothing as a subproject (the consumer itself installs nothing).
destdir = os.path.join(scratch, "destdir")
shutil.rmtree(destdir, ignore_errors=True)
result = subprocess.run(["meson", "install", "-C", build, "--destdir", destdir],
                        capture_output=True, text=True)
check(result.returncode == 0, f"meson install failed:\n{result.stdout}\n{result.stderr}")
installed = [os.path.join(d, f) for d, _, files in os.walk(destdir) for f in files]
check(not installed, f"the kit as a subproject installed {installed}")

binary = os.path.join(build, "consumer")
proc = subprocess.Popen([binary], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
try:
    path = proc.stdout.readline().strip().split("=", 1)[1]
    out, rest = tracing.trace_process(proc, f"""
        usdt:{binary}:consumer:tick {{ @static = count(); @static_sum = sum(arg0); }}
        usdt:{path}:consumer_dynamic:tick {{ @dynamic = count(); @dynamic_sum = sum(-arg0); }}
        usdt:{binary}:consumer:done {{ exit(); }}""")
finally:
    if proc.poll() is None:
        proc.kill()
check(proc.returncode == 0, f"consumer exited with {proc.returncode}")
# The program built from a .d file through the subproject's usdt-dtrace.
notes = subprocess.run(["readelf", "-n", os.path.join(build, "from_d")], capture_output=True,
                       text=True).stdout
check("Provider: consumer_d" in notes and "Name: started" in notes,
      f"from_d has no consumer_d:started note:\n{notes}")
check("fired=100" in rest, f"consumer did not fire while traced: {rest}")
for kind in ("static", "dynamic"):
    check(tracing.bpftrace_map(out, kind) == 100, f"bpftrace counted {kind} fires wrongly:\n{out}")
    check(tracing.bpftrace_map(out, f"{kind}_sum") == 4950, f"{kind} values differ:\n{out}")
print("ok: a meson consumer of the subproject built, and bpftrace traced its probes")
