// Micro-benchmark of the column codecs: bytes per value and encode/decode throughput on synthetic
// sensor data. Run: npx tsc -p tsconfig.json && node bench/codec-bench.js [rowsPerChunk]
// Figures are indicative only (shared, noisy machines); the tests never assert on them.

const codec = require('../dist/engine/codec/index.js');

const ROWS = Number(process.argv[2] ?? 2000);
const CHUNKS = 200;

/** Deterministic PRNG (mulberry32) so runs are comparable. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const START = Date.UTC(2025, 0, 1);

const datasets = {
  'regular ts (1 s)': (_rnd, n) => Float64Array.from({ length: n }, (_, i) => START + i * 1000),
  'jittered ts (1 s +-5 ms)': (rnd, n) =>
    Float64Array.from({ length: n }, (_, i) => START + i * 1000 + Math.round(rnd() * 10 - 5)),
  'temperature (0.01, walk)': (rnd, n) => walk(rnd, n, 21.5, 0.01, 2),
  'pressure (0.1, walk)': (rnd, n) => walk(rnd, n, 1013.2, 0.1, 2),
  'smooth sine (full doubles)': (rnd, n) => {
    const phase = rnd() * 6;
    return Float64Array.from({ length: n }, (_, i) => 20 + Math.sin(phase + i / 300));
  },
  'vibration (full doubles)': (rnd, n) => Float64Array.from({ length: n }, () => Math.sin(rnd() * 6) * 3.7),
  'counter (int)': (rnd, n) => {
    let c = 1e6;
    return Float64Array.from({ length: n }, () => (c += Math.floor(rnd() * 50)));
  },
};

/** Random walk quantized to `quantum`, each step a whole number of quanta in [-maxSteps, maxSteps]. */
function walk(rnd, n, start, quantum, maxSteps) {
  const scale = Math.round(1 / quantum);
  let q = Math.round(start * scale);
  return Float64Array.from({ length: n }, () => {
    q += Math.round((rnd() * 2 - 1) * maxSteps);
    return q / scale;
  });
}

const kindOf = (name) => (name.includes('ts') ? 'Timestamps' : name.includes('int') ? 'Integers' : 'Floats');

function bench(name, make) {
  const rnd = prng(42);
  const chunks = Array.from({ length: CHUNKS }, () => make(rnd, ROWS));
  const kind = kindOf(name);
  const encode = codec[`encode${kind}`];
  const decode = codec[`decode${kind}`];
  for (const c of chunks.slice(0, 20)) encode(c, ROWS); // warm-up
  let t0 = process.hrtime.bigint();
  const blocks = chunks.map((c) => encode(c, ROWS));
  const encNs = Number(process.hrtime.bigint() - t0);
  const out = new Float64Array(ROWS);
  for (const b of blocks) decode(b, ROWS, out); // warm-up
  const rounds = 20;
  t0 = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++) for (const b of blocks) decode(b, ROWS, out);
  const decNs = Number(process.hrtime.bigint() - t0) / rounds;
  const bytes = blocks.reduce((s, b) => s + b.length, 0);
  const names = [...new Set(blocks.map((b) => codec.codecName(b)))].join(',');
  const values = ROWS * CHUNKS;
  console.log(
    `${name.padEnd(26)} ${names.padEnd(14)} ${((bytes * 8) / values).toFixed(3).padStart(7)} bits/value` +
      `  encode ${((values / encNs) * 1e3).toFixed(1).padStart(6)} M/s  decode ${((values / decNs) * 1e3).toFixed(1).padStart(6)} M/s`,
  );
  return bytes / values;
}

console.log(`${CHUNKS} chunks of ${ROWS} rows, node ${process.version}`);
const size = {};
for (const [name, make] of Object.entries(datasets)) size[name] = bench(name, make);
const perRow = (ts, v) => (size[ts] + size[v]).toFixed(3);
console.log(
  `jittered ts + 0.01 walk: ${perRow('jittered ts (1 s +-5 ms)', 'temperature (0.01, walk)')} bytes/row`,
);
console.log(`regular ts + 0.01 walk:  ${perRow('regular ts (1 s)', 'temperature (0.01, walk)')} bytes/row`);
