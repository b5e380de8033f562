import { Backoff } from './backoff';

/** A unit's health as the status line and the readings show it. */
export type UnitHealth = 'ok' | 'failing' | 'offline';

/** Failures in a row (no reply, or a gateway saying the unit does not answer) that take a unit offline. */
export const FAILURES_TO_OFFLINE = 3;

/**
 * A circuit breaker for one unit id. After FAILURES_TO_OFFLINE failures in a row the unit is
 * offline: its requests fail at once without using the bus, so a dead unit does not take a timeout
 * of bus time from every poll of the others. After a backoff (1 s doubling to `maxMs`) one request
 * goes through as a probe; an answer brings the unit back, a failure doubles the wait.
 */
export class UnitBreaker {
  private failures = 0;
  private offlineUntil = 0;
  private probing = false;
  private readonly backoff: Backoff;

  constructor(maxMs = 60_000, random?: () => number) {
    this.backoff = new Backoff(1000, maxMs, random);
  }

  get health(): UnitHealth {
    if (this.failures >= FAILURES_TO_OFFLINE) return 'offline';
    return this.failures > 0 ? 'failing' : 'ok';
  }

  /** May a request go to the unit now? Offline: only one probe once the wait is over. */
  admit(now: number): boolean {
    if (this.failures < FAILURES_TO_OFFLINE) return true;
    if (this.probing || now < this.offlineUntil) return false;
    this.probing = true;
    return true;
  }

  /** ms until the next probe (0 when the unit is not offline). */
  retryInMs(now: number): number {
    return this.health === 'offline' ? Math.max(0, this.offlineUntil - now) : 0;
  }

  /** The unit answered (a value or a Modbus exception: it is alive). */
  succeeded(): void {
    this.failures = 0;
    this.probing = false;
    this.backoff.reset();
  }

  /** The unit did not answer. */
  failed(now: number): void {
    this.failures++;
    this.probing = false;
    if (this.failures >= FAILURES_TO_OFFLINE) this.offlineUntil = now + this.backoff.next();
  }

  /** The request never reached the unit (the link was down): neither answer nor failure. */
  released(): void {
    this.probing = false;
  }
}
