/**
 * The port between the SQL engine and the storage: what queries read and write through
 * (`QueryTarget`; engine/db/ implements it for the database and for a transaction's view), the
 * transaction a script's BEGIN opens, and a statement's result. Declared here, the lowest file
 * that needs them, so the executor does not import the query facade above it.
 */
import type { SqlView } from '../catalog/catalog';
import type { StoredReading } from '../ingest/readings';
import type { TableDefinitionSpec } from '../plan/logical';
import type { ScanCounters, SeriesParts } from '../read/scan';
import type { ColumnType, SeriesRows } from '../types';

/** A table's tags and fields, as the storage reports them. */
export interface TableSchemaInfo {
  readonly name: string;
  readonly tagKeys: readonly string[]; // tags: always string columns
  readonly fields: ReadonlyArray<{ name: string; type: ColumnType }>;
}
/** The storage calls of the SQL engine: listing and describing tables, scans, writes, DDL. */
export interface QueryTarget {
  tables(): string[];
  schema(table: string): TableSchemaInfo | undefined;
  /** Each matching series' rows, columnar, sorted by time, one row per time (last write wins),
   *  series in canonical key order. from/to inclusive ms; tags: equality on all given tags. */
  scan(
    table: string,
    options: { from?: number; to?: number; tags?: Record<string, string> },
    counters?: ScanCounters,
  ): AsyncGenerator<SeriesRows>;
  write(
    table: string,
    readings: Array<{ time: number; tags?: Record<string, string>; fields: Record<string, unknown> }>,
  ): Promise<{
    count: number;
    lsn: number;
    replaced?: number;
    lastRowid?: number | null;
    /** each reading's rowid in the order given (NaN: none) */
    rowids?: Float64Array;
  }>;
  /**
   * Optional: writes rows again with the identity they carry (UPDATE's new versions, DELETE's
   * markers), atomically; UPDATE and DELETE of chosen rows are refused without it.
   */
  writeStored?(table: string, readings: StoredReading[]): Promise<{ count: number; lsn: number }>;
  /** true for a transaction's view (BEGIN inside it is refused) */
  readonly inTransaction?: boolean;
  /**
   * Each matching series as time-disjoint parts, last write wins resolved; a part's `stats` (when
   * given) answer count/sum/avg/min/max without loading it. Parts may be loaded until the iteration
   * ends. Aggregates over a scan and EXPLAIN use it.
   */
  scanParts(
    table: string,
    options: { from?: number; to?: number; tags?: Record<string, string> },
    counters: ScanCounters,
  ): AsyncGenerator<SeriesParts>;
  /**
   * Optional: one row per matching series, its newest (`newest`) or oldest, series in key order,
   * without reading the rest of the series. "Latest row per series" uses it when given.
   */
  edgeRows?(
    table: string,
    options: { from?: number; to?: number; tags?: Record<string, string> },
    newest: boolean,
    counters: ScanCounters,
  ): Promise<SeriesRows[]>;
  /** Deletes rows: from/to inclusive ms, tags equal to all given; an unknown table is left alone. */
  deleteRows(
    table: string,
    options: { from?: number; to?: number; tags?: Record<string, string> },
  ): Promise<{ lsn: number }>;
  /** Removes a table: its rows, files and schema. */
  dropTable(table: string): Promise<{ lsn: number }>;
  /**
   * Declares a table; throws InvalidInputError (HELIOS_TABLE_EXISTS) if it exists and !ifNotExists.
   * Optional while the storage gains it: CREATE TABLE is refused without it.
   */
  createTable?(
    name: string,
    def: TableDefinitionSpec,
    /** redeclare: replace the declaration of an existing table (CREATE/DROP INDEX record indexes) */
    options?: { ifNotExists?: boolean; redeclare?: boolean },
  ): Promise<void>;
  /** Optional: the views (CREATE VIEW); without these a FROM never finds one and CREATE VIEW is refused. */
  view?(name: string): SqlView | undefined;
  views?(): string[];
  createView?(name: string, view: SqlView, options: { ifNotExists?: boolean }): Promise<void>;
  dropView?(name: string): Promise<boolean>;
  /**
   * Optional: a transaction over this storage, for BEGIN in a script (Database.begin). Scripts
   * with BEGIN are refused without it.
   */
  begin?(): ScriptTransaction;
}

/** What a script's BEGIN needs of a transaction (engine/db/transaction.ts implements it). */
export interface ScriptTransaction {
  /** the storage as the transaction sees it: its reads see its writes, kept until commit */
  target(): QueryTarget;
  /** resolves to the commit's LSN (0: nothing was written) */
  commit(): Promise<number>;
  rollback(): void;
}
/** One statement's result: its columns, rows (objects by column name), changes and stats. */
export interface QueryResult {
  columns: Array<{ name: string; type: string }>;
  rows: Array<Record<string, unknown>>;
  /** rows an INSERT, UPDATE or DELETE stored, changed or removed; 0 for other statements */
  changes: number;
  /** the rowid of the last row an INSERT stored (better-sqlite3's name); null when none got one */
  lastInsertRowid: number | null;
  stats: { ms: number; partitions: number; chunks: number; rowsScanned: number };
}
