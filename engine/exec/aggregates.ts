/**
 * Aggregate accumulators. Each group owns one accumulator per aggregate call; `add` takes the
 * evaluated arguments of one row. Results follow SQLite: count is an integer, sum of integers is an
 * integer (NULL over no rows), avg is a float. Quantiles (median, percentile_cont, quantile,
 * percentile_disc) are exact: they keep the group's values and sort them.
 */

import type { AggregateCall, SqlType, Value } from '../plan/logical';
import type { TimeSlicer } from '../util/fsutil';
import { compareValues, keyPart, toNumber } from './values';

export interface Accumulator {
  /** one row: the aggregate's first and (for two-argument aggregates) second argument */
  add(a: Value, b: Value): void;
  result(): Value;
  /** true when result() is work over every value held (an exact quantile's selection) */
  readonly selects?: boolean;
  /** result() in steps that give the event loop a turn when `slicer` says the slice is used */
  resultSliced?(slicer: TimeSlicer): Promise<Value>;
  /**
   * Optional fast path: rows `start..end-1` of a numeric column of one series at once
   * (`values[i]` where `present` is null or `present[i]`; a null column is all NULL), in
   * ascending `times`.
   */
  addColumn?(
    values: Float64Array | null,
    present: Uint8Array | null,
    start: number,
    end: number,
    times: Float64Array,
  ): void;
  /**
   * Optional: a whole run of rows summarized by storage statistics (count, nulls, and min/max/sum
   * over the values when there are any), instead of the rows themselves.
   */
  addStats?(s: PartSummary): void;
}

/** What a chunk's statistics say about one aggregate's input over that chunk. */
export interface PartSummary {
  /** rows in the run */
  readonly rows: number;
  /** rows with a value */
  readonly count: number;
  readonly min?: number | undefined;
  readonly max?: number | undefined;
  readonly sum?: number | undefined;
}

/** Where an accumulator that grows with its input (group_concat) counts its bytes (Runtime.charge). */
export interface ByteBudget {
  charge(bytes: number, what: string): void;
}

type Factory = (call: AggregateCall, budget: ByteBudget | undefined) => Accumulator;

class Count implements Accumulator {
  n = 0;
  constructor(private readonly star: boolean) {}
  add(a: Value, _b: Value): void {
    if (this.star || a !== null) this.n++;
  }
  addColumn(values: Float64Array | null, present: Uint8Array | null, start: number, end: number): void {
    if (this.star || !present || !values) {
      this.n += this.star || values ? end - start : 0;
      return;
    }
    for (let i = start; i < end; i++) this.n += present[i]!;
  }
  addStats(s: PartSummary): void {
    this.n += this.star ? s.rows : s.count;
  }
  result(): Value {
    return this.n;
  }
}

/** Kahan-Babuska-Neumaier summation, as SQLite (3.43+) sums floats: order-independent to the last bits. */
class CompensatedSum {
  sum = 0;
  compensation = 0;
  add(x: number): void {
    const t = this.sum + x;
    if (Math.abs(this.sum) >= Math.abs(x)) this.compensation += this.sum - t + x;
    else this.compensation += x - t + this.sum;
    this.sum = t;
  }
  /**
   * Adds `values[i]` for i in [start, end) where `present` is null or `present[i]`, in order, the
   * same steps as `add` on each (kept in locals: a column of a chunk goes by in one tight loop).
   * Returns how many were added.
   */
  addRange(values: Float64Array, present: Uint8Array | null, start: number, end: number): number {
    let sum = this.sum;
    let compensation = this.compensation;
    let added = 0;
    for (let i = start; i < end; i++) {
      if (present && !present[i]) continue;
      const x = values[i]!;
      const t = sum + x;
      if (Math.abs(sum) >= Math.abs(x)) compensation += sum - t + x;
      else compensation += x - t + sum;
      sum = t;
      added++;
    }
    this.sum = sum;
    this.compensation = compensation;
    return added;
  }
  get value(): number {
    return this.sum + this.compensation;
  }
}

class Sum implements Accumulator {
  total = new CompensatedSum();
  seen = false;
  constructor(private readonly emptyValue: Value) {}
  add(a: Value, _b: Value): void {
    const v = a;
    if (v === null) return;
    this.total.add(toNumber(v));
    this.seen = true;
  }
  addColumn(values: Float64Array | null, present: Uint8Array | null, start: number, end: number): void {
    if (!values) return;
    if (this.total.addRange(values, present, start, end) > 0) this.seen = true;
  }
  addStats(s: PartSummary): void {
    if (s.count === 0) return;
    this.total.add(s.sum!);
    this.seen = true;
  }
  result(): Value {
    return this.seen ? this.total.value : this.emptyValue;
  }
}

class Avg implements Accumulator {
  total = new CompensatedSum();
  n = 0;
  add(a: Value, _b: Value): void {
    const v = a;
    if (v === null) return;
    this.total.add(toNumber(v));
    this.n++;
  }
  addColumn(values: Float64Array | null, present: Uint8Array | null, start: number, end: number): void {
    if (!values) return;
    this.n += this.total.addRange(values, present, start, end);
  }
  addStats(s: PartSummary): void {
    if (s.count === 0) return;
    this.total.add(s.sum!);
    this.n += s.count;
  }
  result(): Value {
    return this.n === 0 ? null : this.total.value / this.n;
  }
}

class MinMax implements Accumulator {
  best: Value = null;
  constructor(private readonly sign: number) {}
  add(a: Value, _b: Value): void {
    const v = a;
    if (v === null) return;
    if (this.best === null || compareValues(v, this.best) * this.sign > 0) this.best = v;
  }
  addColumn(values: Float64Array | null, present: Uint8Array | null, start: number, end: number): void {
    if (!values) return;
    for (let i = start; i < end; i++) {
      if (present && !present[i]) continue;
      const v = values[i]!;
      const best = this.best as number | null;
      // NaN sorts before every number (compareValues)
      if (best === null || (this.sign > 0 ? v > best : v < best || (Number.isNaN(v) && !Number.isNaN(best))))
        this.best = v;
    }
  }
  addStats(s: PartSummary): void {
    if (s.count === 0) return;
    const v = (this.sign > 0 ? s.max : s.min)!;
    const best = this.best as number | null;
    if (best === null || (this.sign > 0 ? v > best : v < best)) this.best = v;
  }
  result(): Value {
    return this.best;
  }
}

/** first(x, t) / last(x, t): the x of the row with the smallest / largest t (the first such row wins ties). */
class FirstLast implements Accumulator {
  value: Value = null;
  at: Value = null;
  constructor(private readonly sign: number) {}
  add(a: Value, b: Value): void {
    const t = b;
    if (t === null) return;
    if (this.at === null || compareValues(t, this.at) * this.sign > 0) {
      this.at = t;
      this.value = a;
    }
  }
  addColumn(
    values: Float64Array | null,
    present: Uint8Array | null,
    start: number,
    end: number,
    times: Float64Array,
  ): void {
    if (end <= start) return;
    const i = this.sign > 0 ? end - 1 : start;
    const t = times[i]!;
    if (this.at === null || (this.sign > 0 ? t > (this.at as number) : t < (this.at as number))) {
      this.at = t;
      this.value = values && (!present || present[i]) ? values[i]! : null;
    }
  }
  result(): Value {
    return this.value;
  }
}

/** Welford's running mean and variance: stable on long runs of close sensor values. */
class Variance implements Accumulator {
  n = 0;
  mean = 0;
  m2 = 0;
  constructor(
    private readonly sample: boolean,
    private readonly sqrt: boolean,
  ) {}
  add(a: Value, _b: Value): void {
    const v = a;
    if (v === null) return;
    const x = toNumber(v);
    this.n++;
    const d = x - this.mean;
    this.mean += d / this.n;
    this.m2 += d * (x - this.mean);
  }
  result(): Value {
    const denominator = this.sample ? this.n - 1 : this.n;
    if (denominator <= 0) return null;
    const variance = this.m2 / denominator;
    return this.sqrt ? Math.sqrt(variance) : variance;
  }
}

/** Exact quantiles: continuous (linear interpolation, as percentile_cont) or discrete. */
class Quantile implements Accumulator {
  // A growable typed array: its bytes live outside V8's heap, which a group of millions of values
  // would otherwise fill, lengthening every full garbage collection.
  private values = new Float64Array(16);
  private count = 0;
  fraction: number | null = null;
  readonly selects = true;
  constructor(
    private readonly fixed: number | null,
    private readonly discrete: boolean,
  ) {}
  add(a: Value, b: Value): void {
    const v = a;
    if (this.fraction === null) this.fraction = this.fixed ?? (b === null ? null : toNumber(b));
    if (v === null) return;
    if (this.count === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.count++] = toNumber(v);
  }
  result(): Value {
    const n = this.count;
    const p = this.fraction;
    if (n === 0 || p === null || !(p >= 0 && p <= 1)) return null;
    // By selection, O(n), not a sort: sorting a 200,000-value group took ~20 ms in one step.
    return quantileOf(this.values.slice(0, n), p, this.discrete);
  }
  async resultSliced(slicer: TimeSlicer): Promise<Value> {
    const n = this.count;
    const p = this.fraction;
    if (n === 0 || p === null || !(p >= 0 && p <= 1)) return null;
    // A cold selection over 200,000 values held the loop ~22 ms on a slow machine in one step:
    // each partition pass of it is a step of its own.
    return quantileOf(this.values.slice(0, n), p, this.discrete, slicer);
  }
}

/**
 * The quantile `p` of `values` as sorting them would give it (Float64Array#sort order: -0 before 0,
 * NaN last): discrete (percentile_disc) or linearly interpolated (percentile_cont). Reorders `values`.
 */
export function quantileOf(values: Float64Array, p: number, discrete: boolean): number;
/** The same in steps: a turn of the event loop between partition passes when `slicer` says so. */
export function quantileOf(
  values: Float64Array,
  p: number,
  discrete: boolean,
  slicer: TimeSlicer,
): Promise<number>;
export function quantileOf(
  values: Float64Array,
  p: number,
  discrete: boolean,
  slicer?: TimeSlicer,
): number | Promise<number> {
  const n = values.length;
  const numbers = values.subarray(0, withoutNaN(values));
  const k = discrete ? Math.max(0, Math.ceil(p * n) - 1) : Math.floor(p * (n - 1));
  const finish = (low: number): number => {
    if (discrete) return low;
    const pos = p * (n - 1);
    const lo = Math.floor(pos);
    // Selection leaves every value after index lo at least values[lo]: the next is their minimum.
    const high = lo + 1 >= n ? low : lo + 1 < numbers.length ? smallestFrom(numbers, lo + 1) : Number.NaN;
    return low + (high - low) * (pos - lo);
  };
  if (k >= numbers.length) return slicer ? Promise.resolve(finish(Number.NaN)) : finish(Number.NaN);
  if (!slicer) return finish(select(numbers, k));
  return selectSliced(numbers, k, slicer).then(finish);
}

/** The value at index `k` of `values` sorted as Float64Array#sort sorts them. Reorders `values`. */
export function kthSmallest(values: Float64Array, k: number): number {
  const numbers = values.subarray(0, withoutNaN(values));
  return k < numbers.length ? select(numbers, k) : Number.NaN;
}

/** Moves the values that are not NaN to the front (NaN sorts last); returns how many there are. */
function withoutNaN(values: Float64Array): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isNaN(v)) values[n++] = v;
  }
  return n;
}

/** Quickselect over values without NaN: the k-th smallest, all after it left at least as large. */
function select(values: Float64Array, k: number): number {
  const range = { left: 0, right: values.length - 1 };
  while (partitionPass(values, k, range));
  const v = values[k]!;
  return v === 0 ? signedZeroAt(values, k) : v;
}

/** select() with a turn of the event loop between partition passes when the slice is used. */
async function selectSliced(values: Float64Array, k: number, slicer: TimeSlicer): Promise<number> {
  const range = { left: 0, right: values.length - 1 };
  while (partitionPass(values, k, range)) if (slicer.due()) await slicer.maybeYield();
  const v = values[k]!;
  return v === 0 ? signedZeroAt(values, k) : v;
}

/** One partition of values[left..right] around a pivot, narrowing the range to k's side; false when done. */
function partitionPass(values: Float64Array, k: number, range: { left: number; right: number }): boolean {
  const { left, right } = range;
  if (right <= left) return false;
  const pivot = medianOfThree(values[left]!, values[(left + right) >>> 1]!, values[right]!);
  let i = left;
  let j = right;
  while (i <= j) {
    while (values[i]! < pivot) i++;
    while (values[j]! > pivot) j--;
    if (i <= j) {
      const t = values[i]!;
      values[i++] = values[j]!;
      values[j--] = t;
    }
  }
  if (k <= j) range.right = j;
  else if (k >= i) range.left = i;
  else return false; // between j and i every value equals the pivot
  return true;
}

/** The smallest of values[from..] in sort order (-0 before 0). */
function smallestFrom(values: Float64Array, from: number): number {
  let best = values[from]!;
  for (let i = from + 1; i < values.length; i++) {
    const v = values[i]!;
    if (v < best || (v === 0 && best === 0 && Object.is(v, -0))) best = v;
  }
  return best;
}

function medianOfThree(a: number, b: number, c: number): number {
  return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
}

/** -0 or 0 for a zero at sorted index k: -0s sort before 0s. */
function signedZeroAt(values: Float64Array, k: number): number {
  let below = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < 0 || Object.is(v, -0)) below++;
  }
  return k < below ? -0 : 0;
}

class GroupConcat implements Accumulator {
  parts: string[] = [];
  separator = ',';
  constructor(
    private readonly isFloat: boolean,
    private readonly budget: ByteBudget | undefined,
  ) {}
  add(a: Value, b: Value): void {
    const v = a;
    if (this.parts.length === 0 && b !== null) this.separator = String(b);
    if (v === null) return;
    const part =
      typeof v === 'number' && this.isFloat && Number.isInteger(v)
        ? `${v}.0`
        : typeof v === 'boolean'
          ? v
            ? '1'
            : '0'
          : String(v);
    // the parts now and the joined text later: 2 bytes a character each, and the separators
    this.budget?.charge(4 * (part.length + this.separator.length) + 16, 'group_concat / string_agg output');
    this.parts.push(part);
  }
  result(): Value {
    return this.parts.length ? this.parts.join(this.separator) : null;
  }
  /** joining tens of MB is work: done in pieces with turns of the event loop between */
  readonly selects = true;
  async resultSliced(slicer: TimeSlicer): Promise<Value> {
    const { parts, separator } = this;
    if (parts.length <= GROUP_CONCAT_PIECE) return this.result();
    let out = parts.slice(0, GROUP_CONCAT_PIECE).join(separator);
    for (let i = GROUP_CONCAT_PIECE; i < parts.length; i += GROUP_CONCAT_PIECE) {
      if (slicer.due()) await slicer.maybeYield();
      out += separator + parts.slice(i, i + GROUP_CONCAT_PIECE).join(separator);
    }
    return out;
  }
}

/** Parts of a group_concat joined in one step. */
const GROUP_CONCAT_PIECE = 16384;

/** Feeds only the first occurrence of each value to `inner` (count(DISTINCT x), sum(DISTINCT x), ...). */
class Distinct implements Accumulator {
  seen = new Set<string>();
  constructor(private readonly inner: Accumulator) {}
  add(a: Value, b: Value): void {
    if (a === null) return;
    const k = keyPart(a);
    if (this.seen.has(k)) return;
    this.seen.add(k);
    this.inner.add(a, b);
  }
  result(): Value {
    return this.inner.result();
  }
  resultSliced(slicer: TimeSlicer): Promise<Value> {
    return this.inner.resultSliced ? this.inner.resultSliced(slicer) : Promise.resolve(this.inner.result());
  }
  get selects(): boolean {
    return this.inner.selects === true;
  }
}

const isFloatType = (t: SqlType | undefined): boolean => t === 'float';

const FACTORIES: Readonly<Record<string, Factory>> = {
  count: (c) => new Count(c.star),
  sum: () => new Sum(null),
  total: () => new Sum(0),
  avg: () => new Avg(),
  mean: () => new Avg(),
  min: () => new MinMax(-1),
  max: () => new MinMax(1),
  first: () => new FirstLast(-1),
  last: () => new FirstLast(1),
  stddev: () => new Variance(true, true),
  stddev_samp: () => new Variance(true, true),
  stddev_pop: () => new Variance(false, true),
  variance: () => new Variance(true, false),
  var_samp: () => new Variance(true, false),
  var_pop: () => new Variance(false, false),
  median: () => new Quantile(0.5, false),
  percentile_cont: () => new Quantile(null, false),
  quantile: () => new Quantile(null, false),
  percentile_disc: () => new Quantile(null, true),
  group_concat: (c, budget) => new GroupConcat(isFloatType(c.args[0]?.type), budget),
  string_agg: (c, budget) => new GroupConcat(isFloatType(c.args[0]?.type), budget),
};

/** The names of every aggregate with an implementation. */
export const AGGREGATE_NAMES: readonly string[] = Object.keys(FACTORIES);

/** A fresh accumulator for one group. */
export function newAccumulator(call: AggregateCall, budget?: ByteBudget): Accumulator {
  const make = FACTORIES[call.name];
  if (!make) throw new Error(`no aggregate ${call.name}`);
  const acc = make(call, budget);
  return call.distinct ? new Distinct(acc) : acc;
}

/**
 * The result rows of finished groups (keys, then each aggregate's result), in batches. Finishing a
 * group can be work (an exact quantile selects among its values, ~2 ms for 200,000 values once
 * optimized, ~12 ms the first time): the slice is checked after each group and before each
 * selection, so that two quantiles of one group are never one step.
 */
export async function* groupResults(
  groups: Iterable<{ keys: Value[]; accs: Accumulator[] }>,
  slicer: TimeSlicer,
  batchRows = 1024,
): AsyncGenerator<Value[][]> {
  let out: Value[][] = [];
  for (const g of groups) {
    const row: Value[] = [...g.keys];
    for (const acc of g.accs) {
      if (acc.selects && slicer.due()) await slicer.maybeYield();
      row.push(acc.selects && acc.resultSliced ? await acc.resultSliced(slicer) : acc.result());
    }
    out.push(row);
    if (out.length >= batchRows) {
      yield out;
      out = [];
    }
    if (slicer.due()) await slicer.maybeYield();
  }
  if (out.length) yield out;
}
