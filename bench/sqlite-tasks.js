/**
 * The SQLite side of the benchmark: the classic one-row-per-reading table an integrator would build
 * with better-sqlite3 (WAL journal, synchronous=NORMAL, two indexes). Each function runs in its own
 * child process (bench/child.js) and returns plain JSON.
 */

const fs = require('node:fs');
const path = require('node:path');
const { Workload } = require('./workload');
const { IngestMeter, sqliteSize, Stopwatch, now } = require('./measure');
const { loadNabSeries, nabSeriesNames } = require('./nab');

const DB_FILE = 'helios-bench.sqlite';
const SCHEMA = `
CREATE TABLE sensor_readings (
  id INTEGER PRIMARY KEY,
  timestamp INTEGER,
  sensor_id TEXT,
  sensor_type TEXT,
  machine_id TEXT,
  line_id TEXT,
  value REAL
);
CREATE INDEX idx_sensor_readings_timestamp ON sensor_readings (timestamp);
CREATE INDEX idx_sensor_readings_machine_time ON sensor_readings (machine_id, timestamp);
`;
const INSERT =
  'INSERT INTO sensor_readings (timestamp, sensor_id, sensor_type, machine_id, line_id, value) VALUES (?, ?, ?, ?, ?, ?)';

function loadDriver() {
  const t0 = now();
  const Database = require('better-sqlite3');
  return { Database, requireMs: now() - t0 };
}

function createDatabase(Database, file) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(SCHEMA);
  return db;
}

/** Inserts a column batch from the workload in one transaction with the prepared statement. */
function batchInserter(db, sensors) {
  const insert = db.prepare(INSERT);
  return db.transaction((batch) => {
    for (let i = 0; i < batch.count; i++) {
      const t = sensors[batch.sensor[i]].tags;
      insert.run(batch.time[i], t.sensor_id, t.sensor_type, t.machine_id, t.line_id, batch.value[i]);
    }
  });
}

/** Batched ingest: one transaction per batch, then close; I/O counters span open to close. */
async function ingest({ dir, readings, batchSize, regular }) {
  const { Database, requireMs } = loadDriver();
  const file = path.join(dir, DB_FILE);
  const workload = new Workload({ regular });
  const meter = new IngestMeter();
  const t0 = now();
  const db = createDatabase(Database, file);
  const openMs = now() - t0;
  const insertBatch = batchInserter(db, workload.sensors);
  const writeMs = await meter.writeLoop(readings, batchSize, (n) => workload.nextBatch(n), insertBatch);
  const rows = db.prepare('SELECT count(*) AS n FROM sensor_readings').get().n;
  const t1 = now();
  db.close();
  const closeMs = now() - t1;
  return meter.result({
    readings,
    requireMs,
    openMs,
    writeMs,
    closeMs,
    disk: sqliteSize(file),
    stats: { table: { rows } },
  });
}

/** One autocommit INSERT per reading, until `readings` or `maxSeconds`. */
async function onePerCall({ dir, readings, maxSeconds }) {
  const { Database } = loadDriver();
  const file = path.join(dir, DB_FILE);
  const workload = new Workload({});
  const db = createDatabase(Database, file);
  const insert = db.prepare(INSERT);
  const deadline = now() + maxSeconds * 1000;
  const writes = new Stopwatch();
  let done = 0;
  while (done < readings && now() < deadline) {
    const batch = workload.nextBatch(Math.min(1000, readings - done));
    writes.start();
    for (let i = 0; i < batch.count; i++) {
      const t = workload.sensors[batch.sensor[i]].tags;
      insert.run(batch.time[i], t.sensor_id, t.sensor_type, t.machine_id, t.line_id, batch.value[i]);
    }
    writes.stop();
    done += batch.count;
  }
  const t1 = now();
  db.close();
  return { readings: done, writeMs: writes.totalMs, closeMs: now() - t1, timedOut: done < readings };
}

/** Time opening an existing database plus a first trivial query in this fresh process. */
async function coldOpen({ dir }) {
  const { Database, requireMs } = loadDriver();
  const t0 = now();
  const db = new Database(path.join(dir, DB_FILE));
  db.prepare('SELECT 1 FROM sensor_readings LIMIT 1').get();
  const openMs = now() - t0;
  db.close();
  return { requireMs, openMs };
}

/** Bytes on disk per reading for each NAB fixture series, one fresh database per series. */
async function nabSize({ dir }) {
  const { Database } = loadDriver();
  const results = [];
  for (const name of nabSeriesNames()) {
    const file = path.join(dir, name, DB_FILE);
    const points = loadNabSeries(name);
    const db = createDatabase(Database, file);
    const insert = db.prepare(INSERT);
    db.transaction(() => {
      for (const p of points) insert.run(p.time, name, null, null, null, p.value);
    })();
    db.close();
    results.push({ name, readings: points.length, disk: sqliteSize(file) });
  }
  return results;
}

module.exports = { ingest, onePerCall, coldOpen, nabSize };
