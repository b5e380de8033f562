/**
 * Memory and wide-row benchmark (issue #19, M2 and M3), each case in a fresh child process:
 * - series: `--series` series (tags `site`, `sensor`), one float field, written in batches of
 *   `--batch` (5,000) readings over `--rounds` rounds (each round one reading per series, a flush after each, so
 *   every series is in `--rounds` segments), with the default options (or `--memory-mb`). Reports
 *   peak and final RSS, heap, and whether the engine refused a write (and its message).
 * - wide: `--wide-rows` rows of one series, each with `--per-row` of `--fields` distinct fields
 *   (sparse), in batches of 500; reports the time, the longest event-loop stall and peak RSS.
 *
 *   node bench/memory-bench.js [--series 200k] [--rounds 4] [--batch 5000] [--memory-mb 32]
 *                              [--wide-rows 20k] [--fields 2000] [--per-row 3] [--only series|wide]
 *
 * Stalls are measured with a 5 ms interval timer: the longest gap past its interval.
 */
const { fork } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseCount, describeMachine } = require('./common');

const START = Date.UTC(2026, 0, 1);

function parseArgs(argv) {
  const o = {
    series: 200_000,
    rounds: 4,
    batch: 5000,
    memoryMb: null,
    wideRows: 20_000,
    fields: 2000,
    perRow: 3,
    only: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const v = () => argv[++i];
    if (argv[i] === '--series') o.series = parseCount(v());
    else if (argv[i] === '--rounds') o.rounds = Number(v());
    else if (argv[i] === '--batch') o.batch = parseCount(v());
    else if (argv[i] === '--memory-mb') o.memoryMb = Number(v());
    else if (argv[i] === '--wide-rows') o.wideRows = parseCount(v());
    else if (argv[i] === '--fields') o.fields = parseCount(v());
    else if (argv[i] === '--per-row') o.perRow = Number(v());
    else if (argv[i] === '--only') o.only = v();
    else if (argv[i] === '--child') o.child = v();
    else throw new Error(`unknown option ${argv[i]}`);
  }
  return o;
}

/** Longest gap between 5 ms timer ticks beyond 5 ms, and peak RSS, sampled on each tick. */
function startWatch() {
  const w = { stall: 0, peakRss: process.memoryUsage.rss(), last: performance.now() };
  w.timer = setInterval(() => {
    const t = performance.now();
    w.stall = Math.max(w.stall, t - w.last - 5);
    w.last = t;
    w.peakRss = Math.max(w.peakRss, process.memoryUsage.rss());
  }, 5);
  return w;
}

function stopWatch(w) {
  clearInterval(w.timer);
  return { stallMs: Math.round(w.stall), peakRssMB: mb(Math.max(w.peakRss, process.memoryUsage.rss())) };
}

function mb(bytes) {
  return Math.round((bytes / 1024 / 1024) * 10) / 10;
}

async function seriesCase(o, dir) {
  const { open } = require('../dist/engine');
  const options = o.memoryMb === null ? {} : { memoryLimitMB: o.memoryMb };
  const db = await open(dir, options);
  const watch = startWatch();
  const t0 = performance.now();
  let refused = null;
  let written = 0;
  try {
    for (let round = 0; round < o.rounds; round++) {
      for (let at = 0; at < o.series; at += o.batch) {
        const batch = [];
        for (let s = at; s < Math.min(o.series, at + o.batch); s++) {
          batch.push({
            time: START + round * 1000 + (s % 1000),
            tags: { site: `site-${s % 97}`, sensor: `sensor-${s}` },
            fields: { value: s + round / 10 },
          });
        }
        await db.write('m', batch);
        written += batch.length;
        // a resolved write does not give the event loop a turn: give it one, as a flow would
        await new Promise(setImmediate);
      }
      await db.flush();
    }
  } catch (err) {
    refused = `${err.code ?? err.name}: ${err.message}`;
  }
  const ms = performance.now() - t0;
  global.gc?.();
  const mem = process.memoryUsage();
  const segments = db.stats().tables?.m?.segments ?? null;
  const watched = stopWatch(watch);
  await db.close();
  const arrayBuffersMB = mb(mem.arrayBuffers);
  return {
    written,
    seconds: Math.round(ms / 100) / 10,
    ...watched,
    finalRssMB: mb(mem.rss),
    heapUsedMB: mb(mem.heapUsed),
    arrayBuffersMB,
    segments,
    refused,
  };
}

async function wideCase(o, dir) {
  const { open } = require('../dist/engine');
  const db = await open(dir, o.memoryMb === null ? {} : { memoryLimitMB: o.memoryMb });
  const watch = startWatch();
  const t0 = performance.now();
  let state = 12345;
  const next = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state;
  };
  for (let at = 0; at < o.wideRows; at += 500) {
    const batch = [];
    for (let i = at; i < Math.min(o.wideRows, at + 500); i++) {
      const fields = {};
      for (let k = 0; k < o.perRow; k++) fields[`f${next() % o.fields}`] = i + k;
      batch.push({ time: START + i, tags: { device: 'd1' }, fields });
    }
    await db.write('wide', batch);
    await new Promise(setImmediate);
  }
  await db.flush();
  const writeMs = performance.now() - t0;
  const { rows } = await db.query('SELECT count(*) AS n FROM wide');
  const ms = performance.now() - t0;
  const watched = stopWatch(watch);
  await db.close();
  if (rows[0].n !== o.wideRows) throw new Error(`kept ${rows[0].n} of ${o.wideRows} rows`);
  return {
    rows: o.wideRows,
    writeSeconds: Math.round(writeMs / 100) / 10,
    seconds: Math.round(ms / 100) / 10,
    ...watched,
  };
}

async function child(o) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'helios-mem-'));
  try {
    const result = o.child === 'series' ? await seriesCase(o, dir) : await wideCase(o, dir);
    process.send(result);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function runChild(kind, argv) {
  return new Promise((resolve, reject) => {
    const p = fork(__filename, [...argv, '--child', kind], { execArgv: ['--expose-gc'] });
    let result = null;
    p.on('message', (m) => {
      result = m;
    });
    p.on('exit', (code) =>
      result ? resolve(result) : reject(new Error(`${kind} child exited with ${code}`)),
    );
  });
}

async function main() {
  const argv = process.argv.slice(2);
  const o = parseArgs(argv);
  if (o.child) return child(o);
  const m = describeMachine();
  console.log(
    `# memory-bench: ${m.cpuModel}, ${m.cores} cores, Node ${m.node}, commit ${m.commit}, load ${os.loadavg()[0].toFixed(1)}`,
  );
  if (o.only !== 'wide') {
    const r = await runChild('series', argv);
    console.log(
      `series: ${o.series} series x ${o.rounds} rounds, memoryLimitMB ${o.memoryMb ?? 'default'}:`,
      JSON.stringify(r),
    );
  }
  if (o.only !== 'series') {
    const r = await runChild('wide', argv);
    console.log(`wide: ${o.wideRows} rows, ${o.perRow} of ${o.fields} fields each:`, JSON.stringify(r));
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
