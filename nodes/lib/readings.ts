import { clipText as clip, MAX_TIME, parseIsoTime, type Reading, shareTags } from '../../engine/index';
import { isPlainObject } from './plain-object';
import type { NodeMessage } from './red';

/** helios-store settings that shape how a message becomes readings. */
export interface ReadingRules {
  /** table from the node's config; '' to take msg.measurement (then 'readings') */
  table: string;
  /** tag key that receives msg.topic for a bare number */
  topicTag: string;
  /** field name that receives a bare number */
  valueField: string;
  /** payload properties that are tags, not fields, in an object of fields */
  tagProps: readonly string[];
  /** unit of numeric times: milliseconds (default), seconds, microseconds or nanoseconds */
  timeUnit: TimeUnit;
}

/** The unit of numeric times, as node-red-contrib-influxdb offers them (its `u` is `us` here). */
export type TimeUnit = 'ns' | 'us' | 'ms' | 's';

export const TIME_UNITS: readonly TimeUnit[] = ['ns', 'us', 'ms', 's'];

/** Milliseconds of `value` in `unit` (not rounded), and back: integer factors, no float drift. */
function toMs(value: number, unit: TimeUnit): number {
  return unit === 'ms' ? value : unit === 's' ? value * 1000 : unit === 'us' ? value / 1e3 : value / 1e6;
}
function fromMs(ms: number, unit: TimeUnit): number {
  return unit === 'ms' ? ms : unit === 's' ? ms / 1000 : unit === 'us' ? ms * 1e3 : ms * 1e6;
}
const UNIT_NAMES: Readonly<Record<TimeUnit, string>> = {
  ns: 'nanoseconds',
  us: 'microseconds',
  ms: 'milliseconds',
  s: 'seconds',
};
const YEAR_MS = 365.25 * 86_400_000;

/** The unit in which `value` would be a time within 20 years of `now`, if any but `unit` (units differ 1000-fold). */
function likelyUnit(value: number, unit: TimeUnit, now: number): TimeUnit | null {
  for (const u of TIME_UNITS) {
    if (u !== unit && Math.abs(toMs(value, u) - now) < 20 * YEAR_MS) return u;
  }
  return null;
}

/** Milliseconds of a reading's time as the normaliser made it (a number, a Date or an ISO string). */
function timeMs(time: Reading['time']): number {
  if (typeof time === 'number') return time;
  if (time instanceof Date) return time.getTime();
  return typeof time === 'string' ? (parseIsoTime(time) ?? Number.NaN) : Number.NaN;
}

/**
 * A warning when `time` (a reading's, as the normaliser made it) lies more than `limitMs` from `now`
 * (seconds sent while the node takes milliseconds land in January 1970), naming the unit it looks
 * like; null when it is plausible. helios-store gives it once per deploy.
 */
export function implausibleTime(
  time: Reading['time'],
  unit: TimeUnit,
  limitMs: number,
  now = Date.now(),
): string | null {
  const ms = timeMs(time);
  if (!Number.isFinite(ms) || Math.abs(ms - now) <= limitMs) return null;
  const years = Math.abs(ms - now) / YEAR_MS;
  const side = ms < now ? 'before now' : 'after now';
  const numeric = typeof time === 'number';
  const raw = fromMs(ms, unit);
  const given = numeric ? ` (${raw} ${UNIT_NAMES[unit]})` : '';
  return (
    `A reading has time ${new Date(ms).toISOString()}${given}, ${years.toFixed(1)} years ${side}.` +
    `${numeric ? unitHint(raw, unit, now) : ''} Warned once per deploy; the node's ` +
    '"Warn about times" option sets how far from now is plausible (0: never warn).'
  );
}

/**
 * helios-store's "Warn about times": the first implausible time of a deploy gets a warning, the
 * rest none. Cheap per message: a number within the limit is one subtraction and a comparison.
 */
export class TimeWarner {
  constructor(
    private limitMs: number,
    private readonly unit: TimeUnit,
  ) {}

  /** The warning for the first implausible time of `reading` (fast path) or `input`, once; else null. */
  check(reading: Reading | null, input: Normalised | null, now = Date.now()): string | null {
    if (this.limitMs <= 0) return null;
    const readings = input?.readings;
    const n = readings ? readings.length : 1;
    for (let i = 0; i < n; i++) {
      const time = readings ? readings[i]!.reading.time : reading?.time;
      if (time === undefined || (typeof time === 'number' && Math.abs(time - now) <= this.limitMs)) continue;
      const warning = implausibleTime(time, this.unit, this.limitMs, now);
      if (warning) {
        this.limitMs = 0;
        return warning;
      }
    }
    return null;
  }
}

function unitHint(value: number, unit: TimeUnit, now: number): string {
  const u = likelyUnit(value, unit, now);
  return u ? ` It looks like ${UNIT_NAMES[u]}: set the node's Numeric times to "are ${UNIT_NAMES[u]}".` : '';
}

/** A reading bound for a table, with the index of the payload item it came from. */
export interface TableReading {
  table: string;
  reading: Reading;
  /** index in msg.payload when it is an array, else 0 */
  index: number;
}

/** A payload item that could not be turned into a reading. */
export interface InvalidItem {
  index: number;
  message: string;
}

export interface Normalised {
  readings: TableReading[];
  invalid: InvalidItem[];
  /** true when msg.payload was an array (so messages name items as msg.payload[i]) */
  isArray: boolean;
}

export const DEFAULT_TABLE = 'readings';
const TIME_KEYS = ['time', 'timestamp'] as const;

type Plain = Record<string, unknown>;

/** A Date of any realm (a function node's `new Date()` is not `instanceof Date` here). */
function isDate(v: unknown): v is Date {
  return v instanceof Date || Object.prototype.toString.call(v) === '[object Date]';
}

class ItemError extends Error {}

/** What a non-plain object is, for a sentence: "a Buffer", "a Map", "a Uint8Array", "an instance of Foo". */
function objectKind(v: object): string {
  if (Array.isArray(v)) return 'an array';
  if (Buffer.isBuffer(v)) return 'a Buffer';
  if (isPlainObject(v)) return 'an object';
  const name = (v as { constructor?: { name?: unknown } }).constructor?.name;
  if (typeof name !== 'string' || name === '') return 'an object';
  if (ArrayBuffer.isView(v) || /^(Date|Map|Set|WeakMap|WeakSet|Promise|ArrayBuffer|RegExp)$/.test(name)) {
    return `a ${name}`;
  }
  return `an instance of ${name}`;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'object') return objectKind(v);
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  // JSON.stringify throws for a bigint; a 10 MB string is quoted in part
  return `${typeof v} ${typeof v === 'string' ? JSON.stringify(clip(v)) : String(v)}`;
}

const ACCEPTED =
  'send a number (with msg.topic), an object of fields such as {"temperature": 21.5}, ' +
  '{ measurement, fields, tags } or an array of these';

function notAReading(item: unknown): ItemError {
  if (Buffer.isBuffer(item)) {
    return new ItemError(
      "is a Buffer (raw bytes), which is not a reading: set the MQTT or TCP node's output to a parsed " +
        'JSON object or a string, or convert it with a JSON node; then send a number or an object of fields.',
    );
  }
  return new ItemError(`is ${describe(item)}, which is not a reading; ${ACCEPTED}.`);
}

/**
 * NaN and ±Infinity cannot be kept (a column holds finite numbers; they would come back as null),
 * and a Buffer, Map, Set or class instance is not a value: an invalid reading, named with what is
 * accepted, rather than stored changed.
 */
function checkValue(key: string, v: unknown): void {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) {
      throw new ItemError(
        `has field "${key}" = ${v}, which cannot be stored: numbers must be finite. ` +
          'Leave the field out for a missing value, or filter the reading before helios-store.',
      );
    }
  } else if (v !== null && typeof v === 'object' && !isPlainObject(v) && !Array.isArray(v)) {
    const hint = Buffer.isBuffer(v)
      ? ' (decode it first, e.g. with msg.payload.toString() or a buffer-parser node)'
      : '';
    throw new ItemError(
      `has field "${key}" = ${objectKind(v)}${hint}; field values must be numbers, booleans or text.`,
    );
  }
}

function checkFields(fields: Plain): void {
  for (const key in fields) checkValue(key, fields[key]);
}

/**
 * A time as the engine takes it. Numbers (and bigints) are in `unit` (milliseconds by default),
 * rounded to milliseconds; strings of digits are numbers; other strings must be ISO-8601 dates.
 * A number past the times Helios keeps (±2^50 ms, about the year 37648) is an error that says
 * which unit it looks like (InfluxDB users send nanoseconds).
 */
export function toTime(raw: unknown, unit: TimeUnit, now = Date.now()): number | Date | string {
  if (raw instanceof Date) return raw;
  if (isDate(raw)) return new Date(raw.getTime());
  let value = raw;
  if (typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) value = Number(value);
  if (typeof value === 'bigint') value = Number(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new ItemError(`has time ${describe(raw)}, which is not a date.`);
    const ms = Math.round(toMs(value, unit));
    if (Math.abs(ms) > MAX_TIME) {
      throw new ItemError(
        `has time ${String(raw).trim()} (${UNIT_NAMES[unit]}), past the times Helios keeps ` +
          `(up to ${MAX_TIME} ms since 1970, about the year 37648).${unitHint(value, unit, now)}`,
      );
    }
    return ms;
  }
  if (typeof value === 'string') {
    // the engine's reading of ISO-8601 (no zone: UTC), never Date.parse's ('Sensor 7' is July 2001)
    if (parseIsoTime(value) === undefined) {
      throw new ItemError(
        `has time ${JSON.stringify(clip(value))}, which is neither a number nor an ISO-8601 date ` +
          "such as '2026-01-31T12:00:00Z' (no zone means UTC).",
      );
    }
    return value;
  }
  throw new ItemError(`has time ${describe(raw)}; give milliseconds, an ISO-8601 string or a Date.`);
}

/** A bare value: a number, a boolean, or a string holding a number (as MQTT delivers them). */
function bareValue(v: unknown): number | boolean | null {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new ItemError(`is ${v}, which cannot be stored: numbers must be finite.`);
    return v;
  }
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return null;
}

function tagsFrom(v: unknown, what: string): Plain {
  if (v === undefined || v === null) return {};
  if (!isPlainObject(v)) throw new ItemError(`has ${what} that is ${describe(v)}, not an object.`);
  return v;
}

/** Converts payloads item by item; `now` is the time of readings that carry none. */
class Normaliser {
  readonly readings: TableReading[] = [];
  readonly invalid: InvalidItem[] = [];
  private readonly msgTags: Plain;
  private readonly msgTime: number | Date | string | undefined;
  private readonly msgTable: string;
  private readonly tagProps: ReadonlySet<string>;
  private readonly hasMsgTags: boolean;

  constructor(
    private readonly rules: ReadingRules,
    private readonly msg: NodeMessage,
    private readonly now: number,
    tagProps: ReadonlySet<string>,
  ) {
    this.msgTags = tagsFrom(msg.tags, 'msg.tags');
    this.tagProps = tagProps;
    this.hasMsgTags = Object.keys(this.msgTags).length > 0;
    this.msgTime = msg.timestamp === undefined ? undefined : toTime(msg.timestamp, rules.timeUnit);
    this.msgTable = tableOf(rules, msg);
  }

  add(item: unknown, index: number): void {
    try {
      const { table, reading } = this.toReading(item);
      this.readings.push({ table, reading, index });
    } catch (err) {
      if (!(err instanceof ItemError)) throw err;
      this.invalid.push({ index, message: err.message });
    }
  }

  private time(raw: unknown): number | Date | string {
    if (raw !== undefined && raw !== null) return toTime(raw, this.rules.timeUnit);
    return this.msgTime ?? this.now;
  }

  private withMsgTags(tags: Plain): Plain {
    return this.hasMsgTags ? { ...this.msgTags, ...tags } : tags;
  }

  private toReading(item: unknown): { table: string; reading: Reading } {
    const value = bareValue(item);
    if (value !== null) return this.fromValue(value);
    if (Array.isArray(item)) return this.fromPair(item);
    if (!isPlainObject(item)) throw notAReading(item);
    if (isPlainObject(item.fields)) return this.fromInflux(item);
    return this.fromFields(item);
  }

  private fromValue(value: number | boolean): { table: string; reading: Reading } {
    const topic = this.msg.topic;
    const tags: Plain = {};
    if (typeof topic === 'string' && topic !== '') tags[this.rules.topicTag] = topic;
    else if (typeof topic === 'number' || typeof topic === 'boolean')
      tags[this.rules.topicTag] = String(topic);
    else if (topic !== undefined && topic !== null && topic !== '') {
      // an object topic used to be dropped, merging its readings into the series without a topic
      throw new ItemError(
        `has msg.topic = ${describe(topic)}; the topic names the series as text (e.g. "sensors/T1"), ` +
          'so set msg.topic to a string, or move the value into msg.payload as an object of fields.',
      );
    }
    return {
      table: this.msgTable,
      reading: {
        time: this.time(undefined),
        tags: this.withMsgTags(tags) as Reading['tags'] & object,
        fields: { [this.rules.valueField]: value },
      },
    };
  }

  /** node-red-contrib-influxdb's [fields, tags] pair. */
  private fromPair(item: unknown[]): { table: string; reading: Reading } {
    const [fields, tags] = item;
    if (item.length < 1 || item.length > 2 || !isPlainObject(fields)) {
      throw new ItemError('is an array but not a [fields, tags] pair.');
    }
    const { time, rest } = splitTime(fields);
    checkFields(rest);
    return {
      table: this.msgTable,
      reading: {
        time: this.time(time),
        tags: this.withMsgTags(tagsFrom(tags, 'tags')) as Reading['tags'] & object,
        fields: rest as Reading['fields'],
      },
    };
  }

  /** { measurement, tags, fields, timestamp } as node-red-contrib-influxdb batches send it. */
  private fromInflux(item: Plain): { table: string; reading: Reading } {
    const m = item.measurement;
    checkFields(item.fields as Plain);
    return {
      table: typeof m === 'string' && m !== '' ? m : this.msgTable,
      reading: {
        time: this.time(item.timestamp ?? item.time),
        tags: this.withMsgTags(tagsFrom(item.tags, 'tags')) as Reading['tags'] & object,
        fields: item.fields as Reading['fields'],
      },
    };
  }

  /**
   * An object of fields; `tags`, configured tag properties and time keys are taken out. One pass and
   * no `delete`: this is the hot path of messages with many readings.
   */
  private fromFields(item: Plain): { table: string; reading: Reading } {
    const fields: Plain = {};
    let time: unknown;
    let timestamp: unknown;
    let tagsObject: Plain | null = null;
    let propTags: Plain | null = null;
    for (const key in item) {
      const v = item[key];
      if (key === 'time') time = v;
      else if (key === 'timestamp') timestamp = v;
      else if (key === 'tags') tagsObject = tagsFrom(v, 'tags');
      else if (this.tagProps.has(key)) (propTags ??= {})[key] = v;
      else {
        if (typeof v === 'number' ? !Number.isFinite(v) : typeof v === 'object' && v !== null)
          checkValue(key, v);
        fields[key] = v;
      }
    }
    const own = tagsObject && propTags ? { ...tagsObject, ...propTags } : (tagsObject ?? propTags ?? {});
    return {
      table: this.msgTable,
      reading: {
        time: this.time(time ?? timestamp),
        tags: this.withMsgTags(own) as Reading['tags'] & object,
        fields: fields as Reading['fields'],
      },
    };
  }
}

/** The table of a message's readings unless an item names its own: the node's, msg.measurement, or the default. */
function tableOf(rules: ReadingRules, msg: NodeMessage): string {
  const m = msg.measurement;
  return rules.table !== '' ? rules.table : typeof m === 'string' && m !== '' ? m : DEFAULT_TABLE;
}

function splitTime(obj: Plain): { time: unknown; rest: Plain } {
  const rest: Plain = { ...obj };
  let time: unknown;
  for (const key of TIME_KEYS) {
    if (key in rest) {
      time ??= rest[key];
      delete rest[key];
    }
  }
  return { time, rest };
}

/**
 * Is this array one [fields, tags] pair (node-red-contrib-influxdb's single point) rather than a
 * batch of two readings? Only when it holds exactly two plain objects, neither shaped like a reading,
 * and the second has only text values (tags are text).
 */
export function isSinglePair(payload: unknown[]): boolean {
  if (payload.length !== 2) return false;
  const [a, b] = payload;
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  const readingLike = (o: Plain) => 'fields' in o || 'measurement' in o || 'tags' in o;
  if (readingLike(a) || readingLike(b)) return false;
  const values = Object.values(b);
  return values.length > 0 && values.every((v) => typeof v === 'string');
}

const NO_TAGS: Readonly<Record<string, string>> = shareTags({});
/** Topics whose tags objects a reader keeps; past this it starts over (topics may be unbounded). */
const MAX_CACHED_TOPICS = 10_000;

/**
 * Turns messages into readings for one helios-store node; the rules are prepared once, not per
 * message. Items that cannot be readings are listed in `invalid` with the reason; the engine
 * validates the rest (types, names) when they are written.
 */
export class MessageReader {
  private readonly tagProps: ReadonlySet<string>;
  /** one shared tags object per topic: the engine knows its series by identity */
  private readonly topicTags = new Map<string, Readonly<Record<string, string>>>();

  constructor(private readonly rules: ReadingRules) {
    this.tagProps = new Set(rules.tagProps);
  }

  /**
   * The fast path for the dominant shape, a bare value with msg.topic (and msg.timestamp in
   * milliseconds, or none): its one reading for table `table(msg)`, the same as `read` makes,
   * without the per-message scaffolding. Null for every other shape; `read` takes those.
   */
  single(msg: NodeMessage): Reading | null {
    if (msg.tags !== undefined && msg.tags !== null) return null;
    const payload = msg.payload;
    if (typeof payload === 'number' && !Number.isFinite(payload)) return null; // the general path says why
    const value = bareValue(payload);
    if (value === null) return null;
    const stamp = msg.timestamp;
    let time: number;
    if (stamp === undefined) time = Date.now();
    else if (typeof stamp === 'number' && Math.abs(stamp) <= MAX_TIME && this.rules.timeUnit === 'ms')
      time = Number.isInteger(stamp) ? stamp : Math.round(stamp);
    else return null;
    const topic = msg.topic;
    // any other topic (a number, an object) takes the general path, which says what it does with it
    if (typeof topic !== 'string' && topic !== undefined && topic !== null) return null;
    const tags = typeof topic === 'string' && topic !== '' ? this.tagsOf(topic) : NO_TAGS;
    const fields: Plain = {};
    fields[this.rules.valueField] = value;
    return { time, tags, fields };
  }

  /** The table of a message's readings (unless an item names its own). */
  table(msg: NodeMessage): string {
    return tableOf(this.rules, msg);
  }

  private tagsOf(topic: string): Readonly<Record<string, string>> {
    let tags = this.topicTags.get(topic);
    if (!tags) {
      if (this.topicTags.size >= MAX_CACHED_TOPICS) this.topicTags.clear();
      tags = shareTags({ [this.rules.topicTag]: topic });
      this.topicTags.set(topic, tags);
    }
    return tags;
  }

  /** Every shape: the message's readings, and the items that cannot be readings. */
  read(msg: NodeMessage, now = Date.now()): Normalised {
    let normaliser: Normaliser;
    try {
      normaliser = new Normaliser(this.rules, msg, now, this.tagProps);
    } catch (err) {
      if (err instanceof ItemError) {
        // msg.tags or msg.timestamp is wrong: every item is.
        return {
          readings: [],
          invalid: [{ index: -1, message: `The message ${err.message}` }],
          isArray: false,
        };
      }
      throw err;
    }
    const payload = msg.payload;
    if (Array.isArray(payload) && !isSinglePair(payload)) {
      if (payload.length === 0) {
        return {
          readings: [],
          invalid: [{ index: -1, message: 'msg.payload is an empty array.' }],
          isArray: true,
        };
      }
      for (let i = 0; i < payload.length; i++) normaliser.add(payload[i], i);
      return { readings: normaliser.readings, invalid: prefix(normaliser.invalid, true), isArray: true };
    }
    normaliser.add(payload, 0);
    return { readings: normaliser.readings, invalid: prefix(normaliser.invalid, false), isArray: false };
  }
}

/** A message's readings by `MessageReader.read` (for one-off use; a node keeps its reader). */
export function normaliseMessage(rules: ReadingRules, msg: NodeMessage, now = Date.now()): Normalised {
  return new MessageReader(rules).read(msg, now);
}

/** The Normalised form of one reading, for the paths that take any message. */
export function normalisedOf(table: string, reading: Reading): Normalised {
  return {
    readings: [{ table, reading, index: 0 }],
    invalid: [],
    isArray: false,
  };
}

function prefix(invalid: InvalidItem[], isArray: boolean): InvalidItem[] {
  return invalid.map(({ index, message }) => ({
    index,
    message: `${isArray ? `msg.payload[${index}]` : 'msg.payload'} ${message}`,
  }));
}

/** Groups readings by table, keeping payload order inside each table. */
export function byTable(readings: readonly TableReading[]): Map<string, TableReading[]> {
  const groups = new Map<string, TableReading[]>();
  for (const r of readings) {
    let list = groups.get(r.table);
    if (!list) {
      list = [];
      groups.set(r.table, list);
    }
    list.push(r);
  }
  return groups;
}
