import type { DbState, DbUser } from '../db-controller';
import { asError } from '../errors';
import type { SyncFigures } from '../metrics/sources';
import type { HeliosDbNode } from '../node-config';
import type { NodeMessage, NodeStatus } from '../red';
import { RepeatLimiter } from '../repeat-limit';
import { brief, dbStatus, status } from '../status';
import {
  type HeliosSyncConfig,
  resolveSyncSettings,
  type SyncCredentials,
  type SyncSettings,
} from './config';
import { EdgePart, type PartHooks } from './edge-part';
import { syncEngine } from './engine-port';
import { HubPart } from './hub-part';
import { readTls } from './tls';

export interface RunnerHooks extends PartHooks {
  status(s: NodeStatus): void;
}

/**
 * One helios-sync node's life: waits for its database to open (the TOML [sync] table is known
 * then), resolves the settings, opens the edge or hub part and holds the database open while it
 * runs (the helios-db close waits for the sync to close), routes input messages, shows status.
 */
export class SyncRunner implements DbUser {
  readonly id: string;
  private dbState: DbState = { kind: 'closed' };
  private begun = false;
  private closed = false;
  private failure: Error | null = null;
  private settings: SyncSettings | null = null;
  private part: EdgePart | HubPart | null = null;
  private hold: Promise<unknown> | null = null;
  private release: (() => void) | null = null;
  private readonly conditionsSeen = new Map<string, unknown>();
  private readonly warnings = new RepeatLimiter(600_000);
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly dbNode: HeliosDbNode,
    private readonly config: HeliosSyncConfig,
    private readonly credentials: SyncCredentials,
    private readonly hooks: RunnerHooks,
  ) {
    this.id = config.id;
  }

  start(): void {
    this.dbNode.register(this);
    this.timer = setInterval(() => this.refresh(), 1000);
  }

  dbStateChanged(state: DbState): void {
    this.dbState = state;
    if (state.kind === 'open' && !this.begun && !this.closed) {
      this.begun = true;
      this.begin().catch((err: unknown) => {
        this.failure = asError(err);
        this.hooks.error(this.failure);
        this.refresh();
      });
    }
    this.refresh();
  }

  refresh(): void {
    this.hooks.status(this.currentStatus());
  }

  /** the running part's figures for the metrics endpoint (read-only), null while none runs */
  figures(): SyncFigures | null {
    return this.part?.figures() ?? null;
  }

  /** handles one input message; resolves with what the first output answers (or null) */
  async input(msg: NodeMessage): Promise<NodeMessage | null> {
    const part = this.part;
    if (part instanceof EdgePart && part.conditions.has(msg.topic)) {
      part.conditions.set(msg.topic, msg.payload);
      part.kick();
      this.refresh();
      return null;
    }
    if (!part) {
      if (this.failure || (this.settings && !this.settings.enabled))
        throw this.failure ?? new Error(this.notRunning());
      // Still starting (the database opens): the edge sends when it starts anyway; a condition is
      // remembered and applied then, if it is one.
      if (msg.sync !== undefined && msg.sync !== false) return null;
      if (typeof msg.topic === 'string' && msg.payload !== undefined) {
        this.conditionsSeen.set(msg.topic, msg.payload);
        return null;
      }
      throw new Error(this.notRunning());
    }
    if (part instanceof EdgePart) return this.edgeInput(part, msg);
    return this.hubInput(part, msg);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.release?.();
    await this.hold?.catch(() => undefined);
    this.dbNode.deregister(this);
  }

  private async edgeInput(part: EdgePart, msg: NodeMessage): Promise<NodeMessage | null> {
    if (msg.quarantine !== undefined) {
      msg.payload = await part.quarantine(msg.quarantine);
      return msg;
    }
    if (msg.sync !== undefined && msg.sync !== false) {
      part.kick();
      msg.payload = part.snapshot();
      return msg;
    }
    const names = this.settings?.conditions ?? [];
    throw new Error(
      'helios-sync (edge) takes msg.sync = true (send now), msg.quarantine = { action, seq }' +
        (names.length
          ? `, or a condition: msg.topic = ${names.map((n) => `"${n}"`).join(' | ')} with payload true/false`
          : '') +
        `; this message has none of them (topic ${JSON.stringify(msg.topic)}).`,
    );
  }

  private async hubInput(part: HubPart, msg: NodeMessage): Promise<NodeMessage | null> {
    if (msg.device !== undefined) {
      const id = await part.sendDown(msg.device, msg.payload);
      msg.down = { id, device: msg.device };
      return msg;
    }
    if (msg.sync !== undefined && msg.sync !== false) {
      msg.payload = part.snapshot();
      return msg;
    }
    throw new Error(
      'helios-sync (hub) takes msg.device (a device id, or "*") with msg.payload to send down, or msg.sync = true ' +
        'for its state; this message has neither.',
    );
  }

  private notRunning(): string {
    if (this.settings && !this.settings.enabled)
      return 'helios-sync is switched off ([sync] enable_remote_sync = false).';
    return 'helios-sync is not running yet (its database is still opening); send the message again in a moment.';
  }

  private async begin(): Promise<void> {
    const warn = (m: string) => this.hooks.warn(m);
    const settings = resolveSyncSettings(this.config, this.credentials, this.dbNode.toml?.sync ?? {}, warn);
    this.settings = settings;
    if (!settings.enabled) return;
    const engine = syncEngine();
    const tls = await readTls(settings.tls);
    await new Promise<void>((ready, failed) => {
      this.hold = this.dbNode.controller.use(async (db) => {
        let part: EdgePart | HubPart;
        try {
          const sdb = engine.database(db);
          part =
            settings.role === 'edge'
              ? await EdgePart.open(sdb, engine, settings, tls, this.hooks, this.warnings)
              : await HubPart.open(sdb, engine, settings, tls, this.hooks, this.warnings);
        } catch (err) {
          failed(err);
          return;
        }
        if (this.closed) {
          await part.close();
          ready();
          return;
        }
        this.part = part;
        if (part instanceof EdgePart) {
          for (const [name, value] of this.conditionsSeen)
            if (part.conditions.has(name)) part.conditions.set(name, value);
          part.kick();
        }
        ready();
        await new Promise<void>((resolve) => (this.release = resolve));
        this.part = null;
        await part.close();
      });
      this.hold.catch(failed);
    });
  }

  private currentStatus(): NodeStatus {
    if (this.failure) return status.failed(brief(this.failure.message));
    if (this.settings && !this.settings.enabled) return status.idle('sync switched off');
    if (this.part) return this.part.status();
    return dbStatus(this.dbState) ?? status.busy('starting');
  }
}
