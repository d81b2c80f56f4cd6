"""An example run under bpftrace by run.py, its tracer output compared with
NAME.expected: line for line where the output is deterministic, by shape
for latency (lines starting with # in NAME.expected say what is checked).

    test_examples.py NAME BINARY
"""

import os
import re
import sys

import run
import tracing
from tracing import check, fail

name, binary = sys.argv[1], sys.argv[2]
tracing.require_tracer()

try:
    result = run.run(name, binary)
except run.Failure as failure:
    fail(str(failure))
# What ./run.sh demo shows of such a run.
check(result.output.rstrip("\n") in run.report(name, result),
      f"the demonstration's report lacks the tracer's output:\n{run.report(name, result)}")

with open(os.path.join(run.HERE, f"{name}.expected")) as file:
    expected = [line.rstrip() for line in file if not line.startswith("#")]
output = [line.rstrip() for line in result.output.splitlines()]
shown = "\n".join(output)


def reported(pattern):
    """The number the program reported on its line matching pattern."""
    for line in result.program_lines:
        match = re.fullmatch(pattern, line)
        if match:
            return int(match.group(1))
    fail(f"the program printed no /{pattern}/: {result.program_lines}")


def histogram(map_name):
    """The rows of a bpftrace hist or lhist: [(low bound, count)]."""
    scale = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    check(f"@{map_name}:" in output, f"bpftrace printed no @{map_name}:\n{shown}")
    rows = []
    for line in output[output.index(f"@{map_name}:") + 1:]:
        match = re.fullmatch(r"\[(\d+)([KMG]?), \d+[KMG]?\)\s+(\d+) \|@*\s*\|", line)
        if not match:
            break
        rows.append((int(match.group(1)) * scale[match.group(2)], int(match.group(3))))
    check(rows, f"@{map_name} has no histogram rows:\n{shown}")
    return rows


def map_names(lines):
    return [line.split(":")[0].split("[")[0] for line in lines if line.startswith("@")]


if name == "latency":
    served = reported(r"served (\d+) requests")
    check(map_names(output) == map_names(expected),
          f"maps {map_names(output)}, expected {map_names(expected)}:\n{shown}")
    rows = histogram("request_latency_us")
    check(sum(count for _, count in rows) == served,
          f"the histogram counts {sum(c for _, c in rows)} requests, the program served "
          f"{served}:\n{shown}")
    # 100 us and more fall in [64, 128) or above.
    check(rows[0][0] >= 64, f"a request took less than the 100 us it sleeps:\n{shown}")
    summary = re.search(r"^@summary_us: count (\d+), average \d+, total \d+$", result.output,
                        re.M)
    check(summary and int(summary.group(1)) == served, f"@summary_us is wrong:\n{shown}")
    print(f"ok: latency: {served} requests in {len(rows)} log2 buckets")
    sys.exit(0)

if name == "runtime_names":
    path = result.tracer_argv[2]
    output = [line.replace(path, "/proc/PID/fd/N") for line in output]
check(output == expected,
      f"bpftrace printed:\n{shown}\nexpected ({name}.expected):\n" + "\n".join(expected))

if name == "hello":
    check(reported(r"greeted (\d+) times") == len(output), "greetings and traced lines differ")
elif name == "randist":
    check(sum(count for _, count in histogram("values")) == reported(r"drew (\d+) numbers"),
          "the histogram does not count every number drawn")
elif name == "runtime_names":
    counted = sum(int(line.rsplit(" ", 1)[1]) for line in output)
    check(counted == reported(r"sent (\d+) requests"), "the counts do not add up")
elif name == "mixed":
    check(reported(r"handled (\d+) requests") * 4 == len(output), "a stage was not traced")
elif name == "on_demand":
    check(reported(r"ran (\d+) jobs") == len(output), "jobs and traced lines differ")
    mappings = result.object_mappings
    check(mappings["before SIGUSR1"] == [],
          f"object mappings before the first SIGUSR1: {mappings['before SIGUSR1']}")
    check(mappings["after SIGUSR1"] and
          all("memfd:usdt:on_demand" in m or "/on_demand-" in m
              for m in mappings["after SIGUSR1"]),
          f"object mappings while loaded: {mappings['after SIGUSR1']}")
    check(mappings["after a second SIGUSR1"] == [],
          f"object mappings after the second SIGUSR1: {mappings['after a second SIGUSR1']}")
print(f"ok: {name}: bpftrace output as in {name}.expected")
