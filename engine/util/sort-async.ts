/** Rows sorted at once before merging; small enough that sorting one run stays well under a slice. */
const RUN = 2048;

/**
 * A stable merge sort of `items` (sorted in place and returned, or a new array) that calls `pause`
 * between runs and every few thousand merged items, where the caller gives the event loop a turn
 * when its time slice is used up: sorting a hundred thousand rows never holds the loop long.
 */
export async function sortAsync<T>(
  items: T[],
  cmp: (a: T, b: T) => number,
  pause: () => Promise<void>,
): Promise<T[]> {
  const n = items.length;
  for (let lo = 0; lo < n; lo += RUN) {
    const run = items.slice(lo, lo + RUN).sort(cmp);
    for (let i = 0; i < run.length; i++) items[lo + i] = run[i]!;
    await pause();
  }
  let src = items;
  let dst = new Array<T>(n);
  for (let width = RUN; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      for (let k = lo; k < hi; k++) {
        dst[k] = i < mid && (j >= hi || cmp(src[i]!, src[j]!) <= 0) ? src[i++]! : src[j++]!;
        if ((k & 4095) === 4095) await pause();
      }
    }
    [src, dst] = [dst, src];
  }
  return src;
}
