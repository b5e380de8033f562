/**
 * The series index's share of `memoryLimitMB` (issue #19, M3). The head's rows and per-series
 * buffers are counted by the head itself and flushed at half the limit; what stays in memory
 * after a flush grows with the number of series: the catalog's key, newest time and resolver
 * path of each one, and the segments' compact footers. That is counted here and may take half of
 * the limit (the head keeps to the other half between flushes), and a write that would add series
 * past it is refused before anything is stored.
 */
import { HeliosError } from '../errors';
import type { WriteBatch } from '../ingest/prepare-batch';
import type { DbState } from './state';

/**
 * Memory one series costs beyond its rows and its footer entries, measured: 60,000 series over
 * 8 segments held about 1.4 KiB a series of heap after a flush (bench/memory-bench.js,
 * docs/storage.md "Memory").
 */
export const SERIES_INDEX_BYTES = 1536;

const MIB = 1024 * 1024;

/** Throws HELIOS_MEMORY_LIMIT when `batches` add series past the series index's budget. */
export function checkSeriesBudget(s: DbState, batches: readonly WriteBatch[]): void {
  let added = 0;
  for (const batch of batches) {
    const keys = s.seriesKeys.get(batch.table);
    for (const series of batch.series) if (!keys?.has(series.key)) added++;
  }
  if (added === 0) return;
  const series = knownSeries(s);
  const footers = footerBytes(s);
  const budget = s.options.memoryLimitBytes / 2;
  if ((series + added) * SERIES_INDEX_BYTES + footers <= budget) return;
  const limit = s.options.memoryLimitBytes / MIB;
  throw new HeliosError(
    'HELIOS_MEMORY_LIMIT',
    `This write adds ${added} series to "${batches[0]!.table}", which would take the series index ` +
      `past its half of memoryLimitMB (${limit / 2} of ${limit} MiB: ${series} series known at about ` +
      `${SERIES_INDEX_BYTES / 1024} KiB each, and ${(footers / MIB).toFixed(1)} MiB of segment footers), ` +
      'so nothing of it was stored. ' +
      'Raise memoryLimitMB, or write fewer distinct tag values (a value that changes with every ' +
      'reading belongs in a field).',
  );
}

function knownSeries(s: DbState): number {
  let n = 0;
  for (const keys of s.seriesKeys.values()) n += keys.size;
  return n;
}

function footerBytes(s: DbState): number {
  let bytes = 0;
  for (const handle of s.segments.all()) bytes += handle.reader.memoryBytes;
  return bytes;
}
