/**
 * Scalar functions and operators, by the names the binder uses in `apply` expressions. Each takes
 * evaluated arguments (lazy ones, such as AND and coalesce, are in compile.ts). NULL in, NULL out
 * unless the function says otherwise, as in SQLite.
 */
import { isIntegral, type SqlType, type Value } from '../plan/logical';
import { SqlError } from '../sql/errors';
import { globMatches, likeMatches } from './like';
import { isoOf, julianDay, parseInterval, parseIso, sqliteTime, strftime, timeBucket } from './time';
import { compareValues, numericAffinity, toNumber, toText, truth } from './values';

export interface EvalContext {
  /** the query's fixed "now", ms */
  readonly now: number;
}

export type ScalarImpl = (
  args: Value[],
  argTypes: readonly SqlType[],
  type: SqlType,
  ctx: EvalContext,
) => Value;

const anyNull = (args: Value[]): boolean => args.some((a) => a === null);

/** Whether a number from a value of static type `t` counts as an integer (SQLite's INTEGER). */
function isIntValue(v: Value, t: SqlType): boolean {
  if (isIntegral(t)) return true;
  if (t === 'float') return false;
  if (typeof v === 'boolean') return true;
  if (typeof v === 'string') return /^\s*[+-]?\d+\s*$/.test(v) || !/^\s*[+-]?(\d+(\.\d*)?|\.\d+)/.test(v);
  return typeof v === 'number' && Number.isInteger(v);
}

function arithmetic(op: string): ScalarImpl {
  return (args, types, type) => {
    const [a, b] = args as [Value, Value];
    if (a === null || b === null) return null;
    const x = toNumber(a);
    const y = toNumber(b);
    const intMode =
      type === 'int' ||
      type === 'time' ||
      (type === 'any' && isIntValue(a, types[0]!) && isIntValue(b, types[1]!));
    switch (op) {
      case '+':
        return x + y;
      case '-':
        return x - y;
      case '*':
        return x * y;
      case '/':
        if (y === 0) return null;
        return intMode ? Math.trunc(x / y) + 0 : x / y;
      default: {
        // SQLite's % works on the integer parts, and gives a float when an operand is a float
        const yi = Math.trunc(y);
        return yi === 0 ? null : (Math.trunc(x) % yi) + 0;
      }
    }
  };
}

function comparison(test: (c: number) => boolean): ScalarImpl {
  return (args) => {
    const [a, b] = args as [Value, Value];
    if (a === null || b === null) return null;
    return test(compareValues(a, b));
  };
}

/** `text LIKE pattern` or `GLOB` (`glob`) of two SQL values, NULL in, NULL out (exec/like.ts). */
function patternMatch(glob: boolean, negate: boolean): ScalarImpl {
  return (args, types) => {
    if (anyNull(args)) return null;
    const text = textOf(args[0]!, types[0]!)!;
    const pattern = textOf(args[1]!, types[1]!)!;
    return (glob ? globMatches(text, pattern) : likeMatches(text, pattern)) !== negate;
  };
}

/** SQLite's round: the decimal rounding of the exact binary value, halves away from zero. */
function roundHalfAway(x: number, digits: number): number {
  if (!Number.isFinite(x) || Math.abs(x) >= 1e21) return x;
  const r = Number(Math.abs(x).toFixed(Math.min(100, Math.max(0, digits))));
  return x < 0 ? -r : r;
}

function sqliteSubstr(s: string, start: number, len: number | undefined): string {
  const chars = Array.from(s);
  const n = chars.length;
  let p1 = Math.trunc(start);
  let p2 = len === undefined ? n + 1 : Math.trunc(len);
  if (p1 < 0) {
    p1 += n;
    if (p1 < 0) {
      p2 += p1;
      p1 = 0;
    }
  } else if (p1 > 0) p1--;
  else if (len !== undefined) p2--;
  if (p2 < 0) {
    p1 += p2;
    p2 = -p2;
    if (p1 < 0) {
      p2 += p1;
      p1 = 0;
    }
  }
  return chars.slice(p1, Math.max(p1, p1 + p2)).join('');
}

function trimChars(s: string, chars: string, left: boolean, right: boolean): string {
  let a = 0;
  let b = s.length;
  if (left) while (a < b && chars.includes(s[a]!)) a++;
  if (right) while (b > a && chars.includes(s[b - 1]!)) b--;
  return s.slice(a, b);
}

function math(fn: (x: number) => number): ScalarImpl {
  return (args) => {
    if (args[0] === null) return null;
    const r = fn(toNumber(args[0]!));
    return Number.isNaN(r) ? null : r;
  };
}

function intervalMs(v: Value): number {
  const ms = typeof v === 'string' ? parseInterval(v) : toNumber(v);
  if (!(ms > 0))
    throw new SqlError(`A time bucket's width must be positive; got ${String(v)}.`, 'HELIOS_SQL_TYPE');
  return ms;
}

function timeOf(v: Value): number | null {
  if (v === null) return null;
  if (typeof v === 'string') return parseIso(v) ?? (numericAffinity(v) === v ? null : Number(v));
  return toNumber(v);
}

/** Most ms from 1970 a JavaScript Date holds (±100,000,000 days): beyond it there is no calendar. */
const DATE_RANGE_MS = 8.64e15;

/** `ms` when it is a time with a calendar date, else null (SQLite's datetime(1e300) is NULL too). */
function calendarMs(ms: number | null): number | null {
  return ms === null || !Number.isFinite(ms) || Math.abs(ms) > DATE_RANGE_MS ? null : ms;
}

function dateTimeFn(format: string | null): ScalarImpl {
  return (args, _t, _type, ctx) => {
    const ms = calendarMs(sqliteTime(args, ctx.now));
    if (ms === null) return null;
    return format === null ? julianDay(ms) : strftime(format, ms);
  };
}

const textOf = (v: Value, t: SqlType): string | null =>
  toText(v, t === 'float' || (t === 'any' && typeof v === 'number' && !Number.isInteger(v)));

function typeName(v: Value, t: SqlType): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return 'text';
  if (typeof v === 'boolean' || isIntegral(t)) return 'integer';
  if (t === 'float') return 'real';
  return Number.isInteger(v) ? 'integer' : 'real';
}

function castTo(target: 'int' | 'float' | 'string' | 'bool'): ScalarImpl {
  return (args, types) => {
    const v = args[0]!;
    if (v === null) return null;
    switch (target) {
      case 'int':
        return Math.trunc(toNumber(v));
      case 'float':
        return toNumber(v);
      case 'string':
        return textOf(v, types[0]!);
      default:
        return truth(v);
    }
  };
}

/** Every scalar implementation by name. */
export const SCALAR_IMPLS: Readonly<Record<string, ScalarImpl>> = {
  '+': arithmetic('+'),
  '-': arithmetic('-'),
  '*': arithmetic('*'),
  '/': arithmetic('/'),
  '%': arithmetic('%'),
  '||': (args, types) =>
    anyNull(args) ? null : `${textOf(args[0]!, types[0]!)}${textOf(args[1]!, types[1]!)}`,
  '=': comparison((c) => c === 0),
  '!=': comparison((c) => c !== 0),
  '<': comparison((c) => c < 0),
  '<=': comparison((c) => c <= 0),
  '>': comparison((c) => c > 0),
  '>=': comparison((c) => c >= 0),
  neg: (args) => (args[0] === null ? null : -toNumber(args[0]!)),
  not: (args) => {
    const t = truth(args[0]!);
    return t === null ? null : !t;
  },
  is_null: (args) => args[0] === null,
  is_not_null: (args) => args[0] !== null,
  like: patternMatch(false, false),
  not_like: patternMatch(false, true),
  glob: patternMatch(true, false),
  not_glob: patternMatch(true, true),
  to_time: (args) => timeOf(args[0]!),
  to_num: (args) => numericAffinity(args[0]!),
  to_text: (args, types) => textOf(args[0]!, types[0]!),
  cast_int: castTo('int'),
  cast_float: castTo('float'),
  cast_string: castTo('string'),
  cast_bool: castTo('bool'),
  abs: (args) => (args[0] === null ? null : Math.abs(toNumber(args[0]!))),
  round: (args) =>
    anyNull(args)
      ? null
      : roundHalfAway(toNumber(args[0]!), args.length > 1 ? Math.trunc(toNumber(args[1]!)) : 0),
  floor: (args, types) =>
    args[0] === null ? null : isIntegral(types[0]!) ? toNumber(args[0]!) : Math.floor(toNumber(args[0]!)),
  ceil: (args, types) =>
    args[0] === null ? null : isIntegral(types[0]!) ? toNumber(args[0]!) : Math.ceil(toNumber(args[0]!)),
  ceiling: (args, types, type, ctx) => SCALAR_IMPLS.ceil!(args, types, type, ctx),
  sqrt: math((x) => (x < 0 ? Number.NaN : Math.sqrt(x))),
  exp: math(Math.exp),
  ln: math((x) => (x <= 0 ? Number.NaN : Math.log(x))),
  log10: math((x) => (x <= 0 ? Number.NaN : Math.log10(x))),
  log: (args) => {
    if (anyNull(args)) return null;
    const x = toNumber(args[args.length - 1]!);
    const base = args.length > 1 ? toNumber(args[0]!) : 10;
    if (x <= 0 || base <= 0 || base === 1) return null;
    return Math.log(x) / Math.log(base);
  },
  power: (args) => (anyNull(args) ? null : toNumber(args[0]!) ** toNumber(args[1]!)),
  pow: (args) => (anyNull(args) ? null : toNumber(args[0]!) ** toNumber(args[1]!)),
  sign: (args) => (args[0] === null ? null : Math.sign(toNumber(args[0]!))),
  mod: arithmetic('%'),
  lower: (args, types) => (args[0] === null ? null : textOf(args[0]!, types[0]!)!.toLowerCase()),
  upper: (args, types) => (args[0] === null ? null : textOf(args[0]!, types[0]!)!.toUpperCase()),
  length: (args, types) => (args[0] === null ? null : Array.from(textOf(args[0]!, types[0]!)!).length),
  substr: (args, types) =>
    anyNull(args)
      ? null
      : sqliteSubstr(
          textOf(args[0]!, types[0]!)!,
          toNumber(args[1]!),
          args.length > 2 ? toNumber(args[2]!) : undefined,
        ),
  substring: (args, types, type, ctx) => SCALAR_IMPLS.substr!(args, types, type, ctx),
  trim: (args, types) =>
    anyNull(args)
      ? null
      : trimChars(textOf(args[0]!, types[0]!)!, args.length > 1 ? String(args[1]) : ' ', true, true),
  ltrim: (args, types) =>
    anyNull(args)
      ? null
      : trimChars(textOf(args[0]!, types[0]!)!, args.length > 1 ? String(args[1]) : ' ', true, false),
  rtrim: (args, types) =>
    anyNull(args)
      ? null
      : trimChars(textOf(args[0]!, types[0]!)!, args.length > 1 ? String(args[1]) : ' ', false, true),
  replace: (args, types) => {
    if (anyNull(args)) return null;
    const s = textOf(args[0]!, types[0]!)!;
    const from = textOf(args[1]!, types[1]!)!;
    return from === '' ? s : s.split(from).join(textOf(args[2]!, types[2]!)!);
  },
  instr: (args, types) =>
    anyNull(args) ? null : textOf(args[0]!, types[0]!)!.indexOf(textOf(args[1]!, types[1]!)!) + 1,
  concat: (args, types) => args.map((a, i) => (a === null ? '' : textOf(a, types[i]!))).join(''),
  nullif: (args) =>
    args[0] !== null && args[1] !== null && compareValues(args[0]!, args[1]!) === 0 ? null : args[0]!,
  greatest: (args) =>
    pick(
      args.filter((a) => a !== null),
      1,
    ),
  least: (args) =>
    pick(
      args.filter((a) => a !== null),
      -1,
    ),
  max_scalar: (args) => (anyNull(args) ? null : pick(args, 1)),
  min_scalar: (args) => (anyNull(args) ? null : pick(args, -1)),
  typeof: (args, types) => typeName(args[0]!, types[0]!),
  now: (_a, _t, _type, ctx) => ctx.now,
  time_bucket: (args) => {
    if (args[1] === null || args[0] === null) return null;
    const t = timeOf(args[1]!);
    if (t === null) return null;
    const origin = args.length > 2 && args[2] !== null ? timeOf(args[2]!) : undefined;
    // a time or origin past any calendar (1e300) has no bucket: NULL, not a rounded 1e300
    if (calendarMs(t) === null || (origin !== undefined && origin !== null && calendarMs(origin) === null))
      return null;
    return calendarMs(timeBucket(intervalMs(args[0]!), t, origin ?? undefined));
  },
  strftime: (args, _t, _type, ctx) => {
    if (args[0] === null) return null;
    const ms = calendarMs(sqliteTime(args.slice(1), ctx.now));
    return ms === null ? null : strftime(String(args[0]), ms);
  },
  datetime: dateTimeFn('%Y-%m-%d %H:%M:%S'),
  date: dateTimeFn('%Y-%m-%d'),
  julianday: dateTimeFn(null),
  unixepoch: (args, _t, _type, ctx) => {
    const ms = sqliteTime(args, ctx.now);
    return ms === null || Number.isNaN(ms) ? null : Math.floor(ms / 1000);
  },
  epoch_ms: (args) => timeOf(args[0]!),
  interval_ms: (args) => parseInterval(String(args[0])),
  iso8601: (args) => {
    const ms = args[0] === null ? null : calendarMs(toNumber(args[0]!));
    return ms === null ? null : isoOf(ms);
  },
};

function pick(values: Value[], sign: number): Value {
  let best: Value = null;
  for (const v of values) if (best === null || compareValues(v, best) * sign > 0) best = v;
  return best;
}
