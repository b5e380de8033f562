import type { SyncBatch } from './ports';

/**
 * The transports' two shapes. An edge link carries batches up and answers back; a hub link takes
 * batches in and sends the answers the hub controller gives it. MQTT and HTTP each implement both,
 * and test/sync-transport.test.js runs one contract table against every implementation.
 */

/** A link that is down, or an answer that did not come: the batch is tried again later. */
export class LinkError extends Error {
  readonly code: string;
  constructor(message: string, code = 'HELIOS_SYNC_LINK') {
    super(message);
    this.name = 'LinkError';
    this.code = code;
  }
}

export interface LinkEvents {
  /** connected or not; `error` says why not (a sentence) */
  state(connected: boolean, error?: Error): void;
}

export interface EdgeLink {
  readonly connected: boolean;
  /** connects, and keeps reconnecting until closed */
  start(events: LinkEvents): void;
  /**
   * Sends one batch and resolves with the hub's answer (an encoded SyncAck) after the hub's durable
   * write; rejects with LinkError when the link is down or no answer came in time.
   */
  send(batch: SyncBatch): Promise<Uint8Array>;
  /** downlink deliveries; the handler returns the answer to send back (the edge's downAck) */
  onDown(handler: (bytes: Uint8Array) => Promise<Uint8Array | null>): void;
  /** asks the hub for downlink messages now (HTTP polls; MQTT has them pushed, so does nothing) */
  pollDown(): Promise<void>;
  close(): Promise<void>;
}

/** What the hub does with what a link receives. */
export interface HubHandler {
  /** applies a batch from `device` (as the link names it); resolves with the answer to send */
  batch(device: string, bytes: Uint8Array): Promise<Uint8Array>;
  /** the downlink delivery waiting for `device`, or null */
  pendingDown(device: string): Uint8Array | null;
  downAck(device: string, bytes: Uint8Array): Promise<void>;
}

export interface HubLink {
  readonly connected: boolean;
  start(handler: HubHandler, events: LinkEvents): void;
  /** pushes `device`'s downlink delivery now, if the link can push (MQTT); HTTP waits for the poll */
  pushDown(device: string, bytes: Uint8Array): void;
  close(): Promise<void>;
}

/** The key that pairs a batch with its answer. */
export function batchKey(epoch: string, seq: number): string {
  return `${epoch}:${seq}`;
}
