// Node-RED shares one thread with the engine: a flush or compaction of a 10M-reading database must
// never hold the event loop for more than 20 ms at a stretch (issue 2). This is the one place the
// suite looks at time, because the bound is the behaviour under test; the loop is idle otherwise.
const assert = require('node:assert/strict');
const { monitorEventLoopDelay } = require('node:perf_hooks');
const { open } = require('../dist/engine');
const { tempDir } = require('./helpers');

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

describe('event loop: flush, compaction and policies on a 10M-reading database', function () {
  this.timeout(300000);

  it('never hold the event loop for more than 20 ms', async () => {
    const db = await open(tempDir('helios-loop-'), { durability: 'none', compactionTrigger: 0 });
    try {
      await ingest(db);
      const before = db.stats();
      assert.ok(before.headRows > 0, 'the last rows must still be in the head, to be flushed under watch');
      const flushStall = await longestStall(() => db.flush());
      const segments = db.stats().tables.sensor_readings.segments;
      assert.ok(segments >= 3, `expected several segments to compact, got ${segments}`);
      const compactStall = await longestStall(() => db.compact(true));
      const after = db.stats().tables.sensor_readings;
      assert.equal(after.segments, 1);
      assert.equal(after.rows, READINGS);
      // The policies of issue 5 on the same data: 5-minute rollups of everything, then retention
      // cutting the (single) partition in the middle.
      const end = T0 + (READINGS / SENSORS) * 1000;
      const downsampleStall = await longestStall(() =>
        db.runDownsample({ source: 'sensor_readings', bucket: '5m', now: end + 600000 }),
      );
      assert.ok((await db.query('SELECT count(*) AS n FROM sensor_readings_5m')).rows[0].n > 0);
      const retentionStall = await longestStall(() =>
        db.runRetention({ table: 'sensor_readings', maxAge: (end - T0) / 2, now: end }),
      );
      for (const [what, stall] of [
        ['flush', flushStall],
        ['compaction', compactStall],
        ['downsampling', downsampleStall],
        ['retention', retentionStall],
      ]) {
        const detail = `(event-loop delay histogram max ${stall.histogramMaxMs.toFixed(1)} ms)`;
        assert.ok(stall.ms <= 20, `${what} held the event loop for ${stall.ms.toFixed(1)} ms ${detail}`);
      }
    } finally {
      await db.close();
    }
  });
});
