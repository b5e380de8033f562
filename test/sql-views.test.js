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
