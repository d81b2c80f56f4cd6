"""Static probes traced by bpftrace in a live process: listed, semaphores
flip on attach and detach, exact argument values, every fire counted, the
function that fired in the user stack, and, on kernels that optimize
uprobes, traced fires through the uprobe trampoline."""

import os
import sys

import tracing
from tracing import check

binary = os.path.abspath(sys.argv[1])
tracing.require_tracer()

PROBE = f"usdt:{binary}:usdt_test"
SCRIPT = f"""
{PROBE}:values {{ printf("values %ld %ld %ld %ld %ld %ld\\n", arg0, arg1, arg2, arg3, arg4, arg5); }}
{PROBE}:counted {{ @counted = count(); @sum = sum(arg0); }}
{PROBE}:counted /arg0 == 1/ {{ printf("caller %s\\n", ustack(2)); }}
{PROBE}:zero {{ @zero = count(); }}
{PROBE}:done {{ exit(); }}
"""


def trace(target):
    listing = tracing.bpftrace_list(target.pid)
    return listing, tracing.bpftrace_run(SCRIPT, target.pid, target)


target, (listing, output) = tracing.run_traced([binary], trace)

for name in ("values", "counted", "zero", "done"):
    check(any(line.endswith(f":usdt_test:{name}") for line in listing),
          f"bpftrace -l does not list usdt_test:{name}: {listing}")

check(target.value("untraced") == "0", "a gated fire evaluated its arguments while untraced")
target.check_semaphore_flips()

values = tracing.lines_starting(output, "values ")
check(values == [
    ["-128", "255", "-32768", "65535", "-2147483648", "4294967295"],
    ["127", "0", "32767", "0", "2147483647", "0"],
], f"argument values differ: {values}")

fired = int(target.value("fired"))
check(fired == 20000, f"the target fired {fired} times, expected 20000")
check(tracing.bpftrace_map(output, "counted") == fired, "bpftrace counted a different number")
check(tracing.bpftrace_map(output, "zero") == fired, "bpftrace counted a different number")
check(tracing.bpftrace_map(output, "sum") == fired * (fired + 1) // 2, "argument sum differs")
# USDT_FIRE fires in an out-of-line function; the stack still names the
# function that fired (through the fire function's frame pointer).
check("workload" in output.partition("caller")[2],
      f"no user stack of a fire names the firing function: {output}")
# Static sites are 5-byte nops where usdt.h's rule says the kernel optimizes
# them (and undoes it on detach): there, and only there, a trampoline.
nop5 = target.value("site") == "5"
check(target.value("trampoline") == ("yes" if nop5 else "no"),
      f"kernel {os.uname().release}: static sites nop{target.value('site')}, "
      f"trampoline {target.value('trampoline')}")
print(f"ok: {fired} fires counted, values exact, semaphores flipped, caller in the stack")
