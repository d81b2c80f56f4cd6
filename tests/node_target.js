// A Node.js program using the usdt module, driven by test_bindings.py under
// bpftrace; python_target.py's twin.
//
//     node node_target.js MODULE trace    values, counts, the timer, errors, unload, reload
//     node node_target.js MODULE threads  worker threads firing while the main thread unloads
//
// It prints "ready pid=N path=P", the semaphores before and once every probe
// is attached, waits for "go" on stdin, fires, prints what it fired and fires
// a done probe: the protocol of tests/target.h.
'use strict';

const fs = require('fs');
const { Worker, isMainThread, workerData, parentPort } = require('worker_threads');

const usdt = require(isMainThread ? process.argv[2] : workerData.module);
const TIMEOUT_MS = 60000;
const pause = new Int32Array(new SharedArrayBuffer(4));

function say(line) {
    fs.writeSync(1, line + '\n');
}

function sleep(ms) {
    Atomics.wait(pause, 0, 0, ms);
}

function waitFor(probes, enabled) {
    const deadline = Date.now() + TIMEOUT_MS;
    while (probes.some((p) => p.enabled !== enabled)) {
        if (Date.now() > deadline) {
            say(`timeout waiting for enabled=${enabled}`);
            process.exit(1);
        }
        sleep(5);
    }
}

function semaphores(label, probes) {
    say(`semaphores ${label}: ` + probes.map((p) => (p.enabled ? 1 : 0)).join(' '));
}

function readLine() {
    const buf = Buffer.alloc(1);
    let line = '';
    while (fs.readSync(0, buf, 0, 1, null) === 1 && buf[0] !== 10)
        line += String.fromCharCode(buf[0]);
    return line;
}

function attach(probes) {
    semaphores('before', probes);
    waitFor(probes, true);
    semaphores('attached', probes);
    if (readLine() !== 'go') {
        say('no go from the test harness');
        process.exit(1);
    }
}

// What the module throws, as "name=Error errno=N: message" lines.
function report(attempts) {
    for (const [name, attempt] of Object.entries(attempts)) {
        try {
            attempt();
            say(`${name}=no exception`);
        } catch (error) {
            const code = error.errno !== undefined ? ` errno=${error.errno}` : '';
            say(`${name}=${error.name}${code}: ${error.message}`);
        }
    }
}

function trace() {
    const errors = new usdt.Provider('node_errors');
    const errorProbe = errors.probe('small', 'int8', 'string');
    report({
        bad_name: () => new usdt.Provider('1bad'),
        duplicate: () => errors.probe('small'),
        bad_type: () => errors.probe('other', 'float'),
        unload_unloaded: () => errors.unload(),
        argc_untraced: () => errorProbe.fire(1), // checked whether traced or not
    });
    errors.destroy();
    say(`closed_enabled=${errorProbe.enabled ? 1 : 0} closed_fire=${errorProbe.fire(1, 'x')}`);

    const provider = new usdt.Provider('node_probes');
    const values = provider.probe('values', 'int64', 'uint64', 'int8', 'uint8', 'string', 'uint8');
    const narrow = provider.probe('narrow', 'int32', 'uint32', 'int16', 'uint16', 'string');
    const counted = provider.probe('counted', 'int64');
    const latency = provider.probe('latency', 'uint64', 'string');
    const done = provider.probe('done');
    const small = provider.probe('small', 'int8', 'string'); // traced: its checks run
    const probes = [values, narrow, counted, latency, done, small];
    const start = latency.timestamp();
    say(`untraced_clock_reads=${start === 0n ? 0 : 1} untraced_block_ran=true`);
    provider.load();
    say(`ready pid=${process.pid} path=${provider.path}`);
    attach(probes);
    report({
        overflow: () => small.fire(128, 'x'),
        underflow: () => small.fire(-129n, 'x'),
        not_a_string: () => small.fire(1, 2),
        not_an_int: () => small.fire('1', 'x'),
        argc: () => small.fire(1),
        add_after_load: () => provider.probe('late'),
    });
    const results = [
        values.fire(-(2n ** 63n), 2n ** 64n - 1n, -128, 255, 'strïng', true),
        values.fire(2n ** 63n - 1n, 0, 127, 0n, 'bytes', false),
        narrow.fire(-(2 ** 31), 2 ** 32 - 1, -(2 ** 15), 2 ** 16 - 1, 'narrow'),
        narrow.fire(2 ** 31 - 1, 0, 2 ** 15 - 1, 0, ''),
    ];
    say('values_fired=' + results.join(' '));
    let fired = 0;
    for (let i = 1; i <= 1000; i++)
        fired += counted.fire(i) ? 1 : 0;
    say(`fired=${fired}`);
    const begin = latency.timestamp();
    sleep(2);
    latency.fireElapsed(begin, 'timed');
    done.fire();
    waitFor(probes, false);
    semaphores('detached', probes);

    provider.unload();
    say(`unloaded enabled=${counted.enabled ? 1 : 0} fired=${counted.fire(1)} path=${provider.path}`);
    provider.load();
    say(`reloaded path=${provider.path}`);
    attach([counted, done]);
    let reloaded = 0;
    for (let i = 1; i <= 500; i++)
        reloaded += counted.fire(BigInt(i)) ? 1 : 0;
    say(`reloaded_fired=${reloaded}`);
    done.fire();
    waitFor([counted, done], false);
    provider.unload();
    provider.destroy();
}

// A worker: its own Provider object for the process's node_threads provider.
function work() {
    const provider = new usdt.Provider('node_threads');
    const counted = provider.probe('counted', 'uint64');
    const flags = new Int32Array(workerData.flags); // [stop, unloaded]
    let calls = 0, fired = 0, late = 0;
    while (!Atomics.load(flags, 0)) {
        const afterUnload = Atomics.load(flags, 1);
        calls++;
        if (counted.fire(calls)) {
            fired++;
            late += afterUnload;
        }
    }
    provider.destroy();
    parentPort.postMessage({ calls, fired, late });
}

async function threads() {
    const provider = new usdt.Provider('node_threads');
    const counted = provider.probe('counted', 'uint64');
    const control = new usdt.Provider('node_control');
    const done = control.probe('done');
    provider.load();
    control.load();
    say(`ready pid=${process.pid} path=${provider.path} control=${control.path}`);
    attach([counted, done]);

    const workers = 4;
    const flags = new SharedArrayBuffer(8);
    const view = new Int32Array(flags);
    const results = [];
    for (let i = 0; i < workers; i++) {
        const worker = new Worker(__filename, { workerData: { module: process.argv[2], flags } });
        results.push(new Promise((resolve, reject) => {
            worker.on('message', resolve);
            worker.on('error', reject);
        }));
    }
    sleep(300); // the workers fire, traced
    provider.unload();
    for (let i = 0; i < 20; i++) { // and keep firing through reloads
        provider.load();
        provider.unload();
    }
    Atomics.store(view, 1, 1); // unloaded for good: no fire may be reported from here on
    sleep(100);
    Atomics.store(view, 0, 1);
    const totals = { calls: 0, fired: 0, late: 0 };
    for (const result of await Promise.all(results))
        for (const key of Object.keys(totals))
            totals[key] += result[key];
    say(`threads workers=${workers} calls=${totals.calls} fired=${totals.fired} ` +
        `late=${totals.late}`);
    done.fire();
    waitFor([done], false);
    provider.destroy();
    control.destroy();
}

if (!isMainThread)
    work();
else if (process.argv[3] === 'trace')
    trace();
else
    threads().catch((error) => {
        say(`error: ${error.stack}`);
        process.exit(1);
    });
