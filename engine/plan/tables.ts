/**
 * The tables as the binder sees them: the lookup of names (`TableLookup`), a table's schema
 * (`TableInfo`), and the columns and names a scan of it gives (`tableColumns`, `tableScope`).
 */
import type { SqliteTable, SqlView } from '../catalog/catalog';
import { ROWID_FIELD } from '../rows/identity';
import { Scope, type ScopeColumn } from './bind-expr';
import type { Column, SqlType } from './logical';

/** What the binder knows of a table: its tags, its fields, and its SQLite declaration if any. */
export interface TableInfo {
  readonly name: string;
  readonly tagKeys: readonly string[];
  readonly fields: ReadonlyArray<{ name: string; type: string }>;
  /** a table declared as SQLite declares them (its columns in order, constraints, indexes) */
  readonly sqlite?: SqliteTable | undefined;
}
/**
 * The binder's view of the storage's tables (a QueryTarget is one). Not the table-schema
 * `TableCatalog` of engine/catalog/catalog.ts: this is only how names are looked up while binding.
 */
export interface TableLookup {
  tables(): string[];
  schema(table: string): TableInfo | undefined;
  /** the views (CREATE VIEW), when the storage keeps them */
  view?(name: string): SqlView | undefined;
  views?(): string[];
}

const FIELD_TYPES: Readonly<Record<string, SqlType>> = {
  float: 'float',
  int: 'int',
  bool: 'bool',
  string: 'string',
};

/**
 * The columns of a table as a scan gives them: time, tags, fields. A table declared as SQLite
 * declares them gives time, its declared columns in order, and its rowid (ROWID_FIELD).
 */
export function tableColumns(info: TableInfo, table: string): Column[] {
  if (info.sqlite) {
    const known = new Map(info.fields.map((f) => [f.name, f.type]));
    return [
      { name: 'time', type: 'time', table, role: 'time' },
      ...info.sqlite.columns.map(
        (c): Column => ({
          name: c.name,
          type: FIELD_TYPES[known.get(c.name) ?? c.storage ?? ''] ?? 'any',
          table,
          role: 'field',
          ...(info.sqlite?.time?.column === c.name ? { timeUnitMs: info.sqlite.time.unitMs } : {}),
        }),
      ),
      { name: ROWID_FIELD, type: 'int', table, role: 'field' },
    ];
  }
  return [
    { name: 'time', type: 'time', table, role: 'time' },
    ...info.tagKeys.map((t): Column => ({ name: t, type: 'string', table, role: 'tag' })),
    ...info.fields.map(
      (fl): Column => ({ name: fl.name, type: FIELD_TYPES[fl.type] ?? 'any', table, role: 'field' }),
    ),
  ];
}

/** SQLite's names of the rowid: a declared column of that name wins. */
const ROWID_NAMES = ['rowid', 'oid', '_rowid_'];

/**
 * The names expressions over `tableColumns(info, table)` may use. In a SQLite-shaped table, time
 * and the rowid (as rowid, oid, _rowid_) are found by name but left out of `*`.
 */
export function tableScope(info: TableInfo, columns: readonly Column[], table: string): Scope {
  const out: ScopeColumn[] = [];
  columns.forEach((c, index) => {
    const base = { table, type: c.type, index, role: c.role };
    if (!info.sqlite) out.push({ ...base, name: c.name });
    else if (c.name !== ROWID_FIELD) out.push({ ...base, name: c.name, hidden: c.role === 'time' });
    else {
      const declared = new Set(info.sqlite.columns.map((d) => d.name.toLowerCase()));
      for (const name of ROWID_NAMES) if (!declared.has(name)) out.push({ ...base, name, hidden: true });
    }
  });
  return new Scope(out);
}
