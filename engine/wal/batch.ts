/**
 * The payload of a WAL record: one validated write batch, its series listed once and each field one
 * column over all the batch's rows, compressed with the same codecs as segment files (see
 * FORMAT.md, "Payload"). Compressing here keeps the bytes written per reading close to the bytes
 * finally stored, which is what SD cards care about; one column per batch rather than per series
 * keeps the codecs' fixed cost off batches of many series with a few readings each (plant data).
 */

import { seriesKey } from '../catalog/catalog';
import {
  decodeBooleans,
  decodeFloats,
  decodeIntegers,
  decodeStrings,
  decodeTimestamps,
  encodeBooleans,
  encodeFloats,
  encodeIntegers,
  encodeStrings,
  encodeTimestamps,
} from '../codec/index';
import type { BatchSeries, WriteBatch } from '../ingest/prepare-batch';
import { maxRowidOf } from '../rows/identity';
import type { DeleteSpec } from '../storage/tombstones';
import type { ColumnType, FieldColumn } from '../types';
import { ByteReader, ByteWriter } from '../util/bytes';
import { putOwn } from '../util/own';

/** Version 2 writes one column per field per batch; version 1 (one per series) is still read. */
const PAYLOAD_VERSION = 2;
const PAYLOAD_V1 = 1;
const TYPE_CODES: readonly ColumnType[] = ['float', 'int', 'bool', 'string'];
const PRESENCE_NONE = 0;
const PRESENCE_ALL = 1;
const PRESENCE_BITMAP = 2;

/** Reused by every encode: a payload is copied into the WAL's frame before the next one. */
const scratch = new ByteWriter(1 << 16);
const RESET_DICTIONARY = 1;
const KIND_WRITE = 0;
const KIND_DELETE = 1;
const KIND_GROUP = 2;
const DELETE_DROPS_TABLE = 1;

/** What one WAL record says: a batch of readings, or a delete. */
export type WalEntry =
  | { readonly kind: 'write'; readonly batch: WriteBatch }
  | { readonly kind: 'delete'; readonly spec: DeleteSpec }
  /** write batches stored together or not at all (a transaction, an UPDATE, a DELETE of chosen rows) */
  | { readonly kind: 'group'; readonly batches: readonly WriteBatch[] };
/** Entries a dictionary holds before it starts over, bounding memory under high cardinality. */
const DICTIONARY_CAPACITY = 200_000;

/**
 * Names (table, field, tag keys and values) and series already spelled out in the log since the
 * last reset: later records refer to them by number, so a series costs a byte or two per record
 * instead of its tags. The engine resets it whenever it freezes the head for a flush, so the
 * records replayed after a checkpoint never refer to a record before it; each payload that starts
 * a new dictionary says so in its flags.
 */
export class WalDictionary {
  private readonly names = new Map<string, number>();
  /** per table, each series' number (one map per table: no key string is built per series) */
  private readonly series = new Map<string, Map<string, number>>();
  private seriesCount = 0;
  private startOver = true;

  /** Forget everything; the next payload starts a new dictionary. */
  reset(): void {
    this.names.clear();
    this.series.clear();
    this.seriesCount = 0;
    this.startOver = true;
  }

  /** Called at the start of each payload: the flags byte to write. */
  begin(): number {
    if (this.names.size + this.seriesCount > DICTIONARY_CAPACITY) this.reset();
    const flags = this.startOver ? RESET_DICTIONARY : 0;
    this.startOver = false;
    return flags;
  }

  writeName(out: ByteWriter, name: string): void {
    const id = this.names.get(name);
    if (id !== undefined) {
      out.uvarint(id + 1);
      return;
    }
    out.uvarint(0);
    out.string(name);
    this.names.set(name, this.names.size);
  }

  writeSeries(out: ByteWriter, table: string, series: BatchSeries): void {
    let numbers = this.series.get(table);
    if (!numbers) {
      numbers = new Map();
      this.series.set(table, numbers);
    }
    const id = numbers.get(series.key);
    if (id !== undefined) {
      out.uvarint(id + 1);
      return;
    }
    out.uvarint(0);
    const tagKeys = Object.keys(series.tags);
    out.uvarint(tagKeys.length);
    for (const k of tagKeys) {
      this.writeName(out, k);
      this.writeName(out, series.tags[k]!);
    }
    numbers.set(series.key, this.seriesCount++);
  }
}

/** The decoding side of WalDictionary, fed the payloads in LSN order. */
export class WalDictionaryReader {
  private names: string[] = [];
  private series: Array<Readonly<Record<string, string>>> = [];

  begin(flags: number): void {
    if (flags & RESET_DICTIONARY) {
      this.names = [];
      this.series = [];
    }
  }

  readName(input: ByteReader): string {
    const ref = input.uvarint();
    if (ref === 0) {
      const name = input.string();
      this.names.push(name);
      return name;
    }
    const name = this.names[ref - 1];
    if (name === undefined) throw new Error(`WAL payload refers to unknown name ${ref - 1}`);
    return name;
  }

  readSeriesTags(input: ByteReader): Readonly<Record<string, string>> {
    const ref = input.uvarint();
    if (ref !== 0) {
      const tags = this.series[ref - 1];
      if (!tags) throw new Error(`WAL payload refers to unknown series ${ref - 1}`);
      return tags;
    }
    const tags: Record<string, string> = {};
    const nTags = input.uvarint();
    for (let i = 0; i < nTags; i++) {
      const k = this.readName(input);
      putOwn(tags, k, this.readName(input));
    }
    this.series.push(tags);
    return tags;
  }
}

/**
 * Encodes a batch, naming things through `dictionary`. The result is a view valid until the next
 * call (the WAL copies it). If the payload is not appended after all, reset the dictionary.
 */
export function encodeBatch(batch: WriteBatch, dictionary: WalDictionary): Uint8Array {
  const out = scratch;
  out.reset();
  out.u8(PAYLOAD_VERSION);
  out.u8(dictionary.begin());
  out.u8(KIND_WRITE);
  writeBatchBody(out, batch, dictionary);
  return out.peek();
}

/** Encodes batches as one record: replay applies all of them or, if the record is torn, none. */
export function encodeGroup(batches: readonly WriteBatch[], dictionary: WalDictionary): Uint8Array {
  const out = scratch;
  out.reset();
  out.u8(PAYLOAD_VERSION);
  out.u8(dictionary.begin());
  out.u8(KIND_GROUP);
  out.uvarint(batches.length);
  for (const batch of batches) writeBatchBody(out, batch, dictionary);
  return out.peek();
}

function writeBatchBody(out: ByteWriter, batch: WriteBatch, dictionary: WalDictionary): void {
  dictionary.writeName(out, batch.table);
  const fieldNames = [...batch.fieldTypes.keys()];
  out.uvarint(fieldNames.length);
  for (const name of fieldNames) {
    dictionary.writeName(out, name);
    out.u8(TYPE_CODES.indexOf(batch.fieldTypes.get(name)!));
  }
  // Times are written relative to the batch's first one: a small first value saves the bytes of an
  // absolute epoch time.
  const base = batch.series[0]?.times[0] ?? 0;
  out.varint(base);
  out.uvarint(batch.series.length);
  let rows = 0;
  for (const series of batch.series) {
    dictionary.writeSeries(out, batch.table, series);
    out.uvarint(series.count);
    rows += series.count;
  }
  writeBlock(out, encodeTimestamps(batchTimes(batch, base, rows), rows));
  for (const name of fieldNames) writeBatchColumn(out, batch, name, batch.fieldTypes.get(name)!, rows);
}

let timesScratch = new Float64Array(1024);
let flagsScratch = new Uint8Array(1024);
let numbersScratch = new Float64Array(1024);
let boolsScratch = new Uint8Array(1024);

/** Every series' times, series after series, minus `base`, in a reused array. */
function batchTimes(batch: WriteBatch, base: number, rows: number): Float64Array {
  if (timesScratch.length < rows) timesScratch = new Float64Array(Math.max(rows, timesScratch.length * 2));
  let at = 0;
  for (const series of batch.series) {
    for (let i = 0; i < series.count; i++) timesScratch[at++] = series.times[i]! - base;
  }
  return timesScratch;
}

/**
 * One field over all the batch's rows, series after series: a presence byte, the bitmap when some
 * rows have no value (a series without the field, or a null), and the present values as one block.
 */
function writeBatchColumn(
  out: ByteWriter,
  batch: WriteBatch,
  name: string,
  type: ColumnType,
  rows: number,
): void {
  if (flagsScratch.length < rows) flagsScratch = new Uint8Array(Math.max(rows, flagsScratch.length * 2));
  const flags = flagsScratch;
  const values = type === 'string' ? ([] as string[]) : numericScratch(type, rows);
  let at = 0;
  let k = 0;
  for (const series of batch.series) {
    const column = series.fields.get(name);
    if (!column) {
      flags.fill(0, at, at + series.count);
      at += series.count;
      continue;
    }
    const src = column.values;
    const present = column.present;
    for (let i = 0; i < series.count; i++, at++) {
      const has = present === null || present[i] === 1;
      flags[at] = has ? 1 : 0;
      if (has) values[k++] = src[i]!;
    }
  }
  if (k === rows) {
    out.u8(PRESENCE_ALL);
  } else {
    out.u8(PRESENCE_BITMAP);
    out.bytes(packBits(flags, rows));
  }
  writeBlock(out, encodeValues(type, values, k));
}

/** A reused array for the numbers (or booleans, as 0/1) of a column of `rows` rows. */
function numericScratch(type: ColumnType, rows: number): Float64Array | Uint8Array {
  if (type === 'bool') {
    if (boolsScratch.length < rows) boolsScratch = new Uint8Array(Math.max(rows, boolsScratch.length * 2));
    return boolsScratch;
  }
  if (numbersScratch.length < rows)
    numbersScratch = new Float64Array(Math.max(rows, numbersScratch.length * 2));
  return numbersScratch;
}

function writeBlock(out: ByteWriter, block: Uint8Array): void {
  out.uvarint(block.length);
  out.bytes(block);
}

/** Encodes the first `count` values of a column with the codec of its type. */
export function encodeValues(type: ColumnType, values: FieldColumn['values'], count: number): Uint8Array {
  switch (type) {
    case 'float':
      return encodeFloats(values as Float64Array, count);
    case 'int':
      return encodeIntegers(values as Float64Array, count);
    case 'bool':
      return encodeBooleans(values as Uint8Array, count);
    case 'string':
      return encodeStrings(values as string[], count);
  }
}

/** Decodes `count` values of a column of `type`. */
export function decodeValues(type: ColumnType, block: Uint8Array, count: number): FieldColumn['values'] {
  switch (type) {
    case 'float': {
      const out = new Float64Array(count);
      decodeFloats(block, count, out);
      return out;
    }
    case 'int': {
      const out = new Float64Array(count);
      decodeIntegers(block, count, out);
      return out;
    }
    case 'bool': {
      const out = new Uint8Array(count);
      decodeBooleans(block, count, out);
      return out;
    }
    case 'string':
      return decodeStrings(block, count);
  }
}

function packBits(flags: Uint8Array, count: number): Uint8Array {
  const bits = new Uint8Array((count + 7) >> 3);
  for (let i = 0; i < count; i++) if (flags[i]) bits[i >> 3]! |= 1 << (i & 7);
  return bits;
}

function unpackBits(bits: Uint8Array, count: number): Uint8Array {
  const flags = new Uint8Array(count);
  for (let i = 0; i < count; i++) flags[i] = (bits[i >> 3]! >> (i & 7)) & 1;
  return flags;
}

/** Encodes a delete (see DeleteSpec). Open ends of the range are ±Infinity, kept as doubles. */
export function encodeDelete(spec: DeleteSpec, dictionary: WalDictionary): Uint8Array {
  const out = scratch;
  out.reset();
  out.u8(PAYLOAD_VERSION);
  out.u8(dictionary.begin());
  out.u8(KIND_DELETE);
  dictionary.writeName(out, spec.table);
  out.u8(spec.dropTable ? DELETE_DROPS_TABLE : 0);
  out.f64(spec.from);
  out.f64(spec.to);
  const tagKeys = spec.tags ? Object.keys(spec.tags) : [];
  out.u8(spec.tags ? 1 : 0);
  out.uvarint(tagKeys.length);
  for (const k of tagKeys) {
    dictionary.writeName(out, k);
    dictionary.writeName(out, spec.tags![k]!);
  }
  return out.peek();
}

/** Decodes a payload. Throws on malformed input (the WAL's CRC makes that a bug, not a torn write). */
export function decodeRecord(payload: Uint8Array, dictionary: WalDictionaryReader): WalEntry {
  const input = new ByteReader(payload);
  const version = input.u8();
  if (version !== PAYLOAD_VERSION && version !== PAYLOAD_V1) {
    throw new Error(`unknown WAL payload version ${version}`);
  }
  const decodeWrite = version === PAYLOAD_V1 ? decodeWriteV1 : decodeWriteColumns;
  dictionary.begin(input.u8());
  const kind = input.u8();
  if (kind === KIND_DELETE) return { kind: 'delete', spec: decodeDelete(input, dictionary) };
  if (kind === KIND_GROUP) {
    const batches: WriteBatch[] = [];
    const n = input.uvarint();
    for (let i = 0; i < n; i++) batches.push(decodeWrite(input, dictionary));
    return { kind: 'group', batches };
  }
  if (kind !== KIND_WRITE) throw new Error(`unknown WAL record kind ${kind}`);
  return { kind: 'write', batch: decodeWrite(input, dictionary) };
}

function decodeDelete(input: ByteReader, dictionary: WalDictionaryReader): DeleteSpec {
  const table = dictionary.readName(input);
  const dropTable = (input.u8() & DELETE_DROPS_TABLE) !== 0;
  const from = input.f64();
  const to = input.f64();
  const hasTags = input.u8() === 1;
  const n = input.uvarint();
  const tags: Record<string, string> = {};
  for (let i = 0; i < n; i++) {
    const k = dictionary.readName(input);
    putOwn(tags, k, dictionary.readName(input));
  }
  return { table, from, to, tags: hasTags ? tags : null, dropTable };
}

function readFieldTypes(input: ByteReader, dictionary: WalDictionaryReader): Map<string, ColumnType> {
  const fieldTypes = new Map<string, ColumnType>();
  const nFields = input.uvarint();
  for (let i = 0; i < nFields; i++) {
    const name = dictionary.readName(input);
    const type = TYPE_CODES[input.u8()];
    if (!type) throw new Error('unknown field type code in WAL payload');
    fieldTypes.set(name, type);
  }
  return fieldTypes;
}

/** A write body of version 2: the series, then one column per field over all their rows. */
function decodeWriteColumns(input: ByteReader, dictionary: WalDictionaryReader): WriteBatch {
  const table = dictionary.readName(input);
  const fieldTypes = readFieldTypes(input, dictionary);
  const base = input.varint();
  const nSeries = input.uvarint();
  const tagsOf: Array<Readonly<Record<string, string>>> = [];
  const counts: number[] = [];
  let rows = 0;
  for (let s = 0; s < nSeries; s++) {
    tagsOf.push(dictionary.readSeriesTags(input));
    const count = input.uvarint();
    counts.push(count);
    rows += count;
  }
  const times = new Float64Array(rows);
  decodeTimestamps(readBlock(input), rows, times);
  for (let i = 0; i < rows; i++) times[i]! += base;
  const columns = new Map<string, FieldColumn>();
  for (const [name, type] of fieldTypes) columns.set(name, decodeBatchColumn(input, type, rows));
  const tagKeys = new Set<string>();
  const series: BatchSeries[] = [];
  let at = 0;
  for (let s = 0; s < nSeries; s++) {
    const tags = tagsOf[s]!;
    const count = counts[s]!;
    for (const k of Object.keys(tags)) tagKeys.add(k);
    const fields = new Map<string, FieldColumn>();
    for (const [name, column] of columns) {
      const part = columnPart(column, at, count);
      if (part) fields.set(name, part);
    }
    series.push({ key: seriesKey(tags), tags, count, times: times.subarray(at, at + count), fields });
    at += count;
  }
  return { table, tagKeys: [...tagKeys], fieldTypes, series, rows, maxRowid: maxRowidOf(series) };
}

/** A column of version 2, its values placed at their rows (present: null when every row has one). */
function decodeBatchColumn(input: ByteReader, type: ColumnType, rows: number): FieldColumn {
  const presence = input.u8();
  if (presence === PRESENCE_ALL)
    return { type, values: decodeValues(type, readBlock(input), rows), present: null };
  if (presence !== PRESENCE_BITMAP) throw new Error(`unknown presence ${presence} in WAL payload`);
  const present = unpackBits(input.bytes((rows + 7) >> 3), rows);
  let k = 0;
  for (let i = 0; i < rows; i++) k += present[i]!;
  const compact = decodeValues(type, readBlock(input), k);
  return { type, values: spread(type, compact, present, rows), present };
}

/** Rows [at, at + count) of a batch column as one series' column; null when none has a value. */
function columnPart(column: FieldColumn, at: number, count: number): FieldColumn | null {
  const end = at + count;
  let present: Uint8Array | null = null;
  if (column.present) {
    let n = 0;
    for (let i = at; i < end; i++) n += column.present[i]!;
    if (n === 0) return null;
    if (n < count) present = column.present.subarray(at, end);
  }
  const values = Array.isArray(column.values)
    ? column.values.slice(at, end)
    : (column.values as Float64Array | Uint8Array).subarray(at, end);
  return { type: column.type, values, present };
}

/** A write body of version 1: each series with its own columns. */
function decodeWriteV1(input: ByteReader, dictionary: WalDictionaryReader): WriteBatch {
  const table = dictionary.readName(input);
  const fieldTypes = readFieldTypes(input, dictionary);
  const tagKeys = new Set<string>();
  const series: BatchSeries[] = [];
  let rows = 0;
  const base = input.varint();
  const nSeries = input.uvarint();
  for (let s = 0; s < nSeries; s++) {
    const tags = dictionary.readSeriesTags(input);
    const one = decodeSeriesRows(input, tags, fieldTypes, base);
    for (const k of Object.keys(tags)) tagKeys.add(k);
    rows += one.count;
    series.push(one);
  }
  return { table, tagKeys: [...tagKeys], fieldTypes, series, rows, maxRowid: maxRowidOf(series) };
}

function decodeSeriesRows(
  input: ByteReader,
  tags: Readonly<Record<string, string>>,
  fieldTypes: ReadonlyMap<string, ColumnType>,
  base: number,
): BatchSeries {
  const count = input.uvarint();
  const times = new Float64Array(count);
  decodeTimestamps(readBlock(input), count, times);
  for (let i = 0; i < count; i++) times[i]! += base;
  const fields = new Map<string, FieldColumn>();
  for (const [name, type] of fieldTypes) {
    const column = decodeField(input, type, count);
    if (column) fields.set(name, column);
  }
  return { key: seriesKey(tags), tags, count, times, fields };
}

function readBlock(input: ByteReader): Uint8Array {
  return input.bytes(input.uvarint());
}

function decodeField(input: ByteReader, type: ColumnType, count: number): FieldColumn | null {
  const presence = input.u8();
  if (presence === PRESENCE_NONE) return null;
  if (presence === PRESENCE_ALL)
    return { type, values: decodeValues(type, readBlock(input), count), present: null };
  const present = unpackBits(input.bytes((count + 7) >> 3), count);
  let k = 0;
  for (let i = 0; i < count; i++) k += present[i]!;
  const compact = decodeValues(type, readBlock(input), k);
  return { type, values: spread(type, compact, present, count), present };
}

/** Places compacted values back at their rows (also the sync batch decoder's). */
export function spread(
  type: ColumnType,
  compact: FieldColumn['values'],
  present: Uint8Array,
  count: number,
): FieldColumn['values'] {
  let k = 0;
  if (type === 'string') {
    const out = new Array<string>(count).fill('');
    for (let i = 0; i < count; i++) if (present[i]) out[i] = (compact as string[])[k++]!;
    return out;
  }
  const out = type === 'bool' ? new Uint8Array(count) : new Float64Array(count);
  for (let i = 0; i < count; i++) if (present[i]) out[i] = (compact as Float64Array | Uint8Array)[k++]!;
  return out;
}
