/**
 * The DuckDB side of the plant benchmark (bench/plant-bench.js), as the query benchmark uses it:
 * `@duckdb/node-api`, a database file, one flat table (no index; zone maps prune), loaded through
 * the appender (flushed every 10,000 rows), then CHECKPOINT. Optional: without the package the
 * parent skips DuckDB. Each function runs in its own child process (bench/plant-child.js).
 */

const path = require('node:path');
const { PlantWorkload } = require('./plant-workload');
const { IngestMeter, dirSize, now } = require('./measure');

const DB_FILE = 'plant.duckdb';
const FLUSH_ROWS = 10_000;
const SCHEMA = `CREATE TABLE sensor_readings (
  time BIGINT, sensor_id VARCHAR, sensor_type VARCHAR, machine_id VARCHAR, line_id VARCHAR,
  value DOUBLE, counter BIGINT, state BOOLEAN, status VARCHAR
)`;
/** As SQLite's SAME_ROWS_AS_HELIOS (bench/plant-tasks-sqlite.js); rowid follows the append order. */
const SAME_ROWS_AS_HELIOS = [
  'DELETE FROM sensor_readings WHERE rowid NOT IN (SELECT max(rowid) FROM sensor_readings GROUP BY sensor_id, time)',
];

function appendReading(appender, r) {
  const f = r.fields;
  const t = r.tags;
  appender.appendBigInt(BigInt(r.time));
  appender.appendVarchar(t.sensor_id);
  appender.appendVarchar(t.sensor_type);
  appender.appendVarchar(t.machine_id);
  appender.appendVarchar(t.line_id);
  if (f.value === undefined || f.value === null) appender.appendNull();
  else appender.appendDouble(f.value);
  if (f.counter === undefined || f.counter === null) appender.appendNull();
  else appender.appendBigInt(BigInt(f.counter));
  if (f.state === undefined || f.state === null) appender.appendNull();
  else appender.appendBoolean(f.state);
  if (f.status === undefined || f.status === null) appender.appendNull();
  else appender.appendVarchar(f.status);
  appender.endRow();
}

async function ingest({ dir, readings, batchSize, workload }) {
  const t0 = now();
  const { DuckDBInstance } = require('@duckdb/node-api');
  const requireMs = now() - t0;
  const plant = new PlantWorkload(workload);
  const meter = new IngestMeter();
  const t1 = now();
  const instance = await DuckDBInstance.create(path.join(dir, DB_FILE));
  const connection = await instance.connect();
  await connection.run(SCHEMA);
  const appender = await connection.createAppender('sensor_readings');
  const openMs = now() - t1;
  let unflushed = 0;
  let delivered = 0;
  let maxTime = 0;
  const writeMs = await meter.writeLoop(
    readings,
    batchSize,
    (n) => plant.nextBatch(n),
    (batch) => {
      for (const r of batch) {
        if (r.time > maxTime) maxTime = r.time;
        appendReading(appender, r);
      }
      unflushed += batch.length;
      delivered += batch.length;
      if (unflushed >= FLUSH_ROWS || delivered >= readings) {
        appender.flushSync();
        unflushed = 0;
      }
    },
  );
  appender.closeSync();
  const t2 = now();
  await connection.run('CHECKPOINT');
  connection.closeSync();
  instance.closeSync();
  const closeMs = now() - t2;
  return {
    ...meter.result({ readings, requireMs, openMs, writeMs, closeMs, disk: dirSize(dir), stats: null }),
    maxTime,
  };
}

/** Binds each parameter with its natural DuckDB type (an integer as BIGINT, so zone maps apply). */
function bind(statement, values) {
  values.forEach((value, i) => {
    if (typeof value === 'string') statement.bindVarchar(i + 1, value);
    else if (Number.isInteger(value)) statement.bindBigInt(i + 1, BigInt(value));
    else statement.bindDouble(i + 1, value);
  });
}

async function openForQueries({ dir }) {
  const { DuckDBInstance } = require('@duckdb/node-api');
  const instance = await DuckDBInstance.create(path.join(dir, DB_FILE));
  const connection = await instance.connect();
  const removed = [];
  for (const sql of SAME_ROWS_AS_HELIOS) {
    const result = await connection.run(sql);
    removed.push(Number(result.rowsChanged));
  }
  await connection.run('CHECKPOINT');
  const rows = Number(
    (await connection.runAndReadAll('SELECT count(*) FROM sensor_readings')).getRows()[0][0],
  );
  return {
    info: { rows, removedResent: removed[0], removedNoValue: removed[1], disk: dirSize(dir) },
    prepare: async (spec, params) => {
      const statement = await connection.prepare(spec.sql);
      bind(statement, params);
      return async () => (await statement.runAndReadAll()).getRowObjects();
    },
    close: () => {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

module.exports = { ingest, openForQueries };
