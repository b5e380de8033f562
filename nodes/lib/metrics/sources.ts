/**
 * What the sync and alarm nodes show the metrics endpoint: each running node adds a reader here
 * and removes it on close; a scrape calls every reader once (metrics.ts). The readers only read
 * state the nodes keep anyway, so a Node-RED that is never scraped pays nothing.
 */

/** One helios-sync node's figures at this moment (its link and the engine's edge or hub). */
export type SyncFigures = EdgeFigures | HubFigures;

export interface EdgeFigures {
  readonly role: 'edge';
  readonly connected: boolean;
  /** rows, bytes (encoded batches) and batches the hub acknowledged since the node started */
  readonly sentRows: number;
  readonly sentBytes: number;
  readonly ackedBatches: number;
  /** the engine's backlog estimate (never more than is there) */
  readonly backlogRows: number;
  readonly backlogBytes: number;
  /** when the last acknowledgement came (ms since the epoch), null before the first */
  readonly lastAckAt: number | null;
  readonly quarantinedBatches: number;
  /** rows dropped before they were sent (the hub was told of the gap) */
  readonly lostRows: number;
  /** sends that failed in a row (0 after a success) */
  readonly failures: number;
}

export interface HubFigures {
  readonly role: 'hub';
  readonly connected: boolean;
  readonly appliedRows: number;
  readonly appliedBatches: number;
  readonly devices: number;
}

/** One helios-alarm node's figures at this moment. */
export interface AlarmFigures {
  readonly active: number;
  readonly unacked: number;
  /** active or unacknowledged alarms by priority band */
  readonly byPriority: Readonly<Record<'urgent' | 'high' | 'medium' | 'low', number>>;
  readonly shelved: number;
  readonly suppressed: number;
  readonly outOfService: number;
  readonly flood: boolean;
  readonly chattering: number;
  /** transitions decided since the node started, by event name (alarm, return, ack, shelve ...) */
  readonly transitions: Readonly<Record<string, number>>;
}

export interface FigureSource<T> {
  /** the node's id and name (labels node_id, node) */
  readonly nodeId: string;
  readonly nodeName: string;
  /** the id of its helios-db (labels db_id, db) */
  readonly dbId: string;
  /** its figures now, or null while it does not run (still starting, switched off, failed) */
  read(): T | null;
}

export class FigureSources<T> {
  private readonly sources = new Map<string, FigureSource<T>>();

  /** Adds `source` (replacing one of the same node id); the function returned removes it. */
  add(source: FigureSource<T>): () => void {
    this.sources.set(source.nodeId, source);
    return () => {
      if (this.sources.get(source.nodeId) === source) this.sources.delete(source.nodeId);
    };
  }

  list(): FigureSource<T>[] {
    return [...this.sources.values()];
  }
}

/** The sources of this Node-RED process (every node file loads this module once). */
export const syncFigures = new FigureSources<SyncFigures>();
export const alarmFigures = new FigureSources<AlarmFigures>();
