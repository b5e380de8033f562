/**
 * PRAGMA as SQLite answers it, for the one pragma tools ask of a table: table_info. Other
 * pragmas are refused with a sentence (Helios has no settings behind them).
 */
import type * as A from '../sql/ast';
import type { ExprBinder } from './bind-expr';
import type { Column, Plan, Value } from './logical';
import type { TableInfo } from './tables';

const TABLE_INFO_COLUMNS: readonly Column[] = [
  { name: 'cid', type: 'int' },
  { name: 'name', type: 'string' },
  { name: 'type', type: 'string' },
  { name: 'notnull', type: 'int' },
  { name: 'dflt_value', type: 'string' },
  { name: 'pk', type: 'int' },
];

/** The declared type each field type shows, as CREATE TABLE would take it back. */
const FIELD_TYPE_NAMES: Readonly<Record<string, string>> = {
  float: 'REAL',
  int: 'INTEGER',
  bool: 'BOOLEAN',
  string: 'TEXT',
};

/** PRAGMA table_info(t): `info` is the table found by that name, if any (none: no rows, as SQLite). */
export function bindPragma(x: ExprBinder, s: A.Pragma, info: TableInfo | undefined): Plan {
  if (s.name.toLowerCase() !== 'table_info') {
    throw x.error(
      s,
      `PRAGMA ${s.name} is not supported: Helios answers only PRAGMA table_info(table)`,
      "Use PRAGMA table_info(t) or DESCRIBE t for a table's columns, and SHOW TABLES for the tables.",
      'HELIOS_SQL_UNSUPPORTED',
    );
  }
  if (s.arg === undefined) {
    throw x.error(s, 'PRAGMA table_info needs a table name', 'Write PRAGMA table_info(t).');
  }
  return { kind: 'values', rows: info ? tableInfoRows(info) : [], columns: TABLE_INFO_COLUMNS };
}

function tableInfoRows(info: TableInfo): Value[][] {
  const shape = info.sqlite;
  if (shape) {
    // a declaration older than `primaryKey` knows only its INTEGER PRIMARY KEY
    const pk = shape.primaryKey ?? (shape.rowidAlias === null ? [] : [shape.rowidAlias]);
    return shape.columns.map((c, cid) => [
      cid,
      c.name,
      c.type,
      c.notNull ? 1 : 0,
      c.default,
      pk.indexOf(c.name) + 1,
    ]);
  }
  // a Helios table (written or declared): time, its tags, its fields
  const rows: Value[][] = [[0, 'time', 'TIMESTAMP', 1, null, 0]];
  for (const t of info.tagKeys) rows.push([rows.length, t, 'TAG', 0, null, 0]);
  for (const f of info.fields) rows.push([rows.length, f.name, FIELD_TYPE_NAMES[f.type] ?? '', 0, null, 0]);
  return rows;
}
