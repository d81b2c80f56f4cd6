"""Dynamic probes traced in a live process: by bpftrace mixed with static
probes (values, counts, semaphores, unload and reload while traced), and by
the libbpf tracer (all 12 arguments)."""

import os
import subprocess
import sys

import tracing
from tracing import check

target_binary, tracer, bpf_object = (os.path.abspath(a) for a in sys.argv[1:4])
tracing.require_tracer()
PROVIDER = "plugin_route_7"  # a name known only at run time


def mixed():
    target = tracing.Target([target_binary, PROVIDER, "mixed"])
    path = target.value("path")
    listing = subprocess.run(["bpftrace", "-l", f"usdt:{path}:*"], capture_output=True,
                             text=True, timeout=tracing.TIMEOUT).stdout.split()
    dyn, sta = f"usdt:{path}:{PROVIDER}", f"usdt:{target_binary}:usdt_mixed"
    first = tracing.bpftrace_start(f"""
        {dyn}:values {{ printf("values %ld %ld %ld %ld %ld %s\\n",
                                arg0, arg1, arg2, arg3, arg4, str(arg5)); }}
        {dyn}:counted {{ @dynamic = count(); @dynamic_sum = sum(arg0); }}
        {sta}:counted {{ @static = count(); @static_sum = sum(arg0); }}
        {sta}:done {{ exit(); }}""", target=target)
    second = None
    try:
        for line in target.proc.stdout:
            target.lines.append(line.rstrip("\n"))
            if line.startswith("reloaded_enabled="):
                second = tracing.bpftrace_start(f"""
                    usdt:{target.value("reloaded_path")}:{PROVIDER}:counted {{ @reloaded = count(); }}
                    {sta}:done {{ exit(); }}""", target=target)
        target.finish()
        check(second is not None, f"target never reloaded: {target.lines}")
        outputs = [tracing.bpftrace_finish(p) for p in (first, second)]
    finally:
        target.kill()
        for p in (first, second):
            if p and p.poll() is None:
                p.kill()
    return target, listing, outputs[0], outputs[1]


def check_mixed(backing):
    """Run mixed() with the provider's object in a named file (USDT_DIR from
    the test's environment) or in a memfd, and check what bpftrace saw."""
    os.environ["USDT_DIR"] = backing
    target, listing, output, reloaded_output = mixed()
    named = backing != "memfd"
    path = target.value("path")
    check(path.startswith(backing + "/") if named else path.startswith(f"/proc/{target.pid}/fd/"),
          f"the {backing} backing has path {path}")
    check_output(target, listing, output, reloaded_output, named)


def check_output(target, listing, output, reloaded_output, named):
    # A named file is the same file after a reload: the first tracer, attached
    # to its path, sees the reloaded provider as well. A memfd is a new file.
    reloaded = int(target.value("reloaded_fired"))
    for name in ("values", "counted"):
        check(f"usdt:{target.value('path')}:{PROVIDER}:{name}" in listing,
              f"bpftrace -l does not list {PROVIDER}:{name}: {listing}")
    check(target.value("untraced") == "0", "a gated dynamic fire evaluated its arguments untraced")
    target.check_semaphore_flips()

    values = tracing.lines_starting(output, "values ")
    check(values == [
        ["-128", "255", "-2147483648", "4294967295", "-9223372036854775808", "dynamic", "hello"],
        ["127", "0", "2147483647", "0", "9223372036854775807", "second"],
    ], f"dynamic argument values differ: {values}")

    for kind in ("dynamic", "static"):
        fired = int(target.value(f"{kind}_fired"))
        check(fired == 20000, f"the target fired {kind} probes {fired} times")
        seen = fired + (reloaded if named and kind == "dynamic" else 0)
        check(tracing.bpftrace_map(output, kind) == seen,
              f"bpftrace counted {tracing.bpftrace_map(output, kind)} {kind} fires, not {seen}")
        check(tracing.bpftrace_map(output, f"{kind}_sum") ==
              fired * (fired + 1) // 2 + (reloaded * (reloaded + 1) // 2 if seen != fired else 0),
              f"{kind} argument sum differs")
    # Stubs are 5- or 10-byte nops where usdt.h's rule says the kernel
    # optimizes them: there, and only there, a trampoline.
    optimized = target.value("site") in ("5", "10")
    check(target.value("trampoline") == ("yes" if optimized else "no"),
          f"kernel {os.uname().release}: stubs nop{target.value('site')}, "
          f"trampoline {target.value('trampoline')}")
    check(target.value("unloaded_enabled") == "0", "an unloaded probe reads as enabled")
    check(target.value("fired_unloaded") == "0", "an unloaded probe evaluated its arguments")
    check(target.value("path_unloaded") == "none", "an unloaded provider still has a path")
    check(target.value("reloaded_enabled") == ("1" if named else "0"),
          "a reloaded probe's semaphore does not show the tracers attached to its file")
    check(tracing.bpftrace_map(reloaded_output, "reloaded") == reloaded == 500,
          "the tracer on the reloaded provider counted a different number")
    print(f"ok: bpftrace: {fired} dynamic and static fires each, values exact, unload and "
          f"reload while traced ({reloaded} fires after reload), "
          f"{'named file' if named else 'memfd'}")


check_mixed(os.environ["USDT_DIR"])
check_mixed("memfd")


def values12(target):
    return tracing.libbpf_trace(tracer, bpf_object, target, target.value("path"),
                                (PROVIDER, "values12"), (PROVIDER, "done"),
                                strings_mask=1 << 9)


target, (fires, count, dropped) = tracing.run_traced([target_binary, PROVIDER, "values12"],
                                                    values12)
text = int(target.value("text"), 16)
check(fires == [
    [-128, 255, -32768, 65535, -2147483648, 4294967295, -2**63, 2**64 - 1 - 2**64, text,
     "dynamic hello", 2**63 - 1, 0x0123456789abcdef],
    [127, 0, 32767, 0, 2147483647, 0, 2**63 - 1, 0, 0, "", -1, 1],
], f"libbpf tracer saw different values: {fires}")
check(count == 2 and dropped == 0, f"libbpf tracer counted {count}, dropped {dropped}")
print("ok: libbpf tracer: all 12 arguments of a dynamic probe exact")
