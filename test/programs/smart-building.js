// A smart building's gateway: five floors, three zones each plus a floor energy meter (zone NULL),
// every 5 minutes for three hours; energy per floor, occupancy, comfort, CO2 alerts written to an
// alerts table with INSERT ... RETURNING id, and a CHECK constraint on the floor number.
const { seeded, round } = require('./_seeded');

const NOW = 1700000000;
const START = NOW - 3 * 3600;
const SLOT = 300;
const FLOORS = [1, 2, 3, 4, 5];
const ZONES = ['east', 'north', 'south'];
const rand = seeded(22);

const INSERT =
  'INSERT INTO building_readings (floor, zone, sensor_type, value, timestamp) VALUES (?, ?, ?, ?, ?)';

/** People in a zone at slot k: a morning peak; floor 3 north and floor 1 south are meeting rooms. */
function occupancy(floor, zone, k) {
  const shape = Math.sin((Math.PI * k) / 36);
  const meeting = (floor === 3 && zone === 'north') || (floor === 1 && zone === 'south');
  const room = meeting ? 30 : 14;
  return Math.max(0, Math.round(room * shape + rand.int(-3, 3)));
}

function floorRows(floor) {
  const rows = [];
  for (let k = 1; k <= 36; k++) {
    const ts = START + k * SLOT;
    for (const zone of ZONES) {
      const people = occupancy(floor, zone, k);
      rows.push([floor, zone, 'occupancy', people, ts]);
      rows.push([
        floor,
        zone,
        'temperature',
        round(20.5 + (floor === 5 ? 2.5 : 0) + people * 0.05 + rand.next(), 1),
        ts,
      ]);
      rows.push([floor, zone, 'co2', Math.round(430 + people * 22 + rand.int(0, 80)), ts]);
    }
    rows.push([floor, null, 'energy_kwh', round(2 + rand.next() * 4, 3), ts]);
  }
  return rows;
}

const floors = FLOORS.map(floorRows);
// the flow raises the first three CO2 alerts one by one (ids are insertion order, from 1)
const highCo2 = floors
  .flat()
  .map((r, i) => ({ id: i + 1, r }))
  .filter(({ r }) => r[2] === 'co2' && r[3] > 1000)
  .slice(0, 3);

const ALERT =
  'INSERT INTO alerts (floor, zone, alert_type, value, threshold, timestamp) VALUES (?, ?, ?, ?, ?, ?) RETURNING id';

const steps = [
  {
    sql: `CREATE TABLE IF NOT EXISTS building_readings (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      floor INTEGER NOT NULL,
      zone TEXT,
      sensor_type TEXT NOT NULL,
      value REAL NOT NULL,
      timestamp INTEGER NOT NULL,
      CONSTRAINT floor_range CHECK (floor BETWEEN 1 AND 50)
    )`,
  },
  { sql: 'CREATE INDEX IF NOT EXISTS idx_floor_zone_ts ON building_readings(floor, zone, timestamp)' },
  {
    sql: `CREATE TABLE IF NOT EXISTS alerts (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      floor INTEGER NOT NULL,
      zone TEXT,
      alert_type TEXT NOT NULL,
      value REAL,
      threshold REAL,
      timestamp INTEGER NOT NULL,
      resolved INTEGER DEFAULT 0
    )`,
  },
  ...floors.map((rows) => ({ transaction: rows.map((params) => ({ sql: INSERT, params })) })),
  {
    sql: 'SELECT COUNT(*) AS n, COUNT(zone) AS zoned, COUNT(DISTINCT floor) AS floors FROM building_readings',
  },
  // energy
  {
    sql: `SELECT floor, ROUND(SUM(value), 3) AS total_kwh, COUNT(*) AS samples FROM building_readings
      WHERE sensor_type = 'energy_kwh' GROUP BY floor ORDER BY floor`,
  },
  {
    sql: `SELECT floor, (timestamp / 3600) * 3600 AS hour, ROUND(SUM(value), 3) AS kwh FROM building_readings
      WHERE sensor_type = 'energy_kwh' AND floor IN (?, ?) GROUP BY floor, hour ORDER BY floor, hour`,
    params: [1, 5],
  },
  {
    sql: "SELECT SUM(value) AS building_kwh, typeof(SUM(value)) AS t FROM building_readings WHERE sensor_type = 'energy_kwh' AND timestamp > ?",
    params: [NOW - 3600],
  },
  // occupancy
  {
    sql: `SELECT floor, zone, MAX(value) AS peak, ROUND(AVG(value), 1) AS avg_people, COUNT(*) AS samples
      FROM building_readings WHERE sensor_type = 'occupancy' GROUP BY floor, zone ORDER BY floor, zone`,
  },
  {
    sql: "SELECT floor, COUNT(*) AS occupied_zones FROM building_readings WHERE sensor_type = 'occupancy' AND timestamp = ? AND value > 0 GROUP BY floor",
    params: [START + 18 * SLOT],
  },
  {
    sql: 'SELECT floor, zone, COUNT(*) AS n FROM building_readings WHERE zone IS NULL OR floor = 2 GROUP BY floor, zone ORDER BY floor, zone',
  },
  // comfort
  {
    sql: `SELECT floor, zone, ROUND(AVG(value), 2) AS avg_temp,
        CASE WHEN AVG(value) > 23.5 THEN 'too warm' WHEN AVG(value) < 20 THEN 'too cold' ELSE 'ok' END AS comfort
      FROM building_readings WHERE sensor_type = 'temperature'
      GROUP BY floor, zone HAVING zone IS NOT NULL ORDER BY floor, zone`,
  },
  // CO2: find, raise alerts one by one as the flow does, then the rest in one statement
  {
    sql: "SELECT id, floor, zone, value, timestamp FROM building_readings WHERE sensor_type = 'co2' AND value > ? ORDER BY timestamp, floor, zone",
    params: [1000],
  },
  ...highCo2.map(({ r }) => ({ sql: ALERT, params: [r[0], r[1], 'co2_high', r[3], 1000, r[4]] })),
  // ... and the rest, after a restart, in one statement
  {
    sql: `INSERT INTO alerts (floor, zone, alert_type, value, threshold, timestamp)
      SELECT floor, zone, 'co2_high', value, 1000, timestamp FROM building_readings
      WHERE sensor_type = 'co2' AND value > 1000 AND id > ? ORDER BY timestamp, floor, zone
      RETURNING id, floor, zone, value`,
    params: [highCo2.at(-1).id],
  },
  {
    sql: 'SELECT floor, COUNT(*) AS alerts, MAX(value) AS worst, MIN(timestamp) AS first_ts FROM alerts GROUP BY floor ORDER BY floor',
  },
  { sql: 'SELECT * FROM alerts WHERE floor = ? ORDER BY id LIMIT 3', params: [3] },
  {
    sql: 'UPDATE alerts SET resolved = 1 WHERE floor = ? AND resolved = 0 AND timestamp < ?',
    params: [3, NOW - 3600],
  },
  {
    sql: 'SELECT alert_type, resolved, COUNT(*) AS n FROM alerts GROUP BY alert_type, resolved ORDER BY resolved',
  },
  // the CHECK constraint: floor 99 and floor 0 refused, floor 50 (the bound) accepted
  { sql: INSERT, params: [99, 'north', 'temperature', 21.5, NOW], expectError: true },
  { sql: INSERT, params: [0, 'north', 'temperature', 21.5, NOW], expectError: true },
  { sql: INSERT, params: [50, 'roof', 'temperature', 8.5, NOW] },
  { sql: 'UPDATE building_readings SET floor = 51 WHERE id = 1', expectError: true },
  {
    sql: 'SELECT floor, zone, value FROM building_readings WHERE floor NOT BETWEEN 1 AND 5 OR floor IS NULL',
  },
  // a batch with one bad floor is refused whole
  {
    transaction: [
      { sql: INSERT, params: [4, 'east', 'temperature', 22.1, NOW + SLOT] },
      { sql: INSERT, params: [77, 'east', 'temperature', 22.3, NOW + SLOT] },
    ],
    expectError: true,
  },
  { sql: 'SELECT COUNT(*) AS n FROM building_readings WHERE timestamp > ?', params: [NOW] },
];

module.exports = {
  name: 'smart building',
  description:
    'Five floors of zone sensors and floor meters; energy, occupancy, comfort, CO2 alerts with RETURNING, a CHECK on the floor.',
  steps,
};
