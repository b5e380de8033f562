/**
 * Column codecs: how segment files and WAL records compress one column of a chunk (one series'
 * rows). Every encoded block starts with a one-byte codec id, so decoders dispatch on it and the
 * format can grow; the encoders pick the smallest codec for each block. The value count is not in
 * the block: the caller stores it and passes the same count to decode. FORMAT.md beside this file
 * is the byte-level specification.
 *
 * Contract shared by every pair below:
 * - `encodeX(values, count)` encodes values[0, count); `values` may be longer. Throws
 *   InvalidInputError if count is negative, fractional or larger than values.length.
 * - `decodeX(bytes, count, out)` takes exactly one block as encodeX returned it and writes exactly
 *   out[0, count). Throws CorruptionError (with the offset inside the block) when the bytes are
 *   truncated, have trailing bytes, or are structurally invalid, and InvalidInputError when `out` is
 *   shorter than count. A decoder never loops past the block's bytes or `count`.
 */
export { decodeBooleans, encodeBooleans } from './booleans';
export { decodeFloats, encodeFloats } from './floats';
export { decodeIntegers, encodeIntegers } from './integers';
export { decodeStrings, encodeStrings } from './strings';
export { decodeTimestamps, encodeTimestamps } from './timestamps';

import { nameOfCodec } from './ids';

/**
 * Codec name of an encoded block, for EXPLAIN and stats: 'ts-dod', 'float-decimal', 'float-xor', ...
 * (the full list is in FORMAT.md). Never throws: an empty or unknown block is named
 * 'unknown-0xNN' (or 'unknown-empty').
 */
export function codecName(bytes: Uint8Array): string {
  if (bytes.length === 0) return 'unknown-empty';
  return nameOfCodec(bytes[0]!);
}
