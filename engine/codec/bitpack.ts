/**
 * Frame-of-reference bit-packing of integer sequences, the workhorse behind the timestamp, integer,
 * decimal-float and string-index codecs (FORMAT.md, "Packed frames" and "Integer sequences").
 *
 * Values are cut into frames of 128. Each frame stores its minimum and the bit width of
 * (max - min); every value is stored as (value - min) in that many bits. The frame minimum plays the
 * part zig-zag plays elsewhere: small negative and positive residues both cost few bits, and a
 * frame of all-equal values costs one header byte. All frame headers come first, then all frame
 * payloads; each payload is a whole number of little-endian 32-bit words, so the decoder copies the
 * payload region once into an aligned scratch buffer and unpacks with plain 32-bit word loads.
 *
 * Values are integers held in doubles. Any safe integer is allowed as long as each frame's range
 * (max - min) is a safe integer too; widths above 32 bits store the low 32 bits as a plain word
 * and the high (width - 32) bits packed after them, so no BigInt is needed anywhere.
 */
import {
  type BlockReader,
  type BlockWriter,
  corrupt,
  LITTLE_ENDIAN,
  MAX_SAFE,
  uvarintSize,
} from './block-io';

/** Values per frame. */
export const FRAME = 128;
/** Largest bit width a frame may use: ranges are safe integers. */
const MAX_WIDTH = 53;
const TWO32 = 4294967296;
const MIN_ZERO = 0;
const MIN_POSITIVE = 1;
const MIN_NEGATIVE = 2;

// Module-level scratch, grown on demand and reused: decoding and encoding allocate nothing per value.
let words = new Uint32Array(1024);
let wordBytes = new Uint8Array(words.buffer);
let frameMins = new Float64Array(64);
let frameWidths = new Uint8Array(64);

function ensureWords(n: number): void {
  if (words.length >= n) return;
  words = new Uint32Array(Math.max(n, words.length * 2));
  wordBytes = new Uint8Array(words.buffer);
}

/** The shared word scratch with room for `n` words, for other bit-stream writers (float-xor). */
export function scratchWords(n: number): Uint32Array {
  ensureWords(n);
  return words;
}

function ensureFrames(n: number): void {
  if (frameMins.length >= n) return;
  const size = Math.max(n, frameMins.length * 2);
  frameMins = new Float64Array(size);
  frameWidths = new Uint8Array(size);
}

/** Bits needed for `r`, a safe non-negative integer: 0 for 0, 1 for 1, 2 for 2..3, ... */
function bitLength(r: number): number {
  return r < TWO32 ? 32 - Math.clz32(r) : 64 - Math.clz32(Math.floor(r / TWO32));
}

/** Payload bytes of a frame of `n` values at `width` bits (always whole 32-bit words). */
function frameDataBytes(n: number, width: number): number {
  if (width <= 32) return Math.ceil((n * width) / 32) * 4;
  return n * 4 + Math.ceil((n * (width - 32)) / 32) * 4;
}

function frameHeaderBytes(min: number): number {
  return min === 0 ? 1 : 1 + uvarintSize(Math.abs(min));
}

/**
 * Exact encoded size of vals[start, end) as packed frames, or Infinity when some frame's range is
 * not a safe integer. Callers guarantee the values are safe integers.
 */
export function packedSize(vals: Float64Array, start: number, end: number): number {
  let size = 0;
  for (let f = start; f < end; f += FRAME) {
    const fe = Math.min(f + FRAME, end);
    let min = vals[f]!;
    let max = min;
    for (let i = f + 1; i < fe; i++) {
      const v = vals[i]!;
      if (v < min) min = v;
      else if (v > max) max = v;
    }
    const range = max - min;
    if (!(range <= MAX_SAFE)) return Number.POSITIVE_INFINITY;
    size += frameHeaderBytes(min) + frameDataBytes(fe - f, bitLength(range));
  }
  return size;
}

/** Writes vals[start, end) as packed frames. packedSize must have returned a finite size for them. */
export function writePacked(w: BlockWriter, vals: Float64Array, start: number, end: number): void {
  const frames = Math.ceil((end - start) / FRAME);
  ensureFrames(frames);
  for (let k = 0, f = start; f < end; k++, f += FRAME)
    writeFrameHeader(w, vals, f, Math.min(f + FRAME, end), k);
  for (let k = 0, f = start; f < end; k++, f += FRAME) {
    const fe = Math.min(f + FRAME, end);
    const nWords = packFrame(vals, f, fe, frameMins[k]!, frameWidths[k]!);
    copyWordsOut(w, nWords);
  }
}

function writeFrameHeader(w: BlockWriter, vals: Float64Array, f: number, fe: number, k: number): void {
  let min = vals[f]!;
  let max = min;
  for (let i = f + 1; i < fe; i++) {
    const v = vals[i]!;
    if (v < min) min = v;
    else if (v > max) max = v;
  }
  const width = bitLength(max - min);
  frameMins[k] = min;
  frameWidths[k] = width;
  if (min === 0) {
    w.u8((MIN_ZERO << 6) | width);
  } else {
    w.u8(((min > 0 ? MIN_POSITIVE : MIN_NEGATIVE) << 6) | width);
    w.uvarint(Math.abs(min));
  }
}

/** Packs vals[f, fe) - min into `words`; returns the number of words used. */
function packFrame(vals: Float64Array, f: number, fe: number, min: number, width: number): number {
  const n = fe - f;
  if (width === 0) return 0;
  ensureWords(frameDataBytes(n, width) / 4);
  if (width <= 32) return packBits(vals, f, fe, min, width, 0, 0);
  // Wide values: the low 32 bits as plain words, then the high bits packed.
  for (let i = 0; i < n; i++) words[i] = (vals[f + i]! - min) % TWO32;
  return packBits(vals, f, fe, min, width - 32, n, TWO32);
}

/**
 * Packs (v - min), or floor((v - min) / 2^32) when `div` is 2^32, at `width` bits from word `k0`,
 * least significant bit first. Returns the index after the last word written.
 */
function packBits(
  vals: Float64Array,
  f: number,
  fe: number,
  min: number,
  width: number,
  k0: number,
  div: number,
): number {
  let k = k0;
  let acc = 0;
  let bits = 0;
  for (let i = f; i < fe; i++) {
    const d = vals[i]! - min;
    const u = (div === 0 ? d : Math.floor(d / div)) >>> 0;
    acc |= u << bits;
    bits += width;
    if (bits >= 32) {
      words[k++] = acc;
      bits -= 32;
      acc = bits > 0 ? u >>> (width - bits) : 0;
    }
  }
  if (bits > 0) words[k++] = acc;
  return k;
}

/** Appends the first `nWords` scratch words to `w` as little-endian bytes. */
export function copyWordsOut(w: BlockWriter, nWords: number): void {
  const n = nWords * 4;
  w.ensure(n);
  if (LITTLE_ENDIAN) {
    w.buf.set(wordBytes.subarray(0, n), w.pos);
    w.pos += n;
    return;
  }
  for (let k = 0; k < nWords; k++) {
    const v = words[k]!;
    w.buf[w.pos++] = v & 0xff;
    w.buf[w.pos++] = (v >>> 8) & 0xff;
    w.buf[w.pos++] = (v >>> 16) & 0xff;
    w.buf[w.pos++] = v >>> 24;
  }
}

/**
 * Reads `n` packed values into out[outStart, outStart + n). Throws CorruptionError on a bad header
 * or when the block is too short; values of a well-formed but wrong block are not detectable here.
 */
export function readPacked(r: BlockReader, n: number, out: Float64Array, outStart: number): void {
  const frames = Math.ceil(n / FRAME);
  ensureFrames(frames);
  let dataBytes = 0;
  for (let k = 0; k < frames; k++) {
    const at = r.pos;
    const header = r.u8();
    const width = header & 63;
    const minKind = header >> 6;
    if (width > MAX_WIDTH) throw corrupt(at, `Frame bit width ${width} is above ${MAX_WIDTH}`);
    if (minKind === MIN_ZERO) frameMins[k] = 0;
    else if (minKind === MIN_POSITIVE) frameMins[k] = r.uvarint();
    else if (minKind === MIN_NEGATIVE) frameMins[k] = -r.uvarint();
    else throw corrupt(at, 'Invalid frame minimum kind 3');
    frameWidths[k] = width;
    dataBytes += frameDataBytes(Math.min(FRAME, n - k * FRAME), width);
  }
  loadWords(r.bytes(dataBytes, 'packed frames'));
  let word = 0;
  for (let k = 0; k < frames; k++) {
    const start = outStart + k * FRAME;
    const count = Math.min(FRAME, n - k * FRAME);
    const width = frameWidths[k]!;
    unpackFrame(word, count, width, frameMins[k]!, out, start);
    word += frameDataBytes(count, width) / 4;
  }
}

/**
 * Copies a payload region (a whole number of words) into the aligned word scratch, plus one zero
 * word past its end, and returns the scratch.
 */
export function loadWords(data: Uint8Array): Uint32Array {
  const nWords = data.length / 4;
  ensureWords(nWords + 1);
  if (LITTLE_ENDIAN) {
    wordBytes.set(data);
  } else {
    for (let k = 0; k < nWords; k++) {
      const p = k * 4;
      words[k] = (data[p]! | (data[p + 1]! << 8) | (data[p + 2]! << 16) | (data[p + 3]! << 24)) >>> 0;
    }
  }
  // bit readers load the word after a value's first word unconditionally; keep it in bounds.
  words[nWords] = 0;
  return words;
}

function unpackFrame(
  word: number,
  n: number,
  width: number,
  min: number,
  out: Float64Array,
  o: number,
): void {
  if (width === 0) {
    out.fill(min, o, o + n);
  } else if (width < 32) {
    unpackBits(word, n, width, min, out, o);
  } else if (width === 32) {
    for (let i = 0; i < n; i++) out[o + i] = min + words[word + i]!;
  } else {
    // high bits first into out, then add the low words
    unpackBits(word + n, n, width - 32, 0, out, o);
    for (let i = 0; i < n; i++) out[o + i] = min + (out[o + i]! * TWO32 + words[word + i]!);
  }
}

/** The hot loop: `n` values of `width` (1..31) bits from word `word`, each plus `min`. */
function unpackBits(word: number, n: number, width: number, min: number, out: Float64Array, o: number): void {
  const src = words;
  const mask = 0xffffffff >>> (32 - width);
  let bit = 0;
  for (let i = 0; i < n; i++) {
    const k = word + (bit >>> 5);
    const s = bit & 31;
    // (w1 << 1) << (31 - s) is w1 << (32 - s) that yields 0 for s = 0 (JS shifts count mod 32).
    const v = ((src[k]! >>> s) | ((src[k + 1]! << 1) << (31 - s))) & mask;
    out[o + i] = min + v;
    bit += width;
  }
}
