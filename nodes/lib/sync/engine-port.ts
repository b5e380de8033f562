import type { Database } from '../../../engine/index';
import { decodeSyncAck, decodeSyncBatch, encodeSyncAck, readSyncBatchMeta } from '../../../engine/index';
import type { SyncCodec, SyncDatabase } from './ports';

/**
 * Where the sync node finds the engine's sync API: engine/index.ts. Tests of the node alone may
 * install the in-memory engine of test/support/fake-sync.js with `useSyncEngine` (to force faults
 * the real engine does not have on demand, e.g. a hub that rejects a table).
 */
export interface SyncEngine {
  codec: SyncCodec;
  database(db: Database): SyncDatabase;
}

const REAL: SyncEngine = {
  codec: { encodeSyncAck, decodeSyncAck, decodeSyncBatch, readSyncBatchMeta },
  database: (db) => db,
};

let installed: SyncEngine | null = null;

/** For tests: the engine the sync node uses instead of engine/index.ts's (null: the real one again). */
export function useSyncEngine(e: SyncEngine | null): void {
  installed = e;
}

export function syncEngine(): SyncEngine {
  return installed ?? REAL;
}
