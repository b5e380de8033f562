/**
 * Helios storage engine: an embedded time-series database. `open(dir, options)` gives a
 * `Database`; see engine/README.md for the tour and docs/ for the decisions.
 */
import { Database } from './db/database';
import type { EngineOptions } from './options';

export type { DatabaseStats, GroupPart, TableSchemaInfo, TableStats, WriteResult } from './db/database';
export { Database } from './db/database';
export { markersFor, Transaction } from './db/transaction';
export {
  ClosedError,
  CorruptionError,
  clipText,
  HeliosError,
  InvalidInputError,
  LockedError,
  TransactionConflictError,
  TypeConflictError,
} from './errors';
export type { QueryResult } from './exec/target';
export type { Reading, StoredReading } from './ingest/readings';
export { MAX_TIME } from './ingest/readings';
export { shareTags } from './ingest/series-resolver';
export type { EngineOptions, TableOptions } from './options';
export type { Aggregate, DownsampleReport, DownsampleRule } from './policy/downsample';
export type { RetentionPolicy, RetentionReport } from './policy/retention';
export type { QueryOptions, QueryParams } from './query/query';
export type { ReadOptions, ScanCounters, ScanPart, SeriesParts } from './read/scan';
export { newScanCounters } from './read/scan';
export { SqlError } from './sql/errors';
export type { TableDefinition } from './storage/declarations';
export type { ColumnType, FieldColumn, SeriesRows } from './types';
export { formatDuration, parseDuration } from './util/duration';
export { parseIsoTime } from './util/iso-time';

/** Opens (creating if needed) the database stored in directory `dir`. */
export function open(dir: string, options: EngineOptions = {}): Promise<Database> {
  return Database.open(dir, options);
}
