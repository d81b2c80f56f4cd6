"""Inside a test-kernels guest: run the tests listed in tests.json (meson's
introspection of the build), each reported as one console line
"usdt-guest {json}" for tests/kernels/run.py."""

import json
import os
import subprocess
import sys


def report(**fields):
    print("usdt-guest " + json.dumps(fields), flush=True)


def run(test):
    """Run a meson test: its status ("ok", "skip", "failed (N)", ...) and output."""
    env = dict(os.environ, **test["env"], CI="true")
    cmd = test["cmd"]
    # The host's Python, found by meson, is the guest's own python3.
    if os.path.basename(cmd[0]).startswith("python"):
        cmd = ["python3", *cmd[1:]]
    try:
        result = subprocess.run(cmd, env=env, cwd=test.get("workdir") or "/",
                                capture_output=True, text=True,
                                timeout=4 * (test.get("timeout") or 300))
    except subprocess.TimeoutExpired as error:
        return "timeout", f"{error.stdout or ''}{error.stderr or ''}"
    except OSError as error:
        return "failed to start", str(error)
    status = {0: "ok", 77: "skip"}.get(result.returncode, f"failed ({result.returncode})")
    return status, result.stdout + result.stderr


def main():
    uname = os.uname()
    # Debian's kernels name their package version in uname -v.
    package = uname.version.split("Debian ", 1)[1].split()[0] if "Debian " in uname.version else ""
    report(kernel=f"{uname.release} {package}".strip())
    for test in json.load(open(sys.argv[1])):
        status, output = run(test)
        if status != "ok":
            # bpftrace 0.17 in a TCG guest now and then leaves a map out of
            # what it prints at exit (seen once each on 6.12, 6.16 and 6.19,
            # in the static probes' test): one more run, and the table says so.
            first = output
            status, output = run(test)
            status = ("ok, on a second run" if status == "ok" else status)
            output = f"first run:\n{first}\nsecond run:\n{output}"
        fields = {}
        # Facts a test states for the table: "usdt-kernel KEY=VALUE" lines.
        for line in output.splitlines():
            if line.startswith("usdt-kernel "):
                key, _, value = line[len("usdt-kernel "):].partition("=")
                fields[key] = value
        report(test=test["name"], result=status, output=output[-4000:], **fields)
    report(done=True)


main()
