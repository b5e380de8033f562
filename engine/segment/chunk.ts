/**
 * One chunk's bytes: encoding a run of a series' rows into columns (with their statistics), and
 * decoding them back. A chunk is the time column, then per field that has values a presence bitmap
 * (only when some rows lack the value) and the encoded present values, then a CRC-32C.
 */
import * as codec from '../codec/index';
import { CorruptionError } from '../errors';
import type { ColumnType, FieldColumn, FieldStats, SeriesRows } from '../types';
import type { ByteWriter } from '../util/bytes';
import { crc32c } from '../util/crc32c';
import { bitmapSize, type ColumnLayout, type FooterChunk, type FooterColumn, isNumericType } from './format';

/** A field of a series as the chunk encoder sees it. */
export interface SeriesField {
  /** index into the segment's field definitions */
  readonly index: number;
  readonly type: ColumnType;
  readonly column: FieldColumn;
}

/**
 * Appends the chunk of `series` rows [start, start + rows) to `out`, CRC included, and returns what
 * the footer needs to know about it.
 */
export function encodeChunk(
  out: ByteWriter,
  series: SeriesRows,
  fields: readonly SeriesField[],
  start: number,
  rows: number,
): FooterChunk {
  const chunkStart = out.length;
  const end = start + rows;
  const timeBytes = codec.encodeTimestamps(series.times.subarray(start, end), rows);
  out.bytes(timeBytes);
  const columns: FooterColumn[] = [];
  for (const field of fields) columns.push(encodeColumn(out, field, start, rows));
  out.u32(crc32c(out.peek(), chunkStart, out.length));
  return {
    rows,
    minTime: series.times[start]!,
    maxTime: series.times[end - 1]!,
    timeLength: timeBytes.length,
    columns,
  };
}

function encodeColumn(out: ByteWriter, field: SeriesField, start: number, rows: number): FooterColumn {
  const { column } = field;
  const count = countPresent(column.present, start, rows);
  const stats = columnStats(field.type, column, start, rows, count);
  if (count === 0) return { count, valuesLength: 0, stats };
  if (count < rows) out.bytes(presenceBitmap(column.present!, start, rows));
  const encoded = encodeValues(field.type, column, start, rows, count);
  out.bytes(encoded);
  return { count, valuesLength: encoded.length, stats };
}

function countPresent(present: Uint8Array | null, start: number, rows: number): number {
  if (present === null) return rows;
  let count = 0;
  for (let i = start; i < start + rows; i++) if (present[i] !== 0) count++;
  return count;
}

/** Count and nulls for every field; min, max and sum of numeric ones unless a value is NaN. */
export function columnStats(
  type: ColumnType,
  column: FieldColumn,
  start: number,
  rows: number,
  count: number,
): FieldStats {
  const nulls = rows - count;
  if (!isNumericType(type) || count === 0) return { count, nulls };
  const values = column.values as Float64Array;
  const present = column.present;
  let min = Number.NaN;
  let max = Number.NaN;
  let sum = 0;
  let seen = false;
  for (let i = start; i < start + rows; i++) {
    if (present !== null && present[i] === 0) continue;
    const v = values[i]!;
    // A NaN makes SQL's sum, avg, min and max NaN: stats without it would answer wrongly, so a
    // chunk holding one gives no min/max/sum and queries decode it.
    if (Number.isNaN(v)) return { count, nulls };
    // Math.min/max rather than < and >: -0 counts as below 0, whatever the row order
    if (!seen) {
      min = max = v;
      seen = true;
    } else {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    sum += v;
  }
  if (!seen) return { count, nulls };
  // ints have no -0 (their codec stores 0), so neither do their stats
  return type === 'int' ? { count, nulls, min: min + 0, max: max + 0, sum } : { count, nulls, min, max, sum };
}

function presenceBitmap(present: Uint8Array, start: number, rows: number): Uint8Array {
  const bitmap = new Uint8Array(bitmapSize(rows));
  for (let i = 0; i < rows; i++) {
    if (present[start + i] !== 0) bitmap[i >>> 3]! |= 1 << (i & 7);
  }
  return bitmap;
}

/** Encodes only the present values of rows [start, start + rows). */
function encodeValues(
  type: ColumnType,
  column: FieldColumn,
  start: number,
  rows: number,
  count: number,
): Uint8Array {
  const present = count < rows ? column.present : null;
  switch (type) {
    case 'float':
      return codec.encodeFloats(
        presentNumbers(column.values as Float64Array, present, start, rows, count),
        count,
      );
    case 'int':
      return codec.encodeIntegers(
        presentNumbers(column.values as Float64Array, present, start, rows, count),
        count,
      );
    case 'bool':
      return codec.encodeBooleans(
        presentBytes(column.values as Uint8Array, present, start, rows, count),
        count,
      );
    case 'string':
      return codec.encodeStrings(presentStrings(column.values as string[], present, start, rows), count);
  }
}

function presentNumbers(
  values: Float64Array,
  present: Uint8Array | null,
  start: number,
  rows: number,
  count: number,
): Float64Array {
  if (present === null) return values.subarray(start, start + rows);
  const out = new Float64Array(count);
  let j = 0;
  for (let i = start; i < start + rows; i++) if (present[i] !== 0) out[j++] = values[i]!;
  return out;
}

function presentBytes(
  values: Uint8Array,
  present: Uint8Array | null,
  start: number,
  rows: number,
  count: number,
): Uint8Array {
  if (present === null) return values.subarray(start, start + rows);
  const out = new Uint8Array(count);
  let j = 0;
  for (let i = start; i < start + rows; i++) if (present[i] !== 0) out[j++] = values[i]!;
  return out;
}

function presentStrings(values: string[], present: Uint8Array | null, start: number, rows: number): string[] {
  if (present === null) return values.slice(start, start + rows);
  const out: string[] = [];
  for (let i = start; i < start + rows; i++) if (present[i] !== 0) out.push(values[i]!);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Decoding

/** Where a chunk's bytes came from, for errors that point. */
export interface ChunkSource {
  readonly file: string;
  readonly offset: number;
}

/** Decodes the time column of a chunk whose bytes (CRC already checked) are `bytes`. */
export function decodeTimes(
  source: ChunkSource,
  bytes: Uint8Array,
  rows: number,
  timeLength: number,
): Float64Array {
  const times = new Float64Array(rows);
  guardDecode(source, 0, 'time column', () =>
    codec.decodeTimestamps(bytes.subarray(0, timeLength), rows, times),
  );
  return times;
}

/** Decodes one field's column, spreading the stored present values back over all `rows` rows. */
export function decodeColumn(
  source: ChunkSource,
  bytes: Uint8Array,
  rows: number,
  layout: ColumnLayout,
  type: ColumnType,
  name: string,
): FieldColumn {
  const encoded = bytes.subarray(layout.valuesOffset, layout.valuesOffset + layout.valuesLength);
  const dense = guardDecode(source, layout.valuesOffset, `column "${name}"`, () =>
    decodeValues(type, encoded, layout.count),
  );
  if (layout.bitmapOffset < 0) return { type, values: dense, present: null };
  const present = unpackBitmap(bytes, layout.bitmapOffset, rows);
  if (countPresent(present, 0, rows) !== layout.count) {
    throw new CorruptionError(
      source.file,
      source.offset + layout.bitmapOffset,
      `Presence bitmap of column "${name}" does not match its value count`,
    );
  }
  return { type, values: spread(dense, present, rows), present };
}

function decodeValues(
  type: ColumnType,
  encoded: Uint8Array,
  count: number,
): Float64Array | Uint8Array | string[] {
  switch (type) {
    case 'float': {
      const out = new Float64Array(count);
      codec.decodeFloats(encoded, count, out);
      return out;
    }
    case 'int': {
      const out = new Float64Array(count);
      codec.decodeIntegers(encoded, count, out);
      return out;
    }
    case 'bool': {
      const out = new Uint8Array(count);
      codec.decodeBooleans(encoded, count, out);
      return out;
    }
    case 'string':
      return codec.decodeStrings(encoded, count);
  }
}

function unpackBitmap(bytes: Uint8Array, offset: number, rows: number): Uint8Array {
  const present = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) present[i] = (bytes[offset + (i >>> 3)]! >>> (i & 7)) & 1;
  return present;
}

/** Places dense values at the present rows; absent rows hold 0, or '' for strings. */
function spread(
  dense: Float64Array | Uint8Array | string[],
  present: Uint8Array,
  rows: number,
): Float64Array | Uint8Array | string[] {
  if (Array.isArray(dense)) {
    const out: string[] = new Array<string>(rows);
    let j = 0;
    for (let i = 0; i < rows; i++) out[i] = present[i] ? dense[j++]! : '';
    return out;
  }
  const out = dense instanceof Float64Array ? new Float64Array(rows) : new Uint8Array(rows);
  let j = 0;
  for (let i = 0; i < rows; i++) if (present[i]) out[i] = dense[j++]!;
  return out;
}

/**
 * Runs a codec's decode; a codec that throws on bytes that passed the CRC still means corruption.
 * Codec CorruptionErrors carry an offset inside the column block; this makes it a file offset.
 */
function guardDecode<T>(source: ChunkSource, relOffset: number, what: string, decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    const inner = err instanceof CorruptionError ? err.offset : 0;
    const reason = err instanceof Error ? err.message : String(err);
    throw new CorruptionError(
      source.file,
      source.offset + relOffset + inner,
      `Cannot decode ${what} (${reason})`,
    );
  }
}
