/**
 * Alarm rules: what a user writes (in the node's editor table or in `msg.rules`) and the checked
 * form the state machine runs. `checkRules` refuses a bad rule with a sentence that names the rule,
 * the setting and what to write instead; every problem of a rule set is listed, not just the first.
 */
import { InvalidInputError } from '../errors';
import { parseDuration } from '../util/duration';

/** The limit levels of one analog condition, most severe first on each side. */
export type LimitLevel = 'hh' | 'h' | 'l' | 'll';
export const HIGH_LEVELS: readonly LimitLevel[] = ['hh', 'h'];
export const LOW_LEVELS: readonly LimitLevel[] = ['ll', 'l'];
const LEVELS: readonly LimitLevel[] = ['hh', 'h', 'l', 'll'];

/** A user's deadband: an absolute amount, or a percentage of the limit's magnitude ('2%'). */
export type DeadbandInput = number | string;

export interface LimitInput {
  value: number;
  /** 1 (lowest) to 1000 (highest); default 500 */
  priority?: number;
  deadband?: DeadbandInput;
}

/** A rule as written by a user. Durations are ms or strings ('5s', '2m'). */
export interface AlarmRuleInput {
  id: string;
  /** table the readings come from; '*' or absent: any table */
  table?: string;
  /** glob over the reading's source (tag or topic): '*' any run, '?' one character */
  match?: string;
  /** the field evaluated; default 'value' (a message whose payload is a number) */
  field?: string;
  limits?: Partial<Record<LimitLevel, LimitInput | number>>;
  /** the deadband of every limit that has none of its own */
  deadband?: DeadbandInput;
  onDelay?: number | string;
  offDelay?: number | string;
  /** an alarm that returns to normal stays unacknowledged until an operator acknowledges it */
  latch?: boolean;
  /** rate of change: active when |change per second| exceeds `limit` */
  rateOfChange?: { limit: number; priority?: number };
  /** deviation from a set-point (a number or the name of a field carrying it) */
  deviation?: { setpoint: number | string; limit: number; priority?: number; deadband?: DeadbandInput };
  /** stale data: active when the source sent nothing for `after` */
  stale?: { after: number | string; priority?: number };
  /** bad quality: active when field `field` holds anything but the `good` values */
  quality?: { field: string; good: ReadonlyArray<string | number | boolean>; priority?: number };
  /** a discrete state alarm: active while the field holds one of `values` */
  discrete?: { values: ReadonlyArray<string | number | boolean>; priority?: number };
  /** suppressed by design while the reading's field `field` equals `equals` (machine not running) */
  suppressWhen?: { field: string; equals: string | number | boolean };
  /** text for operators, carried in every event of the rule */
  message?: string;
}

export interface Limit {
  readonly level: LimitLevel;
  readonly value: number;
  readonly priority: number;
  /** absolute, in the field's unit */
  readonly deadband: number;
}

/** The condition kinds one rule can raise for one source, each with its own state. */
export type ConditionKind = 'level' | 'roc' | 'deviation' | 'stale' | 'quality' | 'discrete';

/** A checked rule. */
export interface AlarmRule {
  readonly id: string;
  readonly table: string | null;
  readonly match: string;
  readonly matcher: RegExp;
  readonly field: string;
  /** most severe first on each side: hh, h, then ll, l */
  readonly highs: readonly Limit[];
  readonly lows: readonly Limit[];
  readonly onDelayMs: number;
  readonly offDelayMs: number;
  readonly latch: boolean;
  readonly rateOfChange: { readonly limit: number; readonly priority: number } | null;
  readonly deviation: {
    readonly setpoint: number | string;
    readonly limit: number;
    readonly priority: number;
    readonly deadband: number;
  } | null;
  readonly stale: { readonly afterMs: number; readonly priority: number } | null;
  readonly quality: {
    readonly field: string;
    readonly good: ReadonlyArray<string | number | boolean>;
    readonly priority: number;
  } | null;
  readonly discrete: {
    readonly values: ReadonlyArray<string | number | boolean>;
    readonly priority: number;
  } | null;
  readonly suppressWhen: { readonly field: string; readonly equals: string | number | boolean } | null;
  readonly message: string;
  /** the kinds this rule evaluates */
  readonly kinds: readonly ConditionKind[];
}

export const DEFAULT_PRIORITY = 500;
const KNOWN_KEYS = new Set([
  'id',
  'table',
  'match',
  'field',
  'limits',
  'deadband',
  'onDelay',
  'offDelay',
  'latch',
  'rateOfChange',
  'deviation',
  'stale',
  'quality',
  'discrete',
  'suppressWhen',
  'message',
]);

/** A rule set refused: `problems` holds one sentence per mistake. */
export class AlarmRuleError extends InvalidInputError {
  constructor(readonly problems: readonly string[]) {
    super(
      problems.length === 1
        ? problems[0]!
        : `${problems.length} problems in the alarm rules: ${problems.join(' ')}`,
      'HELIOS_BAD_ALARM_RULE',
    );
    this.name = 'AlarmRuleError';
  }
}

/** Checks a list of rules; throws AlarmRuleError listing every problem. */
export function checkRules(input: unknown): AlarmRule[] {
  if (!Array.isArray(input)) {
    throw new AlarmRuleError(['The alarm rules must be a list (an array) of rules, each with an "id".']);
  }
  const problems: string[] = [];
  const rules: AlarmRule[] = [];
  const ids = new Set<string>();
  input.forEach((raw, i) => {
    const rule = checkRule(raw, i, problems);
    if (!rule) return;
    if (ids.has(rule.id)) problems.push(`Two rules have the id "${rule.id}"; give each rule its own id.`);
    ids.add(rule.id);
    rules.push(rule);
  });
  if (problems.length > 0) throw new AlarmRuleError(problems);
  return rules;
}

/** One rule, checked; its problems go to `problems` (then null is returned). */
export function checkRule(raw: unknown, index: number, problems: string[]): AlarmRule | null {
  const before = problems.length;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    problems.push(`Rule ${index + 1} is not an object; write it as { "id": "...", "limits": {...} }.`);
    return null;
  }
  const r = raw as Record<string, unknown>;
  const id = typeof r.id === 'string' && r.id.trim() !== '' ? r.id.trim() : null;
  const name = id ? `Rule "${id}"` : `Rule ${index + 1}`;
  const say = (text: string) => problems.push(`${name}: ${text}`);
  if (!id) say('has no "id"; give it a short name such as "PT-101 high".');
  for (const key of Object.keys(r)) {
    if (!KNOWN_KEYS.has(key)) say(`has an unknown setting "${key}"${suggest(key, KNOWN_KEYS)}.`);
  }
  const table = optionalText(r.table, 'table', say);
  const match = optionalText(r.match, 'match', say) ?? '*';
  const field = optionalText(r.field, 'field', say) ?? 'value';
  const defaultDeadband = r.deadband;
  const { highs, lows } = checkLimits(r.limits, defaultDeadband, say);
  const onDelayMs = duration(r.onDelay, 'onDelay', say);
  const offDelayMs = duration(r.offDelay, 'offDelay', say);
  if (r.latch !== undefined && typeof r.latch !== 'boolean') say('"latch" must be true or false.');
  const rateOfChange = checkRateOfChange(r.rateOfChange, say);
  const deviation = checkDeviation(r.deviation, defaultDeadband, say);
  const stale = checkStale(r.stale, say);
  const quality = checkQuality(r.quality, say);
  const discrete = checkDiscrete(r.discrete, say);
  const suppressWhen = checkSuppressWhen(r.suppressWhen, say);
  const message = optionalText(r.message, 'message', say) ?? '';
  const kinds: ConditionKind[] = [];
  if (highs.length + lows.length > 0) kinds.push('level');
  if (rateOfChange) kinds.push('roc');
  if (deviation) kinds.push('deviation');
  if (stale) kinds.push('stale');
  if (quality) kinds.push('quality');
  if (discrete) kinds.push('discrete');
  if (kinds.length === 0 && problems.length === before) {
    say(
      'raises nothing; give it limits (hh, h, l, ll), rateOfChange, deviation, stale, quality or discrete.',
    );
  }
  if (problems.length > before) return null;
  return {
    id: id!,
    table: table === undefined || table === '*' || table === '' ? null : table,
    match,
    matcher: globToRegExp(match),
    field,
    highs,
    lows,
    onDelayMs,
    offDelayMs,
    latch: r.latch === true,
    rateOfChange,
    deviation,
    stale,
    quality,
    discrete,
    suppressWhen,
    message,
    kinds,
  };
}

type Say = (text: string) => void;

function checkLimits(raw: unknown, defaultDeadband: unknown, say: Say): { highs: Limit[]; lows: Limit[] } {
  const highs: Limit[] = [];
  const lows: Limit[] = [];
  if (raw === undefined || raw === null) return { highs, lows };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    say('"limits" must be an object such as { "h": 80, "hh": 95 }.');
    return { highs, lows };
  }
  const limits = raw as Record<string, unknown>;
  for (const key of Object.keys(limits)) {
    if (!(LEVELS as readonly string[]).includes(key)) {
      say(`has an unknown limit "${key}"; the limits are hh, h, l and ll.`);
    }
  }
  // most severe first on each side: the first limit a value is beyond is its level
  for (const level of HIGH_LEVELS) {
    const limit = checkLimit(level, limits[level], defaultDeadband, say);
    if (limit) highs.push(limit);
  }
  for (const level of LOW_LEVELS) {
    const limit = checkLimit(level, limits[level], defaultDeadband, say);
    if (limit) lows.push(limit);
  }
  checkOrder(highs, lows, say);
  return { highs, lows };
}

function checkLimit(level: LimitLevel, raw: unknown, defaultDeadband: unknown, say: Say): Limit | null {
  if (raw === undefined || raw === null || raw === '') return null;
  const spec =
    typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : { value: raw };
  const value = spec.value;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    say(`the ${level} limit ${JSON.stringify(value)} is not a number; write a number such as 80.`);
    return null;
  }
  const priority = checkPriority(spec.priority, `the ${level} limit's priority`, say);
  const deadband = checkDeadband(
    spec.deadband ?? defaultDeadband,
    value,
    `the ${level} limit's deadband`,
    say,
  );
  return { level, value, priority, deadband };
}

/** hh above h above l above ll: a high limit below a low one can never be right. */
function checkOrder(highs: Limit[], lows: Limit[], say: Say): void {
  const [hh, h] = [highs.find((l) => l.level === 'hh'), highs.find((l) => l.level === 'h')];
  const [ll, l] = [lows.find((x) => x.level === 'll'), lows.find((x) => x.level === 'l')];
  if (hh && h && hh.value <= h.value)
    say(`the hh limit (${hh.value}) must be above the h limit (${h.value}).`);
  if (ll && l && ll.value >= l.value)
    say(`the ll limit (${ll.value}) must be below the l limit (${l.value}).`);
  const lowestHigh = h ?? hh;
  const highestLow = l ?? ll;
  if (lowestHigh && highestLow && lowestHigh.value <= highestLow.value) {
    say(
      `the ${lowestHigh.level} limit (${lowestHigh.value}) must be above the ${highestLow.level} limit ` +
        `(${highestLow.value}); swap them if high and low were mixed up.`,
    );
  }
}

function checkPriority(raw: unknown, what: string, say: Say): number {
  if (raw === undefined || raw === null || raw === '') return DEFAULT_PRIORITY;
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 1 || raw > 1000) {
    say(`${what} ${JSON.stringify(raw)} must be a whole number from 1 (lowest) to 1000 (highest).`);
    return DEFAULT_PRIORITY;
  }
  return raw;
}

/** A deadband in the field's unit: '2%' is 2% of the limit's magnitude. */
function checkDeadband(raw: unknown, limit: number, what: string, say: Say): number {
  if (raw === undefined || raw === null || raw === '') return 0;
  if (typeof raw === 'number' && Number.isFinite(raw) && raw >= 0) return raw;
  if (typeof raw === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(raw);
    if (m) return (Math.abs(limit) * Number(m[1])) / 100;
  }
  say(`${what} ${JSON.stringify(raw)} must be a number of at least 0 or a percentage such as "2%".`);
  return 0;
}

function duration(raw: unknown, what: string, say: Say): number {
  if (raw === undefined || raw === null || raw === '') return 0;
  if (typeof raw !== 'number' && typeof raw !== 'string') {
    say(`"${what}" must be a duration such as "5s" or a number of milliseconds.`);
    return 0;
  }
  try {
    return parseDuration(raw, `"${what}"`);
  } catch (err) {
    say((err as Error).message);
    return 0;
  }
}

function subObject(raw: unknown, what: string, example: string, say: Say): Record<string, unknown> | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    say(`"${what}" must be an object such as ${example}.`);
    return null;
  }
  return raw as Record<string, unknown>;
}

function positive(raw: unknown, what: string, say: Say): number {
  if (typeof raw === 'number' && Number.isFinite(raw) && raw > 0) return raw;
  say(`${what} ${JSON.stringify(raw)} must be a number above 0.`);
  return 1;
}

function checkRateOfChange(raw: unknown, say: Say): AlarmRule['rateOfChange'] {
  const o = subObject(raw, 'rateOfChange', '{ "limit": 5 } (units per second)', say);
  if (!o) return null;
  return {
    limit: positive(o.limit, 'rateOfChange.limit', say),
    priority: checkPriority(o.priority, 'rateOfChange.priority', say),
  };
}

function checkDeviation(raw: unknown, defaultDeadband: unknown, say: Say): AlarmRule['deviation'] {
  const o = subObject(raw, 'deviation', '{ "setpoint": 50, "limit": 5 }', say);
  if (!o) return null;
  const sp = o.setpoint;
  const setpointOk = (typeof sp === 'number' && Number.isFinite(sp)) || (typeof sp === 'string' && sp !== '');
  if (!setpointOk) say(`deviation.setpoint ${JSON.stringify(sp)} must be a number or the name of a field.`);
  const limit = positive(o.limit, 'deviation.limit', say);
  return {
    setpoint: setpointOk ? (sp as number | string) : 0,
    limit,
    priority: checkPriority(o.priority, 'deviation.priority', say),
    deadband: checkDeadband(o.deadband ?? defaultDeadband, limit, 'deviation.deadband', say),
  };
}

function checkStale(raw: unknown, say: Say): AlarmRule['stale'] {
  const o = subObject(raw, 'stale', '{ "after": "30s" }', say);
  if (!o) return null;
  let unreadable = false;
  const afterMs = duration(o.after, 'stale.after', (text) => {
    unreadable = true;
    say(text);
  });
  if (afterMs <= 0 && !unreadable) say('"stale.after" must be a duration above 0, such as "30s".');
  return { afterMs, priority: checkPriority(o.priority, 'stale.priority', say) };
}

function isScalar(v: unknown): v is string | number | boolean {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

function checkQuality(raw: unknown, say: Say): AlarmRule['quality'] {
  const o = subObject(raw, 'quality', '{ "field": "quality", "good": ["good"] }', say);
  if (!o) return null;
  const field = optionalText(o.field, 'quality.field', say);
  if (!field) say('"quality.field" names the field that carries the quality, such as "quality".');
  const good = o.good;
  if (!Array.isArray(good) || good.length === 0 || !good.every(isScalar)) {
    say('"quality.good" must list the good values, such as ["good", 192].');
  }
  return {
    field: field ?? '',
    good: Array.isArray(good) ? good.filter(isScalar) : [],
    priority: checkPriority(o.priority, 'quality.priority', say),
  };
}

function checkDiscrete(raw: unknown, say: Say): AlarmRule['discrete'] {
  const o = subObject(raw, 'discrete', '{ "values": [true] }', say);
  if (!o) return null;
  const values = o.values;
  if (!Array.isArray(values) || values.length === 0 || !values.every(isScalar)) {
    say('"discrete.values" must list the values that are an alarm, such as [true] or ["OPEN"].');
  }
  return {
    values: Array.isArray(values) ? values.filter(isScalar) : [],
    priority: checkPriority(o.priority, 'discrete.priority', say),
  };
}

function checkSuppressWhen(raw: unknown, say: Say): AlarmRule['suppressWhen'] {
  const o = subObject(raw, 'suppressWhen', '{ "field": "running", "equals": false }', say);
  if (!o) return null;
  const field = optionalText(o.field, 'suppressWhen.field', say);
  if (!field) say('"suppressWhen.field" names the field to watch, such as "running".');
  if (!isScalar(o.equals)) say('"suppressWhen.equals" must be a number, a text or true/false.');
  return { field: field ?? '', equals: isScalar(o.equals) ? o.equals : false };
}

function optionalText(raw: unknown, what: string, say: Say): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw === 'string') return raw.trim();
  say(`"${what}" must be a text; got ${JSON.stringify(raw)}.`);
  return undefined;
}

/** A glob ('PRESSURE-*', 'H2S-?1') as an anchored regular expression. */
export function globToRegExp(glob: string): RegExp {
  let out = '^';
  for (const ch of glob) {
    if (ch === '*') out += '.*';
    else if (ch === '?') out += '.';
    else out += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`${out}$`);
}

function suggest(key: string, known: ReadonlySet<string>): string {
  const lower = key.toLowerCase();
  for (const k of known)
    if (k.toLowerCase() === lower || distance(k.toLowerCase(), lower) <= 2) return `; did you mean "${k}"?`;
  return '';
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const here = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = here;
    }
  }
  return row[b.length]!;
}
