/** What the sidebar shows of a database: its state, and when open its tables' and storage's figures. */
import type { DatabaseStats } from '../../../engine/index';
import type { RegisteredDatabase } from './registry';

export interface TableView {
  name: string;
  rows: number;
  series: number;
  bytes: number;
  /** bytes on disk per stored row; null without flushed rows */
  bytesPerRow: number | null;
  minTime: number | null;
  maxTime: number | null;
  partitions: number;
  segments: number;
  /** wall-clock ms of the last write since the database opened, or null */
  lastWriteAt: number | null;
  tags: string[];
  fields: Array<{ name: string; type: string }>;
}

export interface DatabaseView {
  id: string;
  label: string;
  /** opening, open, error, closing, closed (closed: no node uses it yet) */
  state: string;
  error: string | null;
  dir: string | null;
  tables: TableView[];
  walBytes: number;
  headRows: number;
  lastLsn: number;
  cacheBytes: number;
  cacheMaxBytes: number;
  quarantined: string[];
  lastBackgroundError: string | null;
}

export function viewOf(entry: RegisteredDatabase): DatabaseView {
  const state = entry.controller.state;
  const db = entry.controller.database;
  const view: DatabaseView = {
    id: entry.id,
    label: entry.label,
    state: state.kind,
    error: state.kind === 'error' ? state.error.message : null,
    dir: db?.dir ?? null,
    tables: [],
    walBytes: 0,
    headRows: 0,
    lastLsn: 0,
    cacheBytes: 0,
    cacheMaxBytes: 0,
    quarantined: [],
    lastBackgroundError: null,
  };
  if (!db || state.kind !== 'open') return view;
  const stats: DatabaseStats = db.stats();
  view.tables = Object.entries(stats.tables).map(([name, t]) => {
    const schema = db.schema(name);
    const flushedRows = t.bytes > 0 ? t.rows : 0;
    return {
      name,
      rows: t.rows,
      series: t.series,
      bytes: t.bytes,
      bytesPerRow: flushedRows > 0 ? t.bytes / flushedRows : null,
      minTime: t.minTime,
      maxTime: t.maxTime,
      partitions: t.partitions,
      segments: t.segments,
      lastWriteAt: t.lastWriteAt,
      tags: [...(schema?.tagKeys ?? [])],
      fields: (schema?.fields ?? []).filter((f) => !f.name.startsWith('\u0001')).map((f) => ({ ...f })),
    };
  });
  view.walBytes = stats.walBytes;
  view.headRows = stats.headRows;
  view.lastLsn = stats.lastLsn;
  view.cacheBytes = stats.cache.bytes;
  view.cacheMaxBytes = stats.cache.maxBytes;
  view.quarantined = stats.quarantined;
  view.lastBackgroundError = stats.lastBackgroundError;
  return view;
}
