/**
 * String columns: a dictionary of the distinct values in first-seen order, then the rows as
 * dictionary indexes, either run-length coded (`string-rle`: the common `unit = 'mm/s'` column is a
 * single run) or bit-packed (`string-dict`), whichever is smaller. Strings are stored as UTF-8, so a
 * lone surrogate comes back as U+FFFD like everywhere else text is encoded.
 */
import { checkDecodeArgs, checkEmpty, checkEncodeArgs, emptyBlock, wrongCodec } from './args';
import { packedSize, readPacked, writePacked } from './bitpack';
import { BlockReader, BlockWriter, corrupt, uvarintSize } from './block-io';
import { CodecId } from './ids';

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true });

let indexes = new Float64Array(1024);

/**
 * UTF-8 of recently encoded short strings: a string column repeats the same few values (sensor
 * ids, units, states) batch after batch, and TextEncoder costs ~0.4 µs a call. Bounded; entries
 * are only read (copied into blocks), never changed.
 */
const utf8Cache = new Map<string, Uint8Array>();
const UTF8_CACHE_ENTRIES = 8192;
const UTF8_CACHE_MAX_LENGTH = 64;

function utf8(s: string): Uint8Array {
  if (s.length > UTF8_CACHE_MAX_LENGTH) return textEncoder.encode(s);
  let encoded = utf8Cache.get(s);
  if (encoded === undefined) {
    if (utf8Cache.size >= UTF8_CACHE_ENTRIES) utf8Cache.clear();
    encoded = textEncoder.encode(s);
    utf8Cache.set(s, encoded);
  }
  return encoded;
}

function ensureScratch(n: number): void {
  if (indexes.length < n) indexes = new Float64Array(Math.max(n, indexes.length * 2));
}

interface Dictionary {
  readonly entries: Uint8Array[];
  readonly bytes: number;
  readonly runs: number;
  readonly rleSize: number;
}

/** Fills `indexes` with each row's dictionary index; sizes both encodings of them. */
function buildDictionary(values: readonly string[], count: number): Dictionary {
  const ids = new Map<string, number>();
  const entries: Uint8Array[] = [];
  let bytes = 0;
  let runs = 0;
  let rleSize = 0;
  let runStart = 0;
  for (let i = 0; i < count; i++) {
    const s = values[i] ?? '';
    let id = ids.get(s);
    if (id === undefined) {
      id = entries.length;
      ids.set(s, id);
      const encoded = utf8(s);
      entries.push(encoded);
      bytes += uvarintSize(encoded.length) + encoded.length;
    }
    indexes[i] = id;
    if (i > 0 && id !== indexes[i - 1]) {
      runs++;
      rleSize += uvarintSize(indexes[i - 1]!) + uvarintSize(i - runStart);
      runStart = i;
    }
  }
  runs++;
  rleSize += uvarintSize(indexes[count - 1]!) + uvarintSize(count - runStart);
  return { entries, bytes, runs, rleSize: rleSize + uvarintSize(runs) };
}

/** Encodes strings[0, count); a missing entry is stored as ''. */
export function encodeStrings(values: readonly string[], count: number): Uint8Array {
  checkEncodeArgs(values.length, count);
  if (count === 0) return emptyBlock();
  ensureScratch(count);
  const dict = buildDictionary(values, count);
  const packed = packedSize(indexes, 0, count);
  const useRle = dict.rleSize <= packed;
  const w = new BlockWriter(
    1 + uvarintSize(dict.entries.length) + dict.bytes + Math.min(dict.rleSize, packed),
  );
  w.u8(useRle ? CodecId.STRING_RLE : CodecId.STRING_DICT);
  w.uvarint(dict.entries.length);
  for (const entry of dict.entries) {
    w.uvarint(entry.length);
    w.bytes(entry);
  }
  if (useRle) writeRuns(w, count, dict.runs);
  else writePacked(w, indexes, 0, count);
  return w.finish();
}

function writeRuns(w: BlockWriter, count: number, runs: number): void {
  w.uvarint(runs);
  let runStart = 0;
  for (let i = 1; i <= count; i++) {
    if (i === count || indexes[i] !== indexes[runStart]) {
      w.uvarint(indexes[runStart]!);
      w.uvarint(i - runStart);
      runStart = i;
    }
  }
}

/** Decodes `count` strings from one block; equal rows share one string instance. */
export function decodeStrings(bytes: Uint8Array, count: number): string[] {
  checkDecodeArgs(bytes, count, count);
  const id = bytes[0]!;
  if (id === CodecId.EMPTY) {
    checkEmpty(bytes, count);
    return [];
  }
  if (id !== CodecId.STRING_RLE && id !== CodecId.STRING_DICT) throw wrongCodec(id, 'string');
  const r = new BlockReader(bytes, 1);
  const dict = readDictionary(r, count);
  const out = id === CodecId.STRING_RLE ? readRuns(r, count, dict) : readIndexes(r, count, dict);
  r.expectEnd();
  return out;
}

function readDictionary(r: BlockReader, count: number): string[] {
  const at = r.pos;
  const size = r.uvarint();
  if (size === 0 || size > count) throw corrupt(at, `Dictionary of ${size} strings for ${count} values`);
  const dict: string[] = [];
  for (let k = 0; k < size; k++) {
    const entryAt = r.pos;
    const raw = r.bytes(r.uvarint(), 'dictionary string');
    try {
      dict.push(textDecoder.decode(raw));
    } catch {
      throw corrupt(entryAt, 'Dictionary string is not valid UTF-8');
    }
  }
  return dict;
}

function readRuns(r: BlockReader, count: number, dict: readonly string[]): string[] {
  const at = r.pos;
  const runs = r.uvarint();
  if (runs === 0 || runs > count) throw corrupt(at, `${runs} runs in a block of ${count} values`);
  const out: string[] = [];
  for (let k = 0; k < runs; k++) {
    const runAt = r.pos;
    const s = dict[r.uvarint()];
    const length = r.uvarint();
    if (s === undefined) throw corrupt(runAt, 'Run refers past the end of the dictionary');
    if (length === 0 || length > count - out.length) {
      throw corrupt(runAt, `Run of ${length} values does not fit the block`);
    }
    for (let i = 0; i < length; i++) out.push(s);
  }
  if (out.length !== count) throw corrupt(r.pos, `Runs cover ${out.length} of ${count} values`);
  return out;
}

function readIndexes(r: BlockReader, count: number, dict: readonly string[]): string[] {
  ensureScratch(count);
  readPacked(r, count, indexes, 0);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const s = dict[indexes[i]!];
    if (s === undefined) throw corrupt(r.pos, `Row ${i} refers past the end of the dictionary`);
    out.push(s);
  }
  return out;
}
