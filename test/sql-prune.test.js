// Skipping chunks by their statistics for `field op number` filters must never change a result:
// random data (with NULLs and NaN), flushes, overwrites and thresholds, against a plain filter of
// every row.
const assert = require('node:assert/strict');
const fc = require('fast-check');
const { open } = require('../dist/engine');
const { tempDir } = require('./helpers');

const T0 = 1764000000000;
const OPS = {
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '=': (a, b) => a === b,
};

describe('SQL: chunks skipped by field statistics', () => {
  it('give the same rows as filtering every row', async () => {
    await fc.assert(
      fc.asyncProperty(
        // each batch's values lie in a narrow band, so chunk min/max sit near the thresholds
        fc.array(
          fc.record({
            base: fc.integer({ min: -50, max: 50 }),
            rows: fc.array(
              fc.record({
                t: fc.integer({ min: 0, max: 400 }),
                s: fc.constantFrom('a', 'b'),
                dv: fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constant(null), fc.constant(Number.NaN)),
              }),
              { minLength: 1, maxLength: 80 },
            ),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        fc.constantFrom(...Object.keys(OPS)),
        // thresholds near the values (relative to the first batch's band), where pruning decides
        fc.integer({ min: -2, max: 7 }),
        fc.option(fc.tuple(fc.constantFrom('<', '<='), fc.integer({ min: -2, max: 7 })), {
          nil: undefined,
        }),
        async (batches, op, dx, second) => {
          const x = batches[0].base + dx;
          const db = await open(tempDir('helios-prune-'), { chunkRows: 16, compactionTrigger: 0 });
          try {
            await db.createTable('r', { tags: ['s'], fields: { v: 'float', w: 'float' } });
            // Batches apart in time, so chunks do not overlap and their statistics are used
            // (one batch in two lands on the previous one's times: those parts are merged, unpruned).
            for (const [i, { base, rows }] of batches.entries()) {
              const offset = Math.floor(i / 2) * 1000 + (i % 2) * 500 * (base % 2 === 0 ? 1 : 0);
              await db.write(
                'r',
                rows.map((r) => ({
                  time: T0 + offset + r.t,
                  tags: { s: r.s },
                  fields: r.dv === null ? { w: 1 } : { v: base + r.dv },
                })),
              );
              await db.flush();
            }
            const where = second ? `v ${op} ? AND v ${second[0]} ?` : `v ${op} ?`;
            const params = second ? [x, batches[0].base + second[1]] : [x];
            const sql = `SELECT time, s, v FROM r WHERE ${where} ORDER BY s, time`;
            const got = await db.query(sql, params);
            const everyRow = await db.query(sql, params, { statistics: false });
            assert.deepEqual(got.rows, everyRow.rows);
            // aggregates and DISTINCT ON over the same filter skip the same chunks
            for (const q of [
              `SELECT s, count(*) AS n, min(v) AS lo, max(v) AS hi FROM r WHERE ${where} GROUP BY s ORDER BY s`,
              `SELECT DISTINCT ON (s) s, time, v FROM r WHERE ${where} ORDER BY s, time DESC`,
            ]) {
              assert.deepEqual(
                (await db.query(q, params)).rows,
                (await db.query(q, params, { statistics: false })).rows,
              );
            }
            // and, away from NaN (whose comparisons are the SQL layer's own), plain JS agrees
            const want = (await db.read('r'))
              .filter((r) => typeof r.v === 'number' && !Number.isNaN(r.v))
              .filter((r) => OPS[op](r.v, x) && (!second || OPS[second[0]](r.v, params[1])))
              .map((r) => ({ time: r.time, s: r.s, v: r.v }));
            assert.deepEqual(
              got.rows.filter((r) => !Number.isNaN(r.v)),
              want,
            );
          } finally {
            await db.close();
          }
        },
      ),
      { numRuns: 80 },
    );
  });

  it('reads only the chunks that can hold a match', async () => {
    const db = await open(tempDir(), { chunkRows: 100, compactionTrigger: 0 });
    const rows = [];
    for (let i = 0; i < 1000; i++)
      rows.push({ time: T0 + i, tags: { s: 'a' }, fields: { v: i === 555 ? 1000 : i % 100 } });
    await db.write('r', rows);
    await db.flush();
    const res = await db.query('SELECT time, v FROM r WHERE v > 500');
    assert.deepEqual(res.rows, [{ time: T0 + 555, v: 1000 }]);
    assert.equal(res.stats.chunks, 1, 'one chunk of ten decoded');
    await db.close();
  });
});
