/**
 * Reading a table: for each series that matches, the rows of every segment chunk and head that
 * overlap the time range, merged in LSN order so the last write of a (series, time) wins.
 */
import type { Head } from '../head/head';
import { DELETED_FIELD, isHiddenName, ROWID_FIELD, statsHaveMarkers } from '../rows/identity';
import { concatRows, dropMarkers, mergeParts } from '../rows/merge';
import { lowerBound } from '../rows/search';
import { sliceRows } from '../rows/take';
import { type DamageReport, readChunkOrSkip, type SegmentHandle } from '../storage/segment-set';
import { coversRange, hideDeleted, type Tombstones } from '../storage/tombstones';
import type { FieldStats, SeriesRows } from '../types';
import { TimeSlicer } from '../util/fsutil';
import { putOwn } from '../util/own';
import { listSeries, type SeriesIndexes } from './series-index';

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
  readonly tombstones: Tombstones;
  /** the database's sorted series lists per set of segments */
  readonly indexes: SeriesIndexes;
  /** told of a chunk found damaged on read; the read goes on without it */
  readonly onDamage?: DamageReport;
}

/**
 * Yields each matching series' rows within [from, to], sorted by time with one row per time,
 * series in key order. Yields to the event loop between series and chunks.
 */
export async function* scanTable(
  table: string,
  snap: ScanSnapshot,
  options: ReadOptions,
  counters: ScanCounters = newScanCounters(),
): AsyncGenerator<SeriesRows> {
  const slicer = new TimeSlicer();
  for await (const series of scanParts(table, snap, options, counters)) {
    const loaded: SeriesRows[] = [];
    for (const part of series.parts) {
      loaded.push(await part.load());
      await slicer.maybeYield();
    }
    const rows = loaded.length === 1 ? loaded[0]! : concatRows(series.tags, loaded);
    if (rows.count > 0) yield rows;
  }
}

/** Counters of what a scan touched and what it could skip, for query stats and EXPLAIN. */
export interface ScanCounters {
  partitions: number;
  partitionsSkipped: number;
  series: number;
  chunks: number;
  chunksSkipped: number;
  /** rows in the chunks and head rows that were loaded (decoded) */
  rowsLoaded: number;
}

export function newScanCounters(): ScanCounters {
  return { partitions: 0, partitionsSkipped: 0, series: 0, chunks: 0, chunksSkipped: 0, rowsLoaded: 0 };
}

/**
 * A stretch of one series' rows, disjoint in time from the other parts of that series. Where
 * sources overlap (a rewrite, late data), they are merged into one part, so what a part holds is
 * already last-write-wins.
 */
export interface ScanPart {
  readonly minTime: number;
  readonly maxTime: number;
  /** rows stored; exact when `stats` is given */
  readonly rows: number;
  /**
   * Per-field statistics, given only when the part is one segment chunk overlapping nothing else
   * and lying wholly inside the scan's time range: then count/min/max/sum answer aggregates
   * without decoding.
   */
  readonly stats: ReadonlyMap<string, FieldStats> | null;
  /** The rows, clipped to the scan's time range (decodes chunks; counts them). */
  load(fields?: readonly string[]): Promise<SeriesRows>;
}

export interface SeriesParts {
  readonly key: string;
  readonly tags: Readonly<Record<string, string>>;
  /** sorted by time */
  readonly parts: readonly ScanPart[];
}

export interface Source {
  minTime: number;
  maxTime: number;
  rows: number;
  stats: ReadonlyMap<string, FieldStats> | null;
  load(fields?: readonly string[]): Promise<SeriesRows>;
}

/** The sources of one series, in priority order (older LSNs first), overlapping [from, to]. */
export function seriesSources(
  table: string,
  key: string,
  tags: Readonly<Record<string, string>>,
  snap: ScanSnapshot,
  from: number,
  to: number,
  counters: ScanCounters,
): Source[] {
  const sources: Source[] = [];
  for (const handle of snap.segments) {
    const at = handle.reader.indexOf(key);
    if (at < 0 || handle.reader.seriesMaxTime(at) < from || handle.reader.seriesMinTime(at) > to) continue;
    const entry = handle.reader.seriesAt(at);
    for (const chunk of entry.chunks) {
      const hiding = snap.tombstones.applying(table, tags, handle.meta.maxLsn, chunk.minTime, chunk.maxTime);
      if (chunk.maxTime < from || chunk.minTime > to || coversRange(hiding, chunk.minTime, chunk.maxTime)) {
        counters.chunksSkipped++;
        continue;
      }
      // a chunk found damaged is left out, its statistics too: no count says more than can be read
      if (handle.reader.damageOf(chunk) !== undefined) continue;
      sources.push({
        minTime: chunk.minTime,
        maxTime: chunk.maxTime,
        rows: chunk.rows,
        stats: hiding.length === 0 && !statsHaveMarkers(chunk.stats) ? chunk.stats : null,
        load: async (fields) => {
          counters.chunks++;
          counters.rowsLoaded += chunk.rows;
          const decoded = await readChunkOrSkip(
            handle,
            chunk,
            tags,
            fields && withIdentity(fields),
            snap.onDamage,
          );
          if (!decoded) return { tags, count: 0, times: new Float64Array(0), fields: new Map() };
          return hideDeleted(
            { tags, count: decoded.count, times: decoded.times, fields: decoded.fields },
            hiding,
          );
        },
      });
    }
  }
  for (const head of snap.heads) {
    const buffer = head.tables.get(table)?.get(key);
    if (!buffer || buffer.count === 0 || buffer.maxTime < from || buffer.minTime > to) continue;
    const hiding = snap.tombstones.applying(table, tags, head.maxLsn, buffer.minTime, buffer.maxTime);
    if (coversRange(hiding, buffer.minTime, buffer.maxTime)) continue;
    sources.push({
      minTime: buffer.minTime,
      maxTime: buffer.maxTime,
      rows: buffer.count,
      stats: null,
      load: async () => {
        const rows = hideDeleted(buffer.rows(), hiding);
        counters.rowsLoaded += rows.count;
        return rows;
      },
    });
  }
  return sources;
}

/** The fields to decode for `fields`: with the rowid and the delete mark, which the merge needs. */
function withIdentity(fields: readonly string[]): readonly string[] {
  return [...fields, ROWID_FIELD, DELETED_FIELD];
}

/** Groups sources whose time ranges overlap; each group becomes one part. */
export function toParts(
  tags: Readonly<Record<string, string>>,
  sources: Source[],
  from: number,
  to: number,
): ScanPart[] {
  const order = sources
    .map((source, priority) => ({ source, priority }))
    .sort((a, b) => a.source.minTime - b.source.minTime);
  const groups: Array<typeof order> = [];
  let end = Number.NEGATIVE_INFINITY;
  for (const item of order) {
    if (groups.length > 0 && item.source.minTime <= end) groups[groups.length - 1]!.push(item);
    else groups.push([item]);
    end = Math.max(end, item.source.maxTime);
  }
  return groups.map((group) => {
    const members = group.sort((a, b) => a.priority - b.priority).map((g) => g.source);
    const single = members.length === 1 ? members[0]! : null;
    const inside = (s: Source) => s.minTime >= from && s.maxTime <= to;
    return {
      minTime: Math.min(...members.map((m) => m.minTime)),
      maxTime: Math.max(...members.map((m) => m.maxTime)),
      rows: members.reduce((n, m) => n + m.rows, 0),
      stats: single?.stats && inside(single) ? single.stats : null,
      load: async (fields?: readonly string[]) => {
        const loaded: SeriesRows[] = [];
        for (const member of members) loaded.push(await member.load(fields));
        return dropMarkers(clip(mergeParts(tags, loaded), from, to));
      },
    };
  });
}

/**
 * Each matching series as time-disjoint parts, series in key order: the query layer's view of
 * storage. Chunks outside [from, to] are skipped without reading; a part's stats can answer
 * aggregates without decoding. Segments stay retained until the caller releases the snapshot.
 */
export async function* scanParts(
  table: string,
  snap: ScanSnapshot,
  options: ReadOptions,
  counters: ScanCounters,
): AsyncGenerator<SeriesParts> {
  const from = options.from ?? Number.NEGATIVE_INFINITY;
  const to = options.to ?? Number.POSITIVE_INFINITY;
  const slicer = new TimeSlicer();
  const index = await snap.indexes.of(table, snap.segments);
  for (const [key, tags] of await listSeries(table, index, snap.heads, options.tags)) {
    const sources = seriesSources(table, key, tags, snap, from, to, counters);
    if (sources.length === 0) continue;
    counters.series++;
    yield { key, tags, parts: toParts(tags, sources, from, to) };
    await slicer.maybeYield();
  }
}

/** The rows of `rows` with from <= time <= to (rows are sorted). */
function clip(rows: SeriesRows, from: number, to: number): SeriesRows {
  if (rows.count === 0 || (rows.times[0]! >= from && rows.times[rows.count - 1]! <= to)) return rows;
  const start = lowerBound(rows.times, 0, rows.count, from);
  const end = lowerBound(rows.times, 0, rows.count, to + 1);
  return sliceRows(rows, start, end);
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
  const columns = [...rows.fields].filter(([name]) => !isHiddenName(name));
  for (let i = start; i < end; i++) {
    const row: Record<string, unknown> = { time: rows.times[i], ...rows.tags };
    for (const [name, column] of columns) {
      if (column.present && !column.present[i]) continue;
      const v = column.values[i];
      putOwn(row, name, column.type === 'bool' ? v === 1 : v);
    }
    out.push(row);
  }
}
