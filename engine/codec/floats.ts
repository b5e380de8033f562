/**
 * Float columns. The encoder tries, cheapest first: one repeated value (`float-const`), short
 * decimals scaled to integers (`float-decimal`), Gorilla XOR (`float-xor`) when decimals do not fit
 * or pack poorly, and run-length (`float-rle`) when few runs beat both; `float-raw` caps the size
 * at 8 bytes per value. Every float64 round-trips bit-exactly except that a NaN may come back as a
 * different NaN (FORMAT.md, "NaN").
 */
import { checkDecodeArgs, checkEmpty, checkEncodeArgs, emptyBlock, wrongCodec } from './args';
import { BlockReader, BlockWriter, corrupt, readRawF64, uvarintSize, writeRawF64 } from './block-io';
import { encodeDecimal, readDecimal } from './decimal';
import { CodecId } from './ids';
import { readXor, writeXor } from './xor';

/** Decimal blocks above this many bytes per value are compared against XOR as well. */
const TRY_XOR_ABOVE_BYTES_PER_VALUE = 2;

/** Same float64 for storage purposes: -0 differs from 0, every NaN equals every NaN. */
function sameFloat(a: number, b: number): boolean {
  return a === b ? a !== 0 || 1 / a === 1 / b : Number.isNaN(a) && Number.isNaN(b);
}

/** Bytes of the `float-rle` payload and the number of runs. */
function measureRuns(values: Float64Array, count: number): { runs: number; size: number } {
  let runs = 0;
  let size = 0;
  let start = 0;
  for (let i = 1; i <= count; i++) {
    if (i === count || !sameFloat(values[i]!, values[start]!)) {
      runs++;
      size += uvarintSize(i - start) + 8;
      start = i;
    }
  }
  return { runs, size: size + uvarintSize(runs) };
}

/** Encodes floats[0, count) with the smallest of the float codecs. */
export function encodeFloats(values: Float64Array, count: number): Uint8Array {
  checkEncodeArgs(values.length, count);
  if (count === 0) return emptyBlock();
  const rle = measureRuns(values, count);
  if (rle.runs === 1) {
    const w = new BlockWriter(9);
    w.u8(CodecId.FLOAT_CONST);
    w.f64(values[0]!);
    return w.finish();
  }
  let best = encodeDecimal(values, count);
  if (best === null || best.length > count * TRY_XOR_ABOVE_BYTES_PER_VALUE) {
    const xor = encodeXor(values, count);
    if (best === null || xor.length < best.length) best = xor;
  }
  if (1 + rle.size < best.length) best = encodeRle(values, count, rle.runs);
  if (best.length >= 1 + count * 8) {
    const w = new BlockWriter(1 + count * 8);
    w.u8(CodecId.FLOAT_RAW);
    writeRawF64(w, values, count);
    best = w.finish();
  }
  return best;
}

function encodeXor(values: Float64Array, count: number): Uint8Array {
  const w = new BlockWriter(1 + count * 4);
  w.u8(CodecId.FLOAT_XOR);
  writeXor(w, values, count);
  return w.finish();
}

function encodeRle(values: Float64Array, count: number, runs: number): Uint8Array {
  const w = new BlockWriter(1 + runs * 10);
  w.u8(CodecId.FLOAT_RLE);
  w.uvarint(runs);
  let start = 0;
  for (let i = 1; i <= count; i++) {
    if (i === count || !sameFloat(values[i]!, values[start]!)) {
      w.uvarint(i - start);
      w.f64(values[start]!);
      start = i;
    }
  }
  return w.finish();
}

/** Decodes `count` floats from one block into out[0, count), bit-exact except NaN payloads. */
export function decodeFloats(bytes: Uint8Array, count: number, out: Float64Array): void {
  checkDecodeArgs(bytes, count, out.length);
  const id = bytes[0]!;
  const r = new BlockReader(bytes, 1);
  switch (id) {
    case CodecId.EMPTY:
      checkEmpty(bytes, count);
      return;
    case CodecId.FLOAT_RAW:
      readRawF64(r, count, out);
      break;
    case CodecId.FLOAT_CONST:
      out.fill(r.f64(), 0, count);
      break;
    case CodecId.FLOAT_RLE:
      readRle(r, count, out);
      break;
    case CodecId.FLOAT_DECIMAL:
      readDecimal(r, count, out);
      break;
    case CodecId.FLOAT_XOR:
      if (count === 0) throw corrupt(0, 'XOR block where 0 values were expected');
      readXor(r, count, out);
      break;
    default:
      throw wrongCodec(id, 'float');
  }
  r.expectEnd();
}

function readRle(r: BlockReader, count: number, out: Float64Array): void {
  const at = r.pos;
  const runs = r.uvarint();
  if (runs > count) throw corrupt(at, `${runs} runs in a block of ${count} values`);
  let i = 0;
  for (let k = 0; k < runs; k++) {
    const runAt = r.pos;
    const length = r.uvarint();
    if (length === 0 || length > count - i)
      throw corrupt(runAt, `Run of ${length} values does not fit the block`);
    out.fill(r.f64(), i, i + length);
    i += length;
  }
  if (i !== count) throw corrupt(r.pos, `Runs cover ${i} of ${count} values`);
}
