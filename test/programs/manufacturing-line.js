// A manufacturing line's gateway: three machines, four sensors each, read in bursts (every sensor
// of a machine in the same second) and written per machine in transactions; anomaly checks, a
// health summary, latest reading per sensor, then the store-and-forward cycle: mark synced after
// an upload, delete what was synced and is old. Timestamps are Unix seconds, as such programs keep.
const { seeded, round } = require('./_seeded');

const NOW = 1700000000; // the program's clock: 2023-11-14T22:13:20Z
const START = NOW - 2 * 3600;
const rand = seeded(11);

const MACHINES = [
  { id: 'CNC-01', line: 'LINE-A' },
  { id: 'CNC-02', line: 'LINE-A' },
  { id: 'PRESS-01', line: 'LINE-B' },
];
const TYPES = [
  { type: 'temperature', suffix: 'TEMP', unit: 'C', base: 68, spread: 12, spike: 22, digits: 1 },
  { type: 'vibration', suffix: 'VIB', unit: 'mm/s', base: 3.5, spread: 2, spike: 5, digits: 2 },
  { type: 'pressure', suffix: 'PRES', unit: 'bar', base: 6.2, spread: 1.2, spike: 2.4, digits: 2 },
  { type: 'current', suffix: 'CUR', unit: 'A', base: 14, spread: 3, spike: 6, digits: 2 },
];

const INSERT =
  'INSERT INTO sensor_readings (sensor_id, sensor_type, value, unit, timestamp, machine_id, line_id) VALUES (?, ?, ?, ?, ?, ?, ?)';
const INSERT_NAMED =
  'INSERT INTO sensor_readings (sensor_id, sensor_type, value, unit, timestamp, machine_id, line_id) VALUES (@sensor_id, @sensor_type, @value, @unit, @timestamp, @machine_id, @line_id)';

/** One burst of a machine: each sensor's reading, all stamped with the same second. */
function burst(machine, timestamp) {
  return TYPES.map((t) => {
    const spike = rand.chance(0.05) ? t.spike : 0;
    return {
      sensor_id: `${machine.id}-${t.suffix}`,
      sensor_type: t.type,
      value: round(t.base + (rand.next() - 0.5) * t.spread + spike, t.digits),
      unit: t.unit,
      timestamp,
      machine_id: machine.id,
      line_id: machine.line,
    };
  });
}

/** The insert statement for one reading: PRESS-01's flow binds by name, the others by position. */
function insertOf(r) {
  if (r.machine_id === 'PRESS-01') return { sql: INSERT_NAMED, params: r };
  return {
    sql: INSERT,
    params: [r.sensor_id, r.sensor_type, r.value, r.unit, r.timestamp, r.machine_id, r.line_id],
  };
}

/** A transaction per machine per hour, a burst every 60 s. */
function batches() {
  const out = [];
  for (let hour = 0; hour < 2; hour++) {
    for (const m of MACHINES) {
      const rows = [];
      for (let k = 1; k <= 60; k++) rows.push(...burst(m, START + hour * 3600 + k * 60));
      out.push({ transaction: rows.map(insertOf) });
    }
  }
  return out;
}

const data = batches();
const lastCncTemp = data[3].transaction.filter((s) => s.params[0] === 'CNC-01-TEMP').at(-1).params;

const steps = [
  {
    sql: `CREATE TABLE IF NOT EXISTS sensor_readings (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      sensor_id TEXT NOT NULL,
      sensor_type TEXT NOT NULL,
      value REAL NOT NULL,
      unit TEXT NOT NULL,
      timestamp INTEGER NOT NULL,
      machine_id TEXT NOT NULL,
      line_id TEXT NOT NULL,
      synced BOOLEAN DEFAULT 0,
      created_at INTEGER DEFAULT (strftime('%s', 'now'))
    )`,
  },
  { sql: 'CREATE INDEX IF NOT EXISTS idx_machine_timestamp ON sensor_readings(machine_id, timestamp DESC)' },
  { sql: 'CREATE INDEX IF NOT EXISTS idx_synced ON sensor_readings(synced, timestamp)' },
  {
    sql: 'CREATE TABLE IF NOT EXISTS sensor_thresholds (sensor_type TEXT PRIMARY KEY, max_value REAL NOT NULL, min_value REAL)',
  },
  {
    sql: `INSERT INTO sensor_thresholds (sensor_type, max_value, min_value) VALUES
      ('temperature', 85.0, 10.0), ('vibration', 7.1, NULL), ('pressure', 8.0, 4.5), ('current', 18.0, 2.0)`,
  },
  // the flow starts again after a redeploy: the schema must survive IF NOT EXISTS
  {
    sql: 'CREATE TABLE IF NOT EXISTS sensor_readings (id INTEGER PRIMARY KEY AUTOINCREMENT, sensor_id TEXT)',
  },
  ...data,
  {
    sql: 'SELECT COUNT(*) AS total, COUNT(DISTINCT sensor_id) AS sensors, MIN(timestamp) AS first_ts, MAX(timestamp) AS last_ts FROM sensor_readings',
  },
  // defaults filled in: synced 0, created_at the insert's second as an integer (not printed)
  {
    sql: `SELECT typeof(created_at) AS created_type, typeof(synced) AS synced_type, typeof(timestamp) AS ts_type,
      typeof(value) AS value_type, SUM(created_at > 0) AS stamped, SUM(synced) AS synced, COUNT(*) AS n
      FROM sensor_readings GROUP BY 1, 2, 3, 4`,
  },
  {
    sql: 'SELECT id, sensor_id, value, timestamp FROM sensor_readings WHERE machine_id = ? AND sensor_type = ? AND value > ? ORDER BY timestamp DESC LIMIT 5',
    params: ['CNC-01', 'temperature', 85],
  },
  {
    sql: `SELECT r.machine_id, r.sensor_id, r.sensor_type, r.value, t.max_value, r.timestamp
      FROM sensor_readings r JOIN sensor_thresholds t ON t.sensor_type = r.sensor_type
      WHERE r.value > t.max_value ORDER BY r.timestamp DESC, r.sensor_id LIMIT 20`,
  },
  {
    sql: `SELECT sensor_id, value, timestamp FROM sensor_readings
      WHERE machine_id = :machine AND value > CASE sensor_type WHEN 'temperature' THEN 85 WHEN 'vibration' THEN 7.1
        WHEN 'pressure' THEN 8 ELSE 18 END
      ORDER BY timestamp DESC, sensor_id LIMIT 10`,
    params: { machine: 'PRESS-01' },
  },
  {
    sql: `SELECT r.machine_id, COUNT(*) AS anomalies FROM sensor_readings r
      JOIN sensor_thresholds t ON r.sensor_type = t.sensor_type
      WHERE r.value > t.max_value OR r.value < t.min_value
      GROUP BY r.machine_id ORDER BY anomalies DESC, r.machine_id`,
  },
  // health summary of one machine over the last hour
  {
    sql: `SELECT sensor_type, COUNT(*) AS count, ROUND(AVG(value), 2) AS avg_value, MIN(value) AS min_value,
      MAX(value) AS max_value FROM sensor_readings WHERE machine_id = ? AND timestamp >= ?
      GROUP BY sensor_type ORDER BY sensor_type`,
    params: ['CNC-02', NOW - 3600],
  },
  {
    sql: 'SELECT sensor_type, unit, AVG(value) AS avg_value, COUNT(*) AS count FROM sensor_readings WHERE timestamp >= $since GROUP BY sensor_type, unit',
    params: { since: NOW - 3600 },
  },
  // the gateway re-sends its last reading after a reconnect: both copies are kept (key: id)
  { sql: INSERT, params: lastCncTemp },
  {
    sql: 'SELECT COUNT(*) AS copies, COUNT(DISTINCT id) AS ids FROM sensor_readings WHERE sensor_id = ? AND timestamp = ?',
    params: [lastCncTemp[0], lastCncTemp[4]],
  },
  // latest reading per sensor, as SQLite users write it
  {
    sql: `SELECT r.sensor_id, r.sensor_type, r.value, r.unit, r.timestamp
      FROM sensor_readings r
      INNER JOIN (SELECT sensor_id, MAX(timestamp) AS max_ts FROM sensor_readings WHERE machine_id = ? GROUP BY sensor_id) latest
        ON r.sensor_id = latest.sensor_id AND r.timestamp = latest.max_ts
      ORDER BY r.sensor_id`,
    params: ['CNC-01'],
  },
  {
    sql: `SELECT r.line_id, r.sensor_id, r.value FROM sensor_readings r
      JOIN (SELECT sensor_id, MAX(timestamp) AS ts FROM sensor_readings GROUP BY sensor_id) l
        ON l.sensor_id = r.sensor_id AND l.ts = r.timestamp`,
  },
  // a chart of one machine's last ten minutes
  {
    sql: 'SELECT timestamp, sensor_type, value FROM sensor_readings WHERE machine_id = ? AND timestamp BETWEEN ? AND ? ORDER BY timestamp, sensor_type',
    params: ['PRESS-01', NOW - 600, NOW],
  },
  // store and forward: upload, mark synced, purge old synced rows
  { sql: 'SELECT COUNT(*) AS pending FROM sensor_readings WHERE synced = 0' },
  {
    sql: 'SELECT id, sensor_id, value, timestamp FROM sensor_readings WHERE synced = 0 ORDER BY id LIMIT 50',
  },
  { sql: 'UPDATE sensor_readings SET synced = 1 WHERE synced = 0 AND timestamp <= ?', params: [NOW - 1800] },
  { sql: 'SELECT synced, COUNT(*) AS n FROM sensor_readings GROUP BY synced ORDER BY synced' },
  { sql: 'DELETE FROM sensor_readings WHERE synced = 1 AND timestamp < ?', params: [NOW - 3600] },
  {
    sql: 'SELECT COUNT(*) AS n, MIN(timestamp) AS oldest, SUM(synced) AS synced FROM sensor_readings',
  },
  // the next burst after the purge: ids go on from the highest ever given
  {
    transaction: MACHINES.flatMap((m) =>
      burst(m, NOW + 60).map((r) => ({
        sql: INSERT,
        params: [r.sensor_id, r.sensor_type, r.value, r.unit, r.timestamp, r.machine_id, r.line_id],
      })),
    ),
  },
  { sql: 'SELECT id, sensor_id, timestamp FROM sensor_readings ORDER BY id DESC LIMIT 3' },
  { sql: 'SELECT MIN(id) AS first_id, MAX(id) AS last_id, COUNT(*) AS n FROM sensor_readings' },
  { sql: 'UPDATE sensor_readings SET synced = 1 WHERE synced = 0 AND timestamp <= ?', params: [NOW + 60] },
  { sql: 'DELETE FROM sensor_readings WHERE synced = 1 AND timestamp < ?', params: [NOW + 120] },
  { sql: 'SELECT COUNT(*) AS n FROM sensor_readings' },
  // an emptied AUTOINCREMENT table does not reuse ids
  { sql: INSERT, params: ['CNC-01-TEMP', 'temperature', 70.5, 'C', NOW + 120, 'CNC-01', 'LINE-A'] },
  { sql: 'SELECT id, sensor_id, value, synced FROM sensor_readings' },
  // NOT NULL: a reading without a unit is refused
  {
    sql: 'INSERT INTO sensor_readings (sensor_id, sensor_type, value, timestamp, machine_id, line_id) VALUES (?, ?, ?, ?, ?, ?)',
    params: ['CNC-01-VIB', 'vibration', 3.2, NOW + 120, 'CNC-01', 'LINE-A'],
    expectError: true,
  },
];

module.exports = {
  name: 'manufacturing line',
  description:
    'Three machines, four sensors each, bursts per second in transactions; anomalies, health summary, latest per sensor, sync and purge.',
  steps,
};
