// The head and the read path order a series' rows by (time, rowid) and keep the last write of each
// identity. They merge runs that are in order already and sort otherwise; both ways must agree
// with the plain definition: a stable sort, then the last row of each identity.
const assert = require('node:assert/strict');
const fc = require('fast-check');
const { latestByIdentity, mergeRunsByIdentity, ROWID_FIELD } = require('../dist/engine/rows/identity');

function rowsOf(list) {
  const n = list.length;
  const times = Float64Array.from(list.map((r) => r.t));
  const ids = new Float64Array(n);
  const present = new Uint8Array(n);
  list.forEach((r, i) => {
    if (r.id !== null) {
      ids[i] = r.id;
      present[i] = 1;
    }
  });
  const fields = new Map([[ROWID_FIELD, { type: 'int', values: ids, present }]]);
  return { tags: {}, count: n, times, fields };
}

function reference(list) {
  const key = (r) => `${r.t}|${r.id}`;
  const order = list.map((r, i) => ({ ...r, i }));
  order.sort((a, b) => a.t - b.t || (a.id ?? -Infinity) - (b.id ?? -Infinity) || a.i - b.i);
  const last = new Map();
  for (const r of order) last.set(key(r), r.i);
  return order.filter((r) => last.get(key(r)) === r.i).map((r) => r.i);
}

const rowArb = fc.record({
  t: fc.integer({ min: 0, max: 5 }),
  id: fc.option(fc.integer({ min: 0, max: 6 }), { nil: null }),
});

describe('row order by identity', () => {
  it('latestByIdentity keeps the last write of each (time, rowid), in order (property)', () => {
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 80 }), (list) => {
        assert.deepEqual(latestByIdentity(rowsOf(list)), reference(list));
      }),
      { numRuns: 2000 },
    );
  });

  it('merging runs in order gives the same as sorting them, the later run winning (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.array(rowArb, { maxLength: 20 }), { maxLength: 5 }), (runs) => {
        // each run made sorted and unique by identity, as chunks and head rows are
        const sorted = runs.map((run) => reference(run).map((i) => run[i]));
        const list = sorted.flat();
        const starts = [0];
        for (const run of sorted) starts.push(starts[starts.length - 1] + run.length);
        assert.deepEqual(mergeRunsByIdentity(rowsOf(list), starts), reference(list));
      }),
      { numRuns: 2000 },
    );
  });
});
