/**
 * What the bus needs from a connection (TCP or RTU): one request out, its reply back, and the
 * connection's state. A link reconnects by itself with backoff (backoff.ts) after any error, so a
 * flow never needs a redeploy to recover; `exchange` on a link that is not connected fails at once
 * with NotConnectedError instead of queueing.
 */

export type LinkState =
  | { kind: 'connecting' }
  | { kind: 'connected' }
  /** waiting `retryInMs` before the next attempt; `error` says why the last one ended */
  | { kind: 'disconnected'; error: string; retryInMs: number }
  /** closed after a poll (close-after-poll devices); opens again on the next request */
  | { kind: 'idle' }
  | { kind: 'closed' };

export interface LinkCounters {
  /** replies that came after their request had timed out (or with an unknown transaction id): dropped */
  lateReplies: number;
  /** connections made (the first one included) */
  connects: number;
  /** bytes or frames that could not be read as a reply and made the link start again */
  protocolErrors: number;
}

export interface Link {
  readonly counters: LinkCounters;
  readonly state: LinkState;
  /** Called on every state change. */
  onState: ((state: LinkState) => void) | null;
  /** Opens the connection (idempotent); errors go to the state, never thrown. */
  open(): void;
  /** Sends `pdu` to `unitId` and resolves with the reply's PDU; rejects after `timeoutMs`. */
  exchange(unitId: number, pdu: Buffer, timeoutMs: number): Promise<Buffer>;
  /** Closes until the next `open` or `exchange` (close-after-poll). */
  release(): void;
  /** Closes for good. */
  close(): Promise<void>;
}

/** The request got no reply within the device's timeout. */
export class TimeoutError extends Error {
  readonly code = 'MODBUS_TIMEOUT';
  constructor(unitId: number, timeoutMs: number) {
    super(`Unit ${unitId} did not answer within ${timeoutMs} ms.`);
    this.name = 'TimeoutError';
  }
}

/** The link is down (connecting, or waiting to retry): nothing was sent. */
export class NotConnectedError extends Error {
  readonly code = 'MODBUS_NOT_CONNECTED';
  constructor(detail: string) {
    super(`Not connected to the device (${detail}); nothing was sent. It reconnects by itself.`);
    this.name = 'NotConnectedError';
  }
}

/** The connection ended while a request was out: it may or may not have reached the device. */
export class ConnectionLostError extends Error {
  readonly code = 'MODBUS_CONNECTION_LOST';
  constructor(detail: string) {
    super(`The connection to the device was lost before the reply came (${detail}).`);
    this.name = 'ConnectionLostError';
  }
}

/** An RTU line's settings. */
export interface SerialSettings {
  path: string;
  baudRate: number;
  parity: 'none' | 'even' | 'odd';
  dataBits: 7 | 8;
  stopBits: 1 | 2;
}
