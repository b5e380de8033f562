/**
 * Reads segment files: opens one by its header, trailer and footer only, then fetches and decodes
 * single chunks on demand with positional reads on a kept-open file handle.
 */
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { CorruptionError } from '../errors';
import type { FieldColumn, FieldStats } from '../types';
import { ByteReader } from '../util/bytes';
import { crc32c } from '../util/crc32c';
import { TimeSlicer } from '../util/fsutil';
import { type ChunkSource, decodeColumn, decodeTimes } from './chunk';
import type { ChunkCache } from './chunk-cache';
import {
  bitmapSize,
  CHUNK_CRC_SIZE,
  type ColumnLayout,
  chunkLength,
  type FooterChunk,
  type FooterHead,
  HEADER_SIZE,
  parseFooterPart,
  readFooterHead,
  readFooterSeries,
  readHeader,
  readTrailer,
  type SegmentFieldDef,
  type SegmentMeta,
  TRAILER_SIZE,
} from './format';

/** One chunk of a series: its statistics, and where its bytes are. */
export interface ChunkMeta {
  readonly rows: number;
  readonly minTime: number;
  readonly maxTime: number;
  /** per field that has at least one row in this chunk (present or null) */
  readonly stats: ReadonlyMap<string, FieldStats>;
  /** byte offset of the chunk in the file (internal) */
  readonly offset: number;
  /** bytes of the chunk, trailing CRC included (internal) */
  readonly length: number;
  /** bytes of the time column, which starts the chunk (internal) */
  readonly timeLength: number;
  /** the stored field columns, in field definition order (internal) */
  readonly columns: readonly ColumnLayout[];
}

export interface SeriesEntry {
  /** only the tag keys this series has */
  readonly tags: Readonly<Record<string, string>>;
  readonly rows: number;
  readonly minTime: number;
  readonly maxTime: number;
  /** sorted by time, non-overlapping */
  readonly chunks: readonly ChunkMeta[];
}

export interface DecodedChunk {
  readonly count: number;
  readonly times: Float64Array;
  /** requested fields that have data in this chunk; a missing one means all-null */
  readonly fields: Map<string, FieldColumn>;
}

export type SegmentReaderMeta = SegmentMeta & {
  readonly version: number;
  /** file size */
  readonly bytes: number;
  readonly rows: number;
  /** Infinity and -Infinity when the segment holds no rows */
  readonly minTime: number;
  readonly maxTime: number;
};

let nextReaderId = 1;

/** Bytes read from the end of the file at open: the trailer and, usually, the whole footer. */
const TAIL_READ_BYTES = 16 * 1024;
const SLICE_MS = 5;

export class SegmentReader {
  readonly path: string;
  /** unique per opened reader: cache keys of a closed file never match a later file of that name */
  private readonly id = nextReaderId++;
  private cache: ChunkCache | null = null;
  readonly meta: SegmentReaderMeta;
  readonly tagKeys: readonly string[];
  readonly fields: readonly SegmentFieldDef[];
  readonly series: readonly SeriesEntry[];
  private readonly handle: FileHandle;
  /** chunks found damaged (by offset): what was wrong; later reads leave them out */
  private readonly damage = new Map<number, string>();

  private constructor(
    path: string,
    handle: FileHandle,
    meta: SegmentReaderMeta,
    head: FooterHead,
    series: readonly SeriesEntry[],
  ) {
    this.path = path;
    this.handle = handle;
    this.meta = meta;
    this.tagKeys = head.tagKeys;
    this.fields = head.fields;
    this.series = series;
  }

  /**
   * Reads and checks the header, trailer and footer (magic, version, CRC): two or three small
   * reads, never the whole file. Throws CorruptionError(file, offset, what) for a bad file. The
   * reader keeps the file open until `close()`.
   */
  /** `cache`: where read chunks are kept for the next reader of them (shared by a database). */
  static async open(path: string, cache?: ChunkCache): Promise<SegmentReader> {
    const handle = await fsp.open(path, 'r');
    try {
      const reader = await SegmentReader.load(path, handle);
      if (cache) reader.cache = cache;
      return reader;
    } catch (err) {
      await handle.close().catch(() => {});
      throw err;
    }
  }

  private static async load(path: string, handle: FileHandle): Promise<SegmentReader> {
    const size = (await handle.stat()).size;
    if (size < HEADER_SIZE + TRAILER_SIZE) {
      throw new CorruptionError(
        path,
        size,
        `Segment file is ${size} bytes, too short for a header and trailer`,
      );
    }
    const version = readHeader(path, await readAt(handle, path, 0, HEADER_SIZE));
    const tailStart = Math.max(HEADER_SIZE, size - TAIL_READ_BYTES);
    const tail = await readAt(handle, path, tailStart, size - tailStart);
    const { footerOffset, footerLength, footerCrc } = readTrailer(
      path,
      tail.subarray(tail.length - TRAILER_SIZE),
      size,
    );
    const footer =
      footerOffset >= tailStart
        ? tail.subarray(footerOffset - tailStart, footerOffset - tailStart + footerLength)
        : await readAt(handle, path, footerOffset, footerLength);
    if (crc32c(footer) !== footerCrc) {
      throw new CorruptionError(path, footerOffset, 'Segment footer CRC does not match');
    }
    const r = new ByteReader(footer);
    const head = parseFooterPart(path, footerOffset, r, readFooterHead);
    const series = await readSeriesTable(path, footerOffset, r, head, version);
    if (r.remaining !== 0) {
      throw new CorruptionError(
        path,
        footerOffset + r.pos,
        'Segment footer has bytes after its series table',
      );
    }
    const last = series.at(-1)?.chunks.at(-1);
    const chunksEnd = last ? last.offset + last.length : HEADER_SIZE;
    if (chunksEnd !== footerOffset) {
      throw new CorruptionError(path, chunksEnd, `Segment chunks end at ${chunksEnd}, not at the footer`);
    }
    const meta: SegmentReaderMeta = { ...head.meta, version, bytes: size, ...totals(series) };
    return new SegmentReader(path, handle, meta, head, series);
  }

  /**
   * One read of the chunk's bytes, CRC check, then decodes the time column and the requested
   * fields (undefined = all fields; names the segment does not have are ignored). CorruptionError
   * on a bad CRC or undecodable column.
   */
  /** A chunk's bytes, CRC checked: from the cache, or read from the file (and cached). */
  private async chunkBytes(chunk: ChunkMeta): Promise<Uint8Array> {
    const key = `${this.id}:${chunk.offset}`;
    const cached = this.cache?.get(key);
    if (cached) return cached;
    const bytes = await readAt(this.handle, this.path, chunk.offset, chunk.length);
    const body = chunk.length - CHUNK_CRC_SIZE;
    const stored = new DataView(bytes.buffer, bytes.byteOffset + body, CHUNK_CRC_SIZE).getUint32(0, true);
    const computed = crc32c(bytes, 0, body);
    if (stored !== computed) {
      throw new CorruptionError(
        this.path,
        chunk.offset,
        `Chunk CRC does not match (stored ${hex(stored)}, computed ${hex(computed)}; chunk of ${chunk.length} bytes)`,
      );
    }
    this.cache?.set(key, bytes);
    return bytes;
  }

  /** The reason chunk `chunk` was found damaged, or undefined while it reads well. */
  damageOf(chunk: ChunkMeta): string | undefined {
    return this.damage.get(chunk.offset);
  }

  /** True once a chunk of this file was found damaged. */
  get isDamaged(): boolean {
    return this.damage.size > 0;
  }

  /** Reads and decodes a chunk; a CorruptionError is also remembered (damageOf). */
  async readChunk(chunk: ChunkMeta, fields?: readonly string[]): Promise<DecodedChunk> {
    try {
      return await this.decodeChunk(chunk, fields);
    } catch (err) {
      if (err instanceof CorruptionError) this.damage.set(chunk.offset, err.message);
      throw err;
    }
  }

  private async decodeChunk(chunk: ChunkMeta, fields?: readonly string[]): Promise<DecodedChunk> {
    const bytes = await this.chunkBytes(chunk);
    const source: ChunkSource = { file: this.path, offset: chunk.offset };
    const times = decodeTimes(source, bytes, chunk.rows, chunk.timeLength);
    const wanted = fields === undefined ? null : new Set(fields);
    const decoded = new Map<string, FieldColumn>();
    for (const layout of chunk.columns) {
      const def = this.fields[layout.field]!;
      if (wanted !== null && !wanted.has(def.name)) continue;
      decoded.set(def.name, decodeColumn(source, bytes, chunk.rows, layout, def.type, def.name));
    }
    return { count: chunk.rows, times, fields: decoded };
  }

  /** Closes the file. The reader takes no more `readChunk` calls. */
  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** Parses the footer's series table, yielding to the event loop on large footers. */
async function readSeriesTable(
  path: string,
  footerOffset: number,
  r: ByteReader,
  head: FooterHead,
  version: number,
): Promise<SeriesEntry[]> {
  const slicer = new TimeSlicer(SLICE_MS);
  const series: SeriesEntry[] = [];
  let offset = HEADER_SIZE;
  for (let i = 0; i < head.seriesCount; i++) {
    const parsed = parseFooterPart(path, footerOffset, r, (reader) =>
      readFooterSeries(reader, head, version),
    );
    const chunks = parsed.chunks.map((chunk) => {
      const meta = chunkMeta(chunk, parsed.fields, head.fields, offset);
      offset += meta.length;
      return meta;
    });
    series.push(seriesEntry(parsed.tags, chunks));
    await slicer.maybeYield();
  }
  return series;
}

/** Turns a footer chunk into its ChunkMeta, with absolute offsets and per-column positions. */
function chunkMeta(
  chunk: FooterChunk,
  seriesFields: readonly number[],
  defs: readonly SegmentFieldDef[],
  offset: number,
): ChunkMeta {
  const stats = new Map<string, FieldStats>();
  const columns: ColumnLayout[] = [];
  let position = chunk.timeLength;
  chunk.columns.forEach((column, c) => {
    const field = seriesFields[c]!;
    stats.set(defs[field]!.name, column.stats);
    if (column.count === 0) return;
    let bitmapOffset = -1;
    if (column.count < chunk.rows) {
      bitmapOffset = position;
      position += bitmapSize(chunk.rows);
    }
    columns.push({
      field,
      count: column.count,
      bitmapOffset,
      valuesOffset: position,
      valuesLength: column.valuesLength,
    });
    position += column.valuesLength;
  });
  return {
    rows: chunk.rows,
    minTime: chunk.minTime,
    maxTime: chunk.maxTime,
    stats,
    offset,
    length: chunkLength(chunk),
    timeLength: chunk.timeLength,
    columns,
  };
}

function seriesEntry(tags: Readonly<Record<string, string>>, chunks: readonly ChunkMeta[]): SeriesEntry {
  let rows = 0;
  for (const chunk of chunks) rows += chunk.rows;
  return {
    tags,
    rows,
    minTime: chunks[0]?.minTime ?? Number.POSITIVE_INFINITY,
    maxTime: chunks.at(-1)?.maxTime ?? Number.NEGATIVE_INFINITY,
    chunks,
  };
}

function totals(series: readonly SeriesEntry[]): { rows: number; minTime: number; maxTime: number } {
  let rows = 0;
  let minTime = Number.POSITIVE_INFINITY;
  let maxTime = Number.NEGATIVE_INFINITY;
  for (const s of series) {
    rows += s.rows;
    minTime = Math.min(minTime, s.minTime);
    maxTime = Math.max(maxTime, s.maxTime);
  }
  return { rows, minTime, maxTime };
}

/** Reads exactly `length` bytes at `position`; a short read means the file is shorter than it says. */
async function readAt(
  handle: FileHandle,
  path: string,
  position: number,
  length: number,
): Promise<Uint8Array> {
  const buf = new Uint8Array(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buf, filled, length - filled, position + filled);
    if (bytesRead === 0) {
      throw new CorruptionError(path, position + filled, `Segment file ends inside a ${length}-byte read`);
    }
    filled += bytesRead;
  }
  return buf;
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}
