/**
 * Helios storage engine: an embedded time-series database. `open(dir, options)` gives a
 * `Database`; see engine/README.md for the tour and docs/ for the decisions.
 */
import { Database } from './db/database';

export type {
  ActionResult,
  AlarmCounts,
  AlarmEngineOptions,
  AlarmReading,
  AlarmTarget,
  ReadingResult,
} from './alarm/alarms';
export { AlarmEngine, band, conditionKey } from './alarm/alarms';
export type {
  AlarmEvent,
  AlarmEventName,
  AlarmState,
  Condition,
  OperatorAction,
  Who,
} from './alarm/condition';
export type { AlarmJournalTarget } from './alarm/journal';
export { AlarmJournal, JOURNAL_TABLE, STATE_TABLE, STATE_TIME } from './alarm/journal';
export type { AlarmRule, AlarmRuleInput, ConditionKind } from './alarm/rules';
export { AlarmRuleError, checkRule, checkRules } from './alarm/rules';

import type { EngineOptions } from './options';

export type { DatabaseStats, GroupPart, TableSchemaInfo, TableStats, WriteResult } from './db/database';
export { Database } from './db/database';
export type { Snapshot, SnapshotCopy, SnapshotOptions } from './db/snapshot';
export { copySnapshot, NotADatabaseError, openSnapshot } from './db/snapshot';
export { markersFor, Transaction } from './db/transaction';
export type { VerifyProblem, VerifyReport } from './db/verify';
export { verifyDirectory } from './db/verify';
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
export { sqlVocabulary, statementWrites } from './query/statement-info';
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
export { parseIsoTime } from './util/iso-time';

/** Opens (creating if needed) the database stored in directory `dir`. */
export function open(dir: string, options: EngineOptions = {}): Promise<Database> {
  return Database.open(dir, options);
}
