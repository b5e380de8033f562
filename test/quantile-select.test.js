// Exact quantiles select the k-th value instead of sorting the group: the selection must give the
// value the sort would have, for every k, with the sort's own order of -0, 0 and NaN.
const assert = require('node:assert/strict');
const fc = require('fast-check');
const { kthSmallest, quantileOf } = require('../dist/engine/exec/aggregates');

describe('exact quantiles: k-th smallest by selection', () => {
  it('equals Float64Array#sort at every index, duplicates, signed zeros and NaN included', () => {
    const value = fc.oneof(fc.double(), fc.constantFrom(0, -0, Number.NaN, 1, 1, 2, -1));
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 300 }), fc.nat(), (xs, k0) => {
        const k = k0 % xs.length;
        const sorted = Float64Array.from(xs).sort();
        const got = kthSmallest(Float64Array.from(xs), k);
        assert.ok(Object.is(got, sorted[k]), `k=${k}: got ${got}, sorted has ${sorted[k]}`);
      }),
      { numRuns: 2000 },
    );
  });
});

/** The quantile the way it was computed before selection: sort everything, then index. */
function sortedQuantile(xs, p, discrete) {
  const n = xs.length;
  const sorted = Float64Array.from(xs).sort();
  if (discrete) return sorted[Math.max(0, Math.ceil(p * n) - 1)];
  const pos = p * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

describe('exact quantiles: percentile_cont and percentile_disc by selection', () => {
  it('equal the sorted computation for every fraction', () => {
    const value = fc.oneof(fc.double(), fc.constantFrom(0, -0, Number.NaN, 1, 1, 2, -1));
    fc.assert(
      fc.property(
        fc.array(value, { minLength: 1, maxLength: 200 }),
        fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(0, 0.5, 0.99, 1)),
        fc.boolean(),
        (xs, p, discrete) => {
          const want = sortedQuantile(xs, p, discrete);
          const got = quantileOf(Float64Array.from(xs), p, discrete);
          assert.ok(Object.is(got, want), `p=${p} discrete=${discrete}: got ${got}, want ${want}`);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
