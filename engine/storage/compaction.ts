/**
 * Compaction: the segments of one partition become one, rows de-duplicated (last write wins).
 * Crash-safe by order: the new file is durable (fsync, rename, fsync dir) before the old ones are
 * retired, and on open a segment whose LSN range lies inside another's is a leftover and removed.
 */
import { dropMarkers, mergeParts } from '../rows/merge';
import type { ChunkCache } from '../segment/chunk-cache';
import type { SegmentFieldDef } from '../segment/format';
import { SegmentReader } from '../segment/reader';
import { writeSegment } from '../segment/writer';
import type { SeriesRows } from '../types';
import { TimeSlicer } from '../util/fsutil';
import { sortStrings } from '../util/sort-strings';
import { segmentPath } from './layout';
import { type DamageReport, readChunkOrSkip, type SegmentHandle } from './segment-set';

export class CompactionAborted extends Error {
  constructor() {
    super('compaction stopped because the database is closing');
  }
}

/** Union of the inputs' tag keys and fields, in first-seen order. */
function unionSchema(inputs: readonly SegmentHandle[]): { tagKeys: string[]; fields: SegmentFieldDef[] } {
  const tagKeys = new Set<string>();
  const fields = new Map<string, SegmentFieldDef>();
  for (const handle of inputs) {
    for (const k of handle.reader.tagKeys) tagKeys.add(k);
    for (const f of handle.reader.fields) if (!fields.has(f.name)) fields.set(f.name, f);
  }
  return { tagKeys: [...tagKeys], fields: [...fields.values()] };
}

/** Drops rows of one input that deletes made after it hide. */
export type HideDeleted = (input: SegmentHandle, rows: SeriesRows) => SeriesRows;

async function* mergedSeries(
  inputs: readonly SegmentHandle[],
  shouldStop: () => boolean,
  hide: HideDeleted,
  oldest: boolean,
  onDamage: DamageReport | undefined,
): AsyncGenerator<SeriesRows> {
  const slicer = new TimeSlicer();
  // the inputs' series, in slices: a partition may hold hundreds of thousands of them
  const keys = new Map<string, Readonly<Record<string, string>>>();
  for (const handle of inputs) {
    for (const [key, entry] of handle.reader.eachSeries()) {
      keys.set(key, entry.tags);
      await slicer.maybeYield();
    }
  }
  for (const key of await sortStrings([...keys.keys()], slicer)) {
    const tags = keys.get(key)!;
    const parts: SeriesRows[] = [];
    for (let i = 0; i < inputs.length; i++) {
      const handle = inputs[i]!;
      const entry = handle.seriesOf(key);
      if (!entry) continue;
      for (const chunk of entry.chunks) {
        // a damaged chunk is left out; its file is kept as *.corrupt (compactPartition)
        if (handle.reader.damageOf(chunk) !== undefined) continue;
        const decoded = await readChunkOrSkip(handle, chunk, tags, undefined, onDamage);
        if (!decoded) continue;
        parts.push(
          hide(handle, { tags, count: decoded.count, times: decoded.times, fields: decoded.fields }),
        );
      }
    }
    if (shouldStop()) throw new CompactionAborted();
    // A delete marker must outlive every older version of its row; when the inputs begin at the
    // partition's oldest segment, the merge has just replaced them all.
    const merged = oldest ? dropMarkers(mergeParts(tags, parts)) : mergeParts(tags, parts);
    if (merged.count > 0) yield merged;
    await slicer.maybeYield();
  }
}

export interface CompactionPolicy {
  /** merge a run of this many small segments (0: never) */
  readonly trigger: number;
  readonly chunkRows: number;
  /** checkpointed segments only: an unfinished flush's files may yet be discarded on restart */
  readonly checkpointLsn: number;
  /** the partition has had no new segment for a while: merge it whole, once */
  readonly cold: boolean;
  /** merge every checkpointed segment of the partition (EXPLAIN-style maintenance, tests) */
  readonly force: boolean;
}

/** Small: its chunks are under half full, so merging it improves compression and read cost. */
function isSmall(handle: SegmentHandle, chunkRows: number): boolean {
  const series = Math.max(1, handle.reader.seriesCount);
  return handle.meta.rows / series < chunkRows / 2;
}

/**
 * Which segments of one partition (in LSN order) to merge now, if any. Size-tiered: a contiguous
 * run of small segments is merged once it reaches `trigger`, so a row is rewritten only a few
 * times on its way to full chunks; a cold partition is merged whole once.
 */
export function pickCompaction(
  list: readonly SegmentHandle[],
  policy: CompactionPolicy,
): SegmentHandle[] | null {
  const done = list.filter((h) => h.meta.maxLsn <= policy.checkpointLsn);
  if (done.length < 2) return null;
  if (policy.force || policy.cold) return done;
  if (policy.trigger === 0) return null;
  let best: SegmentHandle[] = [];
  let run: SegmentHandle[] = [];
  for (const handle of done) {
    run = isSmall(handle, policy.chunkRows) ? [...run, handle] : [];
    if (run.length > best.length) best = run;
  }
  return best.length >= policy.trigger ? best : null;
}

/**
 * Writes the merge of `inputs` (one partition, in LSN order) and opens it. `oldest`: the inputs
 * begin with the partition's oldest segment, so delete markers have nothing older left to hide.
 * A damaged chunk of an input is reported to `onDamage` and left out: the good rest is written.
 */
export async function compactSegments(
  dir: string,
  inputs: readonly SegmentHandle[],
  chunkRows: number,
  shouldStop: () => boolean,
  hide: HideDeleted,
  oldest: boolean,
  cache?: ChunkCache,
  onDamage?: DamageReport,
): Promise<SegmentReader> {
  const first = inputs[0]!.meta;
  const minLsn = Math.min(...inputs.map((h) => h.meta.minLsn));
  const maxLsn = Math.max(...inputs.map((h) => h.meta.maxLsn));
  const level = Math.max(...inputs.map((h) => h.meta.level)) + 1;
  const width = first.partitionEnd - first.partitionStart;
  const file = segmentPath(dir, first.table, first.partitionStart, width, minLsn, maxLsn);
  const meta = {
    table: first.table,
    partitionStart: first.partitionStart,
    partitionEnd: first.partitionEnd,
    minLsn,
    maxLsn,
    level,
  };
  const { tagKeys, fields } = unionSchema(inputs);
  await writeSegment(file, meta, tagKeys, fields, mergedSeries(inputs, shouldStop, hide, oldest, onDamage), {
    chunkRows,
  });
  return SegmentReader.open(file, cache);
}
