/**
 * Boolean columns: `bool-const` when every value is the same, else `bool-bitmap` (one bit per value,
 * LSB first). Any non-zero input byte is true and decodes as 1.
 */
import { checkDecodeArgs, checkEmpty, checkEncodeArgs, emptyBlock, wrongCodec } from './args';
import { BlockReader, corrupt } from './block-io';
import { CodecId } from './ids';

/** Encodes booleans[0, count), one byte per value in, any non-zero byte meaning true. */
export function encodeBooleans(values: Uint8Array, count: number): Uint8Array {
  checkEncodeArgs(values.length, count);
  if (count === 0) return emptyBlock();
  const first = values[0]! !== 0;
  let i = 1;
  while (i < count && (values[i]! !== 0) === first) i++;
  if (i === count) return Uint8Array.of(CodecId.BOOL_CONST, first ? 1 : 0);
  const out = new Uint8Array(1 + Math.ceil(count / 8));
  out[0] = CodecId.BOOL_BITMAP;
  for (let j = 0; j < count; j++) if (values[j]! !== 0) out[1 + (j >> 3)]! |= 1 << (j & 7);
  return out;
}

/** Decodes `count` booleans from one block into out[0, count) as 0 or 1. */
export function decodeBooleans(bytes: Uint8Array, count: number, out: Uint8Array): void {
  checkDecodeArgs(bytes, count, out.length);
  const id = bytes[0]!;
  const r = new BlockReader(bytes, 1);
  switch (id) {
    case CodecId.EMPTY:
      checkEmpty(bytes, count);
      return;
    case CodecId.BOOL_CONST: {
      const v = r.u8();
      if (v > 1) throw corrupt(1, `Boolean constant ${v} is neither 0 nor 1`);
      out.fill(v, 0, count);
      break;
    }
    case CodecId.BOOL_BITMAP:
      readBitmap(r, count, out);
      break;
    default:
      throw wrongCodec(id, 'boolean');
  }
  r.expectEnd();
}

function readBitmap(r: BlockReader, count: number, out: Uint8Array): void {
  const bits = r.bytes(Math.ceil(count / 8), 'bitmap');
  for (let i = 0; i < count; i++) out[i] = (bits[i >> 3]! >> (i & 7)) & 1;
  const spare = count & 7;
  if (spare !== 0 && bits[bits.length - 1]! >> spare !== 0) {
    throw corrupt(r.pos - 1, 'Bitmap has bits set past the last value');
  }
}
