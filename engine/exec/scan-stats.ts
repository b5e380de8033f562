/**
 * Aggregates answered from chunk statistics. When a query's aggregates are count/sum/total/avg/
 * min/max over a table scan whose conditions were all pushed down, grouped by tags (or by tags and
 * a time_bucket), the storage's parts are read through `scanParts`: a part that is one whole chunk
 * carries count, min, max and sum per field, which answer those aggregates without decoding it.
 * Only the other parts (chunks cut by the time range, rewritten stretches, the head) are loaded.
 *
 * Results equal those of decoding every row (count, min, max, sums of integers exactly). A float
 * sum or avg adds whole-chunk sums rather than each value, so it may differ from the row-by-row
 * sum in the last bits, as any change of summation order does.
 */

import { slotsOf } from '../plan/bind-expr';
import type { AggregateCall, Column, Plan, Value } from '../plan/logical';
import type { ScanPart } from '../read/scan';
import { lowerBound } from '../rows/search';
import type { SeriesRows } from '../types';
import { getOwn } from '../util/own';
import { type Accumulator, groupResults, newAccumulator, type PartSummary } from './aggregates';
import { compile, type Row } from './compile';
import { onlyTags } from './filter-vector';
import { type Runtime, rowBytes, tooManyRows } from './runtime';
import { bucketKey, storageScans } from './scan-fused';
import { timeBucket } from './time';
import { keyOf } from './values';

type ScanPlan = Extract<Plan, { kind: 'scan' }>;
type AggregatePlan = Extract<Plan, { kind: 'aggregate' }>;

/** What one aggregate reads: every row, the time, or a field. */
type Input =
  | { readonly kind: 'star' }
  | { readonly kind: 'time' }
  | { readonly kind: 'field'; readonly name: string; readonly numeric: boolean; readonly int: boolean };

/** An aggregate query that chunk statistics can answer, part by part. */
export interface StatsShape {
  readonly scan: ScanPlan;
  readonly inputs: readonly Input[];
  /** the GROUP BY time_bucket key, if any: a part answers from statistics only inside one bucket */
  readonly bucket: { index: number; width: number; origin: number } | undefined;
  /** fields to decode from parts without usable statistics */
  readonly fields: readonly string[];
}

/** Aggregates whose result over a chunk follows from its count, min, max and sum. */
const FROM_STATS = new Set(['count', 'sum', 'total', 'avg', 'mean', 'min', 'max']);

/** Largest integer sum that a double holds exactly: past it, chunk sums could round. */
const EXACT_SUM = 2 ** 53;

/**
 * The shape of an aggregate that statistics can answer, or the reason they cannot (for EXPLAIN).
 */
export function statsShape(plan: AggregatePlan): StatsShape | { reason: string } {
  const scan = plan.input;
  if (scan.kind !== 'scan') {
    return {
      reason:
        plan.input.kind === 'filter' && plan.input.input.kind === 'scan'
          ? 'a WHERE condition is not pushed down to the scan (only time ranges and tag equalities are)'
          : 'the input is not a table scan',
    };
  }
  const inputs: Input[] = [];
  const fields = new Set<string>();
  for (const a of plan.aggregates) {
    const input = aggregateInput(a, scan.columns);
    if (typeof input === 'string') return { reason: input };
    if (input.kind === 'field') fields.add(input.name);
    inputs.push(input);
  }
  const tagKeys = plan.groupBy.every((k) => onlyTags(k, scan.columns));
  const bucket = tagKeys ? undefined : bucketKey(plan.groupBy, scan.columns);
  if (!tagKeys && !bucket) return { reason: 'GROUP BY has keys other than tags and one time_bucket(...)' };
  return { scan, inputs, bucket, fields: [...fields] };
}

function aggregateInput(a: AggregateCall, columns: readonly Column[]): Input | string {
  if (!FROM_STATS.has(a.name)) return `${a.text} needs every value`;
  if (a.distinct) return `${a.text} needs every value`;
  if (a.star) return { kind: 'star' };
  const x = a.args[0];
  const c = x?.kind === 'slot' && a.args.length === 1 ? columns[x.index] : undefined;
  if (c?.role === 'time' && (a.name === 'count' || a.name === 'min' || a.name === 'max'))
    return { kind: 'time' };
  if (c?.role === 'field') {
    const numeric = c.type === 'int' || c.type === 'float';
    if (numeric || a.name === 'count') return { kind: 'field', name: c.name, numeric, int: c.type === 'int' };
  }
  return a.name === 'count'
    ? `${a.text} is not over a field or the time`
    : `${a.text} is not over a numeric field`;
}

/** True when the part's statistics answer every aggregate of the query exactly. */
export function answersFromStats(shape: StatsShape, part: ScanPart): boolean {
  const stats = part.stats;
  if (!stats) return false;
  const b = shape.bucket;
  if (b && timeBucket(b.width, part.minTime, b.origin) !== timeBucket(b.width, part.maxTime, b.origin))
    return false;
  for (const input of shape.inputs) {
    if (input.kind !== 'field' || !input.numeric) continue;
    const s = stats.get(input.name);
    if (!s || s.count === 0) continue;
    // min/max/sum are missing when every value is NaN: the rows must be read
    if (s.min === undefined || s.max === undefined || s.sum === undefined) return false;
    if (input.int && Math.abs(s.sum) > EXACT_SUM) return false;
  }
  return true;
}

function summary(input: Input, part: ScanPart): PartSummary {
  const rows = part.rows;
  if (input.kind === 'star') return { rows, count: rows };
  if (input.kind === 'time') return { rows, count: rows, min: part.minTime, max: part.maxTime };
  const s = part.stats?.get(input.name);
  return s ? { rows, count: s.count, min: s.min, max: s.max, sum: s.sum } : { rows, count: 0 };
}

interface Group {
  keys: Value[];
  accs: Accumulator[];
}

/** The aggregate over the scan, each part from its statistics where they answer it, else decoded. */
export async function* statsAggregate(
  plan: AggregatePlan,
  shape: StatsShape,
  rt: Runtime,
): AsyncGenerator<Row[]> {
  const { scan, bucket } = shape;
  const columns = scan.columns;
  const tagSlots = new Set<number>();
  for (const k of plan.groupBy) slotsOf(k, tagSlots);
  const keyEvals = plan.groupBy.map((e, i) => (bucket?.index === i ? undefined : compile(e, rt.ctx)));
  const groups = new Map<string, Group>();
  const groupOf = (keys: Value[]): Group => {
    const id = keyOf(keys);
    let g = groups.get(id);
    if (!g) {
      g = { keys, accs: plan.aggregates.map((a) => newAccumulator(a, rt)) };
      rt.charge(rowBytes(keys) + 64 * plan.aggregates.length, 'groups of GROUP BY');
      groups.set(id, g);
      if (groups.size > rt.maxRows) throw tooManyRows(rt.maxRows, 'groups of GROUP BY');
    }
    return g;
  };
  if (plan.groupBy.length === 0) groupOf([]);
  const row: Row = new Array(columns.length).fill(null);
  for (const options of storageScans(scan)) {
    for await (const series of rt.target.scanParts(scan.table, options, rt.scanCounters)) {
      for (const slot of tagSlots) {
        const c = columns[slot]!;
        if (c.role === 'tag') row[slot] = getOwn(series.tags, c.name) ?? null;
      }
      const groupAt = seriesGroups(
        keyEvals.map((k) => (k ? k(row) : null)),
        bucket,
        groupOf,
      );
      for (const part of series.parts) {
        if (rt.useStatistics && answersFromStats(shape, part)) {
          const g = groupAt(bucket ? timeBucket(bucket.width, part.minTime, bucket.origin) : 0);
          shape.inputs.forEach((input, a) => {
            g.accs[a]!.addStats!(summary(input, part));
          });
          rt.stats.chunks++;
        } else {
          const rows = await part.load(shape.fields);
          rt.stats.rowsScanned += rows.count;
          await feedRows(shape, rows, groupAt, rt);
        }
        await rt.slicer.maybeYield();
      }
    }
  }
  yield* groupResults(groups.values(), rt.slicer);
}

function withBucket(keys: readonly Value[], index: number, start: number): Value[] {
  const out = [...keys];
  out[index] = start;
  return out;
}

/**
 * The group of a series' rows by their bucket start (ignored without a bucket key). The tag keys
 * are fixed for a series and its parts come in time order, so the bucket only moves forward: the
 * last group found answers until it does, without building and hashing a key per part or run.
 */
function seriesGroups(
  keys: readonly Value[],
  bucket: StatsShape['bucket'],
  groupOf: (keys: Value[]) => Group,
): (start: number) => Group {
  let last: Group | undefined;
  let lastStart = Number.NaN;
  return (start) => {
    if (last && (!bucket || start === lastStart)) return last;
    last = groupOf(bucket ? withBucket(keys, bucket.index, start) : [...keys]);
    lastStart = start;
    return last;
  };
}

/** Rows fed to accumulators between checks of the time slice. */
const FEED_SLICE = 65_536;

/** Decoded rows of one part go to the accumulators a run at a time (a run per time bucket). */
async function feedRows(
  shape: StatsShape,
  rows: SeriesRows,
  groupAt: (start: number) => Group,
  rt: Runtime,
): Promise<void> {
  const times = rows.times;
  const sources = shape.inputs.map((input) => columnSource(input, rows));
  const b = shape.bucket;
  for (let i = 0; i < rows.count; ) {
    let j: number;
    let g: Group;
    if (b) {
      const start = timeBucket(b.width, times[i]!, b.origin);
      j = lowerBound(times, i + 1, rows.count, start + b.width);
      g = groupAt(start);
    } else {
      j = Math.min(rows.count, i + FEED_SLICE);
      g = groupAt(0);
    }
    for (let a = 0; a < sources.length; a++) {
      const s = sources[a]!;
      g.accs[a]!.addColumn!(s.values, s.present, i, j, times);
    }
    i = j;
    if (rt.slicer.due()) await rt.slicer.maybeYield();
  }
}

/**
 * The column an accumulator's addColumn reads. A count of a text or boolean field only needs to
 * know which rows have a value: it gets the times as values and the field's presence.
 */
function columnSource(
  input: Input,
  rows: SeriesRows,
): { values: Float64Array | null; present: Uint8Array | null } {
  if (input.kind === 'star') return { values: null, present: null };
  if (input.kind === 'time') return { values: rows.times, present: null };
  const col = rows.fields.get(input.name);
  if (!col) return { values: null, present: null };
  if (!input.numeric) return { values: rows.times, present: col.present };
  return { values: col.values as Float64Array, present: col.present };
}
