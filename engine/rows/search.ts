/**
 * Binary search over ascending times: a series' rows, a chunk's, a head buffer's. One copy, since
 * it runs per series per scan and per partition of a flush.
 */

/** The first index i in [lo, hi) of ascending `times` with times[i] >= t; `hi` when there is none. */
export function lowerBound(times: Float64Array, lo: number, hi: number, t: number): number {
  let a = lo;
  let b = hi;
  while (a < b) {
    const mid = (a + b) >>> 1;
    if (times[mid]! < t) a = mid + 1;
    else b = mid;
  }
  return a;
}
