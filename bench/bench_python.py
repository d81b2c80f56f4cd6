"""What a probe costs a Python program through bindings/python/usdt.py.

Usage: bench_python.py untraced ITERATIONS RUNS
           time loops of probe.fire(i), of probe.enabled and an empty loop,
           RUNS times; prints "CASE NS_PER_ITERATION" per loop run
       bench_python.py traced FIRES RUNS
           prints "ready pid=N path=P", waits for a tracer on P's
           bench_py:fire and bench_py:done, times FIRES fires RUNS times,
           prints "python_traced NS_PER_FIRE" per run and "fired N", fires
           bench_py:done

USDT_LIBRARY names the libusdt to use; bench/run.py runs this.
"""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bindings",
                                "python"))
import usdt  # noqa: E402

provider = usdt.Provider("bench_py")
probe = provider.probe("fire", usdt.UINT64)
done = provider.probe("done")
provider.load()


def loop_empty(n):
    for i in range(n):
        pass


def loop_enabled(n):
    for i in range(n):
        if probe.enabled:
            break


def loop_fire(n):
    fired = 0
    for i in range(n):
        fired += probe.fire(i)
    return fired


def ns_per_iteration(loop, n):
    start = time.perf_counter_ns()
    result = loop(n)
    return (time.perf_counter_ns() - start) / n, result


mode, n, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
if mode == "untraced":
    for _ in range(runs):
        for name, loop in (("empty", loop_empty), ("enabled", loop_enabled), ("fire", loop_fire)):
            print(f"python_{name} {ns_per_iteration(loop, n)[0]:.2f}")
else:
    print(f"ready pid={os.getpid()} path={provider.path}", flush=True)
    deadline = time.monotonic() + 30
    while not (probe.enabled and done.enabled):
        if time.monotonic() > deadline:
            sys.exit("bench_python.py: no tracer attached within 30 s")
        time.sleep(0.01)
    time.sleep(0.5)  # the semaphores rise a moment before the tracer's programs attach
    total = 0
    for _ in range(runs):
        ns, fired = ns_per_iteration(loop_fire, n)
        total += fired
        print(f"python_traced {ns:.1f}")
    print(f"fired {total}", flush=True)
    done.fire()
provider.close()
