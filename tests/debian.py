"""Programs from newer Debian releases, run here without installing anything.

Users trace and compile with newer tools than this machine's Debian 12. This
module fetches a newer release's packages (trixie, sid) with a private apt
configuration: its own sources list, package lists, cache and (empty) dpkg
status, signed-by the Debian archive keyring, from the mirror this machine's
apt already uses. The packages and everything they depend on are unpacked into
one directory per release under the build directory, and their programs run
through that release's own dynamic loader and libraries. Nothing touches the
system's dpkg database or /usr.

    python3 tests/debian.py CACHE_DIR SUITE PACKAGE...   # fetch, print the root

From Python: sysroot = debian.fetch(cache_dir, "sid", ["bpftrace"]), then
subprocess.run(sysroot.command("usr/bin/bpftrace", "--version")).
"""

import fcntl
import glob
import os
import subprocess
import sys

KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
ARCHITECTURE = "amd64"
TRIPLET = "x86_64-linux-gnu"


class FetchError(Exception):
    pass


def mirror():
    """The URI this machine's apt fetches its own Debian release from."""
    codename = ""
    with open("/etc/os-release") as release:
        for line in release:
            if line.startswith("VERSION_CODENAME="):
                codename = line.split("=", 1)[1].strip().strip('"')
    result = subprocess.run(["apt-get", "indextargets", "--no-release-info", "--format",
                             "$(REPO_URI) $(RELEASE)"], capture_output=True, text=True)
    for line in result.stdout.splitlines():
        uri, _, release = line.partition(" ")
        if release == codename:
            return uri
    raise FetchError(f"no apt source for this machine's release '{codename}' to take a "
                     "mirror from")


class Sysroot:
    """A directory holding unpacked packages of one Debian release."""

    def __init__(self, root):
        self.root = root
        self.loader = os.path.join(root, "usr/lib64/ld-linux-x86-64.so.2")
        self.library_path = ":".join(os.path.join(root, d) for d in (
            f"usr/lib/{TRIPLET}", "usr/lib", f"lib/{TRIPLET}"))

    def path(self, relative):
        return os.path.join(self.root, relative)

    def command(self, program, *args):
        """argv running program (relative to the root) through the release's
        own dynamic loader and libraries."""
        return [self.loader, "--library-path", self.library_path, self.path(program),
                *map(str, args)]


def _options(state):
    options = []
    for key, value in (("Dir::Etc::SourceList", f"{state}/sources.list"),
                       ("Dir::Etc::SourceParts", f"{state}/sources.list.d"),
                       ("Dir::Etc::Preferences", "/dev/null"),
                       ("Dir::Etc::PreferencesParts", f"{state}/preferences.d"),
                       ("Dir::State::Lists", f"{state}/lists"),
                       ("Dir::State::Status", f"{state}/status"),
                       ("Dir::Cache", f"{state}/cache"),
                       ("Debug::NoLocking", "1"),
                       # Mirrors and snapshots of the archive serve Release
                       # files past their Valid-Until date (sid's lasts a
                       # week); their signatures are still checked.
                       ("Acquire::Check-Valid-Until", "false"),
                       ("APT::Architecture", ARCHITECTURE),
                       ("APT::Architectures", ARCHITECTURE),
                       ("APT::Install-Recommends", "0")):
        options += ["-o", f"{key}={value}"]
    return options


def _apt(state, *args):
    result = subprocess.run(["apt-get", *_options(state), "-qq", *args], capture_output=True, text=True,
                            env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    if result.returncode != 0:
        raise FetchError(f"apt-get {' '.join(args)} failed:\n{result.stdout}{result.stderr}")


def _state(base, suites):
    """A private apt state under base whose sources are suites (main)."""
    state = os.path.join(base, "apt")
    for directory in ("sources.list.d", "preferences.d", "lists/partial",
                      "cache/archives/partial"):
        os.makedirs(os.path.join(state, directory), exist_ok=True)
    uri = mirror()
    with open(os.path.join(state, "sources.list"), "w") as sources:
        for suite in suites:
            sources.write(f"deb [signed-by={KEYRING}] {uri} {suite} main\n")
    open(os.path.join(state, "status"), "w").close()
    return state


def download(cache_dir, suites, packages):
    """The paths of packages' .deb files (without dependencies), taken from
    suites and downloaded into cache_dir/debs if not there yet. A package
    may be given as NAME=VERSION. Raises FetchError."""
    base = os.path.abspath(cache_dir)
    debs = os.path.join(base, "debs")
    os.makedirs(debs, exist_ok=True)
    with open(os.path.join(base, "lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        def found(package):
            return glob.glob(os.path.join(debs, package.split("=")[0] + "_*.deb"))
        wanted = [package for package in packages if not found(package)]
        if wanted:
            state = _state(base, suites)
            _apt(state, "update")
            result = subprocess.run(["apt-get", *_options(state), "-qq", "download", *wanted],
                                    cwd=debs, capture_output=True, text=True)
            if result.returncode != 0:
                raise FetchError(f"apt-get download failed:\n{result.stdout}{result.stderr}")
        return [found(package)[0] for package in packages]


def fetch(cache_dir, suite, packages):
    """The Sysroot of suite with packages and their dependencies unpacked,
    fetching what is not there yet. Raises FetchError."""
    base = os.path.abspath(os.path.join(cache_dir, suite))
    root = os.path.join(base, "root")
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(base, "lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = os.path.join(base, "packages")
        have = set(open(done).read().split()) if os.path.exists(done) else set()
        wanted = sorted(set(packages) - have)
        if wanted:
            state = _state(base, [suite])
            _apt(state, "update")
            _apt(state, "install", "--download-only", "-y", *wanted)
            unpacked = os.path.join(base, "unpacked")
            seen = set(open(unpacked).read().split()) if os.path.exists(unpacked) else set()
            for deb in sorted(glob.glob(os.path.join(state, "cache/archives/*.deb"))):
                name = os.path.basename(deb)
                if name in seen:
                    continue
                result = subprocess.run(["dpkg-deb", "-x", deb, root], capture_output=True,
                                        text=True)
                if result.returncode != 0:
                    raise FetchError(f"dpkg-deb -x {name} failed: {result.stderr}")
                with open(unpacked, "a") as log:
                    log.write(name + "\n")
            with open(done, "w") as log:
                log.write("\n".join(sorted(have | set(wanted))) + "\n")
    return Sysroot(root)


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit("usage: debian.py CACHE_DIR SUITE PACKAGE...")
    try:
        print(fetch(sys.argv[1], sys.argv[2], sys.argv[3:]).root)
    except (FetchError, OSError) as error:
        sys.exit(f"debian.py: {error}")
