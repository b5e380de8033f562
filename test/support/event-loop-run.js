// Child process of test/event-loop.test.js: builds a 10M-reading database and measures the longest
// event-loop stall of flush, compaction, queries of every kind, downsampling and retention, in a
// process of its own (as the engine runs in Node-RED's), so the test runner's own heap and garbage
// do not count. Prints one JSON line:
// { flush, compaction, downsampling, retention, queries: { name: stall }, checks }.
const fs = require('node:fs');
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

function processCpu() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * CPU time of this process's main thread in ms: Linux's schedstat for the thread (the engine's own
 * work and the garbage collector's pauses, not the thread pool's file I/O nor V8's helper threads);
 * elsewhere the whole process's. Linux brings the figure up to date at each scheduler tick, so it
 * may lag by up to `lagMs`.
 */
function mainThreadCpu() {
  const file = `/proc/self/task/${process.pid}/schedstat`;
  let fd;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return { read: processCpu, lagMs: 0 };
  }
  const buf = Buffer.alloc(64);
  const read = () => {
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    return Number(buf.toString('latin1', 0, n).split(' ')[0]) / 1e6;
  };
  return { read, lagMs: 4 }; // a tick is 4 ms here (HZ 250), 10 ms at most (HZ 100) elsewhere
}
const mainCpu = mainThreadCpu();

/**
 * Runs `work` while a setImmediate ping measures each gap between event-loop turns, and returns
 * the longest stretch of the engine's own synchronous work in ms. A gap counts by the smaller of
 * its wall-clock length and the main thread's CPU time in it (plus the lag of that figure, and never
 * more than the process's CPU time): a stretch of synchronous work shows in both, while the OS
 * running other programs (wall time without CPU) shows in only one. So a loaded CI machine does not
 * fail a test that is about this code.
 */
async function longestStall(work) {
  let running = true;
  let worst = 0;
  let lastWall = performance.now();
  let lastMain = mainCpu.read();
  let lastProcess = processCpu();
  const ping = () => {
    const wall = performance.now();
    const main = mainCpu.read();
    const proc = processCpu();
    // The main thread's CPU time, allowed its lag but never more than the whole process used.
    const cpu = Math.min(main - lastMain + mainCpu.lagMs, proc - lastProcess);
    worst = Math.max(worst, Math.min(wall - lastWall, cpu));
    lastWall = wall;
    lastMain = main;
    lastProcess = proc;
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

/**
 * Queries of every kind over the whole 10M readings (issue 3: a query yields between batches):
 * scans, sorts, top-N, grouping, exact quantiles, DISTINCT, joins, latest rows, statistics.
 * $end is the data's end. Each stays under the default cap of rows a query may hold.
 */
const QUERIES = {
  recentNewestFirst: `SELECT time, sensor_id, value FROM sensor_readings
    WHERE machine_id = 'M3' AND time > $end - 3600000 ORDER BY time DESC`,
  hourlyPerMachine: `SELECT time_bucket('1h', time) AS hour, machine_id, avg(value) AS avg
    FROM sensor_readings GROUP BY hour, machine_id ORDER BY hour, machine_id`,
  perSensorStats: `SELECT sensor_id, count(*) AS n, avg(value) AS a, min(value) AS lo, max(value) AS hi
    FROM sensor_readings GROUP BY sensor_id ORDER BY sensor_id`,
  filteredStats: `SELECT line_id, count(*) AS n, avg(value) AS a FROM sensor_readings
    WHERE value > 20.05 GROUP BY line_id`,
  quantiles: `SELECT machine_id, median(value) AS m, percentile_disc(value, 0.99) AS p99
    FROM sensor_readings WHERE time > $end - 6 * 3600000 GROUP BY machine_id`,
  distinctValues: 'SELECT count(DISTINCT value) AS n FROM sensor_readings',
  topN: 'SELECT time, sensor_id, value FROM sensor_readings ORDER BY value DESC, time LIMIT 10',
  bigSort: `SELECT time, sensor_id, value FROM sensor_readings WHERE time > $end - 3 * 60000
    ORDER BY value, time, sensor_id`,
  latestPerSensor: `SELECT DISTINCT ON (sensor_id) sensor_id, time, value FROM sensor_readings
    ORDER BY sensor_id, time DESC`,
  join: `SELECT a.time, a.value AS a, b.value AS b FROM sensor_readings a
    JOIN sensor_readings b ON a.time / 1000 = b.time / 1000
    WHERE a.sensor_id = 'S1' AND b.sensor_id = 'S2' AND a.time > $end - 6 * 3600000
      AND b.time > $end - 6 * 3600000`,
  countAll: 'SELECT count(*) AS n FROM sensor_readings',
};

async function queryStalls(db, end) {
  const stalls = {};
  const rows = {};
  for (const [name, sql] of Object.entries(QUERIES)) {
    stalls[name] = await longestStall(async () => {
      rows[name] = (await db.query(sql, { end })).rows.length; // under the default row cap
    });
  }
  return { stalls, rows };
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
  const end = T0 + (READINGS / SENSORS) * 1000;
  const queries = await queryStalls(db, end);
  checks.queryRows = queries.rows;
  // The policies of issue 5 on the same data: 5-minute rollups of everything, then retention
  // cutting the (single) partition in the middle.
  const downsampling = await longestStall(() =>
    db.runDownsample({ source: 'sensor_readings', bucket: '5m', now: end + 600000 }),
  );
  checks.rollupRows = (await db.query('SELECT count(*) AS n FROM sensor_readings_5m')).rows[0].n;
  const retention = await longestStall(() =>
    db.runRetention({ table: 'sensor_readings', maxAge: (end - T0) / 2, now: end }),
  );
  await db.close();
  process.stdout.write(
    `${JSON.stringify({ flush, compaction, downsampling, retention, queries: queries.stalls, checks })}\n`,
  );
}

main().catch((err) => {
  process.stderr.write(`event-loop-run failed: ${err.stack}\n`);
  process.exit(1);
});
