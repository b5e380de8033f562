/**
 * Signatures of the SQL functions the binder knows: arity and result type. The implementations
 * live in engine/exec/scalar.ts and engine/exec/aggregates.ts under the same names (a test checks
 * both lists agree).
 */
import { isIntegral, type SqlType, unifyTypes } from './logical';

export interface FunctionSignature {
  readonly min: number;
  /** Infinity for variadic */
  readonly max: number;
  readonly returns: (args: readonly SqlType[]) => SqlType;
  /** shown in arity errors, e.g. 'round(x [, digits])' */
  readonly usage: string;
}

const fixed = (t: SqlType) => (): SqlType => t;
const first = (args: readonly SqlType[]): SqlType => args[0] ?? 'any';
const numericOf = (args: readonly SqlType[]): SqlType => {
  const t = args[0] ?? 'any';
  if (isIntegral(t)) return t === 'time' ? 'int' : t === 'bool' ? 'int' : 'int';
  return t === 'float' ? 'float' : t === 'null' ? 'null' : 'any';
};
const unifyAll = (args: readonly SqlType[]): SqlType =>
  args.reduce<SqlType>((a, b) => unifyTypes(a, b), 'null');

const sig = (
  min: number,
  max: number,
  returns: FunctionSignature['returns'],
  usage: string,
): FunctionSignature => ({
  min,
  max,
  returns,
  usage,
});

/** Scalar functions callable from SQL (operators are internal and not listed here). */
export const SCALAR_FUNCTIONS: Readonly<Record<string, FunctionSignature>> = {
  abs: sig(1, 1, numericOf, 'abs(x)'),
  round: sig(1, 2, fixed('float'), 'round(x [, digits])'),
  floor: sig(1, 1, numericOf, 'floor(x)'),
  ceil: sig(1, 1, numericOf, 'ceil(x)'),
  ceiling: sig(1, 1, numericOf, 'ceiling(x)'),
  sqrt: sig(1, 1, fixed('float'), 'sqrt(x)'),
  power: sig(2, 2, fixed('float'), 'power(x, y)'),
  pow: sig(2, 2, fixed('float'), 'pow(x, y)'),
  exp: sig(1, 1, fixed('float'), 'exp(x)'),
  ln: sig(1, 1, fixed('float'), 'ln(x)'),
  log10: sig(1, 1, fixed('float'), 'log10(x)'),
  log: sig(1, 2, fixed('float'), 'log([base,] x)'),
  sign: sig(1, 1, fixed('int'), 'sign(x)'),
  mod: sig(2, 2, (a) => unifyTypes(numericOf([a[0]!]), numericOf([a[1]!])), 'mod(x, y)'),
  lower: sig(1, 1, fixed('string'), 'lower(text)'),
  upper: sig(1, 1, fixed('string'), 'upper(text)'),
  length: sig(1, 1, fixed('int'), 'length(text)'),
  substr: sig(2, 3, fixed('string'), 'substr(text, start [, length])'),
  substring: sig(2, 3, fixed('string'), 'substring(text, start [, length])'),
  trim: sig(1, 2, fixed('string'), 'trim(text [, characters])'),
  ltrim: sig(1, 2, fixed('string'), 'ltrim(text [, characters])'),
  rtrim: sig(1, 2, fixed('string'), 'rtrim(text [, characters])'),
  replace: sig(3, 3, fixed('string'), 'replace(text, from, to)'),
  instr: sig(2, 2, fixed('int'), 'instr(text, part)'),
  concat: sig(1, Number.POSITIVE_INFINITY, fixed('string'), 'concat(a, b, ...)'),
  coalesce: sig(1, Number.POSITIVE_INFINITY, unifyAll, 'coalesce(a, b, ...)'),
  ifnull: sig(2, 2, unifyAll, 'ifnull(a, b)'),
  nullif: sig(2, 2, first, 'nullif(a, b)'),
  iif: sig(3, 3, (a) => unifyTypes(a[1]!, a[2]!), 'iif(condition, then, else)'),
  greatest: sig(1, Number.POSITIVE_INFINITY, unifyAll, 'greatest(a, b, ...)'),
  least: sig(1, Number.POSITIVE_INFINITY, unifyAll, 'least(a, b, ...)'),
  typeof: sig(1, 1, fixed('string'), 'typeof(x)'),
  // time
  now: sig(0, 0, fixed('time'), 'now()'),
  time_bucket: sig(2, 3, fixed('time'), 'time_bucket(interval, time [, origin])'),
  date_bin: sig(2, 3, fixed('time'), 'date_bin(interval, time [, origin])'),
  time_bucket_gapfill: sig(2, 4, fixed('time'), 'time_bucket_gapfill(interval, time [, start, finish])'),
  strftime: sig(1, Number.POSITIVE_INFINITY, fixed('string'), 'strftime(format, timevalue [, modifier...])'),
  datetime: sig(0, Number.POSITIVE_INFINITY, fixed('string'), 'datetime([timevalue [, modifier...]])'),
  date: sig(0, Number.POSITIVE_INFINITY, fixed('string'), 'date([timevalue [, modifier...]])'),
  julianday: sig(0, Number.POSITIVE_INFINITY, fixed('float'), 'julianday([timevalue [, modifier...]])'),
  unixepoch: sig(0, Number.POSITIVE_INFINITY, fixed('int'), 'unixepoch([timevalue [, modifier...]])'),
  epoch_ms: sig(1, 1, fixed('time'), 'epoch_ms(iso_text_or_ms)'),
  iso8601: sig(1, 1, fixed('string'), 'iso8601(time)'),
};

/** Aggregate functions. `min`/`max` with two or more arguments are the scalar greatest/least. */
export const AGGREGATE_FUNCTIONS: Readonly<Record<string, FunctionSignature>> = {
  count: sig(0, 1, fixed('int'), 'count(*) or count([DISTINCT] x)'),
  sum: sig(1, 1, (a) => (isIntegral(a[0]!) ? 'int' : a[0] === 'float' ? 'float' : 'any'), 'sum(x)'),
  total: sig(1, 1, fixed('float'), 'total(x)'),
  avg: sig(1, 1, fixed('float'), 'avg(x)'),
  mean: sig(1, 1, fixed('float'), 'mean(x)'),
  min: sig(1, 1, first, 'min(x)'),
  max: sig(1, 1, first, 'max(x)'),
  first: sig(1, 2, first, 'first(x, time)'),
  last: sig(1, 2, first, 'last(x, time)'),
  stddev: sig(1, 1, fixed('float'), 'stddev(x)'),
  stddev_samp: sig(1, 1, fixed('float'), 'stddev_samp(x)'),
  stddev_pop: sig(1, 1, fixed('float'), 'stddev_pop(x)'),
  variance: sig(1, 1, fixed('float'), 'variance(x)'),
  var_samp: sig(1, 1, fixed('float'), 'var_samp(x)'),
  var_pop: sig(1, 1, fixed('float'), 'var_pop(x)'),
  median: sig(1, 1, fixed('float'), 'median(x)'),
  percentile_cont: sig(2, 2, fixed('float'), 'percentile_cont(x, fraction)'),
  quantile: sig(2, 2, fixed('float'), 'quantile(x, fraction)'),
  percentile_disc: sig(2, 2, first, 'percentile_disc(x, fraction)'),
  group_concat: sig(1, 2, fixed('string'), 'group_concat(x [, separator])'),
  string_agg: sig(2, 2, fixed('string'), 'string_agg(x, separator)'),
};

/** Wrappers valid only around an aggregate in a time_bucket_gapfill query. */
export const GAPFILL_FUNCTIONS = new Set(['locf', 'interpolate']);

export function isAggregateCall(name: string, argCount: number): boolean {
  if ((name === 'min' || name === 'max') && argCount >= 2) return false;
  return name in AGGREGATE_FUNCTIONS;
}
