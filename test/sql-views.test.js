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

describe('CREATE VIEW and DROP VIEW', () => {
  const setup = [
    'CREATE TABLE t1 (a INTEGER, b TEXT, c REAL)',
    "INSERT INTO t1 VALUES (1, 'x', 1.5), (2, 'y', 2.5), (3, 'x', 3.5)",
    'CREATE TABLE t2 (b TEXT, label TEXT)',
    "INSERT INTO t2 VALUES ('x', 'ex'), ('y', 'why')",
    'CREATE VIEW v1 AS SELECT a, b FROM t1',
    'CREATE VIEW IF NOT EXISTS v2 (k, total) AS SELECT b, SUM(c) FROM t1 GROUP BY b',
    'CREATE VIEW v3 AS SELECT v1.a, t2.label FROM v1 JOIN t2 ON v1.b = t2.b WHERE v1.a > 1',
  ];
  const queries = [
    'SELECT * FROM v1 ORDER BY a',
    "SELECT a, b FROM v1 WHERE b = 'x' ORDER BY a",
    'SELECT * FROM v2 ORDER BY k',
    'SELECT k, total * 2 AS twice FROM v2 WHERE total > 4',
    'SELECT * FROM v3 ORDER BY a',
    'SELECT v1.a, t2.label FROM v1 JOIN t2 ON v1.b = t2.b ORDER BY v1.a',
    'SELECT x.a FROM v1 AS x JOIN v2 ON x.b = v2.k ORDER BY x.a',
    'SELECT COUNT(*) AS n FROM v1',
  ];
  let dir;
  let db;
  let sqlite;

  /** Runs `sql` on both sides: both refuse it, or both give these rows. */
  async function agree(sql) {
    let want;
    try {
      const stmt = sqlite.prepare(sql);
      if (stmt.reader) want = { rows: stmt.all() };
      else {
        stmt.run();
        want = { ran: true };
      }
    } catch (err) {
      want = { error: err.message };
    }
    let got;
    try {
      const r = await db.query(sql);
      got = want.rows ? { rows: r.rows } : { ran: true };
    } catch (err) {
      got = { error: err.message };
    }
    if (want.error || got.error) {
      assert.ok(
        want.error && got.error,
        `${sql}\nSQLite: ${want.error ?? 'ran'}\nHelios: ${got.error ?? 'ran'}`,
      );
    } else assert.deepEqual(got, want, sql);
    return got;
  }

  before(async () => {
    dir = tempDir('helios-views-');
    db = await open(dir);
    sqlite = new Database(':memory:');
    for (const sql of setup) await agree(sql);
  });
  after(async () => {
    sqlite.close();
    await db.close();
  });

  it('answers SELECTs over views, joins with them and views of views as SQLite', async () => {
    for (const sql of queries) await agree(sql);
  });

  it('sees rows written after the view was made (the view is re-bound when used)', async () => {
    await agree("INSERT INTO t1 VALUES (4, 'y', 4.5)");
    for (const sql of queries) await agree(sql);
  });

  it('refuses clashes and misuse as SQLite does', async () => {
    for (const sql of [
      'CREATE VIEW v1 AS SELECT 1',
      'CREATE VIEW t1 AS SELECT 1',
      'CREATE TABLE v1 (z INTEGER)',
      'DROP TABLE v1',
      'DROP VIEW t1',
      'DROP VIEW no_such_view',
      'CREATE VIEW v9 AS SELEC 1',
    ]) {
      const got = await agree(sql);
      assert.ok(got.error, sql);
    }
    // and leave things as they are with IF [NOT] EXISTS
    for (const sql of [
      'CREATE VIEW IF NOT EXISTS v1 AS SELECT 1',
      'CREATE VIEW IF NOT EXISTS t1 AS SELECT 1',
      'CREATE TABLE IF NOT EXISTS v1 (z INTEGER)',
      'DROP VIEW IF EXISTS no_such_view',
    ]) {
      await agree(sql);
    }
    await agree('SELECT * FROM v1 ORDER BY a');
    // a mistake past the syntax is kept, and refused when the view is used
    for (const select of ['SELECT a, b FROM t1', 'SELECT nope FROM t1', 'SELECT * FROM no_such_table']) {
      await agree(`CREATE VIEW v9 (a) AS ${select}`);
      assert.ok((await agree('SELECT * FROM v9')).error, select);
      await agree('DROP VIEW v9');
    }
    // a view may name a table made after it
    await agree('CREATE VIEW later_v AS SELECT n FROM later_t');
    await agree('CREATE TABLE later_t (n INTEGER)');
    await agree('INSERT INTO later_t VALUES (7)');
    await agree('SELECT * FROM later_v');
    // views that name each other: refused when used, not a stack overflow
    await agree('CREATE VIEW ring_a AS SELECT * FROM ring_b');
    await agree('CREATE VIEW ring_b AS SELECT * FROM ring_a');
    assert.match((await agree('SELECT * FROM ring_a')).error, /circularly defined/);
  });

  it('keeps views across close and reopen', async () => {
    await db.close();
    db = await open(dir);
    for (const sql of queries) await agree(sql);
  });

  it('drops a view, and a view over a dropped view says so when used', async () => {
    await agree('DROP VIEW IF EXISTS v1');
    await agree('SELECT * FROM v3');
    await agree('CREATE VIEW v1 AS SELECT a, b FROM t1 WHERE a < 3');
    await agree('SELECT * FROM v3 ORDER BY a');
    await db.close();
    db = await open(dir);
    await agree('SELECT * FROM v3 ORDER BY a');
    await agree('DROP VIEW v3');
    await agree('SELECT * FROM v3');
  });
});
