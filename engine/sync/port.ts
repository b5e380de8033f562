/**
 * What sync needs of the database (built by db/sync-port.ts from the database's state), so this
 * room never imports the database itself.
 */
import type { StoredReading } from '../ingest/readings';
import type { Tombstone } from '../storage/tombstones';
import type { ColumnType } from '../types';

/** A segment file the database holds. */
export interface StoredFile {
  readonly path: string;
  readonly table: string;
  readonly minLsn: number;
  readonly maxLsn: number;
  readonly rows: number;
}

/**
 * The segments and range deletes of one moment: every row written up to `lsn` is in `files`
 * (rows after it may be too). The files stay on disk until `release()`.
 */
export interface StoredData {
  readonly lsn: number;
  readonly files: readonly StoredFile[];
  readonly tombstones: readonly Tombstone[];
  release(): Promise<void>;
}

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
  /** the segments of this moment, kept on disk until released (a new edge's snapshot) */
  storedData(): StoredData;
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
