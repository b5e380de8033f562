/**
 * ORDER BY time over a table scan, as a merge instead of a sort. The storage yields each series'
 * rows sorted by time with one row per time, so the ordered result is a k-way merge of one run per
 * series: O(n log k) comparisons of plain numbers, and no sort key object per row.
 *
 * The result equals the general sort's, which is stable: rows of equal time (from different
 * series) are ordered by the later ORDER BY keys, then in the order their series arrived.
 */
import type { BExpr, Plan } from '../plan/logical';
import type { SeriesRows } from '../types';
import { compile, type Evaluator, type Row } from './compile';
import { SeriesFilter } from './filter-vector';
import type { Runtime } from './runtime';
import { neededSlots, prepareSeries, prunedSeries, scanUnder } from './scan-fused';
import { type Comparator, comparator, type Keyed, keyer } from './sort';
import { truth } from './values';

type SortPlan = Extract<Plan, { kind: 'sort' }>;
type ProjectPlan = Extract<Plan, { kind: 'project' }>;
type ScanPlan = Extract<Plan, { kind: 'scan' }>;

/** A sort that a merge of per-series runs can answer. */
export interface TimeMergeShape {
  readonly project: ProjectPlan;
  readonly scan: ScanPlan;
  readonly predicate: BExpr | undefined;
  /** the first ORDER BY key is time DESC */
  readonly desc: boolean;
}

/** The shape when the sort's first key is the scan's time, through a projection of a (filtered) scan. */
export function timeMergeShape(plan: SortPlan): TimeMergeShape | undefined {
  const project = plan.input;
  const first = plan.keys[0];
  if (project.kind !== 'project' || first?.expr.kind !== 'slot') return undefined;
  const under = scanUnder(project.input);
  const source = project.exprs[first.expr.index];
  if (!under || source?.kind !== 'slot' || under.scan.columns[source.index]?.role !== 'time')
    return undefined;
  return { project, scan: under.scan, predicate: under.predicate, desc: first.desc };
}

/** One series' rows that pass the WHERE, in output order (newest first for DESC). */
interface Run {
  readonly times: Float64Array;
  /** the output row at position `p` */
  row(p: number): Row;
}

/**
 * A run whose output rows are built only as the merge hands them on, so that they die young
 * instead of being held: it keeps the series' decoded columns and the positions that passed.
 */
class LazyRun implements Run {
  readonly times: Float64Array;
  constructor(
    private readonly index: Int32Array,
    series: SeriesRows,
    /** the scan row buffer of this series: its tag slots are set, fillers set the others */
    private readonly scanRow: Row,
    private readonly fillers: ReadonlyArray<(row: Row, i: number) => void>,
    private readonly evals: readonly Evaluator[],
  ) {
    this.times = new Float64Array(index.length);
    for (let p = 0; p < index.length; p++) this.times[p] = series.times[index[p]!]!;
  }

  row(p: number): Row {
    const i = this.index[p]!;
    const row = this.scanRow;
    for (const f of this.fillers) f(row, i);
    const evals = this.evals;
    const out: Row = new Array(evals.length);
    for (let c = 0; c < evals.length; c++) out[c] = evals[c]!(row);
    return out;
  }
}

/** A run of rows built at once: when few rows pass, holding them costs less than the columns. */
class HeldRun implements Run {
  constructor(
    readonly times: Float64Array,
    private readonly rows: readonly Row[],
  ) {}

  row(p: number): Row {
    return this.rows[p]!;
  }
}

/** Rows between checks of the time slice. */
const CHECK_EVERY = 4096;

/** Rows per batch handed on (as the other operators do). */
const BATCH_ROWS = 1024;

/**
 * The sorted rows. `keep`: a LIMIT small enough that the general sort keeps a bounded heap; each
 * series then contributes at most that many rows. Without it, every row is held, within maxRows.
 */
export async function* scanMergeSort(
  plan: SortPlan,
  shape: TimeMergeShape,
  rt: Runtime,
  keep: number | undefined,
): AsyncGenerator<Row[]> {
  const evals = shape.project.exprs.map((e) => compile(e, rt.ctx));
  const runs = await collectRuns(shape, evals, rt, keep);
  const merger = new RunMerger(runs, shape.desc, tieBreak(plan, rt));
  let left = keep ?? Number.POSITIVE_INFINITY;
  while (left > 0) {
    const batch = merger.take(Math.min(BATCH_ROWS, left));
    if (batch.length === 0) return;
    left -= batch.length;
    yield batch;
    await rt.slicer.maybeYield();
  }
}

/** How rows of equal time are ordered: by the ORDER BY keys after the first. */
interface TieBreak {
  readonly key: (row: Row) => Keyed;
  readonly compare: Comparator;
}

/** The tie break of the sort; undefined when time is its only key. */
function tieBreak(plan: SortPlan, rt: Runtime): TieBreak | undefined {
  const rest = plan.keys.slice(1);
  if (rest.length === 0) return undefined;
  return { key: keyer(rest, rt.ctx), compare: comparator(rest) };
}

async function collectRuns(
  shape: TimeMergeShape,
  evals: readonly Evaluator[],
  rt: Runtime,
  keep: number | undefined,
): Promise<Run[]> {
  const { project, scan, predicate, desc } = shape;
  if (scan.options.empty) return [];
  const columns = scan.columns;
  const needed = neededSlots(project.exprs, predicate);
  const filter = SeriesFilter.of(predicate, columns, rt.ctx);
  const test = filter.residual;
  const limit = keep ?? Number.POSITIVE_INFINITY;
  const runs: Run[] = [];
  let held = 0;
  for await (const series of prunedSeries(scan, predicate, rt, filter)) {
    rt.stats.rowsScanned += series.count;
    const row: Row = new Array(columns.length).fill(null);
    const fillers = prepareSeries(columns, needed, series, row);
    const selected = filter.select(series, row);
    const candidates = selected ? selected.length : series.count;
    const index = new Int32Array(Math.min(candidates, limit));
    let taken = 0;
    const step = desc ? -1 : 1;
    for (let n = 0, k = desc ? candidates - 1 : 0; n < candidates && taken < limit; n++, k += step) {
      const i = selected ? selected[k]! : k;
      if (test) {
        for (const f of fillers) f(row, i);
        if (truth(test(row)) !== true) continue;
      }
      index[taken++] = i;
      if ((n & (CHECK_EVERY - 1)) === CHECK_EVERY - 1 && rt.slicer.due()) await rt.slicer.maybeYield();
    }
    if (taken > 0) {
      const run = new LazyRun(index.subarray(0, taken), series, row, fillers, evals);
      // a held row costs ~70 bytes, a series row in columns ~16-24: hold when under a quarter pass
      runs.push(taken * 4 < series.count ? await hold(run, taken, rt) : run);
    }
    held += taken;
    if (keep === undefined) {
      rt.checkRows(held, 'rows to sort for ORDER BY');
      rt.charge(24 * taken, 'rows to sort for ORDER BY');
    }
    await rt.slicer.maybeYield();
  }
  return runs;
}

/** The run's rows built now, so that the series' columns can go. */
async function hold(run: LazyRun, length: number, rt: Runtime): Promise<HeldRun> {
  const rows: Row[] = new Array(length);
  for (let p = 0; p < length; p++) {
    rows[p] = run.row(p);
    if ((p & (CHECK_EVERY - 1)) === CHECK_EVERY - 1 && rt.slicer.due()) await rt.slicer.maybeYield();
  }
  return new HeldRun(run.times, rows);
}

/**
 * Takes the rows of all runs in output order, a batch at a time: a binary heap of run indices,
 * ordered by each run's next time, then `tie` on the rows, then the run's index (the order its
 * series arrived).
 */
export class RunMerger {
  private readonly pos: Int32Array;
  /** each run's next time */
  private readonly next: Float64Array;
  private readonly heap: number[] = [];
  /** each run's next row's tie-break key, computed when first needed */
  private readonly tieKeys: Array<Keyed | undefined>;

  constructor(
    private readonly runs: readonly Run[],
    private readonly desc: boolean,
    private readonly tie: TieBreak | undefined,
  ) {
    this.tieKeys = new Array<Keyed | undefined>(runs.length).fill(undefined);
    this.pos = new Int32Array(runs.length);
    this.next = new Float64Array(runs.length);
    for (let k = 0; k < runs.length; k++) {
      this.next[k] = runs[k]!.times[0]!;
      this.heap.push(k);
    }
    for (let at = (this.heap.length >> 1) - 1; at >= 0; at--) this.siftDown(at);
  }

  /** Up to `n` more rows; none when every run is used up. */
  take(n: number): Row[] {
    const { heap, runs, pos, next } = this;
    const out: Row[] = [];
    while (out.length < n && heap.length > 0) {
      const k = heap[0]!;
      const run = runs[k]!;
      const p = pos[k]!;
      // a row built for a tie-break key is the output row already
      out.push(this.tieKeys[k]?.row ?? run.row(p));
      pos[k] = p + 1;
      this.tieKeys[k] = undefined;
      if (p + 1 < run.times.length) next[k] = run.times[p + 1]!;
      else {
        // this run is done: the heap's last entry takes its place
        const last = heap.pop()!;
        if (heap.length === 0) break;
        heap[0] = last;
      }
      this.siftDown(0);
    }
    return out;
  }

  /** True when run a's next row goes before run b's. */
  private before(a: number, b: number): boolean {
    const ta = this.next[a]!;
    const tb = this.next[b]!;
    if (ta !== tb) return this.desc ? ta > tb : ta < tb;
    if (this.tie) {
      const c = this.tie.compare(this.tieKey(a, this.tie), this.tieKey(b, this.tie));
      if (c !== 0) return c < 0;
    }
    return a < b;
  }

  private tieKey(k: number, tie: TieBreak): Keyed {
    let key = this.tieKeys[k];
    if (!key) {
      key = tie.key(this.runs[k]!.row(this.pos[k]!));
      this.tieKeys[k] = key;
    }
    return key;
  }

  private siftDown(from: number): void {
    const heap = this.heap;
    const n = heap.length;
    let at = from;
    for (;;) {
      const l = 2 * at + 1;
      if (l >= n) return;
      const r = l + 1;
      const m = r < n && this.before(heap[r]!, heap[l]!) ? r : l;
      if (!this.before(heap[m]!, heap[at]!)) return;
      const t = heap[at]!;
      heap[at] = heap[m]!;
      heap[m] = t;
      at = m;
    }
  }
}
