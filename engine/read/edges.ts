/**
 * The newest (or oldest) row of each series without reading the rest of it: "latest value per
 * series", the question every dashboard asks.
 *
 * The edge row of a series is the row at its largest (smallest) time, taken from the source of
 * highest priority holding that time, since the last write of a time replaces the whole row.
 * - Segments never change, so which chunk holds each series' edge among a set of segments is
 *   worked out once per set (`SeriesIndex`), and a chunk's first and last rows are kept once it has
 *   been decoded (a WeakMap on the chunk's metadata: they go with their segment).
 * - The head changes with every write and is looked at on every scan: its buffers know their
 *   smallest and largest times, and their rows are views while appends come in time order.
 * - A series whose edge row a delete may hide, and every series of a scan limited in time, is
 *   read the general way: its parts from the edge inward.
 */
import type { Head } from '../head/head';
import type { SeriesBuffer } from '../head/series-buffer';
import { DELETED_FIELD, marksDeleted, ROWID_FIELD } from '../rows/identity';
import { takeRows } from '../rows/take';
import type { ChunkMeta } from '../segment/reader';
import { readChunkOrSkip, type SegmentHandle } from '../storage/segment-set';
import type { SeriesRows } from '../types';
import { TimeSlicer } from '../util/fsutil';
import { type ReadOptions, type ScanCounters, type ScanSnapshot, seriesSources, toParts } from './scan';
import { type ChunkEdge, edgeChunk, listSeries, type SeriesIndexes } from './series-index';

type Tags = Readonly<Record<string, string>>;

interface EdgeRows {
  readonly first: SeriesRows;
  readonly last: SeriesRows;
}

/** First and last rows of decoded chunks, by the chunk's metadata object. */
const chunkEdges = new WeakMap<ChunkMeta, EdgeRows>();

/** Where a series' edge row lives once the head is taken into account. */
type EdgeSource =
  | { kind: 'chunk'; edge: ChunkEdge; tags: Tags; lsn: number }
  | { kind: 'head'; time: number; buffer: SeriesBuffer; lsn: number }
  /** two sources hold rows at the edge time that rowids tell apart: read the general way */
  | { kind: 'tie'; time: number; lsn: number };

/**
 * One row per matching series, series in key order: its newest row (`newest`) or its oldest one.
 * Series without rows in [from, to] have none.
 */
export async function edgeRows(
  table: string,
  snap: ScanSnapshot,
  options: ReadOptions,
  newest: boolean,
  counters: ScanCounters,
  indexes: SeriesIndexes,
): Promise<SeriesRows[]> {
  const slicer = new TimeSlicer();
  const index = await indexes.of(table, snap.segments);
  const heads = snap.heads.map((head) => ({ head, buffers: head.tables.get(table) }));
  const rows: SeriesRows[] = [];
  for (const [key, tags] of await listSeries(table, index, snap.heads, options.tags)) {
    const at = index.position.get(key);
    let source: EdgeSource | null = null;
    if (at !== undefined) {
      const edge = newest ? index.newest[at]! : index.oldest[at]!;
      source = { kind: 'chunk', edge, tags, lsn: edge.handle.meta.maxLsn };
    }
    for (const h of heads) {
      const buffer = h.buffers?.get(key);
      if (buffer) source = headBeats(buffer, h.head, source, newest) ?? source;
    }
    const row = source && (await edgeRow(table, key, tags, snap, options, source, newest, counters));
    if (row) rows.push(row);
    await slicer.maybeYield();
  }
  return rows;
}

/** The head buffer as the new edge source when it holds the edge time (a later source wins ties). */
function headBeats(
  buffer: SeriesBuffer,
  head: Head,
  current: EdgeSource | null,
  newest: boolean,
): EdgeSource | undefined {
  if (buffer.count === 0) return undefined;
  const time = newest ? buffer.maxTime : buffer.minTime;
  if (current) {
    const now = current.kind === 'chunk' ? current.edge.time : current.time;
    if (newest ? time < now : time > now) return undefined;
    // Rows with rowids at one time are different rows: which is the edge, only their ids tell.
    if (time === now && buffer.fields.has(ROWID_FIELD)) return { kind: 'tie', time, lsn: head.maxLsn };
  }
  return { kind: 'head', time, buffer, lsn: head.maxLsn };
}

/**
 * The series' edge row within [from, to] from `source`; the general way's when a delete may hide
 * that row or when it lies beyond the range (the edge row in range is then further in).
 */
async function edgeRow(
  table: string,
  key: string,
  tags: Tags,
  snap: ScanSnapshot,
  options: ReadOptions,
  source: EdgeSource,
  newest: boolean,
  counters: ScanCounters,
): Promise<SeriesRows | null> {
  const time = source.kind === 'chunk' ? source.edge.time : source.time;
  const from = options.from ?? Number.NEGATIVE_INFINITY;
  const to = options.to ?? Number.POSITIVE_INFINITY;
  if (newest ? time < from : time > to) return null; // every row of the series is outside the range
  if (
    source.kind === 'tie' ||
    (newest ? time > to : time < from) ||
    snap.tombstones.applying(table, tags, source.lsn, time, time).length > 0
  ) {
    return edgeOfParts(table, key, tags, snap, options, newest, counters);
  }
  const row = await sourceEdgeRow(source, tags, newest, counters, snap);
  // A delete marker at the edge, or a damaged chunk there: the live edge row is further in.
  if (!row || isMarker(row)) return edgeOfParts(table, key, tags, snap, options, newest, counters);
  counters.series++;
  return row;
}

async function sourceEdgeRow(
  source: Exclude<EdgeSource, { kind: 'tie' }>,
  tags: Tags,
  newest: boolean,
  counters: ScanCounters,
  snap: ScanSnapshot,
): Promise<SeriesRows | null> {
  if (source.kind === 'head') {
    const rows = source.buffer.rows(); // views while appends came in time order, else sorted once
    return takeRows(rows, [newest ? rows.count - 1 : 0]);
  }
  const { handle } = source.edge;
  const chunk = edgeChunk(source.edge);
  if (handle.reader.damageOf(chunk) !== undefined) return null;
  const edges = chunkEdges.get(chunk) ?? (await decodeEdges(handle, chunk, tags, counters, snap));
  if (!edges) return null;
  return { ...(newest ? edges.last : edges.first), tags };
}

function isMarker(row: SeriesRows): boolean {
  const marks = row.fields.get(DELETED_FIELD);
  return marks !== undefined && marksDeleted(marks, 0);
}

async function decodeEdges(
  handle: SegmentHandle,
  chunk: ChunkMeta,
  tags: Tags,
  counters: ScanCounters,
  snap: ScanSnapshot,
): Promise<EdgeRows | null> {
  counters.chunks++;
  counters.rowsLoaded += chunk.rows;
  const decoded = await readChunkOrSkip(handle, chunk, tags, undefined, snap.onDamage);
  if (!decoded) return null;
  const rows: SeriesRows = { tags: {}, count: decoded.count, times: decoded.times, fields: decoded.fields };
  // Copies, so that the decoded chunk is not kept alive by its edge rows.
  const edges = { first: takeRows(rows, [0]), last: takeRows(rows, [rows.count - 1]) };
  chunkEdges.set(chunk, edges);
  return edges;
}

/** The general way: the series' parts from the edge inward, the first with rows gives the edge row. */
async function edgeOfParts(
  table: string,
  key: string,
  tags: Tags,
  snap: ScanSnapshot,
  options: ReadOptions,
  newest: boolean,
  counters: ScanCounters,
): Promise<SeriesRows | null> {
  const from = options.from ?? Number.NEGATIVE_INFINITY;
  const to = options.to ?? Number.POSITIVE_INFINITY;
  const sources = seriesSources(table, key, tags, snap, from, to, counters);
  if (sources.length === 0) return null;
  counters.series++;
  const parts = toParts(tags, sources, from, to);
  if (newest) parts.reverse();
  for (const part of parts) {
    const rows = await part.load();
    if (rows.count > 0) return takeRows(rows, [newest ? rows.count - 1 : 0]);
  }
  return null;
}
