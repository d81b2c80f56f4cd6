"""The shared library exports exactly the functions usdt.h declares with
USDT_API (every other symbol is hidden), and gdb's JIT interface, under the
soname libusdt.so.USDT_ABI_VERSION."""

import re
import subprocess
import sys

from tracing import check

library, header = sys.argv[1:3]
with open(header) as f:
    text = f.read()
declared = set(re.findall(r"^USDT_API [^(]*?\b(usdt_\w+)\(", text, re.M))
abi = re.search(r"^#define USDT_ABI_VERSION (\d+)$", text, re.M).group(1)
# The calls a binding needs, whatever else the header declares.
for name in ("usdt_abi_version", "usdt_probe_enabled", "usdt_probe_fire", "usdt_probe_semaphore",
             "usdt_provider_create", "usdt_probe_add", "usdt_provider_load",
             "usdt_provider_unload", "usdt_provider_destroy", "usdt_provider_path"):
    check(name in declared, f"usdt.h does not declare {name} with USDT_API")

symbols = subprocess.run(["nm", "-D", "--defined-only", library], capture_output=True,
                         text=True, check=True).stdout
types = {line.split()[-1]: line.split()[1] for line in symbols.splitlines()}
exported = {name for name, kind in types.items() if kind in "TtDdBbRrWwVv"}
# gdb finds loaded dynamic providers through its JIT interface, two symbols
# it looks up by name: one definition for the whole process, weak, so that a
# JIT compiler's own definition is the one every user shares.
jit_interface = {"__jit_debug_descriptor", "__jit_debug_register_code"}
check(all(types.get(name) in ("W", "V") for name in jit_interface),
      f"gdb's JIT interface is not exported weak: {[types.get(n) for n in jit_interface]}")
exported -= jit_interface
check(exported == declared,
      f"exported but not declared: {sorted(exported - declared)}; "
      f"declared but not exported: {sorted(declared - exported)}")

dynamic = subprocess.run(["readelf", "-d", library], capture_output=True, text=True,
                         check=True).stdout
soname = re.search(r"\(SONAME\)\s+Library soname: \[(.*)\]", dynamic)
check(soname and soname.group(1) == f"libusdt.so.{abi}",
      f"soname {soname.group(1) if soname else None}, expected libusdt.so.{abi}")
print(f"ok: libusdt exports the {len(exported)} USDT_API functions and nothing else; "
      f"soname {soname.group(1)}")
