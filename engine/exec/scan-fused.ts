/**
 * Fused operators over a table scan: an aggregate (with its WHERE) and DISTINCT ON read each
 * series' columns through one reused row buffer instead of materializing a row per reading, and
 * look up the group once per series when the group keys are tags. "Latest row per series" reads
 * one row per series batch when the DISTINCT ON keys are tags and the order is by time.
 */

import { slotsOf } from '../plan/bind-expr';
import type { AggregateCall, BExpr, Column, Plan, Value } from '../plan/logical';
import { comparisonWithConstant, conjuncts } from '../plan/pushdown';
import { mergeParts } from '../rows/merge';
import type { FieldColumn, FieldStats, SeriesRows } from '../types';
import { getOwn } from '../util/own';
import { type Accumulator, groupResults, newAccumulator } from './aggregates';
import { compile, type Row } from './compile';
import { onlyTags, SeriesFilter } from './filter-vector';
import type { Runtime } from './runtime';
import { rowBytes, tooManyRows } from './runtime';
import { comparator, type Keyed, sortedBatches } from './sort';
import { DEFAULT_BUCKET_ORIGIN, timeBucket } from './time';
import { keyOf, truth } from './values';

type ScanPlan = Extract<Plan, { kind: 'scan' }>;
type Filler = (row: Row, i: number) => void;

/** The slots `exprs` and the WHERE `predicate` read: what a fused scan must fill per row. */
export function neededSlots(exprs: Iterable<BExpr>, predicate: BExpr | undefined): number[] {
  const used = new Set<number>();
  for (const e of exprs) slotsOf(e, used);
  if (predicate) slotsOf(predicate, used);
  return [...used];
}

/** The scan (and WHERE) under a plan node, when the node reads a table scan directly. */
export function scanUnder(input: Plan): { scan: ScanPlan; predicate?: BExpr } | undefined {
  if (input.kind === 'scan') return { scan: input };
  if (input.kind === 'filter' && input.input.kind === 'scan')
    return { scan: input.input, predicate: input.predicate };
  return undefined;
}

function fieldFiller(slot: number, col: FieldColumn | undefined): Filler {
  if (!col)
    return (row) => {
      row[slot] = null;
    };
  const { values, present, type } = col;
  if (type === 'bool') {
    const v = values as Uint8Array;
    return (row, i) => {
      row[slot] = present && !present[i] ? null : v[i] === 1;
    };
  }
  const v = values as Float64Array | string[];
  if (!present)
    return (row, i) => {
      row[slot] = v[i]!;
    };
  return (row, i) => {
    row[slot] = present[i] ? v[i]! : null;
  };
}

/** Per series: sets the tag slots once and returns fillers for the other needed slots. */
export function prepareSeries(
  columns: readonly Column[],
  needed: readonly number[],
  series: SeriesRows,
  row: Row,
): Filler[] {
  const fillers: Filler[] = [];
  for (const slot of needed) {
    const c = columns[slot]!;
    if (c.role === 'tag') row[slot] = getOwn(series.tags, c.name) ?? null;
    else if (c.role === 'time') {
      const times = series.times;
      fillers.push((r, i) => {
        r[slot] = times[i]!;
      });
    } else fillers.push(fieldFiller(slot, series.fields.get(c.name)));
  }
  return fillers;
}

/** Sets the needed slots of `row` from row `i` of a series (one row: no fillers to build). */
function fillRow(
  columns: readonly Column[],
  needed: readonly number[],
  series: SeriesRows,
  i: number,
  row: Row,
): void {
  for (const slot of needed) {
    const c = columns[slot]!;
    if (c.role === 'tag') row[slot] = getOwn(series.tags, c.name) ?? null;
    else if (c.role === 'time') row[slot] = series.times[i]!;
    else {
      const col = series.fields.get(c.name);
      if (!col || (col.present && !col.present[i])) row[slot] = null;
      else row[slot] = col.type === 'bool' ? col.values[i] === 1 : col.values[i]!;
    }
  }
}

/** Most scans one query may issue for the combinations of tag IN lists. */
const MAX_TAG_COMBINATIONS = 4096;

/**
 * Every series the scan's options select: one storage scan, or one per combination of the values of
 * tag IN lists (an equality on the same tag narrows the list).
 */
export async function* scanSeries(scan: ScanPlan, rt: Runtime): AsyncGenerator<SeriesRows> {
  for (const options of storageScans(scan)) yield* rt.target.scan(scan.table, options, rt.scanCounters);
}

/** The storage scans a scan node makes: one, or one per combination of tag IN list values; none when empty. */
export function storageScans(
  scan: ScanPlan,
): Array<{ from?: number; to?: number; tags?: Record<string, string> }> {
  const o = scan.options;
  if (o.empty) return [];
  const base: { from?: number; to?: number; tags?: Record<string, string> } = {};
  if (o.from !== undefined) base.from = o.from;
  if (o.to !== undefined) base.to = o.to;
  let combos: Array<Record<string, string>> = [{ ...(o.tags ?? {}) }];
  for (const [tag, values] of Object.entries(o.tagsIn ?? {})) {
    const next: Array<Record<string, string>> = [];
    for (const c of combos) {
      if (tag in c) {
        if (values.includes(c[tag]!)) next.push(c);
      } else for (const v of values) next.push({ ...c, [tag]: v });
    }
    combos = next;
    if (combos.length > MAX_TAG_COMBINATIONS)
      throw tooManyRows(MAX_TAG_COMBINATIONS, 'combinations of tag IN lists to scan');
  }
  return combos.map((tags) => (Object.keys(tags).length ? { ...base, tags } : base));
}

interface ColumnSource {
  readonly values: Float64Array | null;
  readonly present: Uint8Array | null;
}

/**
 * The numeric column an aggregate reads directly (a field, or the time), so that runs of rows can
 * go to its accumulator at once; undefined when it must go row by row.
 */
function columnOf(
  call: AggregateCall,
  columns: readonly Column[],
  series: SeriesRows,
): ColumnSource | undefined {
  if (call.distinct) return undefined;
  if (call.star) return { values: null, present: null };
  const [x, t] = call.args;
  if (x?.kind !== 'slot') return undefined;
  if (t && !(t.kind === 'slot' && columns[t.index]?.role === 'time')) return undefined;
  const c = columns[x.index];
  if (c?.role === 'time') return { values: series.times, present: null };
  if (c?.role !== 'field') return undefined;
  const col = series.fields.get(c.name);
  if (!col) return { values: null, present: null };
  if (col.type !== 'float' && col.type !== 'int') return undefined;
  return { values: col.values as Float64Array, present: col.present };
}

/** A GROUP BY key time_bucket(constant width, time [, constant origin]), when the other keys are tags. */
export function bucketKey(
  keys: readonly BExpr[],
  columns: readonly Column[],
): { index: number; width: number; origin: number } | undefined {
  let found: { index: number; width: number; origin: number } | undefined;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (onlyTags(k, columns)) continue;
    if (found || k.kind !== 'apply' || k.fn !== 'time_bucket') return undefined;
    const [w, t, o] = k.args;
    if (w?.kind !== 'const' || typeof w.value !== 'number' || !(w.value > 0)) return undefined;
    if (t?.kind !== 'slot' || columns[t.index]?.role !== 'time') return undefined;
    if (o && !(o.kind === 'const' && typeof o.value === 'number')) return undefined;
    found = { index: i, width: w.value, origin: o ? (o.value as number) : DEFAULT_BUCKET_ORIGIN };
  }
  return found;
}

/** Rows between checks of the time slice. */
const CHECK_EVERY = 4096;

interface Group {
  keys: Value[];
  accs: Accumulator[];
}

/** Aggregate (and its WHERE) straight over a scan. */
export async function* scanAggregate(
  plan: Extract<Plan, { kind: 'aggregate' }>,
  scan: ScanPlan,
  predicate: BExpr | undefined,
  rt: Runtime,
): AsyncGenerator<Row[]> {
  const columns = scan.columns;
  const needed = neededSlots([...plan.groupBy, ...plan.aggregates.flatMap((a) => a.args)], predicate);
  const keyEvals = plan.groupBy.map((e) => compile(e, rt.ctx));
  const tagKeys = plan.groupBy.every((k) => onlyTags(k, columns));
  const filter = SeriesFilter.of(predicate, columns, rt.ctx);
  const test = filter.residual;
  const args = plan.aggregates.map((a) => a.args.map((e) => compile(e, rt.ctx)));
  const arg0 = args.map((a) => a[0]);
  const arg1 = args.map((a) => a[1]);
  const all = args.map((_, a) => a);
  const columnar = plan.aggregates.map((a) => newAccumulator(a).addColumn !== undefined);
  const bucket = tagKeys ? undefined : bucketKey(plan.groupBy, columns);
  const groups = new Map<unknown, Group>();
  // one key: the value itself identifies the group (booleans as 0/1, as keyOf counts them)
  const single = plan.groupBy.length === 1;
  const groupOf = (keys: Value[]): Group => {
    const k0 = keys[0];
    const id = single ? (typeof k0 === 'boolean' ? Number(k0) : k0) : keyOf(keys);
    let g = groups.get(id);
    if (!g) {
      g = { keys, accs: plan.aggregates.map((a) => newAccumulator(a, rt)) };
      rt.charge(rowBytes(keys) + 64 * plan.aggregates.length, 'groups of GROUP BY');
      groups.set(id, g);
      if (groups.size > rt.maxRows) throw tooManyRows(rt.maxRows, 'groups of GROUP BY');
    }
    return g;
  };
  if (keyEvals.length === 0) groupOf([]);
  const row: Row = new Array(columns.length).fill(null);
  if (!scan.options.empty) {
    for await (const series of prunedSeries(scan, predicate, rt, filter)) {
      rt.stats.rowsScanned += series.count;
      const fillers = prepareSeries(columns, needed, series, row);
      // tag keys: one group per series, looked up at its first row that passes the WHERE
      const fixedKeys = tagKeys ? keyEvals.map((k) => k(row)) : undefined;
      let fixed: Group | undefined;
      // no WHERE, and groups by tags (one group per series) or by tags and a time bucket (runs of
      // rows): numeric columns go to the accumulators a run at a time
      let rowAggs = all;
      if (filter.passesAll && series.count > 0 && (fixedKeys || bucket)) {
        const sources = all.map((a) =>
          columnar[a] ? columnOf(plan.aggregates[a]!, columns, series) : undefined,
        );
        const runAggs = all.filter((a) => sources[a] !== undefined);
        rowAggs = all.filter((a) => sources[a] === undefined);
        const times = series.times;
        const feed = (g: Group, from: number, to: number): void => {
          for (const a of runAggs)
            g.accs[a]!.addColumn!(sources[a]!.values, sources[a]!.present, from, to, times);
        };
        if (fixedKeys) feed((fixed ??= groupOf(fixedKeys)), 0, series.count);
        else if (runAggs.length) {
          const b = bucket!;
          const keys = keyEvals.map((k, i) => (i === b.index ? null : k(row)));
          for (let i = 0; i < series.count; ) {
            const start = timeBucket(b.width, times[i]!, b.origin);
            const end = start + b.width;
            let j = i + 1;
            while (j < series.count && times[j]! < end) j++;
            const runKeys = [...keys];
            runKeys[b.index] = start;
            feed(groupOf(runKeys), i, j);
            i = j;
          }
        }
        if (rowAggs.length === 0) {
          await rt.slicer.maybeYield();
          continue;
        }
      }
      const selected = filter.select(series, row);
      const candidates = selected ? selected.length : series.count;
      for (let k = 0; k < candidates; k++) {
        const i = selected ? selected[k]! : k;
        for (const f of fillers) f(row, i);
        if (test && truth(test(row)) !== true) continue;
        const g = fixedKeys ? (fixed ??= groupOf(fixedKeys)) : groupOf(keyEvals.map((key) => key(row)));
        for (const a of rowAggs) {
          const e0 = arg0[a];
          const e1 = arg1[a];
          g.accs[a]!.add(e0 ? e0(row) : null, e1 ? e1(row) : null);
        }
        if ((i & (CHECK_EVERY - 1)) === CHECK_EVERY - 1 && rt.slicer.due()) await rt.slicer.maybeYield();
      }
      await rt.slicer.maybeYield();
    }
  }
  yield* groupResults(groups.values(), rt.slicer);
}

/**
 * DISTINCT ON straight over a projection of a scan. When the keys are tags and the order is by tags
 * then time, only the first (time ascending) or last (descending) row of each series batch can win.
 */
export async function* scanDistinctOn(
  plan: Extract<Plan, { kind: 'distinctOn' }>,
  project: Extract<Plan, { kind: 'project' }>,
  scan: ScanPlan,
  predicate: BExpr | undefined,
  rt: Runtime,
): AsyncGenerator<Row[]> {
  const columns = scan.columns;
  // keys and order are over the projection's output: map them back through the projection
  const through = (e: BExpr): BExpr | undefined => (e.kind === 'slot' ? project.exprs[e.index] : undefined);
  const keyInputs = plan.keys.map(through);
  const orderInputs = plan.order.map((k) => through(k.expr));
  const needed = neededSlots(project.exprs, predicate);
  const tagKeys = keyInputs.every((k) => k !== undefined && onlyTags(k, columns));
  const timeOrder = orderInputs.map((e, i) =>
    e === undefined
      ? 'other'
      : onlyTags(e, columns)
        ? 'tag'
        : e.kind === 'slot' && columns[e.index]?.role === 'time'
          ? plan.order[i]!.desc
            ? 'desc'
            : 'asc'
          : 'other',
  );
  const firstTime = timeOrder.find((t) => t !== 'tag');
  const edgeOnly = tagKeys && !predicate && (firstTime === 'asc' || firstTime === 'desc');
  const projectEvals = project.exprs.map((e) => compile(e, rt.ctx));
  const keyEvals = plan.keys.map((e) => compile(e, rt.ctx));
  const orderEvals = plan.order.map((k) => compile(k.expr, rt.ctx));
  const cmp = comparator(plan.order);
  const filter = SeriesFilter.of(predicate, columns, rt.ctx);
  const test = filter.residual;
  const best = new Map<string, Keyed>();
  const row: Row = new Array(columns.length).fill(null);
  const consider = (): void => {
    const out = projectEvals.map((e) => e(row));
    const id = keyOf(keyEvals.map((k) => k(out)));
    const cand: Keyed = { key: orderEvals.map((e) => e(out)), row: out };
    const cur = best.get(id);
    if (!cur) {
      best.set(id, cand);
      if (best.size > rt.maxRows) throw tooManyRows(rt.maxRows, 'DISTINCT ON keys');
    } else if (cmp(cand, cur) < 0) best.set(id, cand);
  };
  const takeEdge = (series: SeriesRows): void => {
    rt.stats.rowsScanned += series.count;
    if (series.count === 0) return;
    fillRow(columns, needed, series, firstTime === 'desc' ? series.count - 1 : 0, row);
    consider();
  };
  if (scan.options.empty) {
    // nothing to read
  } else if (edgeOnly) {
    for await (const batch of edgeSeries(scan, rt, firstTime === 'desc')) for (const s of batch) takeEdge(s);
  } else {
    for await (const series of prunedSeries(scan, predicate, rt, filter)) {
      rt.stats.rowsScanned += series.count;
      if (series.count === 0) continue;
      const fillers = prepareSeries(columns, needed, series, row);
      const selected = filter.select(series, row);
      const candidates = selected ? selected.length : series.count;
      for (let k = 0; k < candidates; k++) {
        const i = selected ? selected[k]! : k;
        for (const f of fillers) f(row, i);
        if (test && truth(test(row)) !== true) continue;
        consider();
        if ((k & (CHECK_EVERY - 1)) === CHECK_EVERY - 1 && rt.slicer.due()) await rt.slicer.maybeYield();
      }
      await rt.slicer.maybeYield();
    }
  }
  yield* sortedBatches(best.values(), cmp, rt.slicer, 1024);
}

/**
 * For each series, only its newest (or oldest) row, in batches: the storage's own edge lookup when
 * it has one, else the part holding the edge row (parts are time-disjoint and sorted, so the edge
 * row of a series is the edge row of its edge part, and the other parts need not be read at all).
 */
async function* edgeSeries(scan: ScanPlan, rt: Runtime, newest: boolean): AsyncGenerator<SeriesRows[]> {
  for (const options of storageScans(scan)) {
    if (rt.target.edgeRows) {
      yield await rt.target.edgeRows(scan.table, options, newest, rt.scanCounters);
      await rt.slicer.maybeYield();
      continue;
    }
    for await (const series of rt.target.scanParts(scan.table, options, rt.scanCounters)) {
      // From the edge inward: a part may load empty when deletes hide all its rows.
      const parts = newest ? [...series.parts].reverse() : series.parts;
      for (const part of parts) {
        const rows = await part.load();
        if (rows.count > 0) {
          yield [rows];
          break;
        }
      }
      await rt.slicer.maybeYield();
    }
  }
}

/** What a WHERE's AND terms require of one numeric field: lo <(=) value <(=) hi. */
export interface FieldBound {
  lo: number;
  loStrict: boolean;
  hi: number;
  hiStrict: boolean;
}

/** Bounds that `field op number` terms of a predicate put on numeric fields, by field name. */
export function fieldBounds(
  predicate: BExpr | undefined,
  columns: readonly Column[],
): Map<string, FieldBound> {
  const bounds = new Map<string, FieldBound>();
  for (const term of conjuncts(predicate)) {
    const cmp = comparisonWithConstant(term);
    if (!cmp) continue;
    const [slot, op, value] = cmp;
    const column = columns[slot];
    if (column?.role !== 'field' || typeof value !== 'number' || Number.isNaN(value)) continue;
    const b = bounds.get(column.name) ?? { lo: -Infinity, loStrict: false, hi: Infinity, hiStrict: false };
    if ((op === '>' || op === '>=' || op === '=') && value >= b.lo) {
      b.loStrict = op === '>' || (value === b.lo && b.loStrict);
      b.lo = value;
    }
    if ((op === '<' || op === '<=' || op === '=') && value <= b.hi) {
      b.hiStrict = op === '<' || (value === b.hi && b.hiStrict);
      b.hi = value;
    }
    bounds.set(column.name, b);
  }
  return bounds;
}

/**
 * True when a part's statistics show that no row of it can pass the bounds: a field without values
 * there (NULL never compares true), or its min/max outside the range. Statistics without min/max
 * (a NaN in the chunk) prove nothing.
 */
export function excludedByStats(
  stats: ReadonlyMap<string, FieldStats>,
  bounds: ReadonlyMap<string, FieldBound>,
): boolean {
  for (const [field, b] of bounds) {
    const st = stats.get(field);
    if (!st || st.count === 0) return true;
    if (st.min === undefined || st.max === undefined) continue;
    if (st.max < b.lo || (b.loStrict && st.max <= b.lo)) return true;
    if (st.min > b.hi || (b.hiStrict && st.min >= b.hi)) return true;
  }
  return false;
}

/**
 * The scan's series with the parts skipped whose chunk statistics rule out every row for the
 * WHERE's bounds on numeric fields (`value > 40`): a rare-threshold query decodes a few chunks.
 * With a `filter`, a series whose tags fail the WHERE's tag-only terms (`sensor_id LIKE 'T%'`) is
 * skipped before any of its parts is read.
 */
export async function* prunedSeries(
  scan: ScanPlan,
  predicate: BExpr | undefined,
  rt: Runtime,
  filter?: SeriesFilter,
): AsyncGenerator<SeriesRows> {
  const bounds = rt.useStatistics ? fieldBounds(predicate, scan.columns) : new Map<string, FieldBound>();
  const byTags = filter?.testsTags ? filter : undefined;
  if (bounds.size === 0 && !byTags) {
    yield* scanSeries(scan, rt);
    return;
  }
  for (const options of storageScans(scan)) {
    for await (const series of rt.target.scanParts(scan.table, options, rt.scanCounters)) {
      if (byTags && !byTags.admitsTags(series.tags)) continue;
      const loaded: SeriesRows[] = [];
      for (const part of series.parts) {
        if (part.stats && excludedByStats(part.stats, bounds)) {
          rt.scanCounters.chunksSkipped++;
          continue;
        }
        loaded.push(await part.load());
      }
      if (loaded.length > 0) yield mergeParts(series.tags, loaded);
    }
  }
}

/** Projection (and WHERE) straight over a scan: only rows that pass are built, with only their output columns. */
export async function* scanProject(
  plan: Extract<Plan, { kind: 'project' }>,
  scan: ScanPlan,
  predicate: BExpr | undefined,
  rt: Runtime,
): AsyncGenerator<Row[]> {
  const columns = scan.columns;
  const needed = neededSlots(plan.exprs, predicate);
  const evals = plan.exprs.map((e) => compile(e, rt.ctx));
  const width = evals.length;
  const filter = SeriesFilter.of(predicate, columns, rt.ctx);
  const test = filter.residual;
  const row: Row = new Array(columns.length).fill(null);
  if (scan.options.empty) return;
  for await (const series of prunedSeries(scan, predicate, rt, filter)) {
    rt.stats.rowsScanned += series.count;
    const fillers = prepareSeries(columns, needed, series, row);
    const selected = filter.select(series, row);
    const candidates = selected ? selected.length : series.count;
    let out: Row[] = [];
    for (let k = 0; k < candidates; k++) {
      const i = selected ? selected[k]! : k;
      for (const f of fillers) f(row, i);
      if (test && truth(test(row)) !== true) continue;
      const o: Row = new Array(width);
      for (let c = 0; c < width; c++) o[c] = evals[c]!(row);
      out.push(o);
      if (out.length >= 1024) {
        yield out;
        out = [];
        await rt.slicer.maybeYield();
      } else if ((k & (CHECK_EVERY - 1)) === CHECK_EVERY - 1 && rt.slicer.due()) await rt.slicer.maybeYield();
    }
    if (out.length) yield out;
    await rt.slicer.maybeYield();
  }
}
