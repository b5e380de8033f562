/**
 * What one open database holds, in one object that every part of db/ receives: the files opened,
 * the heads, the background work in flight, the counters writes keep, and the small files saved
 * beside the data. Each part (writes, reads, background, deletes, ...) is a file of functions over
 * it; the Database class in database.ts is the facade that hands it to them.
 */

import type { EventEmitter } from 'node:events';
import * as path from 'node:path';
import type { TableCatalog } from '../catalog/catalog';
import { ClosedError, type CorruptionError } from '../errors';
import { Head } from '../head/head';
import { SlabPool } from '../head/slabs';
import type { SeriesResolver } from '../ingest/series-resolver';
import type { ResolvedOptions } from '../options';
import type { Watermark } from '../policy/downsample';
import { SeriesIndexes } from '../read/series-index';
import type { ChunkCache } from '../segment/chunk-cache';
import type { ChunkMeta } from '../segment/reader';
import type { Declarations } from '../storage/declarations';
import { CHECKPOINT_FILE, CURSORS_FILE, DOWNSAMPLE_FILE } from '../storage/layout';
import type { SegmentHandle, SegmentSet } from '../storage/segment-set';
import { TOMBSTONES_FILE, type Tombstones } from '../storage/tombstones';
import { SaveChain } from '../util/save-chain';
import { WalDictionary } from '../wal/batch';
import type { WalReplayStats } from '../wal/recover';
import type { Wal } from '../wal/wal';
import type { DirectoryLock } from './lock';

/** What open() reads from the directory before the WAL is replayed. */
export interface OpenedFiles {
  /** the database directory, resolved */
  readonly dir: string;
  readonly options: ResolvedOptions;
  readonly lock: DirectoryLock;
  readonly catalog: TableCatalog;
  readonly segments: SegmentSet;
  /** the last LSN whose rows are all in segments */
  readonly checkpointLsn: number;
  readonly tombstones: Tombstones;
  readonly declarations: Declarations;
  readonly chunkCache: ChunkCache;
  /** segment files found corrupt, renamed *.corrupt and left out */
  readonly quarantined: string[];
}

/** Counters of the work done since open (DatabaseStats.work). */
export interface WorkCounters {
  /** readings appended to the WAL by writes (not replay) */
  readingsWritten: number;
  flushes: number;
  flushSeconds: number;
  compactions: number;
  compactionSeconds: number;
  /** the last flush's failure, null once a flush succeeds again */
  flushError: string | null;
}

export class DbState {
  readonly dir: string;
  readonly options: ResolvedOptions;
  readonly lock: DirectoryLock;
  readonly catalog: TableCatalog;
  readonly segments: SegmentSet;
  readonly tombstones: Tombstones;
  readonly declarations: Declarations;
  /** recently read chunk bytes, shared by every segment of this database */
  readonly chunkCache: ChunkCache;
  /** segment files found corrupt at open, renamed *.corrupt and left out */
  readonly quarantined: string[];
  checkpointLsn: number;
  /** null until the WAL is replayed */
  wal: Wal | null = null;
  replayStats: WalReplayStats | null = null;

  // Heads (memory): the active one takes writes, frozen ones wait for the flush.
  /** the memory of flushed heads, reused by the next ones */
  readonly headSlabs = new SlabPool();
  active = new Head(this.headSlabs);
  /** heads being (or waiting to be) flushed, oldest first */
  frozen: Head[] = [];

  // Background work (background.ts).
  flushing: Promise<void> | null = null;
  compacting: Promise<void> | null = null;
  compactAgain = false;
  /** wall-clock ms when a flush last added a segment to a partition (`table|start`) */
  readonly partitionTouchedAt = new Map<string, number>();
  readonly openedAt = Date.now();
  timer: NodeJS.Timeout | null = null;
  lastBackgroundError: string | null = null;
  /** per table: wall-clock ms of the last write appended since open (stats' lastWriteAt) */
  readonly lastWriteAt = new Map<string, number>();
  /** what the database did since open, for metrics (stats.ts) */
  readonly work: WorkCounters = {
    readingsWritten: 0,
    flushes: 0,
    flushSeconds: 0,
    compactions: 0,
    compactionSeconds: 0,
    flushError: null,
  };
  closed = false;
  closing = false;

  // What writes keep (writes.ts).
  readonly seriesKeys = new Map<string, Set<string>>();
  /** Each table's series in key order per set of segments, with the chunks of their edge rows. */
  readonly seriesIndexes = new SeriesIndexes();
  /** names and series already spelled out in the WAL since the last freeze */
  readonly walDictionary = new WalDictionary();
  /** per table: tags objects to series, kept across writes */
  readonly resolvers = new Map<string, SeriesResolver>();
  /** each table's last changing LSN since open, for transactions' conflict check (changeOf) */
  readonly changedAt = new Map<string, number>();
  /** per table: the next unused rowid (never handed out again, see docs/storage.md) */
  readonly nextRowids = new Map<string, number>();
  /** per table and series: the newest time written, so a write knows fast that it replaces nothing */
  readonly newestTimes = new Map<string, Map<string, number>>();
  /** per table and series: the newest time in the segments (at least), for writes' replace checks */
  readonly segmentNewestTimes = new Map<string, Map<string, number>>();
  /** damaged chunks already reported (file@offset) */
  private readonly damageReported = new Set<string>();
  /** set when the lock file stopped naming this engine: writes and flushes are refused */
  lockLost: Error | null = null;
  /** a write that is looking for the rows it replaces: other writes wait for it */
  replaceCheck: Promise<unknown> | null = null;

  // Declarations and tombstones changed by replay or a drop, not saved yet (ddl.ts, deletes.ts).
  tombstonesChanged = false;
  declarationsChanged = false;
  /** declarations already put into the catalog while opening */
  readonly declared = new Set<string>();

  // The small files beside the data, each saved whole, one save after another.
  readonly consumerCursors = new Map<string, number>();
  readonly watermarks = new Map<string, Watermark>();
  readonly checkpointSaves: SaveChain;
  readonly tombstoneSaves: SaveChain;
  readonly cursorSaves: SaveChain;
  readonly watermarkSaves: SaveChain;

  /** `events`: where 'background-error' is emitted (the Database). */
  constructor(
    readonly events: EventEmitter,
    files: OpenedFiles,
  ) {
    this.dir = files.dir;
    this.options = files.options;
    this.lock = files.lock;
    this.catalog = files.catalog;
    this.segments = files.segments;
    this.checkpointLsn = files.checkpointLsn;
    this.tombstones = files.tombstones;
    this.declarations = files.declarations;
    this.chunkCache = files.chunkCache;
    this.quarantined = files.quarantined;
    this.checkpointSaves = new SaveChain(path.join(this.dir, CHECKPOINT_FILE));
    this.tombstoneSaves = new SaveChain(path.join(this.dir, TOMBSTONES_FILE));
    this.cursorSaves = new SaveChain(path.join(this.dir, CURSORS_FILE));
    this.watermarkSaves = new SaveChain(path.join(this.dir, DOWNSAMPLE_FILE));
  }

  /** The WAL, or ClosedError once close() has begun: every public call starts here. */
  openWal(): Wal {
    if (this.closed || this.closing || !this.wal) throw new ClosedError();
    if (this.lockLost) throw this.lockLost;
    return this.wal;
  }

  /**
   * A chunk found damaged by a read or a compaction: named once in `quarantined` (file, byte,
   * series, time range, reason) and raised once as a 'corruption' event; its rows are left out.
   */
  reportDamage(
    handle: SegmentHandle,
    chunk: ChunkMeta,
    tags: Readonly<Record<string, string>>,
    err: CorruptionError,
  ): void {
    const key = `${handle.reader.path}@${chunk.offset}`;
    if (this.damageReported.has(key)) return;
    this.damageReported.add(key);
    const named = Object.entries(tags).map(([k, v]) => `${k}=${v}`);
    const series = named.length > 0 ? named.join(', ') : '(no tags)';
    const span = `${new Date(chunk.minTime).toISOString()} to ${new Date(chunk.maxTime).toISOString()}`;
    const entry = `${handle.reader.path}: chunk at byte ${chunk.offset} (series ${series}, ${chunk.rows} rows, ${span}) left out: ${err.message}`;
    this.quarantined.push(entry);
    this.events.emit('corruption', {
      file: handle.reader.path,
      offset: chunk.offset,
      table: handle.meta.table,
      tags,
      rows: chunk.rows,
      from: chunk.minTime,
      to: chunk.maxTime,
      message: entry,
    });
  }

  /** Checks the directory lock still names this engine; once it does not, every write fails. */
  checkLock(): void {
    if (this.lockLost) throw this.lockLost;
    try {
      this.lock.verify();
    } catch (err) {
      this.lockLost = err as Error;
      throw err;
    }
  }

  /** The heads a reader sees, oldest first (frozen ones, then the active one). */
  heads(): Head[] {
    return [...this.frozen, this.active];
  }

  headBytes(): number {
    let bytes = this.active.bytes;
    for (const head of this.frozen) bytes += head.bytes;
    return bytes;
  }

  /** The active head is frozen and flushed once it holds this many bytes. */
  flushThreshold(): number {
    return this.options.memoryLimitBytes / 2;
  }

  /** Moves the active head to the frozen list (to be flushed); new writes go to a new head. */
  freezeActive(): void {
    if (this.active.isEmpty) return;
    this.frozen.push(this.active);
    this.active = new Head(this.headSlabs);
    // Records after the checkpoint-to-be must not refer to names defined before it.
    this.walDictionary.reset();
  }

  /** The series keys of `table` (made on first use). */
  keysOf(table: string): Set<string> {
    let keys = this.seriesKeys.get(table);
    if (!keys) {
      keys = new Set();
      this.seriesKeys.set(table, keys);
    }
    return keys;
  }

  /** The newest time of each series of `table` (made on first use). */
  newestOf(table: string): Map<string, number> {
    let newest = this.newestTimes.get(table);
    if (!newest) {
      newest = new Map();
      this.newestTimes.set(table, newest);
    }
    return newest;
  }

  /** Records the newest time of each series a segment of `table` holds (see segmentNewestTimes). */
  learnSegmentTime(table: string, key: string, maxTime: number): void {
    let newest = this.segmentNewestTimes.get(table);
    if (!newest) {
      newest = new Map();
      this.segmentNewestTimes.set(table, newest);
    }
    if (!(maxTime <= (newest.get(key) ?? Number.NEGATIVE_INFINITY))) newest.set(key, maxTime);
  }

  /**
   * True when no source but the active head can hold a row of series `key` of `table` at `from`
   * or later: the segments' and the frozen heads' newest times of it are all before `from`.
   */
  onlyActiveHolds(table: string, key: string, from: number): boolean {
    if (from <= (this.segmentNewestTimes.get(table)?.get(key) ?? Number.NEGATIVE_INFINITY)) return false;
    for (const head of this.frozen) {
      const buffer = head.tables.get(table)?.get(key);
      if (buffer && from <= buffer.maxTime) return false;
    }
    return true;
  }

  /** Records that `id` is taken in `table`: the next rowid handed out is above it. */
  useRowid(table: string, id: number): void {
    if (id + 1 > (this.nextRowids.get(table) ?? 1)) this.nextRowids.set(table, id + 1);
  }
}
