"""The tracer matrix: static and dynamic probes of one live program, attached
by every tracer a user may have.

    test_tracer_matrix.py TRACER DYNAMIC_TARGET BUILD_ROOT

TRACER is one of:
  bpftrace-0.17  Debian 12's bpftrace (the system's)
  bpftrace-0.23  Debian 13's, bpftrace-0.27  Debian unstable's: fetched and run
                 from the build directory by tests/debian.py
  bcc            tplist -p PID
  tracefs        uprobe_events with the semaphore as reference counter
  perf           perf probe on the file + perf stat -p PID
  gdb            info probes + break -probe-stap on a live process

Each case runs to the end and prints PASS or FAIL with the reason; the test
fails if any case failed. A tracer that cannot run here is a skip (exit 77),
and a failure under CI=true.

Dynamic providers are created under a scratch USDT_DIR that the test removes.
"""

import contextlib
import fcntl
import os
import re
import select
import shlex
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

import debian
import tracing
from tracing import check

TRACER = sys.argv[1]
TARGET = os.path.abspath(sys.argv[2])
BUILD_ROOT = os.path.abspath(sys.argv[3])
STATIC = "usdt_mixed"        # the static provider in tests/dynamic_target.c
PROVIDER = "matrix_shop"     # the dynamic provider it creates
FIRES = 20000                # counted fires per process (tests/dynamic_target.c)

results = []


def case(name, function, *args):
    """Run one case; record PASS, or FAIL with the message check() printed."""
    print(f"--- {TRACER}: {name}", flush=True)
    try:
        detail = function(*args)
    except SystemExit as failure:
        results.append(("FAIL", name, ""))
        if failure.code not in (1, None):
            raise
    except (subprocess.TimeoutExpired, OSError) as error:
        print(f"FAIL: {error}", file=sys.stderr)
        results.append(("FAIL", name, str(error)))
    else:
        results.append(("PASS", name, detail or ""))


def unavailable(reason):
    """A tracer that cannot run here: skip, or fail under CI=true."""
    if os.environ.get("CI") == "true":
        tracing.fail(f"{TRACER} is required under CI=true but cannot run: {reason}")
    print(f"SKIP: {TRACER} cannot run here: {reason}")
    sys.exit(tracing.SKIP)


def start(kind, *extra):
    """A target waiting for a tracer on its static or dynamic probes."""
    return tracing.Target([TARGET, PROVIDER, kind, *extra])


@contextlib.contextmanager
def memfd_backing():
    """Targets started inside load their provider into a memfd
    (USDT_DIR=memfd), the fallback where no directory is usable."""
    saved = os.environ["USDT_DIR"]
    os.environ["USDT_DIR"] = "memfd"
    try:
        yield
    finally:
        os.environ["USDT_DIR"] = saved


def finish_all(targets):
    for target in targets:
        target.finish()


def kill_all(targets):
    for target in targets:
        target.kill()


# Argument values the target fires on each kind's values probe (12
# arguments: int8 uint8 int16 uint16 int32 uint32 int64 uint64 pointer string
# int64 uint64); the pointer and string are the target's text.
def expected_values(target):
    text = int(target.value("text"), 16)
    return [
        [-128, 255, -32768, 65535, -2147483648, 4294967295, -2**63, 2**64 - 1, text,
         "dynamic hello", 2**63 - 1, 0x0123456789abcdef],
        [127, 0, 32767, 0, 2147483647, 0, 2**63 - 1, 0, 0, "", -1, 1],
    ]


def check_fired(targets):
    for target in targets:
        fired = int(target.value("fired"))
        check(fired == FIRES, f"target {target.pid} fired {fired} times, not {FIRES}")


# ---------------------------------------------------------------- bpftrace

def bpftrace_argv():
    """The argv running this matrix entry's bpftrace, and its version."""
    if TRACER == "bpftrace-0.17":
        argv = ["bpftrace"]
    else:
        suite = {"bpftrace-0.23": "trixie", "bpftrace-0.27": "sid"}[TRACER]
        cache = os.environ.get("USDT_DEBIAN_CACHE", os.path.join(BUILD_ROOT, "debian"))
        try:
            argv = debian.fetch(cache, suite, ["bpftrace"]).command("usr/bin/bpftrace")
        except (debian.FetchError, OSError) as error:
            unavailable(f"cannot fetch bpftrace from Debian {suite}: {error}")
    result = subprocess.run([*argv, "--version"], capture_output=True, text=True)
    match = re.search(r"v(\d+)\.(\d+)", result.stdout)
    if not match:
        unavailable(f"{' '.join(argv)} --version: {result.stdout}{result.stderr}")
    version = (int(match.group(1)), int(match.group(2)))
    check(f"{version[0]}.{version[1]}" == TRACER.split("-")[1],
          f"{TRACER} runs bpftrace {result.stdout.strip()}")
    return argv, version


def bpftrace_script(probe, processes, arguments):
    """Print the values probe's first `arguments` arguments, count and sum the
    counted probe per process, exit once `processes` done probes fired."""
    formats = ["%ld"] * 7 + ["%lu", "%lu", '\\"%s\\"', "%ld", "%lu"]
    values = [f"arg{i}" if i != 9 else "str(arg9)" for i in range(arguments)]
    # printf takes a limited number of arguments: print them in two halves.
    halves = [range(0, min(arguments, 6)), range(6, arguments)]
    prints = " ".join(
        f'printf("{"values" if n == 0 else "values+"} %d {" ".join(formats[i] for i in half)}\\n",'
        f' pid, {", ".join(values[i] for i in half)});'
        for n, half in enumerate(halves) if half)
    return f"""
        {probe}:values {{ {prints} }}
        {probe}:counted {{ @count[pid] = count(); @sum[pid] = sum(arg0); }}
        {probe}:done {{ @done++; if (@done == {processes}) {{ exit(); }} }}
    """


def bpftrace_map_by_pid(output, name):
    """A map keyed by pid, '@name[PID]: N' lines, as {pid: N}."""
    return {int(pid): int(value) for pid, value in
            re.findall(rf"^@{re.escape(name)}\[(\d+)\]: (-?\d+)$", output, re.M)}


def bpftrace_values(output, pid):
    """The argument values bpftrace printed for pid's values fires."""
    lines = {"values": [], "values+": []}
    for line in output.splitlines():
        words = shlex.split(line) if line.startswith("values") else []
        if words and words[0] in lines and int(words[1]) == pid:
            lines[words[0]].append(words[2:])
    fires = lines["values"]
    for first, second in zip(fires, lines["values+"]):
        first += second
    return fires


def parse_value(expected, text):
    """Compare as the same type: a string stays a string."""
    return text if isinstance(expected, str) else int(text)


def bpftrace_attach(bpftrace, version, kind, how, processes=1):
    """Trace `processes` targets' probes of one kind (static or dynamic) with
    the target given as `how`: "pid" (-p PID, wildcard path) or "path"
    (the file's path, no -p). Checks values, counts, sums and semaphores."""
    targets = [start(kind) for _ in range(processes)]
    try:
        provider = STATIC if kind == "static" else PROVIDER
        if how == "pid":
            path, pid = "*", targets[0].pid
        else:
            path = TARGET if kind == "static" else targets[0].value("path")
            pid = None
            paths = {t.value("path") for t in targets}
            check(kind == "static" or len(paths) == 1,
                  f"{processes} processes loading one provider map different files: "
                  f"{sorted(paths)}")
        # bpftrace reads arg0..arg5 of a USDT probe, all of them from 0.24
        # (bpftrace commit 5ed9903f4, "Support accessing up to 255 USDT probe
        # args").
        arguments = 12 if version >= (0, 24) else 6
        script = bpftrace_script(f"usdt:{path}:{provider}", processes, arguments)
        proc = tracing.bpftrace_start(script, pid, targets, bpftrace)
        if not proc.attached:  # it gave up: say why, without waiting for the targets
            tracing.fail(f"bpftrace did not attach:\n{tracing.bpftrace_finish(proc)}")
        try:
            finish_all(targets)
        except BaseException:
            proc.kill()
            raise
        output = tracing.bpftrace_finish(proc)
    finally:
        kill_all(targets)
    check_fired(targets)
    counts, sums = bpftrace_map_by_pid(output, "count"), bpftrace_map_by_pid(output, "sum")
    for target in targets:
        target.check_semaphore_flips()
        check(counts.get(target.pid) == FIRES,
              f"bpftrace counted {counts.get(target.pid)} fires of process {target.pid}, "
              f"made {FIRES}:\n{output}")
        check(sums.get(target.pid) == FIRES * (FIRES + 1) // 2,
              f"argument sum of process {target.pid} differs: {sums.get(target.pid)}")
        expected = [fire[:arguments] for fire in expected_values(target)]
        got = bpftrace_values(output, target.pid)
        check(len(got) == len(expected) and all(
            [parse_value(e, g) for e, g in zip(want, have)] == want
            for want, have in zip(expected, got)),
            f"values of process {target.pid} differ: want {expected}, got {got}")
    where = "" if kind == "static" else f", provider at {targets[0].value('path')}"
    return f"{processes} x {FIRES} fires counted, {arguments} arguments exact{where}"


def bpftrace_memfd(bpftrace, version):
    """The memfd fallback: a provider reached by its path /proc/PID/fd/N."""
    with memfd_backing():
        detail = bpftrace_attach(bpftrace, version, "dynamic", "path")
    check(re.search(r"provider at /proc/\d+/fd/\d+$", detail) is not None,
          f"USDT_DIR=memfd did not give a /proc/PID/fd/N path: {detail}")
    return detail


def bpftrace_list(bpftrace, kind):
    target = start("static")
    try:
        listing = tracing.bpftrace_list(target.pid, bpftrace)
    finally:
        target.kill()
    provider = STATIC if kind == "static" else PROVIDER
    for name in ("values", "counted", "done"):
        check(any(line.endswith(f":{provider}:{name}") for line in listing),
              f"bpftrace -l -p does not list {provider}:{name}: {listing}")
    return f"{len(listing)} probes listed"


def run_bpftrace():
    tracing.require_tracer()
    bpftrace, version = bpftrace_argv()
    for kind in ("static", "dynamic"):
        case(f"-l -p PID lists {kind} probes", bpftrace_list, bpftrace, kind)
    for kind in ("static", "dynamic"):
        case(f"-p PID, wildcard path, {kind} probes", bpftrace_attach, bpftrace, version,
             kind, "pid")
    case("path without -p, static probes, two processes", bpftrace_attach, bpftrace,
         version, "static", "path", 2)
    case("path without -p, dynamic probes", bpftrace_attach, bpftrace, version, "dynamic",
         "path")
    case("path without -p, dynamic provider shared by two processes", bpftrace_attach,
         bpftrace, version, "dynamic", "path", 2)
    case("memfd fallback: path /proc/PID/fd/N without -p", bpftrace_memfd, bpftrace, version)


# ---------------------------------------------------------------- bcc

def run_bcc():
    tracing.require_tracer()
    tplist = shutil.which("tplist-bpfcc") or shutil.which("tplist")
    if tplist is None:
        unavailable("tplist-bpfcc is not installed (Debian package bpfcc-tools)")

    def listing(kind):
        target = start("static")
        try:
            result = subprocess.run([tplist, "-p", str(target.pid)], capture_output=True,
                                    text=True, timeout=tracing.TIMEOUT)
        finally:
            target.kill()
        check(result.returncode == 0, f"tplist -p failed: {result.stderr}")
        lines = result.stdout.splitlines()
        provider = STATIC if kind == "static" else PROVIDER
        for name in ("values", "counted", "done"):
            check(any(line.endswith(f" {provider}:{name}") for line in lines),
                  f"tplist -p does not list {provider}:{name}: {lines}")
        return f"{len(lines)} probes listed"

    for kind in ("static", "dynamic"):
        case(f"tplist -p PID lists {kind} probes", listing, kind)


# ---------------------------------------------------------------- ELF notes

def stapsdt_probes(path):
    """The stapsdt probes of an ELF64 little-endian file, as dicts: provider,
    name, args, pc (after the .stapsdt.base adjustment) and the file offsets
    of the probe and of its semaphore (0 for none), as uprobes want them."""
    with open(path, "rb") as file:
        data = file.read()
    check(data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1,
          f"{path} is not a 64-bit little-endian ELF file")
    phoff, shoff = struct.unpack_from("<QQ", data, 0x20)
    phentsize, phnum, shentsize, shnum, shstrndx = struct.unpack_from("<HHHHH", data, 0x36)
    sections = {}
    raw = [struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize) for i in range(shnum)]
    names = raw[shstrndx][4]
    for name, _type, _flags, addr, offset, size in raw:
        sections[data[names + name:data.index(b"\0", names + name)].decode()] = (addr, offset,
                                                                                 size)
    loads = []
    for i in range(phnum):
        ptype, _flags, offset, vaddr, _paddr, filesz, _memsz = struct.unpack_from(
            "<IIQQQQQ", data, phoff + i * phentsize)
        if ptype == 1:  # PT_LOAD
            loads.append((vaddr, offset, filesz))

    def file_offset(address):
        for vaddr, offset, filesz in loads:
            if vaddr <= address < vaddr + filesz:
                return address - vaddr + offset
        tracing.fail(f"{address:#x} is in no PT_LOAD segment of {path}")

    check(".note.stapsdt" in sections and ".stapsdt.base" in sections,
          f"{path} has no .note.stapsdt or .stapsdt.base section")
    base_addr = sections[".stapsdt.base"][0]
    _, position, size = sections[".note.stapsdt"]
    end, probes = position + size, []
    while position < end:
        namesz, descsz, note_type = struct.unpack_from("<III", data, position)
        name_at = position + 12
        desc_at = name_at + (namesz + 3) // 4 * 4
        position = desc_at + (descsz + 3) // 4 * 4
        if data[name_at:name_at + namesz] != b"stapsdt\0" or note_type != 3:
            continue
        pc, base, semaphore = struct.unpack_from("<QQQ", data, desc_at)
        provider, name, args = data[desc_at + 24:desc_at + descsz].split(b"\0")[:3]
        pc += base_addr - base
        probe = {"provider": provider.decode(), "name": name.decode(), "args": args.decode(),
                 "pc": pc, "pc_offset": file_offset(pc), "semaphore_offset": 0}
        if semaphore:
            semaphore += base_addr - base
            probe["semaphore_offset"] = file_offset(semaphore)
            # bcc, perf and bpftrace up to 0.24 go through .probes instead:
            # both must give the same offset.
            if ".probes" in sections:
                addr, offset, _ = sections[".probes"]
                check(semaphore - addr + offset == probe["semaphore_offset"],
                      f"{path}: .probes and PT_LOAD disagree on the semaphore's offset")
        probes.append(probe)
    return probes


# ---------------------------------------------------------------- tracefs

TRACEFS = "/sys/kernel/tracing"


def tracefs_write(name, text):
    # One write(2) per command, O_APPEND: a new probe adds to the others.
    fd = os.open(os.path.join(TRACEFS, name), os.O_WRONLY | os.O_APPEND)
    try:
        os.write(fd, (text + "\n").encode())
    finally:
        os.close(fd)


def tracefs_hits(events):
    """{event: hits} of the events named, from uprobe_profile (which shows
    each event's name without its group)."""
    hits = {}
    with open(os.path.join(TRACEFS, "uprobe_profile")) as profile:
        for line in profile:
            words = line.split()
            if len(words) == 3 and words[1] in events:
                hits[words[1]] = int(words[2])
    return hits


def tracefs_case(kind):
    group = f"usdt_matrix_{os.getpid()}"
    target = start(kind)
    events = []
    try:
        path = TARGET if kind == "static" else target.value("path")
        provider = STATIC if kind == "static" else PROVIDER
        probes = [p for p in stapsdt_probes(path) if p["provider"] == provider]
        for i, probe in enumerate(probes):
            check(probe["semaphore_offset"], f"{provider}:{probe['name']} has no semaphore")
            event = f"{probe['name']}_{os.getpid()}_{i}"
            tracefs_write("uprobe_events", f"p:{group}/{event} {path}:{probe['pc_offset']:#x}"
                                           f"({probe['semaphore_offset']:#x})")
            events.append((event, probe["name"]))
        tracefs_write(f"events/{group}/enable", "1")
        target.go()
        for line in target.proc.stdout:
            target.lines.append(line.rstrip("\n"))
            if line.startswith("fired="):
                break
        # The target fires done before it prints fired=.
        hits = tracefs_hits([event for event, _ in events])
        tracefs_write(f"events/{group}/enable", "0")
        target.finish()
    finally:
        target.kill()
        if events:
            if os.path.exists(os.path.join(TRACEFS, "events", group)):
                tracefs_write(f"events/{group}/enable", "0")
            for event, _ in events:
                tracefs_write("uprobe_events", f"-:{group}/{event}")
    target.check_semaphore_flips()
    check_fired([target])
    per_name = {}
    for event, name in events:
        per_name[name] = per_name.get(name, 0) + hits.get(event, 0)
    check(per_name == {"values": 2, "counted": FIRES, "done": 1},
          f"uprobe_profile hits {per_name}, fired values 2, counted {FIRES}, done 1")
    return f"{len(events)} uprobes, hits {per_name}"


def run_tracefs():
    tracing.require_tracer()
    for kind in ("static", "dynamic"):
        case(f"uprobe_events PATH:OFFSET(SEMAPHORE), {kind} probes", tracefs_case, kind)


# ---------------------------------------------------------------- perf

def perf_enable(stat, control, ack):
    """Enable perf stat's events through its control fifo and wait for its
    acknowledgement (or its exit). Opened read-write, neither fifo blocks
    on a perf that never opens its end."""
    ctl_fd, ack_fd = os.open(control, os.O_RDWR), os.open(ack, os.O_RDWR)
    try:
        os.write(ctl_fd, b"enable\n")
        deadline = time.monotonic() + tracing.TIMEOUT
        while not select.select([ack_fd], [], [], 0.2)[0]:
            if stat.poll() is not None or time.monotonic() > deadline:
                _, err = stat.communicate(timeout=tracing.TIMEOUT)
                tracing.fail(f"perf stat exited ({stat.returncode}) or hung before it "
                             f"enabled its events:\n{err}")
        reply = os.read(ack_fd, 64)
        check(reply.startswith(b"ack\n"), f"perf stat answered enable with {reply!r}")
    finally:
        os.close(ctl_fd)
        os.close(ack_fd)


def perf_case(kind, perf_env):
    target = start(kind)
    provider = STATIC if kind == "static" else PROVIDER
    group = f"sdt_{provider}"
    added = False
    try:
        path = TARGET if kind == "static" else target.value("path")
        # Events a killed run may have left.
        subprocess.run(["perf", "probe", "-q", "-d", f"{group}:*"], env=perf_env,
                       capture_output=True)
        result = subprocess.run(["perf", "probe", "-x", path,
                                 *[arg for name in ("values", "counted", "done")
                                   for arg in ("-a", f"{group}:{name}")]],
                                env=perf_env, capture_output=True, text=True,
                                timeout=tracing.TIMEOUT)
        check(result.returncode == 0, f"perf probe -x {path} failed: {result.stderr}")
        added = True
        scratch = perf_env["HOME"]
        control, ack = os.path.join(scratch, "control"), os.path.join(scratch, "ack")
        for fifo in (control, ack):
            if not os.path.exists(fifo):
                os.mkfifo(fifo)
        # Start with the events disabled and enable them through the control
        # fifo: once perf acknowledges, every fire is counted.
        stat = subprocess.Popen(["perf", "stat", "-x", ",", "-D", "-1", "--control",
                                 f"fifo:{control},{ack}", "-p", str(target.pid),
                                 *[arg for name in ("values", "counted", "done")
                                   for arg in ("-e", f"{group}:{name}")]],
                                env=perf_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        try:
            perf_enable(stat, control, ack)
            target.go()
            for line in target.proc.stdout:
                target.lines.append(line.rstrip("\n"))
                if line.startswith("fired="):
                    break
            stat.send_signal(signal.SIGINT)
            _, err = stat.communicate(timeout=tracing.TIMEOUT)
        finally:
            if stat.poll() is None:
                stat.kill()
        target.finish()
    finally:
        target.kill()
        if added:
            subprocess.run(["perf", "probe", "-q", "-d", f"{group}:*"], env=perf_env,
                           capture_output=True)
    counts = {}
    for line in err.splitlines():
        fields = line.split(",")
        if len(fields) > 2 and fields[2].startswith(group + ":"):
            counts[fields[2].split(":", 1)[1]] = int(fields[0]) if fields[0].isdigit() else None
    target.check_semaphore_flips()
    check_fired([target])
    check(counts == {"values": 2, "counted": FIRES, "done": 1},
          f"perf stat counted {counts}, fired values 2, counted {FIRES}, done 1:\n{err}")
    return f"perf stat counts {counts}"


def run_perf():
    tracing.require_tracer()
    if shutil.which("perf") is None:
        unavailable("perf is not installed (Debian package linux-perf)")
    # perf keeps a build-id cache in ~/.debug: keep it in a scratch directory.
    scratch = tempfile.mkdtemp(prefix="perf-", dir=os.environ["USDT_DIR"])
    perf_env = dict(os.environ, HOME=scratch, PERF_BUILDID_DIR=os.path.join(scratch, ".debug"))
    # perf names an SDT event's group after its provider (sdt_PROVIDER), one
    # system-wide name: runs of this test on one machine take turns.
    lock_dir = "/run/lock" if os.path.isdir("/run/lock") else tempfile.gettempdir()
    with open(os.path.join(lock_dir, "usdt-tracer-matrix-perf"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for kind in ("static", "dynamic"):
            case(f"perf probe -x PATH + perf stat -p PID, {kind} probes", perf_case, kind,
                 perf_env)


# ---------------------------------------------------------------- gdb

def gdb_case(kind):
    provider = STATIC if kind == "static" else PROVIDER
    target = start(kind, "values")
    commands = ["info probes stap", f"break -probe-stap {provider}:values",
                f"break -probe-stap {provider}:done"]
    for _ in range(2):
        commands += ["continue", 'printf "probe_argc %d\\n", $_probe_argc']
        commands += [f'printf "probe_arg{i} %ld\\n", $_probe_arg{i}' for i in range(12)
                     if i != 9]
        commands += ['printf "probe_arg9 %s\\n", (const char *) $_probe_arg9']
    commands += ["continue", 'printf "stopped at done\\n"']
    argv = ["gdb", "-nx", "-batch", "-p", str(target.pid)]
    for command in commands:
        argv += ["-ex", command]
    try:
        gdb = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
        try:
            # Both breakpoints set, or gdb found no such probe.
            early, placed = [], 0
            for line in gdb.stdout:
                early.append(line)
                placed += re.match(r"Breakpoint \d+ at ", line) is not None
                if placed == 2 or "No probe matching" in line:
                    break
            check(placed == 2, f"gdb could not break on {provider}'s probes:\n{''.join(early)}")
            # The breakpoints raise the semaphores: the target says so once gdb
            # has let it continue.
            line = target.proc.stdout.readline()
            target.lines.append(line.rstrip("\n"))
            check(line.startswith("semaphores attached"),
                  f"the target did not see gdb's breakpoints: {line!r}")
            target.go()
            output, _ = gdb.communicate(timeout=tracing.TIMEOUT)
            output = "".join(early) + output
        finally:
            if gdb.poll() is None:
                gdb.kill()
        target.finish()
    finally:
        target.kill()
    listed = re.findall(rf"^stap\s+{provider}\s+(\w+)\s", output, re.M)
    check({"values", "counted", "done"} <= set(listed),
          f"gdb info probes does not list {provider}'s probes:\n{output}")
    target.check_semaphore_flips()
    argc = re.findall(r"^probe_argc (\d+)$", output, re.M)
    check(argc == ["12", "12"], f"gdb did not stop twice at {provider}:values:\n{output}")
    got = [{} for _ in range(2)]
    seen = [0] * 12
    for index, value in re.findall(r"^probe_arg(\d+) (.*)$", output, re.M):
        index = int(index)
        got[seen[index]][index] = value
        seen[index] += 1
    want = expected_values(target)
    for fire in range(2):
        values = []
        for i in range(12):
            text = got[fire].get(i)
            check(text is not None, f"gdb printed no $_probe_arg{i}:\n{output}")
            if i == 9:
                values.append(text)
            else:
                number = int(text)
                if want[fire][i] >= 2**63:
                    number %= 2**64
                values.append(number)
        check(values == want[fire], f"gdb's argument values differ: want {want[fire]}, "
                                    f"got {values}:\n{output}")
    check("stopped at done" in output, f"gdb did not stop at {provider}:done:\n{output}")
    return "listed, stopped twice on values with 12 exact arguments, then on done"


def run_gdb():
    tracing.require_tracer()
    if shutil.which("gdb") is None:
        unavailable("gdb is not installed")
    for kind in ("static", "dynamic"):
        case(f"info probes + break -probe-stap on a live process, {kind} probes", gdb_case,
             kind)


def main():
    runner = {"bcc": run_bcc, "tracefs": run_tracefs, "perf": run_perf,
              "gdb": run_gdb}.get(TRACER, run_bpftrace)
    scratch = os.path.join(BUILD_ROOT, "tests", f"tracer-matrix-{TRACER}")
    shutil.rmtree(scratch, ignore_errors=True)
    os.makedirs(scratch, mode=0o700)
    os.environ["USDT_DIR"] = scratch
    started = time.monotonic()
    try:
        runner()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"\n{TRACER} ({time.monotonic() - started:.1f} s):")
    for status, name, detail in results:
        print(f"  {status} {name}" + (f": {detail}" if detail else ""))
    if any(status == "FAIL" for status, _, _ in results):
        sys.exit(1)


main()
