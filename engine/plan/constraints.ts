/**
 * The rules of a table declared as SQLite declares them (docs/sql.md, "Tables declared as SQLite
 * declares them"), bound for a statement: DEFAULT expressions, CHECK constraints, NOT NULL, the
 * UNIQUE keys and each column's affinity. INSERT binds them here; exec/constraints.ts applies
 * them to a row (`conformRow`), for INSERT and for UPDATE's changed rows alike.
 *
 * A row is in the layout of the table's scan (`tableColumns`): position 0 the engine's time, 1..n
 * the declared columns in order, n + 1 the rowid.
 */
import type { SqliteColumn, SqliteTable } from '../catalog/catalog';
import { parseExpression } from '../sql/parser';
import { tableColumns, tableScope } from './bind-ddl';
import { type ExprBinder, Scope } from './bind-expr';
import type { TableInfo } from './binder';
import type { BExpr } from './logical';

export interface TableRules {
  readonly table: string;
  /** the declared columns, in order (column i is at layout position i + 1) */
  readonly columns: readonly SqliteColumn[];
  /** per declared column, the field type stored values have: declared, or given by the first write */
  readonly storage: ReadonlyArray<'float' | 'int' | 'bool' | 'string' | null>;
  /** per declared column, its DEFAULT (a constant expression), or null for NULL */
  readonly defaults: ReadonlyArray<BExpr | null>;
  /** CHECK constraints over the row layout; `name` is the CONSTRAINT name, `text` the expression */
  readonly checks: ReadonlyArray<{
    readonly name: string | null;
    readonly text: string;
    readonly expr: BExpr;
  }>;
  /** UNIQUE keys (UNIQUE, a PRIMARY KEY that is not the rowid, UNIQUE INDEX): layout positions */
  readonly keys: ReadonlyArray<{ readonly positions: readonly number[] }>;
  /** layout position of the INTEGER PRIMARY KEY column, or -1 */
  readonly alias: number;
  /** layout position of the rowid */
  readonly rowid: number;
  /** the time column (WITH time_column): its layout position and unit, or null */
  readonly time: { readonly position: number; readonly unitMs: number } | null;
}

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
