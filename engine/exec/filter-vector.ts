/**
 * A scan's WHERE applied a column at a time. The fused scans used to fill a row buffer and call
 * the compiled predicate for every row: about 100 ns and 200 bytes of garbage a row (numbers boxed
 * into the row, an argument array per comparison). Here the AND terms that compare a numeric
 * column with a number, or test it for NULL, run as tight loops over the series' typed arrays and
 * leave the positions that pass; terms that read only tags are decided once per series; whatever
 * else the WHERE says stays a per-row `residual`, evaluated only on the rows that got through.
 *
 * Same answers as the compiled predicate (exec/scalar.ts, exec/values.ts): NULL never passes a
 * comparison; NaN orders before every number (so `NaN < 1` is true, `NaN > 1` false).
 */
import { slotsOf } from '../plan/bind-expr';
import type { BExpr, Column } from '../plan/logical';
import { andAll, conjuncts } from '../plan/pushdown';
import type { SeriesRows } from '../types';
import { getOwn } from '../util/own';
import { compile, type Evaluator, type Row } from './compile';
import type { EvalContext } from './scalar';
import { truth } from './values';

/** Which orderings of (column value, constant) pass: bit 1 less, 2 equal, 4 greater. */
const PASSES: Readonly<Record<string, number>> = { '<': 1, '<=': 3, '=': 2, '>=': 6, '>': 4, '!=': 5 };
const FLIPPED: Readonly<Record<string, string>> = {
  '<': '>',
  '<=': '>=',
  '>': '<',
  '>=': '<=',
  '=': '=',
  '!=': '!=',
};

/** `column op number` or `column IS [NOT] NULL` over the time or a numeric field. */
type ColumnTerm =
  | { readonly kind: 'compare'; readonly column: Column; readonly passes: number; readonly value: number }
  | { readonly kind: 'null'; readonly column: Column; readonly isNull: boolean };

function isNumericColumn(column: Column | undefined): column is Column {
  if (column?.role === 'time') return true;
  return column?.role === 'field' && (column.type === 'float' || column.type === 'int');
}

/** The term as a column test, or undefined when it is anything else. */
function columnTerm(term: BExpr, columns: readonly Column[]): ColumnTerm | undefined {
  if (term.kind !== 'apply') return undefined;
  if ((term.fn === 'is_null' || term.fn === 'is_not_null') && term.args[0]?.kind === 'slot') {
    const column = columns[term.args[0].index];
    if (!isNumericColumn(column)) return undefined;
    return { kind: 'null', column, isNull: term.fn === 'is_null' };
  }
  if (!(term.fn in PASSES) || term.args.length !== 2) return undefined;
  const [a, b] = term.args as [BExpr, BExpr];
  const [s, c, op] = a.kind === 'slot' ? [a, b, term.fn] : [b, a, FLIPPED[term.fn]!];
  if (s.kind !== 'slot' || c.kind !== 'const') return undefined;
  const column = columns[s.index];
  if (!isNumericColumn(column) || typeof c.value !== 'number' || Number.isNaN(c.value)) return undefined;
  return { kind: 'compare', column, passes: PASSES[op]!, value: c.value };
}

/** True when `e` reads tags only: one value per series. */
export function onlyTags(e: BExpr, columns: readonly Column[]): boolean {
  return [...slotsOf(e)].every((s) => columns[s]?.role === 'tag');
}

export class SeriesFilter {
  private scratch = new Int32Array(0);

  /** a row with only tag slots set, for `admitsTags` */
  private readonly tagRow: Row;

  private constructor(
    private readonly columns: readonly Column[],
    private readonly columnTerms: readonly ColumnTerm[],
    private readonly tagTests: readonly Evaluator[],
    /** the rest of the WHERE, for each row the column terms let through */
    readonly residual: Evaluator | undefined,
  ) {
    this.tagRow = new Array(columns.length).fill(null);
  }

  /** The filter for a WHERE over a scan with these columns (slot i is columns[i]). */
  static of(predicate: BExpr | undefined, columns: readonly Column[], ctx: EvalContext): SeriesFilter {
    const vector: ColumnTerm[] = [];
    const tagTests: Evaluator[] = [];
    const rest: BExpr[] = [];
    for (const term of conjuncts(predicate)) {
      const found = columnTerm(term, columns);
      if (found) vector.push(found);
      else if (onlyTags(term, columns)) tagTests.push(compile(term, ctx));
      else rest.push(term);
    }
    const residual = andAll(rest);
    return new SeriesFilter(columns, vector, tagTests, residual ? compile(residual, ctx) : undefined);
  }

  /** True when the filter lets every row through (no WHERE). */
  get passesAll(): boolean {
    return this.columnTerms.length === 0 && this.tagTests.length === 0 && this.residual === undefined;
  }

  /** True when the WHERE has terms that read tags only (`admitsTags` can turn series away). */
  get testsTags(): boolean {
    return this.tagTests.length > 0;
  }

  /** False when a series with these tags has no row that passes (its tag-only terms fail). */
  admitsTags(tags: Readonly<Record<string, string>>): boolean {
    const row = this.tagRow;
    this.columns.forEach((c, slot) => {
      if (c.role === 'tag') row[slot] = getOwn(tags, c.name) ?? null;
    });
    return this.tagTests.every((test) => truth(test(row)) === true);
  }

  /**
   * The positions of `series` that pass the column and tag terms, ascending; `null` when that is
   * every row. `tagRow` has the series' tag slots set. The array is reused by the next call.
   */
  select(series: SeriesRows, tagRow: Row): Int32Array | null {
    for (const test of this.tagTests) if (truth(test(tagRow)) !== true) return this.scratch.subarray(0, 0);
    if (this.columnTerms.length === 0) return null;
    if (this.scratch.length < series.count)
      this.scratch = new Int32Array(Math.max(series.count, this.scratch.length * 2));
    const out = this.scratch;
    let n = -1; // -1: no term applied yet, every row is a candidate
    for (const term of this.columnTerms) {
      n = applyTerm(term, series, out, n);
      if (n === 0) break;
    }
    return out.subarray(0, n);
  }
}

/** Keeps the candidates (the first `n` of `out`, or all rows when n is -1) that pass `term`. */
function applyTerm(term: ColumnTerm, series: SeriesRows, out: Int32Array, n: number): number {
  const all = n < 0;
  const count = all ? series.count : n;
  const column = term.column;
  let values: Float64Array | undefined;
  let present: Uint8Array | null = null;
  if (column.role === 'time') values = series.times;
  else {
    const field = series.fields.get(column.name);
    // a field this series never had: every row is NULL
    if (!field) return term.kind === 'null' && term.isNull ? fillAll(out, all, count) : 0;
    if (!(field.values instanceof Float64Array)) return 0; // not a number column: no comparison holds
    values = field.values;
    present = field.present;
  }
  if (term.kind === 'null') {
    if (!present) return term.isNull ? 0 : fillAll(out, all, count);
    const p = present;
    return term.isNull
      ? keepWhere(out, all, count, (i) => p[i] === 0)
      : keepWhere(out, all, count, (i) => p[i] !== 0);
  }
  return keepCompared(values, present, term.passes, term.value, out, all, count);
}

/** Every candidate kept: when all rows are, they are written out as positions. */
function fillAll(out: Int32Array, all: boolean, count: number): number {
  if (all) for (let i = 0; i < count; i++) out[i] = i;
  return count;
}

function keepWhere(out: Int32Array, all: boolean, count: number, keep: (i: number) => boolean): number {
  let n = 0;
  for (let k = 0; k < count; k++) {
    const i = all ? k : out[k]!;
    if (keep(i)) out[n++] = i;
  }
  return n;
}

/** The comparison loop: the ordering of each value against `value` as a bit, kept when in `passes`. */
function keepCompared(
  values: Float64Array,
  present: Uint8Array | null,
  passes: number,
  value: number,
  out: Int32Array,
  all: boolean,
  count: number,
): number {
  let n = 0;
  for (let k = 0; k < count; k++) {
    const i = all ? k : out[k]!;
    if (present !== null && present[i] === 0) continue;
    const v = values[i]!;
    // NaN is neither less, equal nor greater: it orders before every number, so "less"
    const order = v > value ? 4 : v === value ? 2 : 1;
    if ((order & passes) !== 0) out[n++] = i;
  }
  return n;
}
