"""Probes under a seccomp filter that kills the process on uname(), prctl()
and the uprobe system call (336), the calls a kit could use to learn the
kernel's abilities: the provider loads under the filter, the first traced
fire of a static probe and of a dynamic one choose their sites without
being killed, bpftrace counts every fire, and the provider unloads."""

import os
import sys

import sites
import tracing
from tracing import check

binary, directory = os.path.abspath(sys.argv[1]), sys.argv[2]
tracing.require_tracer()
FIRES = 500
target = sites.SitesTarget(binary, directory, "seccomp")
try:
    script = (f"usdt:{binary}:sites_target:kit_static {{ @s = count(); @ssum = sum(arg0); }}\n"
              f"usdt:{target.info['path']}:sites_target:kit_dynamic "
              f"{{ @d = count(); @dsum = sum(arg0); }}")
    tracer = tracing.bpftrace_start(script, target.pid)
    target.wait_semaphores(True, [0, 1])
    target.fire(FIRES)
    output = tracing.bpftrace_interrupt(tracer)
    for name in ("s", "d"):
        check(tracing.bpftrace_map(output, name) == FIRES, f"@{name} differs:\n{output}")
        check(tracing.bpftrace_map(output, name + "sum") == FIRES * (FIRES - 1) // 2,
              f"@{name}sum differs:\n{output}")
    check(target.command("unload") == "unloaded", "unload under the filter failed")
    status = target.quit()
    check(status == 0, f"sites_target under seccomp ended with {status} (-31: killed by SIGSYS)")
finally:
    target.kill()
print(f"ok: {FIRES} static and {FIRES} dynamic fires counted under the filter, unloaded")
