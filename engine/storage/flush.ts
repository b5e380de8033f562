/**
 * Flush: the frozen head becomes one segment per (table, partition) it touches. The series are
 * written one at a time through one set of scratch arrays: the head's own memory is never copied
 * whole, and is reused by a later head once the flush is done.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { TableCatalog } from '../catalog/catalog';
import type { Head } from '../head/head';
import { RowScratch, type SeriesBuffer } from '../head/series-buffer';
import { lowerBound } from '../rows/search';
import { sliceRows } from '../rows/take';
import type { ChunkCache } from '../segment/chunk-cache';
import type { SegmentFieldDef } from '../segment/format';
import { SegmentReader } from '../segment/reader';
import { writeSegment } from '../segment/writer';
import type { SeriesRows } from '../types';
import { mkdirDurable, TimeSlicer } from '../util/fsutil';
import { partitionStartOf, segmentPath } from './layout';

export interface FlushTarget {
  readonly dir: string;
  readonly catalog: TableCatalog;
  readonly minLsn: number;
  readonly maxLsn: number;
  readonly chunkRows: number;
  /** drops rows that deletes made after them hide (returns `rows` itself when none) */
  readonly hide: (table: string, rows: SeriesRows) => SeriesRows;
  readonly cache?: ChunkCache | undefined;
}

/**
 * The partitions a series' rows fall in, by start. Nearly always one; a series that crosses a
 * boundary is copied into `scratch` once to find where.
 */
function partitionsOf(buffer: SeriesBuffer, widthMs: number, scratch: RowScratch): number[] {
  const first = partitionStartOf(buffer.minTime, widthMs);
  if (first === partitionStartOf(buffer.maxTime, widthMs)) return [first];
  const rows = buffer.flushRows(scratch);
  const starts: number[] = [];
  for (let start = 0; start < rows.count; ) {
    const partition = partitionStartOf(rows.times[start]!, widthMs);
    starts.push(partition);
    start = lowerBound(rows.times, 0, rows.count, partition + widthMs);
  }
  return starts;
}

/** The head's series grouped by the partitions their rows fall in, partitions in time order. */
async function byPartition(
  buffers: Iterable<SeriesBuffer>,
  widthMs: number,
  scratch: RowScratch,
  slicer: TimeSlicer,
): Promise<Array<[number, SeriesBuffer[]]>> {
  const partitions = new Map<number, SeriesBuffer[]>();
  for (const buffer of buffers) {
    if (buffer.count === 0) continue;
    for (const start of partitionsOf(buffer, widthMs, scratch)) {
      const list = partitions.get(start) ?? [];
      list.push(buffer);
      partitions.set(start, list);
    }
    await slicer.maybeYield();
  }
  return [...partitions].sort((a, b) => a[0] - b[0]);
}

/**
 * Each series' rows in [start, end), those deletes have not hidden, one series at a time: the
 * rows are copied into `scratch`, which the next series overwrites, so the writer must be done
 * with one before it asks for the next (writeSegment is).
 */
function* partitionRows(
  buffers: readonly SeriesBuffer[],
  table: string,
  start: number,
  end: number,
  target: FlushTarget,
  scratch: RowScratch,
): Generator<SeriesRows> {
  for (const buffer of buffers) {
    const rows = target.hide(table, buffer.flushRows(scratch));
    const from = lowerBound(rows.times, 0, rows.count, start);
    const to = lowerBound(rows.times, 0, rows.count, end);
    if (to > from) yield from === 0 && to === rows.count ? rows : sliceRows(rows, from, to);
  }
}

/**
 * Deletes hid every row of a partition: no segment, and no directory if it holds nothing else. (A
 * crash before this leaves an empty segment past the checkpoint, which the next open removes.)
 */
async function removeEmpty(file: string): Promise<void> {
  await fsp.rm(file, { force: true });
  await fsp.rmdir(path.dirname(file)).catch(() => {}); // not empty: other segments live there
}

/**
 * Writes the head's rows to new segment files and opens them. On failure deletes what it wrote
 * (the WAL still holds every row) and rethrows.
 */
export async function flushHead(head: Head, target: FlushTarget): Promise<SegmentReader[]> {
  const written: SegmentReader[] = [];
  const slicer = new TimeSlicer();
  const scratch = new RowScratch();
  try {
    for (const [table, seriesMap] of head.tables) {
      const schema = target.catalog.get(table);
      if (!schema) continue; // dropped since: its rows are hidden by the drop's tombstone
      const partitions = await byPartition(seriesMap.values(), schema.partitionMs, scratch, slicer);
      const fields: SegmentFieldDef[] = [...schema.fields].map(([name, type]) => ({ name, type }));
      for (const [start, buffers] of partitions) {
        const end = start + schema.partitionMs;
        const file = segmentPath(target.dir, table, start, schema.partitionMs, target.minLsn, target.maxLsn);
        await mkdirDurable(path.dirname(file));
        const meta = {
          table,
          partitionStart: start,
          partitionEnd: end,
          minLsn: target.minLsn,
          maxLsn: target.maxLsn,
          level: 0,
        };
        const series = partitionRows(buffers, table, start, end, target, scratch);
        const summary = await writeSegment(file, meta, [...schema.tagKeys], fields, series, {
          chunkRows: target.chunkRows,
        });
        if (summary.series === 0) await removeEmpty(file);
        else written.push(await SegmentReader.open(file, target.cache));
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
