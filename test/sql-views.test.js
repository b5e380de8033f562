// Triggers (refused with a sentence), PRAGMA table_info and CREATE / DROP VIEW, as SQLite
// (better-sqlite3) runs them: docs/sql.md.
const assert = require('node:assert/strict');
const Database = require('better-sqlite3');
const { open } = require('../dist/engine');
const { tempDir } = require('./helpers');

/** The error Helios gives for `sql`, or fails when it runs. */
async function refusal(db, sql) {
  try {
    await db.query(sql);
  } catch (err) {
    return err;
  }
  assert.fail(`expected an error from: ${sql}`);
}

describe('CREATE TRIGGER', () => {
  let db;
  before(async () => {
    db = await open(tempDir('helios-trigger-'));
    await db.query('CREATE TABLE t1 (a INTEGER, b TEXT)');
  });
  after(() => db.close());

  for (const sql of [
    'CREATE TRIGGER tr AFTER INSERT ON t1 BEGIN DELETE FROM t1; END',
    'CREATE TEMP TRIGGER IF NOT EXISTS tr BEFORE UPDATE ON t1 BEGIN SELECT 1; END',
    'create temporary trigger tr instead of delete on t1 begin select 1; end',
  ]) {
    it(`refuses ${sql.slice(0, 30)}... with what to do instead`, async () => {
      const err = await refusal(db, sql);
      assert.match(err.message, /does not support triggers/);
      assert.match(err.message, /helios-query node/);
      assert.equal(err.code, 'HELIOS_SQL_UNSUPPORTED');
    });
  }

  it('still runs CREATE TABLE and a table named trigger_log', async () => {
    await db.query('CREATE TABLE trigger_log (x INTEGER)');
    const r = await db.query('SELECT COUNT(*) AS n FROM trigger_log');
    assert.deepEqual(r.rows, [{ n: 0 }]);
  });
});

describe('PRAGMA table_info', () => {
  const declared = [
    "CREATE TABLE readings (id INTEGER PRIMARY KEY, sensor_id TEXT NOT NULL, value REAL, unit TEXT DEFAULT 'C', synced BOOLEAN DEFAULT 0, note, UNIQUE (sensor_id, value))",
    'CREATE TABLE pairs (a TEXT, b INTEGER NOT NULL, c REAL DEFAULT (1 + 2), PRIMARY KEY (b, a))',
    'CREATE TABLE thresholds (kind TEXT PRIMARY KEY, max_value REAL NOT NULL)',
  ];
  let db;
  let sqlite;
  before(async () => {
    db = await open(tempDir('helios-pragma-'));
    sqlite = new Database(':memory:');
    for (const sql of declared) {
      await db.query(sql);
      sqlite.exec(sql);
    }
  });
  after(async () => {
    sqlite.close();
    await db.close();
  });

  for (const table of ['readings', 'pairs', 'thresholds', 'no_such_table']) {
    it(`answers as SQLite for ${table}`, async () => {
      const want = sqlite.prepare(`PRAGMA table_info(${table})`).all();
      const got = await db.query(`PRAGMA table_info(${table})`);
      assert.deepEqual(got.rows, want);
    });
  }

  it('takes the forms SQLite takes: quoted name, = name, a schema', async () => {
    const want = sqlite.prepare('PRAGMA table_info(pairs)').all();
    for (const sql of [
      "PRAGMA table_info('pairs')",
      'PRAGMA main.table_info("pairs")',
      'pragma TABLE_INFO = pairs',
    ]) {
      assert.deepEqual((await db.query(sql)).rows, want, sql);
    }
  });

  it('shows a table made by writes as time, its tags and its fields', async () => {
    await db.write('weather', [
      { time: 1000, tags: { site: 'a', probe: 'p1' }, fields: { temp: 21.5, ok: true, n: 3, label: 'x' } },
    ]);
    const got = await db.query('PRAGMA table_info(weather)');
    const types = Object.fromEntries(got.rows.map((r) => [r.name, r.type]));
    assert.deepEqual(
      got.rows.map((r) => r.cid),
      [0, 1, 2, 3, 4, 5, 6],
    );
    assert.equal(types.time, 'TIMESTAMP');
    assert.equal(types.site, 'TAG');
    assert.equal(types.probe, 'TAG');
    assert.equal(types.temp, 'REAL');
    assert.equal(types.ok, 'BOOLEAN');
    assert.equal(types.label, 'TEXT');
    assert.equal(got.rows[0].name, 'time');
    assert.equal(got.rows[0].notnull, 1);
  });

  it('refuses another pragma with a sentence', async () => {
    const err = await refusal(db, 'PRAGMA journal_mode = WAL');
    assert.match(err.message, /PRAGMA journal_mode is not supported/);
    assert.equal(err.code, 'HELIOS_SQL_UNSUPPORTED');
  });
});
