// The longest event-loop gap while db.query builds a 100k-row result (issue #17), with the garbage
// collections that fell inside it. Not a test: figures go to bench/RESULTS.md.
//   node bench/query-stall-bench.js [--rows 100000] [--runs 5] [--dist DIR]   (DIR: another build's dist/)
// A setImmediate ticker notes every turn of the event loop; the gap is the longest time between two.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { PerformanceObserver } = require('node:perf_hooks');

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const ROWS = Number(arg('rows', 100000));
const RUNS = Number(arg('runs', 5));
const DIST = path.resolve(arg('dist', path.join(__dirname, '..', 'dist')));
const { open } = require(path.join(DIST, 'engine'));
const QUERIES = ['SELECT * FROM line', 'SELECT * FROM line ORDER BY v', 'SELECT * FROM line ORDER BY note'];

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'helios-stall-'));
  const db = await open(dir, { durability: 'batch' });
  const t0 = 1764000000000;
  for (let i = 0; i < ROWS; i += 5000) {
    const batch = [];
    for (let j = i; j < Math.min(ROWS, i + 5000); j++)
      batch.push({
        time: t0 + j * 10,
        tags: { sensor: `s${j % 10}` },
        fields: { v: (j * 7919) % ROWS, ok: j % 2 === 0, note: `n${j}` },
      });
    await db.write('line', batch);
  }
  await db.flush();
  const gcs = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcs.push({ start: e.startTime, ms: e.duration });
  });
  observer.observe({ entryTypes: ['gc'] });
  console.log(`${ROWS} rows, ${RUNS} runs per query, dist ${DIST}, load ${os.loadavg()[0].toFixed(2)}`);
  console.log(
    '| query | longest gap, ms (median of runs) | worst run | GC inside the worst gap, ms | longest GC, ms |',
  );
  console.log('|---|---|---|---|---|');
  for (const sql of QUERIES) {
    const worst = [];
    let gcInWorst = 0;
    let longestGc = 0;
    for (let r = 0; r < RUNS; r++) {
      gcs.length = 0;
      let last = performance.now();
      let gap = 0;
      let gapAt = 0;
      let on = true;
      const tick = () => {
        const now = performance.now();
        if (now - last > gap) {
          gap = now - last;
          gapAt = last;
        }
        last = now;
        if (on) setImmediate(tick);
      };
      setImmediate(tick);
      const result = await db.query(sql);
      on = false;
      if (result.rows.length !== ROWS) throw new Error(`${sql}: ${result.rows.length} rows`);
      await new Promise((resolve) => setTimeout(resolve, 20));
      const inside = gcs
        .filter((g) => g.start + g.ms >= gapAt && g.start <= gapAt + gap)
        .reduce((s, g) => s + g.ms, 0);
      if (gap > Math.max(0, ...worst)) gcInWorst = inside;
      longestGc = Math.max(longestGc, ...gcs.map((g) => g.ms));
      worst.push(gap);
    }
    const sorted = [...worst].sort((a, b) => a - b);
    console.log(
      `| ${sql} | ${sorted[Math.floor(RUNS / 2)].toFixed(1)} | ${sorted.at(-1).toFixed(1)} | ${gcInWorst.toFixed(1)} | ${longestGc.toFixed(1)} |`,
    );
  }
  observer.disconnect();
  await db.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
