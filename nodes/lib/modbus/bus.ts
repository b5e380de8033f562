import { FAILURES_TO_OFFLINE, UnitBreaker, type UnitHealth } from './breaker';
import { type Link, TimeoutError } from './link';
import { ModbusExceptionError, type Request } from './pdu';

/** A unit is offline (its breaker is open): the request was not sent. */
export class UnitOfflineError extends Error {
  readonly code = 'MODBUS_UNIT_OFFLINE';
  constructor(unitId: number, retryInMs: number) {
    super(
      `Unit ${unitId} is offline after ${FAILURES_TO_OFFLINE} requests without an answer; ` +
        `the next try is in ${Math.ceil(retryInMs / 1000)} s.`,
    );
    this.name = 'UnitOfflineError';
  }
}

/** More requests waiting than a bus should ever hold: the flow sends writes faster than the device takes them. */
export class QueueFullError extends Error {
  readonly code = 'MODBUS_QUEUE_FULL';
  constructor(limit: number) {
    super(
      `${limit} requests are already waiting for this device; this one was not queued. Send fewer writes.`,
    );
    this.name = 'QueueFullError';
  }
}

export interface BusOptions {
  /** reply timeout per request, ms */
  timeoutMs: number;
  /** pause after each reply (or timeout) before the next request, ms; 0: none */
  betweenMs: number;
  /** close the connection when no request is waiting (devices that allow one master only) */
  closeWhenIdle: boolean;
  /** requests waiting on the bus at most (all units) */
  maxQueued: number;
  /**
   * requests on the wire at once, each to another unit (TCP only: an RTU line takes one); 1 by
   * default, as most devices and gateways answer one master's requests one at a time anyway
   */
  inFlight?: number;
}

export interface Answer {
  data: Uint16Array | Uint8Array | null;
  /** when the reply came, ms since the epoch */
  time: number;
  /** request sent to reply taken, ms */
  latencyMs: number;
}

interface Job {
  unitId: number;
  request: Request;
  resolve(answer: Answer): void;
  reject(err: Error): void;
}

/** Exceptions a gateway sends for a unit behind it that does not answer: the unit is as good as silent. */
const GATEWAY_NO_ANSWER = new Set([10, 11]);

/**
 * One scheduler per connection: one request on the wire at a time (an RTU line allows no more, and
 * most TCP devices serve one master's requests in order anyway), units served in turn from their own
 * queues so that a slow unit delays the others by at most one request, and a breaker per unit.
 */
export class Bus {
  private readonly queues = new Map<number, Job[]>();
  private readonly breakers = new Map<number, UnitBreaker>();
  private queued = 0;
  /** requests being served (at most `inFlight`), and their units */
  private workers = 0;
  private readonly busyUnits = new Set<number>();
  private turn: number[] = [];
  private closed = false;
  /** answers and failures since start, for the status line and the benchmark */
  readonly counters = { requests: 0, answers: 0, timeouts: 0, exceptions: 0, badReplies: 0, skipped: 0 };

  constructor(
    readonly link: Link,
    private readonly options: BusOptions,
  ) {}

  /** Sends `request` to `unitId` in its turn. Rejects with the reason it got no answer. */
  submit(unitId: number, request: Request): Promise<Answer> {
    if (this.closed)
      return Promise.reject(new Error('The device node is closing; the request was not sent.'));
    if (this.queued >= this.options.maxQueued)
      return Promise.reject(new QueueFullError(this.options.maxQueued));
    return new Promise((resolve, reject) => {
      let queue = this.queues.get(unitId);
      if (!queue) this.queues.set(unitId, (queue = []));
      queue.push({ unitId, request, resolve, reject });
      this.queued++;
      this.pump();
    });
  }

  /** Health of every unit that has been asked. */
  units(): Map<number, UnitHealth> {
    const out = new Map<number, UnitHealth>();
    for (const [id, b] of this.breakers) out.set(id, b.health);
    return out;
  }

  /** Requests waiting (not counting those on the wire). */
  get waiting(): number {
    return this.queued;
  }

  private breaker(unitId: number): UnitBreaker {
    let b = this.breakers.get(unitId);
    if (!b) this.breakers.set(unitId, (b = new UnitBreaker()));
    return b;
  }

  /** The next job of a unit with no request on the wire, taking units in turn. */
  private nextJob(): Job | null {
    for (let round = 0; round < 2; round++) {
      while (this.turn.length > 0) {
        const unitId = this.turn.shift()!;
        if (this.busyUnits.has(unitId)) continue;
        const job = this.queues.get(unitId)?.shift();
        if (job) {
          this.queued--;
          return job;
        }
      }
      this.turn = [...this.queues.keys()];
    }
    return null;
  }

  /** Starts workers while there is room on the wire and a unit with work that has none out. */
  private pump(): void {
    const lanes = Math.max(1, this.options.inFlight ?? 1);
    while (this.workers < lanes && this.queued > 0) {
      const job = this.nextJob();
      if (!job) return;
      this.workers++;
      this.work(job);
    }
  }

  /** Serves `first`, then more jobs while there are any for units that are free. */
  private async work(first: Job): Promise<void> {
    try {
      for (let job: Job | null = first; job; job = this.nextJob()) {
        this.busyUnits.add(job.unitId);
        let sent = false;
        try {
          sent = await this.serve(job);
        } finally {
          this.busyUnits.delete(job.unitId);
        }
        if (sent && this.options.betweenMs > 0 && this.queued > 0) await sleep(this.options.betweenMs);
        this.pump();
      }
    } finally {
      this.workers--;
    }
    if (this.workers === 0 && this.queued === 0 && this.options.closeWhenIdle && !this.closed)
      this.link.release();
  }

  /** Serves one job; true if it used the wire. */
  private async serve(job: Job): Promise<boolean> {
    const breaker = this.breaker(job.unitId);
    const now = Date.now();
    if (!breaker.admit(now)) {
      this.counters.skipped++;
      job.reject(new UnitOfflineError(job.unitId, breaker.retryInMs(now)));
      return false;
    }
    this.counters.requests++;
    const sentAt = performance.now();
    try {
      const reply = await this.link.exchange(job.unitId, job.request.pdu, this.options.timeoutMs);
      const time = Date.now();
      const latencyMs = performance.now() - sentAt;
      const data = this.parse(job, reply, breaker);
      if (data === undefined) return true;
      this.counters.answers++;
      job.resolve({ data, time, latencyMs });
    } catch (err) {
      if (err instanceof TimeoutError) {
        this.counters.timeouts++;
        breaker.failed(Date.now());
      } else breaker.released();
      job.reject(err as Error);
    }
    return true;
  }

  /** The reply's data, or undefined when the job was rejected (an exception, a reply that does not fit). */
  private parse(job: Job, reply: Buffer, breaker: UnitBreaker): Uint16Array | Uint8Array | null | undefined {
    try {
      const data = job.request.parse(reply);
      breaker.succeeded();
      return data;
    } catch (err) {
      if (err instanceof ModbusExceptionError) {
        this.counters.exceptions++;
        if (GATEWAY_NO_ANSWER.has(err.exception)) breaker.failed(Date.now());
        else breaker.succeeded();
      } else {
        this.counters.badReplies++;
        breaker.succeeded();
      }
      job.reject(err as Error);
      return undefined;
    }
  }

  /** Fails every waiting request and closes the link. */
  async close(): Promise<void> {
    this.closed = true;
    for (const queue of this.queues.values()) {
      for (const job of queue.splice(0))
        job.reject(new Error('The device node is closing; the request was not sent.'));
    }
    this.queued = 0;
    await this.link.close();
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
