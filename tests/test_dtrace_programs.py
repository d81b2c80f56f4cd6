"""Programs built from the test provider files (tests/dtrace/*.d) with
usdt-dtrace and with systemtap's dtrace.

    test_dtrace_programs.py ROOT SCRATCH notes    notes equal, note by note
    test_dtrace_programs.py ROOT SCRATCH traced   usdt-dtrace's build under bpftrace

notes: each program is built twice from the same sources, with headers and
objects from both generators; their stapsdt notes must name the same probes
with the same argument sizes and signs, each with a semaphore.
traced: bpftrace attaches to every probe of usdt-dtrace's build (optimized and
not) and must see each fire the program reports, with the same values.

Besides the test provider files, tests/dtrace/real holds provider files
equivalent to PostgreSQL's and CPython's; their programs are generated
(real_program), firing every probe with values of its argument types.
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
    "postgresql": ["-C"],
    "python": [],
}
# Provider files of real projects (tests/dtrace/real), whose programs are
# generated: each probe fired twice with distinct values of its types, and
# a probe harness:done added to the provider file.
REAL = {"postgresql", "python"}
CFLAGS = ["-std=gnu11", "-Wall", "-Wextra", "-Werror"]


def run(argv, cwd=None):
    result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
    check(result.returncode == 0, f"{' '.join(argv)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def real_program(name, out):
    """The provider file and sources of a program for tests/dtrace/real/NAME.d,
    written into out: the file with harness:done added, NAME_a.c firing the
    first half of its probes, NAME_b.c the rest. The probes' C types are
    read from the header usdt-dtrace generates."""
    with open(os.path.join(source_dir, "real", f"{name}.d")) as f:
        text = f.read()
    d_file = os.path.join(out, f"{name}.d")
    with open(d_file, "w") as f:
        f.write(text + "\nprovider harness {\n\tprobe done();\n};\n")
    run(GENERATORS["usdt"] + PROGRAMS[name] + ["-h", "-s", d_file, "-o", "types.h"], cwd=out)
    with open(os.path.join(out, "types.h")) as f:
        header = f.read()
    probes = []
    for match in re.finditer(r"^USDT__DTRACE_PROBE\((\w+), (\w+), \(\w+, \w+, \w+(.*)\)\);\n"
                             r"#define (\w+)\(", header, re.M):
        provider, probe, types, macro = match.groups()
        if probe != "done":
            probes.append((f"{provider}:{probe}", macro, types.split(", ")[1:]))
    check(probes, f"no probes read from usdt-dtrace's header for {name}.d")
    halves = (probes[:len(probes) // 2], probes[len(probes) // 2:])
    for part, half in zip("ab", halves):
        lines = [f'#include "{name}_probes.h"', '#include "program.h"', "",
                 "int probes_enabled_a(void);", "void workload_a(void);",
                 "int probes_enabled_b(void);", "void workload_b(void);", "",
                 f"int probes_enabled_{part}(void)", "{", "\treturn 0" +
                 "".join(f" + !!{macro}_ENABLED()" for _, macro, _ in half) + ";", "}", "",
                 f"void workload_{part}(void)", "{", "\tfor (int k = 1; k <= 2; k++) {"]
        for i, (probe, macro, types) in enumerate(half):
            values, formats, reports = [], [], []
            for j, ctype in enumerate(types):
                variable = f"v{i}_{j}"
                if "*" in ctype:
                    value = f'"{probe} {j}"' if "char" in ctype else f"&probes_enabled_{part}"
                    formats.append("%llu")
                    reports.append(f"P({variable})")
                else:
                    value = f"({ctype})(k * {j * 37 + i + 1} * (k == 2 ? -1 : 1))"
                    unsigned = ctype.startswith("unsigned") or ctype.startswith("uint")
                    formats.append("%llu" if unsigned else "%lld")
                    reports.append(f"{'U' if unsigned else 'S'}({variable})")
                values.append(f"\t\t{ctype} {variable} = {value};")
            lines += values
            lines.append(f"\t\t{macro}({', '.join(f'v{i}_{j}' for j in range(len(types)))});")
            lines.append(f'\t\tREPORT("fire {probe}{"".join(" " + f for f in formats)}"'
                         f'{"".join(", " + r for r in reports)});')
        lines += ["\t}", "}", ""]
        if part == "b":
            lines += [f"const int probe_count = {len(probes) + 1};", "",
                      "int probes_enabled(void)", "{",
                      "\treturn probes_enabled_a() + probes_enabled_b() + !!HARNESS_DONE_ENABLED();",
                      "}", "", "void workload(void)", "{", "\tworkload_a();", "\tworkload_b();",
                      "}", "", "void fire_done(void)", "{", "\tHARNESS_DONE();", "}", ""]
        with open(os.path.join(out, f"{name}_{part}.c"), "w") as f:
            f.write("\n".join(lines))
    return d_file


def build(generator, name, optimization="-O2"):
    """Build program `name` with `generator`'s header and object: its path."""
    out = os.path.join(scratch, generator + optimization, name)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    d_file = os.path.join(source_dir, f"{name}.d")
    sources = [os.path.join(source_dir, f) for f in ("main.c", f"{name}_a.c", f"{name}_b.c")]
    if name in REAL:
        d_file = real_program(name, out)
        sources[1:] = [os.path.join(out, f"{name}_{part}.c") for part in "ab"]
    tool = GENERATORS[generator] + PROGRAMS[name]
    # systemtap's dtrace writes temporary files in its working directory.
    run(tool + ["-h", "-s", d_file, "-o", f"{name}_probes.h"], cwd=out)
    objects = []
    for source in sources:
        obj = os.path.join(out, os.path.basename(source).replace(".c", ".o"))
        run(["cc", optimization] + CFLAGS + ["-I", out, "-I", root, "-I", source_dir, "-c",
                                             source, "-o", obj])
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
