import { TimeSlicer } from './fsutil';
import { sortAsync } from './sort-async';

const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * `items` sorted by code unit order, as `[...items].sort()` would, in slices with a turn for the
 * event loop whenever one is used up: a million series keys never hold it long.
 */
export async function sortStrings(items: readonly string[], slicer = new TimeSlicer()): Promise<string[]> {
  return sortAsync([...items], byCodeUnits, () => slicer.maybeYield());
}
