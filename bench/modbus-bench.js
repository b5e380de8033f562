#!/usr/bin/env node
// Modbus polling, measured (issue #16). Needs `npm run build` first.
//
//   node bench/modbus-bench.js                  # all three parts
//   node bench/modbus-bench.js --seconds 10     # each timed part this long (default 10)
//   node bench/modbus-bench.js --soak-minutes 10  # part 3 this long (default 1)
//   node bench/modbus-bench.js --only raw,poll,soak
//   node bench/modbus-bench.js --no-db          # parts 2 and 3 without the database
//   node bench/modbus-bench.js --in-flight 10   # parts 2 and 3 with requests to 10 units at once
//
// 1. raw:  back-to-back reads of 100 registers, this package's TCP link and bus vs modbus-serial's
//          client used directly (readHoldingRegisters), against the same server in another process:
//          reads/s, latency p50/p99, client CPU per 1,000 registers.
// 2. poll: a register map of 1,000 registers (500 float32 over 10 units) polled at 10 Hz by the
//          Poller for --seconds, the readings written into a Helios database and a SQL query every
//          second in the same process (what helios-store and helios-query do): registers/s, CPU per
//          1,000 registers, and the lateness of each poll against its schedule (p50/p99/max).
// 3. soak: the same poll with faults injected (a dead unit, late replies, the server restarted every
//          30 s), heap sampled after GC every 10 s: does memory stay flat, do the other units keep
//          their rate. Run with node --expose-gc for the heap figures.
const { spawn } = require('node:child_process');
const os = require('node:os');
const path = require('node:path');
const fs = require('node:fs');
const ModbusRTU = require('modbus-serial');

const dist = path.join(__dirname, '..', 'dist', 'nodes', 'lib', 'modbus');
const { TcpLink } = require(path.join(dist, 'tcp-link.js'));
const { Bus } = require(path.join(dist, 'bus.js'));
const { readRequest } = require(path.join(dist, 'pdu.js'));
const { readRegisterMap } = require(path.join(dist, 'register-map.js'));
const { planReads } = require(path.join(dist, 'planner.js'));
const { Poller } = require(path.join(dist, 'poller.js'));
const { open } = require(path.join(__dirname, '..', 'dist', 'engine', 'index.js'));

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}
const SECONDS = Number(arg('seconds', 10));
const SOAK_MINUTES = Number(arg('soak-minutes', 1));
const ONLY = new Set(arg('only', 'raw,poll,soak').split(','));
/** --no-db: poll only, no database writes or queries (to tell the poll's cost and memory from the engine's) */
const WITH_DB = !process.argv.includes('--no-db');
/** --in-flight n: requests to different units on the wire at once in parts 2 and 3 (default 1) */
const IN_FLIGHT = Number(arg('in-flight', 1));

const TIMING = {
  timeoutMs: 500,
  pauseAfterConnectMs: 0,
  retryFirstMs: 500,
  retryMaxMs: 5000,
  silentTimeouts: 3,
};
const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
const ms = (x) => `${x.toFixed(2)} ms`;
const cpuMs = (u) => (u.user + u.system) / 1000;

function startServer() {
  const child = spawn(process.execPath, [path.join(__dirname, 'modbus-server-child.js')], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return new Promise((resolve) => {
    child.stdout.once('data', (d) => {
      const port = Number(String(d).trim());
      resolve({
        port,
        send: (cmd) => child.stdin.write(`${JSON.stringify(cmd)}\n`),
        stop: () =>
          new Promise((r) => {
            child.once('exit', r);
            child.kill('SIGKILL');
          }),
      });
    });
  });
}

async function timed(label, readOnce, registers) {
  const latencies = [];
  const cpu0 = process.cpuUsage();
  const end = performance.now() + SECONDS * 1000;
  while (performance.now() < end) {
    const t = performance.now();
    await readOnce();
    latencies.push(performance.now() - t);
  }
  const cpu = cpuMs(process.cpuUsage(cpu0));
  latencies.sort((a, b) => a - b);
  const reads = latencies.length;
  return {
    label,
    reads,
    readsPerSecond: reads / SECONDS,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    cpuPer1000Registers: cpu / ((reads * registers) / 1000),
  };
}

/** Both clients in turn, twice (ours, theirs, ours, theirs), so warm-up and load fall on both. */
async function raw() {
  const server = await startServer();
  const out = [];
  try {
    for (let round = 1; round <= 2; round++) {
      const link = new TcpLink('127.0.0.1', server.port, TIMING);
      const bus = new Bus(link, { timeoutMs: 500, betweenMs: 0, closeWhenIdle: false, maxQueued: 64 });
      link.open();
      while (link.state.kind !== 'connected') await new Promise((r) => setTimeout(r, 5));
      const read = () => bus.submit(1, readRequest('holding', 0, 100, 1));
      out.push(await timed(`helios (TcpLink + Bus), round ${round}`, read, 100));
      await bus.close();
      const client = new ModbusRTU();
      await client.connectTCP('127.0.0.1', { port: server.port });
      client.setID(1);
      client.setTimeout(500);
      out.push(
        await timed(`modbus-serial client, round ${round}`, () => client.readHoldingRegisters(0, 100), 100),
      );
      await new Promise((r) => client.close(r));
    }
    return out;
  } finally {
    await server.stop();
  }
}

/** 500 float32 over 10 units (50 each) = 1,000 registers, at 100 ms. */
function bigMap() {
  const rows = [];
  for (let u = 1; u <= 10; u++) {
    for (let i = 0; i < 50; i++)
      rows.push({ name: `v${i}`, unit: u, address: i * 2, type: 'float32', interval: '100ms' });
  }
  return readRegisterMap(rows);
}

async function pollRun(seconds, server, onTick) {
  const entries = bigMap();
  const groups = planReads(entries, { maxRegisters: 125, maxBits: 2000, maxGap: 8 });
  const link = new TcpLink('127.0.0.1', server.port, TIMING);
  const bus = new Bus(link, {
    timeoutMs: 500,
    betweenMs: 0,
    closeWhenIdle: false,
    maxQueued: 256,
    inFlight: IN_FLIGHT,
  });
  link.open();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'helios-modbus-bench-'));
  const db = WITH_DB ? await open(dir, { durability: 'batch' }) : null;
  const late = [];
  const stats = { polls: 0, values: 0, byUnit: new Map(), writes: 0, queries: 0 };
  const poller = new Poller(bus, groups, { tags: { device: 'bench' }, qualityField: 'quality' }, (result) => {
    stats.polls++;
    late.push(result.lateMs);
    for (const r of result.readings) {
      const n = Object.keys(r.fields).length - 1;
      stats.values += n;
      stats.byUnit.set(r.tags.unit, (stats.byUnit.get(r.tags.unit) ?? 0) + n);
    }
    db?.write('modbus', result.readings).then(() => stats.writes++);
  });
  const query = setInterval(() => {
    db?.query(
      "SELECT unit, count(*) AS n, avg(v0) AS v0 FROM modbus WHERE time > now() - INTERVAL '10 seconds' GROUP BY unit",
    )?.then(() => stats.queries++);
  }, 1000);
  const cpu0 = process.cpuUsage();
  poller.start();
  const t0 = performance.now();
  await onTick?.({ poller, bus, stats, t0 });
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const cpu = cpuMs(process.cpuUsage(cpu0));
  const elapsed = (performance.now() - t0) / 1000;
  poller.stop();
  clearInterval(query);
  await bus.close();
  await db?.close();
  fs.rmSync(dir, { recursive: true, force: true });
  late.sort((a, b) => a - b);
  return {
    registersPerSecond: (stats.values * 2) / elapsed,
    pollsPerSecond: stats.polls / elapsed,
    cpuPer1000Registers: cpu / ((stats.values * 2) / 1000),
    lateP50: quantile(late, 0.5),
    lateP99: quantile(late, 0.99),
    lateMax: late.at(-1) ?? NaN,
    overruns: poller.counters.overruns,
    reads: poller.counters.reads,
    failedReads: poller.counters.failedReads,
    writes: stats.writes,
    queries: stats.queries,
    byUnit: stats.byUnit,
    lateReplies: link.counters.lateReplies,
    connects: link.counters.connects,
  };
}

/**
 * The poll with faults for `seconds`: heap after GC every `sampleMs`, the server restarted every
 * `restartMs` (test/modbus-soak.test.js runs it short in CI, long on demand).
 */
async function soak(seconds = SOAK_MINUTES * 60, { sampleMs = 10_000, restartMs = 30_000 } = {}) {
  const server = await startServer();
  const heap = [];
  try {
    const result = await pollRun(seconds, server, async () => {
      server.send({ silent: 7 }); // unit 7 dead for the whole run
      const faults = setInterval(() => {
        server.send({ late: 3, ms: 700 });
      }, 5000);
      const restarts = setInterval(() => server.send({ restart: true, downMs: 2000 }), restartMs);
      const sample = setInterval(() => {
        global.gc?.();
        heap.push(process.memoryUsage().heapUsed / 2 ** 20);
      }, sampleMs);
      setTimeout(
        () => {
          clearInterval(faults);
          clearInterval(restarts);
          clearInterval(sample);
        },
        seconds * 1000 - 100,
      );
    });
    return { ...result, heap };
  } finally {
    await server.stop();
  }
}

async function main() {
  console.log(
    `node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model}), load ${os.loadavg()[0].toFixed(2)}`,
  );
  if (ONLY.has('raw')) {
    console.log(
      `\n## 1. back-to-back reads of 100 holding registers, ${SECONDS} s each, server in another process\n`,
    );
    console.log('| client | reads/s | p50 | p99 | client CPU per 1,000 registers |');
    console.log('|---|---|---|---|---|');
    for (const r of await raw()) {
      console.log(
        `| ${r.label} | ${r.readsPerSecond.toFixed(0)} | ${ms(r.p50)} | ${ms(r.p99)} | ${ms(r.cpuPer1000Registers)} |`,
      );
    }
  }
  if (ONLY.has('poll')) {
    console.log(
      `\n## 2. 1,000 registers (500 float32, 10 units) at 10 Hz for ${SECONDS} s, ${WITH_DB ? 'written into Helios, a query every second' : 'no database (--no-db)'}\n`,
    );
    const server = await startServer();
    try {
      const r = await pollRun(SECONDS, server);
      console.log(
        '| registers/s | polls/s | CPU per 1,000 registers | poll late p50 | p99 | max | overruns | failed reads | writes | queries |',
      );
      console.log('|---|---|---|---|---|---|---|---|---|---|');
      console.log(
        `| ${r.registersPerSecond.toFixed(0)} | ${r.pollsPerSecond.toFixed(2)} | ${ms(r.cpuPer1000Registers)} | ${ms(r.lateP50)} | ${ms(r.lateP99)} | ${ms(r.lateMax)} | ${r.overruns} | ${r.failedReads} | ${r.writes} | ${r.queries} |`,
      );
    } finally {
      await server.stop();
    }
  }
  if (ONLY.has('soak')) {
    console.log(
      `\n## 3. the same for ${SOAK_MINUTES} min with faults: unit 7 dead, unit 3 late every 5 s, server restarted every 30 s\n`,
    );
    const r = await soak();
    const perUnit = [...r.byUnit].sort((a, b) => Number(a[0]) - Number(b[0])).map(([u, n]) => `${u}: ${n}`);
    console.log(
      `registers/s ${r.registersPerSecond.toFixed(0)}, polls/s ${r.pollsPerSecond.toFixed(2)}, overruns ${r.overruns}, reads ${r.reads}, failed ${r.failedReads}, late replies dropped ${r.lateReplies}, connects ${r.connects}`,
    );
    console.log(`values per unit: ${perUnit.join(', ')}`);
    console.log(
      `heap after GC every 10 s (MiB): ${r.heap.map((h) => h.toFixed(1)).join(' ')}${global.gc ? '' : ' (no --expose-gc: without GC first)'}`,
    );
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}

module.exports = { soak };
