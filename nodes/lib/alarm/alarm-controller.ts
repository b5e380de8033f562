/**
 * helios-alarm's behaviour: the alarm engine of one node, its journal in the node's database,
 * the restore on start, rule sets from the editor and from messages, and the two outputs. Events
 * are sent the moment they are decided (in-process, well under a millisecond); the journal write
 * follows, and the message's `done` waits for it, so a Catch node sees a journal that failed.
 */
import {
  type AlarmCounts,
  AlarmEngine,
  type AlarmEngineOptions,
  type AlarmEvent,
  AlarmJournal,
  type AlarmJournalTarget,
  type AlarmRule,
  AlarmRuleError,
  type Condition,
  checkRule,
  type Database,
} from '../../../engine/index';
import type { AlarmFigures } from '../metrics/sources';
import type { NodeMessage } from '../red';
import { type AlarmInput, AlarmInputError, readAlarmInput } from './alarm-input';

export interface AlarmControllerOptions {
  /** the rules the editor saved (each checked alone: a bad one is left out and reported) */
  readonly rules: readonly unknown[];
  readonly engine: AlarmEngineOptions;
  /** the table readings come from when a message names none ('' none) */
  readonly table: string;
  /** repeat an unacknowledged alarm on output 2 every this many ms (0: once) */
  readonly repeatEveryMs: number;
  /** runs an operation on the node's database (the config node's `use`) */
  readonly useDb: <T>(fn: (db: Database) => Promise<T>) => Promise<T>;
  readonly send: (transition: NodeMessage | null, notification: NodeMessage | null) => void;
  readonly clock?: () => number;
}

/** Readings held while the journal is read back on start; beyond this they are refused. */
const MAX_WAITING = 10_000;

export class AlarmController {
  readonly engine: AlarmEngine;
  private readonly journal: AlarmJournal;
  private ruleInputs: unknown[];
  /** problems of the rules in force (bad rules of the editor's set, left out) */
  ruleProblems: string[] = [];
  private restored: Promise<void> | null = null;
  /** the journal has been read back (or failed to be): readings are evaluated at once */
  private ready = false;
  private waiting = 0;
  lastError: string | null = null;
  restoredCount = 0;
  /** transitions decided since start, by event name (for the metrics endpoint) */
  private readonly decided = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly o: AlarmControllerOptions) {
    this.now = o.clock ?? Date.now;
    this.ruleInputs = [...o.rules];
    const { rules, problems } = checkEach(this.ruleInputs);
    this.ruleProblems = problems;
    this.engine = new AlarmEngine(rules, o.engine);
    const target: AlarmJournalTarget = {
      prepare: () => o.useDb((db) => db.alarmJournal().prepare()),
      write: (journal, states) => o.useDb((db) => db.alarmJournal().write(journal, states)),
      readStates: () => o.useDb((db) => db.alarmJournal().readStates()),
    };
    this.journal = new AlarmJournal(target);
  }

  /** Reads the journal's state rows back (once); readings wait for it so nothing is raised twice. */
  start(): Promise<void> {
    this.restored ??= this.journal
      .restore(this.engine, this.now())
      .then(
        async (r) => {
          this.restoredCount = r.restored;
          const unknown = await this.o.useDb(async (db) => unknownFields(this.engine.ruleList, db));
          this.ruleProblems.push(...unknown);
        },
        (err: Error) => {
          // alarms are still decided; the journal is tried again with the next transition
          this.lastError = `The alarm journal could not be read back: ${err.message}`;
        },
      )
      .finally(() => {
        this.ready = true;
      });
    return this.restored;
  }

  /** Handles one message; resolves when its transitions are journaled. */
  async handle(msg: NodeMessage): Promise<void> {
    const input = readAlarmInput(msg, this.o.table, this.now());
    if (input.kind === 'readings' && this.restored && !this.ready) {
      if (this.waiting >= MAX_WAITING) {
        throw new AlarmInputError(
          'The alarm journal is still being read back; this reading was not evaluated.',
        );
      }
      this.waiting++;
      try {
        await this.restored;
      } finally {
        this.waiting--;
      }
    }
    const events = this.apply(input, msg);
    if (events.length > 0) await this.record(events);
  }

  private apply(input: AlarmInput, msg: NodeMessage): AlarmEvent[] {
    const now = this.now();
    switch (input.kind) {
      case 'readings': {
        const events: AlarmEvent[] = [];
        const problems: string[] = [];
        for (const r of input.readings) {
          const out = this.engine.reading(r, now);
          for (const e of out.events) events.push(e);
          for (const p of out.problems) problems.push(p);
        }
        this.emit(events);
        if (problems.length > 0) this.lastError = problems[0]!;
        return events;
      }
      case 'action': {
        const { events, refused } = this.engine.act(input.target, input.action, input.who, now);
        this.emit(events);
        if (refused.length > 0 && events.length === 0) throw new AlarmInputError(refused.join(' '));
        return events;
      }
      case 'rules':
        this.replaceRules(input.mode, input.rules);
        return [];
      case 'state':
        this.o.send({ ...msg, payload: this.stateList() }, null);
        return [];
    }
  }

  /** Replaces or patches the rule set as a whole: a set with a bad rule changes nothing. */
  private replaceRules(mode: 'replace' | 'patch', raw: unknown): void {
    if (!Array.isArray(raw)) {
      throw new AlarmRuleError([`msg.${mode === 'replace' ? 'rules' : 'patch'} must be a list of rules.`]);
    }
    const inputs = mode === 'replace' ? [...raw] : patched(this.ruleInputs, raw);
    const { rules, problems } = checkEach(inputs);
    if (problems.length > 0) throw new AlarmRuleError(problems);
    this.engine.setRules(rules);
    this.ruleInputs = inputs;
    this.ruleProblems = [];
  }

  private emit(events: readonly AlarmEvent[]): void {
    for (const e of events) {
      this.decided.set(e.event, (this.decided.get(e.event) ?? 0) + 1);
      const topic = `${e.rule}/${e.source}`;
      const notify = e.event === 'alarm' && e.state === 'unack_active';
      this.o.send({ topic, payload: e }, notify ? { topic, payload: { ...e, repeat: 0 } } : null);
    }
  }

  private async record(events: readonly AlarmEvent[]): Promise<void> {
    try {
      await this.journal.record(events, this.engine);
      this.lastError = null;
    } catch (err) {
      this.lastError = `An alarm transition was sent but not journaled: ${(err as Error).message}`;
      throw new Error(this.lastError);
    }
  }

  /** The clock's work: delays, stale data, shelve expiry; then the notification repeats. */
  async tick(): Promise<void> {
    const now = this.now();
    const events = this.engine.tick(now);
    this.emit(events);
    for (const c of this.engine.dueNotifications(now, this.o.repeatEveryMs)) {
      this.o.send(null, { topic: `${c.rule.id}/${c.source}`, payload: notice(c) });
    }
    if (events.length > 0) await this.record(events).catch(() => undefined);
  }

  counts(): AlarmCounts {
    return this.engine.counts(this.now());
  }

  /** What the metrics endpoint reads (read-only). */
  figures(): AlarmFigures {
    const c = this.counts();
    return {
      active: c.active,
      unacked: c.unacked,
      byPriority: c.byPriority,
      shelved: c.shelved,
      suppressed: c.suppressed,
      outOfService: c.outOfService,
      flood: c.flood,
      chattering: c.chattering,
      transitions: Object.fromEntries(this.decided),
    };
  }

  /** Every condition that is not normal, most urgent first (msg.action = 'state'). */
  stateList(): ReturnType<typeof notice>[] {
    return [...this.engine.allConditions()]
      .filter((c) => c.state !== 'normal')
      .map(notice)
      .sort((a, b) => b.priority - a.priority || a.since - b.since);
  }

  /** Settles when every journal write asked for has settled (close waits for it). */
  idle(): Promise<void> {
    return this.journal.idle();
  }
}

/**
 * Rules naming a field their table does not have (the table exists: a typo, not a field still to
 * come). The rule stays in force, since the field may yet be written; the status says so.
 */
export function unknownFields(rules: readonly AlarmRule[], db: Database): string[] {
  const out: string[] = [];
  for (const rule of rules) {
    if (rule.table === null) continue;
    const schema = db.schema(rule.table);
    if (!schema) continue;
    const names = [...schema.tagKeys, ...schema.fields.map((f) => f.name)];
    for (const field of [rule.field, rule.quality?.field, rule.suppressWhen?.field]) {
      if (field === undefined || names.includes(field)) continue;
      const near = names.find(
        (n) => n.toLowerCase() === field.toLowerCase() || n.startsWith(field.slice(0, 3)),
      );
      out.push(
        `Rule "${rule.id}": table "${rule.table}" has no field "${field}"` +
          `${near ? `; did you mean "${near}"?` : `; its fields are ${names.join(', ')}.`}`,
      );
    }
  }
  return out;
}

function checkEach(inputs: readonly unknown[]): { rules: AlarmRule[]; problems: string[] } {
  const problems: string[] = [];
  const rules: AlarmRule[] = [];
  const ids = new Set<string>();
  inputs.forEach((raw, i) => {
    const rule = checkRule(raw, i, problems);
    if (!rule) return;
    if (ids.has(rule.id)) {
      problems.push(`Two rules have the id "${rule.id}"; give each rule its own id.`);
      return;
    }
    ids.add(rule.id);
    rules.push(rule);
  });
  return { rules, problems };
}

/** A patch: rules by id replace or add; `{ id, remove: true }` removes. */
function patched(current: readonly unknown[], patch: readonly unknown[]): unknown[] {
  const byId = new Map<string, unknown>();
  for (const r of current) byId.set(String((r as { id?: unknown }).id), r);
  for (const p of patch) {
    const id = String((p as { id?: unknown } | null)?.id);
    if ((p as { remove?: unknown }).remove === true) byId.delete(id);
    else byId.set(id, p);
  }
  return [...byId.values()];
}

/** A condition as the notification output and the state list show it. */
export function notice(c: Condition) {
  return {
    rule: c.rule.id,
    source: c.source,
    kind: c.kind,
    state: c.state,
    level: c.active?.level ?? null,
    value: c.value,
    limit: c.active?.limit ?? null,
    priority: c.active?.priority ?? c.priority,
    acked: c.acked,
    since: c.since,
    message: c.rule.message,
    chattering: c.chattering,
  };
}
