// An offshore platform's safety gateway: gas, pressure and wind readings, safety alerts raised from
// them, listed while unacknowledged, acknowledged by an operator (?1, ?2, ?3 parameters), listed
// again. The schema is one script with comments, as such programs keep it; a drill's alerts are
// written inside BEGIN ... ROLLBACK and must leave no trace.
const { seeded, round } = require('./_seeded');

const NOW = 1700000000;
const START = NOW - 3600;
const rand = seeded(55);

const SENSORS = [
  { id: 'GAS-CD-01', deck: 'cellar', kind: 'gas_ppm' },
  { id: 'GAS-DF-01', deck: 'drill_floor', kind: 'gas_ppm' },
  { id: 'GAS-DF-02', deck: 'drill_floor', kind: 'gas_ppm' },
  { id: 'GAS-PR-01', deck: 'process', kind: 'gas_ppm' },
  { id: 'GAS-PR-02', deck: 'process', kind: 'gas_ppm' },
  { id: 'PT-PR-01', deck: 'process', kind: 'pressure_bar' },
  { id: 'WIND-01', deck: 'helideck', kind: 'wind_ms' },
];

/** A reading of sensor `s` at minute k: GAS-PR-02 sees a leak peaking at 22.0 ppm at minute 40. */
function value(s, k) {
  if (s.kind === 'pressure_bar') return round(45 + rand.between(-1, 1), 2);
  if (s.kind === 'wind_ms') return round(11 + 4 * Math.sin(k / 9) + rand.next(), 1);
  if (s.id === 'GAS-PR-02' && k >= 34 && k <= 46)
    return k === 40 ? 22 : round(22 - Math.abs(k - 40) * 2.5, 1);
  return round(rand.between(0, 3), 1);
}

function readings() {
  const out = [];
  for (let k = 1; k <= 60; k++) {
    for (const s of SENSORS) {
      out.push({
        sql: 'INSERT INTO process_readings (sensor_id, deck, kind, value, timestamp) VALUES (?, ?, ?, ?, ?)',
        params: [s.id, s.deck, s.kind, value(s, k), START + k * 60],
      });
    }
  }
  return out;
}

const SCHEMA = `
-- Safety alerts raised by the gas, pressure and wind monitors.
-- Alerts are kept until acknowledged, then archived upstream.
CREATE TABLE IF NOT EXISTS safety_alerts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  sensor_id TEXT NOT NULL,          -- e.g. GAS-PR-02
  level TEXT NOT NULL,              -- INFO, WARNING or CRITICAL
  message TEXT,
  acknowledged INTEGER DEFAULT 0,   -- 0 = open, 1 = acknowledged
  acknowledged_by TEXT,
  acknowledged_at INTEGER,          -- unix seconds
  created_at INTEGER DEFAULT (strftime('%s','now'))
);

/* Raw process readings, one row per sensor per minute. */
CREATE TABLE IF NOT EXISTS process_readings (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  sensor_id TEXT NOT NULL,
  deck TEXT NOT NULL,
  kind TEXT NOT NULL,  -- gas_ppm, pressure_bar, wind_ms
  value REAL NOT NULL,
  timestamp INTEGER NOT NULL
);

CREATE INDEX IF NOT EXISTS idx_alerts_open ON safety_alerts(acknowledged, id);
CREATE INDEX IF NOT EXISTS idx_readings_sensor_ts ON process_readings(sensor_id, timestamp);
`;

const RAISE = 'INSERT INTO safety_alerts (sensor_id, level, message) VALUES (?, ?, ?)';
const ACK =
  'UPDATE safety_alerts SET acknowledged = 1, acknowledged_by = ?1, acknowledged_at = ?2 WHERE id = ?3';
const OPEN =
  'SELECT id, sensor_id, level, message, acknowledged FROM safety_alerts WHERE acknowledged = 0 ORDER BY id';

const steps = [
  { script: SCHEMA },
  // the flow runs the schema on every start
  { script: SCHEMA },
  { transaction: readings() },
  {
    sql: 'SELECT kind, COUNT(*) AS n, MIN(value) AS min_value, MAX(value) AS max_value FROM process_readings GROUP BY kind ORDER BY kind',
  },
  {
    sql: "SELECT sensor_id, deck, value, timestamp FROM process_readings WHERE kind = 'gas_ppm' AND value >= ? ORDER BY timestamp, sensor_id",
    params: [10],
  },
  // alerts as the flow raises them
  { sql: RAISE, params: ['GAS-PR-02', 'WARNING', 'H2S 12.0 ppm on process deck'] },
  { sql: RAISE, params: ['WIND-01', 'INFO', 'wind above 14 m/s: crane operations restricted'] },
  { sql: RAISE, params: ['GAS-PR-02', 'CRITICAL', 'H2S 19.5 ppm on process deck'] },
  { sql: 'INSERT INTO safety_alerts (sensor_id, level) VALUES (?, ?)', params: ['PT-PR-01', 'WARNING'] },
  { sql: RAISE, params: ['GAS-DF-01', 'INFO', null] },
  {
    sql: `INSERT INTO safety_alerts (sensor_id, level, message)
      SELECT sensor_id, 'CRITICAL', 'H2S ' || value || ' ppm on ' || deck FROM process_readings
      WHERE kind = 'gas_ppm' AND value >= 20 ORDER BY timestamp, sensor_id`,
  },
  // NOT NULL: an alert without a level is refused
  {
    sql: 'INSERT INTO safety_alerts (sensor_id, message) VALUES (?, ?)',
    params: ['GAS-CD-01', 'test'],
    expectError: true,
  },
  { sql: OPEN },
  {
    sql: `SELECT COUNT(*) AS n, SUM(created_at > 0) AS stamped, typeof(created_at) AS created_type,
      typeof(acknowledged_by) AS by_type, typeof(acknowledged_at) AS at_type, typeof(acknowledged) AS ack_type
      FROM safety_alerts GROUP BY 3, 4, 5, 6`,
  },
  {
    sql: `SELECT id, sensor_id, level FROM safety_alerts WHERE acknowledged = 0
      ORDER BY CASE level WHEN 'CRITICAL' THEN 0 WHEN 'WARNING' THEN 1 ELSE 2 END, id`,
  },
  // the operator acknowledges two, one of them twice; an unknown id changes nothing
  { sql: ACK, params: ['op.jensen', NOW + 60, 3] },
  { sql: ACK, params: ['op.jensen', NOW + 75, 1] },
  { sql: ACK, params: ['op.hansen', NOW + 90, 3] },
  { sql: ACK, params: ['op.hansen', NOW + 95, 999] },
  {
    sql: 'UPDATE safety_alerts SET acknowledged = 1, acknowledged_by = $operator, acknowledged_at = $at WHERE sensor_id = $sensor AND acknowledged = 0',
    params: { operator: 'op.jensen', at: NOW + 120, sensor: 'WIND-01' },
  },
  { sql: OPEN },
  {
    sql: 'SELECT id, acknowledged_by, acknowledged_at FROM safety_alerts WHERE acknowledged = 1 ORDER BY acknowledged_at, id',
  },
  {
    sql: `SELECT level, COUNT(*) AS total, SUM(acknowledged) AS acked,
      SUM(CASE WHEN acknowledged = 0 THEN 1 ELSE 0 END) AS open FROM safety_alerts GROUP BY level ORDER BY level`,
  },
  // a muster drill, rolled back: none of it may remain
  {
    script: `BEGIN;
      INSERT INTO safety_alerts (sensor_id, level, message) VALUES ('DRILL', 'CRITICAL', 'muster drill: general alarm');
      INSERT INTO safety_alerts (sensor_id, level, message) VALUES ('DRILL', 'INFO', 'muster drill: all accounted for');
      UPDATE safety_alerts SET acknowledged = 1 WHERE acknowledged = 0;
      ROLLBACK`,
  },
  { sql: "SELECT COUNT(*) AS drill_alerts FROM safety_alerts WHERE sensor_id = 'DRILL'" },
  { sql: OPEN },
  // shift handover in one committed script
  {
    script: `BEGIN;
      -- the outgoing operator closes what is informational
      UPDATE safety_alerts SET acknowledged = 1, acknowledged_by = 'shift.handover', acknowledged_at = ${NOW + 3600}
        WHERE acknowledged = 0 AND level = 'INFO';
      INSERT INTO safety_alerts (sensor_id, level, message, acknowledged) VALUES ('SHIFT', 'INFO', 'handover complete', 1);
      COMMIT;`,
  },
  { sql: OPEN },
  // the rolled-back ids are given again: the next alert follows the handover's
  { sql: RAISE, params: ['GAS-PR-01', 'WARNING', 'H2S 8.5 ppm on process deck'] },
  { sql: 'SELECT id, sensor_id, level, acknowledged FROM safety_alerts ORDER BY id DESC LIMIT 3' },
  // archive: acknowledged alerts older than the handover go
  { sql: 'DELETE FROM safety_alerts WHERE acknowledged = 1 AND acknowledged_at < ?', params: [NOW + 3600] },
  { sql: 'SELECT id, sensor_id, level, acknowledged_by FROM safety_alerts ORDER BY id' },
];

module.exports = {
  name: 'offshore platform',
  description:
    'Safety alerts raised, listed, acknowledged with ?1 ?2 ?3, listed again; schema script with comments; a rolled-back drill.',
  steps,
};
