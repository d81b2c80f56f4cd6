"""Probes in batch mode under bpftrace: bpftrace switches batching on
through each probe's companion note (usdt_batch:PROVIDER__NAME) and counts
what usdt_batch:flush hands over. Every event of the target is 40 bytes, so
the bytes flushed per process, divided by 40, plus the drops it reports (the
signal handler's fires while the main thread makes its buffer, if any), must
be exactly the number of fires: the main thread's, a signal handler's interrupting them, 8 threads'
(flushed when they exit), and a forked child's (its own buffer: the events
the parent left unflushed at fork are the parent's alone). With "direct",
bpftrace also traces the probes themselves, and counts every fire there too.
With "values", the records themselves: two events with integers of
several sizes and signs and strings (one NULL) and one without arguments,
the last fired through usdt_probe_fire 200 ms after the others, the target
then leaving by _exit: all reach the tracer in one flush, made by the 100 ms
rule at the last fire, byte for byte as docs/batching.md describes them.
With "overflow", a signal handler fires 2000 events while a fire is in
progress (its string faults until the handler makes it readable): the half
fills, a padding record closes it, the rest are dropped and counted, and the
interrupted fire, finding no room, flushes the full half. With "refused",
madvise answers EPERM (a seccomp filter): the program fires
on, its errno untouched, and nothing is flushed. The target's probes are
static, or with "dynamic" those of a dynamic provider
(tests/batch_target.c).

  test_batch_tracer.py TARGET static|dynamic batch|direct|values|overflow|refused
"""

import os
import re
import sys

import tracing
from tracing import check, fail

binary = os.path.abspath(sys.argv[1])
dynamic, mode = sys.argv[2] == "dynamic", sys.argv[3]
direct = mode == "direct"
tracing.require_tracer()


def script(probes):
    """The bpftrace script for a target whose probes are in the file probes."""
    text = f"""
usdt:{probes}:usdt_batch:usdt_batch_test__* {{ }}
usdt:{binary}:usdt_batch:flush {{
    @flushes[pid] = count(); @bytes[pid] = sum(arg1); @dropped[pid] = max(arg5);
    @odd[pid] = sum(arg1 % 8 != 0 || arg1 > 65536 || arg4 > 1);
}}
"""
    if direct:
        # Not the child's probe: a child forked after a 5-byte nop site was
        # optimized into a call to the uprobe trampoline has no trampoline
        # (Linux 6.18) and would crash there.
        text += f"usdt:{probes}:usdt_batch_test:main,usdt:{probes}:usdt_batch_test:signal,"
        text += f"usdt:{probes}:usdt_batch_test:thread {{ @direct[pid] = count(); }}\n"
    return text


# The first words of each flushed buffer: records of 72, 24 and 80 bytes.
WORDS = 22
VALUES_SCRIPT = """
usdt:{probes}:usdt_batch:usdt_batch_test__values,usdt:{probes}:usdt_batch:usdt_batch_test__zero {{ }}
usdt:{binary}:usdt_batch:flush {{
    @n = @n + 1; @flush[@n, 0] = arg1; @flush[@n, 1] = arg4; @flush[@n, 2] = arg5;
    $b = (uint64 *)arg0; $i = 0;
    unroll({words}) {{ @flush[@n, 3 + $i] = *($b + $i); $i++; }}
}}
"""


OVERFLOW_SCRIPT = """
usdt:{probes}:usdt_batch:usdt_batch_test__* {{ }}
usdt:{binary}:usdt_batch:flush {{
    @n = @n + 1; @flush[@n, 0] = arg1; @flush[@n, 1] = arg5;
    @flush[@n, 2] = *(uint64 *)(arg0 + 65520);
}}
"""


def trace(target):
    # By path, without -p: the forked child is traced too.
    probes = target.value("provider") if dynamic else binary
    if mode == "values":
        text = VALUES_SCRIPT.format(probes=probes, binary=binary, words=WORDS)
    elif mode == "overflow":
        text = OVERFLOW_SCRIPT.format(probes=probes, binary=binary)
    else:
        text = script(probes)
    proc = tracing.bpftrace_start(text, target=target)
    try:
        target.finish()
    finally:
        output = tracing.bpftrace_interrupt(proc)
    return output


EVENT = 40  # bytes of a record with two arguments


def per_pid(output, name):
    values = {}
    for words in tracing.lines_starting(output, f"@{name}["):
        pid, value = words[0].rstrip("]:"), words[1]
        values[int(pid)] = int(value)
    return values


def word(data):
    return int.from_bytes(data.ljust(8, b"\0"), "little")


def record_header(size, argc, strings):
    return size | 1 << 16 | argc << 24 | strings << 32


def flushes_in(output):
    """Each flush's values, kept in the map @flush[flush, i] (a map, which
    bpftrace prints at exit, rather than printf lines, which bpftrace 0.17
    under load may leave unprinted when stopped): lists of unsigned values."""
    flushes = {}
    for flush, i, value in re.findall(r"^@flush\[(\d+), (\d+)\]: (-?\d+)$", output, re.M):
        flushes.setdefault(int(flush), {})[int(i)] = int(value) & ((1 << 64) - 1)
    return [[values[i] for i in sorted(values)] for _, values in sorted(flushes.items())]


def check_values(output):
    flushes = flushes_in(output)
    check(len(flushes) == 1, f"{len(flushes)} flushes, expected 1 (by age):\n{output}")
    length, clock, dropped, *words = flushes[0]
    check(int(length) == 72 + 24 + 80, f"flushed {length} bytes, expected 176")
    check(int(clock) == (1 if os.uname().machine == "x86_64" else 0), f"clock kind {clock}")
    check(int(dropped) == 0, f"{dropped} dropped")
    probe, zero = int(target.value("id"), 16), int(target.value("zero"), 16)
    u64 = (1 << 64) - 1
    expected = [
        # -1 as int8, 65535 as uint16, "hello", NULL, INT64_MIN
        record_header(72, 5, 0b01100), probe, None, u64, 65535, 5, u64, 1 << 63,
        word(b"hello\0\0\0"),
        # no arguments
        record_header(24, 0, 0), zero, None,
        # 5, 7, "batch!", "x", -2
        record_header(80, 5, 0b01100), probe, None, 5, 7, 6, 1, u64 - 1,
        word(b"batch!\0x"), word(b"\0"),
    ]
    check(len(words) == len(expected), f"{len(words)} words: {words}")
    for i, (want, got) in enumerate(zip(expected, words)):
        if want is not None:
            check(want == got, f"word {i}: {got:#x}, expected {want:#x}: {words}")
    check(words[2] <= words[11] <= words[14], f"ticks not in order: {words}")
    ticks = words[14] - words[2]
    check(ticks >= 200 * 1000 * 1000, f"the events are {ticks} ticks apart, 200 ms expected")
    print(f"ok: three records byte for byte in one flush by the 100 ms rule, {ticks} ticks apart")


def check_overflow(output):
    flushes = flushes_in(output)
    # 1638 events of 40 bytes fit in 65536 bytes, then 16 bytes of padding;
    # 2000 - 1638 handler events and the interrupted fire are dropped; the
    # last event goes to the next half, flushed at exit.
    fit = (65536 - 16) // EVENT
    dropped = OVERFLOW_FIRES + 1 - fit
    check(len(flushes) == 2 and flushes[0][:2] == [65536, dropped] and
          flushes[0][2] == 16 | 2 << 16 and flushes[1][:2] == [EVENT, dropped],
          f"flushes {flushes}, expected 65536 bytes ending in 16 bytes of padding, then "
          f"{EVENT}, both with {dropped} dropped:\n{output}")
    check(target.value("fired") == str(OVERFLOW_FIRES + 2), f"target: {target.lines}")
    print(f"ok: a full half ({fit} events, padding) flushed by the interrupted fire, "
          f"{dropped} drops counted")


OVERFLOW_FIRES = 2000
target, output = tracing.run_traced(
    [binary] + ([mode] if mode in ("values", "overflow", "refused") else []), trace)
if mode == "overflow":
    check_overflow(output)
    sys.exit(0)
if mode == "values":
    check_values(output)
    sys.exit(0)
if mode == "refused":
    check(target.value("fired") == "1000" and target.value("errno") == "0",
          f"the target under a filter: {target.lines}")
    check(not per_pid(output, "flushes"), f"flushes without a buffer:\n{output}")
    print("ok: madvise refused: 1000 fires, errno kept, no buffer, no flush")
    sys.exit(0)
report = {}
for words in tracing.lines_starting("\n".join(target.lines), ""):
    if words and words[0] in ("parent", "child"):
        report[words[0]] = dict(word.split("=") for word in words[1:])
check(set(report) == {"parent", "child"}, f"the target did not report: {target.lines}")
parent, parent_fired = int(report["parent"]["pid"]), int(report["parent"]["fired"])
child, child_fired = int(report["child"]["pid"]), int(report["child"]["fired"])
signal_fired = int(report["parent"]["signal"])
check(signal_fired >= 2000, f"the signal handler fired {signal_fired} times")

flushes, sizes = per_pid(output, "flushes"), per_pid(output, "bytes")
dropped, odd = per_pid(output, "dropped"), per_pid(output, "odd")
# Drops: only the signal handler's fires while the main thread makes its
# buffer at its first fire (none in the child, whose buffer exists).
for pid, fired, may_drop in ((parent, parent_fired, signal_fired), (child, child_fired, 0)):
    if pid not in sizes:
        fail(f"no flush of process {pid}:\n{output}")
    check(sizes[pid] + dropped[pid] * EVENT == fired * EVENT,
          f"process {pid} fired {fired} events, flushed {sizes[pid]} bytes "
          f"({sizes[pid] / EVENT} events) and dropped {dropped[pid]}:\n{output}")
    check(dropped[pid] <= may_drop, f"process {pid} dropped {dropped[pid]} events")
    check(odd[pid] == 0, f"process {pid}: {odd[pid]} flushes with a bad length or clock")
check(set(sizes) == {parent, child}, f"flushes of other processes: {sizes}")
if direct:
    counted = per_pid(output, "direct")
    check(counted.get(parent) == parent_fired,
          f"bpftrace counted {counted} direct fires, the parent fired {parent_fired}")
print(f"ok: parent {parent_fired} events ({signal_fired} from a signal handler) in "
      f"{flushes[parent]} flushes, {dropped[parent]} dropped while its buffer was made, "
      f"child {child_fired} in {flushes[child]}"
      + (", every one also traced directly" if direct else ""))
