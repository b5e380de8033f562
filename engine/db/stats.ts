/** What a database holds, counted from the segment metadata and the heads (nothing is read). */

import type { SyncEdgeStatus } from '../sync/edge-options';
import { putOwn } from '../util/own';
import type { WalReplayStats } from '../wal/recover';
import type { DbState, WorkCounters } from './state';

export interface TableStats {
  series: number;
  /** rows stored, counting a (series, time) written again before compaction more than once */
  rows: number;
  /** bytes of the table's segment files */
  bytes: number;
  minTime: number | null;
  maxTime: number | null;
  partitions: number;
  segments: number;
  /** wall-clock ms of the last write to the table since the database opened; null: none since */
  lastWriteAt: number | null;
}

export interface DatabaseStats {
  tables: Record<string, TableStats>;
  walBytes: number;
  headRows: number;
  lastLsn: number;
  checkpointLsn: number;
  /** a background flush or compaction that failed last, if any (it is retried) */
  lastBackgroundError: string | null;
  replay: WalReplayStats | null;
  /** segment files found corrupt at open, renamed *.corrupt and left out */
  quarantined: string[];
  /** recently read chunks kept in memory: bytes held and the limit (cacheMB) */
  cache: { bytes: number; maxBytes: number };
  /** work since open: readings written, flushes and compactions with their seconds */
  work: WorkCounters;
  /** the sync edges open over this database: backlog, rows lost, log kept (SyncEdge.status) */
  syncEdges: SyncEdgeStatus[];
}

/** Bytes of the segment files and the WAL. */
export function diskBytes(s: DbState): number {
  let bytes = s.wal?.bytes ?? 0;
  for (const handle of s.segments.all()) bytes += handle.meta.bytes;
  return bytes;
}

/** The stats the state alone answers (the Database adds its sync edges). */
export function databaseStats(s: DbState): Omit<DatabaseStats, 'syncEdges'> {
  const tables: Record<string, TableStats> = {};
  for (const [name] of s.catalog.tables) putOwn(tables, name, tableStats(s, name));
  return {
    tables,
    walBytes: s.wal?.bytes ?? 0,
    headRows: s.active.rows + s.frozen.reduce((n, h) => n + h.rows, 0),
    lastLsn: s.wal?.lastLsn ?? s.checkpointLsn,
    checkpointLsn: s.checkpointLsn,
    lastBackgroundError: s.lastBackgroundError,
    replay: s.replayStats,
    quarantined: s.quarantined,
    cache: { bytes: s.chunkCache.size, maxBytes: s.chunkCache.maxBytes },
    work: { ...s.work },
  };
}

function tableStats(s: DbState, table: string): TableStats {
  const stats: TableStats = {
    series: s.seriesKeys.get(table)?.size ?? 0,
    rows: 0,
    bytes: 0,
    minTime: null,
    maxTime: null,
    partitions: s.segments.partitionsOf(table).size,
    segments: 0,
    lastWriteAt: s.lastWriteAt.get(table) ?? null,
  };
  const widen = (min: number, max: number) => {
    stats.minTime = stats.minTime === null ? min : Math.min(stats.minTime, min);
    stats.maxTime = stats.maxTime === null ? max : Math.max(stats.maxTime, max);
  };
  for (const list of s.segments.partitionsOf(table).values()) {
    for (const handle of list) {
      stats.rows += handle.meta.rows;
      stats.bytes += handle.meta.bytes;
      stats.segments++;
      widen(handle.meta.minTime, handle.meta.maxTime);
    }
  }
  for (const head of s.heads()) {
    for (const buffer of head.seriesOf(table)) {
      stats.rows += buffer.count;
      if (buffer.count > 0) widen(buffer.minTime, buffer.maxTime);
    }
  }
  return stats;
}
