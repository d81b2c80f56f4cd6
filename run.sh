#!/bin/sh
# run.sh demo | test | test-kernels [KERNEL...] | bench
#
# On Debian as root: installs what is missing, builds with meson and runs
#   demo   the latency example under bpftrace, showing what the tracer saw,
#          then recorded by usdt-record
#   test   the whole test suite: normal build, ASan+UBSan build, valgrind,
#          aarch64 under qemu-user; tracer tests attach bpftrace for real;
#          the tracer tests on three of Debian's kernels under qemu
#   test-kernels
#          the tracer tests on every Debian kernel of tests/kernels/run.py
#          (or those named, e.g. 6.1 7.3) under qemu, one table
#   bench  the benchmarks, printed as a markdown table
set -eu
cd "$(dirname "$0")"

BASE_PACKAGES="gcc pkg-config meson ninja-build python3 systemtap-sdt-dev libelf-dev bpftrace"
# usdt-record (tools/usdt-record): its BPF program is built by clang.
RECORD_PACKAGES="clang libbpf-dev"
TEST_PACKAGES="g++ clang lld mold make libbpf-dev valgrind gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user"
# gdb for its probe tests; 32-bit headers for the -m32 compile matrix (not
# gcc-multilib, which conflicts with gcc-aarch64-linux-gnu on Debian 12).
TEST_PACKAGES="$TEST_PACKAGES gdb gcc-12-multilib g++-12-multilib"
# systemd-analyze, for the @system-service seccomp filter's system calls.
TEST_PACKAGES="$TEST_PACKAGES systemd"
# Consumers of the installed kit (CMake) and the Python, Ruby and Go bindings.
CONSUMER_PACKAGES="cmake ruby ruby-ffi golang-go"
# The tracer matrix (tests/test_tracer_matrix.py): bcc's tplist, perf.
MATRIX_PACKAGES="bpfcc-tools linux-perf"
# The kernel matrix (tests/kernels): guests under qemu, their root made by
# debootstrap and packed with cpio.
KERNEL_PACKAGES="qemu-system-x86 debootstrap cpio"

# The Node.js binding: Debian's nodejs and libnode-dev (node_api.h), unless a
# Node with its headers is installed already (NodeSource's nodejs ships them).
node_packages() {
	command -v node >/dev/null && [ -e /usr/include/node/node_api.h ] || echo nodejs libnode-dev
}

# apt-get install the packages that are not installed yet.
install() {
	missing=""
	for package in "$@"; do
		dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" ||
			missing="$missing $package"
	done
	[ -z "$missing" ] && return 0
	echo "run.sh: installing$missing"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# libelf and zlib for arm64, unpacked where tests/test_aarch64.py looks
# (nothing of arm64 is installed on the system).
aarch64_sysroot() {
	sysroot=build/aarch64-sysroot
	[ -f "$sysroot/usr/lib/aarch64-linux-gnu/libelf.a" ] && return 0
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		dpkg --add-architecture arm64
		apt-get update -qq
	fi
	mkdir -p build/aarch64-debs "$sysroot"
	(cd build/aarch64-debs && apt-get download -qq libelf-dev:arm64 zlib1g-dev:arm64)
	for deb in build/aarch64-debs/*.deb; do dpkg -x "$deb" "$sysroot"; done
}

# bpftrace from Debian 13 and unstable for the tracer matrix, fetched into
# $USDT_DEBIAN_CACHE by tests/debian.py (nothing installed on the system). If
# the fetch fails the matrix says so: a skip, or a failure under CI=true.
matrix_bpftrace() {
	for suite in trixie sid; do
		python3 tests/debian.py "$USDT_DEBIAN_CACHE" "$suite" bpftrace >/dev/null ||
			echo "run.sh: could not fetch bpftrace from Debian $suite"
	done
}

# Run a command quietly; on failure show what it printed and stop.
quietly() {
	if ! output=$("$@" 2>&1); then
		printf '%s\n' "$output"
		echo "run.sh: failed: $*" >&2
		exit 1
	fi
}

setup() { # setup DIR [meson options...]
	dir=$1
	shift
	[ -f "$dir/build.ninja" ] || quietly meson setup "$dir" "$@"
	quietly meson compile -C "$dir"
}

# Print "N passed, N failed, N skipped" over the meson test logs given.
summary() {
	python3 - "$@" <<'EOF'
import json, sys
counts = {"passed": 0, "failed": 0, "skipped": 0}
for log in sys.argv[1:]:
    for line in open(log):
        result = json.loads(line)["result"]
        key = {"OK": "passed", "SKIP": "skipped"}.get(result, "failed")
        counts[key] += 1
print(f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
sys.exit(1 if counts["failed"] else 0)
EOF
}

case "${1:-}" in
demo)
	install $BASE_PACKAGES $RECORD_PACKAGES
	setup build
	# bpftrace attaches uprobes through tracefs.
	[ -e /sys/kernel/tracing/uprobe_events ] || mount -t tracefs nodev /sys/kernel/tracing
	python3 examples/run.py latency build/examples/latency
	# The same probes recorded in batch mode: the program hands its events
	# over in batches, one kernel entry per batch (docs/batching.md).
	echo
	echo "usdt-record -c 'latency --count 300' --hist 0 'latency:*'"
	build/tools/usdt-record/usdt-record -c "build/examples/latency --count 300" --hist 0 'latency:*' 2>&1 |
		grep -v -e '^latency (pid' -e 'bpftrace examples' -e '^served'
	;;
test)
	install $BASE_PACKAGES $RECORD_PACKAGES $TEST_PACKAGES $CONSUMER_PACKAGES $MATRIX_PACKAGES \
		$KERNEL_PACKAGES $(node_packages)
	aarch64_sysroot
	export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
	# Newer Debian releases' tracers and compilers (tests/debian.py), fetched
	# once for both builds.
	export USDT_DEBIAN_CACHE="$PWD/build/debian"
	matrix_bpftrace
	status=0
	# Dynamic providers' files go under the build directory, which a process
	# uses only if every directory up to it is its user's or root's.
	if [ "$(stat -c %u .)" != "$(id -u)" ] && [ "$(stat -c %u .)" != 0 ]; then
		echo "run.sh: this clone belongs to another user: run the tests as its owner," \
			"or as root in a clone of root's" >&2
	fi
	# The default directories of dynamic providers' files: the suite uses
	# its own, and must leave nothing in these.
	defaults="/run/usdt ${XDG_RUNTIME_DIR:+$XDG_RUNTIME_DIR/usdt}"
	mkdir -p build
	ls -A $defaults 2>/dev/null | sort >build/default-dirs-before
	setup build
	meson test -C build --print-errorlogs || status=1
	setup build-sanitize -Db_sanitize=address,undefined -Db_lundef=false
	meson test -C build-sanitize --print-errorlogs --suite unit --suite seccomp --suite tracer ||
		status=1
	meson test -C build --print-errorlogs --suite unit --logbase valgrind \
		--wrapper "valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect" ||
		status=1
	# Debian's kernels under qemu: the oldest, 6.18.15 (whose detach fault
	# the site rule avoids) and the newest; test-kernels runs them all.
	rm -f build/kernels/testlog.json
	python3 tests/kernels/run.py build 6.1 6.18 7.3 || status=1
	left=$(ls -A $defaults 2>/dev/null | sort | comm -13 build/default-dirs-before -)
	if [ -n "$left" ]; then
		printf 'run.sh: the tests left files in %s:\n%s\n' "$defaults" "$left"
		status=1
	fi
	# The closing count: every meson test log and the kernels' (a kernel
	# matrix that could not run at all left no log and failed above).
	summary build/meson-logs/testlog.json build-sanitize/meson-logs/testlog.json \
		build/meson-logs/valgrind-*.json $(ls build/kernels/testlog.json 2>/dev/null) ||
		status=1
	exit $status
	;;
test-kernels)
	shift
	install $BASE_PACKAGES $TEST_PACKAGES $KERNEL_PACKAGES
	setup build
	python3 tests/kernels/run.py build "$@"
	;;
bench)
	# usdt-record (clang, libbpf), and LTTng-UST, which batched probes are
	# measured against.
	install $BASE_PACKAGES $RECORD_PACKAGES valgrind $CONSUMER_PACKAGES $(node_packages) liblttng-ust-dev lttng-tools
	setup build-bench --buildtype=release
	python3 bench/run.py build-bench
	;;
*)
	echo "usage: $0 demo | test | test-kernels [KERNEL...] | bench" >&2
	exit 2
	;;
esac
