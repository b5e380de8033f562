/**
 * Binding of INSERT. Into a Helios table (or a new one): each listed column is the time, a tag of
 * the table, or a field (schema on write). Into a table declared as SQLite declares them: the
 * declared columns (all of them, in order, when none are listed), with DEFAULT VALUES, OR IGNORE /
 * OR REPLACE / REPLACE INTO, ON CONFLICT DO NOTHING and RETURNING (docs/sql.md).
 */

import * as A from '../sql/ast';
import { printExpr } from '../sql/printer';
import { type ExprBinder, type ExprEnv, isConstant, Scope, type ScopeColumn } from './bind-expr';
import { bindRules } from './constraints';
import {
  type BExpr,
  type Column,
  type Plan,
  type SqliteInsert,
  type SqlType,
  type TableRules,
  unifyTypes,
  type Value,
} from './logical';
import { type TableInfo, type TableLookup, tableColumns, tableScope } from './tables';

const UNSUPPORTED = 'HELIOS_SQL_UNSUPPORTED';

/** What INSERT needs of the binder: expressions, the tables, and queries for INSERT ... SELECT. */
export interface InsertContext {
  readonly x: ExprBinder;
  readonly lookup: TableLookup;
  query(q: A.Query): Plan;
  findTable(name: string): TableInfo | undefined;
}

export function bindInsert(b: InsertContext, s: A.Insert): Plan {
  const info = b.findTable(s.table);
  if (info?.sqlite) return bindSqliteInsert(b, s, info);
  refuseInsertClauses(b.x, s);
  let names = [...s.columns];
  if (names.length === 0) {
    if (!info)
      throw b.x.error(
        s,
        `INSERT INTO the new table "${s.table}" needs a column list`,
        `e.g. INSERT INTO ${s.table} (time, sensor_id, value) VALUES (...).`,
      );
    names = ['time', ...info.tagKeys, ...info.fields.map((f) => f.name)];
  }
  checkListedOnce(b.x, s, names);
  const targets = names.map((name) => ({
    name,
    role:
      name === 'time'
        ? ('time' as const)
        : info?.tagKeys.includes(name)
          ? ('tag' as const)
          : ('field' as const),
  }));
  return {
    kind: 'insert',
    table: info?.name ?? s.table,
    input: inputOf(b, s, names),
    targets,
    columns: [
      { name: 'count', type: 'int' },
      { name: 'lsn', type: 'int' },
    ],
  };
}

/** INSERT's SQLite clauses on a Helios table: refused rather than ignored. */
function refuseInsertClauses(x: ExprBinder, s: A.Insert): void {
  const only = 'works on tables declared as SQLite declares them (CREATE TABLE without TAG or time columns)';
  if (s.or) throw x.error(s, `INSERT OR ${s.or.toUpperCase()} ${only}`, '', UNSUPPORTED);
  if (s.defaultValues) throw x.error(s, `INSERT ... DEFAULT VALUES ${only}`, '', UNSUPPORTED);
  if (s.upsert) throw x.error(s.upsert[0], `ON CONFLICT in INSERT ${only}`, '', UNSUPPORTED);
  if (s.returning) throw x.error(s.returning[0], `RETURNING in INSERT ${only}`, '', UNSUPPORTED);
}

function checkListedOnce(x: ExprBinder, s: A.Insert, names: readonly string[]): void {
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n.toLowerCase())) throw x.error(s, `Column "${n}" is listed twice`);
    seen.add(n.toLowerCase());
  }
}

/** The rows to insert: VALUES (constants and parameters) or a query, `names.length` wide. */
function inputOf(b: InsertContext, s: A.Insert, names: readonly string[]): Plan {
  if (s.defaultValues) return { kind: 'values', rows: [[]], columns: [] };
  if (s.values) {
    const empty: ExprEnv = { scope: new Scope([]), clause: 'VALUES' };
    const rows = s.values.map((row, r) => {
      if (row.length !== names.length) {
        throw b.x.error(
          row[0] ?? s,
          `Row ${r + 1} of VALUES has ${row.length} value${row.length === 1 ? '' : 's'}, but ${names.length} column${names.length === 1 ? ' is' : 's are'} listed`,
        );
      }
      return row.map((e) => {
        const v = b.x.bind(e, empty);
        if (!isConstant(v) || v.kind !== 'const')
          throw b.x.error(e, 'VALUES may only hold constants and parameters');
        return v.value;
      });
    });
    const columns = names.map((name, i) => ({
      name,
      type: rows.reduce<SqlType>((t, row) => unifyTypes(t, valueType(row[i]!)), 'null'),
    }));
    return { kind: 'values', rows, columns };
  }
  const input = b.query(s.query!);
  if (input.columns.length !== names.length) {
    throw b.x.error(
      s.query,
      `The SELECT gives ${input.columns.length} columns, but ${names.length} are listed for INSERT`,
    );
  }
  return input;
}

function valueType(v: Value): SqlType {
  if (v === null) return 'null';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  return Number.isInteger(v) ? 'int' : 'float';
}

// ---- tables declared as SQLite declares them ----

function bindSqliteInsert(b: InsertContext, s: A.Insert, info: TableInfo): Plan {
  const x = b.x;
  const shape = info.sqlite!;
  const rules = bindRules(x, info)!;
  const layout = tableColumns(info, info.name);
  const scope = tableScope(info, layout, info.name);
  const names = s.defaultValues ? [] : s.columns.length ? [...s.columns] : shape.columns.map((c) => c.name);
  checkListedOnce(x, s, names);
  const slots = names.map((name) => {
    const found = scope.find(name, undefined)[0];
    if (!found) {
      throw x.error(
        s,
        `table ${info.name} has no column named ${name}`,
        `The columns are: ${shape.columns.map((c) => c.name).join(', ')}.`,
      );
    }
    if (found.index === rules.rowid && rules.alias < 0) {
      throw x.error(
        s,
        `INSERT into "${name}" of a table without an INTEGER PRIMARY KEY is not supported yet`,
        'Leave it out: the engine numbers the row.',
        UNSUPPORTED,
      );
    }
    return found.index;
  });
  const upsert = s.upsert?.[0];
  if ((s.upsert?.length ?? 0) > 1) {
    throw x.error(s.upsert![1], 'More than one ON CONFLICT clause is not supported yet', '', UNSUPPORTED);
  }
  let ignoreKey: readonly number[] | null = null;
  let update: SqliteInsert['upsert'] = null;
  if (upsert) {
    if (upsert.targetWhere)
      throw x.error(upsert.targetWhere, 'ON CONFLICT (...) WHERE is not supported yet', '', UNSUPPORTED);
    const key = conflictTarget(x, upsert, rules, scope);
    if (upsert.action === 'update') update = bindDoUpdate(x, upsert, key, info, layout, rules);
    else ignoreKey = key;
  }
  const conflict: SqliteInsert['conflict'] =
    s.or === 'ignore' || (upsert?.action === 'nothing' && ignoreKey === null)
      ? 'ignore'
      : s.or === 'replace'
        ? 'replace'
        : 'abort';
  const returning = s.returning ? bindReturning(x, s.returning, scope, layout) : null;
  const targets = names.map((name) => ({ name, role: 'field' as const }));
  return {
    kind: 'insert',
    table: info.name,
    input: inputOf(b, s, names),
    targets,
    sqlite: { rules, slots, conflict, ignoreKey, returning: returning?.exprs ?? null, upsert: update },
    columns: returning?.columns ?? [
      { name: 'count', type: 'int' },
      { name: 'lsn', type: 'int' },
    ],
  };
}

/** ON CONFLICT (a, b) DO NOTHING: the key it names (layout positions); no target: any key. */
function conflictTarget(
  x: ExprBinder,
  u: A.Upsert,
  rules: TableRules,
  scope: Scope,
): readonly number[] | null {
  if (u.target.length === 0) return null;
  const positions = u.target.map((c) => {
    const found = c.expr.kind === 'column' ? scope.find(c.expr.name, undefined)[0] : undefined;
    if (!found) throw x.error(c.expr, 'ON CONFLICT names a column the table does not have');
    return found.index;
  });
  const keys = [
    ...rules.keys.map((k) => k.positions),
    [rules.rowid],
    ...(rules.alias >= 0 ? [[rules.alias]] : []),
  ];
  const match = keys.find((k) => k.length === positions.length && k.every((p) => positions.includes(p)));
  if (!match) {
    throw x.error(u, 'ON CONFLICT clause does not match any PRIMARY KEY or UNIQUE constraint');
  }
  return match.length === 1 && match[0] === rules.alias ? [rules.rowid] : match;
}

/**
 * Names in DO UPDATE: a bare or table-qualified column is the existing row's; `excluded.col` the
 * row proposed, at the same positions after the existing row's.
 */
class UpsertScope extends Scope {
  constructor(
    private readonly own: Scope,
    private readonly excluded: Scope,
  ) {
    super([...own.columns, ...excluded.columns]);
  }

  override find(name: string, table: string | undefined): ScopeColumn[] {
    if (table !== undefined && table.toLowerCase() === 'excluded') return this.excluded.find(name, undefined);
    return this.own.find(name, table);
  }
}

/** ON CONFLICT (key) DO UPDATE SET ... [WHERE ...] over the existing and the proposed row. */
function bindDoUpdate(
  x: ExprBinder,
  u: A.Upsert,
  key: readonly number[] | null,
  info: TableInfo,
  layout: readonly Column[],
  rules: TableRules,
): NonNullable<SqliteInsert['upsert']> {
  const own = tableScope(info, layout, info.name);
  const width = layout.length;
  const excluded = new Scope(
    tableScope(info, layout, 'excluded').columns.map((c) => ({ ...c, index: c.index + width })),
  );
  const scope = new UpsertScope(own, excluded);
  const env: ExprEnv = { scope, clause: 'DO UPDATE' };
  const set = u.set.map((a) => {
    const found = own.find(a.column, undefined)[0];
    if (!found || found.index === 0 || found.index === rules.rowid) {
      throw x.error(a, `DO UPDATE cannot set "${a.column}": it is not a declared column of ${info.name}`);
    }
    if (found.index === rules.alias) {
      throw x.error(
        a,
        `DO UPDATE SET of the INTEGER PRIMARY KEY "${a.column}" is not supported yet`,
        '',
        UNSUPPORTED,
      );
    }
    return { position: found.index, expr: x.bind(a.value, env) };
  });
  return { key, set, where: u.where ? x.bind(u.where, env) : null };
}

/** RETURNING's items over the stored row: `*` is the declared columns. */
function bindReturning(
  x: ExprBinder,
  items: A.Returning,
  scope: Scope,
  layout: readonly Column[],
): { exprs: BExpr[]; columns: Column[] } {
  const exprs: BExpr[] = [];
  const columns: Column[] = [];
  const env: ExprEnv = { scope, clause: 'RETURNING' };
  for (const it of items) {
    if (it.kind === 'star') {
      for (const c of scope.columns) {
        if (c.hidden) continue;
        exprs.push(x.bind(A.column(c.name, undefined, it.pos), env));
        columns.push({ name: c.name, type: layout[c.index]!.type });
      }
      continue;
    }
    const e = x.bind(it.expr, env);
    exprs.push(e);
    const name = it.alias ?? (it.expr.kind === 'column' ? it.expr.name : (it.source ?? printExpr(it.expr)));
    columns.push({ name, type: e.type });
  }
  return { exprs, columns };
}
