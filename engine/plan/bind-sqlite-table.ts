/**
 * CREATE TABLE in SQLite's shape (no TAG or time column), CREATE [UNIQUE] INDEX and DROP INDEX
 * (docs/sql.md, "Tables declared as SQLite declares them"). Every column is a field, in declared
 * order, with SQLite's affinity; INTEGER PRIMARY KEY is the rowid; NOT NULL, DEFAULT, CHECK,
 * UNIQUE and PRIMARY KEY are recorded in the declaration and honoured by INSERT; REFERENCES,
 * FOREIGN KEY and COLLATE are accepted and not enforced.
 */

import type { SqliteAffinity, SqliteColumn, SqliteKey, SqliteTable } from '../catalog/catalog';
import * as A from '../sql/ast';
import { printExpr } from '../sql/printer';
import type { ColumnType } from '../types';
import { putOwn } from '../util/own';
import { type ExprBinder, Scope } from './bind-expr';
import type { Plan, TableDefinitionSpec } from './logical';
import { type TableInfo, type TableLookup, tableColumns, tableScope } from './tables';

const UNSUPPORTED = 'HELIOS_SQL_UNSUPPORTED';

/** Types that make a table Helios-shaped (a tag, the time column). */
const HELIOS_TYPES = new Set([
  'TAG',
  'TEXT TAG',
  'VARCHAR TAG',
  'STRING TAG',
  'TIMESTAMP',
  'TIMESTAMPTZ',
  'TIMESTAMP WITH TIME ZONE',
]);

/** True when CREATE TABLE declares a table in SQLite's shape: no tag, no time column. */
export function isSqliteShape(s: A.CreateTable): boolean {
  return s.columns.every((c) => !HELIOS_TYPES.has(c.type) && c.name.toLowerCase() !== 'time');
}

/** SQLite's affinity of a declared type (https://sqlite.org/datatype3.html, 3.1), rules in order. */
export function affinityOf(type: string): SqliteAffinity {
  const t = type.toUpperCase();
  if (t.includes('INT')) return 'INTEGER';
  if (t.includes('CHAR') || t.includes('CLOB') || t.includes('TEXT')) return 'TEXT';
  if (t === '' || t.includes('BLOB')) return 'BLOB';
  if (t.includes('REAL') || t.includes('FLOA') || t.includes('DOUB')) return 'REAL';
  return 'NUMERIC';
}

/** The field type a column's values are stored as; null: the first value stored decides. */
function storageOf(type: string, affinity: SqliteAffinity): ColumnType | null {
  switch (affinity) {
    case 'INTEGER':
      return 'int';
    case 'REAL':
      return 'float';
    case 'TEXT':
      return 'string';
    case 'NUMERIC':
      return type === 'BOOLEAN' || type === 'BOOL' ? 'int' : null;
    default:
      return null;
  }
}

/** DEFAULT CURRENT_TIMESTAMP / CURRENT_DATE / CURRENT_TIME, as SQLite formats them (UTC). */
const CURRENT: Readonly<Record<string, string>> = {
  current_timestamp: "datetime('now')",
  current_date: "date('now')",
  current_time: "strftime('%H:%M:%S', 'now')",
};

const STRICT_TYPES = new Set(['INT', 'INTEGER', 'REAL', 'TEXT', 'BLOB', 'ANY']);

/** The column a PRIMARY KEY / UNIQUE / index names, checked to be one of `columns`. */
function columnOf(x: ExprBinder, c: A.IndexedColumn, columns: readonly SqliteColumn[], what: string): string {
  const e = c.expr;
  const found =
    e.kind === 'column' ? columns.find((d) => d.name.toLowerCase() === e.name.toLowerCase()) : undefined;
  if (!found) {
    if (e.kind === 'column')
      throw x.error(e, `${what} names the column "${e.name}", which the table does not have`);
    throw x.error(e, `${what} on an expression is not supported yet: name columns`, '', UNSUPPORTED);
  }
  return found.name;
}

interface Collected {
  columns: SqliteColumn[];
  checks: Array<{ name: string | null; sql: string }>;
  keys: SqliteKey[];
  alias: string | null;
  primary: boolean;
  primaryKey?: readonly string[];
}

/** CREATE TABLE in SQLite's shape: the definition createTable takes, with the table's SQLite shape. */
export function bindSqliteTable(
  x: ExprBinder,
  s: A.CreateTable,
  existing: TableInfo | undefined,
): { definition: TableDefinitionSpec; table: string } {
  const out: Collected = { columns: [], checks: [], keys: [], alias: null, primary: false };
  const seen = new Set<string>();
  if (s.withoutRowid) {
    throw x.error(
      s,
      'CREATE TABLE ... WITHOUT ROWID is not supported: Helios numbers every row of a table declared as SQLite declares them',
      'Leave WITHOUT ROWID out: the PRIMARY KEY is honoured as a UNIQUE key all the same.',
      UNSUPPORTED,
    );
  }
  for (const c of s.columns) {
    const lower = c.name.toLowerCase();
    if (seen.has(lower)) throw x.error(c, `Column "${c.name}" is declared twice`);
    seen.add(lower);
    if (s.strict && !STRICT_TYPES.has(c.type)) {
      throw x.error(
        c,
        `unknown datatype for ${s.name}.${c.name}: "${c.type}"`,
        'A STRICT table takes INT, INTEGER, REAL, TEXT, BLOB or ANY.',
      );
    }
    const affinity = affinityOf(c.type);
    out.columns.push({
      name: c.name,
      type: c.type,
      affinity,
      storage: storageOf(c.type, affinity),
      notNull: false,
      default: null,
    });
  }
  s.columns.forEach((c, i) => {
    for (const k of c.constraints) columnConstraint(x, s, c, k, i, out);
  });
  for (const k of s.constraints) tableConstraint(x, s, k, out);
  const shape: SqliteTable = {
    columns: out.columns,
    rowidAlias: out.alias,
    ...(out.primaryKey ? { primaryKey: out.primaryKey } : {}),
    checks: out.checks,
    keys: out.keys,
    indexes: [],
  };
  checkExpressions(x, s, shape);
  const fields: Record<string, ColumnType> = {};
  for (const c of out.columns) if (c.storage) putOwn(fields, c.name, c.storage);
  return { definition: { tags: [], fields, sqlite: shape }, table: existing?.name ?? s.name };
}

function refuseOnConflict(
  x: ExprBinder,
  k: { onConflict?: A.ConflictAlgo | undefined; pos?: number | undefined },
  what: string,
): void {
  if (k.onConflict) {
    throw x.error(
      k,
      `${what} ON CONFLICT ${k.onConflict.toUpperCase()} in a constraint is not supported yet`,
      'Write INSERT OR IGNORE / INSERT OR REPLACE in the statements instead.',
      UNSUPPORTED,
    );
  }
}

function columnConstraint(
  x: ExprBinder,
  s: A.CreateTable,
  c: A.ColumnDef,
  k: A.ColumnConstraint,
  i: number,
  out: Collected,
): void {
  const col = out.columns[i]!;
  switch (k.kind) {
    case 'notNull':
      refuseOnConflict(x, k, 'NOT NULL');
      out.columns[i] = { ...col, notNull: true };
      return;
    case 'null':
    case 'collate':
    case 'references':
      return; // accepted, not enforced (docs/sql.md)
    case 'default': {
      const v = k.value;
      const text =
        v.kind === 'column' && v.table === undefined && CURRENT[v.name.toLowerCase()]
          ? CURRENT[v.name.toLowerCase()]!
          : printExpr(v);
      out.columns[i] = { ...out.columns[i]!, default: text };
      return;
    }
    case 'primaryKey':
      refuseOnConflict(x, k, 'PRIMARY KEY');
      primaryKey(x, s, k, [col.name], out, k.autoincrement);
      return;
    case 'unique':
      refuseOnConflict(x, k, 'UNIQUE');
      out.keys.push({ columns: [col.name], index: null });
      return;
    case 'check':
      out.checks.push({ name: k.name ?? null, sql: printExpr(k.expr) });
      return;
    default:
      A.assertNever(k);
  }
  void c;
}

function primaryKey(
  x: ExprBinder,
  s: A.CreateTable,
  at: { pos?: number | undefined },
  columns: readonly string[],
  out: Collected,
  autoincrement: boolean,
): void {
  if (out.primary) throw x.error(at, `table "${s.name}" has more than one primary key`);
  out.primary = true;
  out.primaryKey = columns;
  const only = columns.length === 1 ? out.columns.find((c) => c.name === columns[0]) : undefined;
  if (only && only.type === 'INTEGER') {
    out.alias = only.name;
    return;
  }
  if (autoincrement) throw x.error(at, 'AUTOINCREMENT is only allowed on an INTEGER PRIMARY KEY');
  out.keys.push({ columns, index: null });
}

function tableConstraint(x: ExprBinder, s: A.CreateTable, k: A.TableConstraint, out: Collected): void {
  switch (k.kind) {
    case 'primaryKey':
      refuseOnConflict(x, k, 'PRIMARY KEY');
      primaryKey(
        x,
        s,
        k,
        k.columns.map((c) => columnOf(x, c, out.columns, 'PRIMARY KEY')),
        out,
        k.autoincrement,
      );
      return;
    case 'unique':
      refuseOnConflict(x, k, 'UNIQUE');
      out.keys.push({ columns: k.columns.map((c) => columnOf(x, c, out.columns, 'UNIQUE')), index: null });
      return;
    case 'check':
      out.checks.push({ name: k.name ?? null, sql: printExpr(k.expr) });
      return;
    case 'foreignKey':
      return; // accepted, not enforced
    default:
      A.assertNever(k);
  }
}

/** DEFAULTs must be constants and CHECKs may read only the table's columns: bound once here. */
function checkExpressions(x: ExprBinder, s: A.CreateTable, shape: SqliteTable): void {
  const info: TableInfo = { name: s.name, tagKeys: [], fields: [], sqlite: shape };
  const scope = tableScope(info, tableColumns(info, s.name), s.name);
  s.columns.forEach((c) => {
    for (const k of c.constraints) {
      if (k.kind === 'default') {
        const v = k.value;
        if (v.kind === 'column' && CURRENT[v.name.toLowerCase()]) continue;
        let constant = false;
        try {
          constant = x.bind(v, { scope: new Scope([]), clause: 'DEFAULT' }).kind === 'const';
        } catch {
          // a column or anything else that is not a constant
        }
        if (!constant) {
          throw x.error(
            v,
            `default value of column [${c.name}] is not constant`,
            "A DEFAULT is a constant or an expression of constants, such as (strftime('%s', 'now')).",
          );
        }
      }
      if (k.kind === 'check') x.bind(k.expr, { scope, clause: 'CHECK' });
    }
  });
  for (const k of s.constraints) if (k.kind === 'check') x.bind(k.expr, { scope, clause: 'CHECK' });
}

// ---- indexes ----

/** The table that has index `name`, and the index. */
function findIndex(
  lookup: TableLookup,
  name: string,
): { info: TableInfo; shape: SqliteTable; index: SqliteTable['indexes'][number] } | undefined {
  for (const t of lookup.tables()) {
    const info = lookup.schema(t);
    const shape = info?.sqlite;
    const index = shape?.indexes.find((i) => i.name.toLowerCase() === name.toLowerCase());
    if (info && shape && index) return { info, shape, index };
  }
  return undefined;
}

export function bindCreateIndex(x: ExprBinder, s: A.CreateIndex, info: TableInfo, lookup: TableLookup): Plan {
  const shape = info.sqlite;
  if (!shape) {
    throw x.error(
      s,
      `CREATE INDEX works on tables declared as SQLite declares them; "${info.name}" has tags or a time column`,
      `Helios reads "${info.name}" by time and tags already: it needs no index.`,
      UNSUPPORTED,
    );
  }
  const found = findIndex(lookup, s.name);
  const plan = {
    kind: 'createIndex' as const,
    table: info.name,
    index: s.name,
    unique: s.unique,
    columns: [{ name: 'note', type: 'string' as const }],
  };
  if (found) {
    if (s.ifNotExists) return { ...plan, keyColumns: found.index.columns, exists: true, shape: found.shape };
    throw x.error(
      s,
      `index ${s.name} already exists`,
      'Write CREATE INDEX IF NOT EXISTS, or DROP INDEX it first.',
    );
  }
  if (s.where && s.unique) {
    throw x.error(
      s.where,
      'A partial UNIQUE index (CREATE UNIQUE INDEX ... WHERE) is not supported yet',
      '',
      UNSUPPORTED,
    );
  }
  const keyColumns = s.columns.map((c) => columnOf(x, c, shape.columns, 'CREATE INDEX'));
  const next: SqliteTable = {
    ...shape,
    indexes: [...shape.indexes, { name: s.name, columns: keyColumns, unique: s.unique }],
    keys: s.unique ? [...shape.keys, { columns: keyColumns, index: s.name }] : shape.keys,
  };
  return { ...plan, keyColumns, exists: false, shape: next };
}

export function bindDropIndex(x: ExprBinder, s: A.DropIndex, lookup: TableLookup): Plan {
  const found = findIndex(lookup, s.name);
  const columns = [{ name: 'note', type: 'string' as const }];
  if (!found) {
    if (s.ifExists) return { kind: 'dropIndex', index: s.name, table: null, shape: null, columns };
    throw x.error(s, `no such index: ${s.name}`);
  }
  const name = found.index.name;
  const shape: SqliteTable = {
    ...found.shape,
    indexes: found.shape.indexes.filter((i) => i.name !== name),
    keys: found.shape.keys.filter((k) => k.index !== name),
  };
  return { kind: 'dropIndex', index: name, table: found.info.name, shape, columns };
}
