// Runaway-query limits (issue #19): how far past `timeoutMs` a query stops, how long an abort takes,
// the longest event-loop gap while runaway queries run, and LIKE / GLOB / IN on the shapes.
// Not part of the test suite (timings belong here, not in tests).
//
//   node bench/query-limits.js [--rows 20000] [--limit 200] [--runs 5]
//
// The loop gap is measured with a 1 ms interval timer: on a busy machine it includes time the OS
// gave other processes, so read it as an upper bound.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const { open } = require('../dist/engine');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const ROWS = arg('rows', 20000);
const LIMIT = arg('limit', 200);
const RUNS = arg('runs', 5);

/** Runs `fn`, returning its ms and the longest gap between 1 ms timer ticks meanwhile. */
async function timed(fn) {
  let worst = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
  }, 1);
  const started = performance.now();
  let outcome = 'ok';
  try {
    await fn();
  } catch (err) {
    outcome = err.code ?? err.name;
  }
  const ms = performance.now() - started;
  clearInterval(timer);
  return { ms, gap: worst, outcome };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'helios-limits-bench-'));
  const db = await open(dir);
  try {
    const rows = [];
    for (let i = 0; i < ROWS; i++)
      rows.push({ time: i, tags: { s: `k${i % 50}` }, fields: { v: i, w: `text-${i}` } });
    await db.write('t', rows);
    const strings = [];
    for (let i = 0; i < 2000; i++) strings.push({ time: i, fields: { s: 'a'.repeat(300) } });
    await db.write('l', strings);
    await db.flush();

    console.log(`| case | median ms | worst loop gap ms | outcome |`);
    console.log(`|---|---:|---:|---|`);
    const cases = [
      [
        `join, timeoutMs ${LIMIT}`,
        () =>
          db.query('SELECT count(*) AS n FROM t a JOIN t b ON a.v < b.v', undefined, { timeoutMs: LIMIT }),
      ],
      [
        `hash join + GROUP BY, timeoutMs ${LIMIT}`,
        () =>
          db.query('SELECT a.s, count(*) AS n FROM t a JOIN t b ON a.s = b.s GROUP BY a.s', undefined, {
            timeoutMs: LIMIT,
          }),
      ],
      [
        `abort after ${LIMIT} ms`,
        () => {
          const ac = new AbortController();
          setTimeout(() => ac.abort(), LIMIT);
          return db.query('SELECT count(*) AS n FROM t a JOIN t b ON a.v < b.v', undefined, {
            signal: ac.signal,
          });
        },
      ],
      [
        "LIKE '%a%a%a%a%a%a%a%a%a%a%a%a%b' over 2,000 x 300 a",
        () => db.query("SELECT count(*) AS n FROM l WHERE s LIKE '%a%a%a%a%a%a%a%a%a%a%a%a%b'"),
      ],
      [
        "GLOB '*a*a*a*a*a*a*a*a*a*a*a*a*b' over 2,000 x 300 a",
        () => db.query("SELECT count(*) AS n FROM l WHERE s GLOB '*a*a*a*a*a*a*a*a*a*a*a*a*b'"),
      ],
      [
        `IN (10,000 values) over ${ROWS} rows`,
        () =>
          db.query(
            `SELECT count(*) AS n FROM t WHERE v IN (${Array.from({ length: 10000 }, (_, i) => i * 3).join(',')})`,
          ),
      ],
      [`group_concat of ${ROWS} values`, () => db.query('SELECT length(group_concat(w)) AS n FROM t')],
    ];
    for (const [name, fn] of cases) {
      const results = [];
      for (let r = 0; r < RUNS; r++) results.push(await timed(fn));
      const outcomes = [...new Set(results.map((x) => x.outcome))].join(', ');
      console.log(
        `| ${name} | ${median(results.map((x) => x.ms)).toFixed(1)} | ${Math.max(...results.map((x) => x.gap)).toFixed(1)} | ${outcomes} |`,
      );
    }
    console.log(
      `\n${os.cpus().length} CPUs, load average ${os
        .loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')}`,
    );
  } finally {
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
