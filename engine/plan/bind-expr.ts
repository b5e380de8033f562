/**
 * Binding expressions: names to slots, types, arity, parameters, implicit conversions (ISO text
 * compared with time, text compared with numbers), constant folding. Aggregate calls are handed to
 * an `AggregateBinder` when the clause allows them.
 */
import { clipText } from '../errors';
import type * as A from '../sql/ast';
import { didYouMean, SqlError, sqlErrorAt } from '../sql/errors';
import { printExpr } from '../sql/printer';
import { AGGREGATE_FUNCTIONS, GAPFILL_FUNCTIONS, isAggregateCall, SCALAR_FUNCTIONS } from './functions';
import {
  apply,
  type BExpr,
  constant,
  isIntegral,
  isNumeric,
  type SqlType,
  slot,
  unifyTypes,
  type Value,
} from './logical';

/** What the binder needs from its caller: the SQL text, parameters, "now", and how to evaluate constants. */
export interface BindContext {
  readonly sql: string;
  readonly params: readonly unknown[] | Readonly<Record<string, unknown>> | undefined;
  readonly now: number;
  /** evaluates an expression without slots (provided by the executor layer) */
  readonly fold: (e: BExpr) => Value;
  /** the values of each `IN (SELECT ...)`, run before the statement is bound (query/query.ts) */
  readonly subqueryValues?: ReadonlyMap<A.InList, readonly Value[]> | undefined;
}

export interface ScopeColumn {
  readonly name: string;
  readonly table?: string | undefined;
  readonly type: SqlType;
  readonly index: number;
  readonly role?: 'time' | 'tag' | 'field' | undefined;
  /** found by name but left out of `*` (a SQLite-shaped table's time and rowid) */
  readonly hidden?: boolean | undefined;
}

/** The columns visible to an expression, with the slot each one occupies in the input row. */
export class Scope {
  constructor(readonly columns: readonly ScopeColumn[]) {}

  find(name: string, table: string | undefined): ScopeColumn[] {
    const byTable = table === undefined ? this.columns : this.columns.filter((c) => sameName(c.table, table));
    const exact = byTable.filter((c) => c.name === name);
    return exact.length ? exact : byTable.filter((c) => c.name.toLowerCase() === name.toLowerCase());
  }

  hasTable(table: string): boolean {
    return this.columns.some((c) => sameName(c.table, table));
  }
}

function sameName(a: string | undefined, b: string): boolean {
  return a !== undefined && a.toLowerCase() === b.toLowerCase();
}

/** Receives aggregate calls met while binding a post-aggregation expression. */
export interface AggregateBinder {
  /** a slot of the aggregate's output for a group key equal to `e`, if any */
  groupSlot(e: A.Expr): BExpr | undefined;
  /** a slot of the aggregate's output for an input column that is a group key, if any */
  groupColumnSlot(index: number): BExpr | undefined;
  /** registers an aggregate call and returns the slot of its result */
  aggregate(call: A.Call): BExpr;
}

export interface ExprEnv {
  readonly scope: Scope;
  /** set when aggregates are allowed (select list, HAVING, ORDER BY of an aggregate query) */
  readonly agg?: AggregateBinder | undefined;
  /** the clause, for "not allowed in WHERE" errors */
  readonly clause: string;
}

const NON_FOLDABLE = new Set<string>();

export class ExprBinder {
  constructor(readonly ctx: BindContext) {}

  error(
    node: { pos?: number | undefined } | undefined,
    message: string,
    hint = '',
    code = 'HELIOS_SQL_BIND',
  ): SqlError {
    return sqlErrorAt(this.ctx.sql, node?.pos ?? 0, message, hint, code);
  }

  bind(e: A.Expr, env: ExprEnv): BExpr {
    if (env.agg) {
      const g = env.agg.groupSlot(e);
      if (g) return g;
    }
    switch (e.kind) {
      case 'number':
        return this.bindNumber(e);
      case 'string':
        return constant(e.value, 'string');
      case 'null':
        return constant(null, 'null');
      case 'bool':
        return constant(e.value, 'bool');
      case 'interval':
        return constant(this.interval(e), 'int');
      case 'param':
        return this.bindParam(e);
      case 'column':
        return this.bindColumn(e, env);
      case 'star':
        throw this.error(
          e,
          '"*" is only allowed as a whole select item or in count(*)',
          'List the columns, or write count(*).',
        );
      case 'unary':
        return this.bindUnary(e, env);
      case 'binary':
        return this.bindBinary(e.op, this.bind(e.left, env), this.bind(e.right, env), e);
      case 'isNull':
        return this.fold(apply(e.not ? 'is_not_null' : 'is_null', [this.bind(e.operand, env)], 'bool'));
      case 'between': {
        const x = this.bind(e.operand, env);
        const lo = this.bindBinary(e.not ? '<' : '>=', x, this.bind(e.low, env), e);
        const hi = this.bindBinary(e.not ? '>' : '<=', x, this.bind(e.high, env), e);
        return this.fold(apply(e.not ? 'OR' : 'AND', [lo, hi], 'bool'));
      }
      case 'in':
        return this.bindIn(e, env);
      case 'like': {
        const args = [this.bind(e.operand, env), this.bind(e.pattern, env)];
        const fn = e.glob ? 'glob' : 'like';
        return this.fold(apply(e.not ? `not_${fn}` : fn, args, 'bool'));
      }
      case 'case':
        return this.bindCase(e, env);
      case 'cast':
        return this.bindCast(e, env);
      case 'call':
        return this.bindCall(e, env);
      default:
        return e satisfies never;
    }
  }

  /** Evaluates an expression now when it has no column and no aggregate in it. */
  fold(e: BExpr): BExpr {
    if (e.kind === 'const' || !isConstant(e)) return e;
    if (e.kind === 'apply' && NON_FOLDABLE.has(e.fn)) return e;
    const value = this.ctx.fold(e);
    return constant(value, e.type === 'null' && value !== null ? typeOfValue(value) : e.type);
  }

  private bindNumber(e: A.NumberLit): BExpr {
    if (/^0[xX]/.test(e.text)) return constant(Number.parseInt(e.text.slice(2), 16), 'int');
    const n = Number(e.text);
    if (/^\d+$/.test(e.text) && Number.isSafeInteger(n)) return constant(n, 'int');
    return constant(n, 'float');
  }

  interval(e: A.IntervalLit): number {
    try {
      return this.ctx.fold(apply('interval_ms', [constant(e.text, 'string')], 'int')) as number;
    } catch (err) {
      if (err instanceof SqlError) throw this.error(e, err.message.replace(/\.$/, ''), '', err.code);
      throw err;
    }
  }

  private bindParam(e: A.Param): BExpr {
    const params = this.ctx.params;
    const noParams = 'Pass the values in msg.params: an array for ? and ?1, an object for $name and :name.';
    let value: unknown;
    let found = false;
    if (e.text === '?' || /^[?$]\d+$/.test(e.text)) {
      const n = e.text === '?' ? e.index! : Number(e.text.slice(1));
      if (Array.isArray(params)) {
        found = n >= 1 && n <= params.length;
        value = params[n - 1];
      } else if (params && typeof params === 'object') {
        const rec = params as Record<string, unknown>;
        found = Object.hasOwn(rec, String(n)) || Object.hasOwn(rec, e.text);
        value = Object.hasOwn(rec, String(n)) ? rec[String(n)] : rec[e.text];
      }
      if (!found)
        throw this.error(
          e,
          `No value was given for parameter ${e.text === '?' ? `? number ${n}` : e.text}`,
          noParams,
          'HELIOS_SQL_PARAM',
        );
    } else {
      const name = e.text.slice(1);
      if (params && !Array.isArray(params) && typeof params === 'object') {
        const rec = params as Record<string, unknown>;
        // own properties only: `$constructor` must not find Object.prototype.constructor
        for (const key of [name, e.text]) {
          if (Object.hasOwn(rec, key)) {
            found = true;
            value = rec[key];
            break;
          }
        }
      }
      if (!found) {
        const names = params && !Array.isArray(params) ? Object.keys(params) : [];
        throw this.error(
          e,
          `No value was given for parameter ${e.text}`,
          `${noParams}${didYouMean(name, names)}`,
          'HELIOS_SQL_PARAM',
        );
      }
    }
    return this.paramValue(e, value);
  }

  private paramValue(e: A.Param, value: unknown): BExpr {
    if (value === null || value === undefined) return constant(null, 'null');
    if (typeof value === 'number') return constant(value, Number.isInteger(value) ? 'int' : 'float');
    if (typeof value === 'bigint') return constant(Number(value), 'int');
    if (typeof value === 'boolean') return constant(value, 'bool');
    if (typeof value === 'string') return constant(value, 'string');
    if (value instanceof Date) return constant(value.getTime(), 'time');
    throw this.error(
      e,
      `Parameter ${e.text} is ${Array.isArray(value) ? 'an array' : `of type ${typeof value}`}, which SQL cannot use`,
      'Give a number, text, boolean, Date or null.',
      'HELIOS_SQL_PARAM',
    );
  }

  private bindColumn(e: A.ColumnRef, env: ExprEnv): BExpr {
    const col = this.resolve(e, env.scope);
    if (env.agg) {
      const g = env.agg.groupColumnSlot(col.index);
      if (g) return g;
      throw this.error(
        e,
        `Column "${col.name}" must appear in GROUP BY or be used in an aggregate`,
        `Add it to GROUP BY, or wrap it: last(${col.name}, time), max(${col.name}), ...`,
      );
    }
    return slot(col.index, col.type, col.name);
  }

  resolve(e: A.ColumnRef, scope: Scope): ScopeColumn {
    if (e.table !== undefined && !scope.hasTable(e.table)) {
      const tables = [
        ...new Set(scope.columns.map((c) => c.table).filter((t): t is string => t !== undefined)),
      ];
      throw this.error(
        e,
        `There is no table or alias "${e.table}" in this query`,
        didYouMean(e.table, tables).trim(),
      );
    }
    const found = scope.find(e.name, e.table);
    if (found.length === 1) return found[0]!;
    if (found.length > 1) {
      const tables = found.map((c) => c.table ?? '?').join(', ');
      throw this.error(
        e,
        `Column "${e.name}" is ambiguous: it is in ${tables}`,
        `Qualify it, e.g. ${found[0]!.table ?? 't'}.${e.name}.`,
      );
    }
    const names = scope.columns
      .filter((c) => e.table === undefined || sameName(c.table, e.table))
      .map((c) => c.name);
    const where = e.table === undefined ? '' : ` of "${e.table}"`;
    const hint =
      didYouMean(e.name, names).trim() ||
      (names.length ? `The columns are: ${[...new Set(names)].join(', ')}.` : '');
    throw this.error(e, `There is no column "${e.name}"${where}`, hint);
  }

  private bindUnary(e: A.Unary, env: ExprEnv): BExpr {
    const x = this.bind(e.operand, env);
    if (e.op === '+') return x;
    if (e.op === 'NOT') return this.fold(apply('not', [x], 'bool'));
    const type: SqlType =
      x.type === 'float' ? 'float' : isIntegral(x.type) ? 'int' : x.type === 'null' ? 'null' : 'any';
    return this.fold(apply('neg', [x], type));
  }

  bindBinary(op: A.BinaryOp, l: BExpr, r: BExpr, node: A.Expr): BExpr {
    switch (op) {
      case 'AND':
      case 'OR':
        return this.fold(apply(op, [l, r], 'bool'));
      case '=':
      case '!=':
      case '<':
      case '<=':
      case '>':
      case '>=': {
        const [a, b] = this.coerceForComparison(l, r, node);
        return this.fold(apply(op, [a, b], 'bool'));
      }
      case '||':
        return this.fold(apply('||', [l, r], 'string'));
      default: {
        // time +/- '1h': text next to a time is an interval, not a number (SQLite would read '1h' as 1)
        if (
          (op === '+' || op === '-') &&
          l.type === 'time' &&
          r.kind === 'const' &&
          typeof r.value === 'string'
        ) {
          r = constant(
            this.interval({
              kind: 'interval',
              text: r.value,
              pos: node.kind === 'binary' ? node.right.pos : node.pos,
            }),
            'int',
          );
        }
        return this.fold(apply(op, [l, r], arithmeticType(op, l.type, r.type)));
      }
    }
  }

  /** ISO text against time becomes ms; text against a number column is read as a number (SQLite's affinity). */
  coerceForComparison(l: BExpr, r: BExpr, node: A.Expr): [BExpr, BExpr] {
    if (l.type === 'time' && r.type === 'string') return [l, this.toTime(r, node)];
    if (r.type === 'time' && l.type === 'string') return [this.toTime(l, node), r];
    if ((l.type === 'int' || l.type === 'float') && r.type === 'string')
      return [l, this.fold(apply('to_num', [r], 'any'))];
    if ((r.type === 'int' || r.type === 'float') && l.type === 'string')
      return [this.fold(apply('to_num', [l], 'any')), r];
    return [l, r];
  }

  private toTime(e: BExpr, node: A.Expr): BExpr {
    const t = this.fold(apply('to_time', [e], 'time'));
    if (t.kind === 'const' && t.value === null && e.kind === 'const' && e.value !== null) {
      throw this.error(
        node,
        `'${clipText(String(e.value))}' is not a time`,
        "Write an ISO-8601 time such as '2026-01-31T12:00:00Z' or '2026-01-31', or a number of ms since 1970.",
        'HELIOS_SQL_TYPE',
      );
    }
    return t;
  }

  private bindIn(e: A.InList, env: ExprEnv): BExpr {
    const operand = this.bind(e.operand, env);
    const items = e.query ? this.subqueryList(e) : e.list.map((x) => this.bind(x, env));
    const list = items.map((x) => this.coerceForComparison(operand, x, e)[1]);
    const out: BExpr = { kind: 'in', operand, list, not: e.not, type: 'bool' };
    return this.fold(out);
  }

  /** The values an `IN (SELECT ...)` gave, as constants (query.ts runs the sub-select first). */
  private subqueryList(e: A.InList): BExpr[] {
    const values = this.ctx.subqueryValues?.get(e);
    if (!values) {
      throw this.error(
        e.query,
        'IN (SELECT ...) runs only in a statement given to db.query',
        'Run the query with db.query, or list the values.',
        'HELIOS_SQL_UNSUPPORTED',
      );
    }
    return values.map((v) => constant(v, typeOfValue(v)));
  }

  private bindCase(e: A.Case, env: ExprEnv): BExpr {
    const operand = e.operand ? this.bind(e.operand, env) : undefined;
    const whens = e.whens.map((w) => {
      const when = operand
        ? this.bindBinary('=', operand, this.bind(w.when, env), w.when)
        : this.bind(w.when, env);
      return { when, result: this.bind(w.result, env) };
    });
    const elseExpr = e.else ? this.bind(e.else, env) : constant(null, 'null');
    const type = whens.reduce<SqlType>((t, w) => unifyTypes(t, w.result.type), elseExpr.type);
    return this.fold({ kind: 'case', whens, else: elseExpr, type });
  }

  private bindCast(e: A.Cast, env: ExprEnv): BExpr {
    const x = this.bind(e.operand, env);
    const t = e.type;
    if (/^(INT|INTEGER|BIGINT|SMALLINT|TINYINT|INT2|INT4|INT8)$/.test(t))
      return this.fold(apply('cast_int', [x], 'int'));
    if (/^(REAL|FLOAT|FLOAT4|FLOAT8|DOUBLE|DOUBLE PRECISION|NUMERIC|DECIMAL)$/.test(t))
      return this.fold(apply('cast_float', [x], 'float'));
    if (/^(TEXT|VARCHAR|CHAR|STRING|CHARACTER|NVARCHAR|CLOB)$/.test(t))
      return this.fold(apply('cast_string', [x], 'string'));
    if (/^(BOOL|BOOLEAN)$/.test(t)) return this.fold(apply('cast_bool', [x], 'bool'));
    if (/^(TIMESTAMP|TIMESTAMPTZ|DATETIME|TIME)$/.test(t)) return this.fold(apply('to_time', [x], 'time'));
    const known = ['INTEGER', 'REAL', 'FLOAT', 'TEXT', 'BOOLEAN', 'TIMESTAMP'];
    throw this.error(
      e,
      `Unknown type ${t} in CAST`,
      `Use INTEGER, REAL, TEXT, BOOLEAN or TIMESTAMP.${didYouMean(t, known, '')}`,
    );
  }

  private bindCall(e: A.Call, env: ExprEnv): BExpr {
    if (isAggregateCall(e.name, e.args.length)) {
      if (!env.agg) {
        throw this.error(
          e,
          `The aggregate ${e.name}() is not allowed in ${env.clause}`,
          env.clause === 'WHERE' ? 'Filter on aggregates with HAVING.' : '',
        );
      }
      return env.agg.aggregate(e);
    }
    if (GAPFILL_FUNCTIONS.has(e.name)) {
      throw this.error(
        e,
        `${e.name}() only works around an aggregate in the select list of a time_bucket_gapfill query`,
        `e.g. SELECT time_bucket_gapfill('5m', time) AS t, ${e.name}(avg(value)) FROM ... GROUP BY t.`,
      );
    }
    if ((e.name === 'min' || e.name === 'max') && e.args.length >= 2) return this.bindScalarMinMax(e, env);
    const sig = SCALAR_FUNCTIONS[e.name];
    if (!sig) {
      const all = [...Object.keys(SCALAR_FUNCTIONS), ...Object.keys(AGGREGATE_FUNCTIONS)];
      throw this.error(e, `There is no function ${e.name}()`, didYouMean(e.name, all).trim());
    }
    if (e.star) throw this.error(e, `${e.name}(*) is not valid`, 'Only count(*) takes *.');
    if (e.distinct) throw this.error(e, `DISTINCT only works inside an aggregate, not in ${e.name}()`);
    if (e.args.length < sig.min || e.args.length > sig.max) {
      const n = e.args.length;
      throw this.error(
        e,
        `${e.name}() takes ${arityText(sig.min, sig.max)}, but ${n} ${n === 1 ? 'was' : 'were'} given`,
        `Usage: ${sig.usage}.`,
      );
    }
    if (e.name === 'now') return constant(this.ctx.now, 'time');
    const args = e.args.map((a) => this.bind(a, env));
    const name = e.name === 'date_bin' || e.name === 'time_bucket_gapfill' ? 'time_bucket' : e.name;
    if (name === 'time_bucket') {
      const bucketArgs = args.slice(0, e.name === 'time_bucket_gapfill' ? 2 : 3);
      // a constant width or origin is read once here, not for every row
      const width = bucketArgs[0]!;
      if (width.kind === 'const' && typeof width.value === 'string') {
        bucketArgs[0] = constant(
          this.interval({ kind: 'interval', text: width.value, pos: e.args[0]!.pos }),
          'int',
        );
      }
      const origin = bucketArgs[2];
      if (origin?.kind === 'const' && typeof origin.value === 'string')
        bucketArgs[2] = this.toTime(origin, e.args[2]!);
      return this.fold(apply(name, bucketArgs, 'time'));
    }
    return this.fold(apply(name, args, sig.returns(args.map((a) => a.type))));
  }

  /** Scalar min/max with 2+ arguments (SQLite: NULL when any argument is NULL). */
  bindScalarMinMax(e: A.Call, env: ExprEnv): BExpr {
    const args = e.args.map((a) => this.bind(a, env));
    const type = args.reduce<SqlType>((t, a) => unifyTypes(t, a.type), 'null');
    return this.fold(apply(e.name === 'min' ? 'min_scalar' : 'max_scalar', args, type));
  }

  /** The text identifying an expression for matching GROUP BY keys with select items. */
  keyText(e: A.Expr): string {
    return printExpr(e);
  }
}

function arityText(min: number, max: number): string {
  const n = (k: number): string => `${k} argument${k === 1 ? '' : 's'}`;
  if (min === max) return n(min);
  if (max === Number.POSITIVE_INFINITY) return `at least ${n(min)}`;
  return `${min} to ${max} arguments`;
}

/** Result type of + - * / %: integers stay integers (SQLite), time +/- int stays a time. */
export function arithmeticType(op: string, a: SqlType, b: SqlType): SqlType {
  if (a === 'null' || b === 'null') return 'null';
  if (!isNumeric(a) || !isNumeric(b)) return 'any';
  if (a === 'float' || b === 'float') return 'float';
  if ((op === '+' || op === '-') && (a === 'time') !== (b === 'time')) return 'time';
  return 'int';
}

function typeOfValue(v: Value): SqlType {
  if (v === null) return 'null';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  return Number.isInteger(v) ? 'int' : 'float';
}

/** True when an expression reads no column (so it can be evaluated once). */
export function isConstant(e: BExpr): boolean {
  switch (e.kind) {
    case 'const':
      return true;
    case 'slot':
      return false;
    case 'apply':
      return e.args.every(isConstant);
    case 'case':
      return e.whens.every((w) => isConstant(w.when) && isConstant(w.result)) && isConstant(e.else);
    case 'in':
      return isConstant(e.operand) && e.list.every(isConstant);
    default:
      return e satisfies never;
  }
}

/** Rewrites every slot of an expression. */
export function mapSlots(e: BExpr, f: (index: number, s: Extract<BExpr, { kind: 'slot' }>) => BExpr): BExpr {
  switch (e.kind) {
    case 'const':
      return e;
    case 'slot':
      return f(e.index, e);
    case 'apply':
      return { ...e, args: e.args.map((a) => mapSlots(a, f)) };
    case 'case':
      return {
        ...e,
        whens: e.whens.map((w) => ({ when: mapSlots(w.when, f), result: mapSlots(w.result, f) })),
        else: mapSlots(e.else, f),
      };
    case 'in':
      return { ...e, operand: mapSlots(e.operand, f), list: e.list.map((x) => mapSlots(x, f)) };
    default:
      return e satisfies never;
  }
}

/** The slots an expression reads. */
export function slotsOf(e: BExpr, out: Set<number> = new Set()): Set<number> {
  mapSlots(e, (i, s) => {
    out.add(i);
    return s;
  });
  return out;
}
