// Deterministic data for the programs in this folder: a seeded generator (mulberry32), so that
// every run writes the same readings. Files starting with `_` are helpers, not programs.

/** A generator of numbers in [0, 1) from `seed`, with the helpers the programs use. */
function seeded(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    /** A float in [lo, hi). */
    between: (lo, hi) => lo + (hi - lo) * next(),
    /** An integer in [lo, hi]. */
    int: (lo, hi) => lo + Math.floor((hi - lo + 1) * next()),
    /** True with probability p. */
    chance: (p) => next() < p,
  };
}

/** `x` rounded to `digits` decimals, as a sensor that reports that many would send it. */
function round(x, digits) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

module.exports = { seeded, round };
