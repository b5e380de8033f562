/**
 * Little-endian byte writing and reading with varints, shared by the WAL, segment and codec layers.
 * Varints are LEB128; signed ones are zig-zag mapped first. Unsigned ones take any safe integer
 * (0..2^53-1), signed ones any integer with |v| <= 2^52 (zig-zag doubles the magnitude), without
 * BigInt: values past 32 bits take the arithmetic path.
 */

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: false });

/** Zig-zag maps signed to unsigned so small magnitudes stay small: 0,-1,1,-2 -> 0,1,2,3. */
export function zigzag(v: number): number {
  return v >= 0 ? v * 2 : -v * 2 - 1;
}

export function unzigzag(u: number): number {
  return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
}

export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  length = 0;

  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(Math.max(16, initialCapacity));
    this.view = new DataView(this.buf.buffer);
  }

  /** Empties the writer for reuse; a buffer grown past `keepBytes` is let go. */
  reset(keepBytes = 1 << 22): void {
    this.length = 0;
    if (this.buf.length > keepBytes) {
      this.buf = new Uint8Array(1 << 16);
      this.view = new DataView(this.buf.buffer);
    }
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    const need = this.length + n;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.length++] = v;
  }

  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.length, v, true);
    this.length += 4;
  }

  f64(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.length, v, true);
    this.length += 8;
  }

  /** Unsigned LEB128 of a non-negative safe integer. */
  uvarint(v: number): void {
    this.ensure(10);
    const b = this.buf;
    while (v >= 0x80000000) {
      b[this.length++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    while (v >= 0x80) {
      b[this.length++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    b[this.length++] = v;
  }

  /** Zig-zag LEB128 of an integer with |v| <= 2^52. */
  varint(v: number): void {
    this.uvarint(zigzag(v));
  }

  bytes(src: Uint8Array): void {
    this.ensure(src.length);
    this.buf.set(src, this.length);
    this.length += src.length;
  }

  /** Length-prefixed UTF-8. Short ASCII text (most tag values) is copied without TextEncoder. */
  string(s: string): void {
    const n = s.length;
    if (n < 128) {
      this.ensure(n + 1);
      const start = this.length;
      this.buf[start] = n;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        this.buf[start + 1 + i] = c;
      }
      if (i === n) {
        this.length = start + 1 + n;
        return;
      }
    }
    const encoded = textEncoder.encode(s);
    this.uvarint(encoded.length);
    this.bytes(encoded);
  }

  /** Overwrites 4 bytes at `offset` (for lengths and CRCs known only after the body). */
  patchU32(offset: number, v: number): void {
    this.view.setUint32(offset, v, true);
  }

  /** A view of the written bytes (no copy; valid until the next write). */
  peek(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }

  /** A copy of the written bytes. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/** Thrown by ByteReader when input ends early or is malformed; callers turn it into a CorruptionError. */
export class ByteReaderError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.offset = offset;
  }
}

export class ByteReader {
  readonly buf: Uint8Array;
  private readonly view: DataView;
  pos: number;
  readonly end: number;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = start;
    this.end = end;
  }

  private need(n: number): void {
    if (this.pos + n > this.end) throw new ByteReaderError('unexpected end of data', this.pos);
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  uvarint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      this.need(1);
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
    throw new ByteReaderError('varint longer than 8 bytes', this.pos);
  }

  varint(): number {
    return unzigzag(this.uvarint());
  }

  bytes(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Length-prefixed UTF-8; short ASCII (most names and tag values) skips TextDecoder's call cost. */
  string(): string {
    const n = this.uvarint();
    const bytes = this.bytes(n);
    if (n <= 64) {
      let ascii = '';
      for (let i = 0; i < n; i++) {
        const c = bytes[i]!;
        if (c >= 0x80) return textDecoder.decode(bytes);
        ascii += String.fromCharCode(c);
      }
      return ascii;
    }
    return textDecoder.decode(bytes);
  }
}
