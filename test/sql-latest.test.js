// "Latest value per series" reads only each series' newest part: it must still equal the answer
// over all rows, whatever mix of flushes, overwrites and deletes the data went through.
const assert = require('node:assert/strict');
const fc = require('fast-check');
const { open } = require('../dist/engine');
const { tempDir } = require('./helpers');

const T0 = 1764000000000;

describe('SQL: latest row per series from the newest part', () => {
  it('equals the newest row of each series over all rows, after flushes, overwrites and deletes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.array(
              fc.record({
                t: fc.integer({ min: 0, max: 300 }),
                s: fc.constantFrom('a', 'b', 'c'),
                v: fc.integer({ min: 0, max: 99 }),
              }),
              { minLength: 1, maxLength: 40 },
            ),
            fc.constant('flush'),
            fc.record({
              from: fc.integer({ min: 0, max: 300 }),
              len: fc.integer({ min: 0, max: 120 }),
              s: fc.constantFrom('a', 'b'),
            }),
          ),
          { minLength: 1, maxLength: 12 },
        ),
        async (steps) => {
          const db = await open(tempDir('helios-latest-'), { chunkRows: 16, compactionTrigger: 0 });
          try {
            for (const step of steps) {
              if (step === 'flush') await db.flush();
              else if (Array.isArray(step)) {
                await db.write(
                  'r',
                  step.map((x) => ({ time: T0 + x.t, tags: { s: x.s }, fields: { v: x.v } })),
                );
              } else {
                await db.deleteRows('r', {
                  from: T0 + step.from,
                  to: T0 + step.from + step.len,
                  tags: { s: step.s },
                });
              }
            }
            if (!db.tables().includes('r')) return;
            const all = await db.read('r');
            const newest = new Map();
            for (const row of all)
              if (!newest.has(row.s) || newest.get(row.s).time < row.time) newest.set(row.s, row);
            const expected = [...newest.values()]
              .sort((x, y) => (x.s < y.s ? -1 : 1))
              .map((r) => ({ s: r.s, time: r.time, v: r.v }));
            const got = await db.query('SELECT DISTINCT ON (s) s, time, v FROM r ORDER BY s, time DESC');
            assert.deepEqual(got.rows, expected);
            const oldest = new Map();
            for (const row of all)
              if (!oldest.has(row.s) || oldest.get(row.s).time > row.time) oldest.set(row.s, row);
            const first = await db.query('SELECT DISTINCT ON (s) s, time, v FROM r ORDER BY s, time');
            assert.deepEqual(
              first.rows,
              [...oldest.values()]
                .sort((x, y) => (x.s < y.s ? -1 : 1))
                .map((r) => ({ s: r.s, time: r.time, v: r.v })),
            );
          } finally {
            await db.close();
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
