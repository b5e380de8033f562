/**
 * Reading a table: for each series that matches, the rows of every segment chunk and head that
 * overlap the time range, merged in LSN order so the last write of a (series, time) wins.
 */
import type { Head } from './head/head';
import { sortAndDedupe } from './head/series-buffer';
import type { SegmentHandle } from './storage/segment-set';
import type { FieldColumn, SeriesRows } from './types';
import { TimeSlicer } from './util/fsutil';

/** What to read. Times are milliseconds since the epoch, both ends inclusive. */
export interface ReadOptions {
  from?: number;
  to?: number;
  /** only series whose tags equal all of these */
  tags?: Readonly<Record<string, string>>;
}

/** The sources a scan reads: segments in (partition, LSN) order, then heads oldest first. */
export interface ScanSnapshot {
  readonly segments: readonly SegmentHandle[];
  readonly heads: readonly Head[];
}

function tagsMatch(tags: Readonly<Record<string, string>>, want: ReadOptions['tags']): boolean {
  if (!want) return true;
  for (const k in want) if (tags[k] !== want[k]) return false;
  return true;
}

/** The keys and tags of the series of `table` that match, sorted by key. */
function matchingSeries(
  table: string,
  snap: ScanSnapshot,
  want: ReadOptions['tags'],
): Array<[string, Readonly<Record<string, string>>]> {
  const found = new Map<string, Readonly<Record<string, string>>>();
  for (const handle of snap.segments) {
    for (const [key, entry] of handle.seriesByKey) {
      if (!found.has(key) && tagsMatch(entry.tags, want)) found.set(key, entry.tags);
    }
  }
  for (const head of snap.heads) {
    for (const buffer of head.seriesOf(table)) {
      if (!found.has(buffer.key) && tagsMatch(buffer.tags, want)) found.set(buffer.key, buffer.tags);
    }
  }
  return [...found].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/**
 * Yields each matching series' rows within [from, to], sorted by time with one row per time,
 * series in key order. Yields to the event loop between series and chunks.
 */
export async function* scanTable(
  table: string,
  snap: ScanSnapshot,
  options: ReadOptions,
): AsyncGenerator<SeriesRows> {
  const from = options.from ?? Number.NEGATIVE_INFINITY;
  const to = options.to ?? Number.POSITIVE_INFINITY;
  const slicer = new TimeSlicer();
  for (const [key, tags] of matchingSeries(table, snap, options.tags)) {
    const parts: SeriesRows[] = [];
    for (let s = 0; s < snap.segments.length; s++) {
      const entry = snap.segments[s]!.seriesByKey.get(key);
      if (!entry || entry.maxTime < from || entry.minTime > to) continue;
      for (const chunk of entry.chunks) {
        if (chunk.maxTime < from || chunk.minTime > to) continue;
        const decoded = await snap.segments[s]!.reader.readChunk(chunk);
        parts.push({ tags, count: decoded.count, times: decoded.times, fields: decoded.fields });
        await slicer.maybeYield();
      }
    }
    for (const head of snap.heads) {
      const buffer = head.tables.get(table)?.get(key);
      if (buffer && buffer.count > 0 && buffer.maxTime >= from && buffer.minTime <= to)
        parts.push(buffer.rows());
    }
    const merged = clip(mergeParts(tags, parts), from, to);
    if (merged.count > 0) yield merged;
    await slicer.maybeYield();
  }
}

/** Concatenates parts (in priority order) and, when they overlap, sorts keeping the last write. */
export function mergeParts(tags: Readonly<Record<string, string>>, parts: readonly SeriesRows[]): SeriesRows {
  if (parts.length === 1) return parts[0]!;
  const joined = concatRows(tags, parts);
  for (let i = 1; i < joined.count; i++) {
    if (joined.times[i]! <= joined.times[i - 1]!) return sortAndDedupe(joined);
  }
  return joined;
}

function concatRows(tags: Readonly<Record<string, string>>, parts: readonly SeriesRows[]): SeriesRows {
  let count = 0;
  for (const part of parts) count += part.count;
  const times = new Float64Array(count);
  const fields = new Map<string, FieldColumn>();
  const types = new Map<string, FieldColumn['type']>();
  for (const part of parts) for (const [name, column] of part.fields) types.set(name, column.type);
  for (const [name, type] of types) fields.set(name, concatColumn(type, parts, name, count));
  let at = 0;
  for (const part of parts) {
    times.set(part.times.subarray(0, part.count), at);
    at += part.count;
  }
  return { tags, count, times, fields };
}

function concatColumn(
  type: FieldColumn['type'],
  parts: readonly SeriesRows[],
  name: string,
  count: number,
): FieldColumn {
  const values =
    type === 'string'
      ? new Array<string>(count).fill('')
      : type === 'bool'
        ? new Uint8Array(count)
        : new Float64Array(count);
  let present: Uint8Array | null = null;
  let at = 0;
  for (const part of parts) {
    const column = part.fields.get(name);
    if (!column || column.present) {
      present ??= new Uint8Array(count).fill(1, 0, at);
      if (column?.present) present.set(column.present.subarray(0, part.count), at);
      else present.fill(0, at, at + part.count);
    } else if (present) {
      present.fill(1, at, at + part.count);
    }
    if (column) {
      if (Array.isArray(values)) {
        const src = column.values as string[];
        for (let i = 0; i < part.count; i++) values[at + i] = src[i]!;
      } else {
        values.set((column.values as Float64Array | Uint8Array).subarray(0, part.count), at);
      }
    }
    at += part.count;
  }
  return { type, values, present };
}

/** The rows of `rows` with from <= time <= to (rows are sorted). */
function clip(rows: SeriesRows, from: number, to: number): SeriesRows {
  if (rows.count === 0 || (rows.times[0]! >= from && rows.times[rows.count - 1]! <= to)) return rows;
  const start = lowerBound(rows.times, rows.count, from);
  const end = lowerBound(rows.times, rows.count, to + 1);
  return sliceRows(rows, start, end);
}

/** First index in sorted `times[0, count)` with times[i] >= t. */
export function lowerBound(times: Float64Array, count: number, t: number): number {
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Rows [start, end) as views (no copy for typed arrays). */
export function sliceRows(rows: SeriesRows, start: number, end: number): SeriesRows {
  const fields = new Map<string, FieldColumn>();
  for (const [name, column] of rows.fields) {
    const values = Array.isArray(column.values)
      ? column.values.slice(start, end)
      : (column.values as Float64Array | Uint8Array).subarray(start, end);
    fields.set(name, {
      type: column.type,
      values,
      present: column.present ? column.present.subarray(start, end) : null,
    });
  }
  return { tags: rows.tags, count: end - start, times: rows.times.subarray(start, end), fields };
}

/**
 * Appends plain row objects { time, ...tags, ...fields } for rows [start, end) of a series;
 * absent values are left out.
 */
export function toPlainRows(
  rows: SeriesRows,
  out: Array<Record<string, unknown>>,
  start = 0,
  end = rows.count,
): void {
  const columns = [...rows.fields];
  for (let i = start; i < end; i++) {
    const row: Record<string, unknown> = { time: rows.times[i], ...rows.tags };
    for (const [name, column] of columns) {
      if (column.present && !column.present[i]) continue;
      const v = column.values[i];
      row[name] = column.type === 'bool' ? v === 1 : v;
    }
    out.push(row);
  }
}
