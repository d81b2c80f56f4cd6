"""Dynamic providers under systemd's SystemCallFilter=@system-service: a
program loading, firing, unloading and reloading a provider is not killed.
The set comes from `systemd-analyze syscall-filter`, the system call numbers
from the C library's headers; test_dynamic_safety installs the filter (kill
the process on any other system call).

    test_seccomp_systemd.py TEST_DYNAMIC_SAFETY SCRATCH CC..."""

import os
import re
import shutil
import subprocess
import sys

from tracing import SKIP, check, fail

program, scratch, *cc = sys.argv[1:]
if shutil.which("systemd-analyze") is None:
    if os.environ.get("CI") == "true":
        fail("systemd-analyze (package systemd) is required under CI=true")
    print("SKIP: systemd-analyze is not installed")
    sys.exit(SKIP)

listing = subprocess.run(["systemd-analyze", "syscall-filter"], capture_output=True, text=True,
                         check=True).stdout
groups, group = {}, None
for line in listing.splitlines():
    entry = line.strip()
    if not entry or entry.startswith("#"):
        continue
    if not line.startswith(" "):
        group = groups.setdefault(entry, [])
    else:
        group.append(entry)


def expand(name):
    names = set()
    for entry in groups.get(name, []):
        names |= expand(entry) if entry.startswith("@") else {entry}
    return names


allowed = expand("@system-service")
check(len(allowed) > 100, f"@system-service has {len(allowed)} system calls")
macros = subprocess.run(cc + ["-E", "-dM", "-include", "sys/syscall.h", "-x", "c", "/dev/null"],
                        capture_output=True, text=True, check=True).stdout
numbers = dict(re.findall(r"^#define __NR_(\w+) (\d+)$", macros, re.M))
known = sorted(int(numbers[name]) for name in allowed if name in numbers)
print(f"@system-service: {len(allowed)} names, {len(known)} on this architecture; "
      f"uname {'uname' in allowed}, prctl {'prctl' in allowed}, "
      f"memfd_create {'memfd_create' in allowed}, flock {'flock' in allowed}")
run = subprocess.run([program, scratch, "seccomp"] + [str(n) for n in known])
shutil.rmtree(scratch, ignore_errors=True)
sys.exit(run.returncode)
