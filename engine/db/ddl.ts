/**
 * Table definitions: CREATE TABLE (createTable), CREATE/DROP INDEX (a redeclaration), the
 * declarations put into the catalog as the WAL is replayed, and what a table looks like from
 * outside (tables, schema). DROP TABLE is a delete: see deletes.ts.
 */
import type { SqliteTable, SqlView } from '../catalog/catalog';
import { InvalidInputError } from '../errors';
import { isHiddenName } from '../rows/identity';
import { checkDefinition, type TableDefinition } from '../storage/declarations';
import type { ColumnType } from '../types';
import type { DbState } from './state';
import { storageError } from './storage-error';

export interface TableSchemaInfo {
  readonly name: string;
  readonly tagKeys: readonly string[];
  readonly fields: ReadonlyArray<{ name: string; type: ColumnType }>;
  /** width of the table's time partitions, ms */
  readonly partitionMs: number;
  /** made by createTable (CREATE TABLE), not only by writes */
  readonly declared: boolean;
  /** declared retention, ms; null when none */
  readonly retentionMs: number | null;
  /** a table declared as SQLite declares them (its columns, constraints and indexes) */
  readonly sqlite?: SqliteTable;
}

/** Declares a table before any write. See Database.createTable. */
export async function createTable(
  s: DbState,
  name: string,
  def: TableDefinition,
  options: { ifNotExists?: boolean; redeclare?: boolean },
): Promise<void> {
  const wal = s.openWal();
  if (options.redeclare) return redeclare(s, name, def);
  const decl = checkDefinition(name, def, wal.lastLsn);
  if (s.catalog.get(name)) {
    if (options.ifNotExists) return;
    throw new InvalidInputError(
      `Table "${name}" already exists. Use CREATE TABLE IF NOT EXISTS, or DROP TABLE "${name}" first.`,
      'HELIOS_TABLE_EXISTS',
    );
  }
  // In the catalog at once, so writes arriving while the file is saved see the declared types.
  s.catalog.declare(name, decl.tags, decl.fields, decl.partitionMs, decl.sqlite ?? null);
  s.declarations.set(name, decl);
  try {
    await s.declarations.save(s.dir);
  } catch (err) {
    s.declarations.delete(name);
    if (!s.seriesKeys.get(name)?.size) s.catalog.tables.delete(name);
    throw storageError(err, s.dir);
  }
}

/**
 * Keeps a view (CREATE VIEW). A name a table or a view has is refused, as in SQLite; with
 * `ifNotExists` it is left as it is. The binder checked the view's SELECT.
 */
export async function createView(
  s: DbState,
  name: string,
  view: SqlView,
  options: { ifNotExists?: boolean },
): Promise<void> {
  const taken = s.declarations.views.has(name) ? 'view' : s.catalog.get(name) ? 'table' : null;
  if (taken) {
    if (options.ifNotExists) return;
    throw new InvalidInputError(
      `A ${taken} named "${name}" already exists. Use CREATE VIEW IF NOT EXISTS, or another name.`,
      'HELIOS_TABLE_EXISTS',
    );
  }
  s.declarations.views.set(name, view);
  try {
    await s.declarations.saveViews(s.dir);
  } catch (err) {
    s.declarations.views.delete(name);
    throw storageError(err, s.dir);
  }
}

/** Forgets a view (DROP VIEW); false when there is none of that name. */
export async function dropView(s: DbState, name: string): Promise<boolean> {
  const view = s.declarations.views.get(name);
  if (!view) return false;
  s.declarations.views.delete(name);
  try {
    await s.declarations.saveViews(s.dir);
  } catch (err) {
    s.declarations.views.set(name, view);
    throw storageError(err, s.dir);
  }
  return true;
}

/**
 * Replaces the SQLite shape of a declared table (CREATE INDEX and DROP INDEX change its
 * indexes): columns, types and the declaration's LSN stay as they are.
 */
async function redeclare(s: DbState, name: string, def: TableDefinition): Promise<void> {
  const old = s.declarations.get(name);
  if (!old?.sqlite || !def.sqlite) {
    throw new InvalidInputError(`Table "${name}" was not declared as SQLite declares tables.`);
  }
  s.declarations.set(name, { ...old, sqlite: def.sqlite });
  try {
    await s.declarations.save(s.dir);
  } catch (err) {
    s.declarations.set(name, old);
    throw storageError(err, s.dir);
  }
}

/**
 * Puts declarations made before record `lsn` into the catalog. Replay calls it before each
 * record, so the catalog changes in the order it did when the records were written.
 */
export function declareUpTo(s: DbState, lsn: number): void {
  for (const [name, d] of s.declarations.entries()) {
    if (d.lsn < lsn && !s.declared.has(name)) {
      s.catalog.declare(name, d.tags, d.fields, d.partitionMs, d.sqlite ?? null);
      s.declared.add(name);
    }
  }
}

/** Saves the declarations a replayed or recorded drop changed. */
export function saveDeclarations(s: DbState): Promise<void> {
  s.declarationsChanged = false;
  return s.declarations.save(s.dir);
}

/** Names of the tables, sorted. */
export function tableNames(s: DbState): string[] {
  return [...s.catalog.tables.keys()].sort();
}

/** The columns of `table`: tags (text) and fields with their types; undefined if unknown. */
export function tableSchema(s: DbState, table: string): TableSchemaInfo | undefined {
  const t = s.catalog.get(table);
  if (!t) return undefined;
  const sqlite = s.declarations.get(table)?.sqlite;
  return {
    name: t.name,
    tagKeys: [...t.tagKeys],
    fields: [...visibleFields(t.fields)].map(([name, type]) => ({ name, type })),
    partitionMs: t.partitionMs,
    declared: s.declarations.get(table) !== undefined,
    retentionMs: s.declarations.get(table)?.retentionMs ?? null,
    ...(sqlite ? { sqlite } : {}),
  };
}

/** A table's fields without the engine's hidden ones (rowids, delete markers). */
export function visibleFields(fields: ReadonlyMap<string, ColumnType> | undefined): Map<string, ColumnType> {
  const out = new Map<string, ColumnType>();
  for (const [name, type] of fields ?? []) if (!isHiddenName(name)) out.set(name, type);
  return out;
}
