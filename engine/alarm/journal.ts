/**
 * The alarm journal: every transition a row of `helios_alarms`, and the current state of every
 * condition one row of `helios_alarm_state`, written together as one WAL record through the
 * database's port (db/ports.ts `alarmPort`), so they are durable under the database's durability
 * mode and never disagree. Both are ordinary tables: SQL, retention and sync see them as any other.
 *
 * `helios_alarms` has no tags, so every row gets a rowid and two transitions in one millisecond
 * are both kept. `helios_alarm_state` is tagged by rule, source and kind and every row is written
 * at one fixed time (STATE_TIME), so a condition's new state replaces its old one and the table
 * holds one row per condition. A restart rebuilds the conditions from it (`restore`).
 */
import type { Reading } from '../ingest/readings';
import type { AlarmEngine } from './alarms';
import { conditionKey } from './alarms';
import type { AlarmEvent, AlarmState, Condition } from './condition';
import { newCondition } from './condition';
import type { RawLevel } from './evaluate';
import type { ConditionKind } from './rules';

export const JOURNAL_TABLE = 'helios_alarms';
export const STATE_TABLE = 'helios_alarm_state';
/** 9999-12-31T23:59:59Z: the time of every state row; far ahead, so no age limit drops it */
export const STATE_TIME = Date.UTC(9999, 11, 31, 23, 59, 59);
/** journal rows per WAL record (a new state series costs the engine ~0.1-0.5 ms to add) */
const WRITE_ROWS = 32;

/** The journal's columns, declared on start so the tables are there (and queryable) before any alarm. */
export const JOURNAL_FIELDS: Readonly<Record<string, 'float' | 'bool' | 'string'>> = {
  rule: 'string',
  source: 'string',
  kind: 'string',
  event: 'string',
  state: 'string',
  previous: 'string',
  level: 'string',
  value: 'float',
  value_text: 'string',
  threshold: 'float',
  priority: 'float',
  active: 'bool',
  acked: 'bool',
  operator: 'string',
  comment: 'string',
  message: 'string',
  seq: 'float',
};
export const STATE_TAGS: readonly string[] = ['rule', 'source', 'kind'];
export const STATE_FIELDS: Readonly<Record<string, 'float' | 'bool' | 'string'>> = {
  state: 'string',
  level: 'string',
  value: 'float',
  priority: 'float',
  active: 'bool',
  acked: 'bool',
  since: 'float',
  detail: 'string',
};

/** What the journal needs of a database (built in db/ports.ts). */
export interface AlarmJournalTarget {
  /** declares the two tables if they are not there yet */
  prepare(): Promise<void>;
  /** stores journal rows (each with a rowid) and state rows (replacing) as one record */
  write(journal: readonly Reading[], states: readonly Reading[]): Promise<void>;
  /** the state rows, as plain objects { time, rule, source, kind, ...fields } */
  readStates(): Promise<Array<Record<string, unknown>>>;
}

/** Rows waiting for the next write, and the callers waiting for them to be durable. */
interface Batch {
  readonly journal: Reading[];
  /** each condition's latest state row, and the index of its last journal row in this batch */
  readonly states: Map<string, { row: Reading; last: number }>;
  readonly done: Promise<void>;
  resolve(): void;
  reject(err: Error): void;
}

export class AlarmJournal {
  private pending: Batch | null = null;
  private writing: Promise<void> | null = null;

  constructor(private readonly target: AlarmJournalTarget) {}

  /**
   * Records `events` and the state they left their conditions in. The rows are taken now, so
   * later changes do not leak into them. Events recorded while a write is in flight go together
   * into the next one (one WAL record for many transitions at high rates), in the order they were
   * recorded. Resolves once durable under the database's durability mode.
   */
  record(events: readonly AlarmEvent[], engine: AlarmEngine): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    const batch = this.pending ?? this.newBatch();
    for (const e of events) {
      batch.journal.push(journalRow(e));
      const key = conditionKey(e.rule, e.source, e.kind);
      const c = engine.conditionOf(key);
      // the latest state of a condition wins within a batch
      if (c) batch.states.set(key, { row: stateRow(c), last: batch.journal.length - 1 });
    }
    if (!this.writing) this.writing = this.drain();
    return batch.done;
  }

  private newBatch(): Batch {
    let resolve!: () => void;
    let reject!: (err: Error) => void;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.pending = { journal: [], states: new Map(), done, resolve, reject };
    return this.pending;
  }

  /** Writes batches one after another until none is waiting. */
  private async drain(): Promise<void> {
    // let the rest of this turn's events join the first batch
    await Promise.resolve();
    while (this.pending) {
      const batch = this.pending;
      this.pending = null;
      try {
        await this.writeBatch(batch);
        batch.resolve();
      } catch (err) {
        // a failed write is its callers' to report; the next batch is still tried
        batch.reject(err as Error);
      }
    }
    this.writing = null;
  }

  /**
   * A batch as WAL records of at most WRITE_ROWS journal rows each, the event loop free in
   * between: the engine validates and appends a record in one synchronous step, so a flood of
   * transitions must not become one long one. A condition's state row goes with its last journal
   * row, so a crash between two records leaves journal and state agreeing.
   */
  private async writeBatch(batch: Batch): Promise<void> {
    const states = [...batch.states.values()];
    for (let from = 0; from < batch.journal.length; from += WRITE_ROWS) {
      const to = Math.min(batch.journal.length, from + WRITE_ROWS);
      const mine = states.filter((s) => s.last >= from && s.last < to).map((s) => s.row);
      if (from > 0) await new Promise((resolve) => setImmediate(resolve));
      await this.target.write(batch.journal.slice(from, to), mine);
    }
  }

  /** Settles once every write asked for so far has settled. */
  async idle(): Promise<void> {
    while (this.writing) await this.writing;
  }

  /**
   * Rebuilds the engine's conditions from the state rows. Conditions of rules no longer in the
   * rule set (or no longer of that kind) are left out and counted.
   */
  async restore(engine: AlarmEngine, now: number): Promise<{ restored: number; skipped: number }> {
    let restored = 0;
    let skipped = 0;
    await this.target.prepare();
    for (const row of await this.target.readStates()) {
      const c = conditionFrom(row, engine, now);
      if (c) {
        engine.restore(c);
        restored++;
      } else skipped++;
    }
    return { restored, skipped };
  }
}

function journalRow(e: AlarmEvent): Reading {
  return {
    time: e.time,
    fields: {
      rule: e.rule,
      source: e.source,
      kind: e.kind,
      event: e.event,
      state: e.state,
      previous: e.previous,
      level: e.level,
      value: typeof e.value === 'number' ? e.value : null,
      value_text: e.value === null || typeof e.value === 'number' ? null : String(e.value),
      threshold: e.limit,
      priority: e.priority,
      active: e.active,
      acked: e.acked,
      operator: e.operator,
      comment: e.comment,
      message: e.message,
      seq: e.seq,
    },
  };
}

/**
 * A condition as its state row. What operators query is a column of its own; what only a restart
 * needs is one JSON text (`detail`), since every column of a series costs the head memory.
 */
export function stateRow(c: Condition): Reading {
  const detail = {
    value_text: c.value === null || typeof c.value === 'number' ? null : String(c.value),
    threshold: c.active?.limit ?? null,
    latched: c.latched,
    shelved: c.shelved,
    shelved_until: c.shelvedUntil,
    one_shot: c.oneShot,
    suppressed: c.suppressed,
    suppressed_by_design: c.suppressedByDesign,
    out_of_service: c.outOfService,
    before_acked: c.before?.acked ?? null,
    before_level: c.before?.level ?? null,
    active_since: c.activeSince,
    seq: c.seq,
    chattering: c.chattering,
  };
  return {
    time: STATE_TIME,
    tags: { rule: c.rule.id, source: c.source, kind: c.kind },
    fields: {
      state: c.state,
      level: c.active?.level ?? null,
      value: typeof c.value === 'number' ? c.value : null,
      priority: c.active?.priority ?? c.priority,
      active: c.active !== null,
      acked: c.acked,
      since: c.since,
      detail: JSON.stringify(detail),
    },
  };
}

const STATES: readonly AlarmState[] = [
  'normal',
  'unack_active',
  'ack_active',
  'rtn_unack',
  'shelved',
  'suppressed',
  'out_of_service',
];

/** A condition rebuilt from its state row, or null when its rule is gone. */
export function conditionFrom(
  stored: Record<string, unknown>,
  engine: AlarmEngine,
  now: number,
): Condition | null {
  const row = { ...detailOf(stored.detail), ...stored };
  const rule = engine.rule(String(row.rule));
  const kind = String(row.kind) as ConditionKind;
  if (!rule?.kinds.includes(kind) || !STATES.includes(row.state as AlarmState)) return null;
  const c = newCondition(rule, String(row.source), kind, now);
  const level = typeof row.level === 'string' ? row.level : null;
  const active: RawLevel | null =
    row.active === true && level !== null
      ? { level, limit: num(row.threshold), priority: num(row.priority) ?? 0 }
      : null;
  // the process is taken to be as it was: the next reading that says otherwise changes it
  c.raw = active;
  c.active = active;
  c.latched = row.latched === true;
  c.acked = row.acked !== false;
  c.shelved = row.shelved === true;
  c.shelvedUntil = num(row.shelved_until);
  c.oneShot = row.one_shot === true;
  c.suppressed = row.suppressed === true;
  c.suppressedByDesign = row.suppressed_by_design === true;
  c.outOfService = row.out_of_service === true;
  c.before =
    typeof row.before_acked === 'boolean'
      ? { acked: row.before_acked, level: typeof row.before_level === 'string' ? row.before_level : null }
      : null;
  c.state = row.state as AlarmState;
  c.since = num(row.since) ?? now;
  c.activeSince = num(row.active_since) ?? 0;
  c.priority = num(row.priority) ?? 0;
  c.seq = num(row.seq) ?? 0;
  c.value =
    typeof row.value === 'number' ? row.value : typeof row.value_text === 'string' ? row.value_text : null;
  // a full stale period from the restart before a silent source is called stale
  c.lastSeen = now;
  return c;
}

function detailOf(text: unknown): Record<string, unknown> {
  if (typeof text !== 'string') return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function num(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  return null;
}
