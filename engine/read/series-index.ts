/**
 * The series of a table in a set of segments, sorted once per set: scans list their series from it
 * instead of walking every segment's series and sorting on each query, and "latest row per series"
 * finds each series' edge chunk in it (edges.ts).
 */

import { tagsMatch } from '../catalog/catalog';
import type { Head } from '../head/head';
import type { ChunkMeta } from '../segment/reader';
import type { SegmentHandle } from '../storage/segment-set';
import { TimeSlicer } from '../util/fsutil';
import { sortAsync } from '../util/sort-async';
import { sortStrings } from '../util/sort-strings';

type Tags = Readonly<Record<string, string>>;

/**
 * The chunk holding a series' edge row among some segments: the series' place in the segment,
 * so that the index keeps numbers, not a table's worth of chunk objects (see edgeChunk).
 */
export interface ChunkEdge {
  readonly time: number;
  readonly handle: SegmentHandle;
  /** the series' position in the segment's footer */
  readonly series: number;
  /** the series' last chunk (newest edge) or its first */
  readonly last: boolean;
}

/** The chunk an edge names (its series' entry parsed, or taken from the cache). */
export function edgeChunk(edge: ChunkEdge): ChunkMeta {
  const { chunks } = edge.handle.reader.seriesAt(edge.series);
  return edge.last ? chunks[chunks.length - 1]! : chunks[0]!;
}

/**
 * Every series of a table in a set of segments, in key order, with the chunks holding its newest
 * and oldest rows. Segments never change, so this is worked out once per set of segments.
 */
export class SeriesIndex {
  readonly keys: string[] = [];
  readonly tags: Tags[] = [];
  readonly newest: ChunkEdge[] = [];
  readonly oldest: ChunkEdge[] = [];
  readonly position = new Map<string, number>();

  private constructor(readonly handles: readonly SegmentHandle[]) {}

  /** Built in slices: a table may have many series in many segments. */
  static async build(handles: readonly SegmentHandle[]): Promise<SeriesIndex> {
    const index = new SeriesIndex(handles);
    const slicer = new TimeSlicer();
    const found = new Map<string, { tags: Tags; newest: ChunkEdge; oldest: ChunkEdge }>();
    for (const handle of handles) {
      let n = 0;
      for (const [key, entry] of handle.reader.eachSeries()) {
        if ((++n & 1023) === 0) await slicer.maybeYield();
        if (entry.chunks.length === 0) continue;
        const series = n - 1;
        const newest = { time: entry.maxTime, handle, series, last: true };
        const oldest = { time: entry.minTime, handle, series, last: false };
        const seen = found.get(key);
        if (!seen) {
          found.set(key, { tags: entry.tags, newest, oldest });
          continue;
        }
        // Handles come in priority order: a later one holding the same edge time wins.
        if (newest.time >= seen.newest.time) seen.newest = newest;
        if (oldest.time <= seen.oldest.time) seen.oldest = oldest;
      }
    }
    for (const key of await sortStrings([...found.keys()], slicer)) {
      const series = found.get(key)!;
      index.position.set(key, index.keys.length);
      index.keys.push(key);
      index.tags.push(series.tags);
      index.newest.push(series.newest);
      index.oldest.push(series.oldest);
      if ((index.keys.length & 1023) === 0) await slicer.maybeYield();
    }
    return index;
  }

  /** True when built from exactly these handles. */
  matches(handles: readonly SegmentHandle[]): boolean {
    if (handles.length !== this.handles.length) return false;
    for (let i = 0; i < handles.length; i++) if (handles[i] !== this.handles[i]) return false;
    return true;
  }
}

/** Indexes kept per table: the whole table's, and those of a few time ranges' segment subsets. */
const INDEXES_PER_TABLE = 4;

/** The SeriesIndexes last used for each table; a database keeps one of these. */
export class SeriesIndexes {
  private readonly byTable = new Map<string, SeriesIndex[]>();

  async of(table: string, handles: readonly SegmentHandle[]): Promise<SeriesIndex> {
    const list = this.byTable.get(table) ?? [];
    const at = list.findIndex((index) => index.matches(handles));
    const index = at >= 0 ? list.splice(at, 1)[0]! : await SeriesIndex.build(handles);
    this.byTable.set(table, [index, ...list.slice(0, INDEXES_PER_TABLE - 1)]);
    return index;
  }
}

/**
 * The keys and tags of the series of `table` that match `want`, sorted by key: those of the
 * segments from the index, then any only the heads hold so far.
 */
export async function listSeries(
  table: string,
  index: SeriesIndex,
  heads: readonly Head[],
  want: Tags | undefined,
): Promise<Array<[string, Tags]>> {
  const slicer = new TimeSlicer();
  const found: Array<[string, Tags]> = [];
  for (let i = 0; i < index.keys.length; i++) {
    if (tagsMatch(index.tags[i]!, want)) found.push([index.keys[i]!, index.tags[i]!]);
    if ((i & 4095) === 4095) await slicer.maybeYield();
  }
  const extra = new Map<string, Tags>();
  for (const head of heads) {
    let n = 0;
    for (const buffer of head.seriesOf(table)) {
      if (!index.position.has(buffer.key) && !extra.has(buffer.key) && tagsMatch(buffer.tags, want)) {
        extra.set(buffer.key, buffer.tags);
      }
      if ((++n & 4095) === 0) await slicer.maybeYield();
    }
  }
  if (extra.size === 0) return found;
  // Series new since the last flush are few: sort them and merge them in.
  const added = await sortAsync([...extra], byKey, () => slicer.maybeYield());
  const merged: Array<[string, Tags]> = [];
  let i = 0;
  let j = 0;
  while (i < found.length || j < added.length) {
    if (j >= added.length || (i < found.length && found[i]![0] < added[j]![0])) merged.push(found[i++]!);
    else merged.push(added[j++]!);
  }
  return merged;
}

function byKey(a: [string, Tags], b: [string, Tags]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}
