"""Programs built from the test provider files (tests/dtrace/*.d) with
usdt-dtrace and with systemtap's dtrace.

    test_dtrace_programs.py ROOT SCRATCH notes    notes equal, note by note
    test_dtrace_programs.py ROOT SCRATCH traced   usdt-dtrace's build under bpftrace

notes: each program is built twice from the same sources, with headers and
objects from both generators; their stapsdt notes must name the same probes
with the same argument sizes and signs, each with a semaphore.
traced: bpftrace attaches to every probe of usdt-dtrace's build (optimized and
not) and must see each fire the program reports, with the same values.
"""

import collections
import os
import re
import shutil
import subprocess
import sys

import tracing
from tracing import check

root, scratch, mode = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2]), sys.argv[3]
source_dir = os.path.join(root, "tests", "dtrace")
check(shutil.which("dtrace"), "systemtap's dtrace is not installed (Debian: systemtap-sdt-dev; "
                              "./run.sh test installs it)")
GENERATORS = {
    "usdt": [sys.executable, os.path.join(root, "usdt-dtrace")],
    "systemtap": ["dtrace"],
}
# Provider file: the dtrace options its build uses.
PROGRAMS = {
    "types": ["-C", "-I" + source_dir],
    "named": [],
    "many": [],
}
CFLAGS = ["-std=gnu11", "-Wall", "-Wextra", "-Werror"]


def run(argv, cwd=None):
    result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
    check(result.returncode == 0, f"{' '.join(argv)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def build(generator, name, optimization="-O2"):
    """Build program `name` with `generator`'s header and object: its path."""
    out = os.path.join(scratch, generator + optimization, name)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    d_file = os.path.join(source_dir, f"{name}.d")
    tool = GENERATORS[generator] + PROGRAMS[name]
    # systemtap's dtrace writes temporary files in its working directory.
    run(tool + ["-h", "-s", d_file, "-o", f"{name}_probes.h"], cwd=out)
    objects = []
    for source in ("main.c", f"{name}_a.c", f"{name}_b.c"):
        obj = os.path.join(out, source.replace(".c", ".o"))
        run(["cc", optimization] + CFLAGS + ["-I", out, "-I", root, "-c",
                                             os.path.join(source_dir, source), "-o", obj])
        objects.append(obj)
    run(tool + ["-G", "-s", d_file, "-o", f"{name}_probes.o"] + objects, cwd=out)
    binary = os.path.join(out, name)
    run(["cc", "-o", binary] + objects + [os.path.join(out, f"{name}_probes.o")])
    return binary


def notes(binary):
    """The stapsdt notes of binary: dicts of provider, name, args, semaphore."""
    found, note = [], None
    for line in run(["readelf", "-n", "--wide", binary]).splitlines():
        provider = re.search(r"Provider: (\S+)", line)
        line = line.strip()
        if provider:
            note = {"provider": provider.group(1)}
            found.append(note)
        elif line.startswith("Name:") and note is not None:
            note["name"] = line.split(None, 1)[1]
        elif line.startswith("Location:") and note is not None:
            note["semaphore"] = int(re.search(r"Semaphore: (0x[0-9a-f]+)", line).group(1), 16)
            note["args"] = ()
        elif line.startswith("Arguments:") and note is not None:
            note["args"] = tuple(a.split("@")[0] for a in line.split()[1:])
    return found


def section_range(binary, section):
    for line in run(["readelf", "-S", "--wide", binary]).splitlines():
        match = re.search(rf"\s{re.escape(section)}\s+\S+\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)",
                          line)
        if match:
            start = int(match.group(1), 16)
            return start, start + int(match.group(2), 16)
    tracing.fail(f"{binary} has no {section} section")


def compare_notes(name):
    by_generator = {}
    for generator in GENERATORS:
        binary = build(generator, name)
        found = notes(binary)
        check(found, f"{generator}'s {name} has no stapsdt notes")
        probes_start, probes_end = section_range(binary, ".probes")
        for note in found:
            check(probes_start <= note["semaphore"] < probes_end,
                  f"{generator}'s {name}: {note['provider']}:{note['name']} has its semaphore "
                  f"{note['semaphore']:#x} outside .probes")
        # A probe may have several sites (usdt.h: one per fire function
        # and kind of nop), each with its note: every one must agree.
        distinct = {(n["provider"], n["name"], n["args"]) for n in found}
        check(len(distinct) == len({(p, n) for p, n, _ in distinct}),
              f"{generator}'s {name}: sites of one probe disagree on its arguments: "
              f"{sorted(distinct)}")
        by_generator[generator] = distinct
    ours, theirs = by_generator["usdt"], by_generator["systemtap"]
    if ours != theirs:
        tracing.fail(f"{name}: notes differ\n  only usdt-dtrace's: {sorted(ours - theirs)}\n"
                     f"  only systemtap's: {sorted(theirs - ours)}")
    print(f"ok: {name}: the notes of {len(ours)} probes equal (provider, name, argument "
          "sizes and signs) at every site, every semaphore in .probes", flush=True)
    return len(ours)


def bpftrace_script(binary, found):
    """Print each fire as the program reports it (up to bpftrace 0.17's six
    arguments, signed or unsigned as the note says); count fires; exit on done."""
    lines, seen = [], set()
    for note in found:
        probe = f"{note['provider']}:{note['name']}"
        if probe in seen:
            continue
        seen.add(probe)
        if note["name"] == "done":
            lines.append(f"usdt:{binary}:{probe} {{ @fires[\"{probe}\"] = count(); exit(); }}")
            continue
        args = note["args"][:6]
        formats = "".join(" %ld" if a.startswith("-") else " %lu" for a in args)
        values = "".join(f", arg{i}" for i in range(len(args)))
        lines.append(f"usdt:{binary}:{probe} {{ @fires[\"{probe}\"] = count(); "
                     f"printf(\"fire {probe}{formats}\\n\"{values}); }}")
    return "\n".join(lines)


def trace(name, optimization):
    binary = build("usdt", name, optimization)
    found = notes(binary)
    script = bpftrace_script(binary, found)
    target, output = tracing.run_traced([binary],
                                        lambda t: tracing.bpftrace_run(script, t.pid, t))
    check(target.lines[1].startswith("enabled before: 0 of"),
          f"{name}: probes enabled before any tracer: {target.lines[:2]}")
    reported = [line.split() for line in target.lines if line.startswith("fire ")]
    check(reported, f"{name}: the program reported no fires")
    expected = sorted(" ".join(words[:2 + 6]) for words in reported)
    seen = sorted(line for line in output.splitlines() if line.startswith("fire "))
    if seen != expected:
        missing = sorted((collections.Counter(expected) - collections.Counter(seen)).elements())
        extra = sorted((collections.Counter(seen) - collections.Counter(expected)).elements())
        tracing.fail(f"{name}: bpftrace saw other fires than the program made\n"
                     f"  not seen: {missing[:10]}\n  unexpected: {extra[:10]}")
    counts = {m.group(1): int(m.group(2))
              for m in re.finditer(r"^@fires\[(.*)\]: (\d+)$", output, re.M)}
    made = collections.Counter(words[1] for words in reported)
    done = [p for p in counts if p.endswith(":done")]
    check(len(done) == 1 and counts.pop(done[0]) == 1, f"{name}: done not counted once: {counts}")
    check(counts == dict(made), f"{name}: bpftrace counted {counts}, the program fired {made}")
    check(len(made) == len({(n['provider'], n['name']) for n in found}) - 1,
          f"{name}: not every probe fired: {sorted(made)}")
    print(f"ok: {name} ({optimization}): {sum(made.values())} fires of {len(made) + 1} probes "
          f"at {len(found)} sites traced, values and counts equal", flush=True)


if mode == "notes":
    for program in PROGRAMS:
        compare_notes(program)
elif mode == "traced":
    tracing.require_tracer()
    # -O0: each translation unit calls its own out-of-line copy of a probe.
    for program in PROGRAMS:
        for optimization in ("-O2", "-O0"):
            trace(program, optimization)
else:
    sys.exit(f"unknown mode {mode}")
