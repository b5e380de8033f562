/**
 * Timestamp columns: integer milliseconds, usually rising by a near-constant step. Candidates:
 * - `ts-regular`: a perfectly regular clock, first value and step only, nothing per row;
 * - `ts-grid`: a regular grid plus per-row jitter (t[i] - (t[0] + i * step)) in packed frames,
 *   best when each sample jitters independently around its scheduled time;
 * - `ts-grid-gaps`: the same grid with skipped grid points (missing samples, a machine idle), each
 *   sample's offset taken from its own grid point, so one gap does not shift every later offset;
 * - `ts-for`, `ts-delta`, `ts-dod`: an integer sequence of order 0, 1 or 2, best when the
 *   intervals themselves drift;
 * - `ts-raw`: values or steps that leave safe-integer arithmetic (or are not integers at all).
 * Every candidate is priced exactly before one is written.
 */
import { checkDecodeArgs, checkEmpty, checkEncodeArgs, emptyBlock, wrongCodec } from './args';
import { packedSize, readPacked, writePacked } from './bitpack';
import {
  BlockReader,
  BlockWriter,
  corrupt,
  MAX_SAFE,
  readRawF64,
  svarintSize,
  uvarintSize,
  writeRawF64,
} from './block-io';
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
  const gapped = planGappedGrid(values, count, Math.min(sequenceSize, gridSize));
  if (gapped !== null) return encodeGappedGrid(values, gapped, count);
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

interface GappedPlan {
  readonly step: number;
  /** rows whose grid point is not one step past the previous row's (their index and steps) */
  readonly gaps: number;
  /** bytes after the codec id */
  readonly size: number;
}

/** ts-grid-gaps' offsets: apart from `jitter`, which holds ts-grid's plan while this one is priced */
let gapOffsets = new Float64Array(1024);
let gapRows = new Float64Array(64);
let gapSteps = new Float64Array(64);

/** Deltas sampled to estimate the schedule's step: enough for a median, cheap at every flush. */
const STEP_SAMPLES = 63;

/**
 * Plans `ts-grid-gaps` when it beats `bestOther` bytes (the other candidates' best), else null.
 * The step is first the median of sampled intervals (gaps are outliers), then, twice at most, the
 * mean of the intervals that span one step, so an exact integer schedule leaves no drift. The
 * plan left filled in gapOffsets and the gap arrays is the returned one.
 */
function planGappedGrid(values: Float64Array, count: number, bestOther: number): GappedPlan | null {
  if (count < 8) return null;
  let step = medianInterval(values, count);
  let best: GappedPlan | null = null;
  let filled: number | null = null;
  for (let round = 0; round < 3 && step !== null && step !== filled; round++) {
    const fill = fillGappedGrid(values, count, step);
    filled = step;
    if (fill === null) break;
    if (best === null || fill.plan.size < best.size) best = fill.plan;
    step = fill.meanStep;
  }
  if (best === null || !(best.size < bestOther && best.size < count * 8)) return null;
  if (filled !== best.step && fillGappedGrid(values, count, best.step) === null) return null;
  return best;
}

/** The median of up to STEP_SAMPLES intervals spread over the block, or null if not a positive safe step. */
function medianInterval(values: Float64Array, count: number): number | null {
  const n = Math.min(STEP_SAMPLES, count - 1);
  const sample = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const i = 1 + Math.floor((k * (count - 1)) / n);
    sample[k] = values[i]! - values[i - 1]!;
  }
  sample.sort();
  const step = sample[n >> 1]!;
  return step >= 1 && step <= MAX_SAFE ? step : null;
}

/**
 * Fills gapOffsets with each value's offset from its own grid point and gapRows/gapSteps with the
 * rows whose grid point is not the previous one plus `step`. The grid point of row i is the
 * previous grid point plus round((t[i] - previous point) / step) steps.
 */
function fillGappedGrid(
  values: Float64Array,
  count: number,
  step: number,
): { plan: GappedPlan; meanStep: number | null } | null {
  if (gapOffsets.length < count) gapOffsets = new Float64Array(Math.max(count, gapOffsets.length * 2));
  let point = values[0]!;
  let oneStepSum = 0;
  let oneSteps = 0;
  let gaps = 0;
  let gapBytes = 0;
  let lastGap = 0;
  gapOffsets[0] = 0;
  for (let i = 1; i < count; i++) {
    const steps = Math.round((values[i]! - point) / step) + 0; // + 0: no -0 steps
    const move = steps * step;
    point += move;
    const offset = values[i]! - point;
    if (!(Math.abs(move) <= MAX_SAFE && Math.abs(point) <= MAX_SAFE && Math.abs(offset) <= MAX_SAFE))
      return null;
    gapOffsets[i] = offset;
    if (steps === 1) {
      oneStepSum += values[i]! - values[i - 1]!;
      oneSteps++;
    } else {
      if (gaps === gapRows.length) growGaps();
      gapRows[gaps] = i;
      gapSteps[gaps] = steps;
      gapBytes += uvarintSize(i - lastGap) + svarintSize(steps);
      lastGap = i;
      gaps++;
    }
  }
  const packed = packedSize(gapOffsets, 0, count);
  const size = svarintSize(values[0]!) + svarintSize(step) + uvarintSize(gaps) + gapBytes + packed;
  const mean = oneSteps === 0 ? 0 : Math.round(oneStepSum / oneSteps);
  return { plan: { step, gaps, size }, meanStep: mean >= 1 && mean <= MAX_SAFE ? mean : null };
}

function growGaps(): void {
  const rows = new Float64Array(gapRows.length * 2);
  const steps = new Float64Array(gapSteps.length * 2);
  rows.set(gapRows);
  steps.set(gapSteps);
  gapRows = rows;
  gapSteps = steps;
}

/** Writes the `ts-grid-gaps` block fillGappedGrid just filled (offsets in gapOffsets, gaps in gapRows). */
function encodeGappedGrid(values: Float64Array, plan: GappedPlan, count: number): Uint8Array {
  const w = new BlockWriter(1 + plan.size);
  w.u8(CodecId.TS_GRID_GAPS);
  w.svarint(values[0]!);
  w.svarint(plan.step);
  w.uvarint(plan.gaps);
  let lastGap = 0;
  for (let g = 0; g < plan.gaps; g++) {
    w.uvarint(gapRows[g]! - lastGap);
    w.svarint(gapSteps[g]!);
    lastGap = gapRows[g]!;
  }
  writePacked(w, gapOffsets, 0, count);
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
    case CodecId.TS_GRID_GAPS:
      decodeGappedGrid(r, count, out);
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

function decodeGappedGrid(r: BlockReader, count: number, out: Float64Array): void {
  let point = r.svarint();
  const step = r.svarint();
  const gaps = r.uvarint();
  if (gaps >= count) throw corrupt(r.pos, `ts-grid-gaps lists ${gaps} gaps in ${count} rows`);
  if (gapRows.length < gaps) {
    gapRows = new Float64Array(gaps);
    gapSteps = new Float64Array(gaps);
  }
  let row = 0;
  for (let g = 0; g < gaps; g++) {
    row += r.uvarint();
    if (row <= (g === 0 ? 0 : gapRows[g - 1]!) || row >= count)
      throw corrupt(r.pos, 'ts-grid-gaps rows out of order');
    gapRows[g] = row;
    gapSteps[g] = r.svarint();
  }
  readPacked(r, count, out, 0);
  out[0] = point + out[0]!;
  let next = 0;
  for (let i = 1; i < count; i++) {
    let steps = 1;
    if (next < gaps && gapRows[next] === i) steps = gapSteps[next++]!;
    point += steps * step;
    out[i] = point + out[i]!;
  }
}
