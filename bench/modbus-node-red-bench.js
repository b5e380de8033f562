#!/usr/bin/env node
// The poll-interval jitter of helios-modbus inside Node-RED (node-red-node-test-helper's runtime) while
// helios-store writes every poll and a helios-query runs every second: 1,000 registers (500 float32,
// 10 units) at 10 Hz from the bench's server in another process. Needs `npm run build`.
//
//   node bench/modbus-node-red-bench.js [--seconds 30]
const { spawn } = require('node:child_process');
const os = require('node:os');
const path = require('node:path');
const fs = require('node:fs');
const helper = require('node-red-node-test-helper');

helper.init(require.resolve('node-red'));
const dist = path.join(__dirname, '..', 'dist', 'nodes');
const nodes = ['helios-db', 'helios-store', 'helios-query', 'helios-modbus-device', 'helios-modbus'].map(
  (n) => require(path.join(dist, `${n}.js`)),
);
const injectNode = require('@node-red/nodes/core/common/20-inject.js');

const i = process.argv.indexOf('--seconds');
const SECONDS = i > 0 ? Number(process.argv[i + 1]) : 30;
const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

function startServer() {
  const child = spawn(process.execPath, [path.join(__dirname, 'modbus-server-child.js')], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return new Promise((resolve) => {
    child.stdout.once('data', (d) => resolve({ port: Number(String(d).trim()), child }));
  });
}

async function main() {
  const server = await startServer();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'helios-modbus-nr-'));
  const map = [];
  for (let u = 1; u <= 10; u++) {
    for (let a = 0; a < 50; a++)
      map.push({ name: `v${a}`, unit: u, address: a * 2, type: 'float32', interval: '100ms' });
  }
  const flow = [
    { id: 'f1', type: 'tab' },
    { id: 'db', type: 'helios-db', dir, durability: 'batch', batchIntervalMs: 100 },
    { id: 'dev', type: 'helios-modbus-device', host: '127.0.0.1', port: server.port, timeoutMs: 500 },
    {
      id: 'poll',
      z: 'f1',
      type: 'helios-modbus',
      device: 'dev',
      map,
      table: 'plc',
      wires: [['store', 'polls']],
    },
    { id: 'store', z: 'f1', type: 'helios-store', db: 'db', wires: [['stored']] },
    { id: 'tick', z: 'f1', type: 'inject', repeat: '1', once: true, onceDelay: 1, wires: [['query']] },
    {
      id: 'query',
      z: 'f1',
      type: 'helios-query',
      db: 'db',
      sql: "SELECT unit, count(*) AS n, avg(v0) AS v0 FROM plc WHERE time > now() - INTERVAL '10 seconds' GROUP BY unit",
      wires: [['answers']],
    },
    { id: 'polls', z: 'f1', type: 'helper' },
    { id: 'stored', z: 'f1', type: 'helper' },
    { id: 'answers', z: 'f1', type: 'helper' },
  ];
  await helper.load([...nodes, injectNode], flow);
  const late = [];
  const counts = { polls: 0, stored: 0, answers: 0, values: 0 };
  const warmUntil = Date.now() + 2000;
  helper.getNode('polls').on('input', (msg) => {
    if (Date.now() < warmUntil) return;
    counts.polls++;
    late.push(msg.modbus.lateMs);
    for (const r of msg.payload) counts.values += Object.keys(r.fields).length - 1;
  });
  helper.getNode('stored').on('input', () => {
    if (Date.now() >= warmUntil) counts.stored++;
  });
  helper.getNode('answers').on('input', () => {
    if (Date.now() >= warmUntil) counts.answers++;
  });
  await new Promise((r) => setTimeout(r, 2000));
  const cpu0 = process.cpuUsage();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const cpu = process.cpuUsage(cpu0);
  await helper.unload();
  server.child.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
  late.sort((a, b) => a - b);
  const registers = counts.values * 2;
  console.log(
    `node ${process.version}, load ${os.loadavg()[0].toFixed(2)}, ${SECONDS} s after 2 s of warm-up`,
  );
  console.log(
    '| polls/s | registers/s | CPU per 1,000 registers (Node-RED process) | poll start late p50 | p99 | max | stored messages | query answers |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  console.log(
    `| ${(counts.polls / SECONDS).toFixed(2)} | ${(registers / SECONDS).toFixed(0)} | ${((cpu.user + cpu.system) / 1000 / (registers / 1000)).toFixed(2)} ms | ${quantile(late, 0.5)} ms | ${quantile(late, 0.99)} ms | ${late.at(-1)} ms | ${counts.stored} | ${counts.answers} |`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
