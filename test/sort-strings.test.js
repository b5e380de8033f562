// sortStrings: the engine's sliced sort of series keys must order exactly as Array#sort does.
const assert = require('node:assert/strict');
const fc = require('fast-check');
const { sortStrings } = require('../dist/engine/util/sort-strings');

describe('engine: sortStrings', () => {
  it('orders as Array#sort, across run and merge boundaries', async () => {
    // lengths from empty to several runs of 4096 (the merges are what can go wrong)
    const lengths = fc.integer({ min: 0, max: 20000 });
    await fc.assert(
      fc.asyncProperty(lengths, fc.integer(), async (n, seed) => {
        let x = seed >>> 0;
        const items = Array.from({ length: n }, () => {
          x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
          return (x % 5000).toString(36);
        });
        assert.deepEqual(await sortStrings(items), [...items].sort());
      }),
      { numRuns: 25 },
    );
  });
});
