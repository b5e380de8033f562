/**
 * Writes a segment file: the rows of one table in one time partition, for many series, in one
 * sequential pass. See FORMAT.md for the layout.
 */
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as nodePath from 'node:path';
import { InvalidInputError } from '../errors';
import { inIdentityOrder } from '../rows/identity';
import type { SeriesRows } from '../types';
import { ByteWriter } from '../util/bytes';
import { crc32c } from '../util/crc32c';
import { fsyncDir, TimeSlicer } from '../util/fsutil';
import { encodeChunk, type SeriesField } from './chunk';
import {
  type FooterChunk,
  type SegmentFieldDef,
  type SegmentMeta,
  writeFooterHead,
  writeFooterSeries,
  writeHeader,
  writeTrailer,
} from './format';

export interface SegmentSummary {
  /** file size */
  bytes: number;
  rows: number;
  /** series written (series with no rows are skipped) */
  series: number;
  chunks: number;
  /** Infinity and -Infinity when the segment holds no rows */
  minTime: number;
  maxTime: number;
}

export const DEFAULT_CHUNK_ROWS = 4096;
/** Synchronous work between yields to the event loop, in ms. */
const SLICE_MS = 5;
/** Encoded chunks are gathered up to about this many bytes per write call. */
const WRITE_BUFFER_BYTES = 256 * 1024;
/**
 * Partition bounds. Times are whole ms within ±2^50 (as at ingest); a time near that edge lies in a
 * partition that ends past it (by less than one partition width), so the bounds get room to 2^51,
 * and footer deltas from them stay exact below 2^53.
 */
const MAX_ABS_PARTITION_BOUND = 2 ** 51;

/**
 * Writes `${path}.tmp` sequentially, fsyncs it, renames it to `path`, fsyncs the directory.
 * `series` come in any order (the footer keeps that order), each sorted by (time, rowid), one row each;
 * each field of a series is one of `fields` (a series may lack some fields: all-absent). Series
 * with no rows are skipped. Splits each series into chunks of at most `chunkRows` rows (default
 * 4096; the last chunk of a series takes the remainder), and yields to the event loop whenever
 * ~5 ms of synchronous work has passed. Throws InvalidInputError for input that breaks these
 * rules (unknown tag key or field, wrong field type, unsorted or duplicate times, a time outside
 * the partition, a series given twice). On any error removes the temp file and rethrows.
 */
export async function writeSegment(
  path: string,
  meta: SegmentMeta,
  tagKeys: readonly string[],
  fields: readonly SegmentFieldDef[],
  series: Iterable<SeriesRows> | AsyncIterable<SeriesRows>,
  options: { chunkRows?: number } = {},
): Promise<SegmentSummary> {
  const chunkRows = options.chunkRows ?? DEFAULT_CHUNK_ROWS;
  checkArguments(meta, tagKeys, fields, chunkRows);
  const tmp = `${path}.tmp`;
  const handle = await fsp.open(tmp, 'w');
  let open = true;
  try {
    const summary = await writeBody(handle, meta, tagKeys, fields, series, chunkRows);
    await handle.sync();
    open = false;
    await handle.close();
    await fsp.rename(tmp, path);
    await fsyncDir(nodePath.dirname(path));
    return summary;
  } catch (err) {
    if (open) await handle.close().catch(() => {});
    await fsp.rm(tmp, { force: true }).catch(() => {});
    throw err;
  }
}

/** State of one pass: bytes waiting to be written and what the footer and summary need. */
class SegmentBuilder {
  readonly out = new ByteWriter(WRITE_BUFFER_BYTES + 64 * 1024);
  readonly footerSeries = new ByteWriter(4096);
  readonly seenSeries = new Set<string>();
  readonly slicer = new TimeSlicer(SLICE_MS);
  readonly tagIndex: ReadonlyMap<string, number>;
  readonly fieldIndex: ReadonlyMap<string, number>;
  position = 0;
  rows = 0;
  series = 0;
  chunks = 0;
  minTime = Number.POSITIVE_INFINITY;
  maxTime = Number.NEGATIVE_INFINITY;

  constructor(
    readonly handle: FileHandle,
    readonly meta: SegmentMeta,
    readonly fields: readonly SegmentFieldDef[],
    readonly chunkRows: number,
    tagKeys: readonly string[],
  ) {
    this.tagIndex = new Map(tagKeys.map((key, i) => [key, i]));
    this.fieldIndex = new Map(fields.map((field, i) => [field.name, i]));
  }

  /** Writes the buffered bytes out once enough have gathered (or always, with `force`). */
  async drain(force = false): Promise<void> {
    if (this.out.length === 0 || (!force && this.out.length < WRITE_BUFFER_BYTES)) return;
    const bytes = this.out.peek();
    let written = 0;
    while (written < bytes.length) {
      const { bytesWritten } = await this.handle.write(bytes, written, bytes.length - written, this.position);
      written += bytesWritten;
      this.position += bytesWritten;
    }
    this.out.length = 0; // reuse the buffer: its bytes are on their way to the file
  }
}

async function writeBody(
  handle: FileHandle,
  meta: SegmentMeta,
  tagKeys: readonly string[],
  fields: readonly SegmentFieldDef[],
  series: Iterable<SeriesRows> | AsyncIterable<SeriesRows>,
  chunkRows: number,
): Promise<SegmentSummary> {
  const b = new SegmentBuilder(handle, meta, fields, chunkRows, tagKeys);
  writeHeader(b.out);
  for await (const one of series) {
    await writeSeries(b, one);
    await b.slicer.maybeYield();
  }
  const footerOffset = b.position + b.out.length;
  const footer = new ByteWriter(b.footerSeries.length + 256);
  writeFooterHead(footer, { meta, tagKeys, fields, seriesCount: b.series });
  footer.bytes(b.footerSeries.peek());
  const footerBytes = footer.peek();
  b.out.bytes(footerBytes);
  writeTrailer(b.out, footerOffset, footerBytes.length, crc32c(footerBytes));
  await b.drain(true);
  return {
    bytes: b.position,
    rows: b.rows,
    series: b.series,
    chunks: b.chunks,
    minTime: b.minTime,
    maxTime: b.maxTime,
  };
}

async function writeSeries(b: SegmentBuilder, series: SeriesRows): Promise<void> {
  const fields = checkSeries(b, series);
  if (series.count === 0) return;
  const chunks: FooterChunk[] = [];
  for (let start = 0; start < series.count; start += b.chunkRows) {
    const rows = Math.min(b.chunkRows, series.count - start);
    chunks.push(encodeChunk(b.out, series, fields, start, rows));
    await b.drain();
    await b.slicer.maybeYield();
  }
  writeFooterSeries(
    b.footerSeries,
    { tags: series.tags, fields: fields.map((f) => f.index), chunks },
    b.tagIndex,
    b.fields,
    b.meta.partitionStart,
  );
  b.series++;
  b.chunks += chunks.length;
  b.rows += series.count;
  b.minTime = Math.min(b.minTime, series.times[0]!);
  b.maxTime = Math.max(b.maxTime, series.times[series.count - 1]!);
}

// ---------------------------------------------------------------------------------------------
// Input checks: a bad flush must fail loudly here, not produce a file that reads back wrong.

function checkArguments(
  meta: SegmentMeta,
  tagKeys: readonly string[],
  fields: readonly SegmentFieldDef[],
  chunkRows: number,
): void {
  if (!Number.isInteger(chunkRows) || chunkRows < 1) {
    throw new InvalidInputError(`chunkRows must be a whole number of rows >= 1, not ${chunkRows}.`);
  }
  const { partitionStart, partitionEnd, minLsn, maxLsn, level } = meta;
  if (!isBound(partitionStart) || !isBound(partitionEnd) || partitionStart >= partitionEnd) {
    throw new InvalidInputError(
      `Segment partition [${partitionStart}, ${partitionEnd}) is not a valid range.`,
    );
  }
  if (!isCount(minLsn) || !isCount(maxLsn) || minLsn > maxLsn || !isCount(level)) {
    throw new InvalidInputError(
      `Segment LSN range [${minLsn}, ${maxLsn}] or level ${level} is not valid: whole numbers >= 0, min <= max.`,
    );
  }
  if (new Set(tagKeys).size !== tagKeys.length) {
    throw new InvalidInputError(`Segment tag keys repeat a key: ${tagKeys.join(', ')}.`);
  }
  if (new Set(fields.map((f) => f.name)).size !== fields.length) {
    throw new InvalidInputError(`Segment fields repeat a name: ${fields.map((f) => f.name).join(', ')}.`);
  }
}

function isBound(t: number): boolean {
  return Number.isInteger(t) && Math.abs(t) <= MAX_ABS_PARTITION_BOUND;
}

function isCount(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

/** Checks one series against the segment's schema; returns its fields in definition order. */
function checkSeries(b: SegmentBuilder, series: SeriesRows): SeriesField[] {
  const label = checkedSeriesLabel(b, series.tags);
  if (b.seenSeries.has(label)) throw new InvalidInputError(`Series ${label} is given twice to one segment.`);
  b.seenSeries.add(label);
  checkTimes(b.meta, series, label);
  const fields: SeriesField[] = [];
  for (const [name, column] of series.fields) {
    const index = b.fieldIndex.get(name);
    if (index === undefined) {
      throw new InvalidInputError(
        `Series ${label} has field "${name}", which is not one of the segment's fields.`,
      );
    }
    const type = b.fields[index]!.type;
    if (column.type !== type) {
      throw new InvalidInputError(`Series ${label} has field "${name}" of type ${column.type}, not ${type}.`);
    }
    if (column.values.length < series.count || (column.present && column.present.length < series.count)) {
      throw new InvalidInputError(
        `Series ${label} has field "${name}" with fewer than ${series.count} rows.`,
      );
    }
    fields.push({ index, type, column });
  }
  return fields.sort((x, y) => x.index - y.index);
}

/**
 * Checks a series' tags against the segment's tag keys and returns its label: its tags sorted by
 * key, as JSON. The label names the series in errors and tells a series given twice; it is not the
 * catalog's `seriesKey` (which keys series in memory) and is never stored.
 */
function checkedSeriesLabel(b: SegmentBuilder, tags: Readonly<Record<string, string>>): string {
  const entries = Object.entries(tags);
  for (const [tagKey, value] of entries) {
    if (!b.tagIndex.has(tagKey)) {
      throw new InvalidInputError(`Tag key "${tagKey}" is not one of the segment's tag keys.`);
    }
    if (typeof value !== 'string')
      throw new InvalidInputError(`Tag "${tagKey}" has a value that is not text.`);
  }
  return JSON.stringify(entries.sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
}

function checkTimes(meta: SegmentMeta, series: SeriesRows, label: string): void {
  const { times, count } = series;
  if (times.length < count) throw new InvalidInputError(`Series ${label} has fewer than ${count} times.`);
  let previous = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < count; i++) {
    const t = times[i]!;
    if (!(t >= previous) || !Number.isInteger(t)) {
      throw new InvalidInputError(
        `Series ${label} has time ${t} at row ${i} after ${previous}: times must be whole ms, ascending.`,
      );
    }
    previous = t;
  }
  if (!inIdentityOrder(series)) {
    throw new InvalidInputError(
      `Series ${label} repeats a time without rowids that tell its rows apart: one row per (time, rowid).`,
    );
  }
  if (count > 0 && (times[0]! < meta.partitionStart || times[count - 1]! >= meta.partitionEnd)) {
    throw new InvalidInputError(
      `Series ${label} has rows from ${times[0]} to ${times[count - 1]}, outside the segment's partition ` +
        `[${meta.partitionStart}, ${meta.partitionEnd}).`,
    );
  }
}
