// ORDER BY <numeric field> LIMIT n over a table scan keeps its top-N heap inside the scan
// (engine/exec/scan-topn.ts): a row is built only when its first key would enter the heap, and
// chunks whose statistics rule it out are not decoded. On random data (several series with equal
// values, NULLs, NaN, -0, infinities, flushes, deletes, head rows) it must give exactly the rows,
// in the order, that the general sort gives. The general sort is reached by ordering by `v + 0`,
// which the fused path does not recognise.
const assert = require('node:assert/strict');
const fc = require('fast-check');
const { open } = require('../dist/engine');
const { applyStep, tempDir } = require('./helpers');

const T0 = 1764000000000;
const TOP_N_NOTE = 'top-N in the scan: a row is built only when its first key enters the heap';

/** Few distinct values, so that rows tie across series and within them. */
const value = fc.option(
  fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: -3, max: 3 }) },
    { weight: 1, arbitrary: fc.constantFrom(Number.NaN, -0, 0.5, Number.POSITIVE_INFINITY, -Infinity) },
  ),
  { nil: null, freq: 4 },
);

/** Steps of time: a write in order covers one, so that chunks do not overlap and keep statistics. */
const STEP = 20;
const STEPS = 12;

const reading = fc.record({
  t: fc.integer({ min: 0, max: STEP - 1 }),
  s: fc.constantFrom('a', 'b', 'c', 'd'),
  v: value,
  x: fc.option(fc.integer({ min: 0, max: 2 }), { nil: null }),
});

/**
 * Rows at times in the next step (most writes), or late ones anywhere in the steps so far. Some
 * writes have no NULL v, some no v at all (chunks without the field), so that chunk statistics
 * with and without NULLs meet a full heap.
 */
const write = fc
  .record({
    rows: fc.array(reading, { minLength: 1, maxLength: 40 }),
    late: fc.boolean(),
    vs: fc.constantFrom('mixed', 'mixed', 'numbers', 'none'),
  })
  .map((w) => ({ kind: 'write', ...w }));

const command = fc.oneof(
  { weight: 5, arbitrary: write },
  { weight: 3, arbitrary: fc.constant({ kind: 'flush' }) },
  {
    weight: 1,
    arbitrary: fc
      .record({ from: fc.integer({ min: 0, max: STEP * STEPS }), len: fc.integer({ min: 0, max: 30 }) })
      .map((d) => ({ kind: 'delete', ...d })),
  },
);

/** The commands with each write's times moved into its step (a late one spread over the steps so far). */
function placed(commands) {
  let step = 0;
  return commands.map((cmd) => {
    if (cmd.kind !== 'write') return cmd;
    if (!cmd.late) step++;
    const at = (r, i) => (cmd.late ? (r.t * STEPS + i) % (step * STEP + STEP) : step * STEP + r.t);
    const v = (r) => (cmd.vs === 'none' ? null : cmd.vs === 'numbers' ? (r.v ?? r.t % 4) : r.v);
    return { kind: 'write', rows: cmd.rows.map((r, i) => ({ ...r, t: at(r, i), v: v(r) })) };
  });
}

/** The ORDER BY clauses (first key v), WHERE conditions and the rest, combined into queries. */
const ORDERS = [
  'v',
  'v DESC',
  'v NULLS LAST',
  'v DESC NULLS FIRST',
  'v DESC, s',
  'v, x DESC',
  'v DESC NULLS FIRST, time DESC',
  'v NULLS LAST, s DESC, time',
];
const WHERES = [
  '',
  'WHERE v > 0', // chunks skipped by the WHERE's bounds instead
  'WHERE x = 1',
  "WHERE s IN ('a', 'c')",
  "WHERE s = 'b' AND time >= ?1",
  'WHERE time < ?1 AND v IS NOT NULL',
  'WHERE v + 0 < 2',
  "WHERE s LIKE 'a%' OR x IS NULL",
];
const SELECTS = ['time, s, v', 's, v', 'v AS value, time AS t2', 'time', 'x, v, s'];
const LIMITS = ['LIMIT 1', 'LIMIT 3', 'LIMIT 7 OFFSET 2', 'LIMIT 0', 'LIMIT 50', 'LIMIT 5000'];

const query = fc.record({
  select: fc.constantFrom(...SELECTS),
  where: fc.constantFrom(...WHERES),
  order: fc.constantFrom(...ORDERS),
  limit: fc.constantFrom(...LIMITS),
  at: fc.integer({ min: 0, max: STEP * STEPS }),
  statistics: fc.boolean(),
});

function toReading(r) {
  const fields = {};
  if (r.v !== null) fields.v = r.v;
  if (r.x !== null) fields.x = r.x;
  if (r.v === null && r.x === null) fields.w = 1;
  return { time: T0 + r.t, tags: { s: r.s }, fields };
}

/** The same query with its first ORDER BY key `v` written `v + 0` (the general sort). */
function generalForm(sql) {
  return sql.replace(/ORDER BY v/, 'ORDER BY v + 0');
}

async function withTable(options, fill, body) {
  const db = await open(tempDir('helios-topn-'), { compactionTrigger: 0, ...options });
  try {
    await db.createTable('r', { tags: ['s'], fields: { v: 'float', x: 'int', w: 'int' } });
    await fill(db);
    await body(db);
  } finally {
    await db.close();
  }
}

describe('SQL: ORDER BY a field LIMIT n as a top-N fused into the scan', () => {
  it('gives the rows and order of the general sort', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(command, { minLength: 1, maxLength: STEPS }),
        fc.array(query, { minLength: 1, maxLength: 4 }),
        async (commands, queries) => {
          const fill = async (db) => {
            for (const cmd of placed(commands)) await applyStep(db, cmd, T0, toReading);
          };
          await withTable({ chunkRows: 16 }, fill, async (db) => {
            for (const q of queries) {
              const sql = `SELECT ${q.select} FROM r ${q.where} ORDER BY ${q.order} ${q.limit}`;
              const params = q.where.includes('?1') ? [T0 + q.at] : [];
              const options = { statistics: q.statistics };
              const fused = await db.query(sql, params, options);
              const sorted = await db.query(generalForm(sql), params, options);
              const what = `${sql} (statistics ${q.statistics})`;
              assert.deepStrictEqual(fused.columns, sorted.columns, what);
              assert.deepStrictEqual(fused.rows, sorted.rows, what);
            }
          });
        },
      ),
      { numRuns: 150 },
    );
  });

  it('is the path EXPLAIN names, and the `v + 0` oracle is not', async () => {
    const fill = (db) => db.write('r', [{ time: T0, tags: { s: 'a' }, fields: { v: 1 } }]);
    await withTable({}, fill, async (db) => {
      const plan = async (sql) => (await db.query(`EXPLAIN ${sql}`)).rows.map((r) => r.plan);
      const named = async (sql) => (await plan(sql)).some((line) => line.trim() === TOP_N_NOTE);
      const sql = "SELECT s, v FROM r WHERE x > 0 AND s = 'a' ORDER BY v DESC, s LIMIT 10";
      assert.ok(await named(sql));
      assert.ok(!(await named(generalForm(sql))));
      // no LIMIT, one too big for a heap, a tag or time first, a sort over an aggregate: not this path
      assert.ok(!(await named('SELECT v FROM r ORDER BY v')));
      assert.ok(!(await named('SELECT v FROM r ORDER BY v LIMIT 4097')));
      assert.ok(await named('SELECT v FROM r ORDER BY v LIMIT 4090 OFFSET 6'));
      assert.ok(!(await named('SELECT v FROM r ORDER BY v LIMIT 4090 OFFSET 7')));
      assert.ok(!(await named('SELECT s, v FROM r ORDER BY s LIMIT 3')));
      assert.ok(!(await named('SELECT time, v FROM r ORDER BY time LIMIT 3')));
      assert.ok(!(await named('SELECT s, max(v) AS v FROM r GROUP BY s ORDER BY v LIMIT 3')));
    });
  });

  it('orders equal values by series, then time, as the stable sort does', async () => {
    const fill = async (db) => {
      const readings = [];
      for (let t = 0; t < 10; t++)
        for (const s of ['c', 'a', 'b']) readings.push({ time: T0 + t, tags: { s }, fields: { v: t % 2 } });
      await db.write('r', readings);
      await db.flush();
      await db.write('r', [{ time: T0 + 3, tags: { s: 'a' }, fields: { v: -0 } }]);
    };
    await withTable({}, fill, async (db) => {
      const res = await db.query('SELECT time, s, v FROM r ORDER BY v LIMIT 5');
      assert.deepStrictEqual(
        res.rows.map((r) => `${r.time - T0} ${r.s} ${Object.is(r.v, -0) ? '-0' : r.v}`),
        ['0 a 0', '2 a 0', '3 a -0', '4 a 0', '6 a 0'],
      );
    });
  });

  it('reads a chunk for its NULLs when they go first, whatever its min and max', async () => {
    // chunks of 16 rows (the smallest chunkRows): 5..20; 30..45 with a NULL; 1..10 with a NULL
    const chunks = [(i) => 5 + i, (i) => (i === 5 ? null : 30 + i), (i) => (i === 9 ? null : 1 + (i % 10))];
    const fill = async (db) => {
      const readings = [];
      chunks.forEach((valueAt, c) => {
        for (let i = 0; i < 16; i++) {
          const v = valueAt(i);
          readings.push({ time: T0 + c * 16 + i, tags: { s: 'a' }, fields: v === null ? { x: 0 } : { v } });
        }
      });
      await db.write('r', readings);
      await db.flush();
    };
    await withTable({ chunkRows: 16 }, fill, async (db) => {
      for (const order of ['v', 'v DESC NULLS FIRST']) {
        const sql = `SELECT time, v FROM r ORDER BY ${order} LIMIT 2`;
        const res = await db.query(sql);
        assert.deepStrictEqual(
          res.rows.map((r) => `${r.time - T0} ${r.v}`),
          ['21 null', '41 null'],
          sql,
        );
        assert.deepStrictEqual(res.rows, (await db.query(generalForm(sql))).rows, sql);
      }
    });
  });

  it('skips the chunks whose statistics show no row can enter the heap', async () => {
    const SERIES = ['a', 'b', 'c', 'd'];
    const ROWS = 400;
    const fill = async (db) => {
      const readings = [];
      for (const s of SERIES)
        for (let t = 0; t < ROWS; t++) readings.push({ time: T0 + t, tags: { s }, fields: { v: t % 100 } });
      await db.write('r', readings);
      await db.flush();
    };
    await withTable({ chunkRows: 16 }, fill, async (db) => {
      const sql = 'SELECT time, s, v FROM r ORDER BY v DESC LIMIT 5';
      const fused = await db.query(sql);
      assert.deepStrictEqual(
        fused.rows.map((r) => `${r.s} ${r.time - T0} ${r.v}`),
        ['a 99 99', 'a 199 99', 'a 299 99', 'a 399 99', 'b 99 99'],
      );
      assert.deepStrictEqual(fused.rows, (await db.query(generalForm(sql))).rows);
      const total = SERIES.length * ROWS;
      assert.ok(fused.stats.rowsScanned < total / 4, `decoded ${fused.stats.rowsScanned} of ${total} rows`);
      const decoded = await db.query(sql, [], { statistics: false });
      assert.equal(decoded.stats.rowsScanned, total);
      assert.deepStrictEqual(decoded.rows, fused.rows);
    });
  });

  it("skips chunks by the WHERE's bounds and by the heap together", async () => {
    // values fall with time: the WHERE rules out the first half of the chunks, and once the heap
    // is full from the first chunk that passes, the heap rules out every chunk after it
    const fill = async (db) => {
      const readings = [];
      for (let t = 0; t < 1024; t++)
        readings.push({ time: T0 + t, tags: { s: 'a' }, fields: { v: 1023 - t } });
      await db.write('r', readings);
      await db.flush();
    };
    await withTable({ chunkRows: 16 }, fill, async (db) => {
      const sql = 'SELECT v FROM r WHERE v < 500 ORDER BY v DESC LIMIT 3';
      const fused = await db.query(sql);
      assert.deepStrictEqual(
        fused.rows.map((r) => r.v),
        [499, 498, 497],
      );
      assert.deepStrictEqual(fused.rows, (await db.query(generalForm(sql))).rows);
      assert.equal(fused.stats.rowsScanned, 16, 'one chunk decoded');
    });
  });
});
