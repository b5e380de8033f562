/**
 * Reads: a snapshot of a table (the segments of the partitions asked for and every head, each held
 * so that flush, compaction and retention wait for it) and the scans over it. A snapshot is
 * released when its iteration ends, however it ends.
 */
import { type Head, releaseHeads } from '../head/head';
import { edgeRows as readEdgeRows } from '../read/edges';
import {
  newScanCounters,
  type ReadOptions,
  scanParts as readScanParts,
  type ScanCounters,
  type ScanSnapshot,
  type SeriesParts,
  scanTable,
  toPlainRows,
} from '../read/scan';
import { partitionKey, releaseAll } from '../storage/segment-set';
import type { SeriesRows } from '../types';
import { TimeSlicer } from '../util/fsutil';
import type { DbState } from './state';

/** Rows turned into objects between checks of the time slice. */
const PLAIN_ROWS_PER_SLICE = 4096;

/** `overlay`: a transaction's own rows, read as the newest source (see transaction.ts). */
function takeSnapshot(
  s: DbState,
  table: string,
  options: ReadOptions,
  counters: ScanCounters,
  overlay: Head | undefined,
): ScanSnapshot {
  s.openWal();
  const segments = s.segments.acquire(table, options.from, options.to);
  const kept = new Set(segments.map((h) => partitionKey(h.meta)));
  counters.partitions += kept.size;
  counters.partitionsSkipped += s.segments.partitionsOf(table).size - kept.size;
  const heads = overlay ? [...s.frozen, s.active, overlay] : [...s.frozen, s.active];
  for (const head of heads) head.retain();
  return {
    segments,
    heads,
    tombstones: s.tombstones,
    indexes: s.seriesIndexes,
    onDamage: (handle, chunk, tags, err) => s.reportDamage(handle, chunk, tags, err),
  };
}

async function releaseSnapshot(snapshot: ScanSnapshot): Promise<void> {
  releaseHeads(snapshot.heads);
  await releaseAll(snapshot.segments);
}

/** What `read` yields from a snapshot taken at the first `next()`, held until the iteration ends. */
async function* yieldHeld<T>(
  s: DbState,
  table: string,
  options: ReadOptions,
  counters: ScanCounters,
  overlay: Head | undefined,
  read: (snapshot: ScanSnapshot) => AsyncIterable<T>,
): AsyncGenerator<T> {
  const snapshot = takeSnapshot(s, table, options, counters, overlay);
  try {
    yield* read(snapshot);
  } finally {
    await releaseSnapshot(snapshot);
  }
}

/** What `read` resolves to from a snapshot, held until it has. */
async function resolveHeld<T>(
  s: DbState,
  table: string,
  options: ReadOptions,
  counters: ScanCounters,
  overlay: Head | undefined,
  read: (snapshot: ScanSnapshot) => Promise<T>,
): Promise<T> {
  const snapshot = takeSnapshot(s, table, options, counters, overlay);
  try {
    return await read(snapshot);
  } finally {
    await releaseSnapshot(snapshot);
  }
}

/** Each matching series' rows (columnar), by series key then time. See Database.scan. */
export function scan(
  s: DbState,
  table: string,
  options: ReadOptions = {},
  counters = newScanCounters(),
  overlay?: Head,
): AsyncGenerator<SeriesRows> {
  return yieldHeld(s, table, options, counters, overlay, (snapshot) =>
    scanTable(table, snapshot, options, counters),
  );
}

/** Each matching series as time-disjoint parts (see ScanPart). See Database.scanParts. */
export function scanParts(
  s: DbState,
  table: string,
  options: ReadOptions = {},
  counters = newScanCounters(),
  overlay?: Head,
): AsyncGenerator<SeriesParts> {
  return yieldHeld(s, table, options, counters, overlay, (snapshot) =>
    readScanParts(table, snapshot, options, counters),
  );
}

/** One row per matching series, its newest or oldest. See Database.edgeRows. */
export function edgeRows(
  s: DbState,
  table: string,
  options: ReadOptions,
  newest: boolean,
  counters = newScanCounters(),
  overlay?: Head,
): Promise<SeriesRows[]> {
  return resolveHeld(s, table, options, counters, overlay, (snapshot) =>
    readEdgeRows(table, snapshot, options, newest, counters, s.seriesIndexes),
  );
}

/** Rows of `table` as plain objects { time, ...tags, ...fields }, by series then time. */
export async function readPlain(
  s: DbState,
  table: string,
  options: ReadOptions = {},
): Promise<Array<Record<string, unknown>>> {
  const out: Array<Record<string, unknown>> = [];
  const slicer = new TimeSlicer();
  for await (const series of scan(s, table, options)) {
    for (let start = 0; start < series.count; start += PLAIN_ROWS_PER_SLICE) {
      toPlainRows(series, out, start, Math.min(series.count, start + PLAIN_ROWS_PER_SLICE));
      await slicer.maybeYield();
    }
  }
  return out;
}
