/**
 * Sorting that keeps the event loop responsive: runs are sorted synchronously in small pieces and
 * merged with a yield every few thousand rows. Top-N keeps a bounded heap instead of all rows.
 */
import type { SortKey, Value } from '../plan/logical';
import type { TimeSlicer } from '../util/fsutil';
import { sortAsync as mergeSortAsync } from '../util/sort-async';
import { WorstFirstHeap } from '../util/worst-first-heap';
import { compile, type Row } from './compile';
import type { EvalContext } from './scalar';
import { compareValues } from './values';

/** A row with its sort key values computed once. */
export interface Keyed {
  readonly key: Value[];
  readonly row: Row;
}

export type Comparator = (a: Keyed, b: Keyed) => number;

/** Orders by each key in turn; NULLs first or last as the key says. */
export function comparator(keys: readonly SortKey[]): Comparator {
  const dirs = keys.map((k) => (k.desc ? -1 : 1));
  const nullsFirst = keys.map((k) => k.nullsFirst);
  return (a, b) => {
    for (let i = 0; i < dirs.length; i++) {
      const x = a.key[i]!;
      const y = b.key[i]!;
      if (x === null || y === null) {
        if (x === y) continue;
        return (x === null) === nullsFirst[i] ? -1 : 1;
      }
      const c = compareKeys(x, y);
      if (c !== 0) return c * dirs[i]!;
    }
    return 0;
  };
}

/** compareValues, with same-typed strings and numbers (nearly every key) compared directly. */
function compareKeys(x: Value, y: Value): number {
  if ((typeof x === 'string' && typeof y === 'string') || (typeof x === 'number' && typeof y === 'number')) {
    if (x < y) return -1;
    if (x > y) return 1;
    if (x === y) return 0; // else a NaN: compareValues orders it
  }
  return compareValues(x, y);
}

/** Computes the sort key of rows. */
export function keyer(keys: readonly SortKey[], ctx: EvalContext): (row: Row) => Keyed {
  const evals = keys.map((k) => compile(k.expr, ctx));
  return (row) => ({ key: evals.map((e) => e(row)), row });
}

/** Writes the sort key of a row into `out` (no allocation per row). */
export function keyerInto(keys: readonly SortKey[], ctx: EvalContext): (out: Value[], row: Row) => void {
  const evals = keys.map((k) => compile(k.expr, ctx));
  return (out, row) => {
    for (let i = 0; i < evals.length; i++) out[i] = evals[i]!(row);
  };
}

/** A stable merge sort that yields to the event loop between pieces of work. */
export async function sortAsync(items: Keyed[], cmp: Comparator, slicer: TimeSlicer): Promise<Keyed[]> {
  if (inOrder(items, cmp)) return items; // rows often come sorted already (by series, by time)
  return mergeSortAsync(items, cmp, () => slicer.maybeYield());
}

/**
 * The rows of keyed items sorted (stably) by `cmp`, in batches of `batchRows`: DISTINCT ON gives
 * its rows in its ORDER BY, so that the sort above it has nothing left to do.
 */
export async function* sortedBatches(
  items: Iterable<Keyed>,
  cmp: Comparator,
  slicer: TimeSlicer,
  batchRows: number,
): AsyncGenerator<Row[]> {
  const sorted = await sortAsync([...items], cmp, slicer);
  for (let i = 0; i < sorted.length; i += batchRows) {
    const end = Math.min(i + batchRows, sorted.length);
    const batch: Row[] = new Array(end - i);
    for (let k = i; k < end; k++) batch[k - i] = sorted[k]!.row;
    yield batch;
    await slicer.maybeYield();
  }
}

/** True when two ORDER BYs are the same keys. */
export function sameOrder(a: readonly SortKey[], b: readonly SortKey[]): boolean {
  return a.length === b.length && a.every((k, i) => JSON.stringify(k) === JSON.stringify(b[i]));
}

function inOrder(items: readonly Keyed[], cmp: Comparator): boolean {
  for (let i = 1; i < items.length; i++) if (cmp(items[i - 1]!, items[i]!) > 0) return false;
  return true;
}

/** Keeps the `limit` smallest rows seen (a max-heap on `cmp`); ties keep the earlier row. */
export class TopN {
  private readonly heap = new WorstFirstHeap<Keyed & { seq: number }>((a, b) => this.worse(a, b));
  private seq = 0;
  constructor(
    private readonly limit: number,
    private readonly cmp: Comparator,
  ) {}

  private worse(a: Keyed & { seq: number }, b: Keyed & { seq: number }): boolean {
    const c = this.cmp(a, b);
    return c > 0 || (c === 0 && a.seq > b.seq);
  }

  /** False when `add(item)` would drop it: a full heap rejects most rows (a tie loses, being later). */
  admits(item: Keyed): boolean {
    return this.limit > 0 && (this.heap.size < this.limit || this.cmp(this.heap.root, item) > 0);
  }

  add(item: Keyed): void {
    if (this.limit <= 0) return;
    const h = this.heap;
    if (h.size >= this.limit && this.cmp(h.root, item) <= 0) {
      this.seq++;
      return;
    }
    const entry = { ...item, seq: this.seq++ };
    if (h.size < this.limit) h.push(entry);
    else if (this.worse(h.root, entry)) h.replaceRoot(entry);
  }

  /** The kept rows, in order. */
  result(): Keyed[] {
    return this.heap.toArray().sort((a, b) => this.cmp(a, b) || a.seq - b.seq);
  }
}
