import type { ByteOrder, ModbusValue, ValueLayout, ValueType } from './types';

/**
 * Register values to numbers and back. A value of n registers is n 16-bit words as they arrived;
 * `order` says how its bytes are arranged (types.ts). Decoding puts the bytes back in big-endian
 * order and reads them with a DataView, so every type and order goes through one path.
 */

const WORDS: Readonly<Record<Exclude<ValueType, 'string'>, number>> = {
  bool: 1,
  int16: 1,
  uint16: 1,
  int32: 2,
  uint32: 2,
  int64: 4,
  uint64: 4,
  float32: 2,
  float64: 4,
};

/** Registers a value of this layout occupies. */
export function registerCount(layout: Pick<ValueLayout, 'type' | 'length'>): number {
  return layout.type === 'string' ? layout.length : WORDS[layout.type];
}

const swapsWords = (order: ByteOrder) => order === 'CDAB' || order === 'DCBA';
const swapsBytes = (order: ByteOrder) => order === 'BADC' || order === 'DCBA';

/** The words of a value as big-endian bytes (the order undone). */
function toBigEndian(words: ArrayLike<number>, order: ByteOrder): DataView {
  const n = words.length;
  const view = new DataView(new ArrayBuffer(n * 2));
  // A 16-bit value has no word order: only the byte swap applies to it.
  const reverse = n > 1 && swapsWords(order);
  for (let i = 0; i < n; i++) {
    const word = words[reverse ? n - 1 - i : i]! & 0xffff;
    view.setUint16(i * 2, word, swapsBytes(order));
  }
  return view;
}

/** Big-endian bytes back into words in `order` (the inverse of toBigEndian). */
function fromBigEndian(view: DataView, order: ByteOrder): number[] {
  const n = view.byteLength / 2;
  const words = new Array<number>(n);
  const reverse = n > 1 && swapsWords(order);
  for (let i = 0; i < n; i++) words[reverse ? n - 1 - i : i] = view.getUint16(i * 2, swapsBytes(order));
  return words;
}

/** The raw value of `words` (exactly registerCount(layout) of them), before scale and offset. */
function rawValue(view: DataView, type: ValueType): number | bigint {
  switch (type) {
    case 'bool':
    case 'uint16':
      return view.getUint16(0);
    case 'int16':
      return view.getInt16(0);
    case 'int32':
      return view.getInt32(0);
    case 'uint32':
      return view.getUint32(0);
    case 'float32':
      return view.getFloat32(0);
    case 'float64':
      return view.getFloat64(0);
    case 'int64':
      return view.getBigInt64(0);
    case 'uint64':
      return view.getBigUint64(0);
    case 'string':
      throw new Error('a string has no numeric value');
  }
}

/**
 * Values as numbers. A 64-bit integer is exact up to 2^53 and rounded to the nearest double past
 * it: the engine stores integers exactly only to 2^53 and refuses a larger BigInt, which would
 * lose the whole poll's readings for one counter.
 */
function scaled(raw: number | bigint, layout: ValueLayout): number {
  if (layout.scale === 1 && layout.offset === 0) return Number(raw);
  return Number(raw) * layout.scale + layout.offset;
}

/** Text of a string register block: two characters per register, NULs and trailing spaces dropped. */
function decodeString(view: DataView): string {
  let out = '';
  for (let i = 0; i < view.byteLength; i++) {
    const c = view.getUint8(i);
    if (c === 0) break;
    out += String.fromCharCode(c);
  }
  return out.trimEnd();
}

/** Decodes one value from its registers. */
export function decodeRegisters(words: ArrayLike<number>, layout: ValueLayout): ModbusValue {
  if (words.length !== registerCount(layout)) {
    throw new RangeError(`${layout.type} takes ${registerCount(layout)} register(s), got ${words.length}`);
  }
  const view = toBigEndian(words, layout.order);
  if (layout.type === 'string') return decodeString(view);
  if (layout.type === 'bool') {
    const word = view.getUint16(0);
    return layout.bit === null ? word !== 0 : ((word >> layout.bit) & 1) === 1;
  }
  return scaled(rawValue(view, layout.type), layout);
}

/** The raw integer or float a user's value stands for, with scale and offset undone. */
function unscaled(value: number | bigint, layout: ValueLayout): number | bigint {
  if (layout.scale === 1 && layout.offset === 0) return value;
  return (Number(value) - layout.offset) / layout.scale;
}

const INTEGER_RANGE: Readonly<Record<string, readonly [number, number]>> = {
  int16: [-0x8000, 0x7fff],
  uint16: [0, 0xffff],
  int32: [-0x80000000, 0x7fffffff],
  uint32: [0, 0xffffffff],
};

/** Why `value` cannot be written as `type`, or null. */
function integerProblem(raw: number | bigint, type: ValueType): string | null {
  if (typeof raw === 'number' && !Number.isFinite(raw)) return 'is not a finite number';
  const range = INTEGER_RANGE[type];
  if (range) {
    const n = Number(raw);
    if (!Number.isInteger(Math.round(n * 1e9) / 1e9)) return 'is not a whole number';
    if (n < range[0] || n > range[1]) return `is outside ${type} (${range[0]} to ${range[1]})`;
    return null;
  }
  const big = typeof raw === 'bigint' ? raw : Number.isInteger(raw) ? BigInt(raw) : null;
  if (big === null) return 'is not a whole number';
  if (type === 'uint64' && (big < 0n || big > 0xffffffffffffffffn)) return 'is outside uint64';
  if (type === 'int64' && (big < -(2n ** 63n) || big >= 2n ** 63n)) return 'is outside int64';
  return null;
}

function writeRaw(view: DataView, raw: number | bigint, type: ValueType): void {
  switch (type) {
    case 'bool':
      view.setUint16(0, raw ? 1 : 0);
      return;
    case 'int16':
      view.setInt16(0, Math.round(Number(raw)));
      return;
    case 'uint16':
      view.setUint16(0, Math.round(Number(raw)));
      return;
    case 'int32':
      view.setInt32(0, Math.round(Number(raw)));
      return;
    case 'uint32':
      view.setUint32(0, Math.round(Number(raw)));
      return;
    case 'float32':
      view.setFloat32(0, Number(raw));
      return;
    case 'float64':
      view.setFloat64(0, Number(raw));
      return;
    case 'int64':
      view.setBigInt64(0, typeof raw === 'bigint' ? raw : BigInt(Math.round(raw)));
      return;
    case 'uint64':
      view.setBigUint64(0, typeof raw === 'bigint' ? raw : BigInt(Math.round(raw)));
      return;
    case 'string':
      throw new Error('a string has no numeric value');
  }
}

/**
 * The registers that hold `value` in `layout`, for a write. Throws a RangeError whose message says
 * what is wrong with the value (a caller puts the field name in front).
 */
export function encodeRegisters(value: unknown, layout: ValueLayout): number[] {
  const view = new DataView(new ArrayBuffer(registerCount(layout) * 2));
  if (layout.type === 'string') {
    if (typeof value !== 'string') throw new RangeError('takes a string');
    if (value.length > view.byteLength) throw new RangeError(`is longer than ${view.byteLength} characters`);
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (c > 0xff) throw new RangeError('holds a character outside Latin-1');
      view.setUint8(i, c);
    }
    return fromBigEndian(view, layout.order);
  }
  if (layout.type === 'bool') {
    if (layout.bit !== null) throw new RangeError('is one bit of a register: write the whole register');
    if (typeof value !== 'boolean' && value !== 0 && value !== 1) throw new RangeError('takes true or false');
    writeRaw(view, value ? 1 : 0, 'bool');
    return fromBigEndian(view, layout.order);
  }
  if (typeof value !== 'number' && typeof value !== 'bigint') throw new RangeError('takes a number');
  const raw = unscaled(value, layout);
  const isFloat = layout.type === 'float32' || layout.type === 'float64';
  const problem = isFloat ? null : integerProblem(raw, layout.type);
  if (problem) throw new RangeError(problem);
  writeRaw(view, raw, layout.type);
  return fromBigEndian(view, layout.order);
}

/** Bit `i` of a coil or discrete-input reply (bits packed LSB first, as the protocol sends them). */
export function bitAt(bytes: Uint8Array, i: number): boolean {
  return ((bytes[i >> 3]! >> (i & 7)) & 1) === 1;
}
