/**
 * Tables declared up front (CREATE TABLE): tags, field types, partition width and retention.
 * Kept in `TABLES` (JSON, replaced atomically); a table written without a declaration has
 * none and gets its schema from the writes.
 */
import * as path from 'node:path';
import { checkColumnName, checkTableName, type SqliteTable, type SqlView } from '../catalog/catalog';
import { InvalidInputError } from '../errors';
import type { ColumnType } from '../types';
import { parseDuration } from '../util/duration';
import { putOwn } from '../util/own';
import { SaveChain } from '../util/save-chain';
import { isJsonObject, readSmallJson } from './small-file';

export const TABLES_FILE = 'TABLES';
/** the views (CREATE VIEW), beside TABLES; absent: no views (a folder older than views) */
export const VIEWS_FILE = 'VIEWS';

/** What `createTable` takes. */
export interface TableDefinition {
  /** tag columns (always text) */
  tags?: readonly string[];
  /** field columns and their types */
  fields?: Readonly<Record<string, ColumnType>>;
  /** width of the time partitions: ms or a duration string ('1d'); default: the database's */
  partitionDuration?: number | string;
  /** how long rows are kept, for the retention policy: ms or a duration string ('30d') */
  retention?: number | string;
  /** a table declared as SQLite declares them: its columns in order, constraints and indexes */
  sqlite?: SqliteTable;
}

/** A checked declaration, as stored. */
export interface TableDeclaration {
  /** the WAL's last LSN when declared: a DROP TABLE replayed from an earlier LSN leaves it be */
  readonly lsn: number;
  readonly tags: readonly string[];
  readonly fields: Readonly<Record<string, ColumnType>>;
  readonly partitionMs: number | null;
  readonly retentionMs: number | null;
  /** absent in declarations older versions wrote and for Helios-style tables */
  readonly sqlite?: SqliteTable;
}

const TYPES: readonly ColumnType[] = ['float', 'int', 'bool', 'string'];

/** Checks a definition; throws InvalidInputError with a sentence naming what is wrong. */
export function checkDefinition(name: string, def: TableDefinition, lsn: number): TableDeclaration {
  checkTableName(name);
  const tags = [...(def.tags ?? [])];
  const fields: Record<string, ColumnType> = {};
  for (const tag of tags) checkColumnName(name, tag, 'tag');
  for (const [field, type] of Object.entries(def.fields ?? {})) {
    checkColumnName(name, field, 'field');
    if (!TYPES.includes(type)) {
      throw new InvalidInputError(
        `Field "${field}" of table "${name}" has type ${JSON.stringify(type)}; use float, int, bool or string.`,
      );
    }
    if (tags.includes(field)) {
      throw new InvalidInputError(`"${field}" is declared both as a tag and as a field of table "${name}".`);
    }
    putOwn(fields, field, type);
  }
  if (new Set(tags).size !== tags.length)
    throw new InvalidInputError(`Table "${name}" declares a tag twice.`);
  let partitionMs: number | null = null;
  if (def.partitionDuration !== undefined) {
    partitionMs = parseDuration(def.partitionDuration, `The partition duration of table "${name}"`);
    if (partitionMs < 60_000 || !Number.isInteger(partitionMs)) {
      throw new InvalidInputError(
        `The partition duration of table "${name}" must be a whole number of ms, at least 1m.`,
      );
    }
  }
  if (def.sqlite) checkSqliteShape(name, def.sqlite);
  const retentionMs =
    def.retention === undefined ? null : parseDuration(def.retention, `The retention of table "${name}"`);
  return { lsn, tags, fields, partitionMs, retentionMs, ...(def.sqlite ? { sqlite: def.sqlite } : {}) };
}

/** A SQLite shape's columns are fields with allowed names, and its keys name its columns. */
function checkSqliteShape(name: string, shape: SqliteTable): void {
  const columns = new Set<string>();
  for (const c of shape.columns) {
    checkColumnName(name, c.name, 'field');
    columns.add(c.name);
  }
  const named = [
    ...(shape.rowidAlias === null ? [] : [shape.rowidAlias]),
    ...shape.keys.flatMap((k) => k.columns),
    ...shape.indexes.flatMap((i) => i.columns),
  ];
  for (const c of named) {
    if (!columns.has(c)) {
      throw new InvalidInputError(
        `Table "${name}" names the column "${c}" in a key or index, but has no such column.`,
      );
    }
  }
}

export class Declarations {
  private readonly tables = new Map<string, TableDeclaration>();
  /** the views by name, in the order they were made */
  readonly views = new Map<string, SqlView>();
  private saves: SaveChain | null = null;
  private viewSaves: SaveChain | null = null;

  static async load(dir: string): Promise<Declarations> {
    const store = new Declarations();
    const raw = await readSmallJson(
      path.join(dir, TABLES_FILE),
      (v) => isJsonObject(v) && Object.values(v).every(isJsonObject),
      'a map of table declarations',
      'it holds the tables made with CREATE TABLE (their columns, types and keys). Restore it from ' +
        'a backup of this folder; the database is left as it is.',
    );
    if (raw) for (const [name, decl] of Object.entries(raw)) store.tables.set(name, decl as TableDeclaration);
    const views = await readSmallJson(
      path.join(dir, VIEWS_FILE),
      (v) => isJsonObject(v) && Object.values(v).every((w) => isJsonObject(w) && typeof w.sql === 'string'),
      'a map of views',
      'it holds the views made with CREATE VIEW (the text of their SELECT). Restore it from a backup ' +
        'of this folder, or remove it to lose the views; the database is left as it is.',
    );
    if (views) for (const [name, view] of Object.entries(views)) store.views.set(name, view as SqlView);
    return store;
  }

  /** Saves the views; chained as the tables are. */
  saveViews(dir: string): Promise<void> {
    this.viewSaves ??= new SaveChain(path.join(dir, VIEWS_FILE));
    return this.viewSaves.save(JSON.stringify(Object.fromEntries(this.views)));
  }

  get(name: string): TableDeclaration | undefined {
    return this.tables.get(name);
  }

  entries(): IterableIterator<[string, TableDeclaration]> {
    return this.tables.entries();
  }

  set(name: string, decl: TableDeclaration): void {
    this.tables.set(name, decl);
  }

  delete(name: string): boolean {
    return this.tables.delete(name);
  }

  /** Saves the list; saves are chained so two never write the file at once. */
  save(dir: string): Promise<void> {
    this.saves ??= new SaveChain(path.join(dir, TABLES_FILE));
    return this.saves.save(JSON.stringify(Object.fromEntries(this.tables)));
  }
}
