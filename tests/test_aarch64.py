"""The dynamic half on aarch64: test_dynamic_api.c cross-compiled and run
under qemu-user. It checks the generated object (notes, argument specs with
arguments 9 to 12 on the stack, semaphores inside .probes, stubs of nop and
ret) and fires probes with every argument count, unloaded and loaded. Then
test_ffi.c: usdt_probe_fire passing 0 to 12 arguments where aarch64 puts
them, dynamic probes, threads during unload/load (its static probes compile
disabled: the cross compiler has no sys/sdt.h)."""

import os
import re
import shutil
import subprocess
import sys

from tracing import SKIP, check, fail

root, sysroot, scratch = sys.argv[1:4]
libdir = os.path.join(sysroot, "usr/lib/aarch64-linux-gnu")

missing = [tool for tool in ("aarch64-linux-gnu-gcc", "qemu-aarch64") if not shutil.which(tool)]
if not os.path.exists(os.path.join(libdir, "libelf.a")):
    missing.append(f"arm64 libelf.a in {libdir} (run.sh test fetches it)")
if missing:
    if os.environ.get("CI") == "true":
        fail(f"aarch64 test needs {', '.join(missing)}")
    print(f"SKIP: aarch64 test needs {', '.join(missing)}")
    sys.exit(SKIP)

os.makedirs(scratch, exist_ok=True)
binary = os.path.join(scratch, "test_dynamic_api.aarch64")
build = subprocess.run(
    ["aarch64-linux-gnu-gcc", "-std=c99", "-O2", "-g", "-Wall", "-Wextra", "-Wpedantic", "-Werror",
     "-static", f"-I{root}", os.path.join(root, "tests/test_dynamic_api.c"),
     os.path.join(root, "usdt_dynamic.c"), f"-L{libdir}", "-lelf", "-lz", "-lpthread",
     "-o", binary], capture_output=True, text=True)
check(build.returncode == 0, f"cross build failed:\n{build.stderr}")

# qemu-user cannot install seccomp filters, so the memfd fallback is left
# to the native run.
run = subprocess.run(["qemu-aarch64", binary, "--no-seccomp"], capture_output=True, text=True,
                     timeout=300)
print(run.stdout, end="")
check(run.returncode == 0 and "ok: 0 failures" in run.stdout,
      f"aarch64 run failed ({run.returncode}):\n{run.stdout}\n{run.stderr}")

# The calls for bindings (test_ffi.c wants the project version from meson).
with open(os.path.join(root, "meson.build")) as f:
    version = re.search(r"version : '([^']+)'", f.read()).group(1)
ffi_binary = os.path.join(scratch, "test_ffi.aarch64")
build = subprocess.run(
    ["aarch64-linux-gnu-gcc", "-std=c99", "-O2", "-g", "-Wall", "-Wextra", "-Wpedantic", "-Werror",
     "-static", f"-I{root}", f'-DUSDT_PROJECT_VERSION="{version}"',
     os.path.join(root, "tests/test_ffi.c"), os.path.join(root, "usdt_dynamic.c"),
     f"-L{libdir}", "-lelf", "-lz", "-lpthread", "-o", ffi_binary], capture_output=True, text=True)
check(build.returncode == 0, f"cross build of test_ffi failed:\n{build.stderr}")
run = subprocess.run(["qemu-aarch64", ffi_binary], capture_output=True, text=True, timeout=300)
print(run.stdout, end="")
check(run.returncode == 0 and run.stdout.startswith("ok: "),
      f"aarch64 test_ffi failed ({run.returncode}):\n{run.stdout}\n{run.stderr}")
