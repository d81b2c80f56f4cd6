#!/usr/bin/env python3
"""A request loop with USDT probes, traced with example.bt.

    PYTHONPATH=bindings/python python3 bindings/python/example.py [--count N]

prints the bpftrace command to trace it, then serves requests for ever (or,
with --count N, waits for a tracer, serves N requests and fires `stop`).
Each request fires request(id, route) and, through the latency helper,
done(elapsed ns, route); untraced, neither costs more than a memory read.
"""

import argparse
import os
import random
import sys
import time

import usdt

ROUTES = ["/", "/search", "/cart"]

parser = argparse.ArgumentParser()
parser.add_argument("--count", type=int, help="wait for a tracer, serve COUNT requests, stop")
count = parser.parse_args().count

provider = usdt.Provider("pyexample")
request = provider.probe("request", usdt.UINT64, str)
done = provider.probe("done", usdt.UINT64, str)
stop = provider.probe("stop")

with provider:
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "example.bt")
    print(f"pid {os.getpid()}; trace with:\n  bpftrace {script} {provider.path}", flush=True)
    if count is not None:
        deadline = time.monotonic() + 60
        while not (request.enabled and done.enabled and stop.enabled):
            if time.monotonic() > deadline:
                sys.exit("example.py: no tracer attached within 60 s")
            time.sleep(0.01)
        time.sleep(0.5)  # the semaphores rise a moment before the programs attach
    served = 0
    while count is None or served < count:
        route = ROUTES[served % len(ROUTES)]
        request.fire(served, route)
        with done.timer(route):
            time.sleep(random.uniform(0, 0.002))  # the work
        served += 1
    stop.fire()
    print(f"served {served} requests", flush=True)
provider.close()
