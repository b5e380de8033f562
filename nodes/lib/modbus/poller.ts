import type { Reading } from '../../../engine/index';
import type { Bus } from './bus';
import { type ReadingOptions, type ReadOutcome, readingBuilder } from './decode-read';
import { rangeLabel, readRequest } from './pdu';
import type { PlannedRead, PollGroup } from './planner';

/** What one poll of a group produced. */
export interface PollResult {
  intervalMs: number;
  readings: Reading[];
  /** the reads that failed, with the reason */
  failures: Array<{ label: string; error: Error }>;
  /** reads sent and answered */
  answered: number;
  /** how late the poll started against its schedule, ms */
  lateMs: number;
}

export interface PollCounters {
  polls: number;
  reads: number;
  failedReads: number;
  /** ticks at which at least one unit was left out, its reads of the last poll still running */
  overruns: number;
  /** ticks left out because there was no connection (nothing was asked, nothing is reported) */
  offlineTicks: number;
}

/**
 * Polls groups on their intervals over one bus. A unit's reads of a group start only when its
 * reads of the last poll are over: a slow or dead unit skips its own ticks (counted) instead of
 * piling requests up, so nothing grows while a device is away, and the other units keep their
 * pace. Ticks are kept to a fixed schedule (start + n x interval) so the
 * interval does not drift with the time a poll takes.
 */
export class Poller {
  readonly counters: PollCounters = { polls: 0, reads: 0, failedReads: 0, overruns: 0, offlineTicks: 0 };
  private readonly timers: NodeJS.Timeout[] = [];
  /** `group index:unit id` of the units with reads out */
  private readonly busy = new Set<string>();
  private stopped = false;
  private readonly readings: (outcomes: readonly ReadOutcome[]) => Reading[];

  constructor(
    private readonly bus: Bus,
    private readonly groups: readonly PollGroup[],
    readingOptions: ReadingOptions,
    private readonly onPoll: (result: PollResult) => void,
  ) {
    this.readings = readingBuilder(readingOptions);
  }

  start(): void {
    const now = Date.now();
    for (const group of this.groups) this.schedule(group, now, 0);
  }

  private schedule(group: PollGroup, origin: number, n: number): void {
    if (this.stopped) return;
    const due = origin + n * group.intervalMs;
    const timer = setTimeout(
      () => {
        this.timers.splice(this.timers.indexOf(timer), 1);
        const now = Date.now();
        this.tick(group, now - due);
        // The next slot in the future: slots missed by a blocked event loop are skipped, not run in a burst.
        const next = Math.max(n + 1, Math.floor((now - origin) / group.intervalMs) + 1);
        this.schedule(group, origin, next);
      },
      Math.max(0, due - Date.now()),
    );
    this.timers.push(timer);
  }

  /** The reads of `group` whose unit has none of this group's reads still out; counts the others as overruns. */
  private freeReads(group: PollGroup): PlannedRead[] {
    const free = group.reads.filter((read) => !this.busy.has(this.unitKey(group, read.unitId)));
    if (free.length < group.reads.length) this.counters.overruns++;
    return free;
  }

  private unitKey(group: PollGroup, unitId: number): string {
    return `${this.groups.indexOf(group)}:${unitId}`;
  }

  private tick(group: PollGroup, lateMs: number): void {
    const state = this.bus.link.state.kind;
    if (state === 'disconnected' || state === 'closed') {
      this.counters.offlineTicks++;
      return;
    }
    const reads = this.freeReads(group);
    if (reads.length > 0) this.pollNow(group, reads, lateMs);
  }

  /** Polls every group now (an input message asked), leaving out units whose last poll is still out. */
  pollAll(): void {
    for (const group of this.groups) {
      const reads = this.freeReads(group);
      if (reads.length > 0) this.pollNow(group, reads, 0);
    }
  }

  /**
   * Reads `reads` of `group` and reports them as one poll. A unit is busy from its first read to
   * the end of its last, so a unit that answers slowly skips its own ticks and no one else's.
   */
  private async pollNow(group: PollGroup, reads: readonly PlannedRead[], lateMs: number): Promise<void> {
    const units = [...new Set(reads.map((r) => this.unitKey(group, r.unitId)))];
    for (const key of units) this.busy.add(key);
    this.counters.polls++;
    const outcomes = await Promise.all(
      units.map(async (key) => {
        try {
          const own = reads.filter((r) => this.unitKey(group, r.unitId) === key);
          const done: ReadOutcome[] = [];
          for (const read of own) done.push(await this.read(read));
          return done;
        } finally {
          this.busy.delete(key);
        }
      }),
    ).then((perUnit) => perUnit.flat());
    if (this.stopped) return;
    // With no connection at all, there is nothing to report per value: the status says it.
    if (outcomes.every((o) => !o.ok && (o.error as { code?: string }).code === 'MODBUS_NOT_CONNECTED'))
      return;
    const failures = outcomes.flatMap((o) =>
      o.ok
        ? []
        : [{ label: rangeLabel(o.read.table, o.read.address, o.read.count, o.read.unitId), error: o.error }],
    );
    this.onPoll({
      intervalMs: group.intervalMs,
      readings: this.readings(outcomes),
      failures,
      answered: outcomes.length - failures.length,
      lateMs,
    });
  }

  private async read(read: PlannedRead): Promise<ReadOutcome> {
    this.counters.reads++;
    try {
      const answer = await this.bus.submit(
        read.unitId,
        readRequest(read.table, read.address, read.count, read.unitId),
      );
      return { read, ok: true, data: answer.data!, time: answer.time };
    } catch (err) {
      this.counters.failedReads++;
      return { read, ok: false, error: err as Error, time: Date.now() };
    }
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.splice(0)) clearTimeout(t);
  }
}
