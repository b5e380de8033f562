/**
 * The engine's sync API as the transports use it (engine/sync/, through engine/index.ts only;
 * /work/briefs/sync-contract.md). The controllers take these interfaces, so a test can drive them
 * with the in-memory engine of test/support/fake-sync.js as well as the real one.
 */
import type {
  DecodedSyncBatch,
  SyncAck,
  SyncBatchMeta,
  SyncEdge,
  SyncEdgeOptions,
  SyncHub,
  SyncHubOptions,
} from '../../../engine/index';

export type {
  AppliedTable,
  DecodedSyncBatch,
  DownMessage,
  HubDeviceState,
  QuarantinedBatch,
  SyncAck,
  SyncBatch,
  SyncBatchMeta,
  SyncEdge,
  SyncEdgeOptions,
  SyncEdgeStatus,
  SyncHub,
  SyncHubOptions,
} from '../../../engine/index';

/** The engine's pure codec functions the transports need (the acks travel as the engine encodes them). */
export interface SyncCodec {
  encodeSyncAck(ack: SyncAck): Uint8Array;
  decodeSyncAck(bytes: Uint8Array): SyncAck;
  decodeSyncBatch(bytes: Uint8Array): DecodedSyncBatch;
  readSyncBatchMeta(bytes: Uint8Array): SyncBatchMeta;
}

/** What a database hands out for sync (Database.openSyncEdge / openSyncHub). */
export interface SyncDatabase {
  openSyncEdge(options: SyncEdgeOptions): Promise<SyncEdge>;
  openSyncHub(options?: SyncHubOptions): Promise<SyncHub>;
}
