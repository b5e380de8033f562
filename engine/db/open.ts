/**
 * Opening a database directory: take the lock, read the checkpoint, the segments (quarantining
 * corrupt ones), tombstones, declarations, cursors and watermarks, then replay the WAL from the
 * checkpoint into a fresh head, with each declaration entering the catalog where it was made.
 */
import type { EventEmitter } from 'node:events';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { TableCatalog } from '../catalog/catalog';
import type { ResolvedOptions } from '../options';
import type { Watermark } from '../policy/downsample';
import { ROWID_FIELD } from '../rows/identity';
import { ChunkCache } from '../segment/chunk-cache';
import type { SegmentReader } from '../segment/reader';
import { Declarations } from '../storage/declarations';
import { CHECKPOINT_FILE, CURSORS_FILE, DATA_DIR, DOWNSAMPLE_FILE, WAL_DIR } from '../storage/layout';
import { type LoadedSegments, loadSegments, quarantine } from '../storage/load';
import { SegmentHandle } from '../storage/segment-set';
import { isJsonObject, readSmallJson, SmallFileError } from '../storage/small-file';
import { Tombstones } from '../storage/tombstones';
import { mkdirDurable, TimeSlicer } from '../util/fsutil';
import { decodeRecord, WalDictionaryReader, type WalEntry } from '../wal/batch';
import { Wal } from '../wal/wal';
import { startFlush, startTimer } from './background';
import { declareUpTo, saveDeclarations } from './ddl';
import { dropHiddenSegments, replayDelete, saveTombstones } from './deletes';
import { DirectoryLock } from './lock';
import { DbState } from './state';
import { applyBatch } from './writes';

/**
 * Opens (creating if needed) the database in `root` (a resolved path) and starts its background
 * timer; `events` gets its 'background-error's. The lock is released if opening fails.
 */
export async function openState(
  root: string,
  options: ResolvedOptions,
  events: EventEmitter,
): Promise<DbState> {
  await mkdirDurable(path.join(root, DATA_DIR));
  const lock = DirectoryLock.acquire(root);
  let loaded: LoadedSegments | null = null;
  try {
    const quarantined: string[] = [];
    // the small files first: one that stops the open does so before any segment is opened
    const { lsn: checkpointLsn, rowids } = await readCheckpoint(root, quarantined);
    const tombstones = await Tombstones.load(root);
    const declarations = await Declarations.load(root);
    const cursors = await readCursors(root);
    const watermarks = await readWatermarks(root, quarantined);
    const catalog = new TableCatalog(options.partitionDurationMs, options.tablePartitionMs);
    const chunkCache = new ChunkCache(options.cacheBytes);
    loaded = await loadSegments(root, checkpointLsn, chunkCache);
    const segments = loaded.set;
    quarantined.push(...loaded.quarantined);
    const s = new DbState(events, {
      dir: root,
      options,
      lock,
      catalog,
      segments,
      checkpointLsn,
      tombstones,
      declarations,
      chunkCache,
      quarantined,
    });
    for (const [table, next] of Object.entries(rowids)) s.nextRowids.set(table, next);
    for (const [key, mark] of Object.entries(watermarks)) s.watermarks.set(key, mark);
    for (const [name, lsn] of Object.entries(cursors)) s.consumerCursors.set(name, lsn);
    await dropHiddenSegments(s);
    const slicer = new TimeSlicer();
    for (const handle of segments.all()) await learnSegment(s, handle, slicer);
    const replayed = await replayWal(s, maxSegmentLsn(segments.all(), loaded.pending));
    await settlePending(s, loaded.pending, replayed);
    declareUpTo(s, Number.POSITIVE_INFINITY);
    if (s.tombstonesChanged) await saveTombstones(s);
    if (s.declarationsChanged) await saveDeclarations(s);
    startTimer(s);
    return s;
  } catch (err) {
    // a failed open leaves no file open and no lock behind
    if (loaded)
      for (const r of [...loaded.set.all().map((h) => h.reader), ...loaded.pending])
        await r.close().catch(() => {});
    lock.release();
    throw err;
  }
}

/** Puts what a segment holds into the catalog and the write counters (series, newest times, rowids). */
async function learnSegment(s: DbState, handle: SegmentHandle, slicer: TimeSlicer): Promise<void> {
  const { reader } = handle;
  const table = s.catalog.ensure(reader.meta.table);
  for (const k of reader.tagKeys) table.addTag(k);
  for (const f of reader.fields) table.addField(f.name, f.type);
  const keys = s.keysOf(reader.meta.table);
  const newest = s.newestOf(reader.meta.table);
  for (const [key, entry] of reader.eachSeries()) {
    keys.add(key);
    s.learnSegmentTime(reader.meta.table, key, entry.maxTime);
    if (!(entry.maxTime <= (newest.get(key) ?? Number.NEGATIVE_INFINITY))) newest.set(key, entry.maxTime);
    for (const chunk of entry.chunks) {
      const max = chunk.stats.get(ROWID_FIELD)?.max;
      if (max !== undefined) s.useRowid(reader.meta.table, max);
    }
    await slicer.maybeYield();
  }
}

/** The largest LSN any segment holds: new WAL records must come after it. */
function maxSegmentLsn(handles: readonly SegmentHandle[], pending: readonly SegmentReader[]): number {
  let max = 0;
  for (const h of handles) max = Math.max(max, h.meta.maxLsn);
  for (const r of pending) max = Math.max(max, r.meta.maxLsn);
  return max;
}

/**
 * The segments past the checkpoint, once the WAL is replayed: one whose whole LSN range was
 * replayed is redundant (the head holds its rows again) and goes; any other is kept, its rows
 * read beside the head's copies (row identity makes them one). The checkpoint then names what
 * the replay proved: new segments claim only the records the head really holds.
 */
async function settlePending(
  s: DbState,
  pending: readonly SegmentReader[],
  replayed: LsnRange | null,
): Promise<void> {
  for (const reader of pending) {
    const { minLsn, maxLsn } = reader.meta;
    if (replayed && replayed.first <= minLsn && maxLsn <= replayed.last) {
      await reader.close();
      await fsp.rm(reader.path, { force: true });
      continue;
    }
    const handle = new SegmentHandle(reader);
    s.segments.add(handle);
    await learnSegment(s, handle, new TimeSlicer());
  }
  // a lost checkpoint read as 0: what the log no longer holds was flushed before it was removed
  const proven = Math.max(s.checkpointLsn, replayed ? replayed.first - 1 : (s.wal?.lastLsn ?? 0));
  if (proven === s.checkpointLsn) return;
  s.checkpointLsn = proven;
  await s.checkpointSaves.save(JSON.stringify({ lsn: proven, rowids: Object.fromEntries(s.nextRowids) }));
}

interface LsnRange {
  first: number;
  last: number;
}

/** Replays the WAL after the checkpoint into the head; the range of LSNs replayed, or null. */
async function replayWal(s: DbState, floorLsn: number): Promise<LsnRange | null> {
  const walOptions = {
    durability: s.options.durability,
    batchIntervalMs: s.options.batchIntervalMs,
    segmentBytes: s.options.walSegmentBytes,
  };
  const names = new WalDictionaryReader();
  declareUpTo(s, s.checkpointLsn + 1);
  let range: LsnRange | null = null;
  const { wal, replay } = await Wal.open(
    path.join(s.dir, WAL_DIR),
    walOptions,
    s.checkpointLsn,
    (lsn, payload) => {
      replayRecord(s, decodeRecord(payload, names), lsn);
      if (range) range.last = lsn;
      else range = { first: lsn, last: lsn };
    },
    floorLsn,
  );
  s.wal = wal;
  s.replayStats = replay;
  if (s.active.bytes >= s.flushThreshold()) startFlush(s);
  return range;
}

function replayRecord(s: DbState, entry: WalEntry, lsn: number): void {
  declareUpTo(s, lsn);
  if (entry.kind === 'write') {
    applyBatch(s, entry.batch, lsn);
    return;
  }
  if (entry.kind === 'group') {
    for (const batch of entry.batches) applyBatch(s, batch, lsn);
    return;
  }
  replayDelete(s, entry.spec, lsn);
}

/** Downsampling's watermarks: a hint (rollups are recomputed in place), so a damaged file is set aside. */
async function readWatermarks(root: string, quarantined: string[]): Promise<Record<string, Watermark>> {
  const file = path.join(root, DOWNSAMPLE_FILE);
  try {
    const raw = await readSmallJson(file, isJsonObject, 'a map of watermarks', '');
    return (raw ?? {}) as Record<string, Watermark>;
  } catch (err) {
    if (!(err instanceof SmallFileError)) throw err;
    await quarantine(file, `${err.reason}; set aside, downsampling rolls every source up again`, quarantined);
    return {};
  }
}

/** The consumers' cursors (sync): without them retention could delete rows not yet sent. */
async function readCursors(root: string): Promise<Record<string, number>> {
  const raw = await readSmallJson(
    path.join(root, CURSORS_FILE),
    (v) => isJsonObject(v) && Object.values(v).every((lsn) => Number.isSafeInteger(lsn)),
    'a map of cursors',
    'it says how far sync has sent, and retention keeps what is not sent yet. Restore it from a ' +
      'backup of this folder, or remove it to send everything again; the database is left as it is.',
  );
  return (raw ?? {}) as Record<string, number>;
}

/**
 * The checkpoint: the last LSN whose rows are all in segments, and each table's next rowid when it
 * was written (a floor: ids of rows deleted since are not handed out again).
 */
async function readCheckpoint(
  dir: string,
  quarantined: string[],
): Promise<{ lsn: number; rowids: Record<string, number> }> {
  const file = path.join(dir, CHECKPOINT_FILE);
  let saved: { lsn?: unknown; rowids?: unknown };
  try {
    saved = ((await readSmallJson(file, isJsonObject, 'a checkpoint object', '')) ?? {}) as typeof saved;
  } catch (err) {
    if (!(err instanceof SmallFileError)) throw err;
    // only a hint: without it the WAL is replayed whole and no segment is taken for unflushed
    await quarantine(file, `unreadable checkpoint (${err.reason}); the WAL was replayed whole`, quarantined);
    saved = {};
  }
  const { lsn, rowids } = saved;
  const next: Record<string, number> = {};
  if (rowids && typeof rowids === 'object') {
    for (const [table, id] of Object.entries(rowids))
      if (Number.isSafeInteger(id)) next[table] = id as number;
  }
  return { lsn: Number.isSafeInteger(lsn) && (lsn as number) >= 0 ? (lsn as number) : 0, rowids: next };
}
