/**
 * The rules of a table declared as SQLite declares them (docs/sql.md, "Tables declared as SQLite
 * declares them"), bound for a statement: DEFAULT expressions, CHECK constraints, NOT NULL, the
 * UNIQUE keys and each column's affinity. INSERT binds them here; exec/constraints.ts applies
 * them to a row (`conformRow`), for INSERT and for UPDATE's changed rows alike.
 *
 * A row is in the layout of the table's scan (`tableColumns`): position 0 the engine's time, 1..n
 * the declared columns in order, n + 1 the rowid.
 */
import type { SqliteTable } from '../catalog/catalog';
import { parseExpression } from '../sql/parser';
import { type ExprBinder, Scope } from './bind-expr';
import type { TableRules } from './logical';
import { type TableInfo, tableColumns, tableScope } from './tables';

/** The rules of `info`'s table, or null when it is not declared in SQLite's shape. */
export function bindRules(x: ExprBinder, info: TableInfo): TableRules | null {
  const shape: SqliteTable | undefined = info.sqlite;
  if (!shape) return null;
  const columns = tableColumns(info, info.name);
  const scope = tableScope(info, columns, info.name);
  const known = new Map(info.fields.map((f) => [f.name, f.type]));
  const position = (name: string): number => 1 + shape.columns.findIndex((c) => c.name === name);
  const empty = new Scope([]);
  return {
    table: info.name,
    columns: shape.columns,
    storage: shape.columns.map(
      (c) => (known.get(c.name) as 'float' | 'int' | 'bool' | 'string' | undefined) ?? c.storage,
    ),
    defaults: shape.columns.map((c) =>
      c.default === null ? null : x.bind(parseExpression(c.default), { scope: empty, clause: 'DEFAULT' }),
    ),
    checks: shape.checks.map((k) => ({
      name: k.name,
      text: k.sql,
      expr: x.bind(parseExpression(k.sql), { scope, clause: 'CHECK' }),
    })),
    keys: shape.keys.map((k) => ({ positions: k.columns.map(position) })),
    alias: shape.rowidAlias === null ? -1 : position(shape.rowidAlias),
    rowid: columns.length - 1,
    time: shape.time ? { position: position(shape.time.column), unitMs: shape.time.unitMs } : null,
  };
}
