/**
 * Byte-level reading and writing for codec blocks: a growable writer, a bounds-checked reader that
 * throws CorruptionError, the signed varint used for initial values, and raw little-endian float64
 * copies. Everything a block holds beyond its bit-packed payload goes through here.
 */
import { CorruptionError } from '../errors';

/** Name used as the "file" of codec CorruptionErrors; the segment or WAL reader knows the real file. */
export const BLOCK_WHAT = 'encoded column block';

export const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** True on every platform Node ships for in practice; the big-endian paths exist for correctness. */
export const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** A CorruptionError at `offset` within the block. */
export function corrupt(offset: number, what: string): CorruptionError {
  return new CorruptionError(BLOCK_WHAT, offset, what);
}

/** Bytes of the unsigned LEB128 encoding of `v` (a non-negative safe integer). */
export function uvarintSize(v: number): number {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/** Bytes of the sign-magnitude varint of `v` (any safe integer), see BlockWriter.svarint. */
export function svarintSize(v: number): number {
  const u = Math.abs(v);
  return u < 64 ? 1 : 1 + uvarintSize(Math.floor(u / 64));
}

export class BlockWriter {
  buf: Uint8Array;
  private view: DataView;
  pos = 0;

  constructor(capacity: number) {
    this.buf = new Uint8Array(Math.max(16, capacity));
    this.view = new DataView(this.buf.buffer);
  }

  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    const next = new Uint8Array(Math.max(need, this.buf.length * 2));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  /** Unsigned LEB128 of a non-negative safe integer. */
  uvarint(v: number): void {
    this.ensure(8);
    while (v >= 128) {
      this.buf[this.pos++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }

  /**
   * Sign-magnitude varint of any safe integer: the first byte holds a continuation bit (0x80), the
   * sign (0x40) and the low 6 bits of |v|; the rest of |v| follows as unsigned LEB128. Unlike zig-zag
   * this covers the full +-(2^53-1) without leaving exact double arithmetic.
   */
  svarint(v: number): void {
    const u = Math.abs(v);
    const sign = v < 0 ? 0x40 : 0;
    if (u < 64) {
      this.u8(sign | u);
      return;
    }
    this.u8(0x80 | sign | (u % 64));
    this.uvarint(Math.floor(u / 64));
  }

  f64(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  bytes(src: Uint8Array): void {
    this.ensure(src.length);
    this.buf.set(src, this.pos);
    this.pos += src.length;
  }

  /** The written bytes, copied to a buffer of exactly their length. */
  finish(): Uint8Array {
    return this.pos === this.buf.length ? this.buf : this.buf.slice(0, this.pos);
  }
}

export class BlockReader {
  readonly buf: Uint8Array;
  private readonly view: DataView;
  pos: number;

  constructor(buf: Uint8Array, start: number) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = start;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number, what: string): void {
    if (this.pos + n > this.buf.length) throw corrupt(this.pos, `Truncated ${what}`);
  }

  u8(): number {
    this.need(1, 'byte');
    return this.buf[this.pos++]!;
  }

  /** Unsigned LEB128, at most 8 bytes and at most 2^53-1. */
  uvarint(): number {
    const start = this.pos;
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      this.need(1, 'varint');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) {
        if (result > MAX_SAFE) throw corrupt(start, 'Varint larger than 2^53-1');
        return result;
      }
      mul *= 128;
    }
    throw corrupt(start, 'Varint longer than 8 bytes');
  }

  /** The sign-magnitude varint written by BlockWriter.svarint. */
  svarint(): number {
    const start = this.pos;
    const first = this.u8();
    let u = first & 0x3f;
    if (first & 0x80) {
      const rest = this.uvarint();
      if (rest === 0) throw corrupt(start, 'Non-canonical signed varint');
      u += rest * 64;
      if (u > MAX_SAFE) throw corrupt(start, 'Signed varint larger than 2^53-1');
    }
    if (first & 0x40) {
      if (u === 0) throw corrupt(start, 'Negative zero in signed varint');
      return -u;
    }
    return u;
  }

  f64(): number {
    this.need(8, 'float64');
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** A view (no copy) of the next `n` bytes. */
  bytes(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Blocks are exact: bytes left over after the last value mean the block or its count is wrong. */
  expectEnd(): void {
    if (this.pos !== this.buf.length) {
      throw corrupt(this.pos, `${this.buf.length - this.pos} unexpected trailing bytes`);
    }
  }
}

/** Appends `count` float64 values as raw little-endian bytes (bit-exact, NaN payloads included). */
export function writeRawF64(w: BlockWriter, values: Float64Array, count: number): void {
  w.ensure(count * 8);
  if (LITTLE_ENDIAN) {
    w.buf.set(new Uint8Array(values.buffer, values.byteOffset, count * 8), w.pos);
    w.pos += count * 8;
    return;
  }
  for (let i = 0; i < count; i++) w.f64(values[i]!);
}

/** Reads what writeRawF64 wrote; the block must hold exactly `count` values after the reader. */
export function readRawF64(r: BlockReader, count: number, out: Float64Array): void {
  if (r.remaining !== count * 8) {
    throw corrupt(
      r.pos,
      `Raw block holds ${r.remaining} bytes where ${count} float64 values need ${count * 8}`,
    );
  }
  if (LITTLE_ENDIAN) {
    new Uint8Array(out.buffer, out.byteOffset, count * 8).set(r.bytes(count * 8, 'raw values'));
    return;
  }
  for (let i = 0; i < count; i++) out[i] = r.f64();
}
