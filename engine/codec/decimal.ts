/**
 * Decimal-scaled floats (`float-decimal`, FORMAT.md): the ALP idea. Sensor readings are mostly
 * short decimals (21.37, 1013.2), so for the block's exponent e every such v satisfies
 * `Math.round(v * 10^e) / 10^e === v` exactly, and the scaled integers are stored as an integer
 * sequence. The decoder computes `n / 10^e`: the same correctly rounded division the encoder checked,
 * so the round trip is bit-exact. Values that do not fit (NaN, infinities, -0, too many digits, too
 * large) are kept verbatim in an exception list.
 */
import { type BlockReader, BlockWriter, corrupt } from './block-io';
import { CodecId } from './ids';
import { planSequence, readSequence, type SequenceOrder, writeSequence } from './sequence';

export const MAX_EXPONENT = 10;
/** Exact powers of ten (literals, not Math.pow, so there is no doubt about the last bit). */
const POW10 = new Float64Array([1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10]);
/** Scaled integers stay below 2^52 in magnitude so that their deltas are safe integers. */
const INT_LIMIT = 2 ** 52 - 1;
/** Rough cost of one exception in bits (position varint and the float64), to choose the exponent. */
const EXCEPTION_BITS = 80;
/** Blocks at least this long are sampled first, so that non-decimal data gives up early. */
const SAMPLE_FROM = 256;
const SAMPLE_SIZE = 64;
/** Extra bits per value per step of the exponent: log2(10). */
const BITS_PER_EXPONENT = Math.log2(10);

let exponents = new Int8Array(1024);
let ints = new Float64Array(1024);
let exceptionPos = new Int32Array(64);
let exceptionVals = new Float64Array(64);

function ensureScratch(n: number): void {
  if (ints.length < n) {
    const size = Math.max(n, ints.length * 2);
    exponents = new Int8Array(size);
    ints = new Float64Array(size);
  }
  if (exceptionPos.length < n) {
    const size = Math.max(n, exceptionPos.length * 2);
    exceptionPos = new Int32Array(size);
    exceptionVals = new Float64Array(size);
  }
}

/** The smallest e <= MAX_EXPONENT at which `v` survives decimal scaling, or -1. */
function minimalExponent(v: number): number {
  if (v === 0) return 1 / v > 0 ? 0 : -1; // -0 would come back as +0
  if (!(Math.abs(v) <= INT_LIMIT)) return -1; // NaN, infinities, huge
  for (let e = 0; e <= MAX_EXPONENT; e++) {
    const p = POW10[e]!;
    const n = Math.round(v * p);
    if (n / p === v) return Math.abs(n) <= INT_LIMIT ? e : -1;
  }
  return -1;
}

/**
 * Fills `exponents` and picks the block exponent trading bits per value (each step of e costs about
 * log2(10) bits) against exceptions. Returns -1 when no value fits at all.
 */
function chooseExponent(values: Float64Array, count: number): number {
  if (count >= SAMPLE_FROM && !sampleLooksDecimal(values, count)) return -1;
  const histogram = new Int32Array(MAX_EXPONENT + 1);
  for (let i = 0; i < count; i++) {
    const e = minimalExponent(values[i]!);
    exponents[i] = e;
    if (e >= 0) histogram[e]!++;
  }
  let best = -1;
  let bestCost = Number.POSITIVE_INFINITY;
  let fitting = 0;
  for (let e = 0; e <= MAX_EXPONENT; e++) {
    fitting += histogram[e]!;
    if (fitting === 0) continue;
    const cost = (count - fitting) * EXCEPTION_BITS + count * e * BITS_PER_EXPONENT;
    if (cost < bestCost) {
      bestCost = cost;
      best = e;
    }
  }
  return best;
}

/** True when at least half of an evenly spaced sample fits some exponent. */
function sampleLooksDecimal(values: Float64Array, count: number): boolean {
  let fitting = 0;
  for (let k = 0; k < SAMPLE_SIZE; k++) {
    if (minimalExponent(values[Math.floor((k * count) / SAMPLE_SIZE)]!) >= 0) fitting++;
  }
  return fitting * 2 >= SAMPLE_SIZE;
}

/**
 * Scales values to integers at exponent `e` into `ints`, recording exceptions; an exception's slot
 * repeats its neighbour's integer so it costs nothing in the deltas. Returns the exception count.
 */
function scaleToIntegers(values: Float64Array, count: number, e: number): number {
  const p = POW10[e]!;
  let exceptions = 0;
  let firstFit = -1;
  let prev = 0;
  for (let i = 0; i < count; i++) {
    const v = values[i]!;
    const ve = exponents[i]!;
    let n = Number.NaN;
    if (ve >= 0 && ve <= e) {
      n = Math.round(v * p);
      // fitting at a smaller exponent almost always means fitting at e too; "almost" is checked
      if (ve < e && (n / p !== v || Math.abs(n) > INT_LIMIT)) n = Number.NaN;
    }
    if (!Number.isNaN(n)) {
      ints[i] = prev = n;
      if (firstFit < 0) firstFit = i;
    } else {
      exceptionPos[exceptions++] = i;
      ints[i] = prev;
    }
  }
  if (firstFit > 0) ints.fill(ints[firstFit]!, 0, firstFit);
  return exceptions;
}

/** The `float-decimal` block of values[0, count), or null when the values are not decimal enough. */
export function encodeDecimal(values: Float64Array, count: number): Uint8Array | null {
  ensureScratch(count);
  const e = chooseExponent(values, count);
  if (e < 0) return null;
  const exceptions = scaleToIntegers(values, count, e);
  if (exceptions * 2 > count) return null;
  const plan = planSequence(ints, count, 2);
  if (plan === null) return null;
  const w = new BlockWriter(4 + plan.size + exceptions * 11);
  w.u8(CodecId.FLOAT_DECIMAL);
  w.u8(e);
  w.u8(plan.order);
  writeExceptions(w, values, exceptions);
  writeSequence(w, ints, count, plan.order);
  return w.finish();
}

function writeExceptions(w: BlockWriter, values: Float64Array, exceptions: number): void {
  w.uvarint(exceptions);
  let prev = -1;
  for (let k = 0; k < exceptions; k++) {
    const pos = exceptionPos[k]!;
    w.uvarint(pos - prev - 1);
    prev = pos;
  }
  for (let k = 0; k < exceptions; k++) w.f64(values[exceptionPos[k]!]!);
}

/** Reads a `float-decimal` block after its id byte; the caller checks the block ends there. */
export function readDecimal(r: BlockReader, count: number, out: Float64Array): void {
  const at = r.pos;
  const e = r.u8();
  const order = r.u8();
  if (e > MAX_EXPONENT) throw corrupt(at, `Decimal exponent ${e} is above ${MAX_EXPONENT}`);
  if (order > 2) throw corrupt(at + 1, `Integer sequence order ${order} is above 2`);
  const exceptions = readExceptions(r, count);
  readSequence(r, count, order as SequenceOrder, out);
  if (e > 0) {
    const p = POW10[e]!;
    for (let i = 0; i < count; i++) out[i] = out[i]! / p;
  }
  for (let k = 0; k < exceptions; k++) out[exceptionPos[k]!] = exceptionVals[k]!;
}

function readExceptions(r: BlockReader, count: number): number {
  const at = r.pos;
  const exceptions = r.uvarint();
  if (exceptions > count) throw corrupt(at, `${exceptions} exceptions in a block of ${count} values`);
  ensureScratch(exceptions);
  let pos = -1;
  for (let k = 0; k < exceptions; k++) {
    pos += r.uvarint() + 1;
    if (pos >= count) throw corrupt(r.pos, `Exception position ${pos} is past the block's ${count} values`);
    exceptionPos[k] = pos;
  }
  for (let k = 0; k < exceptions; k++) exceptionVals[k] = r.f64();
  return exceptions;
}
