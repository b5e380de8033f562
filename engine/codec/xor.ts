/**
 * Gorilla-style XOR float codec (`float-xor`, FORMAT.md): the fallback for values that are not
 * short decimals. Each value is XORed with the previous one; equal values cost one bit, and
 * otherwise only the "meaningful" bits between the leading and trailing zeros of the XOR are
 * stored, reusing the previous window when they fit in it. 64-bit words are handled as two 32-bit
 * halves, so no BigInt is involved. Bit-exact for every float64, NaN payloads included.
 */

import { copyWordsOut, loadWords, scratchWords } from './bitpack';
import { type BlockReader, type BlockWriter, corrupt, LITTLE_ENDIAN } from './block-io';

/** Index of the low and high 32-bit half of a float64 in a Uint32Array over float64 storage. */
const LO = LITTLE_ENDIAN ? 0 : 1;
const HI = 1 - LO;
/** Worst case per value: 2 control bits, 5 + 6 window bits, 64 meaningful bits. */
const MAX_BITS_PER_VALUE = 77;

function trailingZeros(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/** Appends bits LSB-first into 32-bit words. */
class BitWriter {
  private readonly words: Uint32Array;
  private k = 0;
  private acc = 0;
  private bits = 0;

  constructor(words: Uint32Array) {
    this.words = words;
  }

  /** Writes the low `n` (1..32) bits of `v`; `v` must be below 2^n. */
  write(v: number, n: number): void {
    this.acc |= v << this.bits;
    this.bits += n;
    if (this.bits >= 32) {
      this.words[this.k++] = this.acc;
      this.bits -= 32;
      this.acc = this.bits > 0 ? v >>> (n - this.bits) : 0;
    }
  }

  /** Flushes the partial word; returns the number of words written. */
  finish(): number {
    if (this.bits > 0) this.words[this.k++] = this.acc;
    return this.k;
  }
}

/** Writes the meaningful bits (x >>> trail, `len` of them) of the 64-bit XOR xh:xl. */
function writeMeaningful(bw: BitWriter, xh: number, xl: number, trail: number, len: number): void {
  let mlo: number;
  let mhi: number;
  if (trail === 0) {
    mlo = xl;
    mhi = xh;
  } else if (trail < 32) {
    mlo = (xl >>> trail) | (xh << (32 - trail));
    mhi = xh >>> trail;
  } else {
    mlo = xh >>> (trail - 32);
    mhi = 0;
  }
  if (len <= 32) {
    bw.write(mlo, len);
  } else {
    bw.write(mlo, 32);
    bw.write(mhi, len - 32);
  }
}

/** Appends the XOR bit stream of values[0, count) (count >= 1) to `w`. */
export function writeXor(w: BlockWriter, values: Float64Array, count: number): void {
  const bits = new Uint32Array(values.buffer, values.byteOffset, count * 2);
  const bw = new BitWriter(scratchWords(Math.ceil((64 + MAX_BITS_PER_VALUE * count) / 32) + 1));
  let lo = bits[LO]!;
  let hi = bits[HI]!;
  bw.write(lo, 32);
  bw.write(hi, 32);
  let winLead = -1;
  let winTrail = 0;
  let winLen = 0;
  for (let i = 1; i < count; i++) {
    const nlo = bits[2 * i + LO]!;
    const nhi = bits[2 * i + HI]!;
    const xl = nlo ^ lo;
    const xh = nhi ^ hi;
    lo = nlo;
    hi = nhi;
    if (xl === 0 && xh === 0) {
      bw.write(0, 1);
      continue;
    }
    const lead = Math.min(31, xh !== 0 ? Math.clz32(xh) : 32 + Math.clz32(xl));
    const trail = xl !== 0 ? trailingZeros(xl) : 32 + trailingZeros(xh);
    if (winLead >= 0 && lead >= winLead && trail >= winTrail) {
      bw.write(0b01, 2); // 1 then 0: reuse the window
      writeMeaningful(bw, xh, xl, winTrail, winLen);
    } else {
      winLead = lead;
      winTrail = trail;
      winLen = 64 - lead - trail;
      bw.write(0b11, 2); // 1 then 1: new window
      bw.write(winLead, 5);
      bw.write(winLen - 1, 6);
      writeMeaningful(bw, xh, xl, winTrail, winLen);
    }
  }
  copyWordsOut(w, bw.finish());
}

/**
 * Reads `count` values (count >= 1) from the rest of the block. The stream must end within its
 * last word: bits left beyond that mean a wrong count or corruption.
 */
export function readXor(r: BlockReader, count: number, out: Float64Array): void {
  const start = r.pos;
  if (r.remaining % 4 !== 0) throw corrupt(start, 'XOR stream is not a whole number of 32-bit words');
  const nWords = r.remaining / 4;
  const words = loadWords(r.bytes(r.remaining, 'XOR stream'));
  const limit = nWords * 32;
  const bits = new Uint32Array(out.buffer, out.byteOffset, count * 2);
  if (limit < 64) throw corrupt(start, 'Truncated XOR stream');
  let lo = words[0]!;
  let hi = words[1]!;
  bits[LO] = lo;
  bits[HI] = hi;
  let pos = 64;
  let winTrail = -1;
  let winLen = 0;
  for (let i = 1; i < count; i++) {
    if (pos >= limit) throw corrupt(start + (pos >>> 3), 'Truncated XOR stream');
    const control = readBits(words, pos, 2);
    if ((control & 1) === 0) {
      pos += 1;
    } else {
      if (pos + 2 > limit) throw corrupt(start + (pos >>> 3), 'Truncated XOR stream');
      pos += 2;
      if (control === 0b11) {
        if (pos + 11 > limit) throw corrupt(start + (pos >>> 3), 'Truncated XOR window');
        const lead = readBits(words, pos, 5);
        winLen = readBits(words, pos + 5, 6) + 1;
        pos += 11;
        winTrail = 64 - lead - winLen;
        if (winTrail < 0) throw corrupt(start + (pos >>> 3), 'XOR window wider than 64 bits');
      } else if (winTrail < 0) {
        throw corrupt(start + (pos >>> 3), 'XOR window reused before one was set');
      }
      if (pos + winLen > limit) throw corrupt(start + (pos >>> 3), 'Truncated XOR value');
      const mlo = readBits(words, pos, Math.min(winLen, 32));
      const mhi = winLen > 32 ? readBits(words, pos + 32, winLen - 32) : 0;
      pos += winLen;
      if (winTrail === 0) {
        lo ^= mlo;
        hi ^= mhi;
      } else if (winTrail < 32) {
        lo ^= mlo << winTrail;
        hi ^= (mhi << winTrail) | (mlo >>> (32 - winTrail));
      } else {
        hi ^= mlo << (winTrail - 32);
      }
    }
    bits[2 * i + LO] = lo;
    bits[2 * i + HI] = hi;
  }
  if (Math.ceil(pos / 32) !== nWords)
    throw corrupt(start + Math.ceil(pos / 32) * 4, 'Trailing bytes after XOR stream');
  r.pos = r.buf.length;
}

/** `n` (1..32) bits at bit `pos`, LSB-first. The word after `pos`'s word must exist (loadWords pads). */
function readBits(words: Uint32Array, pos: number, n: number): number {
  const k = pos >>> 5;
  const s = pos & 31;
  const v = (words[k]! >>> s) | ((words[k + 1]! << 1) << (31 - s));
  return n === 32 ? v >>> 0 : v & (0xffffffff >>> (32 - n));
}
