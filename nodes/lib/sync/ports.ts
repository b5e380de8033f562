/**
 * The engine's sync API as the transports use it: a type-only copy of /work/briefs/sync-contract.md
 * (engine/sync/, exported by engine/index.ts). The controllers here take these interfaces, so a test
 * can drive them with an in-memory fake and the node with the real engine.
 */

export interface SyncEdgeOptions {
  deviceId: string;
  tables?: readonly string[];
  maxBatchRows?: number;
  maxBatchBytes?: number;
  compression?: 'zstd' | 'brotli' | 'gzip' | 'none';
  compressionLevel?: number;
  liveWindowMs?: number;
}

export interface SyncBatchMeta {
  readonly device: string;
  readonly epoch: string;
  readonly seq: number;
  readonly lane: 'live' | 'backfill' | 'journal';
  readonly historical: boolean;
  readonly fromLsn: number;
  readonly toLsn: number;
  readonly rows: number;
  readonly tables: readonly string[];
  readonly kind: 'rows' | 'gap';
}

export interface SyncBatch {
  readonly bytes: Uint8Array;
  readonly meta: SyncBatchMeta;
}

export interface SyncAck {
  readonly device: string;
  readonly epoch: string;
  readonly seq: number;
  readonly status: 'applied' | 'duplicate' | 'gap' | 'rejected';
  readonly expectSeq?: number;
  readonly reason?: string;
}

export interface SyncEdgeStatus {
  readonly deviceId: string;
  readonly epoch: string;
  readonly backlogRows: number;
  readonly backlogBytes: number;
  readonly inFlight: number;
  readonly lastAckSeq: number;
  readonly lastAckAt: number | null;
  readonly lostRows: number;
  readonly quarantined: number;
}

export interface QuarantinedBatch {
  readonly seq: number;
  readonly reason: string;
  readonly rows: number;
  readonly at: number;
}

export interface DownMessage {
  readonly id: number;
  readonly payload: unknown;
}

export interface SyncEdge {
  next(): Promise<SyncBatch | null>;
  acknowledge(ack: SyncAck): Promise<void>;
  rewind(): void;
  status(): SyncEdgeStatus;
  quarantined(): readonly QuarantinedBatch[];
  retryQuarantined(seq: number): Promise<void>;
  dropQuarantined(seq: number): Promise<void>;
  exportQuarantined(seq: number): Promise<Uint8Array>;
  receiveDown(bytes: Uint8Array): Promise<readonly DownMessage[]>;
  downAck(): Uint8Array;
  close(): Promise<void>;
}

export interface SyncHubOptions {
  deviceTag?: string | null;
}

export interface AppliedTable {
  readonly device: string;
  readonly table: string;
  readonly rows: number;
  readonly from: number;
  readonly to: number;
}

export interface HubDeviceState {
  readonly device: string;
  readonly epoch: string;
  readonly highSeq: number;
  readonly lastAt: number;
}

export interface SyncHub {
  apply(bytes: Uint8Array): Promise<{ ack: SyncAck; applied: readonly AppliedTable[] }>;
  devices(): readonly HubDeviceState[];
  sendDown(device: string, payload: unknown): Promise<number>;
  pendingDown(device: string): Uint8Array | null;
  receiveDownAck(bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export interface DecodedSyncBatch {
  readonly meta: SyncBatchMeta;
  readonly tables: readonly {
    readonly table: string;
    readonly series: readonly {
      readonly tags: Readonly<Record<string, string>>;
      readonly times: ArrayLike<number>;
      readonly fields: Readonly<Record<string, ArrayLike<unknown>>>;
    }[];
  }[];
}

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
