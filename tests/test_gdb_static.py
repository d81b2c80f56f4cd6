"""gdb reads every argument of a static probe.

  test_gdb_static.py PROGRAM...

Each PROGRAM is tests/gdb_target.c built at one optimization level. gdb runs
it with a breakpoint on the probe (`break -probe-stap usdt_gdb:mixed`, which
also raises the probe's semaphore, so the gated USDT_FIRE fires) and, at each
stop, reads $_probe_arg0 to $_probe_arg11 with their types. Checked:
  - `info probes` lists the probe at every site the notes name, and the
    breakpoint has one location per site;
  - gdb stops once per fire (twice), not once per site;
  - at each stop all 12 arguments are readable (gdb 13 rejects an argument
    spec naming a register it does not know, such as %r8b, and then reads
    none of the arguments after it) and equal, with their signedness, to the
    values the program printed before firing.
gdb missing is a skip, or under CI=true a failure.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

from tracing import SKIP, check, fail

PROBE = ("usdt_gdb", "mixed")
ARGUMENTS = 12
FIRES = 2

# Runs inside gdb: stop at the probe, write what gdb reads to RESULTS.
SCRIPT = r"""
import gdb
out = open(RESULTS, "w")
gdb.execute("break -probe-stap %s:%s" % PROBE)
out.write(gdb.execute("info probes stap %s %s" % PROBE, to_string=True))
out.write(gdb.execute("info breakpoints", to_string=True))
gdb.execute("run")
stop = 0
while gdb.selected_inferior().pid:
    stop += 1
    for i in range(ARGUMENTS):
        try:
            value = gdb.parse_and_eval("$_probe_arg%d" % i)
            out.write("stop %d arg %d = %d %s%d\n" % (
                stop, i, int(value), "-" if value.type.is_signed else "", value.type.sizeof))
        except gdb.error as error:
            out.write("stop %d arg %d error %s\n" % (stop, i, str(error).replace("\n", " ")))
    out.flush()
    gdb.execute("continue")
out.write("stops %d\n" % stop)
out.close()
"""


def notes(program):
    """The addresses of the probe's notes (readelf -n)."""
    text = subprocess.run(["readelf", "--wide", "-n", program], capture_output=True,
                          text=True, check=True).stdout
    return [int(m[2], 16) for m in re.findall(
        r"Provider: (\S+)\s+Name: (\S+)\s+Location: (0x[0-9a-f]+)", text)
        if (m[0], m[1]) == PROBE]


def check_program(program, scratch):
    name = os.path.basename(program)
    sites = notes(program)
    check(sites, f"{name}: no note for {PROBE[0]}:{PROBE[1]}")
    results = os.path.join(scratch, f"{name}.gdb")
    script = os.path.join(scratch, f"{name}.py")
    with open(script, "w") as f:
        f.write(f"RESULTS = {results!r}\nPROBE = {PROBE!r}\nARGUMENTS = {ARGUMENTS}\n")
        f.write(SCRIPT)
    run = subprocess.run(["gdb", "-batch", "-nx", "-x", script, "--args", program],
                         capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, LC_ALL="C"))
    check(os.path.exists(results), f"{name}: gdb wrote nothing (exit {run.returncode}):\n"
          f"{run.stdout}{run.stderr}")
    gdb_says = open(results).read()
    problems = []

    listed = [int(a, 16) for a in re.findall(
        rf"^stap\s+{PROBE[0]}\s+{PROBE[1]}\s+(0x[0-9a-f]+)", gdb_says, re.M)]
    if len(listed) != len(sites):
        problems.append(f"info probes lists {len(listed)} sites, the notes name {len(sites)}")
    # "Breakpoint 1 at ADDR" with one site, "<MULTIPLE>" and N.M lines otherwise.
    locations = len(re.findall(r"^1\.\d+\s", gdb_says, re.M)) or 1
    if locations != len(sites):
        problems.append(f"the breakpoint has {locations} locations for {len(sites)} sites")

    fired = [line.split()[1:] for line in run.stdout.splitlines() if line.startswith("fired:")]
    stops = re.search(r"^stops (\d+)", gdb_says, re.M)
    if len(fired) != FIRES:
        problems.append(f"the program printed {len(fired)} fires, expected {FIRES}:\n"
                        f"{run.stdout}{run.stderr}")
    if not stops or int(stops.group(1)) != FIRES:
        problems.append(f"gdb stopped {stops.group(1) if stops else 'an unknown number of'} "
                        f"times at the probe for {FIRES} fires")
    for stop, values in enumerate(fired, 1):
        for i, expected in enumerate(values):
            match = re.search(rf"^stop {stop} arg {i} (= (-?\d+) (-?)(\d)|error (.*))$",
                              gdb_says, re.M)
            if not match:
                problems.append(f"fire {stop}: gdb read nothing for $_probe_arg{i}")
            elif match.group(5) is not None:
                problems.append(f"fire {stop}: $_probe_arg{i}: {match.group(5)}")
            elif int(match.group(2)) != int(expected):
                problems.append(f"fire {stop}: $_probe_arg{i} is {match.group(2)} "
                                f"({'signed' if match.group(3) else 'unsigned'} "
                                f"{match.group(4)} bytes), fired {expected}")
    if problems:
        return [f"{name}: {p}" for p in problems]
    print(f"ok: {name}: {len(sites)} site(s), {FIRES} stops, {ARGUMENTS} arguments each")
    return []


def main():
    if shutil.which("gdb") is None:
        if os.environ.get("CI") == "true":
            fail("gdb is required under CI=true but is not installed")
        print("SKIP: gdb is not installed")
        sys.exit(SKIP)
    problems = []
    with tempfile.TemporaryDirectory() as scratch:
        for program in sys.argv[1:]:
            problems += check_program(os.path.abspath(program), scratch)
    if problems:
        fail("\n  ".join(["gdb misread the probe:"] + problems))


main()
