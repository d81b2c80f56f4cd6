"""usdt-record against live programs: every event it prints is compared with
the log of what the program fired (tests/record_target.c): per thread, the
same events in the same order, with the same arguments and strings, and
times inside the window the thread noted around a 2 ms pause.

  test_record.py MODE USDT_RECORD TARGET DYNAMIC_TARGET LIBUSDT SOURCE SCRATCH

MODE:
  static     C static probes, 8 threads and their signal handlers (-p)
  dynamic    the same with the probes of a dynamic provider (-p)
  python     the Python binding (bindings/python) in a program of 3 threads (-c)
  bpftrace   bpftrace counts the same probe directly while usdt-record batches
  formats    --count, --hist and --json against the same log (-c)
  errors     unknown PID, no such probe, a process without the kit, bad options
  ends       threads that keep their last events (idle, never exiting) while
             the recorder stops, or the process exits, _exits, execs or is
             killed: every event arrives, read from outside (static and dynamic)
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import tracing
from tracing import check, fail

mode, tool, static_target, dynamic_target, libusdt, source, scratch = sys.argv[1:8]
TIMEOUT = tracing.TIMEOUT
SUMMARY = re.compile(r"usdt-record: (\d+) events, (\d+) flushes, (\d+) dropped in the process, "
                     r"(\d+) lost in the consumer")
# Times may stray from the thread's own clock readings by the TSC conversion
# and the moment the clock is read next to a fire: far less than this.
SLACK_NS = 300_000
READS = re.compile(r"read from buffers of idle threads: (\d+) events while recording, (\d+) at "
                   r"the process's exit or exec, (\d+) at the stop")


class Recorder:
    """usdt-record running with argv; returns once it has attached."""

    def __init__(self, args, stdin=subprocess.DEVNULL):
        # USDT_RECORD_DEBUG: the reads from outside counted on stderr.
        self.proc = subprocess.Popen([tool, *args], stdin=stdin, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True,
                                     env=dict(os.environ, USDT_RECORD_DEBUG="1"))
        self.first = self.proc.stderr.readline()
        if "usdt-record: recording" not in self.first:
            self.finish()
            fail(f"usdt-record did not attach: {self.first}{self.err}")

    def finish(self):
        try:
            self.out, rest = self.proc.communicate(timeout=TIMEOUT)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
        self.err = self.first + rest
        return self

    def check_clean(self, events):
        """Exit 0; every one of events received, none dropped or lost."""
        check(self.proc.returncode == 0,
              f"usdt-record failed ({self.proc.returncode}):\n{self.err}")
        match = SUMMARY.search(self.err)
        check(match is not None, f"usdt-record printed no summary:\n{self.err}")
        received, flushes, dropped, lost = map(int, match.groups())
        check((received, dropped, lost) == (events, 0, 0),
              f"received {received}, dropped {dropped}, lost {lost}; fired {events}:\n{self.err}")
        check(flushes > 0, f"no flush:\n{self.err}")
        print(f"{received} events in {flushes} flushes")


def quoted(data):
    """A string argument as usdt-record's text lines show it."""
    return '"' + "".join(f"\\{chr(b)}" if chr(b) in '"\\' else chr(b) if 0x20 <= b <= 0x7e
                         else f"\\x{b:02x}" for b in data) + '"'


def log_token(word):
    """A word of the target's log as usdt-record shows it: s:HEX is a string."""
    return quoted(bytes.fromhex(word[2:])) if word.startswith("s:") else word


def parse_log(lines):
    """The target's log: {tid: (thread fields, fires, signal fires)}, each
    fire a tuple of words (probe name, argument tokens as usdt-record shows
    them)."""
    threads = {}
    for line in lines:
        if line.startswith("thread "):
            fields = dict(word.split("=") for word in line.split()[2:])
            threads[int(fields["tid"])] = ({k: int(v) for k, v in fields.items()}, [], [])
        elif line.startswith(("fire ", "sigfire ")):
            kind, tid, *words = line.split()
            threads[int(tid)][1 if kind == "fire" else 2].append(tuple(map(log_token, words)))
    check(threads, f"the target printed no log: {lines[:20]}")
    return threads


def parse_text(output):
    """usdt-record's text lines: {tid: [(time, (name, arg tokens...))]}."""
    events = {}
    for line in output.splitlines():
        time_ns, tid, *words = tracing._split_args(line)
        events.setdefault(int(tid), []).append((int(time_ns), tuple(words)))
    return events


def compare(log, received, signal_probe="record_test:signal"):
    """Every thread's events equal its log: the thread's own fires in order,
    its handler's in order, and each time within the thread's window."""
    check(sorted(received) == sorted(log),
          f"threads received {sorted(received)}, fired {sorted(log)}")
    total = 0
    for tid, (fields, fires, sigfires) in log.items():
        events = received[tid]
        own = [words for _, words in events if words[0] != signal_probe]
        handler = [words for _, words in events if words[0] == signal_probe]
        for name, got, want in (("fires", own, fires), ("signal fires", handler, sigfires)):
            if got != want:
                first = next((i for i, (g, w) in enumerate(zip(got, want)) if g != w),
                             min(len(got), len(want)))
                fail(f"thread {tid}: {len(got)} {name} received, {len(want)} fired; first "
                     f"difference at {first}: got {got[first:first + 2]}, "
                     f"want {want[first:first + 2]}")
        if "t1" in fields:
            check_window(tid, fields, [t for t, words in events if words[0] != signal_probe])
        total += len(events)
    return total


def check_window(tid, fields, times):
    """Phase A's fires (the first a of the thread's fires, each firing two
    or three probes) before t1, phase B's after t2."""
    a_events = sum(3 if i % 16 == 0 else 2 for i in range(fields["a"]))
    before, after = times[:a_events], times[a_events:]
    check(before and after, f"thread {tid}: no events on one side of the pause")
    check(max(before) <= fields["t1"] + SLACK_NS,
          f"thread {tid}: a phase A event at {max(before)}, after t1={fields['t1']}")
    check(min(after) >= fields["t2"] - SLACK_NS,
          f"thread {tid}: a phase B event at {min(after)}, before t2={fields['t2']}")
    check(fields["t2"] - fields["t1"] >= 2_000_000, f"thread {tid}: no 2 ms pause")


def record_c(target, extra=(), fires=5000):
    """Runs a C target under usdt-record -p; (its log lines, the recorder)."""
    program = tracing.Target([target, str(fires)])
    try:
        recorder = Recorder(["-p", str(program.pid), *extra, "record_test:*"])
        program.go()
        program.finish()
        recorder.finish()
    finally:
        program.kill()
    return program.lines, recorder


def run_c(target):
    lines, recorder = record_c(target)
    print(recorder.err)
    log = parse_log(lines)
    total = compare(log, parse_text(recorder.out))
    recorder.check_clean(total)
    signals = sum(fields["signals"] for fields, _, _ in log.values())
    print(f"{len(log)} threads, {total} events, {signals} from signal handlers: all received")


PYTHON_PROGRAM = r'''
import sys, threading, time, usdt
provider = usdt.Provider("record_py")
event = provider.probe("event", usdt.INT32, usdt.STRING, usdt.UINT64)
words = ["", "py", "caf\u00e9", "q\"b\\", None]
log = []
def work(t):
    fired = []
    for i in range(3000):
        word = words[(i + t) % len(words)]
        event.fire(i - 1500, word, t * 2**62 + i)
        fired.append((i - 1500, word, t * 2**62 + i))
    log.append((threading.get_native_id(), fired))
with provider:
    print(f"ready pid={__import__('os').getpid()}", flush=True)
    while not event.enabled:
        time.sleep(0.005)
    threads = [threading.Thread(target=work, args=(t,)) for t in range(1, 3)]
    for th in threads: th.start()
    work(0)
    for th in threads: th.join()
    for tid, fired in log:
        print(f"thread x tid={tid}")
        for value, word, big in fired:
            text = "NULL" if word is None else "s:" + word.encode().hex()
            big = big - 2**64 if big >= 2**63 else big
            print(f"fire {tid} record_py:event {value} {text} {big}")
'''


def run_python():
    """-c: the recorder starts the program, whose provider (loaded later,
    found by a rescan) holds the probe; the library's runtime flushes."""
    env = dict(os.environ, USDT_LIBRARY=os.path.abspath(libusdt),
               PYTHONPATH=os.path.join(source, "bindings", "python"))
    program = os.path.join(scratch, "record_program.py")
    with open(program, "w") as f:
        f.write(PYTHON_PROGRAM)
    proc = subprocess.Popen([tool, "-c", f"{sys.executable} {program}", "record_py:*"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    recorder = Recorder.__new__(Recorder)
    recorder.proc, recorder.first = proc, ""
    recorder.finish()
    check(proc.returncode == 0, f"usdt-record failed:\n{recorder.err}\n{recorder.out[-2000:]}")
    lines = recorder.out.splitlines()
    program_lines = [l for l in lines if re.match(r"(ready|thread|fire) ", l)]
    tool_lines = "\n".join(l for l in lines if re.match(r"\d+ \d+ ", l))
    log = parse_log(program_lines)
    total = compare(log, parse_text(tool_lines))
    recorder.check_clean(total)
    print(f"python: {len(log)} threads, {total} events: all received")


def run_bpftrace():
    """bpftrace traces record_test:ints directly while usdt-record batches
    every probe: both see every fire of it."""
    program = tracing.Target([static_target, "2000"])
    try:
        recorder = Recorder(["-p", str(program.pid), "record_test:*"])
        script = (f"usdt:{os.path.abspath(static_target)}:record_test:ints "
                  "{ @direct = count(); @sum = sum(arg0); }")
        bpftrace = tracing.bpftrace_start(script, pid=program.pid, target=program)
        program.finish()
        out = tracing.bpftrace_interrupt(bpftrace)
        recorder.finish()
    finally:
        program.kill()
    log = parse_log(program.lines)
    total = compare(log, parse_text(recorder.out))
    recorder.check_clean(total)
    fired = [words for _, fires, _ in log.values() for words in fires
             if words[0] == "record_test:ints"]
    direct = tracing.bpftrace_map(out, "direct")
    check(direct == len(fired), f"bpftrace counted {direct} fires of ints, fired {len(fired)}")
    check(tracing.bpftrace_map(out, "sum") == sum(int(w[1]) for w in fired),
          "bpftrace's sum of arg0 differs from the fired values")
    print(f"ints fired {len(fired)} times: bpftrace counted {direct}, usdt-record got all "
          f"{total} events")


def run_formats():
    """--count, --hist and --json on the same program and probes, with -c
    (the recorder starts the target; "go" on the shared stdin)."""
    def run(args):
        proc = subprocess.run([tool, "-c", f"{static_target} 3000", *args, "record_test:*"],
                              input="go\n", capture_output=True, text=True, timeout=TIMEOUT)
        check(proc.returncode == 0, f"usdt-record {args} failed:\n{proc.stderr}")
        program, tool_lines = [], []
        for line in proc.stdout.splitlines():
            is_program = re.match(r"(ready|waiting|thread|fire|sigfire) ", line)
            (program if is_program else tool_lines).append(line)
        return parse_log(program), tool_lines, proc.stderr

    log, out, _ = run(["--count"])
    want = {}
    for _, fires, sigfires in log.values():
        for words in fires + sigfires:
            want[words[0]] = want.get(words[0], 0) + 1
    got = {name: int(count) for name, count in (line.split() for line in out)}
    check(got == want, f"--count printed {got}, fired {want}")

    log, out, _ = run(["--hist", "1"])
    values = [int(w[2]) for _, fires, _ in log.values() for w in fires
              if w[0] == "record_test:ints"]
    text = "\n".join(out)
    check(out[0] == "record_test:ints arg1", f"--hist printed:\n{text}")
    negative = re.search(r"^\s+\(\.\.\., 0\)\s+(\d+)", text, re.M)
    zero = re.search(r"^\s+\[0\]\s+(\d+)", text, re.M)
    check(negative and int(negative.group(1)) == sum(v < 0 for v in values),
          f"--hist negatives wrong:\n{text}")
    check(zero and int(zero.group(1)) == sum(v == 0 for v in values), f"--hist [0] wrong:\n{text}")

    path = os.path.join(scratch, "trace.json")
    log, _, err = run(["--json", path])
    with open(path) as f:
        trace = json.load(f)
    received = {}
    for event in trace["traceEvents"]:
        check(event["ph"] == "i" and event["cat"] == event["name"].split(":")[0],
              f"odd event {event}")
        args = [event["args"][f"arg{i}"] for i in range(len(event["args"]))]
        words = (event["name"], *[json_token(a) for a in args])
        received.setdefault(event["tid"], []).append((round(event["ts"] * 1000), words))
    total = compare(log, received)
    check(f"{total} events" in err, f"--json: summary differs from {total} events:\n{err}")
    print(f"--count, --hist and --json: {total} events as fired")


def json_token(value):
    """A JSON argument as usdt-record's text line shows it (a byte outside
    printable ASCII is \\u00HH there)."""
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(value)
    return quoted(value.encode("latin-1"))


def run_errors():
    """Exit status 2 and one clear line, for each kind of bad input."""
    def expect(args, message, stdin=None):
        proc = subprocess.run([tool, *args], capture_output=True, text=True, timeout=TIMEOUT,
                              input=stdin)
        check(proc.returncode == 2 and re.search(message, proc.stderr),
              f"usdt-record {args}: exit {proc.returncode}, wanted 2 and /{message}/:\n"
              f"{proc.stderr}")
        print(f"{' '.join(args)}: {proc.stderr.strip().splitlines()[-1]}")

    expect(["-p", "4194305", "a:b"], r"no process with PID 4194305")
    expect(["-p", "1", "-c", "true", "a:b"], r"usage")
    expect(["-p", "1"], r"usage")
    expect(["--hist", "12", "-p", "1", "a:b"], r"bad argument number")
    expect(["--buffer-size", "3", "-p", "1", "a:b"], r"not a power of two")
    expect(["-c", "/nonexistent/program", "a:b"], r"no such command")
    # A process without the kit.
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        expect(["-p", str(sleeper.pid), "*:*"], rf"process {sleeper.pid} has no batching runtime")
    finally:
        sleeper.kill()
        sleeper.wait()
    # A process with the kit, but no probe of that name; nothing switched on.
    program = tracing.Target([static_target, "10"])
    try:
        expect(["-p", str(program.pid), "record_test:nosuch", "other:*"],
               r"no batched probe in process \d+ matches record_test:nosuch")
    finally:
        program.kill()
    # Not root: not permitted, and nothing attached.
    if shutil.which("setpriv"):
        program = tracing.Target([static_target, "10"])
        try:
            proc = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                   "--inh-caps=-all", tool, "-p", str(program.pid),
                                   "record_test:*"], capture_output=True, text=True,
                                  timeout=TIMEOUT)
            check(proc.returncode == 2 and "not permitted" in proc.stderr,
                  f"as nobody: exit {proc.returncode}:\n{proc.stderr}")
            print(f"as nobody: {proc.stderr.strip()}")
        finally:
            program.kill()


def reads_of(recorder):
    """(while recording, at the exit or exec, at the stop): events read from
    outside, as the recorder reported them."""
    match = READS.search(recorder.err)
    return tuple(map(int, match.groups())) if match else (0, 0, 0)


def kernel_at_least(major, minor):
    release = tuple(int(x) for x in re.findall(r"\d+", os.uname().release)[:2])
    return release >= (major, minor)


def run_ends():
    """Each thread's last events stay in its buffer (the threads idle and
    never exit); they arrive all the same, read by the recorder from
    outside, whatever ends the recording."""
    took_at_end = {"static": 0, "dynamic": 0}
    for target in (static_target, dynamic_target):
        kind = "dynamic" if target == dynamic_target else "static"
        for end in ("stop", "exit", "_exit", "exec", "kill"):
            if end == "kill" and not kernel_at_least(6, 16):
                # Before 6.16 a killed thread lets go of its memory before
                # the tracepoint that could read it (docs/batching.md).
                print(f"{kind} {end}: SKIPPED, Linux {os.uname().release} is before 6.16")
                continue
            program = tracing.Target([target, "1000", end])
            try:
                recorder = Recorder(["-p", str(program.pid), "record_test:*"])
                program.go()
                if end == "stop":
                    while (line := program.proc.stdout.readline()) and line != "idle\n":
                        program.lines.append(line.rstrip("\n"))
                    time.sleep(0.5)  # idle for many rounds of the recorder's reads
                    recorder.proc.send_signal(signal.SIGINT)
                    recorder.finish()
                else:
                    out, _ = program.proc.communicate(timeout=TIMEOUT)
                    program.lines += out.splitlines()
                    want = -signal.SIGKILL if end == "kill" else 0
                    check(program.proc.returncode == want,
                          f"{end}: the target exited with {program.proc.returncode}")
                    recorder.finish()
            finally:
                program.kill()
                if recorder.proc.poll() is None:
                    recorder.proc.kill()
            print(f"{kind} {end}:")
            print("".join(f"  {line}\n" for line in recorder.err.splitlines()
                          if "recording" not in line), end="")
            total = compare(parse_log(program.lines), parse_text(recorder.out))
            recorder.check_clean(total)
            running, ending, stop = reads_of(recorder)
            print(f"  {total} events, read from outside {running} while recording, "
                  f"{ending} at the exit or exec, {stop} at the stop")
            check(running + ending + stop > 0, f"{end}: nothing was read from outside")
            if end == "stop":
                # Idle for half a second: the rounds took it before the stop.
                check(running > 0 and stop == 0,
                      f"stop: {running} read while recording, {stop} at the stop")
            else:
                # The end came at once: the exit or exec took what was left,
                # unless the end took long enough for a round (as exit's
                # handlers under AddressSanitizer do); one of them at least.
                took_at_end[kind] += ending > 0
        check(took_at_end[kind] > 0, f"{kind}: no end read anything at the exit or exec")


tracing.require_tracer()
os.makedirs(scratch, exist_ok=True)
{"static": lambda: run_c(static_target), "dynamic": lambda: run_c(dynamic_target),
 "python": run_python, "bpftrace": run_bpftrace, "formats": run_formats,
 "errors": run_errors, "ends": run_ends}[mode]()
