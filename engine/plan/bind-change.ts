/**
 * Binding of UPDATE and DELETE (docs/sql.md, "Changing rows: UPDATE, DELETE, transactions"). The
 * rows they change are bound as SELECT binds `FROM t WHERE ...` (the binder's `matchingRows`:
 * any WHERE a SELECT accepts, time ranges and tag equalities pushed into the scan), with every
 * column of the table and the hidden rowid, which the new versions and delete markers carry.
 */
import { ROWID_FIELD } from '../rows/identity';
import type * as A from '../sql/ast';
import { didYouMean } from '../sql/errors';
import { printExpr } from '../sql/printer';
import { type ExprBinder, Scope, type ScopeColumn } from './bind-expr';
import { bindRules } from './constraints';
import { type BExpr, type Column, type Plan, type ScanOptions, slot } from './logical';
import { type TableInfo, tableScope } from './tables';

const UNSUPPORTED = 'HELIOS_SQL_UNSUPPORTED';

/** The rows a WHERE selects in one table: the plan (a scan, perhaps under a filter) and its names. */
export interface MatchingRows {
  readonly info: TableInfo;
  /** the rows: every column of the table, then the rowid (ROWID_FIELD) */
  readonly plan: Plan;
  readonly scope: Scope;
  /** what the scan was given (time range, tags) */
  readonly options: ScanOptions;
}

/** The column that carries each row's rowid in the rows UPDATE and DELETE read. */
export function withRowid(columns: readonly Column[], table: string): Column[] {
  if (columns.at(-1)?.name === ROWID_FIELD) return [...columns];
  return [...columns, { name: ROWID_FIELD, type: 'int', table, role: 'field' }];
}

/**
 * The names of `columns`: a Helios table's without the hidden rowid; a SQLite-shaped table's as
 * SELECT names them (time and rowid, oid, _rowid_ found by name, left out of `*`).
 */
export function rowsScope(info: TableInfo, columns: readonly Column[]): Scope {
  if (info.sqlite) return tableScope(info, columns, info.name);
  const out: ScopeColumn[] = [];
  columns.forEach((c, index) => {
    if (c.name !== ROWID_FIELD)
      out.push({ name: c.name, table: info.name, type: c.type, index, role: c.role });
  });
  return new Scope(out);
}

/** Every column of the rows, as a projection: the fused scan reads them with the WHERE applied. */
function allColumns(rows: MatchingRows): Plan {
  const columns = rows.plan.columns;
  return {
    kind: 'project',
    input: rows.plan,
    exprs: columns.map((c, i) => slot(i, c.type, c.name)),
    columns,
  };
}

/** The top-level AND terms of a WHERE as written (EXPLAIN prints them). */
function writtenTerms(e: A.Expr | undefined): A.Expr[] {
  if (!e) return [];
  if (e.kind === 'binary' && e.op === 'AND') return [...writtenTerms(e.left), ...writtenTerms(e.right)];
  return [e];
}

/** RETURNING's expressions over a row of `rows` (`*`: the table's columns as SELECT * gives them). */
function bindReturning(
  x: ExprBinder,
  items: A.Returning,
  rows: MatchingRows,
): { exprs: BExpr[]; columns: Column[] } {
  const exprs: BExpr[] = [];
  const columns: Column[] = [];
  for (const it of items) {
    if (it.kind === 'star') {
      for (const c of rows.scope.columns) {
        if (c.hidden || c.index >= rows.plan.columns.length) continue;
        exprs.push(slot(c.index, c.type, c.name));
        columns.push({ name: c.name, type: c.type });
      }
      continue;
    }
    const e = x.bind(it.expr, { scope: rows.scope, clause: 'RETURNING' });
    exprs.push(e);
    const name = it.alias ?? (it.expr.kind === 'column' ? it.expr.name : (it.source ?? printExpr(it.expr)));
    columns.push({ name, type: e.type });
  }
  return { exprs, columns };
}

/**
 * DELETE FROM t [WHERE ...] [RETURNING ...]. A WHERE of time ranges and tag equalities only (each
 * tag one value) is a tombstone when no RETURNING asks for the rows; anything else deletes the
 * rows it selects by delete markers (exec/change.ts decides at run time, inside a transaction too).
 */
export function bindDeleteRows(x: ExprBinder, s: A.Delete, rows: MatchingRows): Plan {
  const returning = s.returning ? bindReturning(x, s.returning, rows) : undefined;
  const pushedWhole = rows.plan.kind === 'scan' && rows.options.tagsIn === undefined;
  return {
    kind: 'delete',
    table: rows.info.name,
    options: rows.options,
    pushed: writtenTerms(s.where).map(printExpr),
    input: allColumns(rows),
    tombstone: pushedWhole && !returning,
    returning: returning?.exprs,
    columns: returning?.columns ?? [{ name: 'lsn', type: 'int' }],
  };
}

const UPDATE_OR =
  'UPDATE OR ABORT, OR FAIL and OR ROLLBACK are plain UPDATE here (an UPDATE that fails changes nothing)';

/**
 * UPDATE [OR ABORT | FAIL | ROLLBACK] t SET col = expr, ... [WHERE ...] [RETURNING ...]. The
 * assignments are bound over the old row; `time`, tags and the rowid (and its INTEGER PRIMARY KEY
 * alias) identify a row and cannot be set.
 */
export function bindUpdate(x: ExprBinder, s: A.Update, rows: MatchingRows): Plan {
  if (s.or === 'replace' || s.or === 'ignore') {
    throw x.error(
      s,
      `UPDATE OR ${s.or.toUpperCase()} is not supported`,
      `Write UPDATE without OR: ${UPDATE_OR}, and a row that breaks a constraint refuses the whole UPDATE.`,
      UNSUPPORTED,
    );
  }
  const env = { scope: rows.scope, clause: 'UPDATE ... SET' };
  const assigned = new Map<number, BExpr>();
  for (const a of s.assignments) {
    const index = targetColumn(x, a, rows);
    assigned.set(index, x.bind(a.value, env));
  }
  const returning = s.returning ? bindReturning(x, s.returning, rows) : undefined;
  return {
    kind: 'update',
    table: rows.info.name,
    input: allColumns(rows),
    assignments: [...assigned].map(([index, expr]) => ({ index, expr })),
    returning: returning?.exprs,
    rules: bindRules(x, rows.info) ?? undefined,
    columns: returning?.columns ?? [
      { name: 'count', type: 'int' },
      { name: 'lsn', type: 'int' },
    ],
  };
}

/** The slot of the column `SET column = ...` names; refuses the columns that identify a row. */
function targetColumn(x: ExprBinder, a: A.Assignment, rows: MatchingRows): number {
  const found = rows.scope.find(a.column, undefined);
  const table = rows.info.name;
  if (found.length === 0) {
    const names = rows.scope.columns.filter((c) => !c.hidden).map((c) => c.name);
    const hint = didYouMean(a.column, names).trim() || `The columns of "${table}" are: ${names.join(', ')}.`;
    throw x.error(a, `There is no column "${a.column}" in table "${table}"`, hint);
  }
  const c = found[0]!;
  const column = rows.plan.columns[c.index]!;
  if (column.role === 'time') {
    throw x.error(
      a,
      `UPDATE cannot change "time": a row's time is part of what identifies it`,
      'DELETE the row and INSERT it again with the new time.',
      UNSUPPORTED,
    );
  }
  if (column.role === 'tag') {
    throw x.error(
      a,
      `UPDATE cannot change the tag "${column.name}": tags name the series a row belongs to`,
      `DELETE the rows and INSERT them again with the new ${column.name}.`,
      UNSUPPORTED,
    );
  }
  if (column.timeUnitMs !== undefined) {
    throw x.error(
      a,
      `UPDATE cannot change "${column.name}": it is the table's time column (WITH time_column), part of what identifies a row`,
      `DELETE the row and INSERT it again with the new ${column.name}.`,
      UNSUPPORTED,
    );
  }
  const alias = rows.info.sqlite?.rowidAlias;
  if (column.name === ROWID_FIELD || (alias && column.name.toLowerCase() === alias.toLowerCase())) {
    const what = column.name === ROWID_FIELD ? '' : ' (the INTEGER PRIMARY KEY)';
    throw x.error(
      a,
      `UPDATE cannot change "${a.column}": it is the row's rowid${what}, part of what identifies the row`,
      `DELETE the row and INSERT it again with the new ${a.column}.`,
      UNSUPPORTED,
    );
  }
  return c.index;
}
