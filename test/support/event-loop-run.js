// Child process of test/event-loop.test.js: builds a 10M-reading database and measures the longest
// event-loop stall of flush, compaction, downsampling and retention, in a process of its own (as
// the engine runs in Node-RED's), so the test runner's own heap and garbage do not count. Prints
// one JSON line: { flush, compaction, downsampling, retention, checks }.
const { monitorEventLoopDelay } = require('node:perf_hooks');
const { open } = require('../../dist/engine');

const dir = process.argv[2];

const SENSORS = 500;
const READINGS = 10_000_000;
const T0 = 1764000000000;

async function ingest(db) {
  const tags = [];
  for (let s = 0; s < SENSORS; s++) {
    tags.push({ sensor_id: `S${s}`, machine_id: `M${s % 50}`, line_id: `L${s % 5}` });
  }
  const values = new Float64Array(SENSORS).fill(20);
  let batch = [];
  for (let i = 0; i < READINGS; i++) {
    const s = i % SENSORS;
    values[s] = Math.round((values[s] + ((((i * 2654435761) >>> 0) % 5) - 2) * 0.01) * 100) / 100;
    batch.push({
      time: T0 + Math.floor(i / SENSORS) * 1000 + (i % 7),
      tags: tags[s],
      fields: { value: values[s] },
    });
    if (batch.length === 10000) {
      await db.write('sensor_readings', batch);
      batch = [];
    }
  }
}

/**
 * Runs `work` while a setImmediate ping measures each gap between event-loop turns, and returns
 * the longest stretch of the engine's own synchronous work in ms. A gap counts by the smaller of
 * its wall-clock length and the process's CPU time in it: a stretch of synchronous work shows in
 * both, while the OS running other programs (wall time without CPU) or the thread pool writing
 * files (CPU time beside free turns) shows in only one. So a loaded CI machine does not fail a
 * test that is about this code.
 */
async function longestStall(work) {
  let running = true;
  let worst = 0;
  let lastWall = performance.now();
  let lastCpu = process.cpuUsage();
  const ping = () => {
    const wall = performance.now();
    const cpu = process.cpuUsage();
    const cpuMs = (cpu.user - lastCpu.user + cpu.system - lastCpu.system) / 1000;
    worst = Math.max(worst, Math.min(wall - lastWall, cpuMs));
    lastWall = wall;
    lastCpu = cpu;
    if (running) setImmediate(ping);
  };
  setImmediate(ping);
  // perf_hooks' own view, for the message: it counts the OS's other programs as delay too.
  const histogram = monitorEventLoopDelay({ resolution: 2 });
  histogram.enable();
  try {
    await work();
  } finally {
    running = false;
    histogram.disable();
  }
  return { ms: worst, histogramMaxMs: histogram.max / 1e6 };
}

async function main() {
  const db = await open(dir, { durability: 'none', compactionTrigger: 0 });
  await ingest(db);
  const checks = { headRowsBeforeFlush: db.stats().headRows };
  const flush = await longestStall(() => db.flush());
  checks.segmentsBeforeCompaction = db.stats().tables.sensor_readings.segments;
  const compaction = await longestStall(() => db.compact(true));
  const after = db.stats().tables.sensor_readings;
  checks.segmentsAfter = after.segments;
  checks.rowsAfter = after.rows;
  // The policies of issue 5 on the same data: 5-minute rollups of everything, then retention
  // cutting the (single) partition in the middle.
  const end = T0 + (READINGS / SENSORS) * 1000;
  const downsampling = await longestStall(() =>
    db.runDownsample({ source: 'sensor_readings', bucket: '5m', now: end + 600000 }),
  );
  checks.rollupRows = (await db.query('SELECT count(*) AS n FROM sensor_readings_5m')).rows[0].n;
  const retention = await longestStall(() =>
    db.runRetention({ table: 'sensor_readings', maxAge: (end - T0) / 2, now: end }),
  );
  await db.close();
  process.stdout.write(`${JSON.stringify({ flush, compaction, downsampling, retention, checks })}\n`);
}

main().catch((err) => {
  process.stderr.write(`event-loop-run failed: ${err.stack}\n`);
  process.exit(1);
});
