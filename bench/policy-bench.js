/**
 * Retention and downsampling benchmark (issue 5), Helios only (no peer has these policies
 * embedded): `node bench/policy-bench.js [--readings 10M]`.
 * - retention of one day from a database of N readings (500 sensors every 10 s, ~2.3 days at 10M,
 *   daily partitions): time, and bytes written while it runs (/proc/self/io write_bytes);
 * - downsampling everything older than an hour into 5-minute rollups: readings per second;
 * - disk saved by a 5-minute rollup of 1 s data (500 sensors, 1M readings).
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { open } = require('../dist/engine');
const { readProcIo, ioDelta, dirSize } = require('./measure');
const { parseCount } = require('./common');

const SENSORS = 500;
const T0 = 1764028800000; // midnight UTC, so days are whole partitions

async function fill(db, readings, stepMs) {
  const values = new Float64Array(SENSORS).fill(20);
  let batch = [];
  for (let i = 0; i < readings; i++) {
    const s = i % SENSORS;
    values[s] = Math.round((values[s] + ((((i * 2654435761) >>> 0) % 5) - 2) * 0.01) * 100) / 100;
    batch.push({
      time: T0 + Math.floor(i / SENSORS) * stepMs + (i % 5),
      tags: { sensor_id: `S${s}`, machine_id: `M${s % 50}` },
      fields: { value: values[s] },
    });
    if (batch.length === 10000) {
      await db.write('sensor_readings', batch);
      batch = [];
    }
  }
  if (batch.length) await db.write('sensor_readings', batch);
  await db.flush();
}

async function retentionOfADay(readings) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'helios-policy-'));
  try {
    const db = await open(dir);
    await fill(db, readings, 10000);
    await db.compact(true);
    const last = T0 + Math.ceil(readings / SENSORS) * 10000;
    const io0 = readProcIo();
    const t0 = performance.now();
    const report = await db.runRetention({
      table: 'sensor_readings',
      maxAge: last - (T0 + 86400000),
      now: last,
    });
    const ms = performance.now() - t0;
    const io = ioDelta(io0, readProcIo());
    await db.close();
    return { readings, ms, writeBytes: io.write_bytes, wchar: io.wchar, report };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function downsampling(readings) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'helios-policy-'));
  try {
    const db = await open(dir);
    await fill(db, readings, 1000);
    const rawBytes = dirSize(path.join(dir, 'data', 'sensor_readings')).bytes;
    const last = T0 + Math.ceil(readings / SENSORS) * 1000;
    const t0 = performance.now();
    const report = await db.runDownsample({ source: 'sensor_readings', bucket: '5m', now: last + 3600000 });
    const ms = performance.now() - t0;
    await db.flush();
    await db.compact(true);
    const rollupBytes = dirSize(path.join(dir, 'data', 'sensor_readings_5m')).bytes;
    await db.close();
    return { readings, ms, rate: report.rowsRead / (ms / 1000), rawBytes, rollupBytes, report };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const arg = process.argv.indexOf('--readings');
  const readings = arg > 0 ? parseCount(process.argv[arg + 1]) : 10_000_000;
  // 500 sensors every 10 s make a day in 4.32M readings: fewer leave no whole day to drop.
  const retention = readings > 4_320_000 ? await retentionOfADay(readings) : null;
  if (!retention)
    console.log('retention of one day: skipped, it needs more than 4.32M readings (--readings 10M)');
  else
    console.log(
      `retention of one day from ${readings.toLocaleString()} readings: ${retention.ms.toFixed(1)} ms, ` +
        `${retention.writeBytes.toLocaleString()} bytes written (wchar ${retention.wchar.toLocaleString()}); ` +
        `dropped ${retention.report.partitionsDropped} partition(s), ${retention.report.rowsDropped.toLocaleString()} rows, ` +
        `freed ${retention.report.bytesFreed.toLocaleString()} bytes  [target: < 50 ms, ~0 bytes written]`,
    );
  const ds = await downsampling(Math.min(readings, 1_000_000));
  console.log(
    `downsampling ${ds.readings.toLocaleString()} 1 s readings into 5 min rollups: ${ds.ms.toFixed(0)} ms, ` +
      `${Math.round(ds.rate).toLocaleString()} readings/s  [target: >= 5M/s]; ` +
      `${ds.report.bucketsWritten.toLocaleString()} rollup rows; raw ${ds.rawBytes.toLocaleString()} B, ` +
      `rollup ${ds.rollupBytes.toLocaleString()} B (${((1 - ds.rollupBytes / ds.rawBytes) * 100).toFixed(1)}% saved, ` +
      `avg/min/max/count/last kept per bucket)`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
