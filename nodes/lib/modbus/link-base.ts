import { Backoff } from './backoff';
import {
  ConnectionLostError,
  type Link,
  type LinkCounters,
  type LinkState,
  NotConnectedError,
  TimeoutError,
} from './link';

export interface LinkTiming {
  /** connect timeout and the wait of a request for a link that is connecting, ms */
  timeoutMs: number;
  /** quiet time after connecting before the first request (devices that need it), ms; 0: none */
  pauseAfterConnectMs: number;
  /** first reconnect delay, ms (doubles up to `retryMaxMs`) */
  retryFirstMs: number;
  retryMaxMs: number;
  /**
   * timeouts in a row with no byte received in between after which the connection is started
   * again: a pulled cable or a rebooted gateway leaves a TCP socket open that will never answer
   */
  silentTimeouts: number;
}

export const DEFAULT_TIMING: LinkTiming = {
  timeoutMs: 1000,
  pauseAfterConnectMs: 0,
  retryFirstMs: 1000,
  retryMaxMs: 30_000,
  silentTimeouts: 3,
};

/**
 * The part of a link that TCP and RTU share: connecting, reconnecting with backoff after any error,
 * the pause after connect, close-after-poll, and starting again after timeouts in silence. A
 * subclass dials, hangs up, and sends one request.
 */
export abstract class LinkBase implements Link {
  readonly counters: LinkCounters = { lateReplies: 0, connects: 0, protocolErrors: 0 };
  onState: ((state: LinkState) => void) | null = null;
  private current: LinkState = { kind: 'idle' };
  private readonly backoff: Backoff;
  private retryTimer: NodeJS.Timeout | null = null;
  private pauseTimer: NodeJS.Timeout | null = null;
  /** bumped by every dial and hang-up: a late callback of an earlier attempt is ignored */
  private attempt = 0;
  private silent = 0;
  private waiters: Array<() => void> = [];

  constructor(protected readonly timing: LinkTiming) {
    this.backoff = new Backoff(timing.retryFirstMs, timing.retryMaxMs);
  }

  get state(): LinkState {
    return this.current;
  }

  /** Opens a connection; resolves once it can carry requests. Rejects with a sentence. */
  protected abstract dial(): Promise<void>;
  /** Ends the connection (if any) and fails the requests out with `error`. */
  protected abstract hangUp(error: Error): void;
  /** Sends one request on the open connection. */
  protected abstract send(unitId: number, pdu: Buffer, timeoutMs: number): Promise<Buffer>;

  private setState(state: LinkState): void {
    this.current = state;
    if (state.kind === 'connected') for (const wake of this.waiters.splice(0)) wake();
    this.onState?.(state);
  }

  open(): void {
    const kind = this.current.kind;
    if (kind === 'idle') this.connect();
  }

  private connect(): void {
    const attempt = ++this.attempt;
    this.setState({ kind: 'connecting' });
    this.dial().then(
      () => {
        if (attempt !== this.attempt) return;
        this.counters.connects++;
        const ready = () => {
          this.pauseTimer = null;
          if (attempt === this.attempt) this.setState({ kind: 'connected' });
        };
        if (this.timing.pauseAfterConnectMs > 0)
          this.pauseTimer = setTimeout(ready, this.timing.pauseAfterConnectMs);
        else ready();
      },
      (err: Error) => {
        if (attempt === this.attempt) this.lost(err.message);
      },
    );
  }

  /** The connection ended or failed (`reason`): hang up and try again after the backoff. */
  protected lost(reason: string): void {
    if (this.current.kind === 'closed' || this.current.kind === 'idle') return;
    this.attempt++;
    this.hangUp(new ConnectionLostError(reason));
    if (this.pauseTimer) clearTimeout(this.pauseTimer);
    const retryInMs = this.backoff.next();
    this.setState({ kind: 'disconnected', error: reason, retryInMs });
    for (const wake of this.waiters.splice(0)) wake();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.current.kind === 'disconnected') this.connect();
    }, retryInMs);
  }

  /** A subclass saw bytes from the device: it is there. */
  protected heard(): void {
    this.silent = 0;
  }

  /** A reply was taken: the link works, the next failure starts the backoff from the beginning. */
  protected answered(): void {
    this.silent = 0;
    this.backoff.reset();
  }

  async exchange(unitId: number, pdu: Buffer, timeoutMs: number): Promise<Buffer> {
    if (this.current.kind === 'idle') this.open();
    if (this.current.kind === 'connecting') await this.connected(timeoutMs + this.timing.pauseAfterConnectMs);
    const state = this.current;
    if (state.kind !== 'connected') throw new NotConnectedError(describe(state));
    try {
      const reply = await this.send(unitId, pdu, timeoutMs);
      this.answered();
      return reply;
    } catch (err) {
      if (err instanceof TimeoutError && ++this.silent >= this.timing.silentTimeouts) {
        this.silent = 0;
        this.lost(`no reply to ${this.timing.silentTimeouts} requests in a row: connecting again`);
      }
      throw err;
    }
  }

  /** Resolves when connected, when the attempt fails, or after `ms`. */
  private connected(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== wake);
        resolve();
      }, ms);
      this.waiters.push(wake);
    });
  }

  release(): void {
    if (this.current.kind === 'closed' || this.current.kind === 'idle') return;
    this.stopTimers();
    this.attempt++;
    this.hangUp(new ConnectionLostError('closed after the poll'));
    this.setState({ kind: 'idle' });
  }

  async close(): Promise<void> {
    this.stopTimers();
    this.attempt++;
    this.hangUp(new ConnectionLostError('the node is closing'));
    this.setState({ kind: 'closed' });
    for (const wake of this.waiters.splice(0)) wake();
  }

  private stopTimers(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.pauseTimer) clearTimeout(this.pauseTimer);
    this.retryTimer = null;
    this.pauseTimer = null;
  }
}

/** A state in a few words, for errors and the status line. */
export function describe(state: LinkState): string {
  switch (state.kind) {
    case 'connecting':
      return 'connecting';
    case 'connected':
      return 'connected';
    case 'disconnected':
      return `${state.error}; retrying in ${Math.round(state.retryInMs / 100) / 10} s`;
    case 'idle':
      return 'idle';
    case 'closed':
      return 'closed';
  }
}
