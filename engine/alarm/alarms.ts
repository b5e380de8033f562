/**
 * The alarm engine: rules matched to readings by table and a glob over the source, one condition
 * per (rule, source, kind), the counts ISA-18.2 asks for (floods, chatter, stale alarms) and the
 * repeats of the notification output. Pure and synchronous: the caller passes the time, feeds the
 * events to the journal (journal.ts) and sets the timer (`tick`).
 */
import {
  type AlarmEvent,
  type AlarmState,
  applyRaw,
  type Condition,
  hasOverlay,
  newCondition,
  type OperatorAction,
  operate,
  pendingDeadline,
  settlePending,
  suppressByDesign,
  unshelve,
  type Who,
} from './condition';
import { numericValue, type ReadingView, rawLevel, staleLevel } from './evaluate';
import { type AlarmRule, type ConditionKind, globToRegExp } from './rules';

/** A reading as the alarm engine takes it: from a table (or none), for one source (tag or topic). */
export interface AlarmReading extends ReadingView {
  readonly table?: string | null;
  readonly source: string;
}

/** Which conditions an operator's action is for: globs over rule ids and sources, a kind. */
export interface AlarmTarget {
  readonly rule?: string;
  readonly source?: string;
  readonly kind?: ConditionKind;
}

/** Options with units; each default is ISA-18.2's figure. */
export interface AlarmEngineOptions {
  /** the window alarms are counted in for a flood, ms (default 600000: 10 minutes) */
  floodWindowMs?: number;
  /** more annunciations than this in the window is a flood (default 10) */
  floodLimit?: number;
  /** the window a condition's annunciations are counted in for chatter, ms (default 60000) */
  chatterWindowMs?: number;
  /** this many annunciations in the window is chatter (default 3) */
  chatterCount?: number;
  /** shelve a chattering condition for this long, ms; 0 or absent: count it, shelve nothing */
  chatterShelveMs?: number;
  /** an alarm active for longer than this is a stale alarm, ms (default 86400000: 24 h) */
  staleAlarmMs?: number;
}

/** Counts for the status line and for `counts()` callers. */
export interface AlarmCounts {
  active: number;
  unacked: number;
  /** active or unacknowledged alarms by priority band: low 1-250, medium -500, high -750, urgent -1000 */
  byPriority: { urgent: number; high: number; medium: number; low: number };
  shelved: number;
  suppressed: number;
  outOfService: number;
  /** annunciations in the flood window, and whether that is a flood */
  recentAlarms: number;
  flood: boolean;
  chattering: number;
  staleAlarms: number;
}

export interface ReadingResult {
  readonly events: AlarmEvent[];
  /** sentences about readings a rule could not use (a field that is not a number) */
  readonly problems: string[];
}

export interface ActionResult {
  readonly events: AlarmEvent[];
  /** one sentence per condition the action left as it was, or why nothing matched */
  readonly refused: string[];
}

const MATCH_CACHE_LIMIT = 100_000;
const SYSTEM: Who = { operator: 'helios', comment: null };

export class AlarmEngine {
  private rules: AlarmRule[] = [];
  private readonly byId = new Map<string, AlarmRule>();
  private readonly conditions = new Map<string, Condition>();
  /** rules matching each table and source, worked out once per pair */
  private readonly matches = new Map<string, AlarmRule[]>();
  /** rules by the literal start of their glob (before the first * or ?), with their place in the set */
  private readonly byPrefix = new Map<string, Array<{ rule: AlarmRule; index: number }>>();
  /** times of the annunciations in the flood window, oldest first */
  private readonly annunciations: number[] = [];
  private floodStart = 0;
  private readonly o: Required<AlarmEngineOptions>;

  constructor(rules: readonly AlarmRule[], options: AlarmEngineOptions = {}) {
    this.o = {
      floodWindowMs: options.floodWindowMs ?? 600_000,
      floodLimit: options.floodLimit ?? 10,
      chatterWindowMs: options.chatterWindowMs ?? 60_000,
      chatterCount: options.chatterCount ?? 3,
      chatterShelveMs: options.chatterShelveMs ?? 0,
      staleAlarmMs: options.staleAlarmMs ?? 86_400_000,
    };
    this.setRules(rules);
  }

  /**
   * Replaces the rule set. Conditions of rules kept (by id) keep their state under the new
   * settings; those of rules gone are dropped and returned (the journal keeps their history).
   */
  setRules(rules: readonly AlarmRule[]): Condition[] {
    this.rules = [...rules];
    this.byId.clear();
    for (const r of rules) this.byId.set(r.id, r);
    this.matches.clear();
    this.byPrefix.clear();
    rules.forEach((rule, index) => {
      const prefix = literalPrefix(rule.match);
      const list = this.byPrefix.get(prefix) ?? [];
      list.push({ rule, index });
      this.byPrefix.set(prefix, list);
    });
    const dropped: Condition[] = [];
    for (const [key, c] of this.conditions) {
      const rule = this.byId.get(c.rule.id);
      if (rule?.kinds.includes(c.kind)) (c as { rule: AlarmRule }).rule = rule;
      else {
        this.conditions.delete(key);
        dropped.push(c);
      }
    }
    return dropped;
  }

  get ruleList(): readonly AlarmRule[] {
    return this.rules;
  }

  /** The condition with key `conditionKey(rule, source, kind)`, if there is one. */
  conditionOf(key: string): Condition | undefined {
    return this.conditions.get(key);
  }

  /** Every condition, in no particular order. */
  allConditions(): IterableIterator<Condition> {
    return this.conditions.values();
  }

  /** Evaluates one reading against every rule it matches, at time `now` (ms). */
  reading(r: AlarmReading, now: number = r.time): ReadingResult {
    const events: AlarmEvent[] = [];
    const problems: string[] = [];
    for (const rule of this.rulesFor(r.table ?? null, r.source)) {
      this.evaluate(rule, r, now, events, problems);
    }
    this.noteAnnunciations(events, now);
    return { events, problems };
  }

  private evaluate(
    rule: AlarmRule,
    r: AlarmReading,
    now: number,
    events: AlarmEvent[],
    problems: string[],
  ): void {
    const value = numericValue(rule, r);
    if (typeof value === 'string' && !rule.discrete)
      problems.push(`Rule "${rule.id}", source "${r.source}": ${value}.`);
    const design = rule.suppressWhen && rule.suppressWhen.field in r.fields ? rule.suppressWhen : null;
    for (const kind of rule.kinds) {
      const c = this.condition(rule, r.source, kind, now);
      c.lastSeen = now;
      if (design) suppressByDesign(c, r.fields[design.field] === design.equals, now, events);
      const raw = rawLevel(rule, kind, r, c);
      if (raw === undefined) continue;
      c.value = valueFor(rule, kind, r);
      applyRaw(c, raw, now, events);
    }
  }

  /** The condition of `rule` and `kind` for `source`, made on first use. */
  private condition(rule: AlarmRule, source: string, kind: ConditionKind, now: number): Condition {
    const key = conditionKey(rule.id, source, kind);
    let c = this.conditions.get(key);
    if (!c) {
      c = newCondition(rule, source, kind, now);
      this.conditions.set(key, c);
    }
    return c;
  }

  private rulesFor(table: string | null, source: string): AlarmRule[] {
    const key = `${table ?? ''}\u0000${source}`;
    let list = this.matches.get(key);
    if (!list) {
      // only the rules whose glob starts with a start of the source can match it
      const candidates: Array<{ rule: AlarmRule; index: number }> = [];
      for (let n = 0; n <= source.length; n++) {
        const found = this.byPrefix.get(source.slice(0, n));
        if (found) for (const c of found) candidates.push(c);
      }
      candidates.sort((a, b) => a.index - b.index);
      list = candidates
        .map((c) => c.rule)
        .filter((r) => (r.table === null || r.table === table) && r.matcher.test(source));
      if (this.matches.size >= MATCH_CACHE_LIMIT) this.matches.clear();
      this.matches.set(key, list);
    }
    return list;
  }

  /**
   * An operator's action on the conditions `target` names. A rule id and source named exactly
   * (no glob) reach a condition not seen yet, so a sensor can be taken out of service before it
   * has alarmed.
   */
  act(target: AlarmTarget, action: OperatorAction, who: Who, now: number): ActionResult {
    const events: AlarmEvent[] = [];
    const refused: string[] = [];
    const found = this.targets(target, now);
    if (found.length === 0) {
      refused.push(`No alarm matches ${describe(target)}; check the rule id and the source.`);
      return { events, refused };
    }
    for (const c of found) {
      const why = operate(c, action, now, who, events);
      if (why) refused.push(why);
    }
    this.noteAnnunciations(events, now);
    return { events, refused };
  }

  private targets(target: AlarmTarget, now: number): Condition[] {
    const exact = (s: string | undefined) => s !== undefined && !/[*?]/.test(s);
    if (exact(target.rule) && exact(target.source)) {
      const rule = this.byId.get(target.rule!);
      if (rule?.matcher.test(target.source!)) {
        for (const kind of rule.kinds)
          if (!target.kind || target.kind === kind) this.condition(rule, target.source!, kind, now);
      }
    }
    const ruleRe = globToRegExp(target.rule ?? '*');
    const sourceRe = globToRegExp(target.source ?? '*');
    const out: Condition[] = [];
    for (const c of this.conditions.values()) {
      if (target.kind && c.kind !== target.kind) continue;
      if (ruleRe.test(c.rule.id) && sourceRe.test(c.source)) out.push(c);
    }
    return out;
  }

  /**
   * What the clock decides at `now`: delays that have passed, stale data, shelves that expired,
   * chatter that calmed down.
   */
  tick(now: number): AlarmEvent[] {
    const events: AlarmEvent[] = [];
    for (const c of this.conditions.values()) {
      if (c.shelved && c.shelvedUntil !== null && now >= c.shelvedUntil) {
        unshelve(c, now, { operator: null, comment: 'shelve expired' }, events);
      }
      if (c.kind === 'stale') applyRaw(c, staleLevel(c.rule, c.lastSeen, now), now, events);
      else settlePending(c, now, events);
      if (c.chattering) this.updateChatter(c, now);
    }
    this.noteAnnunciations(events, now);
    return events;
  }

  /** The earliest time `tick` has something to do (a delay, a shelve, stale data), or null. */
  nextDeadline(): number | null {
    let next = Number.POSITIVE_INFINITY;
    for (const c of this.conditions.values()) {
      const pending = pendingDeadline(c);
      if (pending !== null) next = Math.min(next, pending);
      if (c.shelved && c.shelvedUntil !== null) next = Math.min(next, c.shelvedUntil);
      if (c.kind === 'stale' && !c.active && c.pending === undefined)
        next = Math.min(next, c.lastSeen + c.rule.stale!.afterMs);
    }
    return Number.isFinite(next) ? next : null;
  }

  /** Counts flood annunciations and chatter; shelves a chattering condition when told to. */
  private noteAnnunciations(events: AlarmEvent[], now: number): void {
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      if (e.event !== 'alarm' || e.state !== 'unack_active') continue;
      this.annunciations.push(e.time);
      const c = this.conditions.get(conditionKey(e.rule, e.source, e.kind));
      if (c && this.updateChatter(c, now) && this.o.chatterShelveMs > 0 && !c.shelved) {
        const comment = `chattering: ${c.recent.length} alarms in ${this.o.chatterWindowMs / 1000} s`;
        operate(
          c,
          { action: 'shelve', untilMs: now + this.o.chatterShelveMs, oneShot: false },
          now,
          { ...SYSTEM, comment },
          events,
        );
      }
    }
    this.pruneFlood(now);
  }

  /** Drops annunciations older than the flood window (by moving a start index: no shifting per call). */
  private pruneFlood(now: number): void {
    const from = now - this.o.floodWindowMs;
    const list = this.annunciations;
    while (this.floodStart < list.length && list[this.floodStart]! <= from) this.floodStart++;
    if (this.floodStart > 1024 && this.floodStart * 2 > list.length) {
      list.splice(0, this.floodStart);
      this.floodStart = 0;
    }
  }

  /** Keeps the condition's recent annunciations to the chatter window; true when it chatters. */
  private updateChatter(c: Condition, now: number): boolean {
    const from = now - this.o.chatterWindowMs;
    while (c.recent.length > 0 && c.recent[0]! <= from) c.recent.shift();
    c.chattering = c.recent.length >= this.o.chatterCount;
    return c.chattering;
  }

  /**
   * The unacknowledged alarms due for a repeat on the notification output at `now` (every
   * `everyMs`), quiet while shelved, suppressed or out of service. Marks them notified.
   */
  dueNotifications(now: number, everyMs: number): Condition[] {
    const due: Condition[] = [];
    for (const c of this.conditions.values()) {
      if (c.state !== 'unack_active' || hasOverlay(c)) continue;
      if (c.lastNotified === 0) c.lastNotified = c.since;
      if (everyMs > 0 && now - c.lastNotified >= everyMs) {
        c.lastNotified = now;
        due.push(c);
      }
    }
    return due;
  }

  /** Annunciations in the flood window ending at `now`. */
  private recentAlarms(now: number): number {
    this.pruneFlood(now);
    return this.annunciations.length - this.floodStart;
  }

  counts(now: number): AlarmCounts {
    const n: AlarmCounts = {
      active: 0,
      unacked: 0,
      byPriority: { urgent: 0, high: 0, medium: 0, low: 0 },
      shelved: 0,
      suppressed: 0,
      outOfService: 0,
      recentAlarms: this.recentAlarms(now),
      flood: false,
      chattering: 0,
      staleAlarms: 0,
    };
    n.flood = n.recentAlarms > this.o.floodLimit;
    for (const c of this.conditions.values()) countCondition(n, c, now, this.o.staleAlarmMs);
    return n;
  }

  /** Puts back a condition restored from the journal (journal.ts); unknown rules are skipped. */
  restore(c: Condition): void {
    this.conditions.set(conditionKey(c.rule.id, c.source, c.kind), c);
  }

  /** The rule with id `id`, if any. */
  rule(id: string): AlarmRule | undefined {
    return this.byId.get(id);
  }
}

function countCondition(n: AlarmCounts, c: Condition, now: number, staleAlarmMs: number): void {
  const state: AlarmState = c.state;
  if (state === 'shelved') n.shelved++;
  else if (state === 'suppressed') n.suppressed++;
  else if (state === 'out_of_service') n.outOfService++;
  if (c.chattering) n.chattering++;
  if (state === 'normal' || hasOverlay(c)) return;
  if (c.active) n.active++;
  if (!c.acked) n.unacked++;
  if (c.active && now - c.activeSince > staleAlarmMs) n.staleAlarms++;
  n.byPriority[band(c.active?.priority ?? c.priority)]++;
}

/** The priority bands of the status line. */
export function band(priority: number): 'urgent' | 'high' | 'medium' | 'low' {
  if (priority > 750) return 'urgent';
  if (priority > 500) return 'high';
  if (priority > 250) return 'medium';
  return 'low';
}

/** The start of a glob up to its first wildcard (the whole glob when it has none). */
function literalPrefix(glob: string): string {
  const at = glob.search(/[*?]/);
  return at === -1 ? glob : glob.slice(0, at);
}

export function conditionKey(rule: string, source: string, kind: ConditionKind): string {
  return `${rule}\u0000${source}\u0000${kind}`;
}

function valueFor(rule: AlarmRule, kind: ConditionKind, r: ReadingView): number | string | boolean | null {
  const field = kind === 'quality' ? rule.quality!.field : rule.field;
  const v = r.fields[field];
  return typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' ? v : null;
}

function describe(t: AlarmTarget): string {
  const parts = [`rule "${t.rule ?? '*'}"`, `source "${t.source ?? '*'}"`];
  if (t.kind) parts.push(`kind "${t.kind}"`);
  return parts.join(', ');
}
