/**
 * The physical operators: each plan node runs as an async generator of row batches. Blocking
 * operators (sort, aggregate, distinct, join's build side) hold at most `maxRows` rows; the scan
 * yields to the event loop between batches.
 */

import type { Column, Plan, Value } from '../plan/logical';
import { assertNever } from '../sql/ast';
import type { FieldColumn, SeriesRows } from '../types';
import { getOwn } from '../util/own';
import { groupResults, newAccumulator } from './aggregates';
import { deleteByMarkers, deleteByTombstone, update } from './change';
import { compile, type Evaluator, type Row } from './compile';
import { createTable, dropTable, viewChange } from './ddl';
import { explain } from './explain';
import { createIndex, dropIndex } from './indexes';
import { insertReadings, insertSqlite } from './insert';
import type { Physical, PhysicalPlan } from './physical';
import { type Runtime, rowBytes, tooManyRows } from './runtime';
import { scanAggregate, scanDistinctOn, scanProject, scanSeries } from './scan-fused';
import { scanMergeSort } from './scan-merge';
import { statsAggregate } from './scan-stats';
import { scanTopN } from './scan-topn';
import { comparator, type Keyed, keyer, keyerInto, sortAsync, sortedBatches, TopN } from './sort';
import { DEFAULT_BUCKET_ORIGIN, timeBucket } from './time';
import { keyOf, truth } from './values';

export type Batch = Row[];

/** Rows per batch handed between operators. */
export const BATCH_ROWS = 1024;

/**
 * Runs a physical plan (physical.ts chose every operator), yielding batches of rows (arrays of
 * values in the plan's column order). Each node's operator is recorded in `rt.ran` as it is made.
 */
export function execute(node: PhysicalPlan, rt: Runtime): AsyncGenerator<Batch> {
  rt.ran.push(node.kind);
  switch (node.kind) {
    case 'tableScan':
      return scan(node.plan, rt);
    case 'values':
      return valuesOp(node.plan.rows);
    case 'filter':
      return filter(node, rt);
    case 'project':
      return project(node, rt);
    case 'fusedScanProject':
      return scanProject(node.plan, node.scan, node.predicate, rt);
    case 'hashAggregate':
      return aggregate(node, rt);
    case 'fusedScanAggregate':
      return scanAggregate(node.plan, node.scan, node.predicate, rt);
    case 'statsAggregate':
      return statsAggregate(node.plan, node.shape, rt);
    case 'gapfill':
      return gapfill(node, rt);
    case 'timeMergeScan':
      return scanMergeSort(node.plan, node.shape, rt, node.keep);
    case 'topNScan':
      return scanTopN(node.plan, node.shape, rt);
    case 'presorted':
      return execute(input(node), rt);
    case 'topN':
      return topN(node, rt);
    case 'sort':
      return sort(node, rt);
    case 'limit':
      return limit(node, rt);
    case 'distinct':
      return distinct(node, rt);
    case 'distinctOn':
      return distinctOn(node, rt);
    case 'fusedScanDistinctOn':
      return scanDistinctOn(node.plan, node.project, node.scan, node.predicate, rt);
    case 'hashJoin':
    case 'nestedLoopJoin':
      return join(node, rt);
    case 'union':
      return union(node, rt);
    case 'insertReadings':
      return insertReadings(node.plan, execute(input(node), rt), rt);
    case 'insertSqlite':
      return insertSqlite(node.plan, node.plan.sqlite!, execute(input(node), rt), rt);
    case 'deleteByTombstone':
      return deleteByTombstone(node.plan, rt);
    case 'deleteByMarkers':
      return deleteByMarkers(node.plan, execute(input(node), rt), rt);
    case 'update':
      return update(node.plan, execute(input(node), rt), rt);
    case 'dropTable':
      return dropTable(node.plan, rt);
    case 'createTable':
      return createTable(node.plan, rt);
    case 'createIndex':
      return createIndex(node.plan, rt);
    case 'dropIndex':
      return dropIndex(node.plan, rt);
    case 'viewChange':
      return viewChange(node.plan, rt);
    case 'explain':
      return explain(input(node), rt);
    default:
      return assertNever(node);
  }
}

/** The one input of a node that reads one. */
function input(node: PhysicalPlan): PhysicalPlan {
  return node.inputs[0]!;
}

// ---- scan ----

type Getter = (i: number) => Value;

function fieldGetter(col: FieldColumn | undefined): Getter {
  if (!col) return () => null;
  const { values, present, type } = col;
  if (type === 'bool') {
    const v = values as Uint8Array;
    return present ? (i) => (present[i] ? v[i] === 1 : null) : (i) => v[i] === 1;
  }
  if (type === 'string') {
    const v = values as string[];
    return present ? (i) => (present[i] ? v[i]! : null) : (i) => v[i]!;
  }
  const v = values as Float64Array;
  return present ? (i) => (present[i] ? v[i]! : null) : (i) => v[i]!;
}

function seriesGetters(columns: readonly Column[], series: SeriesRows): Getter[] {
  return columns.map((c) => {
    if (c.role === 'time') return (i) => series.times[i]!;
    if (c.role === 'tag') {
      const v = getOwn(series.tags, c.name) ?? null;
      return () => v;
    }
    return fieldGetter(series.fields.get(c.name));
  });
}

async function* scan(plan: Extract<Plan, { kind: 'scan' }>, rt: Runtime): AsyncGenerator<Batch> {
  const width = plan.columns.length;
  for await (const series of scanSeries(plan, rt)) {
    const getters = seriesGetters(plan.columns, series);
    rt.stats.rowsScanned += series.count;
    for (let start = 0; start < series.count; start += BATCH_ROWS) {
      const end = Math.min(series.count, start + BATCH_ROWS);
      const batch: Batch = new Array(end - start);
      for (let i = start; i < end; i++) {
        const row: Row = new Array(width);
        for (let c = 0; c < width; c++) row[c] = getters[c]!(i);
        batch[i - start] = row;
      }
      yield batch;
      await rt.slicer.maybeYield();
    }
  }
}

async function* valuesOp(rows: ReadonlyArray<readonly Value[]>): AsyncGenerator<Batch> {
  for (let i = 0; i < rows.length; i += BATCH_ROWS) yield rows.slice(i, i + BATCH_ROWS).map((r) => [...r]);
}

async function* filter(node: Physical<'filter'>, rt: Runtime): AsyncGenerator<Batch> {
  const plan = node.plan;
  const test = compile(plan.predicate, rt.ctx);
  for await (const batch of execute(input(node), rt)) {
    const out = batch.filter((row) => truth(test(row)) === true);
    if (out.length) yield out;
  }
}

async function* project(node: Physical<'project'>, rt: Runtime): AsyncGenerator<Batch> {
  const evals = node.plan.exprs.map((e) => compile(e, rt.ctx));
  const n = evals.length;
  for await (const batch of execute(input(node), rt)) {
    const out: Batch = new Array(batch.length);
    for (let r = 0; r < batch.length; r++) {
      const row = batch[r]!;
      const o: Row = new Array(n);
      for (let c = 0; c < n; c++) o[c] = evals[c]!(row);
      out[r] = o;
    }
    yield out;
  }
}

// ---- aggregate ----

async function* aggregate(node: Physical<'hashAggregate'>, rt: Runtime): AsyncGenerator<Batch> {
  const plan = node.plan;
  const keyEvals = plan.groupBy.map((e) => compile(e, rt.ctx));
  const argEvals = plan.aggregates.map((a) => a.args.map((e) => compile(e, rt.ctx)));
  const groups = new Map<string, { keys: Value[]; accs: ReturnType<typeof newAccumulator>[] }>();
  const newGroup = (keys: Value[]) => {
    rt.charge(rowBytes(keys) + 64 * plan.aggregates.length, 'groups of GROUP BY');
    return { keys, accs: plan.aggregates.map((a) => newAccumulator(a, rt)) };
  };
  if (keyEvals.length === 0) groups.set('', newGroup([]));
  for await (const batch of execute(input(node), rt)) {
    for (const row of batch) {
      const keys = keyEvals.map((k) => k(row));
      const id = keyEvals.length ? keyOf(keys) : '';
      let g = groups.get(id);
      if (!g) {
        g = newGroup(keys);
        groups.set(id, g);
        if (groups.size > rt.maxRows) throw tooManyRows(rt.maxRows, 'groups of GROUP BY');
      }
      for (let a = 0; a < argEvals.length; a++) {
        const evals = argEvals[a]!;
        g.accs[a]!.add(evals[0] ? evals[0](row) : null, evals[1] ? evals[1](row) : null);
      }
    }
  }
  yield* groupResults(groups.values(), rt.slicer, BATCH_ROWS);
}

// ---- gap filling ----

async function collect(node: PhysicalPlan, rt: Runtime, what: string): Promise<Row[]> {
  const rows: Row[] = [];
  for await (const batch of execute(node, rt)) {
    for (const row of batch) {
      rows.push(row);
      rt.charge(rowBytes(row), what);
    }
    rt.checkRows(rows.length, what);
  }
  return rows;
}

async function* gapfill(node: Physical<'gapfill'>, rt: Runtime): AsyncGenerator<Batch> {
  const plan = node.plan;
  const rows = await collect(input(node), rt, 'rows to gap-fill');
  const { bucket, step, partition, fill } = plan;
  const first = timeBucket(step, plan.from, DEFAULT_BUCKET_ORIGIN);
  const last = timeBucket(step, plan.to, DEFAULT_BUCKET_ORIGIN);
  const buckets = Math.floor((last - first) / step) + 1;
  const groups = new Map<string, Map<number, Row>>();
  for (const row of rows) {
    const id = keyOf(partition.map((p) => row[p]!));
    let g = groups.get(id);
    if (!g) groups.set(id, (g = new Map()));
    g.set(row[bucket] as number, row);
  }
  if (groups.size === 0 && partition.length === 0) groups.set('', new Map());
  rt.checkRows(groups.size * buckets, 'rows after gap filling');
  const width = plan.columns.length;
  for (const g of groups.values()) {
    const sample = g.values().next().value as Row | undefined;
    const out: Row[] = [];
    const filled: boolean[] = [];
    for (let b = first; b <= last; b += step) {
      const row = g.get(b);
      if (row) {
        out.push(row);
        filled.push(false);
        continue;
      }
      const made: Row = new Array(width).fill(null);
      made[bucket] = b;
      for (const p of partition) made[p] = sample ? sample[p]! : null;
      out.push(made);
      filled.push(true);
    }
    // rows outside the range (a WHERE wider than the gap-fill range) keep their place after it
    for (const [b, row] of g) if (b < first || b > last || (b - first) % step !== 0) out.push(row);
    fill.forEach((mode, c) => {
      if (mode === 'locf') fillLocf(out, filled, c);
      else if (mode === 'interpolate') fillInterpolate(out, filled, c, bucket);
    });
    for (let i = 0; i < out.length; i += BATCH_ROWS) {
      yield out.slice(i, i + BATCH_ROWS);
      await rt.slicer.maybeYield();
    }
  }
}

function fillLocf(rows: Row[], filled: boolean[], c: number): void {
  let last: Value = null;
  for (let i = 0; i < filled.length; i++) {
    if (filled[i]) rows[i]![c] = last;
    else if (rows[i]![c] !== null) last = rows[i]![c]!;
  }
}

function fillInterpolate(rows: Row[], filled: boolean[], c: number, bucket: number): void {
  let prev = -1;
  for (let i = 0; i < filled.length; i++) {
    if (filled[i] || rows[i]![c] === null) continue;
    if (prev >= 0 && i - prev > 1) {
      const t0 = rows[prev]![bucket] as number;
      const t1 = rows[i]![bucket] as number;
      const v0 = Number(rows[prev]![c]);
      const v1 = Number(rows[i]![c]);
      for (let k = prev + 1; k < i; k++) {
        if (!filled[k]) continue;
        const t = rows[k]![bucket] as number;
        rows[k]![c] = v0 + ((v1 - v0) * (t - t0)) / (t1 - t0);
      }
    }
    prev = i;
  }
}

// ---- sort, limit, distinct ----

/** ORDER BY with a small LIMIT: a bounded heap of the first `keep` rows. */
async function* topN(node: Physical<'topN'>, rt: Runtime): AsyncGenerator<Batch> {
  const keys = node.plan.keys;
  const keyInto = keyerInto(keys, rt.ctx);
  const top = new TopN(node.keep, comparator(keys));
  // Keys go into one reused probe; only a row the heap takes gets its own (most rows do not).
  const probe = { key: [] as Value[], row: [] as Row };
  for await (const batch of execute(input(node), rt)) {
    for (const row of batch) {
      probe.row = row;
      keyInto(probe.key, row);
      if (top.admits(probe)) top.add({ key: [...probe.key], row });
    }
  }
  yield* sortedOut(top.result(), rt);
}

/** ORDER BY: every row held (within maxRows), sorted with yields to the event loop. */
async function* sort(node: Physical<'sort'>, rt: Runtime): AsyncGenerator<Batch> {
  const key = keyer(node.plan.keys, rt.ctx);
  const items: Keyed[] = [];
  for await (const batch of execute(input(node), rt)) {
    for (const row of batch) {
      items.push(key(row));
      rt.charge(rowBytes(row), 'rows to sort for ORDER BY');
    }
    rt.checkRows(items.length, 'rows to sort for ORDER BY');
  }
  yield* sortedOut(await sortAsync(items, comparator(node.plan.keys), rt.slicer), rt);
}

async function* sortedOut(sorted: readonly Keyed[], rt: Runtime): AsyncGenerator<Batch> {
  for (let i = 0; i < sorted.length; i += BATCH_ROWS) {
    yield sorted.slice(i, i + BATCH_ROWS).map((k) => k.row);
    await rt.slicer.maybeYield();
  }
}

async function* limit(node: Physical<'limit'>, rt: Runtime): AsyncGenerator<Batch> {
  const plan = node.plan;
  let skip = plan.offset;
  let left = plan.limit;
  if (left <= 0) return;
  for await (const batch of execute(input(node), rt)) {
    let rows = batch;
    if (skip > 0) {
      const n = Math.min(skip, rows.length);
      rows = rows.slice(n);
      skip -= n;
    }
    if (rows.length > left) rows = rows.slice(0, left);
    left -= rows.length;
    if (rows.length) yield rows;
    if (left <= 0) return;
  }
}

async function* distinct(node: Physical<'distinct'>, rt: Runtime): AsyncGenerator<Batch> {
  const seen = new Set<string>();
  for await (const batch of execute(input(node), rt)) {
    const out: Batch = [];
    for (const row of batch) {
      const k = keyOf(row);
      if (seen.has(k)) continue;
      seen.add(k);
      rt.charge(32 + 2 * k.length, 'distinct rows');
      out.push(row);
    }
    rt.checkRows(seen.size, 'distinct rows');
    if (out.length) yield out;
  }
}

/** Per key, the row that sorts first by the ORDER BY wins; streaming, one row per key held. */
async function* distinctOn(node: Physical<'distinctOn'>, rt: Runtime): AsyncGenerator<Batch> {
  const plan = node.plan;
  const keyEvals = plan.keys.map((e) => compile(e, rt.ctx));
  const key = keyer(plan.order, rt.ctx);
  const cmp = comparator(plan.order);
  const best = new Map<string, Keyed>();
  for await (const batch of execute(input(node), rt)) {
    for (const row of batch) {
      const id = keyOf(keyEvals.map((k) => k(row)));
      const cand = key(row);
      const cur = best.get(id);
      if (!cur) {
        best.set(id, cand);
        rt.charge(32 + 2 * id.length + rowBytes(row), 'DISTINCT ON keys');
        if (best.size > rt.maxRows) throw tooManyRows(rt.maxRows, 'DISTINCT ON keys');
      } else if (cmp(cand, cur) < 0) best.set(id, cand);
    }
  }
  yield* sortedBatches(best.values(), cmp, rt.slicer, BATCH_ROWS);
}

// ---- join, union ----

async function* join(node: Physical<'hashJoin' | 'nestedLoopJoin'>, rt: Runtime): AsyncGenerator<Batch> {
  const plan = node.plan;
  const [leftInput, rightInput] = node.inputs as [PhysicalPlan, PhysicalPlan];
  const right = await collect(rightInput, rt, 'rows of the right side of a JOIN');
  const leftKeys = plan.leftKeys.map((e) => compile(e, rt.ctx));
  const rightKeys = plan.rightKeys.map((e) => compile(e, rt.ctx));
  const residual: Evaluator | undefined = plan.residual ? compile(plan.residual, rt.ctx) : undefined;
  const rightWidth = plan.right.columns.length;
  let table: Map<string, Row[]> | undefined;
  if (rightKeys.length) {
    table = new Map();
    for (let i = 0; i < right.length; i++) {
      const row = right[i]!;
      const ks = rightKeys.map((k) => k(row));
      if (!ks.includes(null)) {
        const id = keyOf(ks);
        const list = table.get(id);
        if (list) list.push(row);
        else table.set(id, [row]);
      }
      if ((i & 255) === 255 && rt.slicer.due()) await rt.slicer.maybeYield();
    }
  }
  const nulls: Row = new Array(rightWidth).fill(null);
  for await (const batch of execute(leftInput, rt)) {
    let out: Batch = [];
    for (let b = 0; b < batch.length; b++) {
      const l = batch[b]!;
      if ((b & 255) === 255 && rt.slicer.due()) await rt.slicer.maybeYield();
      let candidates: Row[] = right;
      if (table) {
        const ks = leftKeys.map((k) => k(l));
        candidates = ks.includes(null) ? [] : (table.get(keyOf(ks)) ?? []);
      }
      let matched = false;
      for (let i = 0; i < candidates.length; i++) {
        const row = [...l, ...candidates[i]!];
        if (!residual || truth(residual(row)) === true) {
          matched = true;
          out.push(row);
          // a join can multiply rows: hand them on in batches rather than hold them
          if (out.length >= BATCH_ROWS) {
            yield out;
            out = [];
          }
        }
        if ((i & 1023) === 1023) await rt.slicer.maybeYield();
      }
      if (!matched && plan.type === 'left') out.push([...l, ...nulls]);
    }
    if (out.length) yield out;
    await rt.slicer.maybeYield();
  }
}

async function* union(node: Physical<'union'>, rt: Runtime): AsyncGenerator<Batch> {
  for (const each of node.inputs) yield* execute(each, rt);
}
