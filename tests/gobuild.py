"""Build Go programs against bindings/go and the built libusdt, offline and
inside the build directory: the Go build cache, GOPATH and every output
live under SCRATCH (nothing in $HOME), no module is downloaded.

    built = gobuild.build(SOURCE, LIBRARY, SCRATCH, {"name": "program.go", ...})

gives each program's executable, built and (unless vet=False) checked by
go vet with the package. cgo finds the library through meson's
uninstalled pkg-config files, the executable through its rpath; with
installed=True, as a user's program does after `meson install`.
"""

import os
import shutil
import subprocess

from tracing import check, TIMEOUT


def build(source, library, scratch, programs, env=None, installed=False, vet=True):
    env = dict(env or os.environ, GOCACHE=os.path.join(scratch, "cache"),
               GOPATH=os.path.join(scratch, "gopath"), GOENV="off", GOPROXY="off",
               GOFLAGS="-mod=mod", GO111MODULE="on", CGO_ENABLED="1")
    if not installed:
        build_dir = os.path.dirname(os.path.abspath(library))
        env.update(PKG_CONFIG_PATH=os.path.join(build_dir, "meson-uninstalled"),
                   CGO_LDFLAGS=f"-Wl,-rpath,{build_dir}")
    built = {}
    for name, program in programs.items():
        directory = os.path.join(scratch, name)
        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory)
        shutil.copy(program, os.path.join(directory, "main.go"))
        with open(os.path.join(directory, "go.mod"), "w") as f:
            f.write(f"module {name}\n\ngo 1.19\n\nrequire usdt v0.0.0\n\n"
                    f"replace usdt => {os.path.join(source, 'bindings', 'go')}\n")
        built[name] = os.path.join(directory, name)
        # go vet too: the program and the package (cgo pointer rules, unsafe).
        for argv in [["go", "build", "-o", built[name], "."]] + vet * [["go", "vet", ".", "usdt"]]:
            result = subprocess.run(argv, cwd=directory, env=env, capture_output=True,
                                    text=True, timeout=TIMEOUT * 5)
            check(result.returncode == 0,
                  f"{' '.join(argv)} of {program} failed:\n{result.stderr}")
    return built
