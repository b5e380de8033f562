/**
 * The query benchmark's questions, each written in every engine's own SQL. All versions of a query
 * select the same columns in the same order under the same names, so that their results can be
 * checksummed against each other.
 *
 * Engines: `helios` (Helios SQL over table `sensor_readings`: time, sensor_id, sensor_type,
 * machine_id, line_id, value), `sqlite` (the typical one-row-per-reading table with a rowid and
 * indexes on (timestamp) and (machine_id, timestamp)), `compact` (SQLite, readings(sensor_id,
 * timestamp, value) WITHOUT ROWID keyed by (sensor_id, timestamp), tags in a 500-row `sensors`
 * table), `duckdb` (one flat table like the typical one, no indexes).
 *
 * Times are integer ms. "now" is the data's largest timestamp: Helios gets it as the query's clock
 * (`now()`), the others as a bound parameter computed from it.
 */

const HOUR_MS = 3_600_000;

/** The machine, sensor and thresholds the queries ask about (see bench/README.md for the data). */
const SUBJECT = {
  machine: 'PRESS-03',
  sensor: 'TEMP-005',
  /** PRESS-03's pressure sensors cross this now and then (533 rows at 1M, 3917 at 10M). */
  threshold: 408,
  /** TSBS high-cpu-1's "usage_user > 90" becomes a temperature over this (841 / 2324 rows). */
  hotTemperature: 75.5,
};

/** SQLite's typical schema, the one the ingest benchmark uses. */
const SQLITE_SCHEMA = `
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

/** SQLite's compact schema: the tags once per sensor, readings clustered by (sensor, time). */
const COMPACT_SCHEMA = `
CREATE TABLE sensors (
  sensor_id TEXT PRIMARY KEY,
  sensor_type TEXT,
  machine_id TEXT,
  line_id TEXT
) WITHOUT ROWID;
CREATE TABLE readings (
  sensor_id TEXT,
  timestamp INTEGER,
  value REAL,
  PRIMARY KEY (sensor_id, timestamp)
) WITHOUT ROWID;
`;

const DUCKDB_SCHEMA = `
CREATE TABLE sensor_readings (
  timestamp BIGINT,
  sensor_id VARCHAR,
  sensor_type VARCHAR,
  machine_id VARCHAR,
  line_id VARCHAR,
  value DOUBLE
);
`;

/** The compact schema's join from readings to their sensor's tags. */
const JOIN_SENSORS = 'readings r JOIN sensors s ON s.sensor_id = r.sensor_id';

/** The latest reading of each sensor in the compact schema: one primary-key seek per sensor. */
const COMPACT_LATEST = `SELECT s.sensor_id, s.machine_id, r.timestamp AS time, r.value
  FROM sensors s JOIN readings r ON r.sensor_id = s.sensor_id
   AND r.timestamp = (SELECT max(timestamp) FROM readings WHERE sensor_id = s.sensor_id)`;

/**
 * @typedef {{ sql: string, params: (ctx: { now: number }) => unknown[] }} EngineQuery
 * @type {{ id: string, title: string, note?: string, helios: EngineQuery, sqlite: EngineQuery,
 *   compact: EngineQuery, duckdb: EngineQuery }[]}
 */
const QUERIES = [
  {
    id: 'recent-machine',
    title: 'recent rows of one machine (last hour, newest first)',
    helios: {
      sql: `SELECT time, sensor_id, value FROM sensor_readings
        WHERE machine_id = ? AND time > now() - INTERVAL '1 hour' ORDER BY time DESC`,
      params: () => [SUBJECT.machine],
    },
    sqlite: {
      sql: `SELECT timestamp AS time, sensor_id, value FROM sensor_readings
        WHERE machine_id = ? AND timestamp > ? ORDER BY timestamp DESC`,
      params: ({ now }) => [SUBJECT.machine, now - HOUR_MS],
    },
    compact: {
      sql: `SELECT r.timestamp AS time, r.sensor_id, r.value FROM ${JOIN_SENSORS}
        WHERE s.machine_id = ? AND r.timestamp > ? ORDER BY r.timestamp DESC`,
      params: ({ now }) => [SUBJECT.machine, now - HOUR_MS],
    },
    duckdb: {
      sql: `SELECT timestamp AS time, sensor_id, value FROM sensor_readings
        WHERE machine_id = ? AND timestamp > ? ORDER BY timestamp DESC`,
      params: ({ now }) => [SUBJECT.machine, now - HOUR_MS],
    },
  },
  {
    id: 'threshold-24h',
    title: "one machine's readings over a threshold, last 24 h",
    helios: {
      sql: `SELECT time, sensor_id, value FROM sensor_readings
        WHERE machine_id = ? AND time > now() - INTERVAL '24 hours' AND value > ? ORDER BY time`,
      params: () => [SUBJECT.machine, SUBJECT.threshold],
    },
    sqlite: {
      sql: `SELECT timestamp AS time, sensor_id, value FROM sensor_readings
        WHERE machine_id = ? AND timestamp > ? AND value > ? ORDER BY timestamp`,
      params: ({ now }) => [SUBJECT.machine, now - 24 * HOUR_MS, SUBJECT.threshold],
    },
    compact: {
      sql: `SELECT r.timestamp AS time, r.sensor_id, r.value FROM ${JOIN_SENSORS}
        WHERE s.machine_id = ? AND r.timestamp > ? AND r.value > ? ORDER BY r.timestamp`,
      params: ({ now }) => [SUBJECT.machine, now - 24 * HOUR_MS, SUBJECT.threshold],
    },
    duckdb: {
      sql: `SELECT timestamp AS time, sensor_id, value FROM sensor_readings
        WHERE machine_id = ? AND timestamp > ? AND value > ? ORDER BY timestamp`,
      params: ({ now }) => [SUBJECT.machine, now - 24 * HOUR_MS, SUBJECT.threshold],
    },
  },
  {
    id: 'machine-summary',
    title: 'per sensor_type count/avg/min/max/last time, one machine, last hour',
    helios: {
      sql: `SELECT sensor_type, count(*) AS n, avg(value) AS avg, min(value) AS min, max(value) AS max,
          max(time) AS last_time
        FROM sensor_readings WHERE machine_id = ? AND time > now() - INTERVAL '1 hour'
        GROUP BY sensor_type ORDER BY sensor_type`,
      params: () => [SUBJECT.machine],
    },
    sqlite: {
      sql: `SELECT sensor_type, count(*) AS n, avg(value) AS avg, min(value) AS min, max(value) AS max,
          max(timestamp) AS last_time
        FROM sensor_readings WHERE machine_id = ? AND timestamp > ?
        GROUP BY sensor_type ORDER BY sensor_type`,
      params: ({ now }) => [SUBJECT.machine, now - HOUR_MS],
    },
    compact: {
      sql: `SELECT s.sensor_type, count(*) AS n, avg(r.value) AS avg, min(r.value) AS min,
          max(r.value) AS max, max(r.timestamp) AS last_time
        FROM ${JOIN_SENSORS} WHERE s.machine_id = ? AND r.timestamp > ?
        GROUP BY s.sensor_type ORDER BY s.sensor_type`,
      params: ({ now }) => [SUBJECT.machine, now - HOUR_MS],
    },
    duckdb: {
      sql: `SELECT sensor_type, count(*) AS n, avg(value) AS avg, min(value) AS min, max(value) AS max,
          max(timestamp) AS last_time
        FROM sensor_readings WHERE machine_id = ? AND timestamp > ?
        GROUP BY sensor_type ORDER BY sensor_type`,
      params: ({ now }) => [SUBJECT.machine, now - HOUR_MS],
    },
  },
  {
    id: 'hourly-sensor',
    title: 'hourly averages of one sensor, whole range',
    helios: {
      sql: `SELECT time_bucket('1h', time) AS hour, avg(value) AS avg FROM sensor_readings
        WHERE sensor_id = ? GROUP BY hour ORDER BY hour`,
      params: () => [SUBJECT.sensor],
    },
    sqlite: {
      sql: `SELECT (timestamp / 3600000) * 3600000 AS hour, avg(value) AS avg FROM sensor_readings
        WHERE sensor_id = ? GROUP BY hour ORDER BY hour`,
      params: () => [SUBJECT.sensor],
    },
    compact: {
      sql: `SELECT (timestamp / 3600000) * 3600000 AS hour, avg(value) AS avg FROM readings
        WHERE sensor_id = ? GROUP BY hour ORDER BY hour`,
      params: () => [SUBJECT.sensor],
    },
    duckdb: {
      sql: `SELECT (timestamp // 3600000) * 3600000 AS hour, avg(value) AS avg FROM sensor_readings
        WHERE sensor_id = ? GROUP BY hour ORDER BY hour`,
      params: () => [SUBJECT.sensor],
    },
  },
  {
    id: 'type-stats',
    title: 'avg/min/max by sensor_type, whole range',
    helios: {
      sql: `SELECT sensor_type, avg(value) AS avg, min(value) AS min, max(value) AS max
        FROM sensor_readings GROUP BY sensor_type ORDER BY sensor_type`,
      params: () => [],
    },
    sqlite: {
      sql: `SELECT sensor_type, avg(value) AS avg, min(value) AS min, max(value) AS max
        FROM sensor_readings GROUP BY sensor_type ORDER BY sensor_type`,
      params: () => [],
    },
    compact: {
      sql: `SELECT s.sensor_type, avg(r.value) AS avg, min(r.value) AS min, max(r.value) AS max
        FROM ${JOIN_SENSORS} GROUP BY s.sensor_type ORDER BY s.sensor_type`,
      params: () => [],
    },
    duckdb: {
      sql: `SELECT sensor_type, avg(value) AS avg, min(value) AS min, max(value) AS max
        FROM sensor_readings GROUP BY sensor_type ORDER BY sensor_type`,
      params: () => [],
    },
  },
  {
    id: 'latest-sensor',
    title: 'latest reading of every sensor',
    helios: {
      sql: `SELECT DISTINCT ON (sensor_id) sensor_id, time, value FROM sensor_readings
        ORDER BY sensor_id, time DESC`,
      params: () => [],
    },
    sqlite: {
      // SQLite's documented bare-column rule: value comes from the row holding max(timestamp).
      sql: `SELECT sensor_id, max(timestamp) AS time, value FROM sensor_readings
        GROUP BY sensor_id ORDER BY sensor_id`,
      params: () => [],
    },
    compact: {
      sql: `SELECT sensor_id, time, value FROM (${COMPACT_LATEST}) ORDER BY sensor_id`,
      params: () => [],
    },
    duckdb: {
      sql: `SELECT sensor_id, max(timestamp) AS time, arg_max(value, timestamp) AS value
        FROM sensor_readings GROUP BY sensor_id ORDER BY sensor_id`,
      params: () => [],
    },
  },
  {
    id: 'tsbs-single-groupby-1-1-12',
    title: 'TSBS single-groupby-1-1-12: 5-min max of one machine’s temperature, last 12 h',
    helios: {
      sql: `SELECT time_bucket('5m', time) AS bucket, max(value) AS max FROM sensor_readings
        WHERE machine_id = ? AND sensor_type = 'temperature' AND time > now() - INTERVAL '12 hours'
        GROUP BY bucket ORDER BY bucket`,
      params: () => [SUBJECT.machine],
    },
    sqlite: {
      sql: `SELECT (timestamp / 300000) * 300000 AS bucket, max(value) AS max FROM sensor_readings
        WHERE machine_id = ? AND sensor_type = 'temperature' AND timestamp > ?
        GROUP BY bucket ORDER BY bucket`,
      params: ({ now }) => [SUBJECT.machine, now - 12 * HOUR_MS],
    },
    compact: {
      sql: `SELECT (r.timestamp / 300000) * 300000 AS bucket, max(r.value) AS max FROM ${JOIN_SENSORS}
        WHERE s.machine_id = ? AND s.sensor_type = 'temperature' AND r.timestamp > ?
        GROUP BY bucket ORDER BY bucket`,
      params: ({ now }) => [SUBJECT.machine, now - 12 * HOUR_MS],
    },
    duckdb: {
      sql: `SELECT (timestamp // 300000) * 300000 AS bucket, max(value) AS max FROM sensor_readings
        WHERE machine_id = ? AND sensor_type = 'temperature' AND timestamp > ?
        GROUP BY bucket ORDER BY bucket`,
      params: ({ now }) => [SUBJECT.machine, now - 12 * HOUR_MS],
    },
  },
  {
    id: 'tsbs-double-groupby-1',
    title: 'TSBS double-groupby-1: hourly avg temperature per machine, last 12 h',
    helios: {
      sql: `SELECT time_bucket('1h', time) AS hour, machine_id, avg(value) AS avg FROM sensor_readings
        WHERE sensor_type = 'temperature' AND time > now() - INTERVAL '12 hours'
        GROUP BY hour, machine_id ORDER BY hour, machine_id`,
      params: () => [],
    },
    sqlite: {
      sql: `SELECT (timestamp / 3600000) * 3600000 AS hour, machine_id, avg(value) AS avg
        FROM sensor_readings WHERE sensor_type = 'temperature' AND timestamp > ?
        GROUP BY hour, machine_id ORDER BY hour, machine_id`,
      params: ({ now }) => [now - 12 * HOUR_MS],
    },
    compact: {
      sql: `SELECT (r.timestamp / 3600000) * 3600000 AS hour, s.machine_id, avg(r.value) AS avg
        FROM ${JOIN_SENSORS} WHERE s.sensor_type = 'temperature' AND r.timestamp > ?
        GROUP BY hour, s.machine_id ORDER BY hour, s.machine_id`,
      params: ({ now }) => [now - 12 * HOUR_MS],
    },
    duckdb: {
      sql: `SELECT (timestamp // 3600000) * 3600000 AS hour, machine_id, avg(value) AS avg
        FROM sensor_readings WHERE sensor_type = 'temperature' AND timestamp > ?
        GROUP BY hour, machine_id ORDER BY hour, machine_id`,
      params: ({ now }) => [now - 12 * HOUR_MS],
    },
  },
  {
    id: 'tsbs-high-cpu-1',
    title: 'TSBS high-cpu-1: one machine’s temperature readings over a threshold, last 12 h',
    helios: {
      sql: `SELECT time, sensor_id, sensor_type, machine_id, line_id, value FROM sensor_readings
        WHERE machine_id = ? AND sensor_type = 'temperature' AND value > ?
          AND time > now() - INTERVAL '12 hours' ORDER BY time`,
      params: () => [SUBJECT.machine, SUBJECT.hotTemperature],
    },
    sqlite: {
      sql: `SELECT timestamp AS time, sensor_id, sensor_type, machine_id, line_id, value
        FROM sensor_readings WHERE machine_id = ? AND sensor_type = 'temperature' AND value > ?
          AND timestamp > ? ORDER BY timestamp`,
      params: ({ now }) => [SUBJECT.machine, SUBJECT.hotTemperature, now - 12 * HOUR_MS],
    },
    compact: {
      sql: `SELECT r.timestamp AS time, r.sensor_id, s.sensor_type, s.machine_id, s.line_id, r.value
        FROM ${JOIN_SENSORS} WHERE s.machine_id = ? AND s.sensor_type = 'temperature' AND r.value > ?
          AND r.timestamp > ? ORDER BY r.timestamp`,
      params: ({ now }) => [SUBJECT.machine, SUBJECT.hotTemperature, now - 12 * HOUR_MS],
    },
    duckdb: {
      sql: `SELECT timestamp AS time, sensor_id, sensor_type, machine_id, line_id, value
        FROM sensor_readings WHERE machine_id = ? AND sensor_type = 'temperature' AND value > ?
          AND timestamp > ? ORDER BY timestamp`,
      params: ({ now }) => [SUBJECT.machine, SUBJECT.hotTemperature, now - 12 * HOUR_MS],
    },
  },
  {
    id: 'tsbs-lastpoint',
    title: 'TSBS lastpoint: the newest reading of every machine',
    note: 'two sensors of a machine can share the newest timestamp: the larger sensor_id wins',
    helios: {
      sql: `SELECT DISTINCT ON (machine_id) machine_id, time, sensor_id, value FROM sensor_readings
        ORDER BY machine_id, time DESC, sensor_id DESC`,
      params: () => [],
    },
    sqlite: {
      // Bare columns: sensor_id and value come from the row holding max(sensor_id) among the ties.
      sql: `SELECT r.machine_id, r.timestamp AS time, max(r.sensor_id) AS sensor_id, r.value
        FROM sensor_readings r
        JOIN (SELECT machine_id, max(timestamp) AS t FROM sensor_readings GROUP BY machine_id) m
          ON r.machine_id = m.machine_id AND r.timestamp = m.t
        GROUP BY r.machine_id ORDER BY r.machine_id`,
      params: () => [],
    },
    compact: {
      // Latest per sensor by primary-key seeks, then the newest of each machine's 10.
      sql: `SELECT machine_id, time, sensor_id, value FROM (
          SELECT *, row_number() OVER (PARTITION BY machine_id ORDER BY time DESC, sensor_id DESC) AS n
          FROM (${COMPACT_LATEST}))
        WHERE n = 1 ORDER BY machine_id`,
      params: () => [],
    },
    duckdb: {
      sql: `SELECT DISTINCT ON (machine_id) machine_id, timestamp AS time, sensor_id, value
        FROM sensor_readings ORDER BY machine_id, timestamp DESC, sensor_id DESC`,
      params: () => [],
    },
  },
];

module.exports = { QUERIES, SUBJECT, SQLITE_SCHEMA, COMPACT_SCHEMA, DUCKDB_SCHEMA, HOUR_MS };
