/**
 * The edge's durable state: one JSON file per device under `<db>/sync/`, replaced whole (temp,
 * fsync, rename, fsync the directory) on every change, so a crash leaves the old or the new one.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { SaveChain } from '../util/save-chain';
import type { SyncLane } from './batch-format';
import type { SnapshotPosition, SnapshotState } from './snapshot';

/** A batch handed out and not yet acknowledged: enough to build the same batch again. */
export interface BatchDef {
  readonly seq: number;
  lane: SyncLane;
  /** the LSN range covered, both ends included (0, 0 for a retried quarantined batch) */
  readonly from: number;
  readonly to: number;
  readonly rows: number;
  readonly historical: boolean;
  readonly kind: 'rows' | 'gap';
  readonly tables: readonly string[];
  /** a quarantined batch sent again: its rows come from the quarantine file of that seq */
  readonly retryOf?: number;
  /** a batch of the snapshot (rows stored before the edge first opened): its chunk range */
  readonly snap?: { readonly from: SnapshotPosition; readonly to: SnapshotPosition };
}

/** A batch of the change feed (not a retried quarantined batch, not one of the snapshot). */
export function isFeedBatch(d: BatchDef): boolean {
  return d.retryOf === undefined && d.snap === undefined;
}

/** A batch the hub rejected for good, set aside with its reason. */
export interface QuarantineEntry {
  readonly seq: number;
  readonly reason: string;
  readonly rows: number;
  readonly at: number;
  readonly lane: SyncLane;
  readonly tables: readonly string[];
  /** the file holding the batch's bytes, relative to the sync directory */
  readonly file: string;
}

/** Everything the edge must remember across restarts. */
export interface EdgeState {
  version: 1;
  device: string;
  /** new for every new state, so a database created anew starts a new epoch */
  epoch: string;
  nextSeq: number;
  lastAckSeq: number;
  lastAckAt: number | null;
  /** acknowledged up to (LSN) per lane: the journal, the main (live) lane, and a backfill range */
  journal: number;
  live: number;
  backfill: { acked: number; end: number } | null;
  issued: BatchDef[];
  quarantine: QuarantineEntry[];
  lostRows: number;
  /** rows the edge lost per LSN range (counted when the log was released), until a gap batch tells the hub */
  losses: Array<{ from: number; to: number; rows: number }>;
  /** the log up to here was released to keep it under maxLogBytes (0: never) */
  releasedTo?: number;
  /** LSN ranges of damaged log that no lane sends (a gap batch reports each) */
  holes?: Array<{ from: number; to: number }>;
  /** the newest downlink message id applied */
  downApplied: number;
  /** rows stored before the edge first opened, still to send (docs/sync.md, "Where a new sync starts") */
  snapshot?: SnapshotState | null;
}

/** The directory of sync's files inside a database directory. */
export function syncDir(dbDir: string): string {
  return path.join(dbDir, 'sync');
}

/** A new epoch: time-ordered, unique (ms since 1970 in base 36 and 6 random bytes). */
export function newEpoch(): string {
  return `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`;
}

/** The edge state file of one device, loaded and saved whole. */
export class EdgeStateFile {
  private readonly saves: SaveChain;

  constructor(readonly file: string) {
    this.saves = new SaveChain(file);
  }

  /** The saved state, or null when there is none (a new edge, or a database created anew). */
  async load(): Promise<EdgeState | null> {
    let text: string;
    try {
      text = await fsp.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    const state = JSON.parse(text) as EdgeState;
    if (state.version !== 1)
      throw new Error(`${this.file} has version ${state.version}; this Helios reads 1`);
    return state;
  }

  /** Replaces the file with `state`; durable on resolve. */
  save(state: EdgeState): Promise<void> {
    return this.saves.save(JSON.stringify(state));
  }
}
