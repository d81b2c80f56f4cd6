#!/usr/bin/env python3
"""Two builds' bench_provider, interleaved: what one version of the kit costs
per provider against another, in one run.

    python3 bench/compare_provider.py OLD_BUILD NEW_BUILD [ROUNDS]

Each build is a release build (meson setup DIR --buildtype=release) of one
version; each round runs both bench_provider programs (501 samples each, in
alternating order), each with a fresh directory of its own for the
providers' files. Prints, per measure, the median over rounds of each
version's per-round median, and the median, fastest and slowest of the
rounds' ratios new/old."""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile

MEASURES = ["create_load_1", "create_load_10", "create_load_100", "destroy_10",
            "providers_1000", "unload_10", "reload_10", "fds"]


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    builds = {"old": sys.argv[1], "new": sys.argv[2]}
    rounds = int(sys.argv[3]) if len(sys.argv) == 4 else 9
    values = {kind: {m: [] for m in MEASURES} for kind in builds}
    scratch = tempfile.mkdtemp(prefix="usdt-compare-", dir=os.path.abspath(sys.argv[2]))
    try:
        for r in range(rounds):
            for kind in (["old", "new"] if r % 2 else ["new", "old"]):
                objects = os.path.join(scratch, f"{kind}-{r}")
                os.makedirs(objects)
                out = subprocess.run(
                    [os.path.join(builds[kind], "bench", "bench_provider"), "501", "1"],
                    env=dict(os.environ, USDT_DIR=objects), capture_output=True, text=True,
                    check=True).stdout
                samples = {}
                for line in out.splitlines():
                    key, value = line.split()[:2]
                    samples.setdefault(key, []).append(float(value))
                for m in MEASURES:
                    values[kind][m].append(statistics.median(samples[m]))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print("| Measure (ns; fds per provider) | old | new | new / old: median (fastest-slowest round) |")
    print("|---|---|---|---|")
    for m in MEASURES:
        old, new = values["old"][m], values["new"][m]
        ratios = sorted(n / o for n, o in zip(new, old) if o)
        ratio = (f"{statistics.median(ratios):.2f} ({ratios[0]:.2f}-{ratios[-1]:.2f})"
                 if ratios else "")
        print(f"| {m} | {statistics.median(old):.0f} | {statistics.median(new):.0f} | {ratio} |")


if __name__ == "__main__":
    main()
