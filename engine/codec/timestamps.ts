/**
 * Timestamp columns: integer milliseconds, usually rising by a near-constant step. Candidates:
 * - `ts-regular`: a perfectly regular clock, first value and step only, nothing per row;
 * - `ts-grid`: a regular grid plus per-row jitter (t[i] - (t[0] + i * step)) in packed frames,
 *   best when each sample jitters independently around its scheduled time;
 * - `ts-for`, `ts-delta`, `ts-dod`: an integer sequence of order 0, 1 or 2, best when the
 *   intervals themselves drift;
 * - `ts-raw`: values or steps that leave safe-integer arithmetic (or are not integers at all).
 * Every candidate is priced exactly before one is written.
 */
import { checkDecodeArgs, checkEmpty, checkEncodeArgs, emptyBlock, wrongCodec } from './args';
import { packedSize, readPacked, writePacked } from './bitpack';
import { BlockReader, BlockWriter, MAX_SAFE, readRawF64, svarintSize, writeRawF64 } from './block-io';
import { CodecId } from './ids';
import { allSafeIntegers, planSequence, readSequence, type SequenceOrder, writeSequence } from './sequence';

const ORDER_IDS = [CodecId.TS_FOR, CodecId.TS_DELTA, CodecId.TS_DOD] as const;

let jitter = new Float64Array(1024);

/**
 * Encodes timestamps[0, count) (integer milliseconds; any double is accepted and round-trips
 * exactly, but only safe integers compress).
 */
export function encodeTimestamps(values: Float64Array, count: number): Uint8Array {
  checkEncodeArgs(values.length, count);
  if (count === 0) return emptyBlock();
  if (!allSafeIntegers(values, count)) return encodeRaw(values, count);
  const step = regularStep(values, count);
  if (step !== null) return encodeRegular(values[0]!, step);
  const plan = planSequence(values, count, 2);
  const grid = planGrid(values, count);
  const sequenceSize = plan === null ? Number.POSITIVE_INFINITY : plan.size;
  const gridSize = grid === null ? Number.POSITIVE_INFINITY : grid.size;
  if (Math.min(sequenceSize, gridSize) >= count * 8) return encodeRaw(values, count);
  if (grid !== null && gridSize < sequenceSize) return encodeGrid(values[0]!, grid, count);
  const w = new BlockWriter(1 + sequenceSize);
  w.u8(ORDER_IDS[plan!.order]);
  writeSequence(w, values, count, plan!.order);
  return w.finish();
}

/** The constant step between consecutive values (0 for a single value), or null if there is none. */
function regularStep(values: Float64Array, count: number): number | null {
  if (count === 1) return 0;
  const step = values[1]! - values[0]!;
  if (!(Math.abs(step) <= MAX_SAFE)) return null;
  for (let i = 2; i < count; i++) if (values[i]! - values[i - 1]! !== step) return null;
  return step;
}

function encodeRegular(first: number, step: number): Uint8Array {
  const w = new BlockWriter(1 + svarintSize(first) + svarintSize(step));
  w.u8(CodecId.TS_REGULAR);
  w.svarint(first);
  w.svarint(step);
  return w.finish();
}

interface GridPlan {
  readonly step: number;
  /** bytes after the codec id */
  readonly size: number;
}

/**
 * Fits the grid t[0] + i * step with step the mean interval, filling `jitter` with each value's
 * offset from its grid point. Null when grid points or offsets would leave safe integers. Frames
 * take their own minimum, so a slowly shifting phase still packs small.
 */
function planGrid(values: Float64Array, count: number): GridPlan | null {
  if (jitter.length < count) jitter = new Float64Array(Math.max(count, jitter.length * 2));
  const step = Math.round((values[count - 1]! - values[0]!) / (count - 1));
  if (!(Math.abs(step) <= MAX_SAFE)) return null;
  let grid = values[0]!;
  for (let i = 0; i < count; i++, grid += step) {
    const offset = values[i]! - grid;
    if (!(Math.abs(grid) <= MAX_SAFE && Math.abs(offset) <= MAX_SAFE)) return null;
    jitter[i] = offset;
  }
  return { step, size: svarintSize(values[0]!) + svarintSize(step) + packedSize(jitter, 0, count) };
}

/** Writes the `ts-grid` block planGrid just planned (its offsets are still in `jitter`). */
function encodeGrid(first: number, grid: GridPlan, count: number): Uint8Array {
  const w = new BlockWriter(1 + grid.size);
  w.u8(CodecId.TS_GRID);
  w.svarint(first);
  w.svarint(grid.step);
  writePacked(w, jitter, 0, count);
  return w.finish();
}

function encodeRaw(values: Float64Array, count: number): Uint8Array {
  const w = new BlockWriter(1 + count * 8);
  w.u8(CodecId.TS_RAW);
  writeRawF64(w, values, count);
  return w.finish();
}

/** Decodes `count` timestamps from one block into out[0, count). */
export function decodeTimestamps(bytes: Uint8Array, count: number, out: Float64Array): void {
  checkDecodeArgs(bytes, count, out.length);
  const id = bytes[0]!;
  const r = new BlockReader(bytes, 1);
  switch (id) {
    case CodecId.EMPTY:
      checkEmpty(bytes, count);
      return;
    case CodecId.TS_RAW:
      readRawF64(r, count, out);
      break;
    case CodecId.TS_REGULAR:
      decodeRegular(r, count, out);
      break;
    case CodecId.TS_GRID:
      decodeGrid(r, count, out);
      break;
    case CodecId.TS_FOR:
    case CodecId.TS_DELTA:
    case CodecId.TS_DOD:
      readSequence(r, count, (id - CodecId.TS_FOR) as SequenceOrder, out);
      break;
    default:
      throw wrongCodec(id, 'timestamp');
  }
  r.expectEnd();
}

function decodeRegular(r: BlockReader, count: number, out: Float64Array): void {
  let t = r.svarint();
  const step = r.svarint();
  for (let i = 0; i < count; i++, t += step) out[i] = t;
}

function decodeGrid(r: BlockReader, count: number, out: Float64Array): void {
  let grid = r.svarint();
  const step = r.svarint();
  readPacked(r, count, out, 0);
  for (let i = 0; i < count; i++, grid += step) out[i] = grid + out[i]!;
}
