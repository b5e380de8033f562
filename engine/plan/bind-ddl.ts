/**
 * Binding of the statements that change data or the catalog without a query: DELETE (by time
 * range and tag equalities only, the deletes the storage does as tombstones) and CREATE TABLE
 * (tags, field types, partition width and retention). DROP TABLE is in the binder itself.
 */

import type { SqliteTable } from '../catalog/catalog';
import * as A from '../sql/ast';
import { didYouMean } from '../sql/errors';
import { type ExprBinder, Scope } from './bind-expr';
import { bindSqliteTable, isSqliteShape } from './bind-sqlite-table';
import type { Plan, TableDefinitionSpec } from './logical';
import type { TableLookup } from './tables';

// ---- CREATE TABLE ----

const TYPE_NAMES: Readonly<Record<string, 'float' | 'int' | 'bool' | 'string' | 'tag' | 'time'>> = {
  DOUBLE: 'float',
  'DOUBLE PRECISION': 'float',
  REAL: 'float',
  FLOAT: 'float',
  FLOAT4: 'float',
  FLOAT8: 'float',
  NUMERIC: 'float',
  DECIMAL: 'float',
  INTEGER: 'int',
  INT: 'int',
  BIGINT: 'int',
  SMALLINT: 'int',
  TINYINT: 'int',
  INT2: 'int',
  INT4: 'int',
  INT8: 'int',
  BOOLEAN: 'bool',
  BOOL: 'bool',
  TEXT: 'string',
  VARCHAR: 'string',
  'CHARACTER VARYING': 'string',
  CHAR: 'string',
  STRING: 'string',
  TAG: 'tag',
  'TEXT TAG': 'tag',
  'VARCHAR TAG': 'tag',
  'STRING TAG': 'tag',
  TIMESTAMP: 'time',
  TIMESTAMPTZ: 'time',
  'TIMESTAMP WITH TIME ZONE': 'time',
  DATETIME: 'time',
};

const OPTION_KEYS: Readonly<Record<string, 'partitionDuration' | 'retention'>> = {
  partition: 'partitionDuration',
  partition_duration: 'partitionDuration',
  partitionduration: 'partitionDuration',
  retention: 'retention',
};

const TYPE_HELP =
  'Column types: TAG (a text column that identifies a series), DOUBLE/REAL/FLOAT, INTEGER/BIGINT/INT, ' +
  'BOOLEAN, TEXT/VARCHAR/STRING, and TIMESTAMP for the time column.';

/**
 * CREATE TABLE [IF NOT EXISTS] t (time TIMESTAMP, sensor_id TAG, value DOUBLE, ...)
 * [WITH (partition = '1d', retention = '30d')]. The time column may be left out (every table has
 * one); durations are interval text ('1d', '30 days') or ms.
 */
export function bindCreateTable(x: ExprBinder, s: A.CreateTable, lookup: TableLookup): Plan {
  const existing =
    lookup.schema(s.name) ??
    lookup.schema(lookup.tables().find((t) => t.toLowerCase() === s.name.toLowerCase()) ?? '');
  if (existing && !s.ifNotExists) {
    throw x.error(
      s,
      `Table "${existing.name}" already exists`,
      `Write CREATE TABLE IF NOT EXISTS ${s.name} (...) to leave it as it is, or DROP TABLE ${existing.name} first.`,
    );
  }
  if (isSqliteShape(s)) {
    const sqlite = bindSqliteTable(x, s, existing);
    const { time, rest } = timeColumnOption(x, s, sqlite.definition.sqlite!);
    const shape = time ? { ...sqlite.definition.sqlite!, time } : sqlite.definition.sqlite!;
    return {
      kind: 'createTable',
      table: sqlite.table,
      definition: withOptions(x, { ...s, options: rest }, { ...sqlite.definition, sqlite: shape }),
      ifNotExists: s.ifNotExists,
      columns: [],
    };
  }
  const tags: string[] = [];
  const fields: Record<string, 'float' | 'int' | 'bool' | 'string'> = {};
  const seen = new Set<string>();
  for (const c of s.columns) {
    const lower = c.name.toLowerCase();
    if (seen.has(lower)) throw x.error(c, `Column "${c.name}" is declared twice`);
    seen.add(lower);
    const k = c.constraints[0];
    if (k) {
      throw x.error(
        k,
        `The constraint ${CONSTRAINT_NAMES[k.kind]} on column "${c.name}" is not supported yet`,
        '',
        UNSUPPORTED,
      );
    }
    if (c.type === '') {
      throw x.error(
        c,
        `Column "${c.name}" has no type; a column without a type is not supported yet`,
        TYPE_HELP,
        UNSUPPORTED,
      );
    }
    const type = TYPE_NAMES[c.type];
    if (!type) {
      const hint = didYouMean(c.type, Object.keys(TYPE_NAMES)).trim();
      throw x.error(
        c,
        `Column "${c.name}" has type ${c.type}, which Helios does not know`,
        `${hint} ${TYPE_HELP}`.trim(),
      );
    }
    if ((lower === 'time') !== (type === 'time')) {
      throw x.error(
        c,
        lower === 'time'
          ? `The column "time" holds the time: declare it TIMESTAMP (or leave it out), not ${c.type}`
          : `Only the column "time" can be a ${c.type}: "${c.name}" cannot`,
        'Every table has one time column, "time", in ms since 1970 UTC.',
      );
    }
    if (type === 'tag') tags.push(c.name);
    else if (type !== 'time') fields[c.name] = type;
  }
  refuseTableClauses(x, s);
  return {
    kind: 'createTable',
    table: existing?.name ?? s.name,
    definition: withOptions(x, s, { tags, fields }),
    ifNotExists: s.ifNotExists,
    columns: [],
  };
}

const TIME_UNITS: Readonly<Record<string, number>> = { s: 1000, ms: 1, seconds: 1000, milliseconds: 1 };
const TIME_COLUMN_HELP =
  "e.g. WITH (time_column = 'timestamp', time_unit = 's'): a column of whole seconds (or 'ms') since 1970.";

/**
 * WITH (time_column = 'c', time_unit = 's' | 'ms') of a SQLite-shaped table: the declared column
 * whose values are the rows' times. The other options are left for withOptions.
 */
function timeColumnOption(
  x: ExprBinder,
  s: A.CreateTable,
  shape: SqliteTable,
): { time: SqliteTable['time'] | null; rest: A.CreateTable['options'] } {
  const text = (o: A.CreateTable['options'][number]): string => {
    if (o.value.kind === 'string') return o.value.value;
    if (o.value.kind === 'column') return o.value.name;
    throw x.error(o.value, `The option ${o.key} takes a name in quotes`, TIME_COLUMN_HELP);
  };
  const column = s.options.find((o) => o.key === 'time_column');
  const unit = s.options.find((o) => o.key === 'time_unit');
  const rest = s.options.filter((o) => o !== column && o !== unit);
  if (!column) {
    if (unit) throw x.error(unit.value, 'time_unit needs a time_column', TIME_COLUMN_HELP);
    return { time: null, rest };
  }
  const name = text(column);
  const declared = shape.columns.find((c) => c.name.toLowerCase() === name.toLowerCase());
  if (!declared) {
    const names = shape.columns.map((c) => c.name);
    throw x.error(
      column.value,
      `There is no column "${name}" in table "${s.name}"`,
      didYouMean(name, names).trim(),
    );
  }
  if (declared.affinity !== 'INTEGER' && declared.affinity !== 'REAL' && declared.affinity !== 'NUMERIC') {
    throw x.error(
      column.value,
      `The time column "${declared.name}" is declared ${declared.type || 'without a type'}: it must hold numbers`,
      TIME_COLUMN_HELP,
    );
  }
  if (shape.rowidAlias?.toLowerCase() === declared.name.toLowerCase()) {
    throw x.error(
      column.value,
      `"${declared.name}" is the rowid; the time column must be another`,
      TIME_COLUMN_HELP,
    );
  }
  const unitName = unit ? text(unit).toLowerCase() : 'ms';
  const unitMs = TIME_UNITS[unitName];
  if (unitMs === undefined) {
    throw x.error(unit!.value, `time_unit '${unitName}' is not one Helios knows`, "Use 's' or 'ms'.");
  }
  return { time: { column: declared.name, unitMs }, rest };
}

/** The definition with CREATE TABLE's WITH (partition = ..., retention = ...) options. */
function withOptions(x: ExprBinder, s: A.CreateTable, base: TableDefinitionSpec): TableDefinitionSpec {
  const definition: { -readonly [K in keyof TableDefinitionSpec]: TableDefinitionSpec[K] } = { ...base };
  for (const o of s.options) {
    const key = OPTION_KEYS[o.key];
    if (!key) {
      throw x.error(
        o.value,
        `CREATE TABLE has no option "${o.key}"`,
        `${didYouMean(o.key, ['partition', 'retention']).trim()} The options are partition = '1d' and retention = '30d'.`.trim(),
      );
    }
    definition[key] = duration(x, o.value, o.key);
  }
  return definition;
}

const UNSUPPORTED = 'HELIOS_SQL_UNSUPPORTED';

const CONSTRAINT_NAMES: Readonly<Record<A.ColumnConstraint['kind'] | A.TableConstraint['kind'], string>> = {
  notNull: 'NOT NULL',
  null: 'NULL',
  default: 'DEFAULT',
  primaryKey: 'PRIMARY KEY',
  unique: 'UNIQUE',
  check: 'CHECK',
  collate: 'COLLATE',
  references: 'REFERENCES',
  foreignKey: 'FOREIGN KEY',
};

/**
 * SQLite's table constraints and options have no meaning here yet: they are refused rather than
 * ignored (column constraints are refused column by column, in bindCreateTable).
 */
function refuseTableClauses(x: ExprBinder, s: A.CreateTable): void {
  const k = s.constraints[0];
  if (k)
    throw x.error(
      k,
      `The table constraint ${CONSTRAINT_NAMES[k.kind]} is not supported yet`,
      '',
      UNSUPPORTED,
    );
  if (s.withoutRowid)
    throw x.error(s, 'CREATE TABLE ... WITHOUT ROWID is not supported yet', '', UNSUPPORTED);
  if (s.strict) throw x.error(s, 'CREATE TABLE ... STRICT is not supported yet', '', UNSUPPORTED);
}

/** An option's duration in ms: interval text ('1d', '30 days'), INTERVAL '...', or a number of ms. */
function duration(x: ExprBinder, e: A.Expr, key: string): number {
  const value =
    e.kind === 'string'
      ? x.interval(A.interval(e.value, e.pos))
      : x.bind(e, { scope: new Scope([]), clause: 'WITH' });
  const ms = typeof value === 'number' ? value : value.kind === 'const' ? value.value : null;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0) {
    throw x.error(e, `The ${key} of CREATE TABLE must be a duration such as '1d' or '30 days'`);
  }
  return ms;
}
