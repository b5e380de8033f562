// A vehicle's telematics box (three vehicles share one hub gateway here): GPS fixes every 30 s and
// engine diagnostics every 5 minutes, kept until uploaded. The flow binds every value as text
// (it builds them from a CAN/NMEA parser's strings), so column affinity decides what is stored:
// '12.5' in a REAL column is the number 12.5, '1700000000' in an INTEGER column an integer.
// UNIQUE(vehicle_id, timestamp) with INSERT OR IGNORE drops a fix the modem sends twice.
const { seeded, round } = require('./_seeded');

const NOW = 1700000000;
const START = NOW - 40 * 60;
const rand = seeded(33);

const VEHICLES = [
  { id: 'TRUCK-101', lat: 52.520008, lon: 13.404954, odometer: 154321000 },
  { id: 'TRUCK-102', lat: 48.137154, lon: 11.576124, odometer: 98765000 },
  { id: 'VAN-201', lat: 50.110924, lon: 8.682127, odometer: 45210000 },
];

const INSERT_LOCATION =
  'INSERT OR IGNORE INTO locations (vehicle_id, lat, lon, speed, heading, odometer, timestamp) VALUES (?, ?, ?, ?, ?, ?, ?)';
const INSERT_DIAG =
  'INSERT INTO diagnostics (vehicle_id, engine_temp, rpm, fuel_level, battery_voltage, dtc_codes, timestamp) VALUES (?, ?, ?, ?, ?, ?, ?)';

/** 80 fixes of one vehicle, every value as text; no fix (speed NULL) now and then. */
function track(v) {
  const rows = [];
  let { lat, lon, odometer } = v;
  let heading = rand.int(0, 359);
  for (let k = 0; k < 80; k++) {
    const stopped = k >= 30 && k < 38; // a delivery stop
    const speed = stopped ? 0 : round(rand.between(8, 27), 1);
    heading = (heading + rand.int(-20, 20) + 360) % 360;
    lat = round(lat + Math.cos((heading * Math.PI) / 180) * speed * 2.7e-4, 6);
    lon = round(lon + Math.sin((heading * Math.PI) / 180) * speed * 4.1e-4, 6);
    odometer += Math.round(speed * 30);
    const noFix = rand.chance(0.04);
    rows.push([
      v.id,
      String(lat),
      String(lon),
      noFix ? null : String(speed),
      String(heading),
      String(odometer),
      String(START + k * 30),
    ]);
  }
  return rows;
}

const DTC = [null, null, null, null, 'P0300', 'P0300,P0171', '', 'P0420'];

function diagnostics() {
  const rows = [];
  for (let k = 0; k < 8; k++) {
    for (const v of VEHICLES) {
      rows.push([
        v.id,
        String(round(rand.between(82, 97), 1)),
        String(rand.int(700, 2600)),
        String(round(rand.between(20, 80), 1)),
        String(round(rand.between(12.2, 14.4), 2)),
        DTC[rand.int(0, DTC.length - 1)],
        String(START + k * 300),
      ]);
    }
  }
  return rows;
}

const tracks = VEHICLES.map(track);
// the modem sends a fix twice: the second copy is ignored. (It is the last of the batch because
// SQLite's AUTOINCREMENT spends an id on an ignored row; no program should depend on that gap.)
tracks[2].push([...tracks[2][10]]);
const diag = diagnostics();

const steps = [
  {
    sql: `CREATE TABLE IF NOT EXISTS locations (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      vehicle_id TEXT NOT NULL,
      lat REAL NOT NULL,
      lon REAL NOT NULL,
      speed REAL,
      heading INTEGER,
      odometer INTEGER,
      timestamp INTEGER NOT NULL,
      synced INTEGER DEFAULT 0,
      UNIQUE(vehicle_id, timestamp)
    )`,
  },
  {
    sql: `CREATE TABLE IF NOT EXISTS diagnostics (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      vehicle_id TEXT NOT NULL,
      engine_temp REAL,
      rpm INTEGER,
      fuel_level REAL,
      battery_voltage REAL,
      dtc_codes TEXT,
      timestamp INTEGER NOT NULL,
      synced INTEGER DEFAULT 0
    )`,
  },
  { sql: 'CREATE INDEX IF NOT EXISTS idx_locations_synced ON locations(synced, id)' },
  ...tracks.map((rows) => ({ transaction: rows.map((params) => ({ sql: INSERT_LOCATION, params })) })),
  { transaction: diag.map((params) => ({ sql: INSERT_DIAG, params })) },
  // the duplicate fix once more, outside a transaction: ignored again; without OR IGNORE, refused
  { sql: INSERT_LOCATION, params: tracks[0][10] },
  {
    sql: 'INSERT INTO locations (vehicle_id, lat, lon, speed, heading, odometer, timestamp) VALUES (?, ?, ?, ?, ?, ?, ?)',
    params: tracks[0][10],
    expectError: true,
  },
  // what the text became
  {
    sql: `SELECT typeof(lat) AS lat_type, typeof(speed) AS speed_type, typeof(heading) AS heading_type,
      typeof(odometer) AS odometer_type, typeof(timestamp) AS ts_type, COUNT(*) AS n
      FROM locations GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5`,
  },
  {
    sql: `SELECT typeof(engine_temp) AS temp_type, typeof(rpm) AS rpm_type, typeof(dtc_codes) AS dtc_type, COUNT(*) AS n
      FROM diagnostics GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
  },
  { sql: 'SELECT vehicle_id, COUNT(*) AS fixes FROM locations GROUP BY vehicle_id ORDER BY vehicle_id' },
  // text parameters against numeric columns compare as numbers
  {
    sql: 'SELECT vehicle_id, timestamp, speed FROM locations WHERE speed > ? ORDER BY timestamp, vehicle_id LIMIT 15',
    params: ['26'],
  },
  {
    sql: `SELECT vehicle_id, COUNT(*) AS points, ROUND(MAX(speed), 1) AS max_speed, ROUND(AVG(speed), 3) AS avg_speed,
      MAX(odometer) - MIN(odometer) AS distance_m
      FROM locations WHERE timestamp >= ? AND timestamp < ? GROUP BY vehicle_id ORDER BY vehicle_id`,
    params: [String(START + 600), String(START + 1800)],
  },
  {
    sql: 'SELECT vehicle_id, timestamp FROM locations WHERE speed = 0 AND vehicle_id = ? ORDER BY timestamp',
    params: ['VAN-201'],
  },
  { sql: 'SELECT vehicle_id, timestamp FROM locations WHERE speed IS NULL ORDER BY timestamp, vehicle_id' },
  {
    sql: `SELECT l.vehicle_id, l.lat, l.lon, l.speed, l.odometer, l.timestamp FROM locations l
      JOIN (SELECT vehicle_id, MAX(timestamp) AS ts FROM locations GROUP BY vehicle_id) m
        ON l.vehicle_id = m.vehicle_id AND l.timestamp = m.ts
      ORDER BY l.vehicle_id`,
  },
  // upload in batches of 100, oldest first
  { sql: 'SELECT * FROM locations WHERE synced = 0 ORDER BY id LIMIT 100' },
  {
    sql: 'UPDATE locations SET synced = 1 WHERE id IN (SELECT id FROM locations WHERE synced = 0 ORDER BY id LIMIT 100)',
  },
  {
    sql: 'SELECT id, vehicle_id, lat, lon, speed, timestamp FROM locations WHERE synced = 0 ORDER BY id LIMIT 100',
  },
  { sql: 'UPDATE locations SET synced = 1 WHERE synced = 0 AND id <= ?', params: ['200'] },
  { sql: 'SELECT COUNT(*) AS pending, MIN(id) AS next_id FROM locations WHERE synced = 0' },
  // diagnostics: codes, engine health, upload
  {
    sql: "SELECT vehicle_id, dtc_codes, timestamp FROM diagnostics WHERE dtc_codes IS NOT NULL AND dtc_codes != '' ORDER BY timestamp, vehicle_id",
  },
  {
    sql: "SELECT vehicle_id, COUNT(*) AS misfires FROM diagnostics WHERE dtc_codes LIKE '%P0300%' GROUP BY vehicle_id",
  },
  {
    sql: `SELECT vehicle_id, ROUND(AVG(engine_temp), 1) AS avg_temp, MAX(rpm) AS max_rpm, MIN(fuel_level) AS min_fuel,
      SUM(CASE WHEN battery_voltage < ? THEN 1 ELSE 0 END) AS low_battery
      FROM diagnostics GROUP BY vehicle_id ORDER BY vehicle_id`,
    params: ['12.5'],
  },
  { sql: 'SELECT id, vehicle_id, dtc_codes FROM diagnostics WHERE synced = 0 ORDER BY id LIMIT 100' },
  { sql: 'UPDATE diagnostics SET synced = 1 WHERE synced = 0 AND id <= ?', params: ['24'] },
  { sql: 'SELECT synced, COUNT(*) AS n FROM diagnostics GROUP BY synced' },
  // housekeeping: uploaded fixes older than 20 minutes go
  { sql: 'DELETE FROM locations WHERE synced = 1 AND timestamp < ?', params: [String(NOW - 20 * 60)] },
  {
    sql: 'SELECT vehicle_id, COUNT(*) AS kept, SUM(synced) AS synced FROM locations GROUP BY vehicle_id ORDER BY vehicle_id',
  },
];

module.exports = {
  name: 'vehicle fleet',
  description:
    'GPS fixes and diagnostics bound as text, UNIQUE with INSERT OR IGNORE, upload batches by id, synced flags, purge.',
  steps,
};
