// A scan's WHERE runs a column at a time (engine/exec/filter-vector.ts): comparisons of a numeric
// column with a number and IS [NOT] NULL as loops over the typed arrays, tag-only terms once per
// series, the rest per row. On random data (NULLs, NaN, -0, infinities, flushes, deletes, head
// rows) every fused scan must give exactly what the per-row predicate gives. The per-row form of a
// term reads `v + 0` instead of `v`, which the column loops do not take.
const assert = require('node:assert/strict');
const fc = require('fast-check');
const { open } = require('../dist/engine');
const { applyStep, tempDir } = require('./helpers');

const T0 = 1764000000000;

const number = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: -3, max: 3 }) },
  { weight: 2, arbitrary: fc.constantFrom(0.5, -1.5) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(Number.NaN, -0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
  },
);

const reading = fc.record({
  t: fc.integer({ min: 0, max: 40 }),
  s: fc.constantFrom('a', 'b', 'c'),
  v: fc.option(number, { nil: null }),
  i: fc.option(fc.integer({ min: -3, max: 3 }), { nil: null }),
  b: fc.option(fc.boolean(), { nil: null }),
});

const command = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.array(reading, { minLength: 1, maxLength: 30 }).map((rows) => ({ kind: 'write', rows })),
  },
  { weight: 2, arbitrary: fc.constant({ kind: 'flush' }) },
  {
    weight: 1,
    arbitrary: fc
      .record({ from: fc.integer({ min: 0, max: 40 }), len: fc.integer({ min: 0, max: 10 }) })
      .map((d) => ({ kind: 'delete', ...d })),
  },
);

/** Constants the comparisons use, as SQL text. */
const CONSTANTS = ['0', '1', '-1', '0.5', '2.5', '-0.0', '1e308'];
const OPS = ['<', '<=', '=', '>=', '>', '!=', '<>'];

/** One AND term: [the form the column loops take, the per-row form]. */
const term = fc.oneof(
  fc
    .tuple(fc.constantFrom('v', 'i'), fc.constantFrom(...OPS), fc.constantFrom(...CONSTANTS), fc.boolean())
    .map(([col, op, k, flipped]) =>
      flipped
        ? [`${k} ${op} ${col}`, `${k} ${op} ${col} + 0`]
        : [`${col} ${op} ${k}`, `${col} + 0 ${op} ${k}`],
    ),
  fc
    .tuple(fc.constantFrom('v', 'i'), fc.boolean())
    .map(([col, not]) => [`${col} IS ${not ? 'NOT ' : ''}NULL`, `${col} + 0 IS ${not ? 'NOT ' : ''}NULL`]),
  // not pushed down to the scan: a time comparison the column loop answers
  fc
    .constantFrom(...OPS.filter((op) => op === '!=' || op === '<>'))
    .map((op) => [`time ${op} ?1`, `time + 0 ${op} ?1`]),
  // tag-only terms, decided once per series; `OR time IS NULL` (never true) makes them per-row
  fc.constantFrom(
    ["s != 'b'", "(s != 'b' OR time IS NULL)"],
    ["upper(s) = 'C'", "(upper(s) = 'C' OR time IS NULL)"],
  ),
  // left to the per-row residual in both forms
  fc.constantFrom(
    ['v + i > 0', 'v + i > 0'],
    ['(v > 1 OR i < 0)', '(v + 0 > 1 OR i + 0 < 0)'],
    ['b = 1', 'b = 1'],
  ),
);

const SHAPES = [
  (where) => `SELECT time, s, v, i FROM r ${where}`,
  (where) => `SELECT time, s, v FROM r ${where} ORDER BY time DESC`,
  (where) => `SELECT time, s, i FROM r ${where} ORDER BY time LIMIT 4`,
  (where) =>
    `SELECT s, count(*) AS n, count(v) AS nv, min(i) AS lo, max(v) AS hi FROM r ${where} GROUP BY s ORDER BY s`,
  (where) => `SELECT count(*) AS n, sum(i) AS total FROM r ${where}`,
  (where) => `SELECT DISTINCT ON (s) s, time, v FROM r ${where} ORDER BY s, time DESC`,
];

function toReading(r) {
  const fields = { w: 1 };
  if (r.v !== null) fields.v = r.v;
  if (r.i !== null) fields.i = r.i;
  if (r.b !== null) fields.b = r.b;
  return { time: T0 + r.t, tags: { s: r.s }, fields };
}

describe('SQL: WHERE a column at a time', () => {
  it('gives what the per-row predicate gives, in every fused scan', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(command, { minLength: 1, maxLength: 8 }),
        fc.array(term, { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 0, max: SHAPES.length - 1 }),
        fc.integer({ min: 0, max: 40 }),
        async (commands, terms, shape, at) => {
          const db = await open(tempDir('helios-filter-'), { chunkRows: 8, compactionTrigger: 0 });
          try {
            await db.createTable('r', { tags: ['s'], fields: { v: 'float', i: 'int', b: 'bool', w: 'int' } });
            for (const cmd of commands) await applyStep(db, cmd, T0, toReading);
            const fast = SHAPES[shape](`WHERE ${terms.map((t) => t[0]).join(' AND ')}`);
            const general = SHAPES[shape](`WHERE ${terms.map((t) => t[1]).join(' AND ')}`);
            const params = [T0 + at];
            const a = await db.query(fast, params);
            const b = await db.query(general, params);
            assert.deepStrictEqual(a.rows, b.rows, `${fast}\n${general}`);
          } finally {
            await db.close();
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('reads NaN as ordered before every number, and NULL as passing no comparison', async () => {
    const db = await open(tempDir('helios-filter-'));
    try {
      await db.createTable('r', { tags: ['s'], fields: { v: 'float', w: 'int' } });
      const values = [Number.NaN, -0, 1, null, Number.POSITIVE_INFINITY];
      await db.write(
        'r',
        values.map((v, k) => ({ time: T0 + k, tags: { s: 'a' }, fields: v === null ? { w: 1 } : { v } })),
      );
      await db.flush();
      const times = async (where) =>
        (await db.query(`SELECT time FROM r WHERE ${where}`)).rows.map((r) => r.time - T0);
      assert.deepStrictEqual(await times('v < 1'), [0, 1]);
      assert.deepStrictEqual(await times('v > 0'), [2, 4]);
      assert.deepStrictEqual(await times('v = 0'), [1]);
      assert.deepStrictEqual(await times('v != 1'), [0, 1, 4]);
      assert.deepStrictEqual(await times('v IS NULL'), [3]);
      assert.deepStrictEqual(await times('v IS NOT NULL AND v >= 1'), [2, 4]);
      assert.deepStrictEqual(await times('1 > v'), [0, 1]);
    } finally {
      await db.close();
    }
  });

  it('reads no part of a series whose tags fail a tag-only term', async () => {
    const db = await open(tempDir('helios-filter-'), { chunkRows: 16 });
    try {
      const readings = [];
      for (const s of ['a1', 'a2', 'b1'])
        for (let t = 0; t < 64; t++) readings.push({ time: T0 + t, tags: { s }, fields: { v: t } });
      await db.write('r', readings);
      await db.flush();
      const shapes = [
        "SELECT s, v FROM r WHERE s LIKE 'a%' AND v >= 0",
        "SELECT s, v FROM r WHERE s LIKE 'a%' ORDER BY time",
        "SELECT s, count(*) AS n FROM r WHERE s != 'b1' GROUP BY s",
        "SELECT s, v FROM r WHERE upper(s) = 'B1' ORDER BY v DESC LIMIT 3",
      ];
      for (const sql of shapes) {
        const res = await db.query(sql);
        const series = sql.includes('B1') ? 1 : 2;
        assert.equal(res.stats.rowsScanned, 64 * series, sql);
        assert.equal(res.stats.chunks, 4 * series, sql);
      }
    } finally {
      await db.close();
    }
  });
});
