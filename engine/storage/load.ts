/**
 * Opening the segment files of a database directory, and cleaning up what a crash left behind:
 * - `*.tmp` files: a segment or checkpoint write that never finished;
 * - segments whose LSN range lies inside another's in the same partition: the inputs of a
 *   compaction whose output is already durable (the container is the proof they are redundant).
 * Segments with an LSN range past the checkpoint (an unfinished flush, or a checkpoint that is
 * missing or stale) are handed back as `pending`: the opener removes one only when the WAL it
 * replayed held its whole range, else keeps it. A small file is never the authority to delete.
 * A segment that fails its checks, a second copy of one (the same LSN range and level: what a
 * restore or an rsync can leave) and a `*.seg` that is not a regular file are renamed `*.corrupt`
 * and left out, each named in `quarantined` with the reason, so the database opens.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { CorruptionError } from '../errors';
import type { ChunkCache } from '../segment/chunk-cache';
import { SegmentReader } from '../segment/reader';
import { DATA_DIR } from './layout';
import { SegmentHandle, SegmentSet } from './segment-set';

async function listDirs(dir: string): Promise<string[]> {
  try {
    const entries = await fsp.readdir(dir, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory()).map((e) => path.join(dir, e.name));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Renames `file` to `*.corrupt` and records why; the rest of the database stays readable. */
export async function quarantine(file: string, reason: string, quarantined: string[]): Promise<void> {
  await fsp.rename(file, `${file}.corrupt`);
  quarantined.push(`${file}: ${reason}`);
}

async function openSegment(
  file: string,
  quarantined: string[],
  cache?: ChunkCache,
): Promise<SegmentReader | null> {
  // lstat first: a FIFO or a device named *.seg would hang or mislead the reader
  const stat = await fsp.lstat(file);
  if (!stat.isFile()) {
    await quarantine(file, 'not a regular file (a segment is always one)', quarantined);
    return null;
  }
  try {
    return await SegmentReader.open(file, cache);
  } catch (err) {
    if (!(err instanceof CorruptionError)) throw err;
    await quarantine(file, err.message, quarantined);
    return null;
  }
}

/** Readers of one partition directory, leftovers removed; those past the checkpoint apart. */
async function loadPartition(
  dir: string,
  checkpointLsn: number,
  quarantined: string[],
  pending: SegmentReader[],
  cache?: ChunkCache,
): Promise<SegmentReader[]> {
  const readers: SegmentReader[] = [];
  for (const name of (await fsp.readdir(dir)).sort()) {
    const file = path.join(dir, name);
    if (name.endsWith('.tmp')) await fsp.rm(file, { force: true });
    if (!name.endsWith('.seg')) continue;
    const reader = await openSegment(file, quarantined, cache);
    if (!reader) continue;
    readers.push(reader);
  }
  const live = await dropContained(await setAsideCopies(readers, quarantined));
  const kept: SegmentReader[] = [];
  for (const reader of live) (reader.meta.maxLsn > checkpointLsn ? pending : kept).push(reader);
  return kept;
}

/**
 * Quarantines every second copy of a segment: the same LSN range and level as one before it in
 * name order. Each would count as the other's container, and both would go.
 */
async function setAsideCopies(readers: SegmentReader[], quarantined: string[]): Promise<SegmentReader[]> {
  const out: SegmentReader[] = [];
  for (const r of readers) {
    const original = out.find(
      (o) =>
        o.meta.minLsn === r.meta.minLsn && o.meta.maxLsn === r.meta.maxLsn && o.meta.level === r.meta.level,
    );
    if (!original) {
      out.push(r);
      continue;
    }
    await r.close();
    const reason = `the same LSN range (${r.meta.minLsn}-${r.meta.maxLsn}) as ${path.basename(original.path)}: a second copy, set aside`;
    await quarantine(r.path, reason, quarantined);
  }
  return out;
}

/** Removes the segments whose LSN range lies strictly inside another's of at least their level. */
async function dropContained(readers: SegmentReader[]): Promise<SegmentReader[]> {
  const live: SegmentReader[] = [];
  for (const r of readers) {
    const container = readers.find(
      (o) =>
        o !== r &&
        o.meta.minLsn <= r.meta.minLsn &&
        r.meta.maxLsn <= o.meta.maxLsn &&
        o.meta.level >= r.meta.level,
    );
    if (container) {
      await r.close();
      await fsp.rm(r.path, { force: true });
    } else {
      live.push(r);
    }
  }
  return live;
}

export interface LoadedSegments {
  set: SegmentSet;
  quarantined: string[];
  /** segments past the checkpoint, not in `set`: the opener decides after replaying the WAL */
  pending: SegmentReader[];
}

/** Opens every segment under `<dir>/data`, cleaning up crash leftovers. */
export async function loadSegments(
  dir: string,
  checkpointLsn: number,
  cache?: ChunkCache,
): Promise<LoadedSegments> {
  const set = new SegmentSet();
  const quarantined: string[] = [];
  const pending: SegmentReader[] = [];
  for (const tableDir of await listDirs(path.join(dir, DATA_DIR))) {
    for (const partitionDir of await listDirs(tableDir)) {
      for (const reader of await loadPartition(partitionDir, checkpointLsn, quarantined, pending, cache))
        set.add(new SegmentHandle(reader));
    }
  }
  return { set, quarantined, pending };
}
