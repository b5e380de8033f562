/**
 * Segment file layout v1: constants, the header and trailer, and the footer's encoding and
 * decoding. FORMAT.md beside this file is the byte-level specification; keep the two in step.
 */

import { CorruptionError } from '../errors';
import type { ColumnType, FieldStats } from '../types';
import { ByteReader, ByteReaderError, type ByteWriter } from '../util/bytes';
import { putOwn } from '../util/own';

/** "HSEG" read as a little-endian u32: starts the header and ends the trailer. */
export const SEGMENT_MAGIC = 0x47455348;
/**
 * Version 2: a chunk may start at the time its predecessor ends (rows with rowids share a
 * millisecond). Version 1 files are read as before.
 */
export const SEGMENT_VERSION = 2;
/** magic u32, version u8, 3 bytes of padding */
export const HEADER_SIZE = 8;
/** footer offset (u32 low, u32 high), footer length u32, footer CRC-32C u32, magic u32 */
export const TRAILER_SIZE = 20;
/** Each chunk ends with the CRC-32C of its column bytes. */
export const CHUNK_CRC_SIZE = 4;

const COLUMN_TYPES: readonly ColumnType[] = ['float', 'int', 'bool', 'string'];

/** Bits of the flags byte in front of a numeric field's min/max/sum. */
const STATS_PRESENT = 1;
const MIN_VARINT = 2;
const MAX_VARINT = 4;
const SUM_VARINT = 8;

/** What a segment holds, written at the start of its footer. */
export interface SegmentMeta {
  readonly table: string;
  /** ms, inclusive */
  readonly partitionStart: number;
  /** ms, exclusive */
  readonly partitionEnd: number;
  /** LSN range (inclusive) of the flush or compaction that made the segment */
  readonly minLsn: number;
  readonly maxLsn: number;
  /** 0 from a head flush, n+1 from compacting level-n segments */
  readonly level: number;
}

/** One field of a segment: its name and type, indexed by position in the footer. */
export interface SegmentFieldDef {
  readonly name: string;
  readonly type: ColumnType;
}

/** Where one field's bytes sit inside its chunk (offsets relative to the chunk start). */
export interface ColumnLayout {
  /** index into the segment's field definitions */
  readonly field: number;
  /** rows with a value (a field with none stores nothing and has no layout) */
  readonly count: number;
  /** offset of the presence bitmap, or -1 when every row of the chunk has a value */
  readonly bitmapOffset: number;
  readonly valuesOffset: number;
  readonly valuesLength: number;
}

/** Everything the footer says about one chunk, before offsets are made absolute. */
export interface FooterChunk {
  readonly rows: number;
  readonly minTime: number;
  readonly maxTime: number;
  readonly timeLength: number;
  /** one per field of the series, in the series' field order */
  readonly columns: readonly FooterColumn[];
}

export interface FooterColumn {
  readonly count: number;
  readonly valuesLength: number;
  readonly stats: FieldStats;
}

export interface FooterSeries {
  readonly tags: Readonly<Record<string, string>>;
  /** indexes into the field definitions, ascending */
  readonly fields: readonly number[];
  readonly chunks: readonly FooterChunk[];
}

/** The footer minus the series table, which is written and read one series at a time. */
export interface FooterHead {
  readonly meta: SegmentMeta;
  readonly tagKeys: readonly string[];
  readonly fields: readonly SegmentFieldDef[];
  readonly seriesCount: number;
}

/** Size of a presence bitmap of `rows` rows: one bit per row, least significant bit first. */
export function bitmapSize(rows: number): number {
  return Math.ceil(rows / 8);
}

/** Bytes a chunk takes on disk: its columns and the trailing CRC. */
export function chunkLength(chunk: FooterChunk): number {
  let length = chunk.timeLength + CHUNK_CRC_SIZE;
  for (const column of chunk.columns) {
    if (column.count === 0) continue;
    if (column.count < chunk.rows) length += bitmapSize(chunk.rows);
    length += column.valuesLength;
  }
  return length;
}

export function isNumericType(type: ColumnType): boolean {
  return type === 'float' || type === 'int';
}

// ---------------------------------------------------------------------------------------------
// Writing

export function writeHeader(out: ByteWriter): void {
  out.u32(SEGMENT_MAGIC);
  out.u8(SEGMENT_VERSION);
  out.u8(0);
  out.u8(0);
  out.u8(0);
}

export function writeTrailer(out: ByteWriter, footerOffset: number, footerLength: number, crc: number): void {
  out.u32(footerOffset % 2 ** 32);
  out.u32(Math.floor(footerOffset / 2 ** 32));
  out.u32(footerLength);
  out.u32(crc);
  out.u32(SEGMENT_MAGIC);
}

export function writeFooterHead(out: ByteWriter, head: FooterHead): void {
  const { meta } = head;
  out.string(meta.table);
  out.varint(meta.partitionStart);
  out.varint(meta.partitionEnd);
  out.uvarint(meta.minLsn);
  out.uvarint(meta.maxLsn);
  out.uvarint(meta.level);
  out.uvarint(head.tagKeys.length);
  for (const key of head.tagKeys) out.string(key);
  out.uvarint(head.fields.length);
  for (const field of head.fields) {
    out.string(field.name);
    out.u8(COLUMN_TYPES.indexOf(field.type));
  }
  out.uvarint(head.seriesCount);
}

/** Writes one series entry; `tagIndex` maps a tag key to its index in the footer's tag keys. */
export function writeFooterSeries(
  out: ByteWriter,
  series: FooterSeries,
  tagIndex: ReadonlyMap<string, number>,
  fields: readonly SegmentFieldDef[],
  partitionStart: number,
): void {
  const tagEntries = Object.entries(series.tags);
  out.uvarint(tagEntries.length);
  for (const [key, value] of tagEntries) {
    out.uvarint(tagIndex.get(key)!);
    out.string(value);
  }
  out.uvarint(series.fields.length);
  for (const field of series.fields) out.uvarint(field);
  out.uvarint(series.chunks.length);
  let previousMax = partitionStart;
  series.chunks.forEach((chunk, i) => {
    out.uvarint(chunk.rows);
    // the first chunk's start is relative to the partition (and may lie outside it); later ones
    // start after the previous chunk's end (at it, since version 2)
    if (i === 0) out.varint(chunk.minTime - partitionStart);
    else out.uvarint(chunk.minTime - previousMax);
    out.uvarint(chunk.maxTime - chunk.minTime);
    out.uvarint(chunk.timeLength);
    chunk.columns.forEach((column, c) => {
      writeFooterColumn(out, column, isNumericType(fields[series.fields[c]!]!.type));
    });
    previousMax = chunk.maxTime;
  });
}

function writeFooterColumn(out: ByteWriter, column: FooterColumn, numeric: boolean): void {
  out.uvarint(column.count);
  if (column.count === 0) return;
  out.uvarint(column.valuesLength);
  if (!numeric) return;
  const { min, max, sum } = column.stats;
  if (min === undefined || max === undefined || sum === undefined) {
    out.u8(0);
    return;
  }
  out.u8(
    STATS_PRESENT |
      (fitsVarint(min) ? MIN_VARINT : 0) |
      (fitsVarint(max) ? MAX_VARINT : 0) |
      (fitsVarint(sum) ? SUM_VARINT : 0),
  );
  writeStat(out, min);
  writeStat(out, max);
  writeStat(out, sum);
}

/** Whole numbers in the signed varint range take 1-8 bytes instead of 8; -0 keeps its sign as f64. */
function fitsVarint(v: number): boolean {
  return Number.isInteger(v) && Math.abs(v) <= 2 ** 52 && !Object.is(v, -0);
}

function writeStat(out: ByteWriter, v: number): void {
  if (fitsVarint(v)) out.varint(v);
  else out.f64(v);
}

// ---------------------------------------------------------------------------------------------
// Reading

/** Where the footer is, from the trailer; throws CorruptionError if the trailer is not one. */
export function readTrailer(
  file: string,
  bytes: Uint8Array,
  fileSize: number,
): { footerOffset: number; footerLength: number; footerCrc: number } {
  const trailerOffset = fileSize - TRAILER_SIZE;
  const r = new ByteReader(bytes);
  const low = r.u32();
  const high = r.u32();
  const footerLength = r.u32();
  const footerCrc = r.u32();
  if (r.u32() !== SEGMENT_MAGIC) {
    throw new CorruptionError(file, fileSize - 4, 'Segment trailer magic is missing (file truncated?)');
  }
  const footerOffset = high * 2 ** 32 + low;
  if (footerOffset < HEADER_SIZE || footerOffset + footerLength !== trailerOffset) {
    throw new CorruptionError(
      file,
      trailerOffset,
      `Segment trailer points to a footer at ${footerOffset} of ${footerLength} bytes, which does not end ` +
        `where the trailer starts`,
    );
  }
  return { footerOffset, footerLength, footerCrc };
}

/** Checks the header's magic and version; returns the version. */
export function readHeader(file: string, bytes: Uint8Array): number {
  const r = new ByteReader(bytes);
  if (r.u32() !== SEGMENT_MAGIC) throw new CorruptionError(file, 0, 'Segment header magic is wrong');
  const version = r.u8();
  if (version !== 1 && version !== SEGMENT_VERSION) {
    throw new CorruptionError(
      file,
      4,
      `Segment version ${version} is not supported (this build reads 1 and ${SEGMENT_VERSION})`,
    );
  }
  for (let i = 5; i < HEADER_SIZE; i++) {
    if (r.u8() !== 0) throw new CorruptionError(file, i, 'Segment header padding is not zero');
  }
  return version;
}

/**
 * Runs `parse` over footer bytes, turning a read past the end or a bad value into a
 * CorruptionError at the absolute file offset where it happened.
 */
export function parseFooterPart<T>(
  file: string,
  footerOffset: number,
  r: ByteReader,
  parse: (r: ByteReader) => T,
): T {
  try {
    return parse(r);
  } catch (err) {
    if (err instanceof ByteReaderError) {
      throw new CorruptionError(
        file,
        footerOffset + err.offset,
        `Segment footer is malformed (${err.message})`,
      );
    }
    if (err instanceof FooterValueError) {
      throw new CorruptionError(file, footerOffset + r.pos, `Segment footer is malformed (${err.message})`);
    }
    throw err;
  }
}

/** A footer value out of range; parseFooterPart turns it into a CorruptionError. */
export class FooterValueError extends Error {}

function check(condition: boolean, what: string): void {
  if (!condition) throw new FooterValueError(what);
}

export function readFooterHead(r: ByteReader): FooterHead {
  const table = r.string();
  const partitionStart = r.varint();
  const partitionEnd = r.varint();
  const minLsn = r.uvarint();
  const maxLsn = r.uvarint();
  const level = r.uvarint();
  const tagKeyCount = r.uvarint();
  check(tagKeyCount <= r.remaining, 'tag key count');
  const tagKeys: string[] = [];
  for (let i = 0; i < tagKeyCount; i++) tagKeys.push(r.string());
  const fieldCount = r.uvarint();
  check(fieldCount <= r.remaining, 'field count');
  const fields: SegmentFieldDef[] = [];
  for (let i = 0; i < fieldCount; i++) {
    const name = r.string();
    const type = COLUMN_TYPES[r.u8()];
    check(type !== undefined, `field "${name}" has an unknown type`);
    fields.push({ name, type: type! });
  }
  const seriesCount = r.uvarint();
  check(seriesCount <= r.remaining, 'series count');
  return {
    meta: { table, partitionStart, partitionEnd, minLsn, maxLsn, level },
    tagKeys,
    fields,
    seriesCount,
  };
}

export function readFooterSeries(r: ByteReader, head: FooterHead, version: number): FooterSeries {
  const tags: Record<string, string> = {};
  const tagCount = r.uvarint();
  check(tagCount <= head.tagKeys.length, 'tag count');
  for (let i = 0; i < tagCount; i++) {
    const key = head.tagKeys[r.uvarint()];
    check(key !== undefined, 'tag key index');
    putOwn(tags, key!, r.string());
  }
  const fieldCount = r.uvarint();
  check(fieldCount <= head.fields.length, 'series field count');
  const fields: number[] = [];
  for (let i = 0; i < fieldCount; i++) {
    const field = r.uvarint();
    check(field < head.fields.length && (i === 0 || field > fields[i - 1]!), 'series field index');
    fields.push(field);
  }
  const chunkCount = r.uvarint();
  check(chunkCount <= r.remaining, 'chunk count');
  const chunks: FooterChunk[] = [];
  let previousMax = head.meta.partitionStart;
  for (let i = 0; i < chunkCount; i++) {
    const chunk = readFooterChunk(r, head, fields, i === 0, previousMax, version);
    chunks.push(chunk);
    previousMax = chunk.maxTime;
  }
  return { tags, fields, chunks };
}

function readFooterChunk(
  r: ByteReader,
  head: FooterHead,
  fields: readonly number[],
  first: boolean,
  previousMax: number,
  version: number,
): FooterChunk {
  const rows = r.uvarint();
  check(rows > 0, 'chunk row count');
  const minTime = first ? previousMax + r.varint() : previousMax + r.uvarint();
  check(first || minTime > previousMax || (version >= 2 && minTime === previousMax), 'chunk start time');
  const maxTime = minTime + r.uvarint();
  const timeLength = r.uvarint();
  const columns: FooterColumn[] = [];
  for (const field of fields) {
    columns.push(readFooterColumn(r, rows, isNumericType(head.fields[field]!.type)));
  }
  return { rows, minTime, maxTime, timeLength, columns };
}

function readFooterColumn(r: ByteReader, rows: number, numeric: boolean): FooterColumn {
  const count = r.uvarint();
  check(count <= rows, 'column value count');
  const nulls = rows - count;
  if (count === 0) return { count, valuesLength: 0, stats: { count, nulls } };
  const valuesLength = r.uvarint();
  if (!numeric) return { count, valuesLength, stats: { count, nulls } };
  const flags = r.u8();
  if ((flags & STATS_PRESENT) === 0) return { count, valuesLength, stats: { count, nulls } };
  const min = flags & MIN_VARINT ? r.varint() : r.f64();
  const max = flags & MAX_VARINT ? r.varint() : r.f64();
  const sum = flags & SUM_VARINT ? r.varint() : r.f64();
  return { count, valuesLength, stats: { count, nulls, min, max, sum } };
}
