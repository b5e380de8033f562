// CREATE TABLE, CREATE / DROP INDEX and INSERT in SQLite's shape, run on SQLite (better-sqlite3)
// and on Helios step by step with the program runner (test/support/program-runner.js): results,
// changes, lastInsertRowid and which statements fail must agree. Always on, unlike the whole
// programs of test/sqlite-programs.test.js.
const assert = require('node:assert/strict');
const Database = require('better-sqlite3');
const { open } = require('../dist/engine');
const { tempDir } = require('./helpers');
const { runProgram, listDisagreements, formatDisagreement } = require('./support/program-runner');

const steps = [
  {
    // without AUTOINCREMENT: SQLite's AUTOINCREMENT burns an id for each row OR IGNORE skips,
    // Helios does not (docs/sql.md); otherwise ids agree
    sql: `CREATE TABLE IF NOT EXISTS readings (
      id INTEGER PRIMARY KEY,
      sensor_id TEXT NOT NULL,
      value REAL NOT NULL,
      unit TEXT DEFAULT 'C',
      timestamp INTEGER NOT NULL,
      synced BOOLEAN DEFAULT 0,
      quality INTEGER DEFAULT 100 CHECK (quality BETWEEN 0 AND 100),
      note,
      UNIQUE (sensor_id, timestamp)
    )`,
  },
  { sql: 'CREATE INDEX IF NOT EXISTS idx_ts ON readings (timestamp)' },
  { sql: 'CREATE INDEX IF NOT EXISTS idx_ts ON readings (sensor_id)' },
  { sql: 'CREATE INDEX idx_ts ON readings (synced)', expectError: true },
  { sql: 'CREATE UNIQUE INDEX idx_sensor_note ON readings (sensor_id, note)' },
  {
    sql: 'INSERT INTO readings (sensor_id, value, timestamp) VALUES (?, ?, ?), (?, ?, ?)',
    params: ['s1', '21.5', '1700000000', 's2', 19, 1700000000],
  },
  { sql: "INSERT INTO readings VALUES (NULL, 's3', 1.5, 'F', 1700000060, 1, 90, 'x')" },
  { sql: "INSERT INTO readings VALUES (50, 's3', 2.5, 'F', 1700000120, 0, 80, 'y')" },
  { sql: "INSERT INTO readings (sensor_id, value, timestamp) VALUES ('s3', 3.5, 1700000180)" },
  { sql: 'SELECT * FROM readings ORDER BY id' },
  {
    sql: 'SELECT typeof(value) AS v, typeof(timestamp) AS t, typeof(synced) AS s, typeof(unit) AS u, COUNT(*) AS n FROM readings GROUP BY 1, 2, 3, 4',
  },
  { sql: 'SELECT rowid AS r, oid AS o, _rowid_ AS u, id FROM readings WHERE synced = 0 ORDER BY rowid' },
  // constraints
  { sql: "INSERT INTO readings (sensor_id, timestamp) VALUES ('s4', 1)", expectError: true },
  { sql: 'INSERT INTO readings (sensor_id, value, timestamp) VALUES (NULL, 1, 1)', expectError: true },
  {
    sql: "INSERT INTO readings (sensor_id, value, timestamp, quality) VALUES ('s4', 1, 1, 101)",
    expectError: true,
  },
  {
    sql: "INSERT INTO readings (sensor_id, value, timestamp) VALUES ('s1', 0, 1700000000)",
    expectError: true,
  },
  {
    sql: "INSERT INTO readings (id, sensor_id, value, timestamp) VALUES (50, 's9', 0, 9)",
    expectError: true,
  },
  {
    sql: "INSERT INTO readings (sensor_id, value, timestamp, note) VALUES ('s3', 0, 9, 'x')",
    expectError: true,
  },
  {
    sql: "INSERT INTO readings (sensor_id, value, timestamp) VALUES ('s5', 1, 5), ('s5', 2, 5)",
    expectError: true,
  },
  { sql: "SELECT COUNT(*) AS n FROM readings WHERE sensor_id IN ('s4', 's5', 's9')", mayBeEmpty: true },
  // conflicts
  {
    sql: "INSERT OR IGNORE INTO readings (sensor_id, value, timestamp) VALUES ('s1', 0, 1700000000), ('s6', 6, 6)",
  },
  { sql: "INSERT INTO readings (sensor_id, value, timestamp) VALUES ('s6', 7, 6) ON CONFLICT DO NOTHING" },
  {
    sql: "INSERT INTO readings (sensor_id, value, timestamp) VALUES ('s6', 7, 6) ON CONFLICT (sensor_id, timestamp) DO NOTHING",
  },
  { sql: "INSERT OR REPLACE INTO readings (sensor_id, value, timestamp) VALUES ('s2', 20, 1700000000)" },
  { sql: "REPLACE INTO readings (id, sensor_id, value, timestamp) VALUES (50, 's3', 9.5, 1700000120)" },
  { sql: 'SELECT id, sensor_id, value, timestamp FROM readings ORDER BY id' },
  // RETURNING and DEFAULT VALUES
  {
    sql: "INSERT INTO readings (sensor_id, value, timestamp) VALUES ('s7', 1, 7), ('s7', 2, 8) RETURNING id, sensor_id, unit, quality",
  },
  { sql: "INSERT INTO readings (sensor_id, value, timestamp) VALUES ('s7', 3, 9) RETURNING *" },
  { sql: "CREATE TABLE events (id INTEGER PRIMARY KEY, kind TEXT DEFAULT 'boot', level INTEGER DEFAULT 1)" },
  { sql: 'INSERT INTO events DEFAULT VALUES' },
  { sql: 'INSERT INTO events DEFAULT VALUES' },
  { sql: 'SELECT * FROM events ORDER BY id' },
  // a PRIMARY KEY that is not INTEGER
  { sql: 'CREATE TABLE thresholds (kind TEXT PRIMARY KEY, max_value REAL NOT NULL)' },
  { sql: "INSERT INTO thresholds VALUES ('temperature', 85), ('vibration', 7.1)" },
  { sql: "INSERT INTO thresholds VALUES ('temperature', 90)", expectError: true },
  { sql: "INSERT OR REPLACE INTO thresholds VALUES ('temperature', 90)" },
  { sql: 'SELECT * FROM thresholds ORDER BY kind' },
  // ON CONFLICT DO UPDATE (each statement also inserts a row last: SQLite's lastInsertRowid is
  // the connection's last insert, which a statement that only updates leaves as it was)
  { sql: 'CREATE TABLE latest (sensor TEXT PRIMARY KEY, value REAL, n INTEGER DEFAULT 1, ts INTEGER)' },
  { sql: "INSERT INTO latest (sensor, value, ts) VALUES ('a', 1, 10), ('b', 2, 10)" },
  {
    sql: `INSERT INTO latest (sensor, value, ts) VALUES ('a', 5, 20), ('e', 1, 1)
      ON CONFLICT (sensor) DO UPDATE SET value = excluded.value, n = n + 1, ts = excluded.ts`,
  },
  {
    sql: `INSERT INTO latest (sensor, value, ts) VALUES ('a', 6, 15), ('c', 1, 1)
      ON CONFLICT (sensor) DO UPDATE SET value = excluded.value, n = n + 1 WHERE excluded.ts > latest.ts`,
  },
  {
    sql: "INSERT INTO latest (sensor, value, ts) VALUES ('b', 0, 0), ('f', 0, 0) ON CONFLICT DO UPDATE SET n = 0",
  },
  { sql: 'SELECT rowid AS r, * FROM latest ORDER BY sensor' },
  // indexes
  { sql: 'DROP INDEX idx_sensor_note' },
  { sql: "INSERT INTO readings (sensor_id, value, timestamp, note) VALUES ('s3', 0, 9, 'x')" },
  { sql: 'DROP INDEX idx_sensor_note', expectError: true },
  { sql: 'DROP INDEX IF EXISTS idx_sensor_note' },
  { sql: 'SELECT COUNT(*) AS n, COUNT(DISTINCT id) AS ids, MAX(id) AS top FROM readings' },
];

describe('SQLite DDL and INSERT, step by step against SQLite', () => {
  it('agrees with SQLite at every step', async () => {
    const sqlite = new Database(':memory:');
    const helios = await open(tempDir('helios-sqlite-ddl-'));
    let results;
    try {
      results = await runProgram({ name: 'ddl', description: '', steps }, { sqlite, helios });
    } finally {
      sqlite.close();
      await helios.close();
    }
    const bad = results.filter((r) => (r.sqlite.error !== undefined) !== r.expectError);
    assert.deepEqual(
      bad.map((r) => `step ${r.step}: ${r.sqlite.error ?? 'ran'}`),
      [],
      'SQLite itself does not run the steps as written',
    );
    const disagreements = listDisagreements(results);
    assert.equal(disagreements.length, 0, disagreements.map(formatDisagreement).join('\n\n'));
  });
});
