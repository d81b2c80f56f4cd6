"""All 12 arguments of a static probe, read by the libbpf tracer from a live
process: every value exact, strings and pointers included."""

import os
import sys

import tracing
from tracing import check

target_binary, tracer, bpf_object = (os.path.abspath(a) for a in sys.argv[1:4])
tracing.require_tracer()


def trace(target):
    return tracing.libbpf_trace(tracer, bpf_object, target, target_binary,
                                ("usdt_test", "values"), ("usdt_test", "done"),
                                strings_mask=1 << 10)


target, (fires, count, dropped) = tracing.run_traced([target_binary, "values"], trace)
text, fired_address = (int(target.value(key), 16) for key in ("text", "fired_address"))
check(fires == [
    [-128, 255, -32768, 65535, -2147483648, 4294967295, -2**63, -1,  # UINT64_MAX as signed
     -7, 1, "constant string", text],
    [127, 0, 32767, 0, 2147483647, 0, 2**63 - 1, 0, 7, 0, "hello, tracer", fired_address],
], f"libbpf tracer saw different values: {fires}")
check(count == 2 and dropped == 0, f"libbpf tracer counted {count}, dropped {dropped}")
print("ok: libbpf tracer: all 12 arguments of a static probe exact")
