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
export type {
  DecodedSyncBatch,
  SyncBatchMeta,
  SyncLane,
  SyncSeries,
  SyncTable,
} from './sync/batch-format';
export { decodeSyncBatch, readSyncBatchMeta, SyncFormatError } from './sync/batch-format';
export type { SyncCompression } from './sync/compress';
export { syncCompressions } from './sync/compress';
export type { SyncEdge } from './sync/edge';
export type { QuarantinedBatch, SyncBatch, SyncEdgeOptions, SyncEdgeStatus } from './sync/edge-options';
export type { AppliedTable, HubDeviceState, SyncHub, SyncHubOptions } from './sync/hub';
export type { DownMessage, SyncAck } from './sync/messages';
export { decodeSyncAck, encodeSyncAck } from './sync/messages';
export type { ColumnType, FieldColumn, SeriesRows } from './types';
export { formatDuration, parseDuration } from './util/duration';

/** Opens (creating if needed) the database stored in directory `dir`. */
export function open(dir: string, options: EngineOptions = {}): Promise<Database> {
  return Database.open(dir, options);
}
