import { clipText, InvalidInputError, TypeConflictError } from '../errors';
import type { ColumnType } from '../types';
import { getOwn } from '../util/own';

const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
// eslint-style note: control characters and double quotes would break paths, keys and SQL quoting.
// biome-ignore lint/suspicious/noControlCharactersInRegex: that is the point of the check
const COLUMN_NAME = /^[^\u0000-\u001f"]{1,128}$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: that is the point of the check
const CONTROL_CHARS = /[\u0000-\u001f]/;

export function checkTableName(name: unknown): string {
  if (typeof name !== 'string' || !TABLE_NAME.test(name)) {
    throw new InvalidInputError(
      `Table name ${typeof name === 'string' ? JSON.stringify(clipText(name)) : `(${name === null ? 'null' : typeof name})`} is not allowed. Use letters, digits and underscores, ` +
        'starting with a letter or underscore, at most 128 characters (e.g. sensor_readings).',
    );
  }
  return name;
}

export function checkColumnName(table: string, name: string, role: 'tag' | 'field'): void {
  if (
    !COLUMN_NAME.test(name) ||
    name === 'time' ||
    !(name as unknown as { isWellFormed(): boolean }).isWellFormed()
  ) {
    throw new InvalidInputError(
      `The ${role} name ${JSON.stringify(clipText(name))} in table "${table}" is not allowed: ` +
        'use 1 to 128 characters without control characters, double quotes or lone surrogates, and not "time".',
    );
  }
}

/** Tag values are identifiers: no control characters (they also separate parts of series keys). */
export function checkTagValue(table: string, key: string, value: string): void {
  if (CONTROL_CHARS.test(value) || value.length > 1024) {
    throw new InvalidInputError(
      `The value of tag "${key}" in table "${table}" must be text of at most 1024 characters ` +
        'without control characters (newlines, tabs, NUL).',
    );
  }
}

/** True when `tags` has every tag of `want` (no `want`: every series matches). */
export function tagsMatch(
  tags: Readonly<Record<string, string>>,
  want: Readonly<Record<string, string>> | null | undefined,
): boolean {
  if (!want) return true;
  for (const k in want) if (getOwn(tags, k) !== want[k]) return false;
  return true;
}

/**
 * The canonical identity of a series within its table: its tags sorted by key. Two writes with
 * the same tags in a different property order land in the same series.
 */
export function seriesKey(tags: Readonly<Record<string, string>>): string {
  const keys = Object.keys(tags).sort();
  const parts: string[] = [];
  for (const k of keys) parts.push(k, '\u0000', tags[k]!, '\u0001');
  // joined, not concatenated: one flat string, where += leaves a tree of string pieces that
  // costs about 100 bytes more for every series kept in memory
  return parts.join('');
}

/** A name used as a tag and as a field of one table. */
export function roleConflict(table: string, name: string, is: string, given: string): InvalidInputError {
  return new InvalidInputError(
    `"${name}" is ${is} of table "${table}" and cannot also be ${given}. Rename one of them.`,
    'HELIOS_TYPE_CONFLICT',
  );
}

/**
 * Which rows of a table get rowids (docs/storage.md, "Row identity"): 'tagless' (the default) the
 * rows of series without tags; 'all' every row (a table declared with a rowid); 'none' no row
 * (rollups, whose rows a recomputation must replace).
 */
export type RowidRows = 'all' | 'tagless' | 'none';

/** SQLite's type affinities (https://sqlite.org/datatype3.html, 3.1). */
export type SqliteAffinity = 'INTEGER' | 'REAL' | 'NUMERIC' | 'TEXT' | 'BLOB';

/** A column of a table declared as SQLite declares them (docs/sql.md). */
export interface SqliteColumn {
  readonly name: string;
  /** the declared type as written, upper case ('' for none) */
  readonly type: string;
  readonly affinity: SqliteAffinity;
  /** the field type values are stored as; null: the first value stored decides (numbers as float) */
  readonly storage: ColumnType | null;
  readonly notNull: boolean;
  /** the DEFAULT expression as SQL text; null: none (NULL) */
  readonly default: string | null;
}

/** A set of columns no two rows may share values of (UNIQUE, a PRIMARY KEY, a UNIQUE INDEX). */
export interface SqliteKey {
  readonly columns: readonly string[];
  /** the index that made it (CREATE UNIQUE INDEX), or null for a constraint of the table */
  readonly index: string | null;
}

/**
 * A table declared in SQLite's shape: no TAG or time column; every column a field, in declared
 * order; every row numbered (rowids 'all'). Kept in its declaration (storage/declarations.ts).
 */
export interface SqliteTable {
  readonly columns: readonly SqliteColumn[];
  /** the INTEGER PRIMARY KEY column: it shows the rowid */
  readonly rowidAlias: string | null;
  /** the PRIMARY KEY's columns in key order, for PRAGMA table_info; absent in older declarations */
  readonly primaryKey?: readonly string[];
  /** CHECK constraints of the table and its columns: the CONSTRAINT name (or null) and SQL text */
  readonly checks: ReadonlyArray<{ readonly name: string | null; readonly sql: string }>;
  readonly keys: readonly SqliteKey[];
  /**
   * The declared column that holds each row's time (CREATE TABLE ... WITH (time_column = ...)):
   * the engine's time of a row is its value times `unitMs`, so a WHERE on it prunes by time.
   * Absent: the engine's time is the insert time.
   */
  readonly time?: { readonly column: string; readonly unitMs: number };
  /** CREATE INDEX's indexes: recorded, and a UNIQUE one is a key */
  readonly indexes: ReadonlyArray<{
    readonly name: string;
    readonly columns: readonly string[];
    readonly unique: boolean;
  }>;
}

/** A view (CREATE VIEW): kept as the text of its SELECT, bound again each time it is used. */
export interface SqlView {
  readonly sql: string;
  /** the names given to its columns (CREATE VIEW v (a, b) AS ...); null: the select's own */
  readonly columns: readonly string[] | null;
}

/** The columns of one table: tags in first-seen order, fields with their types. */
export class TableSchema {
  readonly tagKeys: string[] = [];
  readonly fields = new Map<string, ColumnType>();
  rowids: RowidRows = 'tagless';
  /** the declared INTEGER PRIMARY KEY column, which shows each row's rowid */
  rowidAlias: string | null = null;
  private readonly tagKeySet = new Set<string>();

  constructor(
    readonly name: string,
    public partitionMs: number,
  ) {}

  hasTag(key: string): boolean {
    return this.tagKeySet.has(key);
  }

  addTag(key: string): void {
    if (this.tagKeySet.has(key)) return;
    if (this.fields.has(key)) throw roleConflict(this.name, key, 'a field', 'a tag');
    this.tagKeySet.add(key);
    this.tagKeys.push(key);
  }

  /** Adds a field or checks that the known one has this type. */
  addField(name: string, type: ColumnType): void {
    const known = this.fields.get(name);
    if (known === undefined) {
      if (this.tagKeySet.has(name)) throw roleConflict(this.name, name, 'a tag', 'a field');
      this.fields.set(name, type);
    } else if (known !== type) {
      throw new TypeConflictError(this.name, name, known, type);
    }
  }
}

/** The tables the engine knows, built from segment footers and the WAL on open, grown by writes. */
export class TableCatalog {
  readonly tables = new Map<string, TableSchema>();

  constructor(
    private readonly defaultPartitionMs: number,
    private readonly tablePartitionMs: ReadonlyMap<string, number>,
  ) {}

  get(name: string): TableSchema | undefined {
    return this.tables.get(name);
  }

  /** Adds a declared table's columns and partition width (it must not conflict: checked before). */
  declare(
    name: string,
    tags: readonly string[],
    fields: Readonly<Record<string, ColumnType>>,
    partitionMs: number | null,
    sqlite: SqliteTable | null = null,
  ): TableSchema {
    const table = this.ensure(name);
    if (partitionMs !== null) table.partitionMs = partitionMs;
    if (sqlite) {
      table.rowids = 'all';
      table.rowidAlias = sqlite.rowidAlias;
    }
    for (const tag of tags) table.addTag(tag);
    for (const [field, type] of Object.entries(fields)) table.addField(field, type);
    return table;
  }

  ensure(name: string): TableSchema {
    let table = this.tables.get(name);
    if (!table) {
      table = new TableSchema(name, this.tablePartitionMs.get(name) ?? this.defaultPartitionMs);
      this.tables.set(name, table);
    }
    return table;
  }
}
