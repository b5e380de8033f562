// Tables declared as SQLite declares them (docs/sql.md): what the .slt files cannot show: the
// declaration (constraints, indexes) survives reopening, ids go on after it, a TABLES file older
// versions wrote is still read, and OR REPLACE leaves one row per key across a flush.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { open } = require('../dist/engine');
const { runQuery } = require('../dist/engine/query/query');
const { tempDir } = require('./helpers');

const SCHEMA = `CREATE TABLE IF NOT EXISTS alerts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  sensor_id TEXT NOT NULL,
  level TEXT NOT NULL CHECK (level IN ('INFO', 'WARNING', 'CRITICAL')),
  acknowledged INTEGER DEFAULT 0,
  created_at INTEGER DEFAULT (strftime('%s', 'now')),
  UNIQUE (sensor_id, created_at)
)`;

describe('tables declared as SQLite declares them', () => {
  it('keep their columns, constraints, indexes and ids across a reopen', async () => {
    const dir = tempDir('helios-sqlite-tables-');
    let db = await open(dir);
    await db.query(SCHEMA);
    await db.query('CREATE INDEX idx_open ON alerts (acknowledged, id)');
    const first = await db.query(
      "INSERT INTO alerts (sensor_id, level, created_at) VALUES ('g1', 'INFO', 1)",
    );
    assert.equal(first.changes, 1);
    assert.equal(first.lastInsertRowid, 1);
    await db.close();

    db = await open(dir);
    const cols = await db.query('DESCRIBE alerts');
    assert.deepEqual(
      cols.rows.map((r) => r.column),
      ['id', 'sensor_id', 'level', 'acknowledged', 'created_at'],
    );
    await assert.rejects(
      db.query("INSERT INTO alerts (sensor_id, level) VALUES ('g1', 'LOUD')"),
      /CHECK constraint failed/,
    );
    await assert.rejects(
      db.query("INSERT INTO alerts (sensor_id, level, created_at) VALUES ('g1', 'INFO', 1)"),
      /UNIQUE constraint failed: alerts.sensor_id, alerts.created_at/,
    );
    await assert.rejects(db.query('CREATE INDEX idx_open ON alerts (id)'), /index idx_open already exists/);
    const next = await db.query(
      "INSERT INTO alerts (sensor_id, level) VALUES ('g2', 'WARNING') RETURNING id, acknowledged",
    );
    assert.deepEqual(next.rows, [{ id: 2, acknowledged: 0 }]);
    assert.equal(next.lastInsertRowid, 2);
    await db.close();
  });

  it('read the TABLES file older versions wrote (no SQLite shape: a Helios table)', async () => {
    const dir = tempDir('helios-sqlite-old-');
    fs.writeFileSync(
      path.join(dir, 'TABLES'),
      JSON.stringify({
        m: { lsn: 0, tags: ['sensor_id'], fields: { v: 'float' }, partitionMs: null, retentionMs: null },
      }),
    );
    const db = await open(dir);
    const cols = await db.query('DESCRIBE m');
    assert.deepEqual(
      cols.rows.map((r) => r.column),
      ['time', 'sensor_id', 'v'],
    );
    await db.close();
  });

  it('OR REPLACE leaves one row per key, across a flush and a reopen', async () => {
    const dir = tempDir('helios-sqlite-replace-');
    let db = await open(dir);
    await db.query('CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER)');
    for (let i = 0; i < 5; i++) await db.query('REPLACE INTO kv VALUES (?, ?)', ['a', i]);
    await db.flush();
    await db.query('INSERT OR REPLACE INTO kv VALUES (?, ?)', ['a', 9]);
    await db.close();
    db = await open(dir);
    const r = await db.query('SELECT k, v, rowid FROM kv');
    assert.deepEqual(r.rows, [{ k: 'a', v: 9, rowid: 6 }]);
    // the new row and the old row's delete marker are one WAL record: stored together or not at all
    const before = db.stats().lastLsn;
    const again = await db.query('INSERT OR REPLACE INTO kv VALUES (?, ?)', ['a', 10]);
    assert.equal(db.stats().lastLsn, before + 1);
    assert.equal(again.rows[0].lsn, before + 1);
    assert.deepEqual((await db.query('SELECT k, v FROM kv')).rows, [{ k: 'a', v: 10 }]);
    await db.close();
  });

  it('check a transaction’s own rows for UNIQUE, and roll back with it', async () => {
    const db = await open(tempDir('helios-sqlite-tx-'));
    await db.query('CREATE TABLE loc (id INTEGER PRIMARY KEY, v TEXT, t INTEGER, UNIQUE (v, t))');
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.query("INSERT INTO loc (v, t) VALUES ('a', 1)");
        await tx.query("INSERT INTO loc (v, t) VALUES ('a', 1)");
      }),
      /UNIQUE constraint failed: loc.v, loc.t/,
    );
    await db.transaction(async (tx) => {
      await tx.query("INSERT INTO loc (v, t) VALUES ('a', 1)");
      const again = await tx.query("INSERT OR IGNORE INTO loc (v, t) VALUES ('a', 1)");
      assert.equal(again.changes, 0);
    });
    const r = await db.query('SELECT count(*) AS n FROM loc');
    assert.equal(r.rows[0].n, 1);
    await db.close();
  });

  it('check UNIQUE keys without decoding chunks whose statistics rule the key out', async () => {
    const db = await open(tempDir('helios-sqlite-skip-'), { chunkRows: 100 });
    await db.query(
      'CREATE TABLE loc (id INTEGER PRIMARY KEY, v TEXT NOT NULL, ts INTEGER NOT NULL, UNIQUE (v, ts))',
    );
    // 50 statements at 50 seconds: 50 chunks of 100 rows once flushed
    for (let b = 0; b < 50; b++) {
      const values = Array.from({ length: 100 }, (_, i) => `('a', ${b * 100 + i})`).join(', ');
      await runQuery(db, `INSERT INTO loc (v, ts) VALUES ${values}`, [], { now: () => 1e12 + b * 1000 });
    }
    await db.flush();
    const loaded = [];
    const target = new Proxy(db, {
      get(t, k) {
        if (k === 'scanParts') {
          return (table, o, c) => {
            loaded.push(c);
            return t.scanParts(table, o, c);
          };
        }
        const v = t[k];
        return typeof v === 'function' ? v.bind(t) : v;
      },
    });
    // a timestamp above every stored one: no chunk is decoded
    const fresh = await runQuery(target, "INSERT OR IGNORE INTO loc (v, ts) VALUES ('a', 99999)");
    assert.equal(fresh.changes, 1);
    assert.equal(loaded.at(-1).rowsLoaded, 0);
    // one inside: only the chunk that may hold it (and the head)
    const old = await runQuery(target, "INSERT OR IGNORE INTO loc (v, ts) VALUES ('a', 2500)");
    assert.equal(old.changes, 0);
    assert.ok(loaded.at(-1).rowsLoaded <= 101, `rows decoded: ${loaded.at(-1).rowsLoaded}`);
    await db.close();
  });

  it('with a time column (WITH time_column), prune partitions by it, also after a reopen', async () => {
    const dir = tempDir('helios-sqlite-time-');
    let db = await open(dir);
    await db.query(
      "CREATE TABLE r (id INTEGER PRIMARY KEY, sensor_id TEXT, value REAL, timestamp INTEGER NOT NULL) WITH (time_column = 'timestamp', time_unit = 's')",
    );
    const day = 86400;
    const start = 1767225600; // 2026-01-01, a partition boundary (partitions of one day)
    for (let d = 0; d < 3; d++) {
      await db.query('INSERT INTO r (sensor_id, value, timestamp) VALUES (?, ?, ?), (?, ?, ?)', [
        's1',
        d,
        start + d * day + 10,
        's2',
        d + 0.5,
        start + d * day + 20,
      ]);
    }
    await db.flush();
    await db.close();
    db = await open(dir);
    const sql = 'SELECT count(*) AS n, sum(value) AS s FROM r WHERE timestamp >= ? AND timestamp < ?';
    const params = [start + day, start + 2 * day];
    assert.deepEqual((await db.query(sql, params)).rows, [{ n: 2, s: 2.5 }]);
    const plan = (await db.query(`EXPLAIN ${sql}`, params)).rows.map((r) => r.plan).join('\n');
    assert.match(plan, /partitions 1 kept, 2 skipped/);
    await db.close();
  });
});
