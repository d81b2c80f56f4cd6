// What a probe costs a Node.js program through the usdt module; bench_python.py's twin.
//
//     node bench_node.js MODULE untraced ITERATIONS RUNS
//     node bench_node.js MODULE traced FIRES RUNS
//
// prints "node_CASE NS_PER_ITERATION" per loop run (empty, enabled, fire);
// traced, "ready pid=N path=P", waits for a tracer on P's bench_node:fire and
// bench_node:done, prints "node_traced NS_PER_FIRE" per run and "fired N".
'use strict';

const usdt = require(require('path').resolve(process.argv[2]));
const [mode, n, runs] = [process.argv[3], Number(process.argv[4]), Number(process.argv[5])];
const pause = new Int32Array(new SharedArrayBuffer(4));

const provider = new usdt.Provider('bench_node');
const probe = provider.probe('fire', 'uint64');
const done = provider.probe('done');
provider.load();

function loopEmpty(count) {
    let sum = 0;
    for (let i = 0; i < count; i++)
        sum += i;
    return sum;
}

function loopEnabled(count) {
    let sum = 0;
    for (let i = 0; i < count; i++)
        if (probe.enabled)
            sum++;
    return sum;
}

function loopFire(count) {
    let fired = 0;
    for (let i = 0; i < count; i++)
        if (probe.fire(i))
            fired++;
    return fired;
}

function nsPerIteration(loop, count) {
    const start = process.hrtime.bigint();
    const result = loop(count);
    return [Number(process.hrtime.bigint() - start) / count, result];
}

if (mode === 'untraced') {
    for (let r = 0; r < runs; r++)
        for (const [name, loop] of [['empty', loopEmpty], ['enabled', loopEnabled],
                                    ['fire', loopFire]])
            console.log(`node_${name} ${nsPerIteration(loop, n)[0].toFixed(2)}`);
} else {
    console.log(`ready pid=${process.pid} path=${provider.path}`);
    const deadline = Date.now() + 30000;
    while (!(probe.enabled && done.enabled)) {
        if (Date.now() > deadline) {
            console.error('bench_node.js: no tracer attached within 30 s');
            process.exit(1);
        }
        Atomics.wait(pause, 0, 0, 10);
    }
    Atomics.wait(pause, 0, 0, 500); // the semaphores rise a moment before the programs attach
    let total = 0;
    for (let r = 0; r < runs; r++) {
        const [ns, fired] = nsPerIteration(loopFire, n);
        total += fired;
        console.log(`node_traced ${ns.toFixed(1)}`);
    }
    console.log(`fired ${total}`);
    done.fire();
}
provider.unload();
provider.destroy();
