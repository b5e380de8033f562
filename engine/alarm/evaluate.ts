/**
 * What a reading says about each condition of a rule, before delays: the raw level. Deadbands
 * are hysteresis around the level held now, so a value wobbling on a limit does not chatter.
 */
import type { AlarmRule, ConditionKind, Limit } from './rules';

/** A condition's raw level: which limit (or 'active' for the kinds with one), its limit and priority. */
export interface RawLevel {
  readonly level: string;
  readonly limit: number | null;
  readonly priority: number;
}

/** The fields of one reading, with the value the rule evaluates already picked out. */
export interface ReadingView {
  readonly time: number;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** Everything a condition keeps between readings for its evaluation. */
export interface EvalMemory {
  /** the raw level the last evaluation gave (deadbands hold against it) */
  raw: RawLevel | null;
  lastValue: number | null;
  lastTime: number | null;
}

/**
 * The raw level of condition `kind` of `rule` for reading `r`, given what it held before.
 * `undefined`: the reading says nothing about this condition (no such field, bad quality).
 */
export function rawLevel(
  rule: AlarmRule,
  kind: ConditionKind,
  r: ReadingView,
  memory: EvalMemory,
): RawLevel | null | undefined {
  switch (kind) {
    case 'level':
      return numeric(rule, r, (v) => levelOf(rule, v, memory.raw));
    case 'roc':
      return numeric(rule, r, (v) => rateOf(rule, v, r.time, memory));
    case 'deviation':
      return numeric(rule, r, (v) => deviationOf(rule, v, r, memory.raw));
    case 'quality':
      return qualityOf(rule, r);
    case 'discrete':
      return discreteOf(rule, r);
    case 'stale':
      // a reading ends staleness; the clock (staleLevel) starts it
      return null;
  }
}

/** Does this reading carry bad quality under the rule? (Then its value drives no analog alarm.) */
export function badQuality(rule: AlarmRule, r: ReadingView): boolean {
  const q = rule.quality;
  if (!q || !(q.field in r.fields)) return false;
  const v = r.fields[q.field];
  return v === null || v === undefined || !q.good.includes(v as string | number | boolean);
}

/** The numeric value of the rule's field, or why there is none (a message for the node to report). */
export function numericValue(rule: AlarmRule, r: ReadingView): number | undefined | string {
  if (!(rule.field in r.fields)) return undefined;
  const v = r.fields[rule.field];
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  return `field "${rule.field}" is ${JSON.stringify(v)}, not a number`;
}

function numeric(
  rule: AlarmRule,
  r: ReadingView,
  fn: (v: number) => RawLevel | null,
): RawLevel | null | undefined {
  if (badQuality(rule, r)) return undefined;
  const v = numericValue(rule, r);
  return typeof v === 'number' ? fn(v) : undefined;
}

/** The most severe limit the value is beyond, holding a limit until it is cleared by its deadband. */
export function levelOf(rule: AlarmRule, v: number, held: RawLevel | null): RawLevel | null {
  const hit = (limit: Limit, high: boolean): boolean => {
    const holding = held !== null && heldAtOrBeyond(rule, held.level, limit, high);
    if (high) return v >= limit.value || (holding && v > limit.value - limit.deadband);
    return v <= limit.value || (holding && v < limit.value + limit.deadband);
  };
  for (const limit of rule.highs) if (hit(limit, true)) return asRaw(limit);
  for (const limit of rule.lows) if (hit(limit, false)) return asRaw(limit);
  return null;
}

/** Is `level` this limit or a more severe one on the same side? */
function heldAtOrBeyond(rule: AlarmRule, level: string, limit: Limit, high: boolean): boolean {
  const side = high ? rule.highs : rule.lows;
  const at = side.findIndex((l) => l.level === level);
  const mine = side.indexOf(limit);
  return at !== -1 && at <= mine;
}

function asRaw(limit: Limit): RawLevel {
  return { level: limit.level, limit: limit.value, priority: limit.priority };
}

function rateOf(rule: AlarmRule, v: number, time: number, memory: EvalMemory): RawLevel | null {
  const roc = rule.rateOfChange!;
  const { lastValue, lastTime } = memory;
  memory.lastValue = v;
  memory.lastTime = time;
  if (lastValue === null || lastTime === null || time <= lastTime) return memory.raw;
  const perSecond = ((v - lastValue) * 1000) / (time - lastTime);
  return Math.abs(perSecond) > roc.limit
    ? { level: 'active', limit: roc.limit, priority: roc.priority }
    : null;
}

function deviationOf(rule: AlarmRule, v: number, r: ReadingView, held: RawLevel | null): RawLevel | null {
  const d = rule.deviation!;
  const sp = typeof d.setpoint === 'number' ? d.setpoint : r.fields[d.setpoint];
  if (typeof sp !== 'number' || !Number.isFinite(sp)) return held;
  const off = Math.abs(v - sp);
  const on = off >= d.limit || (held !== null && off > d.limit - d.deadband);
  return on ? { level: 'active', limit: d.limit, priority: d.priority } : null;
}

function qualityOf(rule: AlarmRule, r: ReadingView): RawLevel | null | undefined {
  const q = rule.quality!;
  if (!(q.field in r.fields)) return undefined;
  return badQuality(rule, r) ? { level: 'active', limit: null, priority: q.priority } : null;
}

function discreteOf(rule: AlarmRule, r: ReadingView): RawLevel | null | undefined {
  const d = rule.discrete!;
  if (!(rule.field in r.fields)) return undefined;
  const v = r.fields[rule.field];
  return d.values.includes(v as string | number | boolean)
    ? { level: 'active', limit: null, priority: d.priority }
    : null;
}

/** The stale condition's raw level at `now`, for a source last heard from at `lastSeen`. */
export function staleLevel(rule: AlarmRule, lastSeen: number, now: number): RawLevel | null {
  const s = rule.stale!;
  return now - lastSeen >= s.afterMs ? { level: 'active', limit: s.afterMs, priority: s.priority } : null;
}

/** Is raw level `a` the same as `b`? */
export function sameLevel(a: RawLevel | null, b: RawLevel | null): boolean {
  return a === b || (a !== null && b !== null && a.level === b.level);
}
