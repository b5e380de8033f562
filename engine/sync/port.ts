/**
 * What sync needs of the database (built by db/sync-port.ts from the database's state), so this
 * room never imports the database itself.
 */
import type { StoredReading } from '../ingest/readings';
import type { ColumnType } from '../types';

/** One table's rows written with the identity they carry. */
export interface SyncWritePart {
  readonly table: string;
  readonly readings: readonly StoredReading[];
  readonly rows: 'stored';
}

/** The database as sync sees it. */
export interface SyncTarget {
  /** the database directory: sync keeps its state under `<dir>/sync` */
  readonly dir: string;
  /** the WAL directory: the change feed reads it */
  readonly walDir: string;
  /** the last LSN written */
  lastLsn(): number;
  /** the last LSN whose rows are all in segments (the WAL before it is kept only for sync) */
  checkpointLsn(): number;
  /** a consumer cursor (see Database.setCursor): a `sync:` one also keeps the WAL after it */
  cursor(name: string): number | undefined;
  setCursor(name: string, lsn: number): Promise<void>;
  /** deletes the WAL files that neither the checkpoint nor a sync cursor needs any more */
  releaseLog(): Promise<void>;
  /** writes the parts as one WAL record (all or nothing) and resolves once it is on disk (fsynced) */
  writeDurably(parts: readonly SyncWritePart[]): Promise<void>;
  /** the field types a table has (empty for a table that does not exist) */
  fieldTypes(table: string): ReadonlyMap<string, ColumnType>;
  /** rows of a table as plain objects */
  read(table: string): Promise<Array<Record<string, unknown>>>;
  deleteRows(table: string, options: { to?: number; tags?: Record<string, string> }): Promise<unknown>;
}

/** The cursor name of an edge: retention keeps, and the WAL keeps, what comes after it. */
export function syncCursorName(deviceId: string): string {
  return `sync:${deviceId}`;
}
