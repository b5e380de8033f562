/**
 * Gathers the rows of feed records into one batch's tables: per table and series, the rows in LSN
 * order with their identity (rowid, delete marker) and fields, ready for encodeSyncBatch.
 */
import type { BatchSeries, WriteBatch } from '../ingest/prepare-batch';
import { globToRegExp } from '../policy/retention';
import { DELETED_FIELD, isHiddenName, ROWID_FIELD } from '../rows/identity';
import type { ColumnType, FieldColumn } from '../types';
import { TimeSlicer } from '../util/fsutil';
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

  /**
   * The rows in time order. The sort is stable, so rows of one identity (same time, same rowid:
   * a re-sent reading, an UPDATE's new version, a delete marker) keep their write order and the
   * last still wins at the hub; time order is what lets the codecs compress a series.
   */
  finish(): SyncSeries {
    const n = this.count;
    const order = timeOrder(this.times);
    const fields = new Map<string, FieldColumn>();
    for (const [name, f] of this.fields) {
      padTo(f.present, n, 0);
      padTo(f.values, n, f.type === 'string' ? '' : 0);
      const present = permute(f.present, order);
      const all = present.every((p) => p === 1);
      const sorted = permute(f.values, order);
      const values =
        f.type === 'string'
          ? (sorted as string[])
          : f.type === 'bool'
            ? Uint8Array.from(sorted as number[])
            : Float64Array.from(sorted as number[]);
      fields.set(name, { type: f.type, values, present: all ? null : Uint8Array.from(present) });
    }
    return {
      tags: this.tags,
      count: n,
      times: Float64Array.from(permute(this.times, order)),
      rowids: this.rowids ? Float64Array.from(permute(this.rowids, order)) : null,
      deleted: this.deleted?.some((d) => d === 1) ? Uint8Array.from(permute(this.deleted, order)) : null,
      fields,
    };
  }
}

/** The row order by time, stable (null: already in order). */
function timeOrder(times: readonly number[]): number[] | null {
  let sorted = true;
  for (let i = 1; i < times.length && sorted; i++) if (times[i]! < times[i - 1]!) sorted = false;
  if (sorted) return null;
  const order = times.map((_, i) => i);
  return order.sort((a, b) => times[a]! - times[b]! || a - b);
}

function permute<T>(list: readonly T[], order: readonly number[] | null): T[] {
  return order ? order.map((i) => list[i]!) : (list as T[]);
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

  /** The tables gathered, in first-seen order (yielding to the event loop between series). */
  async finish(): Promise<SyncTable[]> {
    const slicer = new TimeSlicer(8);
    const out: SyncTable[] = [];
    for (const [table, t] of this.tables) {
      const series: SyncSeries[] = [];
      for (const s of t.series.values()) {
        series.push(s.finish());
        await slicer.maybeYield();
      }
      out.push({ table, fieldTypes: t.types, series });
    }
    return out;
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
