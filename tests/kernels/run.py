"""The kit's end-to-end tests on Debian's own kernels, booted under qemu.

    python3 tests/kernels/run.py BUILD_DIR [KERNEL...]    # ./run.sh test-kernels

Each kernel (a Debian linux-image package: KERNEL names one by its version,
e.g. 6.1 or 7.3) boots under qemu-system-x86_64 with single-threaded TCG (no
KVM needed) on a guest root made by debootstrap: Debian 12 with its bpftrace.
The whole root is the initramfs, so no kernel module is needed. Inside, the
guest (tests/kernels/guest.py) runs this build's tracer tests that exercise
the kernel's uprobes, and reports what the kernel does with each kind of
probe site. One table, kernel by kernel; the exit status is nonzero if any
test failed on any kernel.

Kernel packages, the guest root and its cpio archive are cached in
$USDT_KERNEL_CACHE (default /var/cache/usdt-kernels), outside the checkout;
a guest's console log is kept in BUILD_DIR/kernels. $USDT_KERNEL_JOBS
guests boot at a time (default 2); $USDT_KERNEL_TESTS, names of tests
separated by "|", runs only those.
"""

import concurrent.futures
import fcntl
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import debian  # noqa: E402

SUITES = ["bookworm", "bookworm-backports", "trixie", "trixie-backports"]
# (version, the package holding its vmlinuz: linux-binary-* from 6.19 on):
# Debian 12, its backports, Debian 13, its backports.
KERNELS = [
    ("6.1", "linux-image-6.1.0-50-amd64"),
    ("6.12.95", "linux-image-6.12.95+deb12-amd64"),
    ("6.12.117", "linux-image-6.12.117+deb13-amd64"),
    ("6.16", "linux-image-6.16.12+deb13-amd64"),
    ("6.17", "linux-image-6.17.13+deb13-amd64"),
    ("6.18", "linux-image-6.18.15+deb13-amd64"),
    ("6.19", "linux-binary-6.19.14+deb13-amd64"),
    ("7.0", "linux-binary-7.0.13+deb13-amd64"),
    ("7.1", "linux-binary-7.1.13+deb13-amd64"),
    ("7.2", "linux-binary-7.2.12+deb13-amd64"),
    ("7.3", "linux-binary-7.3.4+deb13-amd64"),
]
ROOT_PACKAGES = "bpftrace,python3,libelf1,libbpf1"
# The meson tests the guest runs (they skip nothing: CI=true inside).
TESTS = ["static probes under bpftrace", "dynamic probes under bpftrace and libbpf",
         "probe sites on this kernel", "probes under seccomp filters",
         "static probes batched under bpftrace, batch",
         "dynamic probes batched under bpftrace, batch", "usdt-record, static",
         "usdt-record, ends"]
# $USDT_KERNEL_TESTS (names separated by "|") runs only those of them.
if os.environ.get("USDT_KERNEL_TESTS"):
    TESTS = [name for name in TESTS if name in os.environ["USDT_KERNEL_TESTS"].split("|")]
BOOT_TIMEOUT = 1500


def fail(message):
    sys.exit(f"test-kernels: {message}")


def run(argv, **kwargs):
    result = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        fail(f"{' '.join(map(str, argv))} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def kernel_image(cache, package):
    """The vmlinuz of package, unpacked once into the cache."""
    image = os.path.join(cache, "vmlinuz", package)
    if not os.path.exists(image):
        try:
            deb, = debian.download(cache, SUITES, [package])
        except debian.FetchError as error:
            fail(str(error))
        os.makedirs(os.path.dirname(image), exist_ok=True)
        tar = subprocess.run(f"dpkg-deb --fsys-tarfile '{deb}' | tar -xO --wildcards '*/vmlinuz*'",
                             shell=True, capture_output=True)
        if tar.returncode != 0 or not tar.stdout:
            fail(f"no vmlinuz in {deb}: {tar.stderr.decode()}")
        with open(image + ".tmp", "wb") as out:
            out.write(tar.stdout)
        os.rename(image + ".tmp", image)
    return image


def guest_root(cache):
    """The guest root as an uncompressed cpio archive, built once: Debian 12
    (minbase) with bpftrace, Python and the kit's libraries' dependencies."""
    archive = os.path.join(cache, "root-bookworm.cpio")
    with open(os.path.join(cache, "root.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.exists(archive):
            return archive
        root = os.path.join(cache, "root-bookworm")
        if not os.path.exists(os.path.join(root, "usr/bin/bpftrace")):
            shutil.rmtree(root, ignore_errors=True)
            print("test-kernels: debootstrap of the guest root (a few minutes)", flush=True)
            run(["debootstrap", "--variant=minbase", f"--include={ROOT_PACKAGES}", "bookworm",
                 root, debian.mirror()])
        # What a guest never reads: downloaded packages, documentation.
        for directory in ("var/cache/apt/archives", "var/lib/apt/lists", "usr/share/doc",
                          "usr/share/man", "usr/share/locale", "usr/share/info"):
            shutil.rmtree(os.path.join(root, directory), ignore_errors=True)
        cpio(root, archive)
    return archive


def cpio(directory, archive):
    """Write an uncompressed newc cpio archive of directory to archive
    (parents before their contents, as the kernel's unpacker needs)."""
    with open(archive + ".tmp", "wb") as out:
        result = subprocess.run("find . -print0 | cpio --null -o -H newc --quiet",
                                shell=True, cwd=directory, stdout=out, stderr=subprocess.PIPE)
    if result.returncode != 0:
        fail(f"cpio of {directory} failed: {result.stderr.decode()}")
    os.rename(archive + ".tmp", archive)


def payload(build, work):
    """A cpio archive of what the guest runs: /init, this checkout's sources
    and build directory at their own paths, and the tests to run."""
    source = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    tests = json.loads(run(["meson", "introspect", "--tests", build]))
    chosen = [dict(test, workdir=test["workdir"] or build) for test in tests
              if test["name"] in TESTS]
    missing = set(TESTS) - {test["name"] for test in chosen}
    if missing:
        fail(f"build {build} has no tests {sorted(missing)}")
    stage = os.path.join(work, "payload")
    shutil.rmtree(stage, ignore_errors=True)
    os.makedirs(stage)
    for name in ("init", "guest.py"):
        shutil.copy(os.path.join(source, "tests/kernels", name), os.path.join(stage, name))
    with open(os.path.join(stage, "tests.json"), "w") as out:
        json.dump(chosen, out)
    # Where the checkout and the build sit, for /init (it mounts no tmpfs over them).
    with open(os.path.join(stage, "payload-paths"), "w") as out:
        out.write(f"{source}\n{build}\n")
    # The sources and the build's programs at their own absolute paths.
    for name in run(["git", "-C", source, "ls-files"]).split():
        target = os.path.join(stage, source.lstrip("/"), name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(os.path.join(source, name), target)
    built = os.path.join(stage, build.lstrip("/"))
    for dirpath, dirnames, names in os.walk(build):
        dirnames[:] = [d for d in dirnames if d not in ("kernels", "debian", "matrix", "meson-private")
                       and not d.endswith(".p") and "scratch" not in d]
        for name in names:
            path = os.path.join(dirpath, name)
            if name.endswith((".o", ".a", ".ninja", ".json", ".log", ".txt")) and \
                    not name.endswith(".bpf.o"):
                continue
            target = os.path.join(built, os.path.relpath(path, build))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copy2(path, target, follow_symlinks=False)
    archive = os.path.join(work, "payload.cpio")
    cpio(stage, archive)
    return archive


def boot(image, initrd, log):
    """Boot image under qemu; the guest's reports, parsed from its console."""
    argv = ["qemu-system-x86_64", "-accel", "tcg,thread=single", "-cpu", "max", "-m", "3072",
            "-smp", "1", "-nographic", "-no-reboot", "-kernel", image, "-initrd", initrd,
            "-append", "console=ttyS0 rdinit=/init panic=-1 quiet loglevel=4"]
    with open(log, "w") as out:
        try:
            subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                           timeout=BOOT_TIMEOUT)
        except subprocess.TimeoutExpired:
            pass
    reports = {"tests": {}}
    with open(log, errors="replace") as console:
        for line in console:
            line = line.strip()
            if line.startswith("usdt-guest "):
                report = json.loads(line.split(" ", 1)[1])
                if "test" in report:
                    reports["tests"][report["test"]] = report
                else:
                    reports.update(report)
    return reports


def main():
    if len(sys.argv) < 2:
        fail("usage: run.py BUILD_DIR [KERNEL...]")
    build = os.path.abspath(sys.argv[1])
    wanted = sys.argv[2:] or [version for version, _ in KERNELS]
    kernels = [(v, p) for v, p in KERNELS if any(v == w or v.startswith(w + ".") for w in wanted)]
    if not kernels:
        fail(f"no kernel matches {wanted}; known: {[v for v, _ in KERNELS]}")
    cache = os.environ.get("USDT_KERNEL_CACHE", "/var/cache/usdt-kernels")
    os.makedirs(cache, exist_ok=True)
    images = [(version, kernel_image(cache, package)) for version, package in kernels]
    root = guest_root(cache)
    work = os.path.join(build, "kernels")
    os.makedirs(work, exist_ok=True)
    initrd = os.path.join(work, "initrd.cpio")
    with open(initrd, "wb") as out:
        for part in (root, payload(build, work)):
            with open(part, "rb") as archive:
                shutil.copyfileobj(archive, out, 1 << 20)
    def test(version, image):
        log = os.path.join(work, f"console-{version}.log")
        report = boot(image, initrd, log)
        results = [report["tests"].get(name, {}).get("result", "none") for name in TESTS]
        ok = bool(report.get("done")) and all(result.startswith("ok") for result in results)
        print(f"test-kernels: {version}: {'ok' if ok else 'FAILED, see ' + log}", flush=True)
        return report.get("kernel", os.path.basename(image)), results, report, ok, log

    # Guests in parallel, each on one host thread (single-threaded TCG).
    jobs = int(os.environ.get("USDT_KERNEL_JOBS", "2"))
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        rows = list(pool.map(lambda kernel: test(*kernel), images))
    failed = not all(row[3] for row in rows)
    # One line per kernel and test, in meson's test log format, for run.sh's
    # closing count.
    with open(os.path.join(work, "testlog.json"), "w") as log:
        for kernel, results, _, _, _ in rows:
            for name, result in zip(TESTS, results):
                log.write(json.dumps({"name": f"{kernel}: {name}",
                                      "result": "OK" if result.startswith("ok") else "FAIL"})
                          + "\n")
    print()
    print("| kernel (Debian) | vDSO says | tests passed | the kit's sites (traced) "
          "| other sites traced, then detached | traced cost / nop1 |")
    print("|---|---|---|---|---|---|")
    for kernel, results, report, ok, log in rows:
        sites = report["tests"].get("probe sites on this kernel", {})
        passed = sum(result.startswith("ok") for result in results)
        notes = [f"{name}: {result}" for name, result in zip(TESTS, results) if result != "ok"]
        print(f"| {kernel} | {sites.get('vdso', '?')} | {passed}/{len(TESTS)}"
              + (f" ({'; '.join(notes)})" if notes else "")
              + f" | {sites.get('site', '?')} | {sites.get('kinds', '?')} "
              f"| {sites.get('ratios', '?')} |")
    for kernel, results, report, ok, log in rows:
        for name, test in report["tests"].items():
            if test.get("result") != "ok":
                print(f"\n{kernel}: {name}: {test.get('result')}\n{test.get('output', '')}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
