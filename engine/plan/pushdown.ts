/**
 * Pushdown: reads a WHERE (or ON) condition's top-level AND terms and moves what the storage can
 * answer into a table scan's options: ranges on `time` (>, >=, <, <=, =, BETWEEN, already folded to
 * numbers, so ISO strings and `now() - INTERVAL ...` qualify) and equalities on tags. Times are
 * integer ms, so strict bounds become inclusive ones (`time < 10` is `to = 9`).
 */

import { putOwn } from '../util/own';
import type { BExpr, Column, ScanOptions } from './logical';
import { explainExpr } from './logical';

/** The top-level AND terms of a condition. */
export function conjuncts(e: BExpr | undefined): BExpr[] {
  if (!e) return [];
  if (e.kind === 'apply' && e.fn === 'AND') return [...conjuncts(e.args[0]), ...conjuncts(e.args[1])];
  return [e];
}

/** The AND of terms, or undefined for none. */
export function andAll(terms: readonly BExpr[]): BExpr | undefined {
  if (terms.length === 0) return undefined;
  return terms.reduce((a, b) => ({ kind: 'apply', fn: 'AND', args: [a, b], type: 'bool' }));
}

const FLIP: Readonly<Record<string, string>> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=', '=': '=' };
const INCLUSIVE: Readonly<Record<string, string>> = { '<': '<=', '>': '>=' };

/** `slot op const` (either way round) as [slot index, op, value], else undefined. */
export function comparisonWithConstant(e: BExpr): [number, string, unknown] | undefined {
  if (
    e.kind === 'in' &&
    !e.not &&
    e.list.length === 1 &&
    e.operand.kind === 'slot' &&
    e.list[0]!.kind === 'const'
  ) {
    return [e.operand.index, '=', e.list[0]!.value];
  }
  if (e.kind !== 'apply' || !(e.fn in FLIP) || e.args.length !== 2) return undefined;
  const [a, b] = e.args as [BExpr, BExpr];
  if (a.kind === 'slot' && b.kind === 'const') return [a.index, e.fn, b.value];
  if (b.kind === 'slot' && a.kind === 'const') return [b.index, FLIP[e.fn]!, a.value];
  return undefined;
}

/** Narrows `options` by one term over a scan whose columns start at slot `offset`; true when the term is fully answered. */
export function pushTerm(
  term: BExpr,
  columns: readonly Column[],
  offset: number,
  options: ScanOptions,
): boolean {
  if (pushTagList(term, columns, offset, options)) return true;
  const found = comparisonWithConstant(term);
  if (!found) return false;
  const [index, op, value] = found;
  const column = columns[index - offset];
  if (!column || index < offset) return false;
  if (column.role === 'time' && typeof value === 'number' && !Number.isNaN(value)) {
    narrowTime(options, op, value);
    return true;
  }
  if (column.timeUnitMs !== undefined && typeof value === 'number' && Number.isFinite(value)) {
    // A row's time is floor(value * unit), so the bound holds for it, inclusively. The term
    // itself stays for the filter: this only spares the scan what cannot match.
    narrowTime(options, INCLUSIVE[op] ?? op, Math.floor(value * column.timeUnitMs));
    return false;
  }
  if (column.role === 'tag' && op === '=' && typeof value === 'string') {
    const tags = (options.tags ??= {});
    if (Object.hasOwn(tags, column.name) && tags[column.name] !== value) options.empty = true;
    putOwn(tags, column.name, value);
    return true;
  }
  return false;
}

/** `tag IN ('a', 'b', ...)` with text constants: scanned as one scan per value. */
function pushTagList(term: BExpr, columns: readonly Column[], offset: number, options: ScanOptions): boolean {
  if (term.kind !== 'in' || term.not || term.list.length < 2 || term.operand.kind !== 'slot') return false;
  const column = columns[term.operand.index - offset];
  if (column?.role !== 'tag' || term.operand.index < offset) return false;
  if (!term.list.every((x) => x.kind === 'const' && typeof x.value === 'string')) return false;
  const values = [...new Set(term.list.map((x) => (x as { value: string }).value))].sort();
  const lists = (options.tagsIn ??= {});
  const known = lists[column.name];
  lists[column.name] = known ? known.filter((v) => values.includes(v)) : values;
  if (lists[column.name]!.length === 0) options.empty = true;
  return true;
}

function narrowTime(options: ScanOptions, op: string, c: number): void {
  const lower = (v: number): void => {
    options.from = options.from === undefined ? v : Math.max(options.from, v);
  };
  const upper = (v: number): void => {
    options.to = options.to === undefined ? v : Math.min(options.to, v);
  };
  switch (op) {
    case '>':
      lower(Math.floor(c) + 1);
      break;
    case '>=':
      lower(Math.ceil(c));
      break;
    case '<':
      upper(Math.ceil(c) - 1);
      break;
    case '<=':
      upper(Math.floor(c));
      break;
    default:
      if (!Number.isInteger(c)) options.empty = true;
      lower(c);
      upper(c);
  }
  if (options.from !== undefined && options.to !== undefined && options.from > options.to)
    options.empty = true;
}

/** A term as text for EXPLAIN's "pushed down" line. */
export function describeTerm(term: BExpr): string {
  return explainExpr(term);
}
