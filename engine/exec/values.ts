/**
 * SQL value semantics shared by the operators: ordering (NULL < numbers < text, as SQLite sorts),
 * truth (three-valued), numeric conversion of text (SQLite's leading-number rule), group keys.
 */
import type { Value } from '../plan/logical';

function rank(v: Value): number {
  if (v === null) return 0;
  if (typeof v === 'string') return 2;
  return 1;
}

/** Total order used by ORDER BY, min/max, DISTINCT: NULL first, then numbers (booleans as 0/1), then text. */
export function compareValues(a: Value, b: Value): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 0) return 0;
  if (ra === 2) return (a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0;
  const x = Number(a);
  const y = Number(b);
  if (x < y) return -1;
  if (x > y) return 1;
  if (x === y) return 0;
  // NaN sorts before every number, and equal to itself
  return Number.isNaN(x) ? (Number.isNaN(y) ? 0 : -1) : 1;
}

/** SQL truth of a value: null stays null (unknown); numbers are true when non-zero; text by its number. */
export function truth(v: Value): boolean | null {
  if (v === null) return null;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  return toNumber(v) !== 0;
}

/** A number from a value as SQLite reads text: its longest numeric prefix, else 0. */
export function toNumber(v: Value): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v === null) return Number.NaN;
  const m = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/.exec(v);
  return m ? Number(m[0]) : 0;
}

/** Text that is entirely a number becomes that number (SQLite's numeric affinity); other values unchanged. */
export function numericAffinity(v: Value): Value {
  if (typeof v !== 'string') return v;
  const t = v.trim();
  if (t !== '' && /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  return v;
}

/** A value as SQL text (numbers as SQLite prints them: floats keep a '.0'). */
export function toText(v: Value, isFloat = false): string | null {
  if (v === null) return null;
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'number') return isFloat ? formatFloat(v) : String(v);
  return v;
}

/** A float as SQLite's text: 2 -> '2.0', 0.1 -> '0.1', 1e20 -> '1.0e+20'. */
export function formatFloat(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Inf' : '-Inf';
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return `${x}.0`;
  const s = String(x);
  if (/e/.test(s)) return s.replace(/^(-?\d+)e/, '$1.0e');
  return s;
}

/** A string identifying `values` for hashing (GROUP BY, DISTINCT, joins): equal SQL values, equal keys. */
export function keyOf(values: readonly Value[]): string {
  let key = '';
  for (const v of values) key += keyPart(v);
  return key;
}

export function keyPart(v: Value): string {
  if (v === null) return 'n|';
  if (typeof v === 'string') return `s${v.length}:${v}`;
  if (typeof v === 'boolean') return v ? 'd1|' : 'd0|';
  return `d${Object.is(v, -0) ? 0 : v}|`;
}
