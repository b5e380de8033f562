/**
 * Applying a SQLite-shaped table's rules (plan/constraints.ts) to rows: column affinity, the
 * storage type, NOT NULL and CHECK (`conformRow`), and the UNIQUE keys (`findConflicts`), as
 * SQLite applies them and with its words (docs/sql.md, "Tables declared as SQLite declares them").
 */

import type { SqliteColumn } from '../catalog/catalog';
import type { SqlType, TableRules, Value } from '../plan/logical';
import { ROWID_FIELD } from '../rows/identity';
import { SqlError } from '../sql/errors';
import type { FieldColumn, FieldStats, SeriesRows } from '../types';
import { compile, type Row } from './compile';
import type { Runtime } from './runtime';
import type { EvalContext } from './scalar';
import { keyOf, numericAffinity, toText, truth } from './values';

export const CONSTRAINT = 'HELIOS_SQL_CONSTRAINT';

/** Compiled CHECK constraints of a TableRules, kept per rules object. */
const compiledChecks = new WeakMap<TableRules, Array<(row: Row) => Value>>();

/**
 * Makes `row` (in the table's scan layout: time, declared columns, rowid) fit the table, in place:
 * each declared column's value converted by its affinity (text of a number into an INTEGER, REAL
 * or NUMERIC column becomes the number; a number into a TEXT column becomes text), then checked
 * against the column's storage type, NOT NULL and the CHECK constraints. `types` gives the static
 * type of each position when known (a float 2.0 into a TEXT column is '2.0'). Throws SqlError
 * (code HELIOS_SQL_CONSTRAINT for NOT NULL and CHECK, HELIOS_SQL_TYPE for a value of the wrong
 * type) with SQLite's words first. UPDATE calls it for each changed row, INSERT for each new one.
 */
export function conformRow(
  rules: TableRules,
  row: Value[],
  ctx: EvalContext,
  types?: ReadonlyArray<SqlType | undefined>,
): void {
  rules.columns.forEach((c, i) => {
    const at = i + 1;
    const v = convert(c, row[at]!, types?.[at]);
    checkStorage(rules, c, rules.storage[i] ?? null, v);
    // NULL in the INTEGER PRIMARY KEY means "number the row", as in SQLite
    if (v === null && c.notNull && at !== rules.alias) {
      throw new SqlError(
        `NOT NULL constraint failed: ${rules.table}.${c.name} (the row has no value for "${c.name}", which is declared NOT NULL; give one, or declare a DEFAULT)`,
        CONSTRAINT,
      );
    }
    row[at] = v;
  });
  let checks = compiledChecks.get(rules);
  if (!checks) {
    checks = rules.checks.map((k) => compile(k.expr, ctx));
    compiledChecks.set(rules, checks);
  }
  for (let k = 0; k < checks.length; k++) {
    if (truth(checks[k]!(row)) === false) {
      const check = rules.checks[k]!;
      throw new SqlError(`CHECK constraint failed: ${check.name ?? check.text}`, CONSTRAINT);
    }
  }
}

/** A value converted by the column's affinity, as SQLite converts it before storing. */
function convert(c: SqliteColumn, v: Value, type: SqlType | undefined): Value {
  if (v === null) return null;
  switch (c.affinity) {
    case 'INTEGER':
    case 'REAL':
    case 'NUMERIC':
      if (typeof v === 'boolean') return v ? 1 : 0;
      return numericAffinity(v);
    case 'TEXT':
      return typeof v === 'string' ? v : toText(v, type === 'float');
    default:
      return v;
  }
}

const STORAGE_WORDS: Readonly<Record<string, string>> = {
  int: 'whole numbers',
  float: 'numbers',
  string: 'text',
  bool: 'booleans',
};

function describeValue(v: Value): string {
  if (typeof v === 'string') return `'${v.length > 40 ? `${v.slice(0, 40)}...` : v}' (text)`;
  if (typeof v === 'number') return `${v} (${Number.isInteger(v) ? 'an integer' : 'a real number'})`;
  return `${v} (a boolean)`;
}

function checkStorage(rules: TableRules, c: SqliteColumn, storage: string | null, v: Value): void {
  if (v === null || storage === null) return;
  const fits =
    storage === 'int'
      ? typeof v === 'number' && Number.isSafeInteger(v)
      : storage === 'float'
        ? typeof v === 'number'
        : storage === 'string'
          ? typeof v === 'string'
          : typeof v === 'boolean';
  if (fits) return;
  const declared = c.type === '' ? 'without a type' : `${c.type}`;
  throw new SqlError(
    `Column "${c.name}" of table "${rules.table}" (declared ${declared}) holds ${STORAGE_WORDS[storage]}: ` +
      `${describeValue(v)} cannot be stored there. Give a value of that type` +
      (storage === 'int' && typeof v === 'number'
        ? ' (Helios keeps one type per column: an INTEGER column does not take a real number)'
        : '') +
      '.',
    'HELIOS_SQL_TYPE',
  );
}

/** The text of a UNIQUE error for the key at `positions`, SQLite's words. */
export function uniqueFailed(rules: TableRules, positions: readonly number[]): SqlError {
  const alias = rules.alias >= 0 ? rules.columns[rules.alias - 1]!.name : 'rowid';
  const names = positions.map((p) =>
    p === rules.rowid ? `${rules.table}.${alias}` : `${rules.table}.${rules.columns[p - 1]!.name}`,
  );
  return new SqlError(`UNIQUE constraint failed: ${names.join(', ')}`, CONSTRAINT);
}

/** A stored row that holds key values: its identity and its key strings. */
export interface StoredKeyRow {
  readonly time: number;
  readonly rowid: number | null;
  readonly keys: ReadonlyArray<string | null>;
  /** the whole row in the table's layout, when asked for (`full`) */
  readonly values?: readonly Value[];
}

/** The key string of `row` at `positions`; null when a value is NULL (NULLs never conflict). */
export function keyString(row: readonly Value[], positions: readonly number[]): string | null {
  const values: Value[] = [];
  for (const p of positions) {
    const v = row[p]!;
    if (v === null) return null;
    values.push(v);
  }
  return keyOf(values);
}

function getter(col: FieldColumn | undefined): (i: number) => Value {
  if (!col) return () => null;
  const { values, present, type } = col;
  if (type === 'bool') return (i) => (present && !present[i] ? null : (values as Uint8Array)[i] === 1);
  return (i) => (present && !present[i] ? null : (values[i] as number | string));
}

/** Per key, per position of it: the smallest and largest number a candidate row has there. */
type KeyBounds = ReadonlyArray<ReadonlyArray<{ min: number; max: number } | null>>;

function boundsOf(keys: ReadonlyArray<readonly number[]>, rows: readonly (readonly Value[])[]): KeyBounds {
  return keys.map((key) =>
    key.map((p) => {
      let min = Number.POSITIVE_INFINITY;
      let max = Number.NEGATIVE_INFINITY;
      for (const row of rows) {
        if (keyString(row, key) === null) continue;
        const v = row[p]!;
        if (typeof v !== 'number') return null; // text or booleans: no bounds to compare
        if (v < min) min = v;
        if (v > max) max = v;
      }
      return min <= max ? { min, max } : null;
    }),
  );
}

/**
 * True when no row of a part with these statistics can have the values of any key some
 * candidate has: for each such key, one of its columns has no values in the part, or the
 * candidates' numbers there all lie outside the part's min..max.
 */
function partExcluded(
  stats: ReadonlyMap<string, FieldStats>,
  keys: ReadonlyArray<readonly number[]>,
  wanted: ReadonlyArray<ReadonlySet<string>>,
  bounds: KeyBounds,
  name: (p: number) => string,
): boolean {
  return keys.every((key, k) => {
    if (wanted[k]!.size === 0) return true;
    return key.some((p, j) => {
      const st = stats.get(name(p));
      if (!st || st.count === 0) return true;
      const b = bounds[k]![j];
      if (!b || st.min === undefined || st.max === undefined) return false;
      return b.max < st.min || b.min > st.max;
    });
  });
}

/**
 * The stored rows of the table whose values at any of `keys` (lists of layout positions) are in
 * `wanted` (one set of key strings per key): per key, a map from key string to the stored row.
 * One pass over the table's parts: a SQLite-shaped table has no tags and its time is the insert
 * time, so neither narrows it; a chunk whose statistics show that none of its rows can have a
 * wanted key (numbers outside its min..max, a column it has no values of) is not decoded, so a
 * key that grows with time (a timestamp, a counter) reads only the newest rows. `rows` are the
 * candidate rows in the table's layout (for those bounds; without them every part is read);
 * `full` keeps each found row whole (DO UPDATE changes it).
 */
export async function storedKeys(
  rules: TableRules,
  keys: ReadonlyArray<readonly number[]>,
  wanted: ReadonlyArray<ReadonlySet<string>>,
  rt: Runtime,
  rows: readonly (readonly Value[])[] = [],
  full = false,
): Promise<Array<Map<string, StoredKeyRow>>> {
  const found = keys.map(() => new Map<string, StoredKeyRow>());
  if (wanted.every((w) => w.size === 0)) return found;
  const name = (p: number): string => (p === rules.rowid ? ROWID_FIELD : rules.columns[p - 1]!.name);
  const bounds = rows.length ? boundsOf(keys, rows) : null;
  for await (const series of rt.target.scanParts(rules.table, {}, rt.scanCounters)) {
    for (const part of series.parts) {
      if (bounds && part.stats && partExcluded(part.stats, keys, wanted, bounds, name)) continue;
      collectKeys(rules, await part.load(), keys, wanted, found, name, full);
      await rt.slicer.maybeYield();
    }
  }
  return found;
}

function collectKeys(
  rules: TableRules,
  series: SeriesRows,
  keys: ReadonlyArray<readonly number[]>,
  wanted: ReadonlyArray<ReadonlySet<string>>,
  found: Array<Map<string, StoredKeyRow>>,
  name: (p: number) => string,
  full: boolean,
): void {
  const getters = new Map<number, (i: number) => Value>();
  for (const key of keys) for (const p of key) getters.set(p, getter(series.fields.get(name(p))));
  if (full) for (let p = 1; p <= rules.rowid; p++) getters.set(p, getter(series.fields.get(name(p))));
  const ids = getter(series.fields.get(ROWID_FIELD));
  const row: Value[] = new Array(rules.rowid + 1).fill(null);
  for (let i = 0; i < series.count; i++) {
    for (const [p, get] of getters) row[p] = get(i);
    let stored: StoredKeyRow | null = null;
    keys.forEach((key, k) => {
      const s = keyString(row, key);
      if (s === null || !wanted[k]!.has(s)) return;
      stored ??= {
        time: series.times[i]!,
        rowid: ids(i) as number | null,
        keys: keys.map((other) => keyString(row, other)),
        ...(full ? { values: [series.times[i]!, ...row.slice(1)] } : {}),
      };
      found[k]!.set(s, stored);
    });
  }
}
