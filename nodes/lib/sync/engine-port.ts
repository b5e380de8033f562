import * as engine from '../../../engine/index';
import type { SyncCodec, SyncDatabase } from './ports';

/**
 * Where the sync node finds the engine's sync API. Until engine/sync (branch h-sync) is merged,
 * engine/index.ts may not export it yet: the node then reports that this build has no sync engine,
 * and the node tests install the in-memory one of test/support/fake-sync.js with `useSyncEngine`.
 */
export interface SyncEngine {
  codec: SyncCodec;
  database(db: unknown): SyncDatabase;
}

let installed: SyncEngine | null = null;

/** For tests: the engine the sync node uses instead of engine/index.ts's (null: the real one again). */
export function useSyncEngine(e: SyncEngine | null): void {
  installed = e;
}

export class NoSyncEngineError extends Error {
  readonly code = 'HELIOS_SYNC_UNAVAILABLE';
  constructor() {
    super('This build of @helios-edge/node-red-helios has no sync engine (engine/sync); update the package.');
    this.name = 'NoSyncEngineError';
  }
}

export function syncEngine(): SyncEngine {
  if (installed) return installed;
  const e = engine as unknown as Partial<SyncCodec>;
  if (
    typeof e.encodeSyncAck !== 'function' ||
    typeof e.decodeSyncAck !== 'function' ||
    typeof e.decodeSyncBatch !== 'function' ||
    typeof e.readSyncBatchMeta !== 'function'
  ) {
    throw new NoSyncEngineError();
  }
  const codec: SyncCodec = {
    encodeSyncAck: e.encodeSyncAck,
    decodeSyncAck: e.decodeSyncAck,
    decodeSyncBatch: e.decodeSyncBatch,
    readSyncBatchMeta: e.readSyncBatchMeta,
  };
  return {
    codec,
    database(db) {
      const d = db as Partial<SyncDatabase>;
      if (typeof d.openSyncEdge !== 'function' || typeof d.openSyncHub !== 'function')
        throw new NoSyncEngineError();
      return d as SyncDatabase;
    },
  };
}
