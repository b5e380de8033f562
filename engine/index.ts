/**
 * Helios storage engine: an embedded time-series database. `open(dir, options)` gives a
 * `Database`; see engine/README.md for the tour and docs/ for the decisions.
 */
import { Database } from './db';
import type { EngineOptions } from './options';

export type { DatabaseStats, GroupPart, TableSchemaInfo, TableStats, WriteResult } from './db';
export { Database } from './db';
export type { Aggregate, DownsampleReport, DownsampleRule } from './downsample/downsample';
export {
  ClosedError,
  CorruptionError,
  HeliosError,
  InvalidInputError,
  LockedError,
  TransactionConflictError,
  TypeConflictError,
} from './errors';
export type { Reading, StoredReading } from './ingest';
export { shareTags } from './ingest';
export type { EngineOptions, TableOptions } from './options';
export type { QueryOptions, QueryParams, QueryResult } from './query';
export type { ReadOptions, ScanCounters, ScanPart, SeriesParts } from './read';
export { newScanCounters } from './read';
export type { RetentionPolicy, RetentionReport } from './retention/retention';
export { SqlError } from './sql/errors';
export type { TableDefinition } from './storage/declarations';
export { markersFor, Transaction } from './transaction';
export type { ColumnType, FieldColumn, SeriesRows } from './types';
export { parseDuration } from './util/duration';

/** Opens (creating if needed) the database stored in directory `dir`. */
export function open(dir: string, options: EngineOptions = {}): Promise<Database> {
  return Database.open(dir, options);
}
