import { TimeSlicer } from './fsutil';

const RUN = 4096;

/**
 * `items` sorted by code unit order, as `[...items].sort()` would, in runs merged pairwise with a
 * turn for the event loop whenever a slice is used up: a million series keys sort in about a
 * second of wall time, never more than a few milliseconds at a stretch.
 */
export async function sortStrings(items: readonly string[], slicer = new TimeSlicer()): Promise<string[]> {
  const n = items.length;
  let src = new Array<string>(n);
  for (let lo = 0; lo < n; lo += RUN) {
    const run = items.slice(lo, lo + RUN).sort();
    for (let i = 0; i < run.length; i++) src[lo + i] = run[i]!;
    await slicer.maybeYield();
  }
  let dst = new Array<string>(n);
  for (let width = RUN; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      for (let k = lo; k < hi; k++) {
        dst[k] = i < mid && (j >= hi || src[i]! <= src[j]!) ? src[i++]! : src[j++]!;
        if ((k & 4095) === 4095) await slicer.maybeYield();
      }
    }
    [src, dst] = [dst, src];
  }
  return src;
}
