/**
 * Integer sequences: a run of safe integers stored as its `order`-th differences in packed frames
 * (FORMAT.md, "Integer sequences"). Order 0 is plain frame-of-reference, order 1 stores deltas
 * (counters, random walks, jittered clocks), order 2 deltas of deltas (regular clocks). The encoder
 * prices every order exactly without writing anything and keeps the cheapest.
 */

import { packedSize, readPacked, writePacked } from './bitpack';
import { type BlockReader, type BlockWriter, MAX_SAFE, svarintSize } from './block-io';

export type SequenceOrder = 0 | 1 | 2;

export interface SequencePlan {
  readonly order: SequenceOrder;
  /** bytes of the initial values and the packed frames */
  readonly size: number;
}

let deltas = new Float64Array(1024);
let deltas2 = new Float64Array(1024);

function ensureScratch(n: number): void {
  if (deltas.length >= n) return;
  const size = Math.max(n, deltas.length * 2);
  deltas = new Float64Array(size);
  deltas2 = new Float64Array(size);
}

/**
 * True when values[0, n) are all safe integers other than -0 (what the sequence codecs can hold and
 * give back identically).
 */
export function allSafeIntegers(values: Float64Array, n: number): boolean {
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    // the range test also rejects NaN and infinities; the floor test rejects fractions
    if (!(v <= MAX_SAFE && v >= -MAX_SAFE) || Math.floor(v) !== v) return false;
    if (v === 0 && 1 / v < 0) return false;
  }
  return true;
}

/**
 * dst[i-1] = src[i] - src[i-1] for i in [1, n). False when a difference is not a safe integer:
 * with safe inputs a computed |d| <= 2^53-1 proves the exact difference was representable.
 */
function differences(src: Float64Array, n: number, dst: Float64Array): boolean {
  for (let i = 1; i < n; i++) {
    const d = src[i]! - src[i - 1]!;
    if (!(d <= MAX_SAFE && d >= -MAX_SAFE)) return false;
    dst[i - 1] = d;
  }
  return true;
}

/**
 * The cheapest order in [0, maxOrder] for values[0, n) (all safe integers, n >= 1), or null when no
 * order fits (a frame range or a difference overflows safe integers).
 */
export function planSequence(values: Float64Array, n: number, maxOrder: SequenceOrder): SequencePlan | null {
  let best: SequencePlan | null = null;
  const size0 = packedSize(values, 0, n);
  if (size0 !== Number.POSITIVE_INFINITY) best = { order: 0, size: size0 };
  if (maxOrder < 1 || n < 2) return best;
  ensureScratch(n);
  if (!differences(values, n, deltas)) return best;
  const size1 = svarintSize(values[0]!) + packedSize(deltas, 0, n - 1);
  if (best === null || size1 < best.size) best = { order: 1, size: size1 };
  if (maxOrder < 2 || n < 3 || !differences(deltas, n - 1, deltas2)) return best;
  const size2 = svarintSize(values[0]!) + svarintSize(deltas[0]!) + packedSize(deltas2, 0, n - 2);
  if (size2 < best.size) best = { order: 2, size: size2 };
  return best;
}

/** Writes values[0, n) at `order`, which planSequence must have accepted for these values. */
export function writeSequence(w: BlockWriter, values: Float64Array, n: number, order: SequenceOrder): void {
  if (order === 0) {
    writePacked(w, values, 0, n);
    return;
  }
  ensureScratch(n);
  differences(values, n, deltas);
  w.svarint(values[0]!);
  if (order === 1) {
    writePacked(w, deltas, 0, n - 1);
    return;
  }
  differences(deltas, n - 1, deltas2);
  w.svarint(deltas[0]!);
  writePacked(w, deltas2, 0, n - 2);
}

/** Reads `n` values written by writeSequence at `order` into out[0, n). */
export function readSequence(r: BlockReader, n: number, order: SequenceOrder, out: Float64Array): void {
  if (n === 0) return;
  if (order === 0) {
    readPacked(r, n, out, 0);
    return;
  }
  const first = r.svarint();
  if (order === 1) {
    readPacked(r, n - 1, out, 1);
    integrate1(out, n, first);
    return;
  }
  const firstDelta = n >= 2 ? r.svarint() : 0;
  if (n >= 3) readPacked(r, n - 2, out, 2);
  integrate2(out, n, first, firstDelta);
}

/** out[i] holds v[i] - v[i-1] for i >= 1; turns it back into v. */
function integrate1(out: Float64Array, n: number, first: number): void {
  let acc = first;
  out[0] = acc;
  for (let i = 1; i < n; i++) out[i] = acc += out[i]!;
}

/** out[i] holds the second difference for i >= 2; turns it back into v. */
function integrate2(out: Float64Array, n: number, first: number, firstDelta: number): void {
  let acc = first;
  let delta = firstDelta;
  out[0] = acc;
  if (n >= 2) out[1] = acc += delta;
  for (let i = 2; i < n; i++) {
    delta += out[i]!;
    out[i] = acc += delta;
  }
}
