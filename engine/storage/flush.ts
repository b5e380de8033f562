/**
 * Flush: the frozen head becomes one segment per (table, partition) it touches.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Head } from '../head/head';
import { lowerBound, sliceRows } from '../read';
import type { Catalog } from '../schema';
import type { ChunkCache } from '../segment/chunk-cache';
import { SegmentReader } from '../segment/reader';
import { type SegmentFieldDef, writeSegment } from '../segment/writer';
import type { SeriesRows } from '../types';
import { mkdirDurable, TimeSlicer } from '../util/fsutil';
import { partitionStartOf, segmentPath } from './layout';

export interface FlushTarget {
  readonly dir: string;
  readonly catalog: Catalog;
  readonly minLsn: number;
  readonly maxLsn: number;
  readonly chunkRows: number;
  /** drops rows that deletes made after them hide (returns `rows` itself when none) */
  readonly hide: (table: string, rows: SeriesRows) => SeriesRows;
  readonly cache?: ChunkCache | undefined;
}

/** Splits a series' sorted rows at partition boundaries. */
function byPartition(rows: SeriesRows, widthMs: number, into: Map<number, SeriesRows[]>): void {
  let start = 0;
  while (start < rows.count) {
    const partition = partitionStartOf(rows.times[start]!, widthMs);
    const end = lowerBound(rows.times, rows.count, partition + widthMs);
    const list = into.get(partition) ?? [];
    list.push(start === 0 && end === rows.count ? rows : sliceRows(rows, start, end));
    into.set(partition, list);
    start = end;
  }
}

/**
 * Writes the head's rows to new segment files and opens them. On failure deletes what it wrote
 * (the WAL still holds every row) and rethrows.
 */
export async function flushHead(head: Head, target: FlushTarget): Promise<SegmentReader[]> {
  const written: SegmentReader[] = [];
  const slicer = new TimeSlicer();
  try {
    for (const [table, seriesMap] of head.tables) {
      const schema = target.catalog.get(table);
      if (!schema) continue; // dropped since: its rows are hidden by the drop's tombstone
      const partitions = new Map<number, SeriesRows[]>();
      for (const buffer of seriesMap.values()) {
        const rows = buffer.count > 0 ? target.hide(table, buffer.rows()) : null;
        if (rows && rows.count > 0) byPartition(rows, schema.partitionMs, partitions);
        await slicer.maybeYield();
      }
      const fields: SegmentFieldDef[] = [...schema.fields].map(([name, type]) => ({ name, type }));
      for (const [start, series] of [...partitions].sort((a, b) => a[0] - b[0])) {
        const file = segmentPath(target.dir, table, start, schema.partitionMs, target.minLsn, target.maxLsn);
        await mkdirDurable(path.dirname(file));
        const meta = {
          table,
          partitionStart: start,
          partitionEnd: start + schema.partitionMs,
          minLsn: target.minLsn,
          maxLsn: target.maxLsn,
          level: 0,
        };
        await writeSegment(file, meta, [...schema.tagKeys], fields, series, { chunkRows: target.chunkRows });
        written.push(await SegmentReader.open(file, target.cache));
      }
    }
    return written;
  } catch (err) {
    for (const reader of written) {
      await reader.close();
      await fsp.rm(reader.path, { force: true });
    }
    throw err;
  }
}
