/**
 * The engines of the query benchmark, each behind the same two calls, run inside one child process
 * (bench/query-child.js):
 *
 *   const engine = await ENGINES[name].load({ dir, readings, batchSize });  // { now, info }
 *   const run = await engine.prepare(query);  // query: one engine's { sql, params } of query-queries
 *   const rows = await run();                 // row objects, columns in select order
 *
 * Every engine is loaded with the same deterministic workload (bench/workload.js), in batches.
 * Drivers are required lazily so that a missing optional one (DuckDB) fails only its own child.
 */

const fs = require('node:fs');
const path = require('node:path');
const { Workload, toReadings } = require('./workload');
const { now: clock, dirSize, sqliteSize } = require('./measure');
const { SQLITE_SCHEMA, COMPACT_SCHEMA, DUCKDB_SCHEMA } = require('./query-queries');

const HELIOS_PATH = path.join(__dirname, '..', 'dist', 'engine');
const TABLE = 'sensor_readings';
/** As the ingest benchmark opens Helios: the engine's defaults, with 'batch' durability spelled out. */
const HELIOS_SEGMENT_OPTIONS = { durability: 'batch', batchIntervalMs: 100 };
/** Nothing flushes on its own (no memory or age trigger): the head holds what was written last. */
const HELIOS_HEAD_OPTIONS = { durability: 'batch', batchIntervalMs: 100, memoryLimitMB: 4096, maxHeadAge: 0 };
/** The share of readings left in the head by the `helios-head` variant. */
const HEAD_SHARE = 0.1;

/** Feeds `readings` workload readings to `consume(batch)` in batches; returns the largest time. */
async function feed(readings, batchSize, consume) {
  const workload = new Workload({});
  let maxTime = Number.NEGATIVE_INFINITY;
  for (let done = 0; done < readings; done += batchSize) {
    const batch = workload.nextBatch(Math.min(batchSize, readings - done));
    for (let i = 0; i < batch.count; i++) if (batch.time[i] > maxTime) maxTime = batch.time[i];
    await consume(batch, workload.sensors);
  }
  return maxTime;
}

/** Helios, all flushed to segments (`headShare` 0) or with the last `headShare` still in the head. */
async function loadHelios({ dir, readings, batchSize }, headShare) {
  const { open } = require(HELIOS_PATH);
  const db = await open(dir, headShare > 0 ? HELIOS_HEAD_OPTIONS : HELIOS_SEGMENT_OPTIONS);
  const flushAt = readings - Math.round(readings * headShare);
  let written = 0;
  let flushed = false;
  const t0 = clock();
  const now = await feed(readings, batchSize, async (batch, sensors) => {
    await db.write(TABLE, toReadings(batch, sensors));
    written += batch.count;
    if (!flushed && written >= flushAt) {
      await db.flush();
      flushed = true;
    }
  });
  // A database at rest, as the peers' after their load (SQLite's ANALYZE): the compaction the load
  // set off has finished, so that none runs beside the timed queries.
  await db.compact();
  const loadMs = clock() - t0;
  const stats = db.stats();
  return {
    now,
    info: { loadMs, disk: dirSize(dir), table: stats.tables?.[TABLE] ?? null, headRows: stats.headRows },
    prepare: ({ sql, params }) => {
      const bound = params({ now });
      const options = { now: () => now, maxRows: 1_000_000 };
      return async () => (await db.query(sql, bound, options)).rows;
    },
    close: () => db.close(),
  };
}

function openSqlite(dir) {
  const Database = require('better-sqlite3');
  const file = path.join(dir, 'query-bench.sqlite');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  return { db, file };
}

/** Loads SQLite in one transaction per batch, then ANALYZE so the planner knows the tables. */
async function loadSqliteWith({ dir, readings, batchSize }, schema, makeInsert) {
  const { db, file } = openSqlite(dir);
  db.exec(schema);
  const insertBatch = makeInsert(db);
  const t0 = clock();
  const now = await feed(readings, batchSize, (batch, sensors) => insertBatch(batch, sensors));
  db.exec('ANALYZE');
  const loadMs = clock() - t0;
  return {
    now,
    info: { loadMs, disk: sqliteSize(file) },
    prepare: ({ sql, params }) => {
      const statement = db.prepare(sql);
      const bound = params({ now });
      return async () => statement.all(bound);
    },
    close: () => db.close(),
  };
}

function typicalInserter(db) {
  const insert = db.prepare(
    'INSERT INTO sensor_readings (timestamp, sensor_id, sensor_type, machine_id, line_id, value) VALUES (?, ?, ?, ?, ?, ?)',
  );
  return db.transaction((batch, sensors) => {
    for (let i = 0; i < batch.count; i++) {
      const t = sensors[batch.sensor[i]].tags;
      insert.run(batch.time[i], t.sensor_id, t.sensor_type, t.machine_id, t.line_id, batch.value[i]);
    }
  });
}

function compactInserter(db) {
  const insertSensor = db.prepare(
    'INSERT OR IGNORE INTO sensors (sensor_id, sensor_type, machine_id, line_id) VALUES (?, ?, ?, ?)',
  );
  const insert = db.prepare('INSERT INTO readings (sensor_id, timestamp, value) VALUES (?, ?, ?)');
  let sensorsKnown = false;
  return db.transaction((batch, sensors) => {
    if (!sensorsKnown) {
      for (const { tags: t } of sensors)
        insertSensor.run(t.sensor_id, t.sensor_type, t.machine_id, t.line_id);
      sensorsKnown = true;
    }
    for (let i = 0; i < batch.count; i++) {
      insert.run(sensors[batch.sensor[i]].tags.sensor_id, batch.time[i], batch.value[i]);
    }
  });
}

/** Binds each parameter with its natural DuckDB type (an integer as BIGINT, so zone maps apply). */
function bindDuckdb(statement, values) {
  values.forEach((value, i) => {
    if (typeof value === 'string') statement.bindVarchar(i + 1, value);
    else if (Number.isInteger(value)) statement.bindBigInt(i + 1, BigInt(value));
    else statement.bindDouble(i + 1, value);
  });
}

/** DuckDB in a database file, loaded through its appender, then checkpointed. */
async function loadDuckdb({ dir, readings, batchSize }) {
  const { DuckDBInstance } = require('@duckdb/node-api');
  const file = path.join(dir, 'query-bench.duckdb');
  const instance = await DuckDBInstance.create(file);
  const connection = await instance.connect();
  await connection.run(DUCKDB_SCHEMA);
  const appender = await connection.createAppender('sensor_readings');
  const t0 = clock();
  const now = await feed(readings, batchSize, (batch, sensors) => {
    for (let i = 0; i < batch.count; i++) {
      const t = sensors[batch.sensor[i]].tags;
      appender.appendBigInt(BigInt(batch.time[i]));
      appender.appendVarchar(t.sensor_id);
      appender.appendVarchar(t.sensor_type);
      appender.appendVarchar(t.machine_id);
      appender.appendVarchar(t.line_id);
      appender.appendDouble(batch.value[i]);
      appender.endRow();
    }
    appender.flushSync();
  });
  appender.closeSync();
  await connection.run('CHECKPOINT');
  const loadMs = clock() - t0;
  const threads = (await connection.runAndReadAll("SELECT current_setting('threads') AS t")).getRows()[0][0];
  return {
    now,
    info: { loadMs, disk: dirSize(dir), threads: Number(threads) },
    prepare: async ({ sql, params }) => {
      const statement = await connection.prepare(sql);
      bindDuckdb(statement, params({ now }));
      return async () => (await statement.runAndReadAll()).getRowObjects();
    },
    close: () => {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/** Engine name -> loader. `query` names the SQL variant of query-queries.js the engine runs. */
const ENGINES = {
  helios: { query: 'helios', load: (task) => loadHelios(task, 0) },
  'helios-head': { query: 'helios', load: (task) => loadHelios(task, HEAD_SHARE) },
  sqlite: { query: 'sqlite', load: (task) => loadSqliteWith(task, SQLITE_SCHEMA, typicalInserter) },
  'sqlite-compact': {
    query: 'compact',
    load: (task) => loadSqliteWith(task, COMPACT_SCHEMA, compactInserter),
  },
  duckdb: { query: 'duckdb', load: loadDuckdb },
};

/** Whether `@duckdb/node-api` can be required here; the reason when not. */
function duckdbAvailability() {
  try {
    const main = require.resolve('@duckdb/node-api');
    return { available: true, version: packageVersion(main, '@duckdb/node-api') };
  } catch (err) {
    return { available: false, reason: err.message.split('\n')[0] };
  }
}

/** The version in the package.json above `file` whose name is `name` (exports may hide it). */
function packageVersion(file, name) {
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (!fs.existsSync(manifest)) continue;
    const json = JSON.parse(fs.readFileSync(manifest, 'utf8'));
    if (json.name === name) return json.version;
  }
  return null;
}

function freshDir(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
}

module.exports = { ENGINES, HEAD_SHARE, duckdbAvailability, freshDir };
