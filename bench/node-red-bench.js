/**
 * helios-store throughput in a real Node-RED runtime (not the test helper). Issue 4's targets:
 *   1. per-message store at least 80% of the rate of the same flow with a pass-through node;
 *   2. messages of 1,000 readings each: at least 1M readings/s through the node.
 *
 *   npm run build && node bench/node-red-bench.js [--messages 100000] [--batches 2000] [--runs 3]
 *                                                  [--warmup 100000]
 *
 * Each case runs in a fresh Node-RED (scripts/node-red-runner.js) whose user directory also holds
 * two small benchmark nodes (written below into <userDir>/nodes): `bench-source` sends messages with
 * at most `window` in flight, `bench-sink` counts them and writes the timing to a file. The
 * pass-through node is a minimal node that sends each message on (the cheapest node possible).
 * Every case first streams `warmup` untimed messages through the same runtime (a steady state, not
 * V8's first compilation), and the cases take turns round by round.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { prepareUserDir, startNodeRed } = require('../scripts/node-red-runner');

const BENCH_NODES_JS = `
module.exports = function (RED) {
  const runs = new Map();
  function Source(config) {
    RED.nodes.createNode(this, config);
    const node = this;
    // The first \`warmup\` messages are not timed: they let V8 compile the hot paths of both the
    // node under test and the engine, as in a Node-RED that has been running for a while.
    const warmup = Number(config.warmup);
    const total = warmup + Number(config.count);
    const per = Number(config.perMessage);
    const window = Number(config.window);
    const base = 1764000000000;
    let sent = 0;
    let acked = 0;
    const make = (i) => {
      if (per <= 1) return { topic: 'sensor-' + (i % 10), payload: 20 + (i % 100) / 10, timestamp: base + i };
      const payload = new Array(per);
      for (let j = 0; j < per; j++) {
        payload[j] = { sensor_id: 'S-' + (j % 10), value: 20 + ((i + j) % 100) / 10, time: base + i * per + j };
      }
      return { payload };
    };
    const pump = () => {
      while (sent < total && sent - acked < window) node.send(make(sent++));
    };
    runs.set(config.run, {
      ack() {
        acked++;
        if (acked === warmup) this.start = performance.now();
        if (acked === total) return true;
        if (sent - acked <= window / 2) pump();
        return false;
      },
      start: 0,
    });
    setTimeout(() => {
      if (warmup === 0) runs.get(config.run).start = performance.now();
      pump();
    }, 1000);
  }
  function Sink(config) {
    RED.nodes.createNode(this, config);
    this.on('input', (msg, send, done) => {
      const run = runs.get(config.run);
      if (run.ack()) {
        const ms = performance.now() - run.start;
        require('fs').writeFileSync(config.out, JSON.stringify({ ms }));
      }
      done();
    });
  }
  function Pass(config) {
    RED.nodes.createNode(this, config);
    this.on('input', (msg, send, done) => {
      send(msg);
      done();
    });
  }
  RED.nodes.registerType('bench-source', Source);
  RED.nodes.registerType('bench-sink', Sink);
  RED.nodes.registerType('bench-pass', Pass);
};
`;
const BENCH_NODES_HTML = ['bench-source', 'bench-sink', 'bench-pass']
  .map(
    (t) =>
      `<script type="text/javascript">RED.nodes.registerType('${t}', { category: 'bench', defaults: {}, inputs: ${t === 'bench-source' ? 0 : 1}, outputs: ${t === 'bench-sink' ? 0 : 1} });</script>`,
  )
  .join('\n');

function parseArgs(argv) {
  const opts = { messages: 100_000, batches: 2000, runs: 3, window: 1000, warmup: 100_000 };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (!(key in opts)) throw new Error(`unknown option ${argv[i]}`);
    opts[key] = Number(argv[i + 1]);
  }
  return opts;
}

function flowFor(kind, count, warmup, perMessage, window, out) {
  const tab = { id: 'bench-tab', type: 'tab', label: 'bench' };
  const db = {
    id: 'bench-db',
    type: 'helios-db',
    dir: 'helios',
    durability: 'batch',
    batchIntervalMs: 100,
    memoryLimitMB: 64,
  };
  const middles = {
    store: { type: 'helios-store', db: db.id, table: 'bench', tagProps: 'sensor_id' },
    pass: { type: 'bench-pass' },
    function: { type: 'function', func: 'return msg;', outputs: 1, noerr: 0, libs: [] },
  };
  const middle = { id: 'mid', z: tab.id, ...middles[kind], wires: [['sink']] };
  return [
    tab,
    db,
    {
      id: 'src',
      z: tab.id,
      type: 'bench-source',
      run: 'r',
      count,
      warmup,
      perMessage,
      window,
      wires: [['mid']],
    },
    middle,
    { id: 'sink', z: tab.id, type: 'bench-sink', run: 'r', out },
  ];
}

/** One fresh Node-RED running one case; resolves with the elapsed ms of the stream. */
async function runCase(kind, count, warmup, perMessage, window) {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'helios-nr-bench-'));
  const out = path.join(userDir, 'result.json');
  try {
    fs.mkdirSync(path.join(userDir, 'nodes'), { recursive: true });
    fs.writeFileSync(path.join(userDir, 'nodes', 'bench-nodes.js'), BENCH_NODES_JS);
    fs.writeFileSync(path.join(userDir, 'nodes', 'bench-nodes.html'), BENCH_NODES_HTML);
    prepareUserDir(userDir, {
      flows: flowFor(kind, count, warmup, perMessage, window, out),
    });
    const runtime = await startNodeRed(userDir);
    try {
      const started = Date.now();
      while (!fs.existsSync(out)) {
        if (Date.now() - started > 10 * 60_000) throw new Error(`${kind}: no result after 10 minutes`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return JSON.parse(fs.readFileSync(out, 'utf8')).ms;
    } finally {
      await runtime.stop();
    }
  } finally {
    fs.rmSync(userDir, { recursive: true, force: true });
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Median rate of each case over `opts.runs` rounds; a round runs every case once, so that a change
 * in the machine's load falls on all of them alike.
 */
async function measureRounds(cases, opts) {
  const rates = cases.map(() => []);
  for (let r = 0; r < opts.runs; r++) {
    for (const [i, c] of cases.entries()) {
      const warmup = Math.round((opts.warmup * c.count) / opts.messages);
      const ms = await runCase(c.kind, c.count, warmup, c.perMessage, opts.window);
      rates[i].push((c.count * c.perMessage * 1000) / ms);
    }
  }
  return rates.map(median);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  console.log(
    `Node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}); median of ${opts.runs} rounds; ` +
      `${opts.warmup.toLocaleString('en')} untimed messages first in each runtime (1,000-reading messages: as many readings)`,
  );
  const [pass, fn, store, batch] = await measureRounds(
    [
      { kind: 'pass', count: opts.messages, perMessage: 1 },
      { kind: 'function', count: opts.messages, perMessage: 1 },
      { kind: 'store', count: opts.messages, perMessage: 1 },
      { kind: 'store', count: opts.batches, perMessage: 1000 },
    ],
    opts,
  );
  const pct = (x) => `${((store / x) * 100).toFixed(0)}%`;
  console.log('\n| case | rate | target | |');
  console.log('|---|---|---|---|');
  console.log(
    `| minimal pass-through node (send; done), 1 reading/msg | ${Math.round(pass).toLocaleString('en')} msg/s | | |`,
  );
  console.log(
    `| function node \`return msg;\`, 1 reading/msg | ${Math.round(fn).toLocaleString('en')} msg/s | | |`,
  );
  console.log(
    `| helios-store, 1 reading/msg | ${Math.round(store).toLocaleString('en')} msg/s (${pct(pass)} of minimal, ${pct(fn)} of function) | >= 80% | ${store / pass >= 0.8 ? 'PASS' : 'MISS'} |`,
  );
  console.log(
    `| helios-store, 1,000 readings/msg | ${Math.round(batch).toLocaleString('en')} readings/s | >= 1,000,000 | ${batch >= 1e6 ? 'PASS' : 'MISS'} |`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
