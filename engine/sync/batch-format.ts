/**
 * The sync batch, version 2 (FORMAT.md; version 1 is still read, and written on request): a small header anyone can read without inflating the body
 * (device, epoch, seq, lane, LSN range, rows, tables), then a body of per-series columns encoded
 * with the engine's codecs and compressed by a general compressor, then a CRC-32C of everything.
 */
import { decodeTimestamps, encodeTimestamps } from '../codec/index';
import { HeliosError } from '../errors';
import type { ColumnType, FieldColumn } from '../types';
import { ByteReader, ByteWriter } from '../util/bytes';
import { crc32c } from '../util/crc32c';
import { TimeSlicer } from '../util/fsutil';
import { decodeValues, encodeValues, spread } from '../wal/batch';
import {
  COMPRESSION_CODES,
  compressBody,
  compressionOfCode,
  decompressBody,
  type SyncCompression,
} from './compress';

/** The lane a batch travels in: the alarm journal first, then new readings, then the backfill. */
export type SyncLane = 'live' | 'backfill' | 'journal';

/** What a batch's header says (readable without inflating its body). */
export interface SyncBatchMeta {
  readonly device: string;
  readonly epoch: string;
  readonly seq: number;
  readonly lane: SyncLane;
  /** some row is older than the edge's live window: it was written while the link was down */
  readonly historical: boolean;
  /** the edge's LSN range this batch covers, both ends included */
  readonly fromLsn: number;
  readonly toLsn: number;
  /** rows carried; for a 'gap' batch, the rows the edge lost (a lower bound, 0 when unknown) */
  readonly rows: number;
  readonly tables: readonly string[];
  /** 'gap': retention dropped unsynced rows of this LSN range before they could be sent */
  readonly kind: 'rows' | 'gap';
  readonly compression: SyncCompression;
}

/** One series' rows in a batch, in the order the edge wrote them (LSN order). */
export interface SyncSeries {
  readonly tags: Readonly<Record<string, string>>;
  readonly count: number;
  readonly times: Float64Array;
  /** each row's rowid (NaN: the row is identified by its series and time), or null when none has one */
  readonly rowids: Float64Array | null;
  /** 1 where the row is a delete marker of its identity, or null when none is */
  readonly deleted: Uint8Array | null;
  readonly fields: ReadonlyMap<string, FieldColumn>;
}

/** One table's series in a batch. */
export interface SyncTable {
  readonly table: string;
  readonly fieldTypes: ReadonlyMap<string, ColumnType>;
  readonly series: readonly SyncSeries[];
}

/** A batch read whole: its header and its rows. */
export interface DecodedSyncBatch {
  readonly meta: SyncBatchMeta;
  readonly tables: readonly SyncTable[];
}

/** Bytes that are not a sync batch (or ack, or downlink message) of a version this code reads. */
export class SyncFormatError extends HeliosError {
  constructor(message: string) {
    super('HELIOS_SYNC_FORMAT', message);
    this.name = 'SyncFormatError';
  }
}

/** "HSYB": Helios SYnc Batch (the first four bytes, read as a little-endian u32). */
export const BATCH_MAGIC = 0x42595348;
/** The format version this code writes. */
export const BATCH_VERSION = 2;
/** The versions this code reads (and can write). */
export const BATCH_VERSIONS: readonly number[] = [1, 2];
/** The largest body a receiver inflates (a guard against a compressed bomb). */
export const MAX_BODY_BYTES = 256 * 1024 * 1024;
const LANES: readonly SyncLane[] = ['live', 'backfill', 'journal'];
const TYPE_CODES: readonly ColumnType[] = ['float', 'int', 'bool', 'string'];
const FLAG_HISTORICAL = 1;
const FLAG_GAP = 2;
const PRESENCE_NONE = 0;
const PRESENCE_ALL = 1;
const PRESENCE_BITMAP = 2;
const FIXED_BYTES = 8;
const CRC_BYTES = 4;

/** What the edge puts in a header; `compression` is filled in by encodeSyncBatch. */
export type SyncBatchHeader = Omit<SyncBatchMeta, 'compression'>;

/**
 * Encodes a batch: the header, the body (`tables`, column-encoded, then compressed with
 * `compression` at `level`), the CRC. Asynchronous because the compressor runs off the thread.
 */
export async function encodeSyncBatch(
  header: SyncBatchHeader,
  tables: readonly SyncTable[],
  compression: SyncCompression,
  level?: number,
  version: number = BATCH_VERSION,
): Promise<Uint8Array> {
  if (!BATCH_VERSIONS.includes(version))
    throw new SyncFormatError(`There is no sync batch version ${version}.`);
  const raw = version === 1 ? await encodeBodyV1(tables) : await encodeBodyV2(tables);
  const body = await compressBody(compression, raw, level);
  const out = new ByteWriter(64 + body.length);
  out.u32(BATCH_MAGIC);
  out.u8(version);
  out.u8(COMPRESSION_CODES[compression]);
  out.u8((header.historical ? FLAG_HISTORICAL : 0) | (header.kind === 'gap' ? FLAG_GAP : 0));
  out.u8(LANES.indexOf(header.lane));
  out.string(header.device);
  out.string(header.epoch);
  out.uvarint(header.seq);
  out.uvarint(header.fromLsn);
  out.uvarint(header.toLsn);
  out.uvarint(header.rows);
  out.uvarint(header.tables.length);
  for (const t of header.tables) out.string(t);
  out.uvarint(raw.length);
  out.u32(body.length);
  out.bytes(body);
  out.u32(crc32c(out.peek()));
  return out.finish();
}

/** The header of a batch, after checking magic, version and CRC; throws SyncFormatError. */
export function readSyncBatchMeta(bytes: Uint8Array): SyncBatchMeta {
  return parseBatch(bytes).meta;
}

/** A whole batch: header and rows; throws SyncFormatError on anything malformed. */
export function decodeSyncBatch(bytes: Uint8Array): DecodedSyncBatch {
  const { meta, steps } = startDecode(bytes);
  for (;;) {
    const step = guarded(() => steps.next());
    if (step.done) return { meta, tables: step.value };
  }
}

/** decodeSyncBatch, yielding to the event loop every few ms (for big batches at a hub). */
export async function decodeSyncBatchSliced(bytes: Uint8Array): Promise<DecodedSyncBatch> {
  const { meta, steps } = startDecode(bytes);
  const slicer = new TimeSlicer(8);
  for (;;) {
    const step = guarded(() => steps.next());
    if (step.done) return { meta, tables: step.value };
    await slicer.maybeYield();
  }
}

function startDecode(bytes: Uint8Array): { meta: SyncBatchMeta; steps: Generator<void, SyncTable[]> } {
  const parsed = parseBatch(bytes);
  let raw: Uint8Array;
  try {
    raw = decompressBody(parsed.meta.compression, parsed.body, parsed.rawBytes);
  } catch (err) {
    throw new SyncFormatError(
      `The batch body does not inflate with ${parsed.meta.compression}: ${String(err)}.`,
    );
  }
  if (raw.length !== parsed.rawBytes) {
    throw new SyncFormatError(
      `The batch body inflates to ${raw.length} bytes where its header says ${parsed.rawBytes}.`,
    );
  }
  return { meta: parsed.meta, steps: parsed.version === 1 ? decodeBodyV1(raw) : decodeBodyV2(raw) };
}

interface ParsedBatch {
  readonly version: number;
  readonly meta: SyncBatchMeta;
  readonly rawBytes: number;
  readonly body: Uint8Array;
}

function parseBatch(bytes: Uint8Array): ParsedBatch {
  if (!(bytes instanceof Uint8Array))
    throw new SyncFormatError('A sync batch must be bytes (a Buffer or Uint8Array).');
  if (bytes.length < FIXED_BYTES + CRC_BYTES) {
    throw new SyncFormatError(
      `A sync batch has at least ${FIXED_BYTES + CRC_BYTES} bytes; this one has ${bytes.length}.`,
    );
  }
  const input = new ByteReader(bytes, 0, bytes.length - CRC_BYTES);
  if (input.u32() !== BATCH_MAGIC)
    throw new SyncFormatError('These bytes are not a Helios sync batch (wrong magic).');
  const version = input.u8();
  if (!BATCH_VERSIONS.includes(version)) {
    throw new SyncFormatError(
      `The sync batch has format version ${version}; this Helios reads versions ${BATCH_VERSIONS.join(' and ')}. Upgrade the receiver.`,
    );
  }
  const stored = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - CRC_BYTES, CRC_BYTES).getUint32(
    0,
    true,
  );
  if (crc32c(bytes, 0, bytes.length - CRC_BYTES) !== stored) {
    throw new SyncFormatError(
      'The sync batch is damaged or cut short (checksum mismatch); ask the edge to send it again.',
    );
  }
  return guarded(() => parseHeader(input, version));
}

function parseHeader(input: ByteReader, version: number): ParsedBatch {
  const compression = compressionOfCode(input.u8());
  if (!compression)
    throw new SyncFormatError('The sync batch names a compressor this format does not define.');
  const flags = input.u8();
  const lane = LANES[input.u8()];
  if (!lane) throw new SyncFormatError('The sync batch names a lane this format does not define.');
  const device = input.string();
  const epoch = input.string();
  const seq = input.uvarint();
  const fromLsn = input.uvarint();
  const toLsn = input.uvarint();
  const rows = input.uvarint();
  const tables: string[] = [];
  const nTables = input.uvarint();
  for (let i = 0; i < nTables; i++) tables.push(input.string());
  const rawBytes = input.uvarint();
  if (rawBytes > MAX_BODY_BYTES)
    throw new SyncFormatError(`The sync batch body is ${rawBytes} bytes, more than ${MAX_BODY_BYTES}.`);
  const body = input.bytes(input.u32());
  if (input.remaining !== 0) throw new SyncFormatError('The sync batch has bytes after its body.');
  const kind = flags & FLAG_GAP ? 'gap' : 'rows';
  const historical = (flags & FLAG_HISTORICAL) !== 0;
  return {
    version,
    meta: { device, epoch, seq, lane, historical, fromLsn, toLsn, rows, tables, kind, compression },
    rawBytes,
    body,
  };
}

/** Runs a decoder, turning a read past the end or a codec's complaint into a SyncFormatError. */
function guarded<T>(decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    if (err instanceof SyncFormatError) throw err;
    throw new SyncFormatError(
      `The sync batch is malformed: ${err instanceof Error ? err.message : String(err)}.`,
    );
  }
}

/** A table's name, fields and tag dictionary (both versions), then its series count. */
function encodeTableHead(out: ByteWriter, table: SyncTable): { names: string[]; tags: TagDictionary } {
  out.string(table.table);
  const names = [...table.fieldTypes.keys()];
  out.uvarint(names.length);
  for (const name of names) {
    out.string(name);
    out.u8(TYPE_CODES.indexOf(table.fieldTypes.get(name)!));
  }
  const tags = tagDictionary(table.series);
  out.uvarint(tags.keys.length);
  for (const k of tags.keys) out.string(k);
  out.uvarint(tags.values.length);
  for (const v of tags.values) out.string(v);
  out.uvarint(table.series.length);
  return { names, tags };
}

/** Per tag key: 0 when the series lacks it, else 1 + the value's index in the dictionary. */
function encodeTagRefs(out: ByteWriter, series: SyncSeries, tags: TagDictionary): void {
  for (const k of tags.keys) {
    const v = series.tags[k];
    out.uvarint(v === undefined ? 0 : tags.index.get(v)! + 1);
  }
}

/** Version 1: each series whole, one after the other. */
async function encodeBodyV1(tables: readonly SyncTable[]): Promise<Uint8Array> {
  const out = new ByteWriter(1 << 12);
  const slicer = new TimeSlicer(8);
  out.uvarint(tables.length);
  for (const table of tables) {
    const { names, tags } = encodeTableHead(out, table);
    for (const series of table.series) {
      encodeTagRefs(out, series, tags);
      encodeSeries(out, series, names, table.fieldTypes);
      await slicer.maybeYield();
    }
  }
  return out.finish();
}

/**
 * Version 2: the same entries as version 1, grouped by kind over the table's series (every
 * series' tag references, then counts, then first times as deltas from the series before, then
 * time blocks, rowids, delete markers, then each field's entries): like next to like, which the
 * general compressor turns into 5-11% fewer bytes for short live batches (docs/sync.md).
 */
async function encodeBodyV2(tables: readonly SyncTable[]): Promise<Uint8Array> {
  const out = new ByteWriter(1 << 12);
  const slicer = new TimeSlicer(8);
  out.uvarint(tables.length);
  for (const table of tables) {
    const { names, tags } = encodeTableHead(out, table);
    const all = table.series;
    for (const series of all) encodeTagRefs(out, series, tags);
    for (const series of all) out.uvarint(series.count);
    let before = 0;
    for (const series of all) {
      const base = series.count > 0 ? series.times[0]! : 0;
      out.varint(base - before);
      before = base;
    }
    for (const series of all) {
      const base = series.count > 0 ? series.times[0]! : 0;
      const rebased = new Float64Array(series.count);
      for (let i = 0; i < series.count; i++) rebased[i] = series.times[i]! - base;
      writeBlock(out, encodeTimestamps(rebased, series.count));
      await slicer.maybeYield();
    }
    for (const series of all) encodeColumn(out, rowidColumn(series), series.count);
    for (const series of all) encodeColumn(out, deletedColumn(series), series.count);
    for (const name of names) {
      const type = table.fieldTypes.get(name);
      for (const series of all) {
        const column = series.fields.get(name);
        encodeColumn(out, column && column.type === type ? column : undefined, series.count);
      }
      await slicer.maybeYield();
    }
  }
  return out.finish();
}

function rowidColumn(series: SyncSeries): FieldColumn | undefined {
  return series.rowids
    ? { type: 'int', values: series.rowids, present: presentOf(series.rowids) }
    : undefined;
}

function deletedColumn(series: SyncSeries): FieldColumn | undefined {
  return series.deleted ? { type: 'bool', values: series.deleted, present: null } : undefined;
}

interface TagDictionary {
  keys: string[];
  values: string[];
  index: Map<string, number>;
}

/** A table's tag keys and tag values, each spelled once per batch (series refer to them by number). */
function tagDictionary(series: readonly SyncSeries[]): TagDictionary {
  const keys = new Set<string>();
  const index = new Map<string, number>();
  for (const s of series) {
    for (const [k, v] of Object.entries(s.tags)) {
      keys.add(k);
      if (!index.has(v)) index.set(v, index.size);
    }
  }
  return { keys: [...keys], values: [...index.keys()], index };
}

function encodeSeries(
  out: ByteWriter,
  series: SyncSeries,
  names: readonly string[],
  types: ReadonlyMap<string, ColumnType>,
): void {
  const n = series.count;
  out.uvarint(n);
  const base = n > 0 ? series.times[0]! : 0;
  out.varint(base);
  const rebased = new Float64Array(n);
  for (let i = 0; i < n; i++) rebased[i] = series.times[i]! - base;
  writeBlock(out, encodeTimestamps(rebased, n));
  encodeColumn(out, rowidColumn(series), n);
  encodeColumn(out, deletedColumn(series), n);
  for (const name of names) {
    const column = series.fields.get(name);
    encodeColumn(out, column && column.type === types.get(name) ? column : undefined, n);
  }
}

/** Rowids of rows that have one (NaN marks none), or null when every row has one. */
function presentOf(rowids: Float64Array): Uint8Array | null {
  if (rowids.every((v) => !Number.isNaN(v))) return null;
  return Uint8Array.from(rowids, (v) => (Number.isNaN(v) ? 0 : 1));
}

function writeBlock(out: ByteWriter, block: Uint8Array): void {
  out.uvarint(block.length);
  out.bytes(block);
}

function encodeColumn(out: ByteWriter, column: FieldColumn | undefined, count: number): void {
  if (!column) {
    out.u8(PRESENCE_NONE);
    return;
  }
  if (column.present === null) {
    out.u8(PRESENCE_ALL);
    writeBlock(out, encodeValues(column.type, column.values, count));
    return;
  }
  out.u8(PRESENCE_BITMAP);
  const present = column.present;
  const bits = new Uint8Array((count + 7) >> 3);
  for (let i = 0; i < count; i++) if (present[i]) bits[i >> 3]! |= 1 << (i & 7);
  out.bytes(bits);
  const compact = compactValues(column, present, count);
  writeBlock(out, encodeValues(column.type, compact, compact.length));
}

function compactValues(column: FieldColumn, present: Uint8Array, count: number): FieldColumn['values'] {
  if (column.type === 'string') {
    const src = column.values as string[];
    return src.slice(0, count).filter((_, i) => present[i]);
  }
  const src = column.values as Float64Array | Uint8Array;
  const dst = column.type === 'bool' ? new Uint8Array(count) : new Float64Array(count);
  let k = 0;
  for (let i = 0; i < count; i++) if (present[i]) dst[k++] = src[i]!;
  return dst.subarray(0, k);
}

/** A table's name, fields and tag dictionary (both versions). */
function decodeTableHead(input: ByteReader): {
  table: string;
  fieldTypes: Map<string, ColumnType>;
  keys: string[];
  values: string[];
} {
  const table = input.string();
  const fieldTypes = new Map<string, ColumnType>();
  const nFields = input.uvarint();
  for (let i = 0; i < nFields; i++) {
    const name = input.string();
    const type = TYPE_CODES[input.u8()];
    if (!type)
      throw new SyncFormatError(
        `Field "${name}" of table "${table}" has a type code this format does not define.`,
      );
    fieldTypes.set(name, type);
  }
  const keys: string[] = [];
  for (let i = 0, n = input.uvarint(); i < n; i++) keys.push(input.string());
  const values: string[] = [];
  for (let i = 0, n = input.uvarint(); i < n; i++) values.push(input.string());
  return { table, fieldTypes, keys, values };
}

function decodeTagRefs(input: ByteReader, table: string, keys: readonly string[], values: readonly string[]) {
  const tags: Record<string, string> = {};
  for (const k of keys) {
    const ref = input.uvarint();
    if (ref === 0) continue;
    const v = values[ref - 1];
    if (v === undefined)
      throw new SyncFormatError(
        `A series of table "${table}" names tag value ${ref - 1}, which the batch does not hold.`,
      );
    tags[k] = v;
  }
  return tags;
}

/** Decodes a version 1 body, pausing (yield) after each series. */
function* decodeBodyV1(raw: Uint8Array): Generator<void, SyncTable[]> {
  const input = new ByteReader(raw);
  const tables: SyncTable[] = [];
  const nTables = input.uvarint();
  for (let t = 0; t < nTables; t++) {
    const { table, fieldTypes, keys, values } = decodeTableHead(input);
    const series: SyncSeries[] = [];
    const nSeries = input.uvarint();
    for (let s = 0; s < nSeries; s++) {
      const tags = decodeTagRefs(input, table, keys, values);
      series.push(decodeSeries(input, tags, fieldTypes));
      yield;
    }
    tables.push({ table, fieldTypes, series });
  }
  if (input.remaining !== 0) throw new SyncFormatError('The sync batch body has bytes after its last table.');
  return tables;
}

/** Decodes a version 2 body (entries grouped by kind), pausing (yield) after each series' entry. */
function* decodeBodyV2(raw: Uint8Array): Generator<void, SyncTable[]> {
  const input = new ByteReader(raw);
  const tables: SyncTable[] = [];
  const nTables = input.uvarint();
  for (let t = 0; t < nTables; t++) {
    const { table, fieldTypes, keys, values } = decodeTableHead(input);
    const nSeries = input.uvarint();
    if (nSeries > input.remaining)
      throw new SyncFormatError(`Table "${table}" claims ${nSeries} series, more than its bytes can hold.`);
    const tags = Array.from({ length: nSeries }, () => decodeTagRefs(input, table, keys, values));
    const counts = Array.from({ length: nSeries }, () => {
      const count = input.uvarint();
      if (count > input.remaining * 64)
        throw new SyncFormatError(`A series claims ${count} rows, more than its bytes can hold.`);
      return count;
    });
    let base = 0;
    const bases = counts.map(() => (base += input.varint()));
    const times = counts.map((count, s) => {
      const t = new Float64Array(count);
      decodeTimestamps(readBlock(input), count, t);
      for (let i = 0; i < count; i++) t[i]! += bases[s]!;
      return t;
    });
    yield;
    const rowids = counts.map((count) => rowidsOf(decodeColumn(input, 'int', count), count));
    const deleted = counts.map((count) => {
      const marks = decodeColumn(input, 'bool', count);
      return marks ? (marks.values as Uint8Array) : null;
    });
    const fields = counts.map(() => new Map<string, FieldColumn>());
    for (const [name, type] of fieldTypes) {
      for (let s = 0; s < nSeries; s++) {
        const column = decodeColumn(input, type, counts[s]!);
        if (column) fields[s]!.set(name, column);
      }
      yield;
    }
    const series: SyncSeries[] = counts.map((count, s) => ({
      tags: tags[s]!,
      count,
      times: times[s]!,
      rowids: rowids[s]!,
      deleted: deleted[s]!,
      fields: fields[s]!,
    }));
    tables.push({ table, fieldTypes, series });
  }
  if (input.remaining !== 0) throw new SyncFormatError('The sync batch body has bytes after its last table.');
  return tables;
}

/** A rowid column as the series holds it: NaN for rows without one. */
function rowidsOf(ids: FieldColumn | null, count: number): Float64Array | null {
  if (!ids) return null;
  const rowids = ids.values as Float64Array;
  if (ids.present) for (let i = 0; i < count; i++) if (!ids.present[i]) rowids[i] = Number.NaN;
  return rowids;
}

function decodeSeries(
  input: ByteReader,
  tags: Readonly<Record<string, string>>,
  types: ReadonlyMap<string, ColumnType>,
): SyncSeries {
  const count = input.uvarint();
  if (count > input.remaining * 64)
    throw new SyncFormatError(`A series claims ${count} rows, more than its bytes can hold.`);
  const base = input.varint();
  const times = new Float64Array(count);
  decodeTimestamps(readBlock(input), count, times);
  for (let i = 0; i < count; i++) times[i]! += base;
  const rowids = rowidsOf(decodeColumn(input, 'int', count), count);
  const marks = decodeColumn(input, 'bool', count);
  const fields = new Map<string, FieldColumn>();
  for (const [name, type] of types) {
    const column = decodeColumn(input, type, count);
    if (column) fields.set(name, column);
  }
  return { tags, count, times, rowids, deleted: marks ? (marks.values as Uint8Array) : null, fields };
}

function readBlock(input: ByteReader): Uint8Array {
  return input.bytes(input.uvarint());
}

function decodeColumn(input: ByteReader, type: ColumnType, count: number): FieldColumn | null {
  const presence = input.u8();
  if (presence === PRESENCE_NONE) return null;
  if (presence === PRESENCE_ALL)
    return { type, values: decodeValues(type, readBlock(input), count), present: null };
  if (presence !== PRESENCE_BITMAP)
    throw new SyncFormatError(`A column has presence code ${presence}, which this format does not define.`);
  const bits = input.bytes((count + 7) >> 3);
  const present = new Uint8Array(count);
  let k = 0;
  for (let i = 0; i < count; i++) k += present[i] = (bits[i >> 3]! >> (i & 7)) & 1;
  const compact = decodeValues(type, readBlock(input), k);
  return { type, values: spread(type, compact, present, count), present };
}
