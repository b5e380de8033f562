#!/usr/bin/env node
// What the `helios` CLI and the metrics cost on a database of N readings (issue #17): taking a
// snapshot copy (hard links + WAL copy), opening it, a query on it, `verify` over every chunk,
// exporting the table as CSV, and one metrics scrape's stats(). Reports wall-clock ms and MB/s.
//
//   node bench/cli-bench.js [--readings 1000000] [--series 100]
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Writable } = require('node:stream');
const { open, copySnapshot, openSnapshot, verifyDirectory } = require('../dist/engine/index.js');
const { exportTable } = require('../dist/nodes/lib/transfer/export.js');

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const READINGS = arg('readings', 1_000_000);
const SERIES = arg('series', 100);

async function time(label, fn) {
  const t0 = performance.now();
  const out = await fn();
  const ms = performance.now() - t0;
  return { label, ms, out };
}

(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'helios-cli-bench-'));
  try {
    const db = await open(dir, { durability: 'none' });
    const t0 = 1764000000000;
    for (let start = 0; start < READINGS; start += 50_000) {
      const batch = [];
      for (let i = start; i < Math.min(READINGS, start + 50_000); i++) {
        const s = i % SERIES;
        batch.push({
          time: t0 + Math.floor(i / SERIES) * 1000,
          tags: { sensor: `s${s}` },
          fields: { value: Math.round(Math.sin(i / 500) * 1000) / 100 },
        });
      }
      await db.write('plant', batch);
    }
    await db.flush();
    // the last 1% stays in the WAL, as a running Node-RED would have it
    await db.write('plant', [{ time: t0 + READINGS * 1000, tags: { sensor: 's0' }, fields: { value: 1 } }]);
    const bytes = db.diskBytes();
    const scrape = await time('stats() (one metrics scrape per database)', async () => db.stats());
    const rows = [];
    const copy = await time('snapshot copy (links + WAL)', () => copySnapshot(dir));
    rows.push(copy);
    await copy.out.remove();
    const snap = await time('snapshot copy + open', () => openSnapshot(dir));
    rows.push(snap);
    rows.push(
      await time('query on the snapshot: count, avg by sensor', () =>
        snap.out.db.query('SELECT sensor, count(*), avg(value) FROM plant GROUP BY sensor'),
      ),
    );
    let exported = 0;
    const sink = new Writable({
      write(chunk, _enc, cb) {
        exported += chunk.length;
        cb();
      },
    });
    rows.push(
      await time('export csv (to a null stream)', () =>
        exportTable(snap.out.db, 'plant', sink, { format: 'csv' }),
      ),
    );
    await snap.out.close();
    const verify = await time('verify (every chunk and WAL record)', () => verifyDirectory(dir));
    rows.push(verify);
    rows.push(scrape);
    await db.close();
    console.log(
      `${READINGS} readings, ${SERIES} series, ${(bytes / 1e6).toFixed(1)} MB on disk; Node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg()[0].toFixed(1)}`,
    );
    for (const r of rows) console.log(`  ${r.label.padEnd(46)} ${r.ms.toFixed(0).padStart(7)} ms`);
    console.log(
      `  verify: ${(verify.out.rows / (verify.ms / 1000) / 1e6).toFixed(1)}M rows/s, ${(bytes / 1e6 / (verify.ms / 1000)).toFixed(1)} MB/s, ${verify.out.chunks} chunks, sound=${verify.out.sound}`,
    );
    console.log(
      `  export csv: ${(exported / 1e6).toFixed(1)} MB, ${(READINGS / (rows[3].ms / 1000) / 1e3).toFixed(0)}k rows/s`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
})();
