import type { HubHandler, HubLink } from './link';
import type { AppliedTable, SyncAck, SyncCodec, SyncHub } from './ports';
import { SendMeter } from './send-meter';

export interface HubHooks {
  /** a batch was applied: one entry per table (the node's per-batch output) */
  applied(ack: SyncAck, tables: readonly AppliedTable[]): void;
  /** a batch that could not be applied (not a batch, the hub's disk...): reported, not answered */
  error(err: Error): void;
  changed(): void;
}

/**
 * The hub's side: every batch a link receives goes to the engine's SyncHub, which applies it
 * durably and exactly once per (device, epoch, seq) and says what to answer. The answer is sent
 * by the link after that. Downlink messages are stored by the engine and pushed by the link.
 */
export class HubSync implements HubHandler {
  readonly meter = new SendMeter();
  lastError: string | null = null;
  lastBatchAt: number | null = null;

  constructor(
    private readonly hub: SyncHub,
    private readonly link: HubLink,
    private readonly codec: SyncCodec,
    private readonly hooks: HubHooks,
  ) {}

  /** one batch applied at a time, in arrival order, whatever the link */
  private chain: Promise<unknown> = Promise.resolve();

  batch(device: string, bytes: Uint8Array): Promise<Uint8Array> {
    const run = this.chain.then(() => this.applyOne(device, bytes));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async applyOne(device: string, bytes: Uint8Array): Promise<Uint8Array> {
    try {
      const meta = this.codec.readSyncBatchMeta(bytes);
      if (device && meta.device !== device) {
        throw Object.assign(
          new Error(`A batch of device "${meta.device}" arrived as device "${device}"; it is not applied.`),
          { code: 'HELIOS_SYNC_FORMAT' },
        );
      }
      const { ack, applied } = await this.hub.apply(bytes);
      this.lastBatchAt = Date.now();
      if (ack.status === 'applied') {
        let rows = 0;
        for (const t of applied) rows += t.rows;
        this.meter.add(rows, bytes.length);
        this.hooks.applied(ack, applied);
      }
      this.lastError = null;
      this.hooks.changed();
      return this.codec.encodeSyncAck(ack);
    } catch (err) {
      this.lastError = (err as Error).message;
      this.hooks.error(err as Error);
      this.hooks.changed();
      throw err;
    }
  }

  pendingDown(device: string): Uint8Array | null {
    return this.hub.pendingDown(device);
  }

  downAck(_device: string, bytes: Uint8Array): Promise<void> {
    return this.hub.receiveDownAck(bytes);
  }

  /** stores a downlink message for `device` ('*': every device known now) and pushes it; its id */
  async sendDown(device: string, payload: unknown): Promise<number> {
    const id = await this.hub.sendDown(device, payload);
    const targets = device === '*' ? this.hub.devices().map((d) => d.device) : [device];
    for (const d of targets) {
      const bytes = this.hub.pendingDown(d);
      if (bytes) this.link.pushDown(d, bytes);
    }
    return id;
  }

  devices() {
    return this.hub.devices();
  }
}
