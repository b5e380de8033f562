/**
 * Compaction: the segments of one partition become one, rows de-duplicated (last write wins).
 * Crash-safe by order: the new file is durable (fsync, rename, fsync dir) before the old ones are
 * retired, and on open a segment whose LSN range lies inside another's is a leftover and removed.
 */
import { mergeParts } from '../read';
import { seriesKey } from '../schema';
import { SegmentReader } from '../segment/reader';
import { type SegmentFieldDef, writeSegment } from '../segment/writer';
import type { SeriesRows } from '../types';
import { TimeSlicer } from '../util/fsutil';
import { segmentPath } from './layout';
import type { SegmentHandle } from './segment-set';

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

async function* mergedSeries(
  inputs: readonly SegmentHandle[],
  shouldStop: () => boolean,
): AsyncGenerator<SeriesRows> {
  const keys = new Map<string, Readonly<Record<string, string>>>();
  const indexes = inputs.map((handle) => {
    const byKey = new Map<string, SegmentHandle['reader']['series'][number]>();
    for (const entry of handle.reader.series) {
      const key = seriesKey(entry.tags);
      byKey.set(key, entry);
      keys.set(key, entry.tags);
    }
    return byKey;
  });
  const slicer = new TimeSlicer();
  for (const [key, tags] of [...keys].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const parts: SeriesRows[] = [];
    for (let i = 0; i < inputs.length; i++) {
      const handle = inputs[i]!;
      const entry = indexes[i]!.get(key);
      if (!entry) continue;
      for (const chunk of entry.chunks) {
        const decoded = await handle.reader.readChunk(chunk);
        parts.push({ tags, count: decoded.count, times: decoded.times, fields: decoded.fields });
      }
    }
    if (shouldStop()) throw new CompactionAborted();
    yield mergeParts(tags, parts);
    await slicer.maybeYield();
  }
}

/** Writes the merge of `inputs` (one partition, in LSN order) and opens it. */
export async function compactSegments(
  dir: string,
  inputs: readonly SegmentHandle[],
  chunkRows: number,
  shouldStop: () => boolean,
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
  await writeSegment(file, meta, tagKeys, fields, mergedSeries(inputs, shouldStop), { chunkRows });
  return SegmentReader.open(file);
}
