/**
 * One alarm condition (a rule's kind for one source) and its ISA-18.2 / IEC 62682 state machine.
 * The process side (raw level, on/off delays) decides whether the condition is active; the operator
 * side (acknowledge, shelve, suppress, out of service) decides what the operator is shown. Every
 * change of what is shown, and every change of the active level, is an AlarmEvent: the journal row.
 * Pure: time comes in as arguments, nothing here sets a timer.
 */
import { type RawLevel, sameLevel } from './evaluate';
import type { AlarmRule, ConditionKind } from './rules';

/**
 * The states, with OPC UA Part 9 names in docs/alarms.md. The first four are ISA-18.2's A-D; the
 * last three are its E-G, shown in place of the first four while they last.
 */
export type AlarmState =
  | 'normal'
  | 'unack_active'
  | 'ack_active'
  | 'rtn_unack'
  | 'shelved'
  | 'suppressed'
  | 'out_of_service';

export type AlarmEventName =
  | 'alarm'
  | 'level'
  | 'return'
  | 'ack'
  | 'reset'
  | 'shelve'
  | 'unshelve'
  | 'suppress'
  | 'unsuppress'
  | 'out_of_service'
  | 'in_service';

/** One transition: what the node sends and the journal keeps. */
export interface AlarmEvent {
  readonly time: number;
  readonly rule: string;
  readonly source: string;
  readonly kind: ConditionKind;
  readonly event: AlarmEventName;
  readonly state: AlarmState;
  readonly previous: AlarmState;
  /** the active level ('hh', 'h', 'l', 'll' or 'active'); null when not active */
  readonly level: string | null;
  readonly value: number | string | boolean | null;
  readonly limit: number | null;
  readonly priority: number;
  readonly active: boolean;
  readonly acked: boolean;
  readonly operator: string | null;
  readonly comment: string | null;
  readonly message: string;
  /** this condition's transitions so far, counting this one */
  readonly seq: number;
}

/** What an operator does to a condition. */
export type OperatorAction =
  | { readonly action: 'ack' }
  | { readonly action: 'shelve'; readonly untilMs: number | null; readonly oneShot: boolean }
  | { readonly action: 'unshelve' }
  | { readonly action: 'suppress' }
  | { readonly action: 'unsuppress' }
  | { readonly action: 'out_of_service' }
  | { readonly action: 'in_service' };

export interface Who {
  readonly operator: string | null;
  readonly comment: string | null;
}

const NOBODY: Who = { operator: null, comment: null };

/** The mutable state of one condition. Fields are the journal's state row (journal.ts). */
export interface Condition {
  readonly rule: AlarmRule;
  readonly source: string;
  readonly kind: ConditionKind;
  /** the raw level the last evaluation gave, before delays (deadbands hold against it) */
  raw: RawLevel | null;
  /** a raw level waiting for its on- or off-delay, and since when */
  pending: RawLevel | null | undefined;
  pendingSince: number;
  /** the active level after delays (null: not active); `latched`: held after the process returned */
  active: RawLevel | null;
  latched: boolean;
  acked: boolean;
  shelved: boolean;
  shelvedUntil: number | null;
  oneShot: boolean;
  suppressed: boolean;
  suppressedByDesign: boolean;
  outOfService: boolean;
  /** the shown base state and level when the first overlay began (unshelve restores from it) */
  before: { acked: boolean; level: string | null } | null;
  state: AlarmState;
  since: number;
  /** when the condition last became active (stale alarms are counted from it) */
  activeSince: number;
  /** the priority of its last active level: an alarm returned but unacknowledged keeps it */
  priority: number;
  value: number | string | boolean | null;
  lastSeen: number;
  lastValue: number | null;
  lastTime: number | null;
  seq: number;
  /** times of this condition's recent annunciations (for chatter) */
  recent: number[];
  chattering: boolean;
  lastNotified: number;
}

export function newCondition(rule: AlarmRule, source: string, kind: ConditionKind, now: number): Condition {
  return {
    rule,
    source,
    kind,
    raw: null,
    pending: undefined,
    pendingSince: 0,
    active: null,
    latched: false,
    acked: true,
    shelved: false,
    shelvedUntil: null,
    oneShot: false,
    suppressed: false,
    suppressedByDesign: false,
    outOfService: false,
    before: null,
    state: 'normal',
    since: now,
    activeSince: 0,
    priority: 0,
    value: null,
    lastSeen: now,
    lastValue: null,
    lastTime: null,
    seq: 0,
    recent: [],
    chattering: false,
    lastNotified: 0,
  };
}

export function hasOverlay(c: Condition): boolean {
  return c.shelved || c.suppressed || c.suppressedByDesign || c.outOfService;
}

/** What the operator is shown, from the condition's flags. */
export function shownState(c: Condition): AlarmState {
  if (c.outOfService) return 'out_of_service';
  if (c.suppressed || c.suppressedByDesign) return 'suppressed';
  if (c.shelved) return 'shelved';
  if (c.active) return c.acked ? 'ack_active' : 'unack_active';
  return c.acked ? 'normal' : 'rtn_unack';
}

/**
 * A new raw level from a reading (or, for stale data, the clock) at `now`. Starts or ends the
 * on/off delay; a level that has waited its delay becomes the active one.
 */
export function applyRaw(c: Condition, raw: RawLevel | null, now: number, out: AlarmEvent[]): void {
  c.raw = raw;
  if (sameLevel(raw, c.active)) {
    c.pending = undefined;
    // the same level again: a latched alarm is plainly active again; a patched rule's new
    // priority or limit is taken at once
    if (raw) {
      c.latched = false;
      c.active = raw;
      c.priority = raw.priority;
    }
    return;
  }
  if (c.pending === undefined || !sameLevel(c.pending, raw)) {
    c.pending = raw;
    c.pendingSince = now;
  }
  settlePending(c, now, out);
}

/** Applies a pending raw level whose delay has passed at `now`. */
export function settlePending(c: Condition, now: number, out: AlarmEvent[]): void {
  if (c.pending === undefined) return;
  const delay = c.pending ? c.rule.onDelayMs : c.rule.offDelayMs;
  if (now - c.pendingSince < delay) return;
  const next = c.pending;
  c.pending = undefined;
  processChange(c, next, now, out);
}

/** When the pending level's delay ends (for the engine's timer), or null. */
export function pendingDeadline(c: Condition): number | null {
  if (c.pending === undefined) return null;
  return c.pendingSince + (c.pending ? c.rule.onDelayMs : c.rule.offDelayMs);
}

/** The process condition changed from `c.active` to `next` (delays passed). */
function processChange(c: Condition, next: RawLevel | null, now: number, out: AlarmEvent[]): void {
  const prev = c.active;
  if (next === null) {
    if (prev !== null) processReturn(c, now, out);
    return;
  }
  c.latched = false;
  if (prev === null) c.activeSince = now;
  const escalated = prev === null || next.priority > prev.priority || moreSevere(c.rule, next, prev);
  c.active = next;
  c.priority = next.priority;
  // hidden by an overlay, a new alarm is on record but not annunciated (acked stays true)
  if (!hasOverlay(c) && escalated) c.acked = false;
  const annunciated = hasOverlay(c) ? prev === null : escalated;
  record(c, annunciated ? 'alarm' : 'level', now, NOBODY, out);
}

/** The process returned to normal. */
function processReturn(c: Condition, now: number, out: AlarmEvent[]): void {
  if (c.rule.latch && !hasOverlay(c)) {
    // latched: shown as still active until an operator resets it
    c.latched = true;
    return;
  }
  c.active = null;
  c.latched = false;
  if (c.shelved && c.oneShot) {
    unshelve(c, now, { operator: null, comment: 'one-shot shelve ended' }, out);
    return;
  }
  if (hasOverlay(c)) c.acked = true;
  record(c, 'return', now, NOBODY, out);
}

/** hh beyond h, ll beyond l: a level further out on the same side. */
function moreSevere(rule: AlarmRule, a: RawLevel, b: RawLevel): boolean {
  for (const side of [rule.highs, rule.lows]) {
    const ia = side.findIndex((l) => l.level === a.level);
    const ib = side.findIndex((l) => l.level === b.level);
    if (ia !== -1 && ib !== -1) return ia < ib;
  }
  return false;
}

/**
 * An operator's action. Returns null when done, or a sentence saying why nothing changed (an ack
 * of an alarm already acknowledged), for the node to pass on.
 */
export function operate(
  c: Condition,
  a: OperatorAction,
  now: number,
  who: Who,
  out: AlarmEvent[],
): string | null {
  const name = `${c.rule.id} / ${c.source} (${c.kind})`;
  switch (a.action) {
    case 'ack':
      return acknowledge(c, now, who, out, name);
    case 'shelve':
      if (c.outOfService) return `${name} is out of service; put it back in service before shelving it.`;
      beginOverlay(c);
      c.shelved = true;
      c.shelvedUntil = a.untilMs;
      c.oneShot = a.oneShot;
      record(c, 'shelve', now, who, out);
      return null;
    case 'unshelve':
      if (!c.shelved) return `${name} is not shelved.`;
      unshelve(c, now, who, out);
      return null;
    case 'suppress':
      if (c.suppressed) return `${name} is suppressed already.`;
      beginOverlay(c);
      c.suppressed = true;
      record(c, 'suppress', now, who, out);
      return null;
    case 'unsuppress':
      if (!c.suppressed) return `${name} is not suppressed by an operator.`;
      c.suppressed = false;
      endOverlay(c, 'unsuppress', now, who, out);
      return null;
    case 'out_of_service':
      if (c.outOfService) return `${name} is out of service already.`;
      beginOverlay(c);
      c.outOfService = true;
      record(c, 'out_of_service', now, who, out);
      return null;
    case 'in_service':
      if (!c.outOfService) return `${name} is in service.`;
      c.outOfService = false;
      endOverlay(c, 'in_service', now, who, out);
      return null;
  }
}

/** Suppression by design: the rule's `suppressWhen` field says the equipment is not running. */
export function suppressByDesign(c: Condition, on: boolean, now: number, out: AlarmEvent[]): void {
  if (on === c.suppressedByDesign) return;
  const who = { operator: null, comment: on ? 'suppressed by design' : 'suppression by design ended' };
  if (on) {
    beginOverlay(c);
    c.suppressedByDesign = true;
    record(c, 'suppress', now, who, out);
  } else {
    c.suppressedByDesign = false;
    endOverlay(c, 'unsuppress', now, who, out);
  }
}

function acknowledge(c: Condition, now: number, who: Who, out: AlarmEvent[], name: string): string | null {
  if (hasOverlay(c))
    return `${name} is ${shownState(c).replace(/_/g, ' ')}; there is nothing to acknowledge.`;
  if (c.latched) {
    // a latched alarm whose process has returned to normal: the operator's ack resets it
    c.latched = false;
    c.active = null;
    c.acked = true;
    record(c, 'reset', now, who, out);
    return null;
  }
  if (c.acked)
    return `${name} is ${c.active ? 'acknowledged already' : 'normal'}; there is nothing to acknowledge.`;
  c.acked = true;
  record(c, 'ack', now, who, out);
  return null;
}

/** A condition's base state is remembered when the first overlay (shelve, suppress, OOS) begins. */
function beginOverlay(c: Condition): void {
  if (!hasOverlay(c)) c.before = { acked: c.acked, level: c.active?.level ?? null };
  c.acked = true;
}

/** Ends a shelve (by the operator, its timer, or a one-shot return to normal). */
export function unshelve(c: Condition, now: number, who: Who, out: AlarmEvent[]): void {
  c.shelved = false;
  c.shelvedUntil = null;
  c.oneShot = false;
  endOverlay(c, 'unshelve', now, who, out);
}

/**
 * The last overlay ended: the state is restored if the process is as it was when the overlay
 * began (an acknowledged alarm stays acknowledged), else it is judged afresh: an active alarm is
 * annunciated again (unacknowledged), one that returned while hidden is normal.
 */
function endOverlay(c: Condition, event: AlarmEventName, now: number, who: Who, out: AlarmEvent[]): void {
  if (hasOverlay(c)) {
    record(c, event, now, who, out);
    return;
  }
  const before = c.before;
  c.before = null;
  if (c.latched) {
    c.latched = false;
    c.active = null;
  }
  const level = c.active?.level ?? null;
  c.acked = before !== null && before.level === level ? before.acked : c.active === null;
  record(c, event, now, who, out);
}

/** Records the condition's shown state as an event (and notes annunciations for chatter). */
function record(c: Condition, event: AlarmEventName, now: number, who: Who, out: AlarmEvent[]): void {
  const previous = c.state;
  c.state = shownState(c);
  c.since = now;
  c.seq++;
  if (event === 'alarm' && c.state === 'unack_active') {
    c.recent.push(now);
    c.lastNotified = 0;
  }
  out.push(eventOf(c, event, previous, who, now));
}

export function eventOf(
  c: Condition,
  event: AlarmEventName,
  previous: AlarmState,
  who: Who,
  now: number,
): AlarmEvent {
  return {
    time: now,
    rule: c.rule.id,
    source: c.source,
    kind: c.kind,
    event,
    state: c.state,
    previous,
    level: c.active?.level ?? null,
    value: c.value,
    limit: c.active?.limit ?? c.raw?.limit ?? null,
    priority: c.active?.priority ?? c.priority,
    active: c.active !== null,
    acked: c.acked,
    operator: who.operator,
    comment: who.comment,
    message: c.rule.message,
    seq: c.seq,
  };
}
