import type { HubFigures } from '../metrics/sources';
import type { SyncSettings } from './config';
import type { PartHooks } from './edge-part';
import type { SyncEngine } from './engine-port';
import { HubSync } from './hub-sync';
import type { HubLink } from './link';
import { hubLink } from './links';
import type { SyncDatabase, SyncHub } from './ports';
import { hubStatus } from './sync-status';
import type { TlsMaterial } from './tls';

/**
 * The hub role of a helios-sync node: the engine's SyncHub behind a link. Each applied table of
 * each batch leaves the first output as a message; msg.device + msg.payload stores a downlink message.
 */
export class HubPart {
  private connected = false;
  private linkError: string | null = null;

  private constructor(
    private readonly hub: SyncHub,
    private readonly sync: HubSync,
    private readonly link: HubLink,
  ) {}

  static async open(
    db: SyncDatabase,
    engine: SyncEngine,
    settings: SyncSettings,
    tls: TlsMaterial,
    hooks: PartHooks,
    warnings: { admit(text: string): string | null },
  ): Promise<HubPart> {
    // a share group means other instances take some of each device's batches (docs/sync.md, "A group of hubs")
    const hub = await db.openSyncHub({ deviceTag: settings.deviceTag, group: settings.shareGroup !== '' });
    const link = hubLink(settings, tls);
    const sync = new HubSync(hub, link, engine.codec, {
      applied: (ack, tables) =>
        hooks.send([
          tables.map((t) => ({
            topic: t.device,
            payload: {
              device: t.device,
              table: t.table,
              rows: t.rows,
              from: t.from,
              to: t.to,
              epoch: ack.epoch,
              seq: ack.seq,
            },
          })),
          null,
        ]),
      error: (err) => {
        const line = warnings.admit(`A batch was not applied: ${err.message}`);
        if (line !== null) hooks.warn(line);
      },
      changed: () => {},
    });
    const part = new HubPart(hub, sync, link);
    link.start(sync, {
      state: (connected, err) => {
        part.connected = connected;
        if (err) {
          part.linkError = err.message;
          const line = warnings.admit(err.message);
          if (line !== null) hooks.warn(line);
        } else if (connected) part.linkError = null;
      },
    });
    return part;
  }

  status() {
    return hubStatus({
      connected: this.connected,
      devices: this.hub.devices().length,
      rowsPerSec: this.sync.meter.rowsPerSec(),
      lastBatchAt: this.sync.lastBatchAt,
      lastError: this.linkError,
    });
  }

  snapshot(): Record<string, unknown> {
    return {
      role: 'hub',
      connected: this.connected,
      devices: this.hub.devices(),
      rowsApplied: this.sync.meter.totalRows,
      batchesApplied: this.sync.meter.batches,
      rowsPerSec: this.sync.meter.rowsPerSec(),
      lastError: this.linkError ?? this.sync.lastError,
    };
  }

  /** what the metrics endpoint reads (read-only) */
  figures(): HubFigures {
    return {
      role: 'hub',
      connected: this.connected,
      appliedRows: this.sync.meter.totalRows,
      appliedBatches: this.sync.meter.batches,
      devices: this.hub.devices().length,
    };
  }

  /** stores `payload` for `device` ('*': every device known now); resolves with its id */
  sendDown(device: unknown, payload: unknown): Promise<number> {
    if (typeof device !== 'string' || !/^(\*|[A-Za-z0-9._-]{1,64})$/.test(device)) {
      return Promise.reject(
        new Error(`msg.device must name a device (or "*" for all); got ${JSON.stringify(device)}.`),
      );
    }
    return this.sync.sendDown(device, payload);
  }

  async close(): Promise<void> {
    await this.link.close();
    await this.hub.close();
  }
}
