/**
 * What a new edge sends of the rows stored before it first opened (docs/sync.md, "Where a new
 * sync starts"). Those rows' log files may be gone, so they are read from the segments instead:
 * the segment files of that moment are hard-linked into `<db>/sync/snapshot-<device>/` (segments
 * are immutable, so a link costs no bytes and compaction or retention cannot take them away), and
 * batches are cut from them by (file, series, chunk) positions. The same positions over the same
 * files give the same rows, so a snapshot batch handed out again is the same batch.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { seriesKey } from '../catalog/catalog';
import { CorruptionError } from '../errors';
import type { WriteBatch } from '../ingest/prepare-batch';
import { type ChunkMeta, SegmentReader } from '../segment/reader';
import {
  hideDeleted,
  type TombstoneJson,
  Tombstones,
  tombstoneFromJson,
  tombstoneToJson,
} from '../storage/tombstones';
import type { ColumnType } from '../types';
import { fsyncDir, mkdirDurable } from '../util/fsutil';
import type { BatchCollector, TableFilter } from './collect';
import type { SyncTarget } from './port';

/** The next chunk to read: file, series in it, chunk of that series. */
export interface SnapshotPosition {
  readonly file: number;
  readonly series: number;
  readonly chunk: number;
}

/** One linked segment file. */
export interface SnapshotFile {
  /** the link's name inside the snapshot directory */
  readonly name: string;
  readonly table: string;
  readonly maxLsn: number;
}

/** A snapshot waiting to be sent, as the edge state keeps it. */
export interface SnapshotState {
  /** every row of the snapshot was written at or before this LSN; the change feed starts after it */
  readonly lsn: number;
  /** the directory of the links, relative to the sync directory */
  readonly dir: string;
  readonly files: readonly SnapshotFile[];
  /** the deletes of time ranges known when it was taken (they hide rows of the files) */
  readonly tombstones: readonly TombstoneJson[];
  /** rows to send, a lower bound (files of tables without range deletes only) */
  readonly rows: number;
  /** batches were cut up to here */
  issued: SnapshotPosition;
  /** batches were acknowledged up to here */
  acked: SnapshotPosition;
  /** rows of every snapshot batch cut so far */
  issuedRows: number;
}

export const SNAPSHOT_START: SnapshotPosition = { file: 0, series: 0, chunk: 0 };

/** True when `a` is at or after `b`. */
export function atOrAfter(a: SnapshotPosition, b: SnapshotPosition): boolean {
  return a.file !== b.file
    ? a.file > b.file
    : a.series !== b.series
      ? a.series > b.series
      : a.chunk >= b.chunk;
}

/** True when every chunk of the snapshot lies before `p`. */
export function snapshotEnd(s: SnapshotState, p: SnapshotPosition): boolean {
  return p.file >= s.files.length;
}

/**
 * Links the segments the database holds now (those of tables `accept` takes) into the snapshot
 * directory `dir` (absolute). Null when there are none: the change feed alone then has everything.
 */
export async function takeSnapshot(
  target: SyncTarget,
  syncDirectory: string,
  dir: string,
  accept: TableFilter,
): Promise<SnapshotState | null> {
  const stored = target.storedData();
  try {
    const chosen = stored.files
      .filter((f) => accept(f.table))
      .sort((a, b) => a.minLsn - b.minLsn || a.maxLsn - b.maxLsn);
    if (chosen.length === 0) return null;
    const abs = path.join(syncDirectory, dir);
    await fsp.rm(abs, { recursive: true, force: true });
    await mkdirDurable(abs);
    const files: SnapshotFile[] = [];
    for (const [i, f] of chosen.entries()) {
      const name = `${String(i).padStart(6, '0')}.seg`;
      await linkOrCopy(f.path, path.join(abs, name));
      files.push({ name, table: f.table, maxLsn: f.maxLsn });
    }
    await fsyncDir(abs);
    const ranged = new Set(stored.tombstones.map((t) => t.table));
    return {
      lsn: stored.lsn,
      dir,
      files,
      tombstones: stored.tombstones.map(tombstoneToJson),
      rows: chosen.reduce((n, f) => n + (ranged.has(f.table) ? 0 : f.rows), 0),
      issued: SNAPSHOT_START,
      acked: SNAPSHOT_START,
      issuedRows: 0,
    };
  } finally {
    await stored.release();
  }
}

/** A hard link; a copy where the file system has none (FAT, exFAT). */
async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await fsp.link(from, to);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV' && code !== 'ENOSYS') throw err;
    await fsp.copyFile(from, to);
  }
}

/** Reads a snapshot's chunks in position order into batch collectors. */
export class SnapshotReader {
  private readonly open = new Map<number, SegmentReader>();
  private readonly tombstones = new Tombstones();
  /** chunks found damaged (left out), as a sentence for status().lastDamage */
  damage: string | null = null;

  constructor(
    private readonly dir: string,
    private readonly state: SnapshotState,
  ) {
    for (const t of state.tombstones) this.tombstones.add(tombstoneFromJson(t));
  }

  /**
   * Adds chunks from `from` on, until `full()` says so or `until` is reached; returns the position
   * after the last chunk added. A chunk whose field types clash with the batch's ends the batch.
   */
  async collect(
    from: SnapshotPosition,
    collector: BatchCollector,
    full: () => boolean,
    until: SnapshotPosition | null,
  ): Promise<SnapshotPosition> {
    let at = from;
    while (!snapshotEnd(this.state, at) && !(until && atOrAfter(at, until)) && !full()) {
      const reader = await this.reader(at.file);
      const entry = at.series < reader.seriesCount ? reader.seriesAt(at.series) : undefined;
      const chunk = entry?.chunks[at.chunk];
      if (!entry || !chunk) {
        at = entry ? { file: at.file, series: at.series + 1, chunk: 0 } : await this.nextFile(at);
        continue;
      }
      const batch = await this.chunkBatch(at.file, reader, entry.tags, chunk);
      if (
        batch &&
        !collector.add({ lsn: 0, entry: { kind: 'write', batch }, bytes: chunk.length }, () => true)
      )
        break;
      at = { file: at.file, series: at.series, chunk: at.chunk + 1 };
    }
    return at;
  }

  async close(): Promise<void> {
    for (const reader of this.open.values()) await reader.close();
    this.open.clear();
  }

  private async reader(file: number): Promise<SegmentReader> {
    let reader = this.open.get(file);
    if (!reader) {
      reader = await SegmentReader.open(path.join(this.dir, this.state.files[file]!.name));
      this.open.set(file, reader);
    }
    return reader;
  }

  private async nextFile(at: SnapshotPosition): Promise<SnapshotPosition> {
    await this.open.get(at.file)?.close();
    this.open.delete(at.file);
    return { file: at.file + 1, series: 0, chunk: 0 };
  }

  /** One chunk as a write batch, without the rows a range delete hides; null when none is left. */
  private async chunkBatch(
    file: number,
    reader: SegmentReader,
    tags: Readonly<Record<string, string>>,
    chunk: ChunkMeta,
  ): Promise<WriteBatch | null> {
    const { table, maxLsn } = this.state.files[file]!;
    let decoded: Awaited<ReturnType<SegmentReader['readChunk']>>;
    try {
      decoded = await reader.readChunk(chunk);
    } catch (err) {
      if (!(err instanceof CorruptionError)) throw err;
      this.damage = `${err.message}; its ${chunk.rows} rows were not sent`;
      return null;
    }
    const hiding = this.tombstones.applying(table, tags, maxLsn, chunk.minTime, chunk.maxTime);
    const rows = hideDeleted(
      { tags, count: decoded.count, times: decoded.times, fields: decoded.fields },
      hiding,
    );
    if (rows.count === 0) return null;
    const fieldTypes = new Map<string, ColumnType>();
    for (const [name, column] of rows.fields) fieldTypes.set(name, column.type);
    const key = seriesKey(tags);
    return {
      table,
      tagKeys: Object.keys(tags),
      fieldTypes,
      series: [{ key, tags, count: rows.count, times: rows.times, fields: new Map(rows.fields) }],
      rows: rows.count,
      maxRowid: null,
    };
  }
}
