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
import { Declarations } from '../storage/declarations';
import { CHECKPOINT_FILE, CURSORS_FILE, DATA_DIR, DOWNSAMPLE_FILE, WAL_DIR } from '../storage/layout';
import { loadSegments } from '../storage/load';
import type { SegmentHandle } from '../storage/segment-set';
import { Tombstones } from '../storage/tombstones';
import { mkdirDurable } from '../util/fsutil';
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
  try {
    const { lsn: checkpointLsn, rowids } = await readCheckpoint(root);
    const catalog = new TableCatalog(options.partitionDurationMs, options.tablePartitionMs);
    const chunkCache = new ChunkCache(options.cacheBytes);
    const { set: segments, quarantined } = await loadSegments(root, checkpointLsn, chunkCache);
    const tombstones = await Tombstones.load(root);
    const declarations = await Declarations.load(root);
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
    for (const [key, mark] of Object.entries(
      await readJson<Record<string, Watermark>>(path.join(root, DOWNSAMPLE_FILE), {}),
    )) {
      s.watermarks.set(key, mark);
    }
    for (const [name, lsn] of Object.entries(
      await readJson<Record<string, number>>(path.join(root, CURSORS_FILE), {}),
    )) {
      s.consumerCursors.set(name, lsn);
    }
    await dropHiddenSegments(s);
    for (const handle of segments.all()) learnSegment(s, handle);
    await replayWal(s);
    declareUpTo(s, Number.POSITIVE_INFINITY);
    if (s.tombstonesChanged) await saveTombstones(s);
    if (s.declarationsChanged) await saveDeclarations(s);
    startTimer(s);
    return s;
  } catch (err) {
    lock.release();
    throw err;
  }
}

/** Puts what a segment holds into the catalog and the write counters (series, newest times, rowids). */
function learnSegment(s: DbState, handle: SegmentHandle): void {
  const { reader } = handle;
  const table = s.catalog.ensure(reader.meta.table);
  for (const k of reader.tagKeys) table.addTag(k);
  for (const f of reader.fields) table.addField(f.name, f.type);
  const keys = s.keysOf(reader.meta.table);
  const newest = s.newestOf(reader.meta.table);
  s.learnSegmentTimes(reader.meta.table, handle.seriesByKey);
  for (const [key, entry] of handle.seriesByKey) {
    keys.add(key);
    if (!(entry.maxTime <= (newest.get(key) ?? Number.NEGATIVE_INFINITY))) newest.set(key, entry.maxTime);
    for (const chunk of entry.chunks) {
      const max = chunk.stats.get(ROWID_FIELD)?.max;
      if (max !== undefined) s.useRowid(reader.meta.table, max);
    }
  }
}

async function replayWal(s: DbState): Promise<void> {
  const walOptions = {
    durability: s.options.durability,
    batchIntervalMs: s.options.batchIntervalMs,
    segmentBytes: s.options.walSegmentBytes,
  };
  const names = new WalDictionaryReader();
  declareUpTo(s, s.checkpointLsn + 1);
  const { wal, replay } = await Wal.open(
    path.join(s.dir, WAL_DIR),
    walOptions,
    s.checkpointLsn,
    (lsn, payload) => replayRecord(s, decodeRecord(payload, names), lsn),
  );
  s.wal = wal;
  s.replayStats = replay;
  if (s.active.bytes >= s.flushThreshold()) startFlush(s);
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
