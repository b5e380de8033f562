// No query can take the engine hostage (issue #19, M4 / item 6): timeoutMs and an AbortSignal stop a
// query with a SqlError, and group_concat outputs and sort / group / join working sets count toward
// maxBytes. Timings are loose bounds that a query was stopped rather than finished; the overshoot
// past the limit is measured by bench/query-limits.js.
const assert = require('node:assert/strict');
const { open, SqlError } = require('../dist/engine');
const { tempDir } = require('./helpers');

async function rejectsCode(promise, code, message) {
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof SqlError, `not a SqlError: ${err?.stack}`);
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
}

describe('query limits (#19)', function () {
  this.timeout(30000);
  let db;
  before(async () => {
    db = await open(tempDir('helios-limits-'));
    const rows = [];
    for (let i = 0; i < 20000; i++) {
      rows.push({ time: 1764000000000 + i, tags: { s: `k${i % 20}` }, fields: { v: i, w: `text-${i}` } });
    }
    await db.write('t', rows);
  });
  after(() => db.close());

  const RUNAWAY = 'SELECT count(*) AS n FROM t a JOIN t b ON a.v < b.v';

  it('M4: timeoutMs stops a runaway join with HELIOS_SQL_TIMEOUT naming the option', async () => {
    const started = Date.now();
    await rejectsCode(
      db.query(RUNAWAY, undefined, { timeoutMs: 150 }),
      'HELIOS_SQL_TIMEOUT',
      /limit of 150 ms \(timeoutMs\)/,
    );
    assert.ok(Date.now() - started < 10000);
    // a query within its limit is untouched
    const ok = await db.query('SELECT count(*) AS n FROM t', undefined, { timeoutMs: 20000 });
    assert.deepEqual(ok.rows, [{ n: 20000 }]);
  });

  it('M4: timeoutMs also stops a sort, a GROUP BY and a streamed iterate', async () => {
    for (const sql of [
      'SELECT a.w FROM t a JOIN t b ON a.s = b.s ORDER BY a.w DESC LIMIT 10',
      'SELECT a.v % 1000 AS g, count(*) AS n FROM t a JOIN t b ON a.v < b.v GROUP BY 1',
    ]) {
      await rejectsCode(
        db.query(sql, undefined, { timeoutMs: 100, maxRows: 1e9, maxBytes: 0 }),
        'HELIOS_SQL_TIMEOUT',
      );
    }
    await rejectsCode(
      (async () => {
        for await (const _ of db.iterate(RUNAWAY, undefined, { timeoutMs: 100 })) {
          /* drain */
        }
      })(),
      'HELIOS_SQL_TIMEOUT',
    );
  });

  it('M4: an AbortSignal cancels a running query with HELIOS_SQL_CANCELLED; an aborted one does not start', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    await rejectsCode(
      db.query(RUNAWAY, undefined, { signal: ac.signal }),
      'HELIOS_SQL_CANCELLED',
      /cancelled/,
    );
    await rejectsCode(db.query(RUNAWAY, undefined, { signal: ac.signal }), 'HELIOS_SQL_CANCELLED');
  });

  it('M4: group_concat output counts toward maxBytes, with a sentence naming the option', async () => {
    await rejectsCode(
      db.query('SELECT group_concat(w) AS g FROM t', undefined, { maxBytes: 100_000 }),
      'HELIOS_SQL_TOO_MANY_BYTES',
      /more than 100000 bytes \(group_concat \/ string_agg output\); maxBytes allows 100000/,
    );
    await rejectsCode(
      db.query("SELECT s, string_agg(w, ';') AS g FROM t GROUP BY s", undefined, { maxBytes: 100_000 }),
      'HELIOS_SQL_TOO_MANY_BYTES',
    );
    const ok = await db.query('SELECT group_concat(w) AS g FROM t', undefined, { maxBytes: 10_000_000 });
    assert.equal(ok.rows[0].g.split(',').length, 20000);
  });

  it('M4: sort, GROUP BY and JOIN working sets count toward maxBytes', async () => {
    const opts = { maxBytes: 200_000 };
    await rejectsCode(
      db.query('SELECT w FROM t ORDER BY w', undefined, opts),
      'HELIOS_SQL_TOO_MANY_BYTES',
      /rows to sort/,
    );
    await rejectsCode(
      db.query('SELECT w, count(*) AS n FROM t GROUP BY w', undefined, opts),
      'HELIOS_SQL_TOO_MANY_BYTES',
      /groups of GROUP BY/,
    );
    await rejectsCode(
      db.query('SELECT count(*) AS n FROM t a JOIN t b ON a.v = b.v', undefined, opts),
      'HELIOS_SQL_TOO_MANY_BYTES',
      /right side of a JOIN/,
    );
    await rejectsCode(
      db.query('SELECT DISTINCT w FROM t', undefined, opts),
      'HELIOS_SQL_TOO_MANY_BYTES',
      /distinct rows/,
    );
    // the default (256 MiB) lets these through
    assert.equal((await db.query('SELECT w FROM t ORDER BY w')).rows.length, 20000);
  });

  it('M4: a group_concat of more than 16,384 parts is joined in pieces, to the same text', async () => {
    const r = await db.query("SELECT group_concat(w, '|') AS g, count(*) AS n FROM t");
    const expected = [];
    for (let i = 0; i < 20000; i++) expected.push(`text-${i}`);
    assert.equal(r.rows[0].n, 20000);
    assert.deepEqual(r.rows[0].g.split('|').sort(), expected.sort());
    assert.equal(r.rows[0].g.length, expected.join('|').length);
  });

  it('M4: more than 2,000 GROUP BY, ORDER BY or select terms are refused (as SQLite), 2,000 still run', async () => {
    const terms = (n) => Array.from({ length: n }, (_, i) => `v + ${i}`).join(', ');
    await rejectsCode(
      db.query(`SELECT count(*) AS n FROM t GROUP BY ${terms(5000)}`),
      'HELIOS_SQL_TOO_COMPLEX',
      /GROUP BY has more than 2000 terms/,
    );
    await rejectsCode(
      db.query(`SELECT v FROM t ORDER BY ${terms(2001)}`),
      'HELIOS_SQL_TOO_COMPLEX',
      /ORDER BY has more than 2000/,
    );
    await rejectsCode(
      db.query(`SELECT ${terms(2001)} FROM t`),
      'HELIOS_SQL_TOO_COMPLEX',
      /select list has more than 2000/,
    );
    const ok = await db.query(`SELECT ${terms(2000)} FROM t LIMIT 1`);
    assert.equal(ok.columns.length, 2000);
  });
});
