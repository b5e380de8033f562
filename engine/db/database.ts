import { EventEmitter } from 'node:events';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { Catalog, type SqliteTable, seriesKey } from '../catalog/catalog';
import { ClosedError, HeliosError, InvalidInputError, TransactionConflictError } from '../errors';
import { Head, releaseHeads } from '../head/head';
import { SlabPool } from '../head/slabs';
import {
  applySchema,
  checkSchema,
  prepareBatch,
  type Reading,
  type RowidPlan,
  type SeriesResolver,
  type StoredReading,
  type WriteBatch,
} from '../ingest/prepare-batch';
import { type EngineOptions, type ResolvedOptions, resolveOptions } from '../options';
import {
  type DownsampleReport,
  type DownsampleRule,
  type DownsampleTarget,
  runDownsample,
  type Watermark,
} from '../policy/downsample';
import {
  type PartitionInfo,
  type RetentionPolicy,
  type RetentionReport,
  type RetentionTarget,
  runRetention,
} from '../policy/retention';
import {
  iterateQuery,
  type QueryOptions,
  type QueryParams,
  type QueryResult,
  runQuery,
} from '../query/query';
import { edgeRows } from '../read/edges';
import {
  newScanCounters,
  type ReadOptions,
  type ScanCounters,
  type ScanSnapshot,
  type SeriesParts,
  scanParts,
  scanTable,
  toPlainRows,
} from '../read/scan';
import { SeriesIndexes } from '../read/series-index';
import { isHiddenName, ROWID_FIELD } from '../rows/identity';
import { ChunkCache } from '../segment/chunk-cache';
import { CompactionAborted, compactSegments, pickCompaction } from '../storage/compaction';
import { checkDefinition, Declarations, type TableDefinition } from '../storage/declarations';
import { flushHead } from '../storage/flush';
import { CHECKPOINT_FILE, CURSORS_FILE, DATA_DIR, DOWNSAMPLE_FILE, WAL_DIR } from '../storage/layout';
import { loadSegments } from '../storage/load';
import { partitionKey, releaseAll, SegmentHandle, type SegmentSet } from '../storage/segment-set';
import type { ColumnType, SeriesRows } from '../types';
import { mkdirDurable, TimeSlicer, writeFileAtomic } from '../util/fsutil';
import { DirectoryLock } from './lock';

/** Writes wait for compaction once a partition has this many times `compactionTrigger` segments. */
const COMPACTION_STALL_FACTOR = 4;

/** Rows turned into objects between checks of the time slice. */
const PLAIN_ROWS_PER_SLICE = 4096;

import { type DeleteSpec, hideDeleted, Tombstones } from '../storage/tombstones';
import { type GroupPart, type PreparedPart, Transaction, type WriteResult } from './transaction';

export type { GroupPart, PreparedPart, WriteResult };

import {
  decodeRecord,
  encodeBatch,
  encodeDelete,
  encodeGroup,
  WalDictionary,
  WalDictionaryReader,
  type WalEntry,
} from '../wal/batch';
import type { WalReplayStats } from '../wal/recover';
import { Wal } from '../wal/wal';

export interface TableSchemaInfo {
  readonly name: string;
  readonly tagKeys: readonly string[];
  readonly fields: ReadonlyArray<{ name: string; type: ColumnType }>;
  /** width of the table's time partitions, ms */
  readonly partitionMs: number;
  /** made by createTable (CREATE TABLE), not only by writes */
  readonly declared: boolean;
  /** declared retention, ms; null when none */
  readonly retentionMs: number | null;
  /** a table declared as SQLite declares them (its columns, constraints and indexes) */
  readonly sqlite?: SqliteTable;
}

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
}

/**
 * One open database directory. Create with `open()`. Events: 'background-error' (err) when a
 * background flush or compaction fails (it is retried; nothing acknowledged is lost).
 */
export class Database extends EventEmitter {
  /** the memory of flushed heads, reused by the next ones */
  private readonly headSlabs = new SlabPool();
  private active = new Head(this.headSlabs);
  /** heads being (or waiting to be) flushed, oldest first */
  private frozen: Head[] = [];
  private flushing: Promise<void> | null = null;
  private compacting: Promise<void> | null = null;
  private compactAgain = false;
  /** wall-clock ms when a flush last added a segment to a partition (`table|start`) */
  private readonly partitionTouchedAt = new Map<string, number>();
  private readonly openedAt = Date.now();
  private closed = false;
  private closing = false;
  private timer: NodeJS.Timeout | null = null;
  private lastBackgroundError: string | null = null;
  private replayStats: WalReplayStats | null = null;
  private readonly seriesKeys = new Map<string, Set<string>>();
  /** Each table's series in key order per set of segments, with the chunks of their edge rows. */
  private readonly seriesIndexes = new SeriesIndexes();
  /** names and series already spelled out in the WAL since the last freeze */
  private readonly walDictionary = new WalDictionary();
  /** per table: tags objects to series, kept across writes */
  private readonly resolvers = new Map<string, SeriesResolver>();
  private tombstonesChanged = false;
  /** each table's last changing LSN since open, for transactions' conflict check (changeOf) */
  private readonly changedAt = new Map<string, number>();
  /** recently read chunk bytes, shared by every segment of this database */
  private chunkCache: ChunkCache | undefined;
  private readonly consumerCursors = new Map<string, number>();
  private readonly watermarks = new Map<string, Watermark>();
  private watermarkSave: Promise<void> = Promise.resolve();
  private cursorSave: Promise<void> = Promise.resolve();
  private declarationsChanged = false;
  /** declarations already put into the catalog while opening */
  private readonly declared = new Set<string>();
  private tombstoneSave: Promise<void> = Promise.resolve();
  /** segment files found corrupt at open, renamed *.corrupt and left out */
  private quarantined: string[] = [];
  /** per table: the next unused rowid (never handed out again, see docs/storage.md) */
  private readonly nextRowids = new Map<string, number>();
  /** per table and series: the newest time written, so a write knows fast that it replaces nothing */
  private readonly newestTimes = new Map<string, Map<string, number>>();
  /** a write that is looking for the rows it replaces: other writes wait for it */
  private replaceCheck: Promise<unknown> | null = null;

  private constructor(
    readonly dir: string,
    private readonly options: ResolvedOptions,
    private readonly lock: DirectoryLock,
    private readonly catalog: Catalog,
    private readonly segments: SegmentSet,
    private checkpointLsn: number,
    private readonly tombstones: Tombstones,
    private readonly declarations: Declarations,
    private wal: Wal | null = null,
  ) {
    super();
  }

  /** Opens (creating if needed) the database in `dir`. See `open()`. */
  static async open(dir: string, options: EngineOptions = {}): Promise<Database> {
    const resolved = resolveOptions(options);
    const root = path.resolve(dir);
    await mkdirDurable(path.join(root, DATA_DIR));
    const lock = DirectoryLock.acquire(root);
    try {
      const { lsn: checkpointLsn, rowids } = await readCheckpoint(root);
      const catalog = new Catalog(resolved.partitionDurationMs, resolved.tablePartitionMs);
      const cache = new ChunkCache(resolved.cacheBytes);
      const { set: segments, quarantined } = await loadSegments(root, checkpointLsn, cache);
      const tombstones = await Tombstones.load(root);
      const declarations = await Declarations.load(root);
      const db = new Database(
        root,
        resolved,
        lock,
        catalog,
        segments,
        checkpointLsn,
        tombstones,
        declarations,
      );
      db.chunkCache = cache;
      db.quarantined = quarantined;
      for (const [table, next] of Object.entries(rowids)) db.nextRowids.set(table, next);
      for (const [key, mark] of Object.entries(
        await readJson<Record<string, Watermark>>(path.join(root, DOWNSAMPLE_FILE), {}),
      )) {
        db.watermarks.set(key, mark);
      }
      for (const [name, lsn] of Object.entries(
        await readJson<Record<string, number>>(path.join(root, CURSORS_FILE), {}),
      )) {
        db.consumerCursors.set(name, lsn);
      }
      await db.dropHiddenSegments();
      for (const handle of segments.all()) db.learnSegment(handle);
      await db.replayWal();
      db.declareUpTo(Number.POSITIVE_INFINITY);
      if (db.tombstonesChanged) await db.saveTombstones();
      if (db.declarationsChanged) await db.saveDeclarations();
      db.startTimer();
      return db;
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  private learnSegment(handle: SegmentHandle): void {
    const { reader } = handle;
    const table = this.catalog.ensure(reader.meta.table);
    for (const k of reader.tagKeys) table.addTag(k);
    for (const f of reader.fields) table.addField(f.name, f.type);
    const keys = this.keysOf(reader.meta.table);
    const newest = this.newestOf(reader.meta.table);
    for (const [key, entry] of handle.seriesByKey) {
      keys.add(key);
      if (!(entry.maxTime <= (newest.get(key) ?? Number.NEGATIVE_INFINITY))) newest.set(key, entry.maxTime);
      for (const chunk of entry.chunks) {
        const max = chunk.stats.get(ROWID_FIELD)?.max;
        if (max !== undefined) this.useRowid(reader.meta.table, max);
      }
    }
  }

  private newestOf(table: string): Map<string, number> {
    let newest = this.newestTimes.get(table);
    if (!newest) {
      newest = new Map();
      this.newestTimes.set(table, newest);
    }
    return newest;
  }

  /** Records that `id` is taken in `table`: the next rowid handed out is above it. */
  private useRowid(table: string, id: number): void {
    if (id + 1 > (this.nextRowids.get(table) ?? 1)) this.nextRowids.set(table, id + 1);
  }

  /** How a write to `table` numbers its rows; null when none gets a rowid. */
  private rowidPlan(table: string, rows: 'auto' | 'none'): RowidPlan | null {
    const schema = this.catalog.get(table);
    const which = rows === 'none' ? 'none' : (schema?.rowids ?? 'tagless');
    if (which === 'none') return null;
    return { next: this.nextRowids.get(table) ?? 1, rows: which, alias: schema?.rowidAlias ?? null };
  }

  private keysOf(table: string): Set<string> {
    let keys = this.seriesKeys.get(table);
    if (!keys) {
      keys = new Set();
      this.seriesKeys.set(table, keys);
    }
    return keys;
  }

  private async replayWal(): Promise<void> {
    const walOptions = {
      durability: this.options.durability,
      batchIntervalMs: this.options.batchIntervalMs,
      segmentBytes: this.options.walSegmentBytes,
    };
    const names = new WalDictionaryReader();
    this.declareUpTo(this.checkpointLsn + 1);
    const { wal, replay } = await Wal.open(
      path.join(this.dir, WAL_DIR),
      walOptions,
      this.checkpointLsn,
      (lsn, payload) => this.replayRecord(decodeRecord(payload, names), lsn),
    );
    this.wal = wal;
    this.replayStats = replay;
    if (this.active.bytes >= this.flushThreshold()) this.startFlush();
  }

  /**
   * Puts declarations made before record `lsn` into the catalog. Replay calls it before each
   * record, so the catalog changes in the order it did when the records were written.
   */
  private declareUpTo(lsn: number): void {
    for (const [name, d] of this.declarations.entries()) {
      if (d.lsn < lsn && !this.declared.has(name)) {
        this.catalog.declare(name, d.tags, d.fields, d.partitionMs, d.sqlite ?? null);
        this.declared.add(name);
      }
    }
  }

  private replayRecord(entry: WalEntry, lsn: number): void {
    this.declareUpTo(lsn);
    if (entry.kind === 'write') {
      this.applyBatch(entry.batch, lsn);
      return;
    }
    if (entry.kind === 'group') {
      for (const batch of entry.batches) this.applyBatch(batch, lsn);
      return;
    }
    this.freezeActive();
    if (this.tombstones.add({ ...entry.spec, lsn })) this.tombstonesChanged = true;
    if (entry.spec.dropTable) this.forgetTable(entry.spec.table, lsn);
  }

  private applyBatch(batch: WriteBatch, lsn: number): void {
    applySchema(this.catalog, batch);
    this.changedAt.set(batch.table, lsn);
    this.active.apply(batch, lsn);
    const keys = this.keysOf(batch.table);
    const newest = this.newestOf(batch.table);
    for (const series of batch.series) {
      keys.add(series.key);
      let max = newest.get(series.key) ?? Number.NEGATIVE_INFINITY;
      for (let i = 0; i < series.count; i++) if (series.times[i]! > max) max = series.times[i]!;
      newest.set(series.key, max);
    }
    if (batch.maxRowid !== null) this.useRowid(batch.table, batch.maxRowid);
  }

  private startTimer(): void {
    const every = Math.min(10_000, Math.max(50, this.options.maxHeadAgeMs / 4 || 10_000));
    this.timer = setInterval(() => this.onTimer(), every);
    this.timer.unref();
  }

  private onTimer(): void {
    const age = this.options.maxHeadAgeMs;
    if (age > 0 && !this.active.isEmpty && Date.now() - this.active.firstWriteAt >= age) this.startFlush();
    else if (!this.flushing) this.scheduleCompaction();
  }

  /** The most segments any partition has: what compaction has yet to merge. */
  private compactionDebt(): number {
    let most = 0;
    for (const table of this.segments.tableNames()) {
      for (const list of this.segments.partitionsOf(table).values()) most = Math.max(most, list.length);
    }
    return most;
  }

  private headBytes(): number {
    let bytes = this.active.bytes;
    for (const head of this.frozen) bytes += head.bytes;
    return bytes;
  }

  private flushThreshold(): number {
    return this.options.memoryLimitBytes / 2;
  }

  private openWal(): Wal {
    if (this.closed || this.closing || !this.wal) throw new ClosedError();
    return this.wal;
  }

  /**
   * Stores readings as one batch (one WAL record). Resolves once the batch is durable under the
   * durability mode; rejects with InvalidInputError/TypeConflictError naming the bad reading, and
   * then stores nothing of the batch.
   */
  write(table: string, readings: readonly Reading[]): Promise<WriteResult> {
    return this.writeRows(table, readings, 'auto');
  }

  /** Rows written again with the identity they carry (see StoredReading), as one record. */
  async writeStored(table: string, readings: readonly StoredReading[]): Promise<WriteResult> {
    const [result] = await this.writeGroup([{ table, readings, rows: 'stored' }]);
    return result!;
  }

  /** `rowids`: 'none' for writes that must replace by series and time (rollups). */
  private async writeRows(
    table: string,
    readings: readonly Reading[],
    rowids: 'auto' | 'none',
  ): Promise<WriteResult> {
    const waiting = this.admission();
    if (waiting) await waiting;
    // The common case in one synchronous step, without the group's arrays (one-reading writes
    // come at 100k/s): validate, number, see that nothing is replaced, append.
    const part: GroupPart = { table, readings, rows: rowids };
    const before = this.nextRowids.get(table);
    const batch = this.prepareOne(part, null);
    if (replacedInBatch(batch, this.newestOf(batch.table)) === 0) return this.commitOne(batch);
    // numbered again below, after looking for the rows it replaces
    if (before === undefined) this.nextRowids.delete(table);
    else this.nextRowids.set(table, before);
    const [result] = await this.commitPrepared(await this.prepareParts([part], new Map()));
    return result!;
  }

  /** commitPrepared for one batch that replaces nothing. */
  private async commitOne(batch: WriteBatch): Promise<WriteResult> {
    const wal = this.openWal();
    if (batch.rows === 0) return { count: 0, replaced: 0, lsn: wal.lastLsn, lastRowid: null };
    const { lsn, durable } = this.append(wal, { kind: 'write', batch });
    this.applyBatch(batch, lsn);
    if (this.active.bytes >= this.flushThreshold() && !this.flushing) this.startFlush();
    await durable.catch((err) => {
      throw storageError(err, this.dir);
    });
    const result: WriteResult = { count: batch.rows, replaced: 0, lsn, lastRowid: batch.maxRowid };
    if (batch.rowids) result.rowids = batch.rowids;
    return result;
  }

  /**
   * Stores several tables' rows as one WAL record: all of them durable and visible together, or
   * none (a transaction, an UPDATE, a DELETE of chosen rows). A part's `rows`: 'auto' numbers rows
   * as `write` does; 'none' gives no rowids; 'stored' writes StoredReadings with the identity they
   * carry (new versions of rows, delete markers). One result per part.
   */
  async writeGroup(parts: readonly GroupPart[]): Promise<WriteResult[]> {
    const waiting = this.admission();
    if (waiting) await waiting;
    // Validated, numbered and appended in one synchronous step when no row can replace another:
    // no other write lands between the check against the catalog and the append.
    const reserved = new Map<string, number>();
    const batches = parts.map((part) => this.prepareOne(part, reserved));
    const fast = batches.every(
      (batch, i) => parts[i]!.rows === 'stored' || replacedInBatch(batch, this.newestOf(batch.table)) === 0,
    );
    if (fast) return this.commitPrepared(batches.map((batch) => ({ batch, replaced: 0, replacing: [] })));
    this.giveBack(reserved, this.rowidCounters(reserved.keys()));
    return this.commitPrepared(await this.prepareParts(parts, new Map()));
  }

  /**
   * null when a write may go ahead now; else a wait for the head to empty, compaction to catch
   * up or a write looking for the rows it replaces (no promise on the common path: writes of one
   * reading come at 100k/s).
   */
  private admission(): Promise<void> | null {
    this.openWal();
    const full = this.flushing !== null && this.headBytes() >= this.options.memoryLimitBytes;
    const behind =
      this.compacting !== null &&
      this.compactionDebt() >= COMPACTION_STALL_FACTOR * this.options.compactionTrigger;
    return full || behind || this.replaceCheck ? this.admitWrite() : null;
  }

  /** Waits while the head is full or compaction is far behind, and for a write looking for replaced rows. */
  private async admitWrite(): Promise<void> {
    this.openWal();
    // Back-pressure: writes that outrun the flush wait for it rather than grow memory, and writes
    // that outrun compaction wait for it rather than pile up segments (each costs memory and reads).
    while (this.flushing && this.headBytes() >= this.options.memoryLimitBytes) {
      await this.flushing.catch(() => undefined);
    }
    while (
      this.compacting &&
      this.compactionDebt() >= COMPACTION_STALL_FACTOR * this.options.compactionTrigger
    ) {
      await this.compacting.catch(() => undefined);
    }
    while (this.replaceCheck) await this.replaceCheck.catch(() => undefined);
    this.openWal();
  }

  /**
   * Validates and numbers the parts' rows (rowids taken from the tables' counters at once, as if
   * stored: `reserved` records them so a rollback can give them back) and counts replaced rows.
   */
  async prepareParts(parts: readonly GroupPart[], reserved: Map<string, number>): Promise<PreparedPart[]> {
    const out: PreparedPart[] = [];
    for (const part of parts) {
      const batch = this.prepareOne(part, reserved);
      let replacing: number[] = [];
      if (part.rows !== 'stored' && replacedInBatch(batch, this.newestOf(batch.table)) === null) {
        // Some rows are not newer than their series' newest: look for the rows they replace, with
        // other writes held back so that none lands in between.
        const check = this.findReplaced(batch);
        this.replaceCheck = check;
        try {
          replacing = await check;
        } finally {
          this.replaceCheck = null;
        }
        // the catalog may have moved meanwhile (a CREATE or DROP): commitPrepared checks again
      }
      out.push({ batch, replaced: replacing.length, replacing });
    }
    return out;
  }

  private prepareOne(part: GroupPart, reserved: Map<string, number> | null): WriteBatch {
    const plan =
      part.rows === 'stored'
        ? { next: 0, rows: 'given' as const, alias: this.catalog.get(part.table)?.rowidAlias ?? null }
        : this.rowidPlan(part.table, part.rows);
    const batch = prepareBatch(this.catalog, this.resolvers, part.table, part.readings, plan);
    if (batch.maxRowid !== null && part.rows !== 'stored') {
      if (reserved && !reserved.has(batch.table)) {
        reserved.set(batch.table, this.nextRowids.get(batch.table) ?? 1);
      }
      this.useRowid(batch.table, batch.maxRowid);
    }
    return batch;
  }

  /**
   * Hands back the rowids a rolled-back transaction reserved (`reserved`: each table's next rowid
   * before it, `taken`: after it) when no other write took any since: the counters are then as
   * they were, as SQLite leaves them.
   */
  giveBack(reserved: ReadonlyMap<string, number>, taken: ReadonlyMap<string, number>): void {
    for (const [table, from] of reserved) {
      if (this.nextRowids.get(table) === taken.get(table)) this.nextRowids.set(table, from);
    }
  }

  /** Each table's next rowid now (for giveBack). */
  rowidCounters(tables: Iterable<string>): Map<string, number> {
    const out = new Map<string, number>();
    for (const table of tables) out.set(table, this.nextRowids.get(table) ?? 1);
    return out;
  }

  /**
   * The LSN of the last write or delete that changed `table` since open (0: none). A transaction
   * notes it when it first reads a table and commits only if it is unchanged.
   */
  changeOf(table: string): number {
    return this.changedAt.get(table) ?? 0;
  }

  /**
   * Appends prepared batches as one record (one batch: a plain write record) and applies them.
   * `reads`: the tables a transaction read, each with `changeOf` when it did; if any has changed
   * since, nothing is stored (TransactionConflictError). Checked in the same synchronous step as
   * the append, so no write lands in between.
   */
  async commitPrepared(
    prepared: readonly PreparedPart[],
    reads?: ReadonlyMap<string, number>,
  ): Promise<WriteResult[]> {
    const batches = prepared.map((p) => p.batch).filter((b) => b.rows > 0);
    const wal = this.openWal();
    if (reads) {
      for (const [table, seen] of reads)
        if (this.changeOf(table) !== seen) throw new TransactionConflictError(table);
    }
    if (batches.length === 0) {
      return prepared.map(() => ({ count: 0, replaced: 0, lsn: wal.lastLsn, lastRowid: null }));
    }
    for (const batch of batches) checkSchema(this.catalog, batch);
    const entry: WalEntry =
      batches.length === 1 ? { kind: 'write', batch: batches[0]! } : { kind: 'group', batches };
    const { lsn, durable } = this.append(wal, entry);
    for (const batch of batches) this.applyBatch(batch, lsn);
    if (this.active.bytes >= this.flushThreshold() && !this.flushing) this.startFlush();
    await durable.catch((err) => {
      throw storageError(err, this.dir);
    });
    return prepared.map(({ batch, replaced, replacing }) => ({
      count: batch.rows,
      replaced,
      lsn,
      lastRowid: batch.maxRowid,
      ...(batch.rowids ? { rowids: batch.rowids } : {}),
      ...(replacing.length > 0 ? { replacedAt: replacing } : {}),
    }));
  }

  /**
   * The readings of `batch` (their indexes in the write) that replace a stored row or an earlier
   * reading of the batch: the slow way, reading the series where the batch's times are.
   */
  private async findReplaced(batch: WriteBatch): Promise<number[]> {
    const replacing: number[] = [];
    for (const series of batch.series) {
      if (series.fields.has(ROWID_FIELD)) continue;
      // the first reading of each time replaces a stored row there; a later one, the reading before it
      const first = new Map<number, number>();
      let from = Number.POSITIVE_INFINITY;
      let to = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < series.count; i++) {
        const t = series.times[i]!;
        const index = series.indexes?.[i] ?? i;
        if (first.has(t)) replacing.push(index);
        else first.set(t, index);
        from = Math.min(from, t);
        to = Math.max(to, t);
      }
      for await (const rows of this.scan(batch.table, { from, to, tags: series.tags })) {
        if (seriesKey(rows.tags) !== series.key) continue;
        const ids = rows.fields.get(ROWID_FIELD);
        for (let i = 0; i < rows.count; i++) {
          const hasRowid = ids !== undefined && (!ids.present || ids.present[i] === 1);
          const index = hasRowid ? undefined : first.get(rows.times[i]!);
          if (index !== undefined) replacing.push(index);
        }
      }
    }
    return replacing.sort((a, b) => a - b);
  }

  private append(wal: Wal, entry: WalEntry): { lsn: number; durable: Promise<void> } {
    try {
      const payload =
        entry.kind === 'write'
          ? encodeBatch(entry.batch, this.walDictionary)
          : entry.kind === 'group'
            ? encodeGroup(entry.batches, this.walDictionary)
            : encodeDelete(entry.spec, this.walDictionary);
      return wal.append(payload);
    } catch (err) {
      // The dictionary counted names of a record that was not written: start a new one.
      this.walDictionary.reset();
      throw storageError(err, this.dir);
    }
  }

  /** Rows of `table` as plain objects { time, ...tags, ...fields }, by series then time. */
  async read(table: string, options: ReadOptions = {}): Promise<Array<Record<string, unknown>>> {
    const out: Array<Record<string, unknown>> = [];
    const slicer = new TimeSlicer();
    for await (const series of this.scan(table, options)) {
      for (let start = 0; start < series.count; start += PLAIN_ROWS_PER_SLICE) {
        toPlainRows(series, out, start, Math.min(series.count, start + PLAIN_ROWS_PER_SLICE));
        await slicer.maybeYield();
      }
    }
    return out;
  }

  /** Each matching series' rows (columnar), by series key then time. */
  async *scan(
    table: string,
    options: ReadOptions = {},
    counters = newScanCounters(),
    overlay?: Head,
  ): AsyncGenerator<SeriesRows> {
    const snapshot = this.snapshot(table, options, counters, overlay);
    try {
      yield* scanTable(table, snapshot, options, counters);
    } finally {
      releaseHeads(snapshot.heads);
      await releaseAll(snapshot.segments);
    }
  }

  /**
   * Each matching series as time-disjoint parts whose chunk statistics can answer aggregates
   * without decoding (see ScanPart). Parts can be loaded until the iteration ends.
   */
  async *scanParts(
    table: string,
    options: ReadOptions = {},
    counters = newScanCounters(),
    overlay?: Head,
  ): AsyncGenerator<SeriesParts> {
    const snapshot = this.snapshot(table, options, counters, overlay);
    try {
      yield* scanParts(table, snapshot, options, counters);
    } finally {
      releaseHeads(snapshot.heads);
      await releaseAll(snapshot.segments);
    }
  }

  /**
   * One row per matching series: its newest (`newest`) or oldest row, series in key order. Reads
   * one chunk per series at most, and none when that chunk's edge rows are known already.
   */
  async edgeRows(
    table: string,
    options: ReadOptions,
    newest: boolean,
    counters = newScanCounters(),
    overlay?: Head,
  ): Promise<SeriesRows[]> {
    const snapshot = this.snapshot(table, options, counters, overlay);
    try {
      return await edgeRows(table, snapshot, options, newest, counters, this.seriesIndexes);
    } finally {
      releaseHeads(snapshot.heads);
      await releaseAll(snapshot.segments);
    }
  }

  /** `overlay`: a transaction's own rows, read as the newest source (see transaction.ts). */
  private snapshot(
    table: string,
    options: ReadOptions,
    counters: ScanCounters,
    overlay?: Head,
  ): ScanSnapshot {
    this.openWal();
    const segments = this.segments.acquire(table, options.from, options.to);
    const kept = new Set(segments.map((h) => partitionKey(h.meta)));
    counters.partitions += kept.size;
    counters.partitionsSkipped += this.segments.partitionsOf(table).size - kept.size;
    const heads = overlay ? [...this.frozen, this.active, overlay] : [...this.frozen, this.active];
    for (const head of heads) head.retain();
    return {
      segments,
      heads,
      tombstones: this.tombstones,
      indexes: this.seriesIndexes,
    };
  }

  /**
   * Runs one SQL statement (see docs/sql.md). `params` bind `?`/`?1` (array) or `$name`/`:name`
   * (object), never spliced into the text. Mistakes throw SqlError with line, column and caret.
   */
  query(sql: string, params?: QueryParams, options?: QueryOptions): Promise<QueryResult> {
    return runQuery(this, sql, params, options);
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
    this.openWal();
    return new Transaction(this);
  }

  /** Like `query`, yielding the rows in batches, for results too big to hold at once. */
  iterate(
    sql: string,
    params?: QueryParams,
    options?: QueryOptions,
  ): AsyncGenerator<Array<Record<string, unknown>>> {
    return iterateQuery(this, sql, params, options);
  }

  /** Writes every unflushed row to segments and checkpoints the WAL. */
  async flush(): Promise<void> {
    this.openWal();
    if (this.flushing) await this.flushing.catch(() => undefined);
    if (this.active.isEmpty && this.frozen.length === 0) return;
    this.startFlush();
    await this.flushing;
  }

  /** Moves the active head to the frozen list (to be flushed); new writes go to a new head. */
  private freezeActive(): void {
    if (this.active.isEmpty) return;
    this.frozen.push(this.active);
    this.active = new Head(this.headSlabs);
    // Records after the checkpoint-to-be must not refer to names defined before it.
    this.walDictionary.reset();
  }

  private startFlush(): void {
    this.freezeActive();
    if (this.flushing) return;
    this.flushing = this.flushFrozen().finally(() => {
      this.flushing = null;
    });
    this.flushing.catch((err) => this.backgroundError(err));
  }

  private async flushFrozen(): Promise<void> {
    // Not openWal(): the flush that close() makes runs while closing.
    const wal = this.wal;
    if (!wal || this.closed) throw new ClosedError();
    await wal.rotate();
    while (this.frozen.length > 0) {
      const head = this.frozen[0]!;
      const target = {
        dir: this.dir,
        catalog: this.catalog,
        minLsn: this.checkpointLsn + 1,
        maxLsn: head.maxLsn,
        chunkRows: this.options.chunkRows,
        cache: this.chunkCache,
        hide: (table: string, rows: SeriesRows) =>
          hideDeleted(
            rows,
            this.tombstones.applying(
              table,
              rows.tags,
              head.maxLsn,
              Number.NEGATIVE_INFINITY,
              Number.POSITIVE_INFINITY,
            ),
          ),
      };
      const readers = await flushHead(head, target);
      for (const reader of readers) {
        this.segments.add(new SegmentHandle(reader));
        this.partitionTouchedAt.set(`${reader.meta.table}|${partitionKey(reader.meta)}`, Date.now());
      }
      await writeFileAtomic(
        path.join(this.dir, CHECKPOINT_FILE),
        JSON.stringify({ lsn: head.maxLsn, rowids: Object.fromEntries(this.nextRowids) }),
      );
      this.checkpointLsn = head.maxLsn;
      this.frozen.shift();
      head.retire();
      await wal.removeUpTo(this.checkpointLsn);
    }
    await this.retireTombstones();
    this.scheduleCompaction();
  }

  private backgroundError(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    this.lastBackgroundError = message;
    if (!(err instanceof CompactionAborted) && !(err instanceof ClosedError))
      this.emit('background-error', err);
  }

  private scheduleCompaction(): void {
    if (this.closing) return;
    if (this.compacting) {
      this.compactAgain = true;
      return;
    }
    this.compacting = this.compactAll(false).finally(() => {
      this.compacting = null;
      if (this.compactAgain) {
        this.compactAgain = false;
        this.scheduleCompaction();
      }
    });
    this.compacting.catch((err) => this.backgroundError(err));
  }

  /**
   * Runs compaction now. `force` merges every partition's checkpointed segments into one; else
   * the background policy applies (runs of small segments, cold partitions).
   */
  async compact(force = false): Promise<void> {
    while (this.compacting) await this.compacting.catch(() => undefined);
    this.compacting = this.compactAll(force).finally(() => {
      this.compacting = null;
    });
    await this.compacting;
  }

  private async compactAll(force: boolean): Promise<void> {
    for (const table of this.segments.tableNames()) {
      for (const [key, list] of [...this.segments.partitionsOf(table)]) {
        if (this.closing) return;
        const touched = this.partitionTouchedAt.get(`${table}|${key}`) ?? this.openedAt;
        const inputs = pickCompaction(list, {
          trigger: this.options.compactionTrigger,
          chunkRows: this.options.chunkRows,
          checkpointLsn: this.checkpointLsn,
          cold: this.options.compactionTrigger > 0 && Date.now() - touched >= this.options.coldPartitionMs,
          force,
        });
        if (inputs) await this.compactPartition(inputs, inputs[0] === list[0]);
      }
    }
  }

  private async compactPartition(inputs: readonly SegmentHandle[], oldest: boolean): Promise<void> {
    for (const handle of inputs) handle.retain();
    try {
      const hide = (handle: SegmentHandle, rows: SeriesRows) =>
        hideDeleted(
          rows,
          this.tombstones.applying(
            handle.meta.table,
            rows.tags,
            handle.meta.maxLsn,
            Number.NEGATIVE_INFINITY,
            Number.POSITIVE_INFINITY,
          ),
        );
      const reader = await compactSegments(
        this.dir,
        inputs,
        this.options.chunkRows,
        () => this.closing,
        hide,
        oldest,
        this.chunkCache,
      );
      this.segments.remove(inputs);
      this.segments.add(new SegmentHandle(reader));
      for (const handle of inputs) await handle.retire();
    } finally {
      await releaseAll(inputs);
    }
    await this.retireTombstones();
  }

  /**
   * Deletes the rows of `table` with from <= time <= to (both optional) in the series whose tags
   * equal `tags` (optional: all series). Rows written after the delete are kept. Partitions the
   * delete covers whole are removed at once; other rows are hidden, then removed by compaction.
   * Resolves once the delete is durable. An unknown table is left alone.
   */
  async deleteRows(table: string, options: ReadOptions = {}): Promise<{ lsn: number }> {
    return this.recordDelete({
      table,
      from: options.from ?? Number.NEGATIVE_INFINITY,
      to: options.to ?? Number.POSITIVE_INFINITY,
      tags: options.tags ?? null,
      dropTable: false,
    });
  }

  /** Removes a table: its rows, files and schema. Writing to it later creates it anew. */
  async dropTable(table: string): Promise<{ lsn: number }> {
    return this.recordDelete({
      table,
      from: Number.NEGATIVE_INFINITY,
      to: Number.POSITIVE_INFINITY,
      tags: null,
      dropTable: true,
    });
  }

  private async recordDelete(spec: DeleteSpec): Promise<{ lsn: number }> {
    const wal = this.openWal();
    // Rows in the head so far were written before the delete: freeze them, so that the
    // tombstone's LSN separates every source into before and after.
    this.freezeActive();
    const { lsn, durable } = this.append(wal, { kind: 'delete', spec });
    this.changedAt.set(spec.table, lsn);
    this.tombstones.add({ ...spec, lsn });
    if (spec.dropTable) this.forgetTable(spec.table, lsn);
    await durable.catch((err) => {
      throw storageError(err, this.dir);
    });
    await this.saveTombstones();
    if (this.declarationsChanged) await this.saveDeclarations();
    await this.dropHiddenSegments();
    return { lsn };
  }

  /**
   * Declares a table before any write: its tags, field types (so an `int` column takes whole
   * numbers as integers), partition width and retention. Throws HELIOS_TABLE_EXISTS if the table
   * exists (by declaration or data), unless `ifNotExists`.
   */
  async createTable(
    name: string,
    def: TableDefinition = {},
    options: { ifNotExists?: boolean; redeclare?: boolean } = {},
  ): Promise<void> {
    const wal = this.openWal();
    if (options.redeclare) return this.redeclare(name, def);
    const decl = checkDefinition(name, def, wal.lastLsn);
    if (this.catalog.get(name)) {
      if (options.ifNotExists) return;
      throw new InvalidInputError(
        `Table "${name}" already exists. Use CREATE TABLE IF NOT EXISTS, or DROP TABLE "${name}" first.`,
        'HELIOS_TABLE_EXISTS',
      );
    }
    // In the catalog at once, so writes arriving while the file is saved see the declared types.
    this.catalog.declare(name, decl.tags, decl.fields, decl.partitionMs, decl.sqlite ?? null);
    this.declarations.set(name, decl);
    try {
      await this.declarations.save(this.dir);
    } catch (err) {
      this.declarations.delete(name);
      if (!this.seriesKeys.get(name)?.size) this.catalog.tables.delete(name);
      throw storageError(err, this.dir);
    }
  }

  /**
   * Replaces the SQLite shape of a declared table (CREATE INDEX and DROP INDEX change its
   * indexes): columns, types and the declaration's LSN stay as they are.
   */
  private async redeclare(name: string, def: TableDefinition): Promise<void> {
    const old = this.declarations.get(name);
    if (!old?.sqlite || !def.sqlite) {
      throw new InvalidInputError(`Table "${name}" was not declared as SQLite declares tables.`);
    }
    this.declarations.set(name, { ...old, sqlite: def.sqlite });
    try {
      await this.declarations.save(this.dir);
    } catch (err) {
      this.declarations.set(name, old);
      throw storageError(err, this.dir);
    }
  }

  /** Forgets a dropped table; `lsn` is the drop's: a declaration made after it stays. */
  private forgetTable(table: string, lsn: number): void {
    const declared = this.declarations.get(table);
    const declaredSince = declared !== undefined && declared.lsn >= lsn;
    if (declared && !declaredSince) {
      this.declarations.delete(table);
      this.declarationsChanged = true;
    }
    this.catalog.tables.delete(table);
    this.resolvers.delete(table);
    this.seriesKeys.delete(table);
    // a table made again under this name numbers its rows from 1, as SQLite's does
    this.nextRowids.delete(table);
    this.newestTimes.delete(table);
    if (declared && declaredSince)
      this.catalog.declare(
        table,
        declared.tags,
        declared.fields,
        declared.partitionMs,
        declared.sqlite ?? null,
      );
  }

  private saveDeclarations(): Promise<void> {
    this.declarationsChanged = false;
    return this.declarations.save(this.dir);
  }

  /** Saves the tombstone list; saves are chained so two never write the file at once. */
  private saveTombstones(): Promise<void> {
    this.tombstonesChanged = false;
    const next = this.tombstoneSave.then(() => this.tombstones.save(this.dir));
    this.tombstoneSave = next.catch(() => undefined);
    return next;
  }

  /** Removes segments a tombstone hides whole (a table dropped, a time range deleted). */
  private async dropHiddenSegments(): Promise<void> {
    const hidden: SegmentHandle[] = [];
    for (const handle of this.segments.all()) {
      const { table, maxLsn, minTime, maxTime } = handle.meta;
      const covering = this.tombstones
        .applying(table, {}, maxLsn, minTime, maxTime)
        .filter((t) => t.tags === null && t.from <= minTime && t.to >= maxTime);
      if (covering.length > 0) hidden.push(handle);
    }
    if (hidden.length === 0) return;
    this.segments.remove(hidden);
    for (const handle of hidden) await handle.retire();
  }

  /**
   * Drops tombstones that hide nothing any more: their WAL record is checkpointed (no replay can
   * bring back the rows they hide), and no segment written before them overlaps their range.
   */
  private async retireTombstones(): Promise<void> {
    const changed = this.tombstones.retain((t) => {
      if (t.lsn > this.checkpointLsn) return true;
      for (const list of this.segments.partitionsOf(t.table).values()) {
        for (const h of list) {
          if (h.meta.maxLsn < t.lsn && h.meta.minTime <= t.to && h.meta.maxTime >= t.from) return true;
        }
      }
      return false;
    });
    if (changed || this.tombstonesChanged) await this.saveTombstones();
  }

  /** Names of the tables, sorted. */
  tables(): string[] {
    return [...this.catalog.tables.keys()].sort();
  }

  /** The columns of `table`: tags (text) and fields with their types; undefined if unknown. */
  schema(table: string): TableSchemaInfo | undefined {
    const t = this.catalog.get(table);
    if (!t) return undefined;
    const sqlite = this.declarations.get(table)?.sqlite;
    return {
      name: t.name,
      tagKeys: [...t.tagKeys],
      fields: [...visibleFields(t.fields)].map(([name, type]) => ({ name, type })),
      partitionMs: t.partitionMs,
      declared: this.declarations.get(table) !== undefined,
      retentionMs: this.declarations.get(table)?.retentionMs ?? null,
      ...(sqlite ? { sqlite } : {}),
    };
  }

  /**
   * Records how far a consumer (the sync node) has taken the data: every batch up to `lsn` has
   * reached upstream. Retention keeps what comes after the lowest cursor. Durable on resolve.
   */
  async setCursor(name: string, lsn: number): Promise<void> {
    const wal = this.openWal();
    if (typeof name !== 'string' || name === '') throw new InvalidInputError('A cursor needs a name.');
    if (!Number.isInteger(lsn) || lsn < 0 || lsn > wal.lastLsn) {
      throw new InvalidInputError(
        `Cursor "${name}" must be an LSN between 0 and ${wal.lastLsn}; got ${lsn}.`,
      );
    }
    this.consumerCursors.set(name, lsn);
    await this.saveCursors();
  }

  /** Forgets a consumer's cursor (its unsynced data is then no longer kept for it). */
  async removeCursor(name: string): Promise<void> {
    this.openWal();
    if (this.consumerCursors.delete(name)) await this.saveCursors();
  }

  /** The consumers' cursors by name. */
  cursors(): Record<string, number> {
    return Object.fromEntries(this.consumerCursors);
  }

  private saveCursors(): Promise<void> {
    const body = JSON.stringify(Object.fromEntries(this.consumerCursors));
    const next = this.cursorSave.then(() => writeFileAtomic(path.join(this.dir, CURSORS_FILE), body));
    this.cursorSave = next.catch(() => undefined);
    return next;
  }

  /**
   * Runs a retention policy now: drops rows of the matching tables older than `maxAge` (keeping
   * unsynced rows unless `keepUnsynced: false`) and, with `maxBytes`, the oldest partitions until
   * the database fits. Reports partitions and rows dropped, bytes freed, and any unsynced range
   * the size limit had to drop.
   */
  runRetention(policy: RetentionPolicy): Promise<RetentionReport> {
    this.openWal();
    return runRetention(this.retentionTarget(), policy);
  }

  private retentionTarget(): RetentionTarget {
    return {
      tables: () => this.tables(),
      partitions: (table) => this.partitionInfo(table),
      lowestCursor: () =>
        this.consumerCursors.size === 0 ? null : Math.min(...this.consumerCursors.values()),
      earliestWrittenAfter: (table, lsn) => this.earliestWrittenAfter(table, lsn),
      countRows: (table, from, to) => this.countRows(table, from, to),
      deleteRows: (table, options) => this.deleteRows(table, options),
      diskBytes: () => this.diskBytes(),
    };
  }

  private partitionInfo(table: string): PartitionInfo[] {
    return [...this.segments.partitionsOf(table).values()].map((list) => ({
      table,
      start: list[0]!.meta.partitionStart,
      end: list[0]!.meta.partitionEnd,
      bytes: list.reduce((n, h) => n + h.meta.bytes, 0),
      minTime: Math.min(...list.map((h) => h.meta.minTime)),
      maxTime: Math.max(...list.map((h) => h.meta.maxTime)),
      maxLsn: Math.max(...list.map((h) => h.meta.maxLsn)),
    }));
  }

  private earliestWrittenAfter(table: string, lsn: number): number | null {
    let earliest = Number.POSITIVE_INFINITY;
    for (const list of this.segments.partitionsOf(table).values()) {
      for (const h of list) if (h.meta.maxLsn > lsn) earliest = Math.min(earliest, h.meta.minTime);
    }
    for (const head of [...this.frozen, this.active]) {
      for (const buffer of head.seriesOf(table)) {
        if (buffer.count > 0 && buffer.lastLsn > lsn) earliest = Math.min(earliest, buffer.minTime);
      }
    }
    return Number.isFinite(earliest) ? earliest : null;
  }

  /** Rows of `table` in [from, to]; whole chunks are counted from their statistics. */
  private async countRows(table: string, from: number, to: number): Promise<number> {
    let rows = 0;
    for await (const series of this.scanParts(table, { from, to })) {
      for (const part of series.parts) rows += part.stats ? part.rows : (await part.load()).count;
    }
    return rows;
  }

  /**
   * Runs a downsampling rule now: rolls the matching tables' rows up into per-bucket aggregates
   * in rollup tables (`{table}_{bucket}`, fields `{field}_{aggregate}`), incrementally from the
   * rule's durable watermark, recomputing buckets that late rows landed in. Idempotent.
   */
  runDownsample(rule: DownsampleRule): Promise<DownsampleReport> {
    this.openWal();
    return runDownsample(this.downsampleTarget(), rule);
  }

  private downsampleTarget(): DownsampleTarget {
    return {
      tables: () => this.tables(),
      fieldTypes: (table) => visibleFields(this.catalog.get(table)?.fields),
      lastLsn: () => this.openWal().lastLsn,
      rangesWrittenAfter: (table, lsn) => this.rangesWrittenAfter(table, lsn),
      scan: (table, options) => this.scan(table, options),
      // a recomputed bucket replaces the one written before: rollup rows have no rowids
      write: (table, readings) => this.writeRows(table, readings, 'none'),
      watermark: (key) => this.watermarks.get(key),
      saveWatermark: async (key, mark) => {
        this.watermarks.set(key, mark);
        const body = JSON.stringify(Object.fromEntries(this.watermarks));
        const next = this.watermarkSave.then(() =>
          writeFileAtomic(path.join(this.dir, DOWNSAMPLE_FILE), body),
        );
        this.watermarkSave = next.catch(() => undefined);
        await next;
      },
    };
  }

  /** Time ranges of the sources (segment series, head series) holding rows written after `lsn`. */
  private rangesWrittenAfter(table: string, lsn: number): Array<[number, number]> {
    const ranges: Array<[number, number]> = [];
    for (const list of this.segments.partitionsOf(table).values()) {
      for (const h of list) {
        if (h.meta.maxLsn <= lsn) continue;
        for (const entry of h.reader.series) ranges.push([entry.minTime, entry.maxTime]);
      }
    }
    for (const head of [...this.frozen, this.active]) {
      for (const buffer of head.seriesOf(table)) {
        if (buffer.count > 0 && buffer.lastLsn > lsn) ranges.push([buffer.minTime, buffer.maxTime]);
      }
    }
    return ranges;
  }

  /** Bytes of the segment files and the WAL. */
  diskBytes(): number {
    let bytes = this.wal?.bytes ?? 0;
    for (const handle of this.segments.all()) bytes += handle.meta.bytes;
    return bytes;
  }

  stats(): DatabaseStats {
    const tables: Record<string, TableStats> = {};
    for (const [name] of this.catalog.tables) tables[name] = this.tableStats(name);
    return {
      tables,
      walBytes: this.wal?.bytes ?? 0,
      headRows: this.active.rows + this.frozen.reduce((n, h) => n + h.rows, 0),
      lastLsn: this.wal?.lastLsn ?? this.checkpointLsn,
      checkpointLsn: this.checkpointLsn,
      lastBackgroundError: this.lastBackgroundError,
      replay: this.replayStats,
      quarantined: this.quarantined,
    };
  }

  private tableStats(table: string): TableStats {
    const stats: TableStats = {
      series: this.seriesKeys.get(table)?.size ?? 0,
      rows: 0,
      bytes: 0,
      minTime: null,
      maxTime: null,
      partitions: this.segments.partitionsOf(table).size,
      segments: 0,
    };
    const widen = (min: number, max: number) => {
      stats.minTime = stats.minTime === null ? min : Math.min(stats.minTime, min);
      stats.maxTime = stats.maxTime === null ? max : Math.max(stats.maxTime, max);
    };
    for (const list of this.segments.partitionsOf(table).values()) {
      for (const handle of list) {
        stats.rows += handle.meta.rows;
        stats.bytes += handle.meta.bytes;
        stats.segments++;
        widen(handle.meta.minTime, handle.meta.maxTime);
      }
    }
    for (const head of [...this.frozen, this.active]) {
      for (const buffer of head.seriesOf(table)) {
        stats.rows += buffer.count;
        if (buffer.count > 0) widen(buffer.minTime, buffer.maxTime);
      }
    }
    return stats;
  }

  /**
   * Flushes what is in memory, stops background work, closes files and releases the lock. A
   * compaction in progress is abandoned (its temp file removed); nothing acknowledged is lost.
   */
  async close(): Promise<void> {
    if (this.closed || this.closing) return;
    this.closing = true;
    if (this.timer) clearInterval(this.timer);
    try {
      await this.compacting?.catch(() => undefined);
      await this.flushing?.catch(() => undefined);
      if (!this.active.isEmpty || this.frozen.length > 0) await this.closingFlush();
    } finally {
      this.closed = true;
      await this.wal?.close().catch(() => undefined);
      for (const handle of this.segments.all()) await handle.reader.close().catch(() => undefined);
      this.lock.release();
    }
  }

  /** A final flush; if it fails the WAL still holds every row and the next open replays it. */
  private async closingFlush(): Promise<void> {
    try {
      this.startFlush();
      await this.flushing;
    } catch (err) {
      this.lastBackgroundError = err instanceof Error ? err.message : String(err);
    }
  }
}

/** An I/O failure as a sentence for the user; the engine's own errors pass through. */
function storageError(err: unknown, dir: string): Error {
  if (err instanceof HeliosError || !(err instanceof Error)) return err as Error;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new HeliosError(
      'HELIOS_DISK_FULL',
      `The disk holding ${dir} is full, so the batch was not stored. Free space, or lower retention, then write again.`,
    );
  }
  return new HeliosError(
    'HELIOS_IO',
    `Writing to ${dir} failed (${code ?? err.message}), so the batch was not stored. Check the disk and its permissions.`,
  );
}

async function readJson<T>(file: string, fallback: T): Promise<T> {
  try {
    return JSON.parse(await fsp.readFile(file, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
    throw err;
  }
}

/**
 * The checkpoint: the last LSN whose rows are all in segments, and each table's next rowid when it
 * was written (a floor: ids of rows deleted since are not handed out again).
 */
async function readCheckpoint(dir: string): Promise<{ lsn: number; rowids: Record<string, number> }> {
  const { lsn, rowids } = await readJson<{ lsn?: unknown; rowids?: unknown }>(
    path.join(dir, CHECKPOINT_FILE),
    {},
  );
  const next: Record<string, number> = {};
  if (rowids && typeof rowids === 'object') {
    for (const [table, id] of Object.entries(rowids))
      if (Number.isSafeInteger(id)) next[table] = id as number;
  }
  return { lsn: typeof lsn === 'number' ? lsn : 0, rowids: next };
}

/**
 * 0 when no row of `batch` can replace another: each series identified by time (no rowids) has
 * times rising within the batch and past its newest stored time. Else null: look (countReplaced).
 */
function replacedInBatch(batch: WriteBatch, newest: ReadonlyMap<string, number>): 0 | null {
  for (const series of batch.series) {
    if (series.fields.has(ROWID_FIELD)) continue;
    let last = newest.get(series.key) ?? Number.NEGATIVE_INFINITY;
    for (let i = 0; i < series.count; i++) {
      const t = series.times[i]!;
      if (t <= last) return null;
      last = t;
    }
  }
  return 0;
}

/** A table's fields without the engine's hidden ones (rowids, delete markers). */
function visibleFields(fields: ReadonlyMap<string, ColumnType> | undefined): Map<string, ColumnType> {
  const out = new Map<string, ColumnType>();
  for (const [name, type] of fields ?? []) if (!isHiddenName(name)) out.set(name, type);
  return out;
}
