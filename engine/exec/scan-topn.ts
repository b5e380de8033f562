/**
 * ORDER BY <numeric field> LIMIT n over a table scan, with the top-N heap fused into the scan. The
 * general sort builds a row and a sort key for every row the scan gives, and its heap then rejects
 * nearly all of them. Here each row's first key is read from the series' typed array and compared
 * with the heap's worst entry: only a row that would enter the heap is built (and has the rest of
 * the WHERE evaluated), and a chunk whose statistics show that none of its rows can enter is not
 * decoded at all.
 *
 * The result equals the general sort's, which is stable: rows of equal keys keep their arrival
 * order (series order, then time order within a series). NULLs go first or last as the key says;
 * NaN orders before every number (exec/values.ts compareValues), so last when descending.
 */
import type { BExpr, Plan } from '../plan/logical';
import type { FieldStats, SeriesRows } from '../types';
import { WorstFirstHeap } from '../util/worst-first-heap';
import { compile, type Evaluator, type Row } from './compile';
import { SeriesFilter } from './filter-vector';
import type { Runtime } from './runtime';
import {
  excludedByStats,
  fieldBounds,
  neededSlots,
  prepareSeries,
  scanSeries,
  scanUnder,
  storageScans,
} from './scan-fused';
import { type Comparator, comparator, type Keyed, keyer } from './sort';
import { truth } from './values';

type SortPlan = Extract<Plan, { kind: 'sort' }>;
type ProjectPlan = Extract<Plan, { kind: 'project' }>;
type ScanPlan = Extract<Plan, { kind: 'scan' }>;

/** Largest LIMIT (plus OFFSET) answered with a bounded heap, here and by the general sort. */
export const TOP_N_MAX = 4096;

/** A top-N that the scan can answer with its heap fused in. */
export interface TopNScanShape {
  readonly project: ProjectPlan;
  readonly scan: ScanPlan;
  readonly predicate: BExpr | undefined;
  /** the float or int field the first ORDER BY key reads */
  readonly field: string;
  /** rows the heap keeps: the LIMIT plus the OFFSET */
  readonly keep: number;
}

/**
 * The shape when the sort keeps a small top-N and its first key is a numeric field, through a
 * projection of a (filtered) scan. A first key on time is the merge's (scan-merge.ts).
 */
export function topNScanShape(plan: SortPlan): TopNScanShape | undefined {
  const project = plan.input;
  const first = plan.keys[0];
  if (plan.limit === undefined || plan.limit > TOP_N_MAX) return undefined;
  if (project.kind !== 'project' || first?.expr.kind !== 'slot') return undefined;
  const under = scanUnder(project.input);
  const source = project.exprs[first.expr.index];
  if (!under || source?.kind !== 'slot') return undefined;
  const column = under.scan.columns[source.index];
  if (column?.role !== 'field' || (column.type !== 'float' && column.type !== 'int')) return undefined;
  return {
    project,
    scan: under.scan,
    predicate: under.predicate,
    field: column.name,
    keep: plan.limit,
  };
}

/**
 * A first-key value as a place in the output order: its class, then `num` ascending. Classes, in
 * output order: NULLs when they go first, NaN ascending, numbers, NaN descending, NULLs last.
 */
const NULLS_FIRST = 0;
const NAN_ASC = 1;
const NUMBER = 2;
const NAN_DESC = 3;
const NULLS_LAST = 4;

/** How the first key places values: which class NULL and NaN fall in, and the sign of numbers. */
interface Placing {
  readonly nullClass: number;
  readonly nanClass: number;
  /** 1 ascending, -1 descending: `num` is the value times this */
  readonly sign: number;
}

interface Entry {
  readonly cls: number;
  readonly num: number;
  /** the later ORDER BY keys, when there are any */
  readonly tie: Keyed | undefined;
  readonly row: Row;
  /** arrival order */
  readonly seq: number;
}

/** How rows of equal first key are ordered: by the ORDER BY keys after the first. */
interface TieBreak {
  readonly key: (row: Row) => Keyed;
  readonly compare: Comparator;
}

/**
 * Keeps the `keep` first rows in output order: a max-heap whose root is the worst kept row. A row
 * that ties with it on every key loses, being later, as in the general sort's heap.
 */
class TopNHeap {
  private readonly heap = new WorstFirstHeap<Entry>((a, b) => this.worse(a, b));
  private seq = 0;
  /** the root's place, for the scan's checks (only meaningful when full) */
  private worstCls = 0;
  private worstNum = 0;

  constructor(
    private readonly keep: number,
    private readonly tie: TieBreak | undefined,
  ) {}

  /**
   * False when a row whose first key is at (cls, num) cannot enter: the heap is full and the
   * first key is after the worst's, or equal to it with no later keys to break the tie.
   */
  mayEnter(cls: number, num: number): boolean {
    if (this.heap.size < this.keep) return true;
    if (cls !== this.worstCls) return cls < this.worstCls;
    if (num !== this.worstNum) return num < this.worstNum;
    return this.tie !== undefined;
  }

  /** Offers the next row in arrival order; it enters when it goes before the worst kept row. */
  offer(cls: number, num: number, row: Row): void {
    const entry: Entry = { cls, num, tie: this.tie?.key(row), row, seq: this.seq++ };
    const h = this.heap;
    if (h.size < this.keep) h.push(entry);
    else if (this.worse(h.root, entry)) h.replaceRoot(entry);
    else return;
    this.worstCls = h.root.cls;
    this.worstNum = h.root.num;
  }

  /** The kept rows in output order. */
  rows(): Row[] {
    return this.heap
      .toArray()
      .sort((a, b) => this.compare(a, b) || a.seq - b.seq)
      .map((e) => e.row);
  }

  private compare(a: Entry, b: Entry): number {
    if (a.cls !== b.cls) return a.cls - b.cls;
    if (a.num !== b.num) return a.num < b.num ? -1 : 1;
    return this.tie ? this.tie.compare(a.tie!, b.tie!) : 0;
  }

  private worse(a: Entry, b: Entry): boolean {
    const c = this.compare(a, b);
    return c > 0 || (c === 0 && a.seq > b.seq);
  }
}

/** Rows between checks of the time slice. */
const CHECK_EVERY = 4096;

/** Rows per batch handed on (as the other operators do). */
const BATCH_ROWS = 1024;

/** What the scan needs for each series: the WHERE, the slots to fill, the output row's makers. */
interface ScanContext {
  readonly shape: TopNScanShape;
  readonly placing: Placing;
  readonly heap: TopNHeap;
  readonly filter: SeriesFilter;
  readonly needed: readonly number[];
  readonly evals: readonly Evaluator[];
  /** the scan row buffer: tag slots set per series, fillers set the others per row */
  readonly row: Row;
}

/** The first `shape.keep` rows of the sorted output, in order. */
export async function* scanTopN(plan: SortPlan, shape: TopNScanShape, rt: Runtime): AsyncGenerator<Row[]> {
  if (shape.keep <= 0 || shape.scan.options.empty) return;
  const first = plan.keys[0]!;
  const rest = plan.keys.slice(1);
  const tie = rest.length ? { key: keyer(rest, rt.ctx), compare: comparator(rest) } : undefined;
  const cx: ScanContext = {
    shape,
    placing: {
      nullClass: first.nullsFirst ? NULLS_FIRST : NULLS_LAST,
      nanClass: first.desc ? NAN_DESC : NAN_ASC,
      sign: first.desc ? -1 : 1,
    },
    heap: new TopNHeap(shape.keep, tie),
    filter: SeriesFilter.of(shape.predicate, shape.scan.columns, rt.ctx),
    needed: neededSlots(shape.project.exprs, shape.predicate),
    evals: shape.project.exprs.map((e) => compile(e, rt.ctx)),
    row: new Array(shape.scan.columns.length).fill(null),
  };
  for await (const series of candidateSeries(cx, rt)) {
    await offerSeries(cx, series, rt);
    await rt.slicer.maybeYield();
  }
  const rows = cx.heap.rows();
  for (let i = 0; i < rows.length; i += BATCH_ROWS) {
    yield rows.slice(i, i + BATCH_ROWS);
    await rt.slicer.maybeYield();
  }
}

/** Offers the rows of one series (or a time-ordered piece of it) that pass the WHERE. */
async function offerSeries(cx: ScanContext, series: SeriesRows, rt: Runtime): Promise<void> {
  rt.stats.rowsScanned += series.count;
  const { heap, row, evals } = cx;
  const { nullClass, nanClass, sign } = cx.placing;
  const fillers = prepareSeries(cx.shape.scan.columns, cx.needed, series, row);
  const selected = cx.filter.select(series, row);
  const test = cx.filter.residual;
  const candidates = selected ? selected.length : series.count;
  const { values, present } = keyColumn(series, cx.shape.field);
  for (let k = 0; k < candidates; k++) {
    if ((k & (CHECK_EVERY - 1)) === CHECK_EVERY - 1 && rt.slicer.due()) await rt.slicer.maybeYield();
    const i = selected ? selected[k]! : k;
    let cls = nullClass;
    let num = 0;
    if (values !== null && (present === null || present[i] !== 0)) {
      const v = values[i]!;
      if (!Number.isNaN(v)) {
        cls = NUMBER;
        num = v * sign;
      } else cls = nanClass;
    }
    if (!heap.mayEnter(cls, num)) continue;
    for (const f of fillers) f(row, i);
    if (test && truth(test(row)) !== true) continue;
    const out: Row = new Array(evals.length);
    for (let c = 0; c < evals.length; c++) out[c] = evals[c]!(row);
    heap.offer(cls, num, out);
  }
}

/** The key field's values and presence in a series; null values when the series lacks the field. */
function keyColumn(
  series: SeriesRows,
  field: string,
): { values: Float64Array | null; present: Uint8Array | null } {
  const column = series.fields.get(field);
  if (!column) return { values: null, present: null };
  if (!(column.values instanceof Float64Array))
    throw new Error(`Field "${field}" is ${column.type} in a series, but the top-N scan expected numbers.`);
  return { values: column.values, present: column.present };
}

/**
 * The series the scan reads, in arrival order. With statistics, a part at a time: a part is
 * skipped without decoding when its statistics show that none of its rows can enter the full
 * heap, or that none passes the WHERE's bounds on numeric fields (`value > 40`).
 */
function candidateSeries(cx: ScanContext, rt: Runtime): AsyncGenerator<SeriesRows> {
  if (!rt.useStatistics) return scanSeries(cx.shape.scan, rt);
  return partsThatMayEnter(cx, rt);
}

/** Each series' parts, in time order, but those no row of which can enter the heap. */
async function* partsThatMayEnter(cx: ScanContext, rt: Runtime): AsyncGenerator<SeriesRows> {
  const { scan, field, predicate } = cx.shape;
  const bounds = fieldBounds(predicate, scan.columns);
  for (const options of storageScans(scan)) {
    for await (const series of rt.target.scanParts(scan.table, options, rt.scanCounters)) {
      if (!cx.filter.admitsTags(series.tags)) continue;
      for (const part of series.parts) {
        if (
          part.stats &&
          (excludedByStats(part.stats, bounds) || !mayEnterFromStats(cx, part.stats.get(field)))
        ) {
          rt.scanCounters.chunksSkipped++;
          continue;
        }
        yield await part.load();
      }
    }
  }
}

/**
 * False when the statistics of the key field in a part show that none of its rows can enter the
 * heap: its best row (by min or max, or a NULL) cannot. No statistics for the field: every row is
 * NULL. Statistics without min/max (a NaN among the values) prove nothing.
 */
function mayEnterFromStats(cx: ScanContext, stats: FieldStats | undefined): boolean {
  const { heap, placing } = cx;
  const hasNulls = !stats || stats.nulls > 0;
  if (hasNulls && heap.mayEnter(placing.nullClass, 0)) return true;
  if (!stats || stats.count === 0) return false;
  if (stats.min === undefined || stats.max === undefined) return true;
  const best = placing.sign > 0 ? stats.min : stats.max;
  return heap.mayEnter(NUMBER, best * placing.sign);
}
