"""The probe sites the kit chooses on the running kernel, proven with
bpftrace on sites_target: a probe enabled before the program starts counts
every fire; the kit's static and dynamic sites are the ones that execute,
with exact counts and sums, a child forked while they are traced fires them
and exits 0, their semaphores go 0, 1, 0 and their bytes come back after the
tracer detaches. Then, for each kind of x86-64 site (nop1, nop5, nop10), what
the kernel makes of it while traced, how a child forked then ends when it
fires it, whether detaching restores it, and the traced cost against the
1-byte nop: facts printed as "usdt-kernel KEY=VALUE" lines for tests/kernels."""

import os
import sys

import sites
import tracing
from tracing import check

binary, directory = os.path.abspath(sys.argv[1]), sys.argv[2]
tracing.require_tracer()
FIRES = 2000
notes = sites.stapsdt_sites(binary, "sites_target")
probe = f"usdt:{binary}:sites_target"

# A probe enabled before the program starts: the kernel sets its semaphore
# when the program maps it. (What the semaphore is after such a tracer
# detaches is the kernel's business: a fact for the table.)
early = tracing.bpftrace_start(f"{probe}:kit_static {{ @early = count(); }}")
target = sites.SitesTarget(binary, directory)
try:
    check(target.semaphores()[0] != 0, f"semaphore at start under a tracer: {target.semaphores()}")
    target.fire(100)
    output = tracing.bpftrace_interrupt(early)
    check(tracing.bpftrace_map(output, "early") == 100, f"early tracer counted:\n{output}")
    print(f"usdt-kernel early=100 fires counted, semaphore "
          f"{target.wait_semaphores(False, [0], seconds=5)[0]} after detach")
    check(target.quit() == 0, "sites_target failed")
finally:
    target.kill()

target = sites.SitesTarget(binary, directory)
try:
    # The kit's sites.
    base = target.load_base()
    dynamic = int(target.info["dynamic"], 16)
    static_sites = [base + pc for pc in notes["kit_static"]]
    before = {a: target.read(a, 11) for a in static_sites + [dynamic]}
    check(target.semaphores()[:2] == [0, 0], f"semaphores before: {target.semaphores()}")
    script = (f'{probe}:kit_static {{ @s[reg("ip")] = count(); @ssum = sum(arg0); }}\n'
              f'usdt:{target.info["path"]}:sites_target:kit_dynamic '
              f'{{ @d[reg("ip")] = count(); @dsum = sum(arg0); }}')
    tracer = tracing.bpftrace_start(script, target.pid)
    check(tracer.attached, f"bpftrace did not attach: {''.join(tracer.early_output)}")
    attached = target.wait_semaphores(True, [0, 1])
    check(all(attached[:2]), f"semaphores while attached: {attached}")
    target.fire(FIRES)
    traced = {a: sites.kind_of(target.read(a, 10)) for a in before}
    # A child forked now inherits the sites as the kernel made them (an
    # optimized site is a call into a trampoline mapped in this process):
    # it must fire them and live. The parent's fires go on being counted.
    child = target.fork(FIRES)
    check(child == "exit=0", f"a child forked while traced ended with {child}, "
          f"its sites {[traced[a] for a in before]}")
    target.fire(FIRES)
    output = tracing.bpftrace_interrupt(tracer)
    detached = target.wait_semaphores(False, [0, 1])
    check(detached[:2] == [0, 0], f"semaphores after detach: {detached}")
    after = {a: target.read(a, 11) for a in before}

    # Twice FIRES from the parent; the child's FIRES count too on kernels
    # that let a tracer of the parent see its child.
    static_ips, dynamic_ips = sites.ip_counts(output, "s"), sites.ip_counts(output, "d")
    rounds = sum(static_ips.values()) // FIRES
    check(rounds in (2, 3) and len(static_ips) == 1 and set(static_ips) <= set(static_sites)
          and sum(static_ips.values()) == rounds * FIRES,
          f"static fires by site: {static_ips}, sites {static_sites}")
    check(dynamic_ips == {dynamic: rounds * FIRES},
          f"dynamic fires by site: {dynamic_ips}, stub {dynamic:#x}")
    total = rounds * FIRES * (FIRES - 1) // 2
    check(tracing.bpftrace_map(output, "ssum") == total, "static argument sum differs")
    check(tracing.bpftrace_map(output, "dsum") == total, "dynamic argument sum differs")
    static_site, = static_ips
    static_nop = 5 if target.site == 5 else 1
    if os.uname().machine == "x86_64":
        check(before[static_site].startswith(sites.NOPS[static_nop]),
              f"static site executed is {before[static_site].hex()}, not nop{static_nop}")
        # A stub is its nop and a return: nothing of it lives below the
        # stack pointer, where an optimized site's trampoline call writes.
        check(before[dynamic].startswith(sites.NOPS[target.site] + b"\xc3"),
              f"dynamic stub is {before[dynamic].hex()}, not nop{target.site}; ret")
    for address in before:
        check(sites.same_nop(before[address], after[address]),
              f"site {address:#x} not restored after detach: {before[address].hex()} -> "
              f"{after[address].hex()}")
    print(f"usdt-kernel vdso={target.info.get('kernel')}")
    print(f"usdt-kernel site=static nop{static_nop} ({traced[static_site]}), "
          f"dynamic nop{target.site} ({traced[dynamic]})")

    # Each kind of site: what it becomes, whether it comes back, its cost.
    if os.uname().machine == "x86_64":
        facts, costs = [], {}
        for kind in ("nop5", "nop10"):
            address = base + notes[kind][0]
            original = target.read(address, 10)
            tracer = tracing.bpftrace_start(f"{probe}:nop1 {{ @a = count(); }}\n"
                                            f"{probe}:{kind} {{ @b = count(); }}", target.pid)
            if not tracer.attached:
                tracer.wait()
                facts.append(f"{kind}: attach refused")
                continue
            target.wait_semaphores(True, [2])
            target.fire(10)  # the kernel optimizes a site at its first hit
            rounds = [target.fire(FIRES) for _ in range(3)]
            cost = {key: min(r[key] for r in rounds) for key in rounds[0]}
            became = sites.kind_of(target.read(address, 10))
            child = target.fork(10, kind)  # a fact: the kit's sites are checked above
            output = tracing.bpftrace_interrupt(tracer)
            check(tracing.bpftrace_map(output, "a") == 3 * FIRES + 10, f"nop1 count:\n{output}")
            check(tracing.bpftrace_map(output, "b") in (3 * FIRES + 10, 3 * FIRES + 20),
                  f"{kind} count:\n{output}")
            index = 3 if kind == "nop5" else 4
            left = target.wait_semaphores(False, [index], seconds=5)[index]
            restored = sites.same_nop(original, target.read(address, 10))
            costs[kind] = cost[kind] / cost["nop1"]
            facts.append(f"{kind}: {became}, child after fork {child}"
                         + (", restored" if restored and not left else
                            f", still {sites.kind_of(target.read(address, 10))}"
                            f" and semaphore {left} after detach"))
        print("usdt-kernel kinds=" + "; ".join(facts))
        print("usdt-kernel ratios=" + ", ".join(f"{k} {v:.2f}" for k, v in costs.items()))
    check(target.quit() == 0, "sites_target failed")
finally:
    target.kill()
print(f"ok: site nop{target.site}, {2 * FIRES} static and dynamic fires counted, "
      f"a forked child fired {FIRES} and exited 0, restored on detach")
