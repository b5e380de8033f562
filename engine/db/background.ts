/**
 * Background work: the flush (frozen heads to segments, then the checkpoint and the WAL cut) and
 * compaction (merging a partition's segments), each one at a time, started by writes, by the
 * timer and by the public flush() / compact(). A failure is reported ('background-error') and
 * retried by the next run; nothing acknowledged is lost, since the WAL keeps every row until a
 * checkpoint covers it.
 */
import { ClosedError } from '../errors';
import type { Head } from '../head/head';
import { CompactionAborted, compactSegments, pickCompaction } from '../storage/compaction';
import { flushHead } from '../storage/flush';
import { partitionKey, releaseAll, SegmentHandle } from '../storage/segment-set';
import type { SeriesRows } from '../types';
import { TimeSlicer } from '../util/fsutil';
import { walRemovableUpTo } from './cursors';
import { retireTombstones } from './deletes';
import type { DbState } from './state';

/** Starts the timer that flushes an old head and compacts cold partitions. */
export function startTimer(s: DbState): void {
  const every = Math.min(10_000, Math.max(50, s.options.maxHeadAgeMs / 4 || 10_000));
  s.timer = setInterval(() => onTimer(s), every);
  s.timer.unref();
}

function onTimer(s: DbState): void {
  const age = s.options.maxHeadAgeMs;
  if (age > 0 && !s.active.isEmpty && Date.now() - s.active.firstWriteAt >= age) startFlush(s);
  else if (!s.flushing) scheduleCompaction(s);
}

/** The most segments any partition has: what compaction has yet to merge. */
export function compactionDebt(s: DbState): number {
  let most = 0;
  for (const table of s.segments.tableNames()) {
    for (const list of s.segments.partitionsOf(table).values()) most = Math.max(most, list.length);
  }
  return most;
}

/** Writes every unflushed row to segments and checkpoints the WAL. See Database.flush. */
export async function flush(s: DbState): Promise<void> {
  s.openWal();
  if (s.flushing) await s.flushing.catch(() => undefined);
  if (s.active.isEmpty && s.frozen.length === 0) return;
  startFlush(s);
  await s.flushing;
}

/** Freezes the active head and starts flushing the frozen ones, unless a flush runs already. */
export function startFlush(s: DbState): void {
  s.freezeActive();
  if (s.flushing) return;
  const started = performance.now();
  s.flushing = flushFrozen(s).finally(() => {
    s.flushing = null;
  });
  s.flushing.then(
    () => {
      s.work.flushes++;
      s.work.flushSeconds += (performance.now() - started) / 1000;
      s.work.flushError = null;
    },
    (err) => {
      s.work.flushError = err instanceof Error ? err.message : String(err);
      backgroundError(s, err);
    },
  );
}

async function flushFrozen(s: DbState): Promise<void> {
  // Not openWal(): the flush that close() makes runs while closing.
  const wal = s.wal;
  if (!wal || s.closed) throw new ClosedError();
  s.checkLock();
  await wal.rotate();
  while (s.frozen.length > 0) {
    const head = s.frozen[0]!;
    const target = {
      dir: s.dir,
      catalog: s.catalog,
      minLsn: s.checkpointLsn + 1,
      maxLsn: head.maxLsn,
      chunkRows: s.options.chunkRows,
      cache: s.chunkCache,
      hide: (table: string, rows: SeriesRows) => s.tombstones.hide(table, rows, head.maxLsn),
    };
    const readers = await flushHead(head, target);
    for (const reader of readers) {
      s.segments.add(new SegmentHandle(reader));
      s.partitionTouchedAt.set(`${reader.meta.table}|${partitionKey(reader.meta)}`, Date.now());
    }
    await learnFlushedTimes(s, head);
    await s.checkpointSaves.save(
      JSON.stringify({ lsn: head.maxLsn, rowids: Object.fromEntries(s.nextRowids) }),
    );
    s.checkpointLsn = head.maxLsn;
    s.frozen.shift();
    head.retire();
    // a sync edge's cursor keeps the log it still has to send (docs/sync.md)
    await wal.removeUpTo(walRemovableUpTo(s));
  }
  await retireTombstones(s);
  scheduleCompaction(s);
}

/** A final flush for close(); if it fails the WAL still holds every row and the next open replays it. */
export async function closingFlush(s: DbState): Promise<void> {
  try {
    startFlush(s);
    await s.flushing;
  } catch (err) {
    s.lastBackgroundError = err instanceof Error ? err.message : String(err);
  }
}

function backgroundError(s: DbState, err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  s.lastBackgroundError = message;
  if (!(err instanceof CompactionAborted) && !(err instanceof ClosedError))
    s.events.emit('background-error', err);
}

/** Starts the background compaction, or asks the one running to go again when it ends. */
function scheduleCompaction(s: DbState): void {
  if (s.closing) return;
  if (s.compacting) {
    s.compactAgain = true;
    return;
  }
  s.compacting = compactAll(s, false).finally(() => {
    s.compacting = null;
    if (s.compactAgain) {
      s.compactAgain = false;
      scheduleCompaction(s);
    }
  });
  s.compacting.catch((err) => backgroundError(s, err));
}

/** Runs compaction now, after any running one. See Database.compact. */
export async function compact(s: DbState, force: boolean): Promise<void> {
  while (s.compacting) await s.compacting.catch(() => undefined);
  s.compacting = compactAll(s, force).finally(() => {
    s.compacting = null;
  });
  await s.compacting;
}

async function compactAll(s: DbState, force: boolean): Promise<void> {
  for (const table of s.segments.tableNames()) {
    for (const [key, list] of [...s.segments.partitionsOf(table)]) {
      if (s.closing) return;
      const touched = s.partitionTouchedAt.get(`${table}|${key}`) ?? s.openedAt;
      const inputs = pickCompaction(list, {
        trigger: s.options.compactionTrigger,
        chunkRows: s.options.chunkRows,
        checkpointLsn: s.checkpointLsn,
        cold: s.options.compactionTrigger > 0 && Date.now() - touched >= s.options.coldPartitionMs,
        force,
      });
      if (inputs) await compactPartition(s, inputs, inputs[0] === list[0]);
    }
  }
}

async function compactPartition(
  s: DbState,
  inputs: readonly SegmentHandle[],
  oldest: boolean,
): Promise<void> {
  for (const handle of inputs) handle.retain();
  const started = performance.now();
  try {
    const reader = await compactSegments(
      s.dir,
      inputs,
      s.options.chunkRows,
      () => s.closing,
      (handle, rows) => s.tombstones.hide(handle.meta.table, rows, handle.meta.maxLsn),
      oldest,
      s.chunkCache,
      (handle, chunk, tags, err) => s.reportDamage(handle, chunk, tags, err),
    );
    s.segments.remove(inputs);
    s.segments.add(new SegmentHandle(reader));
    for (const handle of inputs) await handle.retire();
    s.work.compactions++;
    s.work.compactionSeconds += (performance.now() - started) / 1000;
  } finally {
    await releaseAll(inputs);
  }
  await retireTombstones(s);
}

/**
 * The segments just flushed hold the head's series up to each one's newest time (deleted rows
 * aside, which only makes the figure err on the side of a search): learnt from the head, not by
 * parsing the new footers again.
 */
async function learnFlushedTimes(s: DbState, head: Head): Promise<void> {
  const slicer = new TimeSlicer();
  for (const [table, series] of head.tables) {
    for (const [key, buffer] of series) {
      if (buffer.count > 0) s.learnSegmentTime(table, key, buffer.maxTime);
      await slicer.maybeYield();
    }
  }
}
