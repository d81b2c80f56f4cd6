"""A Python program using bindings/python/usdt.py, driven by
test_bindings.py under bpftrace.

    python_target.py trace    values, counts, the timer, errors, unload and reload
    python_target.py threads  a thread pool firing while another thread unloads

It prints "ready pid=N path=P", the semaphores before and once every probe
is attached, waits for "go" on stdin, fires, prints what it fired and fires a
done probe; the protocol of tests/target.h, in Python.
"""

import concurrent.futures
import os
import sys
import threading
import time

import usdt

TIMEOUT = 60


def say(line):
    print(line, flush=True)


def wait_for(probes, enabled):
    deadline = time.monotonic() + TIMEOUT
    while any(p.enabled != enabled for p in probes):
        if time.monotonic() > deadline:
            say(f"timeout waiting for enabled={enabled}")
            sys.exit(1)
        time.sleep(0.005)


def semaphores(label, probes):
    say(f"semaphores {label}: " + " ".join(str(int(p.enabled)) for p in probes))


def attach(probes):
    """Report, wait for the tracer on every probe and for the harness's go."""
    semaphores("before", probes)
    wait_for(probes, True)
    semaphores("attached", probes)
    if sys.stdin.readline() != "go\n":
        say("no go from the test harness")
        sys.exit(1)


def errors():
    """What the wrapper raises, as "name=exception: message" lines."""
    provider = usdt.Provider("py_errors")
    probe = provider.probe("small", usdt.INT8, usdt.STRING)
    before_load = {
        "bad_name": lambda: usdt.Provider("1bad"),
        "nul_name": lambda: usdt.Provider("ok\x00../../etc/x"),
        "nul_probe": lambda: provider.probe("ok\x00x"),
        "duplicate": lambda: provider.probe("small"),
        "bad_type": lambda: provider.probe("other", float),
        "unload_unloaded": provider.unload,
        "argc_untraced": lambda: probe.fire(1),  # checked whether traced or not
    }
    after_load = {
        "overflow": lambda: probe.fire(128, "x"),
        "underflow": lambda: probe.fire(-129, "x"),
        "not_a_string": lambda: probe.fire(1, 2),
        "not_an_int": lambda: probe.fire("1", "x"),
        "argc": lambda: probe.fire(1),
        "add_after_load": lambda: provider.probe("late"),
    }
    for attempts in (before_load, after_load):
        if attempts is after_load:
            provider.load()
            probe._semaphore = usdt.ctypes.c_uint32(1)  # as if traced, to reach the checks
        for name, attempt in attempts.items():
            try:
                attempt()
                say(f"{name}=no exception")
            except Exception as error:
                code = f" errno={error.errno}" if isinstance(error, OSError) else ""
                say(f"{name}={type(error).__name__}{code}: {error}")
    provider.close()
    say(f"closed_enabled={int(probe.enabled)} closed_fire={probe.fire(1, 'x')}")


def untraced_timer(probe):
    """The latency helper reads no clock while its probe is disabled."""
    reads, real = [], time.monotonic_ns
    time.monotonic_ns = lambda: reads.append(1) or real()
    try:
        with probe.timer("untraced"):
            ran = True
    finally:
        time.monotonic_ns = real
    say(f"untraced_clock_reads={len(reads)} untraced_block_ran={ran}")


def trace():
    provider = usdt.Provider("py_probes")
    values = provider.probe("values", usdt.INT64, usdt.UINT64, usdt.INT8, usdt.UINT8, str, bool)
    narrow = provider.probe("narrow", usdt.INT32, usdt.UINT32, usdt.INT16, usdt.UINT16, bytes)
    counted = provider.probe("counted", int)
    latency = provider.probe("latency", usdt.UINT64, str)
    done = provider.probe("done")
    probes = [values, narrow, counted, latency, done]
    errors()
    untraced_timer(latency)
    provider.load()
    say(f"ready pid={os.getpid()} path={provider.path}")
    attach(probes)
    results = [
        values.fire(-2**63, 2**64 - 1, -128, 255, "strïng", True),
        values.fire(2**63 - 1, 0, 127, 0, b"bytes", False),
        narrow.fire(-2**31, 2**32 - 1, -2**15, 2**16 - 1, "narrow"),
        narrow.fire(2**31 - 1, 0, 2**15 - 1, 0, ""),
    ]
    say("values_fired=" + " ".join(str(r) for r in results))
    fired = sum(counted.fire(i) for i in range(1, 1001))
    say(f"fired={fired}")
    with latency.timer("timed"):
        time.sleep(0.002)
    done.fire()
    wait_for(probes, False)
    semaphores("detached", probes)

    provider.unload()
    say(f"unloaded enabled={int(counted.enabled)} fired={counted.fire(1)} path={provider.path}")
    with provider:  # loaded again, unloaded at the end of the block
        say(f"reloaded path={provider.path}")
        attach([counted, done])
        reloaded = sum(counted.fire(i) for i in range(1, 501))
        say(f"reloaded_fired={reloaded}")
        done.fire()
        wait_for([counted, done], False)
    provider.close()


def threads():
    provider = usdt.Provider("py_threads")
    counted = provider.probe("counted", usdt.UINT64)
    control = usdt.Provider("py_control")
    done = control.probe("done")
    provider.load()
    control.load()
    say(f"ready pid={os.getpid()} path={provider.path} control={control.path}")
    attach([counted, done])

    workers = 4
    stop, unloaded = threading.Event(), threading.Event()
    lock = threading.Lock()
    totals = {"fired": 0, "late": 0, "calls": 0}

    def work():
        fired = late = calls = 0
        while not stop.is_set():
            after_unload = unloaded.is_set()
            calls += 1
            if counted.fire(calls):
                fired += 1
                late += after_unload
        with lock:
            totals["fired"] += fired
            totals["late"] += late
            totals["calls"] += calls

    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        futures = [pool.submit(work) for _ in range(workers)]
        time.sleep(0.3)  # the pool fires, traced
        provider.unload()
        for _ in range(20):  # and keeps firing through reloads (the tracer,
            provider.load()  # attached to the provider's file, sees each one)
            provider.unload()
        unloaded.set()  # for good: no fire may be reported from here on
        time.sleep(0.1)
        stop.set()
        for future in futures:
            future.result()  # re-raises any exception of a worker
    say(f"threads workers={workers} calls={totals['calls']} fired={totals['fired']} "
        f"late={totals['late']}")
    done.fire()
    wait_for([done], False)
    provider.close()
    control.close()


{"trace": trace, "threads": threads}[sys.argv[1]]()
