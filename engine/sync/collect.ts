/**
 * Gathers the rows of feed records into one batch's tables: per table and series, the rows in LSN
 * order with their identity (rowid, delete marker) and fields, ready for encodeSyncBatch.
 */
import type { BatchSeries, WriteBatch } from '../ingest/prepare-batch';
import { globToRegExp } from '../policy/retention';
import { DELETED_FIELD, isHiddenName, ROWID_FIELD } from '../rows/identity';
import type { ColumnType, FieldColumn } from '../types';
import type { SyncSeries, SyncTable } from './batch-format';
import type { FeedRecord } from './wal-feed';

/** Tables the engine keeps for sync itself: never sent. */
export const INTERNAL_TABLE = /^helios_sync/;
/** Tables of the alarm journal: the journal lane. */
export const JOURNAL_TABLE = /^helios_alarm/;

/** Which tables a lane takes. */
export type TableFilter = (table: string) => boolean;

/** The filter of `globs` (`*`, `?`), leaving out the engine's own sync tables. */
export function tableFilter(globs: readonly string[]): TableFilter {
  const patterns = globs.map(globToRegExp);
  return (table) => !INTERNAL_TABLE.test(table) && patterns.some((p) => p.test(table));
}

/** The write batches of a record (a range delete or a DROP TABLE stays local: docs/sync.md). */
export function batchesOf(record: FeedRecord): readonly WriteBatch[] {
  switch (record.entry.kind) {
    case 'write':
      return [record.entry.batch];
    case 'group':
      return record.entry.batches;
    case 'delete':
      return [];
  }
}

class SeriesBuilder {
  readonly times: number[] = [];
  rowids: number[] | null = null;
  deleted: number[] | null = null;
  readonly fields = new Map<string, { type: ColumnType; values: unknown[]; present: number[] }>();

  constructor(readonly tags: Readonly<Record<string, string>>) {}

  get count(): number {
    return this.times.length;
  }

  add(series: BatchSeries): void {
    const start = this.count;
    for (let i = 0; i < series.count; i++) this.times.push(series.times[i]!);
    for (const [name, column] of series.fields) {
      if (name === ROWID_FIELD)
        this.rowids = fillColumn(this.rowids, start, column, series.count, Number.NaN);
      else if (name === DELETED_FIELD)
        this.deleted = fillColumn(this.deleted, start, column, series.count, 0);
      else if (!isHiddenName(name)) this.addField(name, column, start, series.count);
    }
    if (this.rowids) padTo(this.rowids, this.count, Number.NaN);
    if (this.deleted) padTo(this.deleted, this.count, 0);
  }

  private addField(name: string, column: FieldColumn, start: number, n: number): void {
    let f = this.fields.get(name);
    if (!f) {
      f = { type: column.type, values: [], present: [] };
      this.fields.set(name, f);
    }
    padTo(f.present, start, 0);
    padTo(f.values, start, column.type === 'string' ? '' : 0);
    for (let i = 0; i < n; i++) {
      const has = column.present ? column.present[i]! : 1;
      f.present.push(has);
      f.values.push(column.values[i]);
    }
  }

  finish(): SyncSeries {
    const n = this.count;
    const fields = new Map<string, FieldColumn>();
    for (const [name, f] of this.fields) {
      padTo(f.present, n, 0);
      padTo(f.values, n, f.type === 'string' ? '' : 0);
      const all = f.present.every((p) => p === 1);
      const values =
        f.type === 'string'
          ? (f.values as string[])
          : f.type === 'bool'
            ? Uint8Array.from(f.values as number[])
            : Float64Array.from(f.values as number[]);
      fields.set(name, { type: f.type, values, present: all ? null : Uint8Array.from(f.present) });
    }
    return {
      tags: this.tags,
      count: n,
      times: Float64Array.from(this.times),
      rowids: this.rowids ? Float64Array.from(this.rowids) : null,
      deleted: this.deleted?.some((d) => d === 1) ? Uint8Array.from(this.deleted) : null,
      fields,
    };
  }
}

function padTo<T>(list: T[], n: number, value: T): void {
  while (list.length < n) list.push(value);
}

function fillColumn(
  list: number[] | null,
  start: number,
  column: FieldColumn,
  n: number,
  none: number,
): number[] {
  const out = list ?? [];
  padTo(out, start, none);
  for (let i = 0; i < n; i++) {
    const has = column.present ? column.present[i] : 1;
    out.push(has ? Number(column.values[i]) : none);
  }
  return out;
}

/** One batch's rows as they are gathered. */
export class BatchCollector {
  rows = 0;
  /** bytes of the records gathered (their log size: a fair guess of the body's size) */
  bytes = 0;
  /** the oldest row time gathered */
  oldest = Number.POSITIVE_INFINITY;
  private readonly tables = new Map<
    string,
    { types: Map<string, ColumnType>; series: Map<string, SeriesBuilder> }
  >();

  /**
   * Adds the rows of `record` that `accept` takes. Returns false, adding nothing, when a field
   * would change type within the batch (a table dropped and written anew): the batch ends before.
   */
  add(record: FeedRecord, accept: TableFilter): boolean {
    const batches = batchesOf(record).filter((b) => accept(b.table));
    for (const b of batches) if (this.conflicts(b)) return false;
    for (const b of batches) this.addBatch(b);
    if (batches.length > 0) this.bytes += record.bytes;
    return true;
  }

  /** The tables gathered, in first-seen order. */
  finish(): SyncTable[] {
    return [...this.tables].map(([table, t]) => ({
      table,
      fieldTypes: t.types,
      series: [...t.series.values()].map((s) => s.finish()),
    }));
  }

  /** The tables gathered, by name. */
  tableNames(): string[] {
    return [...this.tables.keys()];
  }

  private conflicts(batch: WriteBatch): boolean {
    const types = this.tables.get(batch.table)?.types;
    if (!types) return false;
    for (const [name, type] of batch.fieldTypes) {
      const known = types.get(name);
      if (known !== undefined && known !== type) return true;
    }
    return false;
  }

  private addBatch(batch: WriteBatch): void {
    let t = this.tables.get(batch.table);
    if (!t) {
      t = { types: new Map(), series: new Map() };
      this.tables.set(batch.table, t);
    }
    for (const [name, type] of batch.fieldTypes) if (!isHiddenName(name)) t.types.set(name, type);
    for (const series of batch.series) {
      let s = t.series.get(series.key);
      if (!s) {
        s = new SeriesBuilder(series.tags);
        t.series.set(series.key, s);
      }
      s.add(series);
      this.rows += series.count;
      for (let i = 0; i < series.count; i++)
        if (series.times[i]! < this.oldest) this.oldest = series.times[i]!;
    }
  }
}
