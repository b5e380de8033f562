import { promises as fsp } from 'node:fs';
import { CorruptionError } from '../errors';
import type { ChunkMeta, DecodedChunk, SegmentReader, SeriesEntry } from '../segment/reader';

/**
 * A segment file in use. Queries hold references; compaction and retention mark a handle obsolete
 * and the file is closed and deleted only when the last reader lets go.
 */
export class SegmentHandle {
  private refs = 0;
  private obsolete = false;

  constructor(readonly reader: SegmentReader) {}

  /** The file's series of canonical key `key` (catalog's seriesKey), if it holds one. */
  seriesOf(key: string): SeriesEntry | undefined {
    return this.reader.find(key);
  }

  get meta(): SegmentReader['meta'] {
    return this.reader.meta;
  }

  retain(): void {
    this.refs++;
  }

  async release(): Promise<void> {
    this.refs--;
    if (this.obsolete && this.refs === 0) await this.destroy();
  }

  /** Marks the file for deletion; deletes it now if nobody reads it. */
  async retire(): Promise<void> {
    this.obsolete = true;
    if (this.refs === 0) await this.destroy();
  }

  private async destroy(): Promise<void> {
    await this.reader.close();
    // a file with a damaged chunk is kept for `helios verify` and a human, never deleted
    if (this.reader.isDamaged) await fsp.rename(this.reader.path, `${this.reader.path}.corrupt`);
    else await fsp.rm(this.reader.path, { force: true });
  }
}

/**
 * A partition's identity: its start and end. Two widths can share a start when a table's
 * partition duration changed, and their files must never be merged.
 */
export function partitionKey(meta: { partitionStart: number; partitionEnd: number }): string {
  return `${meta.partitionStart}/${meta.partitionEnd}`;
}

/** The live segments, by table and partition, each partition's list in LSN order. */
export class SegmentSet {
  private readonly tables = new Map<string, Map<string, SegmentHandle[]>>();

  add(handle: SegmentHandle): void {
    const { table } = handle.meta;
    const key = partitionKey(handle.meta);
    let partitions = this.tables.get(table);
    if (!partitions) {
      partitions = new Map();
      this.tables.set(table, partitions);
    }
    const list = partitions.get(key) ?? [];
    list.push(handle);
    list.sort((a, b) => a.meta.minLsn - b.meta.minLsn);
    partitions.set(key, list);
  }

  /** Takes handles out of the set (the caller retires them). */
  remove(handles: readonly SegmentHandle[]): void {
    for (const handle of handles) {
      const key = partitionKey(handle.meta);
      const partitions = this.tables.get(handle.meta.table);
      const list = partitions?.get(key);
      if (!partitions || !list) continue;
      const rest = list.filter((h) => h !== handle);
      if (rest.length > 0) partitions.set(key, rest);
      else partitions.delete(key);
    }
  }

  /** Handles of `table` whose partition overlaps [from, to], retained for the caller. */
  acquire(table: string, from = Number.NEGATIVE_INFINITY, to = Number.POSITIVE_INFINITY): SegmentHandle[] {
    const out: SegmentHandle[] = [];
    for (const list of this.partitionsOf(table).values()) {
      for (const handle of list) {
        if (handle.meta.maxTime < from || handle.meta.minTime > to) continue;
        handle.retain();
        out.push(handle);
      }
    }
    return out.sort((a, b) => a.meta.partitionStart - b.meta.partitionStart || a.meta.minLsn - b.meta.minLsn);
  }

  partitionsOf(table: string): ReadonlyMap<string, readonly SegmentHandle[]> {
    return this.tables.get(table) ?? new Map();
  }

  tableNames(): string[] {
    return [...this.tables.keys()];
  }

  all(): SegmentHandle[] {
    const out: SegmentHandle[] = [];
    for (const partitions of this.tables.values()) for (const list of partitions.values()) out.push(...list);
    return out;
  }
}

export async function releaseAll(handles: readonly SegmentHandle[]): Promise<void> {
  for (const handle of handles) await handle.release();
}

/** A damaged chunk met by a read or a compaction: the file's reader remembers it too. */
export type DamageReport = (
  handle: SegmentHandle,
  chunk: ChunkMeta,
  tags: Readonly<Record<string, string>>,
  err: CorruptionError,
) => void;

/**
 * Reads a chunk of `handle`; null when it is damaged (reported once through `onDamage`), so one
 * bad chunk costs its own rows and not the answer.
 */
export async function readChunkOrSkip(
  handle: SegmentHandle,
  chunk: ChunkMeta,
  tags: Readonly<Record<string, string>>,
  fields: readonly string[] | undefined,
  onDamage: DamageReport | undefined,
): Promise<DecodedChunk | null> {
  try {
    return await handle.reader.readChunk(chunk, fields);
  } catch (err) {
    if (!(err instanceof CorruptionError)) throw err;
    onDamage?.(handle, chunk, tags, err);
    return null;
  }
}
