// x IN (SELECT ...): parsed, printed back, its parameters numbered with the statement's, run
// before the statement (docs/sql.md, "Expressions"), and the vehicle fleet's sync UPDATE.
const assert = require('node:assert/strict');
const { open } = require('../dist/engine');
const { parse } = require('../dist/engine/sql/parser');
const { printStatement } = require('../dist/engine/sql/printer');
const { tempDir } = require('./helpers');

/** A tree without positions and source texts, which printing changes. */
function bare(node) {
  if (Array.isArray(node)) return node.map(bare);
  if (node === null || typeof node !== 'object') return node;
  const out = {};
  for (const [k, v] of Object.entries(node))
    if (k !== 'pos' && k !== 'source' && v !== undefined) out[k] = bare(v);
  return out;
}

describe('sql: IN (SELECT ...)', () => {
  it('prints back to the same tree', () => {
    for (const sql of [
      'SELECT a FROM t WHERE a IN (SELECT b FROM u WHERE c > ? ORDER BY b LIMIT 3) AND d = ?',
      'UPDATE t SET a = 1 WHERE id NOT IN (SELECT id FROM t WHERE a IN (SELECT x FROM y))',
      'DELETE FROM t WHERE a IS NULL OR a IN (SELECT max(a) FROM t GROUP BY b)',
    ]) {
      const tree = parse(sql);
      assert.deepEqual(bare(parse(printStatement(tree))), bare(tree), sql);
    }
  });

  it('binds ? in the sub-select and in the statement in the order written, with one now()', async () => {
    const db = await open(tempDir('helios-in-select-'));
    try {
      await db.write(
        't',
        [1, 2, 3, 4, 5].map((i) => ({ time: i, tags: { s: i % 2 ? 'odd' : 'even' }, fields: { v: i } })),
      );
      const res = await db.query(
        'SELECT v FROM t WHERE v IN (SELECT v FROM t WHERE v > ?) AND s = ? ORDER BY v',
        [2, 'odd'],
      );
      assert.deepEqual(res.rows, [{ v: 3 }, { v: 5 }]);
      let calls = 0;
      const now = () => 1000 + calls++;
      const same = await db.query(
        'SELECT now() AS a FROM t WHERE now() IN (SELECT now() FROM t) LIMIT 1',
        [],
        { now },
      );
      assert.deepEqual(same.rows, [{ a: 1000 }]);
    } finally {
      await db.close();
    }
  });

  it('runs the sync UPDATE of the vehicle fleet: the first 100 unsynced rows by id', async () => {
    const db = await open(tempDir('helios-in-select-'));
    try {
      await db.query(
        'CREATE TABLE locations (id INTEGER PRIMARY KEY AUTOINCREMENT, synced INTEGER DEFAULT 0, lat REAL)',
      );
      await db.query(
        `INSERT INTO locations (lat) VALUES ${Array.from({ length: 250 }, (_, i) => `(${i})`).join(', ')}`,
      );
      const sql =
        'UPDATE locations SET synced = 1 WHERE id IN (SELECT id FROM locations WHERE synced = 0 ORDER BY id LIMIT 100)';
      assert.equal((await db.query(sql)).changes, 100);
      assert.equal((await db.query(sql)).changes, 100);
      assert.equal((await db.query(sql)).changes, 50);
      assert.equal((await db.query(sql)).changes, 0);
      assert.deepEqual((await db.query('SELECT min(synced) AS lo, count(*) AS n FROM locations')).rows, [
        { lo: 1, n: 250 },
      ]);
    } finally {
      await db.close();
    }
  });
});
