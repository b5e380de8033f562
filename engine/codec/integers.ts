/**
 * Integer columns: safe integers held in doubles. Stored as an integer sequence of order 0, 1 or 2
 * (`int-for`, `int-delta`, `int-dod`), whichever packs smallest; anything else (fractions, NaN,
 * -0, values or ranges beyond 2^53-1) goes `int-raw`, so every double comes back identically.
 */
import { checkDecodeArgs, checkEmpty, checkEncodeArgs, emptyBlock, wrongCodec } from './args';
import { BlockReader, BlockWriter, readRawF64, writeRawF64 } from './block-io';
import { CodecId } from './ids';
import { allSafeIntegers, planSequence, readSequence, type SequenceOrder, writeSequence } from './sequence';

const ORDER_IDS = [CodecId.INT_FOR, CodecId.INT_DELTA, CodecId.INT_DOD] as const;

/** Encodes integers[0, count) (any double round-trips exactly; only safe integers compress). */
export function encodeIntegers(values: Float64Array, count: number): Uint8Array {
  checkEncodeArgs(values.length, count);
  if (count === 0) return emptyBlock();
  const plan = allSafeIntegers(values, count) ? planSequence(values, count, 2) : null;
  if (plan === null || plan.size >= count * 8) {
    const w = new BlockWriter(1 + count * 8);
    w.u8(CodecId.INT_RAW);
    writeRawF64(w, values, count);
    return w.finish();
  }
  const w = new BlockWriter(1 + plan.size);
  w.u8(ORDER_IDS[plan.order]);
  writeSequence(w, values, count, plan.order);
  return w.finish();
}

/** Decodes `count` integers from one block into out[0, count). */
export function decodeIntegers(bytes: Uint8Array, count: number, out: Float64Array): void {
  checkDecodeArgs(bytes, count, out.length);
  const id = bytes[0]!;
  const r = new BlockReader(bytes, 1);
  switch (id) {
    case CodecId.EMPTY:
      checkEmpty(bytes, count);
      return;
    case CodecId.INT_RAW:
      readRawF64(r, count, out);
      break;
    case CodecId.INT_FOR:
    case CodecId.INT_DELTA:
    case CodecId.INT_DOD:
      readSequence(r, count, (id - CodecId.INT_FOR) as SequenceOrder, out);
      break;
    default:
      throw wrongCodec(id, 'integer');
  }
  r.expectEnd();
}
