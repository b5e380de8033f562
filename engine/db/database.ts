/**
 * The Database facade: every public method of an open database, each handing the shared state
 * (state.ts) to the part of db/ named for its verb: open.ts and close.ts (lifecycle), writes.ts,
 * reads.ts, background.ts (flush, compaction), deletes.ts (tombstones, DROP TABLE), ddl.ts,
 * cursors.ts, ports.ts (what retention and downsampling get), stats.ts.
 */

import { EventEmitter } from 'node:events';
import * as path from 'node:path';
import type { AlarmJournalTarget } from '../alarm/journal';
import type { SqlView } from '../catalog/catalog';
import { TransactionConflictError } from '../errors';
import type { QueryResult } from '../exec/target';
import type { Head } from '../head/head';
import type { SlabPool } from '../head/slabs';
import type { Reading, StoredReading } from '../ingest/readings';
import { type EngineOptions, resolveOptions } from '../options';
import { type DownsampleReport, type DownsampleRule, runDownsample } from '../policy/downsample';
import { type RetentionPolicy, type RetentionReport, runRetention } from '../policy/retention';
import { iterateQuery, type QueryOptions, type QueryParams, runQuery } from '../query/query';
import { newScanCounters, type ReadOptions, type SeriesParts } from '../read/scan';
import type { TableDefinition } from '../storage/declarations';
import { SyncEdge } from '../sync/edge';
import type { SyncEdgeOptions } from '../sync/edge-options';
import { SyncHub, type SyncHubOptions } from '../sync/hub';
import type { SeriesRows } from '../types';
import * as background from './background';
import { closeState } from './close';
import * as cursors from './cursors';
import * as ddl from './ddl';
import * as deletes from './deletes';
import { openState } from './open';
import { alarmPort, downsamplePort, retentionPort } from './ports';
import * as reads from './reads';
import type { DbState } from './state';
import * as stats from './stats';
import { syncPort } from './sync-port';
import { type GroupPart, type PreparedPart, Transaction, type WriteResult } from './transaction';
import * as writes from './writes';

export type { TableSchemaInfo } from './ddl';
export type { DatabaseStats, TableStats } from './stats';
export type { GroupPart, PreparedPart, WriteResult };

/**
 * One open database directory. Create with `open()`. Events: 'background-error' (err) when a
 * background flush or compaction fails (it is retried; nothing acknowledged is lost); 'query' (ms)
 * after each `query` that succeeded (the metrics' latency histogram).
 */
export class Database extends EventEmitter {
  /** set by open() before the database is handed out */
  private state!: DbState;
  /** the sync edges open over this database, for stats().syncEdges */
  private readonly syncEdges = new Set<SyncEdge>();

  private constructor(readonly dir: string) {
    super();
  }

  /** Opens (creating if needed) the database in `dir`. See `open()`. */
  static async open(dir: string, options: EngineOptions = {}): Promise<Database> {
    const resolved = resolveOptions(options);
    const db = new Database(path.resolve(dir));
    db.state = await openState(db.dir, resolved, db);
    return db;
  }

  /** The pool of head memory (test/head-reuse.test.js counts how much of it was reused). */
  get headSlabs(): SlabPool {
    return this.state.headSlabs;
  }

  /**
   * Stores readings as one batch (one WAL record). Resolves once the batch is durable under the
   * durability mode; rejects with InvalidInputError/TypeConflictError naming the bad reading, and
   * then stores nothing of the batch.
   */
  write(table: string, readings: readonly Reading[]): Promise<WriteResult> {
    return writes.writeRows(this.state, table, readings, 'auto');
  }

  /** Rows written again with the identity they carry (see StoredReading), as one record. */
  async writeStored(table: string, readings: readonly StoredReading[]): Promise<WriteResult> {
    const [result] = await this.writeGroup([{ table, readings, rows: 'stored' }]);
    return result!;
  }

  /**
   * Stores several tables' rows as one WAL record: all of them durable and visible together, or
   * none (a transaction, an UPDATE, a DELETE of chosen rows). A part's `rows`: 'auto' numbers rows
   * as `write` does; 'none' gives no rowids; 'stored' writes StoredReadings with the identity they
   * carry (new versions of rows, delete markers). One result per part.
   */
  writeGroup(parts: readonly GroupPart[]): Promise<WriteResult[]> {
    return writes.writeGroup(this.state, parts);
  }

  /**
   * Validates and numbers the parts' rows (rowids taken from the tables' counters at once, as if
   * stored: `reserved` records them so a rollback can give them back) and counts replaced rows.
   */
  prepareParts(parts: readonly GroupPart[], reserved: Map<string, number>): Promise<PreparedPart[]> {
    return writes.prepareParts(this.state, parts, reserved);
  }

  /**
   * Hands back the rowids a rolled-back transaction reserved (`reserved`: each table's next rowid
   * before it, `taken`: after it) when no other write took any since: the counters are then as
   * they were, as SQLite leaves them.
   */
  giveBack(reserved: ReadonlyMap<string, number>, taken: ReadonlyMap<string, number>): void {
    writes.giveBack(this.state, reserved, taken);
  }

  /** Each table's next rowid now (for giveBack). */
  rowidCounters(tables: Iterable<string>): Map<string, number> {
    return writes.rowidCounters(this.state, tables);
  }

  /**
   * The LSN of the last write or delete that changed `table` since open (0: none). A transaction
   * notes it when it first reads a table and commits only if it is unchanged.
   */
  changeOf(table: string): number {
    return writes.changeOf(this.state, table);
  }

  /**
   * Appends prepared batches as one record (one batch: a plain write record) and applies them.
   * `reads`: the tables a transaction read, each with `changeOf` when it did; if any has changed
   * since, nothing is stored (TransactionConflictError). Checked in the same synchronous step as
   * the append, so no write lands in between.
   */
  commitPrepared(
    prepared: readonly PreparedPart[],
    reads?: ReadonlyMap<string, number>,
  ): Promise<WriteResult[]> {
    return writes.commitPrepared(this.state, prepared, reads);
  }

  /** Rows of `table` as plain objects { time, ...tags, ...fields }, by series then time. */
  read(table: string, options: ReadOptions = {}): Promise<Array<Record<string, unknown>>> {
    return reads.readPlain(this.state, table, options);
  }

  /**
   * Each matching series' rows (columnar), by series key then time. `overlay`: a transaction's
   * own rows, read as the newest source (see transaction.ts).
   */
  scan(
    table: string,
    options: ReadOptions = {},
    counters = newScanCounters(),
    overlay?: Head,
  ): AsyncGenerator<SeriesRows> {
    return reads.scan(this.state, table, options, counters, overlay);
  }

  /**
   * Each matching series as time-disjoint parts whose chunk statistics can answer aggregates
   * without decoding (see ScanPart). Parts can be loaded until the iteration ends.
   */
  scanParts(
    table: string,
    options: ReadOptions = {},
    counters = newScanCounters(),
    overlay?: Head,
  ): AsyncGenerator<SeriesParts> {
    return reads.scanParts(this.state, table, options, counters, overlay);
  }

  /**
   * One row per matching series: its newest (`newest`) or oldest row, series in key order. Reads
   * one chunk per series at most, and none when that chunk's edge rows are known already.
   */
  edgeRows(
    table: string,
    options: ReadOptions,
    newest: boolean,
    counters = newScanCounters(),
    overlay?: Head,
  ): Promise<SeriesRows[]> {
    return reads.edgeRows(this.state, table, options, newest, counters, overlay);
  }

  /**
   * Runs one SQL statement (see docs/sql.md). `params` bind `?`/`?1` (array) or `$name`/`:name`
   * (object), never spliced into the text. Mistakes throw SqlError with line, column and caret.
   */
  query(sql: string, params?: QueryParams, options?: QueryOptions): Promise<QueryResult> {
    return runQuery(this, sql, params, options).then((result) => {
      this.emit('query', result.stats.ms);
      return result;
    });
  }

  /** Like `query`, yielding the rows in batches, for results too big to hold at once. */
  iterate(
    sql: string,
    params?: QueryParams,
    options?: QueryOptions,
  ): AsyncGenerator<Array<Record<string, unknown>>> {
    return iterateQuery(this, sql, params, options);
  }

  /**
   * Runs `fn` in a transaction: its writes (tx.write, tx.query's INSERT/UPDATE/DELETE) become
   * durable and visible together when `fn` resolves, or not at all when it throws (the error is
   * passed on). Transactions are serializable: if another write changed a table `fn` read before
   * the commit, nothing is stored and TransactionConflictError is thrown, or, with `retries`, `fn`
   * runs again (up to that many more times; it must then do nothing outside `tx` that cannot be
   * done twice). Other callers are never held up by an open transaction (docs/storage.md,
   * "Transactions").
   */
  async transaction<T>(fn: (tx: Transaction) => Promise<T>, options: { retries?: number } = {}): Promise<T> {
    const retries = options.retries ?? 0;
    for (let attempt = 0; ; attempt++) {
      const tx = this.begin();
      let out: T;
      try {
        out = await fn(tx);
      } catch (err) {
        tx.rollback();
        throw err;
      }
      try {
        await tx.commit();
        return out;
      } catch (err) {
        if (!(err instanceof TransactionConflictError) || attempt >= retries) throw err;
      }
    }
  }

  /** A transaction to end with `commit()` or `rollback()` (the SQL BEGIN ... COMMIT uses it). */
  begin(): Transaction {
    this.state.openWal();
    return new Transaction(this);
  }

  /** Writes every unflushed row to segments and checkpoints the WAL. */
  flush(): Promise<void> {
    return background.flush(this.state);
  }

  /**
   * Runs compaction now. `force` merges every partition's checkpointed segments into one; else
   * the background policy applies (runs of small segments, cold partitions).
   */
  compact(force = false): Promise<void> {
    return background.compact(this.state, force);
  }

  /**
   * Deletes the rows of `table` with from <= time <= to (both optional) in the series whose tags
   * equal `tags` (optional: all series). Rows written after the delete are kept. Partitions the
   * delete covers whole are removed at once; other rows are hidden, then removed by compaction.
   * Resolves once the delete is durable. An unknown table is left alone.
   */
  deleteRows(table: string, options: ReadOptions = {}): Promise<{ lsn: number }> {
    return deletes.deleteRows(this.state, table, options);
  }

  /** Removes a table: its rows, files and schema. Writing to it later creates it anew. */
  dropTable(table: string): Promise<{ lsn: number }> {
    return deletes.dropTable(this.state, table);
  }

  /**
   * Declares a table before any write: its tags, field types (so an `int` column takes whole
   * numbers as integers), partition width and retention. Throws HELIOS_TABLE_EXISTS if the table
   * exists (by declaration or data), unless `ifNotExists`. `redeclare` replaces the SQLite shape
   * of a declared table (CREATE INDEX and DROP INDEX change its indexes).
   */
  createTable(
    name: string,
    def: TableDefinition = {},
    options: { ifNotExists?: boolean; redeclare?: boolean } = {},
  ): Promise<void> {
    return ddl.createTable(this.state, name, def, options);
  }

  /** Keeps a view: the text of its SELECT, bound each time it is read (CREATE VIEW). */
  createView(name: string, view: SqlView, options: { ifNotExists?: boolean } = {}): Promise<void> {
    return ddl.createView(this.state, name, view, options);
  }

  /** Forgets a view (DROP VIEW); resolves to false when there was none. */
  dropView(name: string): Promise<boolean> {
    return ddl.dropView(this.state, name);
  }

  /** The view of that name, if any. */
  view(name: string): SqlView | undefined {
    return this.state.declarations.views.get(name);
  }

  /** Names of the views, in the order they were made. */
  views(): string[] {
    return [...this.state.declarations.views.keys()];
  }

  /** Names of the tables, sorted. */
  tables(): string[] {
    return ddl.tableNames(this.state);
  }

  /** The columns of `table`: tags (text) and fields with their types; undefined if unknown. */
  schema(table: string): ddl.TableSchemaInfo | undefined {
    return ddl.tableSchema(this.state, table);
  }

  /**
   * Records how far a consumer (the sync node) has taken the data: every batch up to `lsn` has
   * reached upstream. Retention keeps what comes after the lowest cursor. Durable on resolve.
   */
  setCursor(name: string, lsn: number): Promise<void> {
    return cursors.setCursor(this.state, name, lsn);
  }

  /** Forgets a consumer's cursor (its unsynced data is then no longer kept for it). */
  removeCursor(name: string): Promise<void> {
    return cursors.removeCursor(this.state, name);
  }

  /** The consumers' cursors by name. */
  cursors(): Record<string, number> {
    return cursors.cursorsByName(this.state);
  }

  /**
   * Runs a retention policy now: drops rows of the matching tables older than `maxAge` (keeping
   * unsynced rows unless `keepUnsynced: false`) and, with `maxBytes`, the oldest partitions until
   * the database fits. Reports partitions and rows dropped, bytes freed, and any unsynced range
   * the size limit had to drop.
   */
  runRetention(policy: RetentionPolicy): Promise<RetentionReport> {
    this.state.openWal();
    return runRetention(retentionPort(this.state), policy);
  }

  /**
   * Runs a downsampling rule now: rolls the matching tables' rows up into per-bucket aggregates
   * in rollup tables (`{table}_{bucket}`, fields `{field}_{aggregate}`), incrementally from the
   * rule's durable watermark, recomputing buckets that late rows landed in. Idempotent.
   */
  runDownsample(rule: DownsampleRule): Promise<DownsampleReport> {
    this.state.openWal();
    return runDownsample(downsamplePort(this.state), rule);
  }

  /**
   * Opens the sync edge of `options.deviceId` over this database: the batches of what was written
   * after the hub's last acknowledgement (docs/sync.md). Its cursor keeps the WAL it still has to
   * send, and retention keeps the unsynced rows.
   */
  async openSyncEdge(options: SyncEdgeOptions): Promise<SyncEdge> {
    this.state.openWal();
    const edge = await SyncEdge.open(syncPort(this.state), options);
    this.syncEdges.add(edge);
    return edge;
  }

  /** Opens a sync hub over this database: it applies devices' batches exactly once (docs/sync.md). */
  openSyncHub(options: SyncHubOptions = {}): Promise<SyncHub> {
    this.state.openWal();
    return SyncHub.open(syncPort(this.state), options);
  }

  /** The port the alarm journal (alarm/journal.ts) writes its helios_alarms tables through. */
  alarmJournal(): AlarmJournalTarget {
    this.state.openWal();
    return alarmPort(this.state);
  }

  /** Bytes of the segment files and the WAL. */
  diskBytes(): number {
    return stats.diskBytes(this.state);
  }

  stats(): stats.DatabaseStats {
    for (const edge of this.syncEdges) if (edge.isClosed) this.syncEdges.delete(edge);
    return { ...stats.databaseStats(this.state), syncEdges: [...this.syncEdges].map((e) => e.status()) };
  }

  /**
   * Flushes what is in memory, stops background work, closes files and releases the lock. A
   * compaction in progress is abandoned (its temp file removed); nothing acknowledged is lost.
   */
  close(): Promise<void> {
    return closeState(this.state);
  }
}
