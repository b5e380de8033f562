import type { Database, Reading, WriteResult } from '../../engine/index';
import { asError, isInputError } from './errors';
import { type Normalised, normalisedOf } from './readings';
import { type InvalidPolicy, type StoredInfo, storeReadings } from './store-writer';

/**
 * Answers one message, once: with the error, or with its msg.stored. `message` and `done` are what
 * the caller handed to `store` (helios-store: the msg and its done). Tokens rather than a callback
 * per message: no closure to allocate on the hot path.
 */
export type Answer<M, D> = (message: M, done: D, err: Error | null, stored?: StoredInfo) => void;

/** Told, once per engine write, how long ago (ms) its first message was handed to the coalescer. */
export type LatencyObserver = (ms: number) => void;

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

/**
 * The messages of one engine write, kept column by column (an array per property, not an object per
 * message: this runs for every message). Message i is one reading for table `tables[i]`, or, when
 * that is null, a normalised message of any shape. Readings accumulate per table as they come.
 */
class Group<M, D> {
  readonly tables: Array<string | null> = [];
  readonly items: Array<Reading | Normalised> = [];
  readonly messages: M[] = [];
  readonly dones: D[] = [];
  /** message i's reading's place in its table's list (for a message of one reading) */
  readonly positions: number[] = [];
  /** a message of any shape: its readings' tables and places */
  readonly places = new Map<number, Array<[string, number]>>();
  readonly byTable = new Map<string, Reading[]>();
  readonly queuedAt = Date.now();
  size = 0;
  /** the table written last and its readings: spares a map lookup per message of one table */
  private lastTable = '';
  private lastList: Reading[] = [];

  get count(): number {
    return this.messages.length;
  }

  addReading(table: string, reading: Reading, message: M, done: D): void {
    this.tables.push(table);
    this.items.push(reading);
    this.messages.push(message);
    this.dones.push(done);
    const list = this.listOf(table);
    this.positions.push(list.length);
    list.push(reading);
    this.size++;
  }

  addInput(input: Normalised, message: M, done: D): void {
    this.tables.push(null);
    this.items.push(input);
    this.places.set(
      this.messages.length,
      input.readings.map((r) => [r.table, this.listOf(r.table).push(r.reading) - 1]),
    );
    this.positions.push(-1);
    this.messages.push(message);
    this.dones.push(done);
    this.size += input.readings.length;
  }

  /** Message `i` in the form every write path takes. */
  input(i: number): Normalised {
    const table = this.tables[i];
    const item = this.items[i]!;
    return table == null ? (item as Normalised) : normalisedOf(table, item as Reading);
  }

  private listOf(table: string): Reading[] {
    if (table === this.lastTable) return this.lastList;
    let list = this.byTable.get(table);
    if (!list) {
      list = [];
      this.byTable.set(table, list);
    }
    this.lastTable = table;
    this.lastList = list;
    return list;
  }
}

/**
 * Group commit for helios-store: messages that arrive in the same turn of the event loop are written
 * together, one batch (one WAL record) per table, and each is answered once that batch is durable.
 * A message's readings are never split. If the engine rejects a merged batch (an invalid reading),
 * each message of the group is written on its own so that only the bad one fails. This turns the
 * engine's fixed cost per write into a cost per group instead of per message.
 */
export class WriteCoalescer<M, D> {
  private groups: Array<Group<M, D>> = [];

  constructor(
    private readonly runner: WriteRunner,
    private readonly policy: InvalidPolicy,
    private readonly answer: Answer<M, D>,
    private readonly observeLatency: LatencyObserver = () => undefined,
  ) {}

  /** Stores one message's readings and answers it once they are durable (or failed). */
  store(input: Normalised, message: M, done: D): void {
    if (this.policy !== 'reject' || input.invalid.length > 0 || input.readings.length === 0) {
      this.storeAlone(input, message, done);
      return;
    }
    this.groupFor(input.readings.length).addInput(input, message, done);
  }

  /** `store` for a message of one reading (MessageReader.single): the common case, made cheap. */
  storeReading(table: string, reading: Reading, message: M, done: D): void {
    if (this.policy !== 'reject') {
      this.storeAlone(normalisedOf(table, reading), message, done);
      return;
    }
    this.groupFor(1).addReading(table, reading, message, done);
  }

  /** A write of its own: the "store the valid ones" policy, and messages known to fail. */
  private storeAlone(input: Normalised, message: M, done: D): void {
    const queuedAt = Date.now();
    const settle = (err: Error | null, stored?: StoredInfo) => {
      this.observeLatency(Date.now() - queuedAt);
      this.answer(message, done, err, stored);
    };
    this.runner
      .use((db) => storeReadings(db, input, this.policy).then((stored) => settle(null, stored)))
      .catch((err: unknown) => settle(asError(err)));
  }

  /** The group that takes `size` more readings; the first of a turn admits the flush. */
  private groupFor(size: number): Group<M, D> {
    const groups = this.groups;
    const last = groups[groups.length - 1];
    if (last && (last.size === 0 || last.size + size <= MAX_READINGS_PER_WRITE)) return last;
    const group = new Group<M, D>();
    groups.push(group);
    if (groups.length === 1) this.admitFlush();
    return group;
  }

  /** Writes the groups in the next turn; if that cannot start (closing, no database), fails them. */
  private admitFlush(): void {
    let started = false;
    const flush = (db: Database) => {
      started = true;
      return this.flush(db);
    };
    // Once started, the flush has answered every message it took: a later error is not theirs.
    this.runner.useSoon(flush).catch((err: unknown) => {
      if (!started) this.failQueued(err);
    });
  }

  private failQueued(err: unknown): void {
    const groups = this.groups;
    this.groups = [];
    const error = asError(err);
    for (const group of groups) {
      this.observeLatency(Date.now() - group.queuedAt);
      for (let i = 0; i < group.count; i++) this.answer(group.messages[i]!, group.dones[i]!, error);
    }
  }

  private async flush(db: Database): Promise<void> {
    const groups = this.groups;
    this.groups = [];
    await Promise.all(groups.map((group) => this.writeGroup(db, group)));
  }

  private async writeGroup(db: Database, group: Group<M, D>): Promise<void> {
    let lsns: Map<string, WriteResult>;
    try {
      lsns = await writeMerged(db, group);
    } catch (err) {
      await this.writeEach(db, group, err);
      this.observeLatency(Date.now() - group.queuedAt);
      return;
    }
    this.observeLatency(Date.now() - group.queuedAt);
    this.acknowledge(group, lsns);
  }

  /** After a merged write failed: each message on its own if a reading was bad, else all fail. */
  private async writeEach(db: Database, group: Group<M, D>, err: unknown): Promise<void> {
    const { messages, dones } = group;
    // One message takes this path too, for the same error message as an unmerged write.
    if (group.count > 1 && !isInputError(err)) {
      const error = asError(err);
      for (let i = 0; i < group.count; i++) this.answer(messages[i]!, dones[i]!, error);
      return;
    }
    const writes: Promise<void>[] = [];
    for (let i = 0; i < group.count; i++) {
      writes.push(
        storeReadings(db, group.input(i), 'reject').then(
          (stored) => this.answer(messages[i]!, dones[i]!, null, stored),
          (e: unknown) => this.answer(messages[i]!, dones[i]!, asError(e)),
        ),
      );
    }
    await Promise.all(writes);
  }

  /** Answers every message of a durable group with its msg.stored. */
  private acknowledge(group: Group<M, D>, results: ReadonlyMap<string, WriteResult>): void {
    const { tables, messages, dones, positions } = group;
    const replacing = replacedPlaces(results);
    let lastTable = '';
    let lastLsn = 0;
    let lastReplacing: ReadonlySet<number> | undefined;
    for (let i = 0; i < group.count; i++) {
      const table = tables[i];
      if (table == null) {
        this.answer(messages[i]!, dones[i]!, null, storedFor(group.places.get(i)!, results, replacing));
        continue;
      }
      if (table !== lastTable) {
        lastTable = table;
        lastLsn = results.get(table)?.lsn ?? 0;
        lastReplacing = replacing.get(table);
      }
      const replaced = lastReplacing?.has(positions[i]!) ? 1 : 0;
      this.answer(messages[i]!, dones[i]!, null, { count: 1, replaced, table, lsn: lastLsn });
    }
  }
}

async function writeMerged<M, D>(db: Database, group: Group<M, D>): Promise<Map<string, WriteResult>> {
  const results = new Map<string, WriteResult>();
  for (const [table, readings] of group.byTable) results.set(table, await db.write(table, readings));
  return results;
}

/** Per table, the places of the readings that replaced an earlier row (only tables with some). */
function replacedPlaces(results: ReadonlyMap<string, WriteResult>): Map<string, ReadonlySet<number>> {
  const out = new Map<string, ReadonlySet<number>>();
  for (const [table, r] of results) if (r.replacedAt) out.set(table, new Set(r.replacedAt));
  return out;
}

function storedFor(
  places: ReadonlyArray<[string, number]>,
  results: ReadonlyMap<string, WriteResult>,
  replacing: ReadonlyMap<string, ReadonlySet<number>>,
): StoredInfo {
  const counts = new Map<string, { count: number; replaced: number }>();
  for (const [table, place] of places) {
    const c = counts.get(table) ?? { count: 0, replaced: 0 };
    c.count++;
    if (replacing.get(table)?.has(place)) c.replaced++;
    counts.set(table, c);
  }
  const tables = [...counts.keys()];
  const stored: StoredInfo = { count: places.length, replaced: 0, table: tables[0]!, lsn: 0 };
  for (const t of tables) {
    stored.lsn = Math.max(stored.lsn, results.get(t)?.lsn ?? 0);
    stored.replaced += counts.get(t)!.replaced;
  }
  if (tables.length > 1) {
    stored.tables = {};
    for (const t of tables) stored.tables[t] = { ...counts.get(t)!, lsn: results.get(t)?.lsn ?? 0 };
  }
  return stored;
}
