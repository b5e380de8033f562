/**
 * The plant benchmark's questions (issue #13), in each engine's SQL. Every version of a query
 * selects the same columns in the same order, so that results can be checksummed against each
 * other (bench/query-checksum.js). Helios runs the SQLite text wherever it can; where it cannot,
 * `helios` says what it runs instead. Parameters are bound numbers and strings (`params(ctx)`,
 * ctx.now = the data's largest timestamp in ms).
 *
 * A query may carry `post(rows)`: JavaScript run on the engine's rows, inside the timed run (what a
 * Node-RED function node would do where the SQL cannot say it).
 */

const HOUR_MS = 3_600_000;
/** The machine the one-machine questions ask about (a 10-sensor machine of the default fleet). */
const MACHINE = 'PRESS-03';

/** The lastpoint JOIN exactly as #13 writes it (greatest-n-per-group by a join). */
const LASTPOINT_JOIN = `SELECT r.sensor_id, r.time, r.value, r.status FROM sensor_readings AS r
  JOIN (SELECT sensor_id, max(time) AS mt FROM sensor_readings GROUP BY sensor_id) AS l
    ON r.sensor_id = l.sensor_id AND r.time = l.mt ORDER BY r.sensor_id`;

const HEALTH_SUMMARY =
  'SELECT sensor_type, count(*), avg(value), min(value), max(value) FROM sensor_readings WHERE machine_id = ? AND time >= ? GROUP BY sensor_type';

/** `div`: SQLite's and Helios's `/` on integers is integer division; DuckDB's is `//`. */
const counterIncrease = (div) =>
  `SELECT machine_id, (time ${div} 3600000) * 3600000 AS hour, max(counter) - min(counter) AS increase FROM sensor_readings WHERE sensor_type = 'counter' AND time >= ? GROUP BY machine_id, hour ORDER BY machine_id, hour`;

const DOOR_CHANGES_WINDOW = `SELECT sensor_id, time, state FROM (
  SELECT sensor_id, time, state, lag(state) OVER (PARTITION BY sensor_id ORDER BY time) AS prev
  FROM sensor_readings WHERE sensor_type = 'door' AND time >= ?
) AS d WHERE prev IS NOT NULL AND state <> prev ORDER BY sensor_id, time`;

/** Rows (sensor_id, time, state) ordered by sensor and time -> the rows whose state differs from the one before. */
function stateChanges(rows) {
  const out = [];
  for (let i = 1; i < rows.length; i++) {
    const prev = rows[i - 1];
    const row = rows[i];
    if (
      row.sensor_id === prev.sensor_id &&
      row.state !== null &&
      prev.state !== null &&
      row.state !== prev.state
    )
      out.push(row);
  }
  return out;
}

const LATEST_STATUS_DISTINCT_ON =
  'SELECT DISTINCT ON (sensor_id) sensor_id, time, status FROM sensor_readings WHERE status IS NOT NULL ORDER BY sensor_id, time DESC';

const ALARMS = `SELECT time, sensor_id, machine_id, value, status FROM sensor_readings WHERE status = 'alarm' AND time >= ? ORDER BY time DESC`;

/**
 * The questions. `target`: 'sqlite' (Helios p50 at or below SQLite's: #13's two named targets) or
 * 'fastest' (at or below the fastest peer's, #13's "whole benchmark query set").
 */
const PLANT_QUERIES = [
  {
    id: 'lastpoint-join',
    question: 'the latest reading of every sensor, as SQLite users write it (JOIN on a GROUP BY sub-select)',
    target: 'sqlite',
    params: () => [],
    helios: { sql: LASTPOINT_JOIN },
    sqlite: { sql: LASTPOINT_JOIN },
    duckdb: { sql: LASTPOINT_JOIN },
  },
  {
    id: 'health-summary',
    question: `one machine (${MACHINE}) over the last hour: count, avg, min, max per sensor_type`,
    target: 'sqlite',
    params: ({ now }) => [MACHINE, now - HOUR_MS],
    helios: { sql: HEALTH_SUMMARY },
    sqlite: { sql: HEALTH_SUMMARY },
    duckdb: { sql: HEALTH_SUMMARY },
  },
  {
    id: 'latest-status',
    question: 'the latest status of every sensor that reports one',
    target: 'fastest',
    params: () => [],
    helios: { sql: LATEST_STATUS_DISTINCT_ON, note: 'DISTINCT ON' },
    sqlite: {
      sql: 'SELECT sensor_id, max(time) AS time, status FROM sensor_readings WHERE status IS NOT NULL GROUP BY sensor_id ORDER BY sensor_id',
      note: "max(time) with SQLite's bare-column rule",
    },
    duckdb: { sql: LATEST_STATUS_DISTINCT_ON, note: 'DISTINCT ON' },
  },
  {
    id: 'counter-increase',
    question: 'parts made per machine per hour over the last 24 h (max - min of the shift counter)',
    target: 'fastest',
    params: ({ now }) => [now - 24 * HOUR_MS],
    helios: { sql: counterIncrease('/') },
    sqlite: { sql: counterIncrease('/') },
    duckdb: { sql: counterIncrease('//') },
  },
  {
    id: 'door-changes',
    question: 'every door opening and closing over the last 24 h',
    target: 'fastest',
    params: ({ now }) => [now - 24 * HOUR_MS],
    helios: {
      sql: "SELECT sensor_id, time, state FROM sensor_readings WHERE sensor_type = 'door' AND time >= ? ORDER BY sensor_id, time",
      post: stateChanges,
      note: 'no window functions: the door rows by SQL, the changes in JavaScript',
    },
    sqlite: { sql: DOOR_CHANGES_WINDOW, note: 'lag() window' },
    duckdb: { sql: DOOR_CHANGES_WINDOW, note: 'lag() window' },
  },
  {
    id: 'alarms-last-hour',
    question: 'every alarm status of the last hour, newest first',
    target: 'fastest',
    params: ({ now }) => [now - HOUR_MS],
    helios: { sql: ALARMS },
    sqlite: { sql: ALARMS },
    duckdb: { sql: ALARMS },
  },
];

module.exports = { PLANT_QUERIES, MACHINE, stateChanges, LASTPOINT_JOIN, HEALTH_SUMMARY };
