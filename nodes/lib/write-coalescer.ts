import type { Database, Reading } from '../../engine';
import type { Normalised } from './readings';
import { type InvalidPolicy, type StoredInfo, storeReadings } from './store-writer';

/** Called once per message: with the error, or with its msg.stored. */
export type StoreCallback = (err: Error | null, stored?: StoredInfo) => void;

interface Pending {
  input: Normalised;
  resolve: (stored: StoredInfo) => void;
  reject: (err: unknown) => void;
}

function pending(input: Normalised, cb: StoreCallback): Pending {
  return {
    input,
    resolve: (stored) => cb(null, stored),
    reject: (err) => cb(err instanceof Error ? err : new Error(String(err))),
  };
}

/** Where the coalescer runs its writes: the config node's controller (`use` / `useSoon`). */
export interface WriteRunner {
  use(fn: (db: Database) => Promise<void>): Promise<void>;
  useSoon(fn: (db: Database) => Promise<void>): Promise<void>;
}

/**
 * Readings merged into one write at most; past this a new group starts. A write is validated and
 * encoded in one synchronous step (about 1.5 µs a reading), so this keeps each under ~10 ms of
 * Node-RED's thread.
 */
const MAX_READINGS_PER_WRITE = 5_000;

function isInputError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'HELIOS_INVALID_INPUT' || code === 'HELIOS_TYPE_CONFLICT';
}

/**
 * Group commit for helios-store: messages that arrive in the same turn of the event loop are written
 * together, one batch (one WAL record) per table, and each is acknowledged once that batch is
 * durable. A message's readings are never split. If the engine rejects a merged batch (an invalid
 * reading), each message of the group is written on its own so that only the bad one fails. This
 * turns the engine's fixed cost per write into a cost per group instead of per message.
 */
export class WriteCoalescer {
  private queue: Pending[] = [];

  constructor(
    private readonly runner: WriteRunner,
    private readonly policy: InvalidPolicy,
  ) {}

  /**
   * Stores one message's readings and calls `cb` once they are durable (or failed). A callback, not
   * a promise: this is called for every message and promises cost on the hot path.
   */
  store(input: Normalised, cb: StoreCallback): void {
    const p = pending(input, cb);
    if (this.policy !== 'reject' || input.invalid.length > 0 || input.readings.length === 0) {
      this.runner.use((db) => storeReadings(db, input, this.policy).then(p.resolve)).catch(p.reject);
      return;
    }
    this.queue.push(p);
    if (this.queue.length > 1) return; // a flush is already admitted for this turn
    this.runner.useSoon((db) => this.flush(db)).catch((err) => this.failQueued(err));
  }

  private failQueued(err: unknown): void {
    const queue = this.queue;
    this.queue = [];
    for (const p of queue) p.reject(err);
  }

  private async flush(db: Database): Promise<void> {
    const queue = this.queue;
    this.queue = [];
    const writes: Promise<void>[] = [];
    let group: Pending[] = [];
    let size = 0;
    for (const p of queue) {
      if (size > 0 && size + p.input.readings.length > MAX_READINGS_PER_WRITE) {
        writes.push(this.writeGroup(db, group));
        group = [];
        size = 0;
      }
      group.push(p);
      size += p.input.readings.length;
    }
    if (group.length > 0) writes.push(this.writeGroup(db, group));
    await Promise.all(writes);
  }

  private async writeGroup(db: Database, group: Pending[]): Promise<void> {
    try {
      const lsns = await writeMerged(db, group);
      for (const p of group) p.resolve(storedFor(p.input, lsns));
    } catch (err) {
      if (group.length > 1 && isInputError(err)) {
        await Promise.all(group.map((p) => storeReadings(db, p.input, 'reject').then(p.resolve, p.reject)));
      } else if (group.length === 1) {
        // The same path as an unmerged write, for the same error message.
        await storeReadings(db, group[0]!.input, 'reject').then(group[0]!.resolve, group[0]!.reject);
      } else {
        for (const p of group) p.reject(err);
      }
    }
  }
}

async function writeMerged(db: Database, group: readonly Pending[]): Promise<Map<string, number>> {
  const byTable = new Map<string, Reading[]>();
  for (const p of group) {
    for (const r of p.input.readings) {
      let list = byTable.get(r.table);
      if (!list) {
        list = [];
        byTable.set(r.table, list);
      }
      list.push(r.reading);
    }
  }
  const lsns = new Map<string, number>();
  for (const [table, readings] of byTable) lsns.set(table, (await db.write(table, readings)).lsn);
  return lsns;
}

function storedFor(input: Normalised, lsns: ReadonlyMap<string, number>): StoredInfo {
  const counts = new Map<string, number>();
  for (const r of input.readings) counts.set(r.table, (counts.get(r.table) ?? 0) + 1);
  const tables = [...counts.keys()];
  const stored: StoredInfo = { count: input.readings.length, table: tables[0]!, lsn: 0 };
  for (const t of tables) stored.lsn = Math.max(stored.lsn, lsns.get(t) ?? 0);
  if (tables.length > 1) {
    stored.tables = {};
    for (const t of tables) stored.tables[t] = { count: counts.get(t)!, lsn: lsns.get(t) ?? 0 };
  }
  return stored;
}
