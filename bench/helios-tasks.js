/**
 * The Helios side of the benchmark. Each function runs inside its own child process (bench/child.js)
 * and returns plain JSON. The engine is required lazily so that its load time can be reported apart.
 */

const path = require('node:path');
const { Workload, toReadings } = require('./workload');
const { IngestMeter, dirSize, Stopwatch, now } = require('./measure');
const { loadNabSeries, nabSeriesNames } = require('./nab');

const TABLE = 'sensor_readings';
const ENGINE_PATH = path.join(__dirname, '..', 'dist', 'engine');
/** The options every measurement opens with: the engine's defaults, with 'batch' durability spelled out. */
const INGEST_OPTIONS = { durability: 'batch', batchIntervalMs: 100 };
/** Keep everything in the head: a memory budget nothing reaches, no age-triggered flush. */
const UNFLUSHED_OPTIONS = { durability: 'batch', batchIntervalMs: 100, memoryLimitMB: 4096, maxHeadAge: 0 };

function loadEngine() {
  const t0 = now();
  const engine = require(ENGINE_PATH);
  return { open: engine.open, requireMs: now() - t0 };
}

function tableStats(db) {
  const stats = db.stats();
  const { tables, ...rest } = stats;
  const table = tables?.[TABLE] ?? null;
  return { table, ...rest };
}

/** Batched ingest: awaited `write` per batch, then `close`; I/O counters span open to close. */
async function ingest({ dir, readings, batchSize, regular }) {
  const { open, requireMs } = loadEngine();
  const workload = new Workload({ regular });
  const meter = new IngestMeter();
  const t0 = now();
  const db = await open(dir, INGEST_OPTIONS);
  const openMs = now() - t0;
  const writeMs = await meter.writeLoop(
    readings,
    batchSize,
    (n) => toReadings(workload.nextBatch(n), workload.sensors),
    (batch) => db.write(TABLE, batch),
  );
  const stats = tableStats(db);
  const t1 = now();
  await db.close();
  const closeMs = now() - t1;
  return meter.result({ readings, requireMs, openMs, writeMs, closeMs, disk: dirSize(dir), stats });
}

/** One awaited `write` of one reading at a time, until `readings` or `maxSeconds`. */
async function onePerCall({ dir, readings, maxSeconds }) {
  const { open } = loadEngine();
  const workload = new Workload({});
  const db = await open(dir, INGEST_OPTIONS);
  const deadline = now() + maxSeconds * 1000;
  const writes = new Stopwatch();
  let done = 0;
  while (done < readings && now() < deadline) {
    const chunk = toReadings(workload.nextBatch(Math.min(1000, readings - done)), workload.sensors);
    writes.start();
    for (const reading of chunk) await db.write(TABLE, [reading]);
    writes.stop();
    done += chunk.length;
  }
  const t1 = now();
  await db.close();
  return { readings: done, writeMs: writes.totalMs, closeMs: now() - t1, timedOut: done < readings };
}

/**
 * Time `open` of an existing database in this fresh process, then close it (untimed). With
 * `unflushed`, opens as `fillUnflushed` did, and with `holdOpen` leaves it open to be killed, so that
 * every replay run finds the same unflushed WAL.
 */
async function coldOpen({ dir, holdOpen, unflushed }) {
  const { open, requireMs } = loadEngine();
  const t0 = now();
  const db = await open(dir, unflushed ? UNFLUSHED_OPTIONS : INGEST_OPTIONS);
  const openMs = now() - t0;
  const stats = tableStats(db);
  if (!holdOpen) await db.close();
  return { requireMs, openMs, stats };
}

/** Write `readings` with nothing flushed, report, then wait to be killed (SIGKILL) by the parent. */
async function fillUnflushed({ dir, readings, batchSize }, { ready }) {
  const { open } = loadEngine();
  const workload = new Workload({});
  const db = await open(dir, UNFLUSHED_OPTIONS);
  for (let done = 0; done < readings; done += batchSize) {
    await db.write(
      TABLE,
      toReadings(workload.nextBatch(Math.min(batchSize, readings - done)), workload.sensors),
    );
  }
  ready({ readings, stats: tableStats(db), disk: dirSize(dir) });
  await new Promise(() => setInterval(() => {}, 60_000)); // held open until killed
}

/** Bytes on disk per reading for each NAB fixture series, one fresh database per series. */
async function nabSize({ dir }) {
  const { open } = loadEngine();
  const results = [];
  for (const name of nabSeriesNames()) {
    const seriesDir = path.join(dir, name);
    const points = loadNabSeries(name);
    const db = await open(seriesDir, INGEST_OPTIONS);
    for (let i = 0; i < points.length; i += 10_000) {
      const rows = points
        .slice(i, i + 10_000)
        .map((p) => ({ time: p.time, tags: { series: name }, fields: { value: p.value } }));
      await db.write('nab', rows);
    }
    await db.close();
    results.push({ name, readings: points.length, disk: dirSize(seriesDir) });
  }
  return results;
}

module.exports = { ingest, onePerCall, coldOpen, fillUnflushed, nabSize };
