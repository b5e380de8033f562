/**
 * Reads segment files: opens one by its header, trailer and footer only, then fetches and decodes
 * single chunks on demand with positional reads on a kept-open file handle.
 */
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { seriesKey } from '../catalog/catalog';
import { CorruptionError } from '../errors';
import type { FieldColumn, FieldStats } from '../types';
import { ByteReader } from '../util/bytes';
import { crc32c } from '../util/crc32c';
import { TimeSlicer } from '../util/fsutil';
import { type ChunkSource, decodeColumn, decodeTimes } from './chunk';
import { type ChunkCache, CountedCache, type EntryCache } from './chunk-cache';
import {
  bitmapSize,
  CHUNK_CRC_SIZE,
  type ColumnLayout,
  chunkLength,
  type FooterChunk,
  type FooterHead,
  type FooterSeries,
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

/**
 * The footer's series table, kept compact: its bytes, and per series a few numbers in typed
 * arrays. A series' entry (tags, chunk index, statistics) is parsed when asked for and kept in a
 * small shared cache, so a segment costs about its footer bytes plus 40 bytes a series in memory,
 * not the ~2 KB a series of objects and maps would (issue #19, M3).
 */
interface SeriesTable {
  /** the footer bytes */
  readonly footer: Uint8Array;
  /** footer-relative offset of series i's entry */
  readonly entryAt: Float64Array;
  /** file offset of series i's first chunk */
  readonly dataAt: Float64Array;
  readonly minTimes: Float64Array;
  readonly maxTimes: Float64Array;
  /** hash of each series' key, ascending, and the series each belongs to */
  readonly hashes: Uint32Array;
  readonly byHash: Uint32Array;
}

/** Series entries parsed without a shared cache (verify, tests) are kept this many at a time. */
const PRIVATE_ENTRIES = 64;

export class SegmentReader {
  readonly path: string;
  /** unique per opened reader: cache keys of a closed file never match a later file of that name */
  private readonly id = nextReaderId++;
  private cache: ChunkCache | null = null;
  private entries: EntryCache<SeriesEntry>;
  private readonly version: number;
  readonly meta: SegmentReaderMeta;
  readonly tagKeys: readonly string[];
  readonly fields: readonly SegmentFieldDef[];
  private readonly head: FooterHead;
  private readonly table: SeriesTable;
  private readonly handle: FileHandle;
  /** chunks found damaged (by offset): what was wrong; later reads leave them out */
  private readonly damage = new Map<number, string>();

  private constructor(
    path: string,
    handle: FileHandle,
    meta: SegmentReaderMeta,
    head: FooterHead,
    table: SeriesTable,
    version: number,
  ) {
    this.path = path;
    this.version = version;
    this.handle = handle;
    this.meta = meta;
    this.head = head;
    this.tagKeys = head.tagKeys;
    this.fields = head.fields;
    this.table = table;
    this.entries = new CountedCache<SeriesEntry>(PRIVATE_ENTRIES);
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
      if (cache) {
        reader.cache = cache;
        reader.entries = cache.entries as EntryCache<SeriesEntry>;
      }
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
        ? tail.slice(footerOffset - tailStart, footerOffset - tailStart + footerLength)
        : await readAt(handle, path, footerOffset, footerLength);
    if (crc32c(footer) !== footerCrc) {
      throw new CorruptionError(path, footerOffset, 'Segment footer CRC does not match');
    }
    const r = new ByteReader(footer);
    const head = parseFooterPart(path, footerOffset, r, readFooterHead);
    const { table, totals } = await readSeriesTable(path, footerOffset, footer, r, head, version);
    if (r.remaining !== 0) {
      throw new CorruptionError(
        path,
        footerOffset + r.pos,
        'Segment footer has bytes after its series table',
      );
    }
    if (totals.chunksEnd !== footerOffset) {
      throw new CorruptionError(
        path,
        totals.chunksEnd,
        `Segment chunks end at ${totals.chunksEnd}, not at the footer`,
      );
    }
    const meta: SegmentReaderMeta = {
      ...head.meta,
      version,
      bytes: size,
      rows: totals.rows,
      minTime: totals.minTime,
      maxTime: totals.maxTime,
    };
    return new SegmentReader(path, handle, meta, head, table, version);
  }

  /** Bytes the reader keeps in memory for its series table: the footer and 40 bytes a series. */
  get memoryBytes(): number {
    return this.table.footer.length + 40 * this.seriesCount;
  }

  /** How many series the segment holds. */
  get seriesCount(): number {
    return this.table.entryAt.length;
  }

  /** Series i's time range, without parsing its entry. */
  seriesMinTime(i: number): number {
    return this.table.minTimes[i]!;
  }

  seriesMaxTime(i: number): number {
    return this.table.maxTimes[i]!;
  }

  /** Series i's entry (tags, chunks with their statistics), parsed from the footer bytes or cached. */
  seriesAt(i: number): SeriesEntry {
    const key = this.id * 2 ** 32 + i;
    const hit = this.entries.get(key);
    if (hit) return hit;
    const entry = this.parseEntry(i);
    this.entries.set(key, entry);
    return entry;
  }

  /** The series with canonical key `key` (catalog's seriesKey), if the segment holds it. */
  find(key: string): SeriesEntry | undefined {
    const i = this.indexOf(key);
    return i < 0 ? undefined : this.seriesAt(i);
  }

  /** The position of the series with key `key`, or -1. */
  indexOf(key: string): number {
    const { hashes, byHash } = this.table;
    const hash = hashKey(key);
    let lo = 0;
    let hi = hashes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (hashes[mid]! < hash) lo = mid + 1;
      else hi = mid;
    }
    for (let at = lo; at < hashes.length && hashes[at] === hash; at++) {
      const i = byHash[at]!;
      if (seriesKey(this.seriesAt(i).tags) === key) return i;
    }
    return -1;
  }

  /** Every series' key and entry, in footer order (entries parsed one at a time, not kept). */
  *eachSeries(): Generator<[string, SeriesEntry]> {
    for (let i = 0; i < this.seriesCount; i++) {
      const entry = this.parseEntry(i);
      yield [seriesKey(entry.tags), entry];
    }
  }

  /** Every series' entry, parsed anew each call: for tests and tools; engine paths use seriesAt and find. */
  allSeries(): SeriesEntry[] {
    const out: SeriesEntry[] = [];
    for (let i = 0; i < this.seriesCount; i++) out.push(this.parseEntry(i));
    return out;
  }

  private parseEntry(i: number): SeriesEntry {
    const { footer, entryAt, dataAt } = this.table;
    const r = new ByteReader(footer);
    r.pos = entryAt[i]!;
    // checked whole at open: parsing it again cannot fail
    const parsed = readFooterSeries(r, this.head, this.version);
    return seriesEntry(parsed.tags, chunkMetas(parsed, this.head.fields, dataAt[i]!));
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

/**
 * Parses and checks the footer's series table once, yielding to the event loop on large
 * footers, and keeps what finding a series needs: its entry's offset, its first chunk's offset,
 * its time range and its key's hash.
 */
async function readSeriesTable(
  path: string,
  footerOffset: number,
  footer: Uint8Array,
  r: ByteReader,
  head: FooterHead,
  version: number,
): Promise<{
  table: SeriesTable;
  totals: { rows: number; minTime: number; maxTime: number; chunksEnd: number };
}> {
  const slicer = new TimeSlicer(SLICE_MS);
  const n = head.seriesCount;
  const entryAt = new Float64Array(n);
  const dataAt = new Float64Array(n);
  const minTimes = new Float64Array(n);
  const maxTimes = new Float64Array(n);
  const hashOf = new Uint32Array(n);
  const totals = {
    rows: 0,
    minTime: Number.POSITIVE_INFINITY,
    maxTime: Number.NEGATIVE_INFINITY,
    chunksEnd: HEADER_SIZE,
  };
  for (let i = 0; i < n; i++) {
    entryAt[i] = r.pos;
    dataAt[i] = totals.chunksEnd;
    const parsed = parseFooterPart(path, footerOffset, r, (reader) =>
      readFooterSeries(reader, head, version),
    );
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const chunk of parsed.chunks) {
      totals.chunksEnd += chunkLength(chunk);
      totals.rows += chunk.rows;
      min = Math.min(min, chunk.minTime);
      max = Math.max(max, chunk.maxTime);
    }
    minTimes[i] = min;
    maxTimes[i] = max;
    totals.minTime = Math.min(totals.minTime, min);
    totals.maxTime = Math.max(totals.maxTime, max);
    hashOf[i] = hashKey(seriesKey(parsed.tags));
    await slicer.maybeYield();
  }
  const byHash = new Uint32Array(n);
  for (let i = 0; i < n; i++) byHash[i] = i;
  byHash.sort((a, b) => hashOf[a]! - hashOf[b]! || a - b);
  const hashes = new Uint32Array(n);
  for (let i = 0; i < n; i++) hashes[i] = hashOf[byHash[i]!]!;
  return { table: { footer, entryAt, dataAt, minTimes, maxTimes, hashes, byHash }, totals };
}

/** FNV-1a over the key's UTF-16 code units: a series' place in the hash directory. */
function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A series' chunks as ChunkMetas, the first starting at file offset `offset`. */
function chunkMetas(parsed: FooterSeries, defs: readonly SegmentFieldDef[], offset: number): ChunkMeta[] {
  let at = offset;
  return parsed.chunks.map((chunk) => {
    const meta = chunkMeta(chunk, parsed.fields, defs, at);
    at += meta.length;
    return meta;
  });
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
