import type { Reading } from '../../../engine/index';
import type { NodeStatus } from '../red';
import type { ModbusDevice } from './device';
import type { LinkState } from './link';
import type { PollPlan } from './poll-config';
import { PollStatus } from './poll-status';
import { Poller, type PollResult } from './poller';
import { writeJobs } from './writes';

const STATUS_EVERY_MS = 1000;

/** Where a poll's readings go: out as a message, or into a database first. */
export type PollSink = (result: PollResult) => void;

/**
 * One helios-modbus node's work: its poller on the device's bus, its status line, and writes from
 * input messages. The node file only builds it and wires `input` and `close` to it.
 */
export class PollController {
  private readonly poller: Poller;
  private readonly line: PollStatus;
  private readonly timer: NodeJS.Timeout;
  private linkState: LinkState;
  readonly user: { id: string; linkStateChanged(state: LinkState): void };

  constructor(
    id: string,
    private readonly device: ModbusDevice,
    readonly plan: PollPlan,
    sink: PollSink,
    show: (s: NodeStatus) => void,
  ) {
    this.poller = new Poller(
      device.bus,
      plan.groups,
      { tags: plan.tags, qualityField: plan.qualityField },
      (result) => {
        const failure = result.failures[0];
        if (failure) this.line.lastError = failure.error.message;
        sink(result);
      },
    );
    this.line = new PollStatus(device.bus, () => this.poller.counters.failedReads, show);
    this.linkState = device.link.state;
    this.user = {
      id,
      linkStateChanged: (state) => {
        this.linkState = state;
        this.line.refresh(state);
      },
    };
    device.register(this.user);
    this.poller.start();
    this.timer = setInterval(() => this.line.refresh(this.linkState), STATUS_EVERY_MS);
  }

  get counters() {
    return this.poller.counters;
  }

  /** Polls every group now. */
  pollNow(): void {
    this.poller.pollAll();
  }

  /** Writes the set-points of `payload` (names of the map); resolves when every one is acknowledged. */
  async write(payload: unknown, unit: unknown): Promise<number> {
    const jobs = writeJobs(this.plan.entries, payload, unit);
    for (const job of jobs) await this.device.bus.submit(job.unitId, job.request);
    return jobs.length;
  }

  /** Shows a failed write's sentence until the next status refresh. */
  showError(s: NodeStatus): void {
    this.line.flash(s);
  }

  close(): void {
    clearInterval(this.timer);
    this.poller.stop();
    this.device.deregister(this.user);
  }
}

/** Readings in the shape helios-store takes (node-red-contrib-influxdb's): measurement, tags, fields, timestamp. */
export function storeShape(table: string, readings: readonly Reading[]) {
  return readings.map((r) => ({
    measurement: table,
    tags: r.tags ?? {},
    fields: r.fields,
    timestamp: r.time,
  }));
}
