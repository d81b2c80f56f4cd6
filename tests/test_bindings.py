"""The Python and Ruby bindings in live programs under bpftrace: probes
listed and attached, every value exact (64-bit extremes, narrow types,
strings), counts equal to the fires made while enabled, the latency helper,
errors raised with the library's message, unload and reload while traced;
for Python a thread pool, for Node.js worker threads and for Go goroutines
on their own OS threads, firing while another thread unloads.

    test_bindings.py python trace|threads|example LIBRARY SOURCE
    test_bindings.py ruby trace|example LIBRARY SOURCE
    test_bindings.py node trace|threads|example LIBRARY SOURCE MODULE
    test_bindings.py go trace|threads|example LIBRARY SOURCE SCRATCH

LIBRARY is the built libusdt.so, given to the bindings as USDT_LIBRARY;
MODULE the built usdt.node; SCRATCH a directory for the Go build.
"""

import os
import re
import subprocess
import sys

import tracing
from tracing import check

language, mode, library, source = sys.argv[1:5]
tracing.require_tracer()
# The target programs (started by tracing.Target with this environment) find
# the binding and the built library.
bindings = os.path.join(source, "bindings", language)
os.environ["USDT_LIBRARY"] = os.path.abspath(library)
extension = {"python": "py", "ruby": "rb", "node": "js", "go": "go"}[language]
target_program = os.path.join(source, "tests", f"{language}_target.{extension}")
example_program = os.path.join(bindings, "example/main.go" if language == "go"
                               else f"example.{extension}")
prefix = {"python": "py", "ruby": "rb"}.get(language, language)  # of provider names
if language == "python":
    os.environ["PYTHONPATH"] = bindings
    command, example_command = [sys.executable, target_program], [sys.executable, example_program]
elif language == "ruby":
    command = ["ruby", "-I", bindings, target_program]
    example_command = ["ruby", "-I", bindings, example_program]
elif language == "node":
    module = os.path.abspath(sys.argv[5])
    command, example_command = ["node", target_program, module], ["node", example_program, module]
else:
    import gobuild
    built = gobuild.build(source, library, sys.argv[5], {"target": target_program,
                                                        "example": example_program})
    command, example_command = [built["target"]], [built["example"]]
true, false = ("True", "False") if language == "python" else ("true", "false")


def read_until(target, prefix):
    """Read the target's lines up to the first one starting with prefix."""
    for line in target.proc.stdout:
        target.lines.append(line.rstrip("\n"))
        if line.startswith(prefix):
            return line.rstrip("\n")
    tracing.fail(f"target ended before printing {prefix!r}: {target.lines}")


def listed(path):
    return subprocess.run(["bpftrace", "-l", f"usdt:{path}:*"], capture_output=True,
                          text=True, timeout=tracing.TIMEOUT).stdout.split()


def trace():
    # Node.js and Go check their arguments on a traced probe, "small".
    small = language in ("node", "go")
    target = tracing.Target(command + ["trace"])
    provider = f"{prefix}_probes"
    path = target.value("path")
    first = second = None
    try:
        listing = listed(path)
        names = ("values", "narrow", "counted", "latency", "done")
        for name in names:
            check(f"usdt:{path}:{provider}:{name}" in listing,
                  f"bpftrace -l does not list {provider}:{name}: {listing}")
        probe = f"usdt:{path}:{provider}"
        first = tracing.bpftrace_start(f"""
            {probe}:values {{ printf("values %ld %lu %ld %ld %s %ld\\n",
                                     arg0, arg1, arg2, arg3, str(arg4), arg5); }}
            {probe}:narrow {{ printf("narrow %ld %ld %ld %ld %s\\n",
                                     arg0, arg1, arg2, arg3, str(arg4)); }}
            {probe}:counted {{ @counted = count(); @sum = sum(arg0); }}
            {probe}:latency {{ printf("latency %lu %s\\n", arg0, str(arg1)); }}
            {f"{probe}:small {{ @small = count(); }}" if small else ""}
            {probe}:done {{ exit(); }}""", target=target)
        output = tracing.bpftrace_finish(first)
        reloaded = read_until(target, "reloaded path=").split("=", 1)[1]
        check(reloaded not in ("None", "null", ""), "no path after reload")
        # After the reload, by PID (any path the process maps).
        second = tracing.bpftrace_start(f"""
            usdt:*:{provider}:counted {{ @reloaded = count(); }}
            usdt:*:{provider}:done {{ exit(); }}""", pid=int(target.value("pid")), target=target)
        reloaded_output = tracing.bpftrace_finish(second)
        target.finish()
    finally:
        target.kill()
        for p in (first, second):
            if p and p.poll() is None:
                p.kill()

    target.check_semaphore_flips()
    values = [line for line in output.splitlines() if line.startswith(("values ", "narrow "))]
    check(values == [
        "values -9223372036854775808 18446744073709551615 -128 255 strïng 1",
        "values 9223372036854775807 0 127 0 bytes 0",
        "narrow -2147483648 4294967295 -32768 65535 narrow",
        "narrow 2147483647 0 32767 0 ",
    ], f"{language}: values differ:\n{output}")
    check(target.value("values_fired") == true, f"values fired: {target.lines}")
    fired = int(target.value("fired"))
    check(fired == 1000, f"the target fired {fired} of 1000 while traced")
    check(tracing.bpftrace_map(output, "counted") == fired, f"counted fires:\n{output}")
    check(tracing.bpftrace_map(output, "sum") == fired * (fired + 1) // 2, f"sum:\n{output}")
    latency = re.findall(r"^latency (\d+) (\S+)$", output, re.M)
    check(len(latency) == 1 and latency[0][1] == "timed" and
          2_000_000 <= int(latency[0][0]) < 10_000_000_000,
          f"latency helper: {latency} (slept 2 ms)")
    check(target.value("untraced_clock_reads") == "0" and
          target.value("untraced_block_ran") == true,
          f"the latency helper untraced: {target.lines}")
    check(f"unloaded enabled=0 fired={false}" in "\n".join(target.lines),
          f"unloaded probe: {target.lines}")
    reloaded_fired = int(target.value("reloaded_fired"))
    check(reloaded_fired == 500 and tracing.bpftrace_map(reloaded_output, "reloaded") == 500,
          f"after reload: fired {reloaded_fired}, counted:\n{reloaded_output}")
    return target


def check_errors(target):
    """The wrapper's exceptions, with the library's messages."""
    errors = {line.split("=", 1)[0]: line.split("=", 1)[1] for line in target.lines
              if re.match(r"\w+=\w+(Error| errno)", line)}
    expected = {
        "bad_name": r"(usdt\.)?Error errno=22: .*provider name \"1bad\" starts with a digit",
        "duplicate": r"(usdt\.)?Error errno=17: .*already has a probe \"small\"",
        "unload_unloaded": r"(usdt\.)?Error errno=22: .*provider \"\w+\" is not loaded",
        "add_after_load": r"(usdt\.)?Error errno=16: .*add probes before the first load",
        "overflow": r"\w*RangeError|OverflowError: .*out of range",
        "underflow": r"\w*RangeError|OverflowError: .*out of range",
        "not_a_string": r"TypeError: .*string",
        "not_an_int": r"TypeError: .*",
        "argc": r"(TypeError|ArgumentError): .*takes 2 arguments",
        "argc_untraced": r"(TypeError|ArgumentError): .*takes 2 arguments",
        "bad_type": r"(TypeError|ArgumentError): .*",
    }
    for name, pattern in expected.items():
        check(name in errors and re.match(pattern, errors[name]),
              f"{language}: {name} raised {errors.get(name)!r}, expected /{pattern}/")
    check(f"closed_enabled=0 closed_fire={false}" in target.lines,
          f"a closed provider's probe: {target.lines}")


def threads():
    target = tracing.Target(command + ["threads"])
    path, control = target.value("path"), target.value("control")
    tracer = None
    try:
        tracer = tracing.bpftrace_start(f"""
            usdt:{path}:{prefix}_threads:counted {{ @counted = count(); }}
            usdt:{control}:{prefix}_control:done {{ exit(); }}""", target=target)
        output = tracing.bpftrace_finish(tracer)
        target.finish()
    finally:
        target.kill()
        if tracer and tracer.poll() is None:
            tracer.kill()
    workers, calls, fired, late = (int(target.value(key))
                                   for key in ("workers", "calls", "fired", "late"))
    counted = tracing.bpftrace_map(output, "counted")
    check(late == 0, f"{late} fires reported fired after the last unload returned")
    if language == "go":  # goroutines locked to their own OS threads
        tids = int(target.value("tids"))
        check(tids == workers, f"{workers} goroutines fired from {tids} OS threads")
    check(counted > 0, f"bpftrace counted no fire:\n{output}")
    # A fire that saw the semaphore raised just before an unload calls the
    # stand-in's stub, which no tracer sees: at most one per worker and unload.
    unloads = 21
    check(0 <= fired - counted <= workers * unloads,
          f"{fired} fires reported fired, bpftrace counted {counted} ({workers} workers, "
          f"{unloads} unloads)")
    kind = {"go": "goroutines on their own OS threads", "node": "worker threads"}.get(language,
                                                                                   "threads")
    print(f"ok: {workers} {kind}, {calls} calls, {fired} fired while traced, {counted} "
          f"counted, through an unload and 20 reloads")


def example():
    """The binding's example program under its bpftrace script."""
    directory = bindings
    proc = subprocess.Popen(example_command + ["--count", "300"], stdout=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True)
    try:
        lines = []
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            match = re.match(r"^\s*bpftrace (\S+\.bt) (\S+)\s*$", line)
            if match:
                break
        check(match, f"the example printed no bpftrace command: {lines}")
        check(os.path.basename(match.group(1)) == "example.bt", f"script {match.group(1)}")
        # As the example says: bpftrace SCRIPT PATH (bpftrace_start takes -e).
        script = open(os.path.join(directory, "example.bt")).read()
        output, rest = tracing.trace_process(proc, script.replace("$1", match.group(2)),
                                             go=False)
    finally:
        if proc.poll() is None:
            proc.kill()
    check(proc.returncode == 0, f"the example exited with {proc.returncode}: {lines} {rest}")
    routes = dict(re.findall(r"^@requests\[(\S+)\]: (\d+)$", output, re.M))
    check(routes == {"/": "100", "/search": "100", "/cart": "100"},
          f"requests per route:\n{output}")
    buckets = [int(n) for n in re.findall(r"^\[[^]\n]*[\])]\s+(\d+) \|", output, re.M)]
    check(sum(buckets) == 300, f"latency histogram holds {sum(buckets)} of 300:\n{output}")
    print(f"ok: the {language} example under example.bt: 300 requests per route, "
          f"300 latencies")


if mode == "trace":
    check_errors(trace())
    print(f"ok: {language}: listed, values exact, 1000 fires counted, the latency helper, "
          f"errors with the library's messages, unload and reload traced (500 fires, by PID)")
elif mode == "threads":
    threads()
else:
    example()
