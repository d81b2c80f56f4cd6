"""The kit as other projects consume it, each way built and traced by
bpftrace: its static and dynamic probes, fired through the verbs and through
usdt_probe_fire, arrive with exact values and counts.

    test_install.py pkg-config       SOURCE BUILD SCRATCH
    test_install.py cmake-package    SOURCE BUILD SCRATCH
    test_install.py cmake-subdirectory SOURCE BUILD SCRATCH

pkg-config: `meson install` into a DESTDIR installs exactly the header, the
libraries, the pkg-config files and the CMake package (and no file of the
tests, examples or benchmarks); programs built with `pkg-config --cflags
--libs usdt-dynamic` (shared), `--static` (libusdt.a) and `pkg-config usdt`
(header only). cmake-package: find_package(usdt CONFIG) against that DESTDIR,
with its version check. cmake-subdirectory: add_subdirectory of the source
tree. system: the README's `meson install` into /usr/local of a fresh root (a
private mount namespace), then a pkg-config consumer, Python, Ruby and Go
(cgo with pkg-config) load libusdt with no other step."""

import json
import os
import re
import shutil
import subprocess
import sys

import tracing
from tracing import check

mode, source, build, scratch = sys.argv[1:5]
tracing.require_tracer()
consumer_source = os.path.join(source, "tests", "installed")
work = os.path.join(scratch, mode)
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)


def run(argv, **kwargs):
    result = subprocess.run(argv, capture_output=True, text=True, timeout=tracing.TIMEOUT,
                            **kwargs)
    check(result.returncode == 0,
          f"{' '.join(argv)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout


with open(os.path.join(build, "meson-info", "intro-buildoptions.json")) as f:
    options = {o["name"]: o["value"] for o in json.load(f)}
with open(os.path.join(build, "meson-info", "intro-projectinfo.json")) as f:
    version = json.load(f)["version"]
prefix = options["prefix"]
libdir = os.path.join(prefix, options["libdir"])
includedir = os.path.join(prefix, options["includedir"])
bindir = os.path.join(prefix, options["bindir"])
abi = re.search(r"^#define USDT_ABI_VERSION (\d+)$",
                open(os.path.join(source, "usdt.h")).read(), re.M).group(1)


def install():
    """meson install into a DESTDIR; the DESTDIR."""
    destdir = os.path.join(work, "destdir")
    run(["meson", "install", "-C", build, "--no-rebuild", "--destdir", destdir])
    return destdir


def check_installed(destdir):
    installed = set()
    for directory, _, files in os.walk(destdir):
        installed |= {os.path.join(directory, f)[len(destdir):] for f in files}
    expected = {os.path.join(includedir, "usdt.h")} | {
        os.path.join(libdir, name) for name in (
            "libusdt.a", "libusdt.so", f"libusdt.so.{abi}", f"libusdt.so.{version}",
            "pkgconfig/usdt.pc", "pkgconfig/usdt-dynamic.pc")} | {
        os.path.join(bindir, "usdt-dtrace")}
    # usdt-record, where the build has it (clang and libbpf found).
    if os.path.exists(os.path.join(build, "tools", "usdt-record", "usdt-record")):
        expected.add(os.path.join(bindir, "usdt-record"))
    # The CMake package: under libdir, or lib where CMake would not search
    # libdir (lib64 on Debian); find_package is tried in the cmake modes.
    cmake_dirs = {os.path.join(d, "cmake", "usdt") for d in (libdir, os.path.join(prefix, "lib"))}
    cmake_files = {path for path in installed if os.path.dirname(path) in cmake_dirs}
    check({os.path.basename(p) for p in cmake_files} == {"usdtConfig.cmake",
                                                        "usdtConfigVersion.cmake"}
          and len({os.path.dirname(p) for p in cmake_files}) == 1,
          f"the CMake package: {sorted(cmake_files)}")
    extra = installed - expected - cmake_files
    check(expected <= installed, f"not installed: {sorted(expected - installed)}")
    check(not extra, f"installed beyond the kit: {sorted(extra)}")
    check(os.readlink(destdir + os.path.join(libdir, "libusdt.so")) == f"libusdt.so.{abi}",
          "libusdt.so does not link to the soname")
    generator = destdir + os.path.join(bindir, "usdt-dtrace")
    check(os.access(generator, os.X_OK), f"{generator} is not executable")


def needed(binary):
    return re.findall(r"\(NEEDED\).*\[(.*)\]", run(["readelf", "-d", binary]))


def check_note(binary):
    """The header-only program holds its static probe's note."""
    notes = run(["readelf", "-n", binary])
    check(re.search(r"Provider: header_only\s+Name: hello", notes),
          f"{binary} has no header_only:hello note:\n{notes}")


def trace(binary, env=None):
    """Run the consumer under bpftrace; check values, counts and results."""
    proc = subprocess.Popen([binary], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            env=env)
    try:
        first = proc.stdout.readline()
        match = re.match(r"path=(\S+) abi=(\d+) version=(\S+)", first)
        check(match, f"consumer printed {first!r}")
        path = match.group(1)
        check(match.group(2) == abi and match.group(3) == version,
              f"consumer reports ABI {match.group(2)}, version {match.group(3)}")
        binary = os.path.abspath(binary)
        out, rest = tracing.trace_process(proc, f"""
            usdt:{binary}:consumer:values {{
                printf("static %ld %lu %s\\n", arg0, arg1, str(arg2)); }}
            usdt:{path}:consumer_dynamic:values {{
                printf("dynamic %ld %lu %s\\n", arg0, arg1, str(arg2)); }}
            usdt:{binary}:consumer:counted {{ @static = count(); @static_sum = sum(arg0); }}
            usdt:{path}:consumer_dynamic:counted {{
                @dynamic = count(); @dynamic_sum = sum(arg0); }}
            usdt:{binary}:consumer:done {{ exit(); }}""")
    finally:
        if proc.poll() is None:
            proc.kill()
    check(proc.returncode == 0, f"consumer exited with {proc.returncode}: {rest}")
    for kind in ("static", "dynamic"):
        lines = [line for line in out.splitlines() if line.startswith(kind + " ")]
        check(lines == [f"{kind} -9223372036854775808 18446744073709551615 {kind} macro",
                        f"{kind} 9223372036854775807 0 {kind} call"],
              f"{kind} values differ:\n{out}")
        check(f"{kind}_fired=1 {kind}_wrong_argc=-22" in rest,
              f"usdt_probe_fire on the {kind} probe: {rest}")
        check(f"{kind}_counted=100" in rest, f"consumer did not fire {kind} while traced: {rest}")
        check(tracing.bpftrace_map(out, kind) == 100, f"bpftrace counted {kind} fires:\n{out}")
        check(tracing.bpftrace_map(out, f"{kind}_sum") == 5050, f"{kind} sum differs:\n{out}")


def cmake(*definitions, expect_failure=False):
    """Configure and build tests/installed with CMake; its build directory."""
    directory = os.path.join(work, "cmake")
    shutil.rmtree(directory, ignore_errors=True)
    argv = ["cmake", "-S", consumer_source, "-B", directory] + [f"-D{d}" for d in definitions]
    if expect_failure:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=tracing.TIMEOUT)
        check(result.returncode != 0, f"{' '.join(argv)} succeeded")
        return result.stderr
    run(argv)
    run(["cmake", "--build", directory])
    return directory


if mode == "pkg-config":
    destdir = install()
    check_installed(destdir)
    # Only the kit's .pc files: as on a machine without libelf-dev.
    env = dict(os.environ, PKG_CONFIG_LIBDIR=destdir + os.path.join(libdir, "pkgconfig"),
               PKG_CONFIG_SYSROOT_DIR=destdir)
    env.pop("PKG_CONFIG_PATH", None)

    def pkg_config(*args):
        return run(["pkg-config"] + list(args), env=env).split()

    check(subprocess.run(["pkg-config", "--exists", "libelf"], env=env).returncode != 0,
          "libelf.pc is found with PKG_CONFIG_LIBDIR set to the kit's directory")
    check(pkg_config("--modversion", "usdt") == [version], "usdt.pc has another version")
    check(pkg_config("--modversion", "usdt-dynamic") == [version], "usdt-dynamic.pc version")
    check(pkg_config("--print-requires-private", "usdt-dynamic") == [],
          "usdt-dynamic.pc requires another package privately")
    check(pkg_config("--libs-only-l", "usdt-dynamic") == ["-lusdt"],
          "a shared link of usdt-dynamic takes more than -lusdt")
    check({"-lusdt", "-lelf", "-lz"} <= set(pkg_config("--static", "--libs-only-l",
                                                       "usdt-dynamic")),
          "a static link of usdt-dynamic does not get libelf and zlib")
    check(pkg_config("--libs", "usdt") == [], "usdt.pc links a library")
    cc = os.environ.get("CC", "cc")
    shared, static, header = (os.path.join(work, name) for name in
                              ("consumer", "consumer_static", "header_only"))
    run([cc, "-o", shared, os.path.join(consumer_source, "consumer.c")] +
        pkg_config("--cflags", "--libs", "usdt-dynamic"))
    # libusdt.a: what --static adds (libelf) is what it needs.
    static_libs = ["-Wl,-Bstatic", "-lusdt", "-Wl,-Bdynamic"]
    run([cc, "-o", static, os.path.join(consumer_source, "consumer.c")] +
        pkg_config("--cflags", "usdt-dynamic") +
        [a for lib in pkg_config("--static", "--libs", "usdt-dynamic")
         for a in (static_libs if lib == "-lusdt" else [lib])])
    run([cc, "-o", header, os.path.join(consumer_source, "header_only.c")] +
        pkg_config("--cflags", "--libs", "usdt"))
    check(f"libusdt.so.{abi}" in needed(shared), f"consumer needs {needed(shared)}")
    check(not any("usdt" in lib for lib in needed(static)),
          f"consumer_static needs {needed(static)}")
    check_note(header)
    untraced = run([static, "untraced"])
    check("static_fired=0 static_wrong_argc=-22" in untraced and
          "dynamic_counted=0" in untraced, f"consumer_static untraced: {untraced}")
    trace(shared, env=dict(os.environ, LD_LIBRARY_PATH=destdir + libdir))
    print(f"ok: installed {version} into a DESTDIR; pkg-config consumers (shared, static, "
          f"header) built, the shared one traced with exact values and counts")
elif mode == "system":
    # The README's steps in a fresh root: a private mount namespace with an
    # empty /usr/local and copies of /etc and ldconfig's cache, gone with it.
    check(prefix == "/usr/local", f"the build's prefix is {prefix}, not the README's /usr/local")
    run(["unshare", "--mount", "--propagation", "private", sys.executable, __file__,
         "system-root", source, build, scratch])
    print(f"ok: meson install into /usr/local of a fresh root; a pkg-config consumer, "
          f"Python, Ruby and Go load libusdt.so.{abi} from it with no other step, traced")
elif mode == "system-root":
    overlay = os.path.join(work, "overlay")
    os.makedirs(overlay, exist_ok=True)
    run(["mount", "-t", "tmpfs", "tmpfs", overlay])
    os.makedirs(os.path.join(overlay, "upper"))
    os.makedirs(os.path.join(overlay, "work"))
    run(["mount", "-t", "tmpfs", "tmpfs", prefix])
    run(["mount", "-t", "overlay", "overlay", "-o", f"lowerdir=/etc,upperdir={overlay}/upper,"
         f"workdir={overlay}/work", "/etc"])
    if os.path.isdir("/var/cache/ldconfig"):
        run(["mount", "-t", "tmpfs", "tmpfs", "/var/cache/ldconfig"])
    env = {k: v for k, v in os.environ.items()
           if k not in ("LD_LIBRARY_PATH", "USDT_LIBRARY", "PKG_CONFIG_PATH",
                        "PKG_CONFIG_LIBDIR", "PYTHONPATH", "RUBYLIB", "DESTDIR")}
    run(["meson", "install", "-C", build, "--no-rebuild"], env=env)
    consumer = os.path.join(work, "consumer")
    flags = run(["pkg-config", "--cflags", "--libs", "usdt-dynamic"], env=env).split()
    run([os.environ.get("CC", "cc"), "-o", consumer,
         os.path.join(consumer_source, "consumer.c")] + flags, env=env)
    trace(consumer, env=env)
    library = os.path.join(libdir, f"libusdt.so.{abi}")
    bindings = os.path.join(source, "bindings")
    maps = "open('/proc/self/maps').read()"
    python = run([sys.executable, "-c", f"""
import usdt
provider = usdt.Provider("installed_python")
provider.probe("hello", int)
provider.load()
provider.close()
print(usdt.abi_version(), {library!r} in {maps})"""],
                 env=dict(env, PYTHONPATH=os.path.join(bindings, "python")))
    check(python.split() == [abi, "True"], f"python: {python}")
    ruby = run(["ruby", "-I", os.path.join(bindings, "ruby"), "-e", f"""
require 'usdt'
provider = USDT::Provider.new('installed_ruby')
provider.tracepoint('hello', Integer)
provider.load
provider.destroy
puts USDT.abi_version, File.read('/proc/self/maps').include?({library!r})"""], env=env)
    check(ruby.split() == [abi, "true"], f"ruby: {ruby}")
    # Go: cgo finds the installed kit with pkg-config; the program loads it.
    check(shutil.which("go") or os.environ.get("CI") != "true", "go is missing")
    if not shutil.which("go"):
        print("SKIP: go is not installed: the Go part of this test did not run")
        sys.exit(tracing.SKIP)
    program = os.path.join(work, "installed.go")
    with open(program, "w") as f:
        f.write(f"""package main

import (
	"fmt"
	"os"
	"strings"

	"usdt"
)

func main() {{
	provider, err := usdt.NewProvider("installed_go")
	if err == nil {{
		_, err = provider.AddProbe("hello", usdt.Int64)
	}}
	if err == nil {{
		err = provider.Load()
	}}
	if err != nil {{
		panic(err)
	}}
	provider.Close()
	maps, _ := os.ReadFile("/proc/self/maps")
	fmt.Println(usdt.ABIVersion(), strings.Contains(string(maps), {json.dumps(library)}))
}}
""")
    import gobuild
    built = gobuild.build(source, library, os.path.join(work, "go"), {"installed": program},
                          env=env, installed=True, vet=False)
    go = run([built["installed"]], env=env)
    check(go.split() == [abi, "true"], f"go: {go}")
elif mode == "cmake-package":
    destdir = install()
    found = destdir + prefix
    wrong_major = str(int(version.split(".")[0]) + 1)
    errors = cmake(f"CMAKE_PREFIX_PATH={found}", f"USDT_VERSION_WANTED={wrong_major}.0",
                   expect_failure=True)
    check("not accepted" in errors and f"version: {version}" in errors,
          f"find_package(usdt {wrong_major}.0) failed otherwise:\n{errors}")
    directory = cmake(f"CMAKE_PREFIX_PATH={found}", f"USDT_VERSION_WANTED={version}")
    consumer = os.path.join(directory, "consumer")
    check(f"libusdt.so.{abi}" in needed(consumer), f"consumer needs {needed(consumer)}")
    check_note(os.path.join(directory, "header_only"))
    trace(consumer)
    print(f"ok: find_package(usdt {version} CONFIG) in a DESTDIR install; a newer major "
          f"refused; the consumer traced with exact values and counts")
elif mode == "cmake-subdirectory":
    directory = cmake(f"USDT_SOURCE_DIR={source}")
    check_note(os.path.join(directory, "header_only"))
    trace(os.path.join(directory, "consumer"))
    print("ok: add_subdirectory of the kit; the consumer traced with exact values and counts")
else:
    tracing.fail(f"unknown mode {mode}")
