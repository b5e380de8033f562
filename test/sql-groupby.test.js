// GROUP BY time_bucket(...) plus tags over a scan: the fused paths (chunk statistics with decoded
// runs per bucket, engine/exec/scan-stats.ts; whole columns per bucket run, aggregates' addColumn)
// against the row-by-row accumulators, reached by aggregating `v + 0` (an expression, which no fast
// path takes). Random series with NULLs, flushes, overwrites, deletes and head rows.
const assert = require('node:assert/strict');
const fc = require('fast-check');
const { open } = require('../dist/engine');
const { applyStep, tempDir } = require('./helpers');

const T0 = 1764000000000;

/** Aggregates over v and n; `{x}` is the argument (a column, or the column + 0 for the oracle). */
const AGGREGATES = ['sum({v})', 'avg({v})', 'count({v})', 'min({v})', 'max({v})', 'total({n})', 'avg({n})'];

/** Times on a grid of 5 ms, so that rows often sit exactly on a bucket boundary. */
function readingOf(value) {
  return fc.record({
    t: fc.integer({ min: 0, max: 80 }).map((k) => k * 5),
    s: fc.constantFrom('a', 'b', 'c'),
    m: fc.constantFrom('x', 'y'),
    v: fc.option(value, { nil: null }),
    n: fc.option(fc.integer({ min: -1000, max: 1000 }), { nil: null }),
  });
}

function commandOf(value) {
  return fc.oneof(
    {
      weight: 5,
      arbitrary: fc
        .array(readingOf(value), { minLength: 1, maxLength: 60 })
        .map((rows) => ({ kind: 'write', rows })),
    },
    { weight: 3, arbitrary: fc.constant({ kind: 'flush' }) },
    {
      weight: 1,
      arbitrary: fc
        .record({ from: fc.integer({ min: 0, max: 400 }), len: fc.integer({ min: 0, max: 60 }) })
        .map((d) => ({ kind: 'delete', ...d })),
    },
  );
}

function toReading(r) {
  const fields = {};
  if (r.v !== null) fields.v = r.v;
  if (r.n !== null) fields.n = r.n;
  if (r.v === null && r.n === null) fields.w = 1;
  return { time: T0 + r.t, tags: { s: r.s, m: r.m }, fields };
}

const query = fc.record({
  width: fc.constantFrom(5, 10, 15, 25, 40, 100),
  origin: fc.option(fc.integer({ min: -20, max: 20 }), { nil: undefined }),
  keys: fc.constantFrom('m', 's', 'm, s'),
  range: fc.option(fc.tuple(fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 400 })), {
    nil: undefined,
  }),
  filterTag: fc.boolean(),
});

/** The query text with `{v}` / `{n}` as given, and its parameters. */
function build(q, arg) {
  const bucket =
    q.origin === undefined
      ? `time_bucket(${q.width}, time)`
      : `time_bucket(${q.width}, time, ${T0 + q.origin})`;
  const aggs = AGGREGATES.map((a) => a.replace('{v}', arg('v')).replace('{n}', arg('n'))).join(', ');
  const where = [];
  const params = [];
  if (q.range) {
    where.push(`time >= ?${params.length + 1} AND time <= ?${params.length + 2}`);
    params.push(T0 + Math.min(...q.range), T0 + Math.max(...q.range));
  }
  if (q.filterTag) where.push("m = 'x'");
  const sql =
    `SELECT ${bucket} AS b, ${q.keys}, ${aggs} FROM r ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ` +
    `GROUP BY b, ${q.keys} ORDER BY b, ${q.keys}`;
  return { sql, params };
}

/** Results with the aggregate columns named alike (the oracle's are named after `v + 0`). */
function valuesOf(res) {
  return res.rows.map((r) => Object.values(r));
}

async function withDatabase(commands, body) {
  const db = await open(tempDir('helios-groupby-'), { chunkRows: 8, compactionTrigger: 0 });
  try {
    await db.createTable('r', { tags: ['s', 'm'], fields: { v: 'float', n: 'int', w: 'int' } });
    for (const cmd of commands) await applyStep(db, cmd, T0, toReading);
    await body(db);
  } finally {
    await db.close();
  }
}

const plain = (c) => c;
const rowByRow = (c) => `${c} + 0`;

describe('SQL: GROUP BY time_bucket and tags, fused paths against row by row', () => {
  it('chunk statistics and bucket runs give the row-by-row results (exact values)', async () => {
    let fromStats = 0;
    await fc.assert(
      fc.asyncProperty(
        // quarters: sums are exact whatever the order, so statistics must agree to the bit
        fc.array(commandOf(fc.integer({ min: -400, max: 400 }).map((x) => x / 4)), {
          minLength: 1,
          maxLength: 10,
        }),
        query,
        async (commands, q) => {
          await withDatabase(commands, async (db) => {
            const fast = build(q, plain);
            const slow = build(q, rowByRow);
            const got = await db.query(fast.sql, fast.params);
            const want = await db.query(slow.sql, slow.params);
            assert.deepStrictEqual(valuesOf(got), valuesOf(want), fast.sql);
            fromStats += want.stats.rowsScanned - got.stats.rowsScanned;
          });
        },
      ),
      { numRuns: 120 },
    );
    // the property is about the statistics path: it must have answered some rows
    assert.ok(fromStats > 0, 'no rows were answered from statistics');
  });

  it('decoded bucket runs sum in the order of the rows (any floats, to the bit)', async () => {
    await fc.assert(
      fc.asyncProperty(
        // thirds of varied size: nearly every addition rounds, so the order and the compensation show
        fc.array(commandOf(fc.integer({ min: -1e9, max: 1e9 }).map((k) => k / 3)), {
          minLength: 1,
          maxLength: 8,
        }),
        query,
        async (commands, q) => {
          await withDatabase(commands, async (db) => {
            const fast = build(q, plain);
            const slow = build(q, rowByRow);
            const got = await db.query(fast.sql, fast.params, { statistics: false });
            const want = await db.query(slow.sql, slow.params, { statistics: false });
            assert.deepStrictEqual(valuesOf(got), valuesOf(want), fast.sql);
          });
        },
      ),
      { numRuns: 80 },
    );
  });
});
