/**
 * Transactions (docs/storage.md, "Transactions"). A transaction's writes are validated and
 * numbered when made, kept in an overlay head that only its own reads see, and committed as one
 * WAL record: durable and visible together, or, after a rollback or a crash before the commit's
 * record is whole, not at all. Other writers are never held up: the overlay is private, and the
 * commit is one append.
 */
import { InvalidInputError } from '../errors';
import type { QueryResult, QueryTarget } from '../exec/target';
import { Head } from '../head/head';
import type { WriteBatch } from '../ingest/prepare-batch';
import type { Reading, StoredReading } from '../ingest/readings';
import { type QueryOptions, type QueryParams, runQuery } from '../query/query';
import type { ReadOptions, ScanCounters, SeriesParts } from '../read/scan';
import { isHiddenName, ROWID_FIELD } from '../rows/identity';
import type { ColumnType, SeriesRows } from '../types';

/** The overlay's LSN: newer than any delete, so no tombstone hides a transaction's own rows. */
const OVERLAY_LSN = Number.MAX_SAFE_INTEGER;

/** What a write resolves to (db/database.ts re-exports it as WriteResult). */
export interface WriteResult {
  /** readings stored: every one of them is kept (those that replaced an earlier row included) */
  count: number;
  /**
   * of `count`, the readings that replaced a row stored before (same series and time, no rowid:
   * a reading sent again), or an earlier reading of the same batch
   */
  replaced: number;
  /** the batch's log sequence number (0 inside a transaction, until it commits) */
  lsn: number;
  /** the largest rowid the batch gave a row, or null when no row got one */
  lastRowid: number | null;
  /** each reading's rowid in the order given (NaN: none), when some row got one */
  rowids?: Float64Array;
  /** the indexes of the readings that replaced an earlier row, ascending, when any did */
  replacedAt?: readonly number[];
}

/** One table's rows in `writeGroup`: see there. */
export interface GroupPart {
  readonly table: string;
  readonly readings: readonly Reading[] | readonly StoredReading[];
  readonly rows: 'auto' | 'none' | 'stored';
}

/** A part validated and numbered, ready to commit. */
export interface PreparedPart {
  readonly batch: WriteBatch;
  readonly replaced: number;
  /** the indexes of the readings that replace an earlier row, ascending */
  readonly replacing: readonly number[];
}

/** What a transaction needs of the database (Database is one): preparing, committing, reading. */
export interface TransactionStore extends Pick<QueryTarget, 'tables' | 'schema'> {
  createTable: NonNullable<QueryTarget['createTable']>;
  view: NonNullable<QueryTarget['view']>;
  views: NonNullable<QueryTarget['views']>;
  createView: NonNullable<QueryTarget['createView']>;
  dropView: NonNullable<QueryTarget['dropView']>;
  prepareParts(parts: readonly GroupPart[], reserved: Map<string, number>): Promise<PreparedPart[]>;
  commitPrepared(
    prepared: readonly PreparedPart[],
    reads?: ReadonlyMap<string, number>,
  ): Promise<WriteResult[]>;
  changeOf(table: string): number;
  giveBack(reserved: ReadonlyMap<string, number>, taken: ReadonlyMap<string, number>): void;
  scan(
    table: string,
    options?: ReadOptions,
    counters?: ScanCounters,
    overlay?: Head,
  ): AsyncGenerator<SeriesRows>;
  scanParts(
    table: string,
    options?: ReadOptions,
    counters?: ScanCounters,
    overlay?: Head,
  ): AsyncGenerator<SeriesParts>;
  edgeRows(
    table: string,
    options: ReadOptions,
    newest: boolean,
    counters?: ScanCounters,
    overlay?: Head,
  ): Promise<SeriesRows[]>;
}

/** Delete markers for every row of `rows` (one series): each replaces the row of its identity. */
export function markersFor(rows: SeriesRows): StoredReading[] {
  const ids = rows.fields.get(ROWID_FIELD);
  const out: StoredReading[] = [];
  for (let i = 0; i < rows.count; i++) {
    const rowid = ids && (!ids.present || ids.present[i]) ? (ids.values[i] as number) : null;
    out.push({ time: rows.times[i]!, tags: rows.tags, fields: {}, rowid, deleted: true });
  }
  return out;
}

export class Transaction {
  private readonly pending: PreparedPart[] = [];
  private readonly overlay = new Head();
  /** each table's next rowid before this transaction numbered rows in it */
  private readonly reserved = new Map<string, number>();
  private state: 'open' | 'committed' | 'rolled back' = 'open';
  /** each table this transaction read, with the database's change LSN of it when it first did */
  private readonly reads = new Map<string, number>();

  constructor(private readonly db: TransactionStore) {}

  /** Stores readings in the transaction, numbered as `db.write` numbers them. */
  write(table: string, readings: readonly Reading[]): Promise<WriteResult> {
    return this.add({ table, readings, rows: 'auto' });
  }

  /** Rows written again with their identity (an UPDATE's new versions, a DELETE's markers). */
  writeStored(table: string, readings: readonly StoredReading[]): Promise<WriteResult> {
    return this.add({ table, readings, rows: 'stored' });
  }

  private async add(part: GroupPart): Promise<WriteResult> {
    this.checkOpen();
    const [prepared] = await this.db.prepareParts([part], this.reserved);
    const { batch, replaced } = prepared!;
    if (batch.rows > 0) {
      this.overlay.apply(batch, OVERLAY_LSN);
      this.pending.push(prepared!);
    }
    return {
      count: batch.rows,
      replaced,
      lsn: 0,
      lastRowid: batch.maxRowid,
      ...(batch.rowids ? { rowids: batch.rowids } : {}),
    };
  }

  /** Runs SQL inside the transaction: its reads see the transaction's writes. */
  query(sql: string, params?: QueryParams, options?: QueryOptions): Promise<QueryResult> {
    this.checkOpen();
    return runQuery(this.target(), sql, params, options);
  }

  /** Stores every write of the transaction as one WAL record; resolves to its LSN (0: nothing written). */
  async commit(): Promise<number> {
    this.checkOpen();
    this.state = 'committed';
    try {
      const results = await this.db.commitPrepared(this.pending, this.reads);
      return results[0]?.lsn ?? 0;
    } catch (err) {
      this.giveBackRowids();
      throw err;
    }
  }

  /** Forgets the transaction's writes; rowids it numbered are handed back if no one took one since. */
  rollback(): void {
    if (this.state !== 'open') return;
    this.state = 'rolled back';
    this.giveBackRowids();
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  private giveBackRowids(): void {
    const taken = new Map<string, number>();
    for (const { batch } of this.pending) {
      if (batch.maxRowid !== null)
        taken.set(batch.table, Math.max(taken.get(batch.table) ?? 0, batch.maxRowid + 1));
    }
    this.db.giveBack(this.reserved, taken);
  }

  /** Notes that the transaction reads `table` (before it does, so a write meanwhile is seen). */
  private reading(table: string): void {
    if (!this.reads.has(table)) this.reads.set(table, this.db.changeOf(table));
  }

  private checkOpen(): void {
    if (this.state !== 'open') {
      throw new InvalidInputError(
        `This transaction is ${this.state} already; begin a new one for more work.`,
        'HELIOS_TX_DONE',
      );
    }
  }

  /** The storage as the transaction sees it, for SQL. */
  target(): QueryTarget {
    const db = this.db;
    const overlay = this.overlay;
    return {
      tables: () => [...new Set([...db.tables(), ...this.pending.map((p) => p.batch.table)])].sort(),
      schema: (table) => this.schema(table),
      scan: (table, options, counters) => {
        this.reading(table);
        return db.scan(table, options, counters, overlay);
      },
      scanParts: (table, options, counters) => {
        this.reading(table);
        return db.scanParts(table, options, counters, overlay);
      },
      edgeRows: (table, options, newest, counters) => {
        this.reading(table);
        return db.edgeRows(table, options, newest, counters, overlay);
      },
      write: (table, readings) => this.write(table, readings),
      writeStored: (table, readings) => this.writeStored(table, readings),
      deleteRows: (table, options) => this.deleteRows(table, options),
      dropTable: async (table) => {
        throw new InvalidInputError(
          `DROP TABLE "${table}" cannot run inside a transaction: run it after COMMIT.`,
          'HELIOS_SQL_UNSUPPORTED',
        );
      },
      createTable: (name, def, options) => db.createTable(name, def, options),
      view: (name) => db.view(name),
      views: () => db.views(),
      createView: (name, view, options) => db.createView(name, view, options),
      dropView: (name) => db.dropView(name),
      inTransaction: true,
    };
  }

  /** Deletes inside a transaction are markers for the rows it sees, stored at commit. */
  private async deleteRows(table: string, options: ReadOptions): Promise<{ lsn: number; count: number }> {
    const markers: StoredReading[] = [];
    this.reading(table);
    for await (const rows of this.db.scan(table, options, undefined, this.overlay))
      markers.push(...markersFor(rows));
    if (markers.length > 0) await this.writeStored(table, markers);
    return { lsn: 0, count: markers.length };
  }

  /** The table's columns, with those the transaction's own writes add. */
  private schema(table: string): ReturnType<QueryTarget['schema']> {
    const known = this.db.schema(table);
    const tagKeys = [...(known?.tagKeys ?? [])];
    const fields = new Map<string, ColumnType>((known?.fields ?? []).map((f) => [f.name, f.type]));
    let touched = known !== undefined;
    for (const { batch } of this.pending) {
      if (batch.table !== table) continue;
      touched = true;
      for (const key of batch.tagKeys) if (!tagKeys.includes(key)) tagKeys.push(key);
      for (const [name, type] of batch.fieldTypes)
        if (!isHiddenName(name) && !fields.has(name)) fields.set(name, type);
    }
    if (!touched) return undefined;
    return { ...known, name: table, tagKeys, fields: [...fields].map(([name, type]) => ({ name, type })) };
  }
}

export type { ScanCounters, SeriesParts };
