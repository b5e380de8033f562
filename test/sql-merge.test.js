// ORDER BY time over a table scan is a merge of the series' runs (engine/exec/scan-merge.ts), not a
// sort: on random data (several series with equal times, NULLs, flushes, overwrites, deletes, head
// rows) it must give exactly the rows, in the order, that the general sort gives. The general sort
// is reached by ordering by `time + 0`, which the merge does not recognise.
const assert = require('node:assert/strict');
const fc = require('fast-check');
const { open } = require('../dist/engine');
const { applyStep, tempDir } = require('./helpers');

const T0 = 1764000000000;
const MERGE_NOTE = "merge: each series' rows come in time order; merged, not sorted";

/** Readings on a small time grid, so that series often share a time (ties between runs). */
const reading = fc.record({
  t: fc.integer({ min: 0, max: 60 }),
  s: fc.constantFrom('a', 'b', 'c', 'd'),
  v: fc.option(fc.integer({ min: -5, max: 5 }), { nil: null }),
});

const command = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.array(reading, { minLength: 1, maxLength: 40 }).map((rows) => ({ kind: 'write', rows })),
  },
  { weight: 3, arbitrary: fc.constant({ kind: 'flush' }) },
  {
    weight: 1,
    arbitrary: fc
      .record({ from: fc.integer({ min: 0, max: 60 }), len: fc.integer({ min: 0, max: 20 }) })
      .map((d) => ({ kind: 'delete', ...d })),
  },
);

/** The ORDER BY clauses and WHERE conditions combined into queries. */
const ORDERS = ['time', 'time DESC', 'time DESC, s', 'time, v DESC, s', 'time DESC, v'];
const WHERES = [
  '',
  'WHERE v > 0',
  "WHERE s IN ('a', 'c')",
  "WHERE s = 'b' AND time >= ?1",
  'WHERE time < ?1',
];
const SELECTS = ['time, s, v', 's, v', 'v AS value, time AS t2'];
const LIMITS = ['', 'LIMIT 3', 'LIMIT 7 OFFSET 2', 'LIMIT 5000'];

function toReading(r) {
  return { time: T0 + r.t, tags: { s: r.s }, fields: r.v === null ? { w: 1 } : { v: r.v } };
}

/** The same query with its first ORDER BY key `time` written `time + 0` (the general sort). */
function generalForm(sql) {
  return sql.replace(/ORDER BY time/, 'ORDER BY time + 0');
}

describe('SQL: ORDER BY time as a merge of series', () => {
  it('gives the rows and order of the general sort', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(command, { minLength: 1, maxLength: 10 }),
        fc.constantFrom(...SELECTS),
        fc.constantFrom(...WHERES),
        fc.constantFrom(...ORDERS),
        fc.constantFrom(...LIMITS),
        fc.integer({ min: 0, max: 60 }),
        async (commands, select, where, order, limit, at) => {
          const db = await open(tempDir('helios-merge-'), { chunkRows: 8, compactionTrigger: 0 });
          try {
            await db.createTable('r', { tags: ['s'], fields: { v: 'int', w: 'int' } });
            for (const cmd of commands) await applyStep(db, cmd, T0, toReading);
            const sql = `SELECT ${select} FROM r ${where} ORDER BY ${order} ${limit}`;
            const params = where.includes('?1') ? [T0 + at] : [];
            const merged = await db.query(sql, params);
            const sorted = await db.query(generalForm(sql), params);
            assert.deepStrictEqual(merged.columns, sorted.columns, sql);
            assert.deepStrictEqual(merged.rows, sorted.rows, sql);
          } finally {
            await db.close();
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('is the path EXPLAIN names, and the `time + 0` oracle is not', async () => {
    const db = await open(tempDir('helios-merge-'));
    try {
      await db.write('r', [{ time: T0, tags: { s: 'a' }, fields: { v: 1 } }]);
      const plan = async (sql) => (await db.query(`EXPLAIN ${sql}`)).rows.map((r) => r.plan);
      const sql = "SELECT s, v FROM r WHERE v > 0 AND s = 'a' ORDER BY time DESC, s";
      assert.ok((await plan(sql)).some((line) => line.trim() === MERGE_NOTE));
      assert.ok(!(await plan(generalForm(sql))).some((line) => line.includes('merge:')));
      // a sort over something other than a scan is left to the general sort
      const grouped = 'SELECT s, max(time) AS time FROM r GROUP BY s ORDER BY time';
      assert.ok(!(await plan(grouped)).some((line) => line.includes('merge:')));
    } finally {
      await db.close();
    }
  });

  it('merges many series of equal times in series order, newest first', async () => {
    const db = await open(tempDir('helios-merge-'), { chunkRows: 4 });
    try {
      const readings = [];
      for (let t = 0; t < 10; t++)
        for (const s of ['c', 'a', 'b'])
          readings.push({ time: T0 + t * 1000, tags: { s }, fields: { v: t } });
      await db.write('r', readings);
      await db.flush();
      await db.write('r', [{ time: T0 + 9000, tags: { s: 'a' }, fields: { v: -9 } }]);
      const res = await db.query('SELECT time, s, v FROM r ORDER BY time DESC LIMIT 4');
      assert.deepStrictEqual(
        res.rows.map((r) => `${(r.time - T0) / 1000} ${r.s} ${r.v}`),
        ['9 a -9', '9 b 9', '9 c 9', '8 a 8'],
      );
    } finally {
      await db.close();
    }
  });
});
