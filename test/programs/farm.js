// A farm's field gateway: soil probes (moisture, temperature, pH) in four fields every 15 minutes
// for a day, some probes without temperature and pH, one reporting its battery; defaults fill the
// columns an insert leaves out. Irrigation advice per field comes from a CASE over avg(moisture),
// and the advice is logged with INSERT ... SELECT. NOT NULL columns refuse missing values.
const { seeded, round } = require('./_seeded');

const NOW = 1700000000;
const START = NOW - 24 * 3600;
const STEP = 900;
const rand = seeded(44);

// moisture at the start and the end of the day, per field
const FIELDS = [
  { id: 'F1', name: 'North paddock', crop: 'maize', area: 12.5, from: 33, to: 21 },
  { id: 'F2', name: 'River meadow', crop: 'wheat', area: 8.25, from: 43, to: 33 },
  { id: 'F3', name: 'Orchard', crop: null, area: 3.0, from: 52, to: 47 },
  { id: 'F4', name: 'Hill field', crop: 'barley', area: 20.0, from: 61, to: 55 },
];

const INSERT_FULL =
  'INSERT INTO soil_readings (field_id, sensor_id, moisture, temperature, ph, timestamp) VALUES (?, ?, ?, ?, ?, ?)';
const INSERT_MOISTURE =
  'INSERT INTO soil_readings (field_id, sensor_id, moisture, timestamp) VALUES (?, ?, ?, ?)';
const INSERT_BATTERY =
  'INSERT INTO soil_readings (field_id, sensor_id, moisture, temperature, ph, battery, timestamp) VALUES (?, ?, ?, ?, ?, ?, ?)';

function fieldBatch(f) {
  const out = [];
  for (let k = 0; k < 96; k++) {
    const ts = START + k * STEP;
    const dry = f.from + ((f.to - f.from) * k) / 95;
    const temp = round(14 + 8 * Math.sin((Math.PI * (k - 24)) / 48) + rand.next(), 1);
    const ph = round((f.id === 'F4' ? 5.3 : 6.6) + rand.between(-0.3, 0.3), 2);
    for (const s of ['S1', 'S2']) {
      const sensor = `${f.id}-${s}`;
      const moisture = round(dry + rand.between(-1.5, 1.5), 1);
      if (sensor === 'F3-S2') out.push({ sql: INSERT_MOISTURE, params: [f.id, sensor, moisture, ts] });
      else if (sensor === 'F2-S2') {
        const battery = round(35 - (23 * k) / 95, 1);
        out.push({ sql: INSERT_BATTERY, params: [f.id, sensor, moisture, temp, ph, battery, ts] });
      } else out.push({ sql: INSERT_FULL, params: [f.id, sensor, moisture, temp, ph, ts] });
    }
  }
  return { transaction: out };
}

const ADVICE = `CASE WHEN AVG(moisture) < 30 THEN 'irrigate' WHEN AVG(moisture) < 40 THEN 'monitor' ELSE 'ok' END`;

const steps = [
  {
    sql: `CREATE TABLE IF NOT EXISTS fields (
      field_id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      crop TEXT,
      area_ha REAL
    )`,
  },
  {
    sql: `CREATE TABLE IF NOT EXISTS soil_readings (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      field_id TEXT NOT NULL,
      sensor_id TEXT NOT NULL,
      moisture REAL NOT NULL,
      temperature REAL,
      ph REAL,
      battery REAL DEFAULT 100.0,
      status TEXT DEFAULT 'ok',
      depth_cm INTEGER DEFAULT 30,
      timestamp INTEGER NOT NULL,
      created_at TEXT DEFAULT CURRENT_TIMESTAMP
    )`,
  },
  {
    sql: `CREATE TABLE IF NOT EXISTS irrigation_events (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      field_id TEXT NOT NULL,
      avg_moisture REAL,
      decided_at INTEGER NOT NULL,
      duration_min INTEGER DEFAULT 20,
      executed INTEGER DEFAULT 0
    )`,
  },
  { sql: 'CREATE INDEX IF NOT EXISTS idx_soil_field_ts ON soil_readings(field_id, timestamp)' },
  {
    sql: 'INSERT INTO fields (field_id, name, crop, area_ha) VALUES (?, ?, ?, ?), (?, ?, ?, ?), (?, ?, ?, ?), (?, ?, ?, ?)',
    params: FIELDS.flatMap((f) => [f.id, f.name, f.crop, f.area]),
  },
  // a field without probes yet; area left out
  {
    sql: 'INSERT INTO fields (field_id, name, crop) VALUES (?, ?, ?)',
    params: ['F5', 'New plot', 'potatoes'],
  },
  ...FIELDS.map(fieldBatch),
  { sql: 'SELECT COUNT(*) AS n, COUNT(temperature) AS with_temp, COUNT(ph) AS with_ph FROM soil_readings' },
  // what the defaults gave
  {
    sql: `SELECT battery, status, depth_cm, typeof(battery) AS battery_type, typeof(depth_cm) AS depth_type, COUNT(*) AS n
      FROM soil_readings WHERE battery = 100 GROUP BY battery, status, depth_cm`,
  },
  {
    sql: `SELECT typeof(created_at) AS t, length(created_at) AS len, COUNT(*) AS n FROM soil_readings
      WHERE created_at LIKE '____-__-__ __:__:__' GROUP BY 1, 2`,
  },
  { sql: 'SELECT field_id, name, crop, area_ha FROM fields ORDER BY field_id' },
  // irrigation advice, over the day and over the last six hours
  {
    sql: `SELECT field_id, ROUND(AVG(moisture), 2) AS avg_moisture, MIN(moisture) AS min_moisture, COUNT(*) AS readings,
      ${ADVICE} AS recommendation
      FROM soil_readings GROUP BY field_id ORDER BY field_id`,
  },
  {
    sql: `SELECT field_id, ${ADVICE} AS recommendation FROM soil_readings WHERE timestamp >= ? GROUP BY field_id`,
    params: [NOW - 6 * 3600],
  },
  {
    sql: `SELECT f.name, f.crop, ROUND(AVG(s.moisture), 1) AS moisture, ${ADVICE.replaceAll('moisture', 's.moisture')} AS advice
      FROM soil_readings s JOIN fields f ON f.field_id = s.field_id
      WHERE s.timestamp >= ? GROUP BY f.field_id, f.name, f.crop ORDER BY f.name`,
    params: [NOW - 6 * 3600],
  },
  {
    sql: `SELECT f.field_id, COUNT(s.id) AS readings, MAX(s.timestamp) AS last_seen FROM fields f
      LEFT JOIN soil_readings s ON s.field_id = f.field_id GROUP BY f.field_id ORDER BY f.field_id`,
  },
  {
    sql: `INSERT INTO irrigation_events (field_id, avg_moisture, decided_at)
      SELECT field_id, ROUND(AVG(moisture), 2), ? FROM soil_readings WHERE timestamp >= ?
      GROUP BY field_id HAVING AVG(moisture) < 30`,
    params: [NOW, NOW - 6 * 3600],
  },
  { sql: 'SELECT * FROM irrigation_events ORDER BY id' },
  {
    sql: 'UPDATE irrigation_events SET executed = 1, duration_min = ? WHERE field_id = ?',
    params: [35, 'F1'],
  },
  // other checks the flow runs
  {
    sql: `SELECT field_id, sensor_id, MIN(ph) AS min_ph, MAX(ph) AS max_ph FROM soil_readings
      WHERE ph < 5.5 OR ph > 7.5 GROUP BY field_id, sensor_id ORDER BY field_id, sensor_id`,
  },
  {
    sql: `SELECT timestamp / 3600 * 3600 AS hour, ROUND(AVG(moisture), 2) AS moisture, ROUND(AVG(temperature), 2) AS temperature
      FROM soil_readings WHERE field_id = ? GROUP BY hour ORDER BY hour DESC LIMIT 6`,
    params: ['F3'],
  },
  { sql: "UPDATE soil_readings SET status = 'low_battery' WHERE battery < 20" },
  {
    sql: 'SELECT sensor_id, status, COUNT(*) AS n, MIN(battery) AS min_battery FROM soil_readings GROUP BY sensor_id, status ORDER BY sensor_id, status',
  },
  // NOT NULL: a moisture of NULL, a reading without its field, an event without its time
  { sql: INSERT_MOISTURE, params: ['F1', 'F1-S1', null, NOW + STEP], expectError: true },
  {
    sql: 'INSERT INTO soil_readings (sensor_id, moisture, timestamp) VALUES (?, ?, ?)',
    params: ['F1-S1', 24.5, NOW + STEP],
    expectError: true,
  },
  {
    sql: 'INSERT INTO irrigation_events (field_id, avg_moisture) VALUES (?, ?)',
    params: ['F2', 31],
    expectError: true,
  },
  { sql: 'INSERT INTO fields (field_id, crop) VALUES (?, ?)', params: ['F6', 'oats'], expectError: true },
  // a batch whose last reading lacks moisture is refused whole
  {
    transaction: [
      { sql: INSERT_MOISTURE, params: ['F4', 'F4-S1', 55.2, NOW + STEP] },
      { sql: INSERT_MOISTURE, params: ['F4', 'F4-S2', 54.8, NOW + STEP] },
      { sql: INSERT_MOISTURE, params: ['F4', 'F4-S3', null, NOW + STEP] },
    ],
    expectError: true,
  },
  { sql: 'SELECT COUNT(*) AS n FROM soil_readings WHERE timestamp > ?', params: [NOW] },
  // retention: a day's readings kept, older ones go
  { sql: 'DELETE FROM soil_readings WHERE timestamp < ?', params: [NOW - 12 * 3600] },
  { sql: 'SELECT field_id, COUNT(*) AS n, MIN(timestamp) AS oldest FROM soil_readings GROUP BY field_id' },
  { sql: INSERT_MOISTURE, params: ['F1', 'F1-S1', 20.4, NOW + STEP] },
  { sql: 'SELECT id, field_id, moisture, battery, status FROM soil_readings ORDER BY id DESC LIMIT 1' },
];

module.exports = {
  name: 'farm',
  description:
    'Soil probes per field with defaults left out, irrigation advice by CASE over avg(moisture), INSERT ... SELECT, NOT NULL refusals.',
  steps,
};
