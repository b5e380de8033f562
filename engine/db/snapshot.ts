/**
 * A read-only snapshot of a database directory that another engine (Node-RED) may hold open: the
 * `helios` CLI and `verify` read it without taking the lock and without writing a byte there.
 *
 * How: the snapshot is a private copy in a temporary directory. Segment files are immutable, so
 * they are hard-linked (copied when the temporary directory is on another file system); the WAL,
 * which the owner keeps appending to, and the small files are copied. A flush that moves the
 * checkpoint while the copy is taken makes it retry, so the copy is one consistent state: segments
 * up to a checkpoint and the WAL after it. Opening the copy is an ordinary open of a directory no
 * one else has, so everything the engine does on open (replay, cutting a torn WAL tail, renaming a
 * corrupt segment) happens to the copy only. docs/cli.md, "Reading a database Node-RED holds".
 */
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HeliosError } from '../errors';
import type { EngineOptions } from '../options';
import { TABLES_FILE, VIEWS_FILE } from '../storage/declarations';
import {
  CHECKPOINT_FILE,
  CURSORS_FILE,
  DATA_DIR,
  DOWNSAMPLE_FILE,
  LOCK_FILE,
  WAL_DIR,
} from '../storage/layout';
import { TOMBSTONES_FILE } from '../storage/tombstones';
import { Database } from './database';

/** The small files copied whole. */
const SMALL_FILES = [CURSORS_FILE, DOWNSAMPLE_FILE, TOMBSTONES_FILE, TABLES_FILE, VIEWS_FILE];
/** A copy that a flush or compaction overtook is taken again, this many times at most. */
const ATTEMPTS = 8;

export interface SnapshotOptions {
  /** where the private copy goes; default $HELIOS_SNAPSHOT_DIR, else the OS temp directory */
  tmpDir?: string;
}

/** A consistent private copy of a database directory; `remove()` deletes it. */
export interface SnapshotCopy {
  /** the copy's directory */
  readonly root: string;
  /** the directory it was copied from (resolved) */
  readonly source: string;
  /** segment files linked (no bytes copied) and files copied, with their bytes */
  readonly linked: number;
  readonly copied: number;
  readonly copiedBytes: number;
  /** the copy was taken again because the owner flushed or compacted meanwhile */
  readonly retries: number;
  /** who held the lock while the copy was taken ("process 12 on gw1 (since ...)"), or null */
  readonly heldBy: string | null;
  remove(): Promise<void>;
}

/** An open snapshot: a Database over the copy. `close()` closes it and removes the copy. */
export interface Snapshot {
  readonly db: Database;
  readonly copy: SnapshotCopy;
  close(): Promise<void>;
}

/** Thrown when `dir` holds no database: the snapshot never creates one. */
export class NotADatabaseError extends HeliosError {
  constructor(dir: string, why: string) {
    super(
      'HELIOS_NOT_A_DATABASE',
      `${dir} is not a Helios database directory (${why}). Give the directory a helios-db node writes to ` +
        '(the Data directory of its dialog, or <userDir>/helios/<node id>).',
    );
    this.name = 'NotADatabaseError';
  }
}

/** Takes a consistent copy of `dir` (see the top of this file). Writes nothing in `dir`. */
export async function copySnapshot(dir: string, options: SnapshotOptions = {}): Promise<SnapshotCopy> {
  const source = path.resolve(dir);
  await checkIsDatabase(source);
  const base = options.tmpDir ?? process.env.HELIOS_SNAPSHOT_DIR ?? os.tmpdir();
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const root = await fsp.mkdtemp(path.join(base, 'helios-snapshot-'));
    try {
      const taken = await copyOnce(source, root);
      if (taken) return { ...taken, root, source, retries: attempt, remove: () => removeDir(root) };
    } catch (err) {
      await removeDir(root);
      throw err;
    }
    await removeDir(root);
  }
  throw new HeliosError(
    'HELIOS_SNAPSHOT_BUSY',
    `The database in ${source} changed under every one of ${ATTEMPTS} attempts to copy it (flushes or ` +
      'compactions back to back). Try again in a moment.',
  );
}

/** Takes a copy and opens it read-mostly (writes land in the copy and are thrown away). */
export async function openSnapshot(
  dir: string,
  options: SnapshotOptions & { engine?: EngineOptions } = {},
): Promise<Snapshot> {
  const copy = await copySnapshot(dir, options);
  try {
    const db = await Database.open(copy.root, options.engine ?? {});
    return {
      db,
      copy,
      close: async () => {
        try {
          await db.close();
        } finally {
          await copy.remove();
        }
      },
    };
  } catch (err) {
    await copy.remove();
    throw err;
  }
}

async function checkIsDatabase(source: string): Promise<void> {
  let entries: string[];
  try {
    entries = await fsp.readdir(source);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new NotADatabaseError(source, 'it does not exist');
    if (code === 'ENOTDIR') throw new NotADatabaseError(source, 'it is a file');
    throw err;
  }
  if (!entries.includes(DATA_DIR) && !entries.includes(WAL_DIR)) {
    throw new NotADatabaseError(source, `it has neither ${DATA_DIR}/ nor ${WAL_DIR}/`);
  }
}

interface Taken {
  linked: number;
  copied: number;
  copiedBytes: number;
  heldBy: string | null;
}

/**
 * One attempt: the checkpoint, then the segments, the small files, the WAL (last, so whatever
 * removed a segment before it was listed is in the WAL copied after it), then the checkpoint again.
 * null when a file vanished or the checkpoint moved: the owner flushed or compacted meanwhile.
 */
async function copyOnce(source: string, root: string): Promise<Taken | null> {
  const taken: Taken = {
    linked: 0,
    copied: 0,
    copiedBytes: 0,
    heldBy: describeLock(await readOrNull(path.join(source, LOCK_FILE))),
  };
  const checkpoint = await readOrNull(path.join(source, CHECKPOINT_FILE));
  if (!(await copySegments(source, root, taken))) return null;
  for (const name of SMALL_FILES) {
    const text = await readOrNull(path.join(source, name));
    if (text !== null) await writeCopy(path.join(root, name), text, taken);
  }
  if (!(await copyWal(source, root, taken))) return null;
  if ((await readOrNull(path.join(source, CHECKPOINT_FILE))) !== checkpoint) return null;
  if (checkpoint !== null) await writeCopy(path.join(root, CHECKPOINT_FILE), checkpoint, taken);
  return taken;
}

async function copySegments(source: string, root: string, taken: Taken): Promise<boolean> {
  await fsp.mkdir(path.join(root, DATA_DIR), { recursive: true });
  for (const table of await listDir(path.join(source, DATA_DIR))) {
    for (const partition of await listDir(path.join(source, DATA_DIR, table))) {
      const rel = path.join(DATA_DIR, table, partition);
      const names = await listDir(path.join(source, rel));
      if (names.length === 0) continue;
      await fsp.mkdir(path.join(root, rel), { recursive: true });
      for (const name of names) {
        // *.corrupt: quarantined files, kept for verify; *.tmp: unfinished writes, left out
        if (!name.endsWith('.seg') && !name.endsWith('.corrupt')) continue;
        if (!(await linkOrCopy(path.join(source, rel, name), path.join(root, rel, name), taken)))
          return false;
      }
    }
  }
  return true;
}

async function copyWal(source: string, root: string, taken: Taken): Promise<boolean> {
  await fsp.mkdir(path.join(root, WAL_DIR), { recursive: true });
  for (const name of await listDir(path.join(source, WAL_DIR))) {
    if (!name.endsWith('.wal')) continue;
    let bytes: Buffer;
    try {
      bytes = await fsp.readFile(path.join(source, WAL_DIR, name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    // a record being appended right now may be cut short here: replaying the copy drops it
    await writeCopy(path.join(root, WAL_DIR, name), bytes, taken);
  }
  return true;
}

/** Hard link, or a copy across file systems. false if the file is gone (compacted away). */
async function linkOrCopy(from: string, to: string, taken: Taken): Promise<boolean> {
  try {
    await fsp.link(from, to);
    taken.linked++;
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return false;
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP') throw err;
  }
  try {
    await fsp.copyFile(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  taken.copied++;
  taken.copiedBytes += (await fsp.stat(to)).size;
  return true;
}

async function writeCopy(file: string, content: string | Buffer, taken: Taken): Promise<void> {
  await fsp.writeFile(file, content);
  taken.copied++;
  taken.copiedBytes += typeof content === 'string' ? Buffer.byteLength(content) : content.length;
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return (await fsp.readdir(dir)).sort();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw err;
  }
}

async function readOrNull(file: string): Promise<string | null> {
  try {
    return await fsp.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** "process 123 on host (since ...)" from a LOCK file's text; null without one. */
function describeLock(text: string | null): string | null {
  if (text === null) return null;
  try {
    const owner = JSON.parse(text) as { pid?: unknown; hostname?: unknown; since?: unknown };
    return `process ${owner.pid} on ${owner.hostname} (since ${owner.since})`;
  } catch {
    return 'a process that is writing its lock file';
  }
}

function removeDir(dir: string): Promise<void> {
  return fsp.rm(dir, { recursive: true, force: true });
}
