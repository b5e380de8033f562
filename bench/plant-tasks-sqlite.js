/**
 * The SQLite side of the plant benchmark (bench/plant-bench.js): the one-row-per-reading table an
 * integrator builds with better-sqlite3 (WAL journal, synchronous=NORMAL, indexes on `time` and
 * `(machine_id, time)`), every reading delivered stored as a row. Each function runs in its own
 * child process (bench/plant-child.js) and returns plain JSON.
 */

const fs = require('node:fs');
const path = require('node:path');
const { PlantWorkload, SQLITE_COLUMNS, toSqliteRow } = require('./plant-workload');
const { IngestMeter, sqliteSize, now } = require('./measure');

const DB_FILE = 'plant.sqlite';
/** Rows per transaction: the store node's 1,000-reading batches are committed ten at a time. */
const TRANSACTION_ROWS = 10_000;
const SCHEMA = `
CREATE TABLE sensor_readings (
  id INTEGER PRIMARY KEY,
  time INTEGER,
  sensor_id TEXT,
  sensor_type TEXT,
  machine_id TEXT,
  line_id TEXT,
  value REAL,
  counter INTEGER,
  state INTEGER,
  status TEXT
);
CREATE INDEX idx_sensor_readings_time ON sensor_readings (time);
CREATE INDEX idx_sensor_readings_machine_time ON sensor_readings (machine_id, time);
`;
const INSERT = `INSERT INTO sensor_readings (${SQLITE_COLUMNS.join(', ')}) VALUES (${SQLITE_COLUMNS.map(() => '?').join(', ')})`;

/**
 * What the query phase removes first, so that SQLite holds the rows Helios holds: a re-sent
 * reading (same sensor and time) replaces the one before in Helios (row identity by series and
 * time); the classic table keeps both.
 */
const SAME_ROWS_AS_HELIOS = [
  'DELETE FROM sensor_readings WHERE id NOT IN (SELECT max(id) FROM sensor_readings GROUP BY sensor_id, time)',
];

/** Batched ingest: rows collected from the 1,000-reading deliveries, one transaction per 10,000, then close. */
async function ingest({ dir, readings, batchSize, workload }) {
  const t0 = now();
  const Database = require('better-sqlite3');
  const requireMs = now() - t0;
  const file = path.join(dir, DB_FILE);
  fs.mkdirSync(dir, { recursive: true });
  const plant = new PlantWorkload(workload);
  const meter = new IngestMeter();
  const t1 = now();
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(SCHEMA);
  const openMs = now() - t1;
  const insert = db.prepare(INSERT);
  const commit = db.transaction((rows) => {
    for (const row of rows) insert.run(row);
  });
  let pending = [];
  let delivered = 0;
  let maxTime = 0;
  const writeMs = await meter.writeLoop(
    readings,
    batchSize,
    (n) => {
      const batch = plant.nextBatch(n);
      for (const r of batch) if (r.time > maxTime) maxTime = r.time;
      return batch.map(toSqliteRow);
    },
    (rows) => {
      for (const row of rows) pending.push(row);
      delivered += rows.length;
      if (pending.length >= TRANSACTION_ROWS || delivered >= readings) {
        commit(pending);
        pending = [];
      }
    },
  );
  const rows = db.prepare('SELECT count(*) AS n FROM sensor_readings').get().n;
  const t2 = now();
  db.close();
  const closeMs = now() - t2;
  const result = meter.result({
    readings,
    requireMs,
    openMs,
    writeMs,
    closeMs,
    disk: sqliteSize(file),
    stats: { table: { rows } },
  });
  return { ...result, maxTime, counts: plant.counts };
}

/** Opens the ingest's file, removes what Helios does not keep (SAME_ROWS_AS_HELIOS), ANALYZE. */
async function openForQueries({ dir }) {
  const Database = require('better-sqlite3');
  const file = path.join(dir, DB_FILE);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const removed = SAME_ROWS_AS_HELIOS.map((sql) => db.prepare(sql).run().changes);
  db.exec('ANALYZE');
  const rows = db.prepare('SELECT count(*) AS n FROM sensor_readings').get().n;
  return {
    info: { rows, removedResent: removed[0], removedNoValue: removed[1], disk: sqliteSize(file) },
    prepare: (spec, params) => {
      const statement = db.prepare(spec.sql);
      return async () => statement.all(params);
    },
    close: () => db.close(),
  };
}

module.exports = { ingest, openForQueries, SCHEMA, SAME_ROWS_AS_HELIOS };
