// A request loop with USDT probes, traced with example.bt.
//
//     node bindings/node/example.js build/bindings/node/usdt.node [--count N]
//
// prints the bpftrace command to trace it, then serves requests for ever (or,
// with --count N, waits for a tracer, serves N requests and fires `stop`).
// Each request fires request(id, route) and done(elapsed ns, route); untraced,
// neither costs more than a memory read.
'use strict';

const path = require('path');
const usdt = require(path.resolve(process.argv[2]));

const ROUTES = ['/', '/search', '/cart'];
const countAt = process.argv.indexOf('--count');
const count = countAt > 0 ? Number(process.argv[countAt + 1]) : Infinity;
const pause = new Int32Array(new SharedArrayBuffer(4));
const sleep = (ms) => Atomics.wait(pause, 0, 0, ms);

const provider = new usdt.Provider('nodeexample');
const request = provider.probe('request', 'uint64', 'string');
const done = provider.probe('done', 'uint64', 'string');
const stop = provider.probe('stop');
provider.load();
console.log(`pid ${process.pid}; trace with:\n  bpftrace ${path.join(__dirname, 'example.bt')} ` +
            provider.path);
if (count !== Infinity) {
    const deadline = Date.now() + 60000;
    while (!(request.enabled && done.enabled && stop.enabled)) {
        if (Date.now() > deadline) {
            console.error('example.js: no tracer attached within 60 s');
            process.exit(1);
        }
        sleep(10);
    }
    sleep(500); // the semaphores rise a moment before the programs attach
}
let served = 0;
for (; served < count; served++) {
    const route = ROUTES[served % ROUTES.length];
    request.fire(served, route);
    const start = done.timestamp(); // 0n, no clock read, untraced
    sleep(Math.random() * 2); // the work
    done.fireElapsed(start, route);
}
stop.fire();
console.log(`served ${served} requests`);
provider.unload();
provider.destroy();
