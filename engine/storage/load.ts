/**
 * Opening the segment files of a database directory, and cleaning up what a crash left behind:
 * - `*.tmp` files: a segment or checkpoint write that never finished;
 * - segments with an LSN range past the checkpoint: an unfinished flush (the WAL still holds it);
 * - segments whose LSN range lies inside another's in the same partition: the inputs of a
 *   compaction whose output is already durable.
 * A segment that fails its checks is renamed `*.corrupt` and left out, so the database opens.
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

async function openSegment(
  file: string,
  quarantined: string[],
  cache?: ChunkCache,
): Promise<SegmentReader | null> {
  try {
    return await SegmentReader.open(file, cache);
  } catch (err) {
    if (!(err instanceof CorruptionError)) throw err;
    await fsp.rename(file, `${file}.corrupt`);
    quarantined.push(`${file}: ${err.message}`);
    return null;
  }
}

/** Readers of one partition directory, with leftovers removed. */
async function loadPartition(
  dir: string,
  checkpointLsn: number,
  quarantined: string[],
  cache?: ChunkCache,
): Promise<SegmentReader[]> {
  const readers: SegmentReader[] = [];
  for (const name of (await fsp.readdir(dir)).sort()) {
    const file = path.join(dir, name);
    if (name.endsWith('.tmp')) await fsp.rm(file, { force: true });
    if (!name.endsWith('.seg')) continue;
    const reader = await openSegment(file, quarantined, cache);
    if (!reader) continue;
    if (reader.meta.maxLsn > checkpointLsn) {
      await reader.close();
      await fsp.rm(file, { force: true });
      continue;
    }
    readers.push(reader);
  }
  return dropContained(readers);
}

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
}

/** Opens every segment under `<dir>/data`, cleaning up crash leftovers. */
export async function loadSegments(
  dir: string,
  checkpointLsn: number,
  cache?: ChunkCache,
): Promise<LoadedSegments> {
  const set = new SegmentSet();
  const quarantined: string[] = [];
  for (const tableDir of await listDirs(path.join(dir, DATA_DIR))) {
    for (const partitionDir of await listDirs(tableDir)) {
      for (const reader of await loadPartition(partitionDir, checkpointLsn, quarantined, cache))
        set.add(new SegmentHandle(reader));
    }
  }
  return { set, quarantined };
}
