/**
 * Compiles bound expressions into closures over a row (an array of values by slot). AND, OR,
 * CASE, IN, coalesce, ifnull and iif evaluate lazily; everything else goes through SCALAR_IMPLS.
 */
import type { BExpr, SqlType, Value } from '../plan/logical';
import { type EvalContext, SCALAR_IMPLS } from './scalar';
import { compareValues, truth } from './values';

export type Row = Value[];
export type Evaluator = (row: Row) => Value;

/** A closure computing `e` for a row. */
export function compile(e: BExpr, ctx: EvalContext): Evaluator {
  switch (e.kind) {
    case 'const': {
      const v = e.value;
      return () => v;
    }
    case 'slot': {
      const i = e.index;
      return (row) => row[i] ?? null;
    }
    case 'case': {
      const whens = e.whens.map((w) => [compile(w.when, ctx), compile(w.result, ctx)] as const);
      const otherwise = compile(e.else, ctx);
      return (row) => {
        for (const [when, then] of whens) if (truth(when(row)) === true) return then(row);
        return otherwise(row);
      };
    }
    case 'in': {
      const operand = compile(e.operand, ctx);
      const set = constantSet(e.list);
      const list = e.list.map((x) => compile(x, ctx));
      const not = e.not;
      if (set) {
        // a long list of constants of one type (IN (SELECT ...) gives them): a set lookup per row
        return (row) => {
          const v = operand(row);
          if (v === null) return null;
          if (typeof v === set.type) return set.values.has(v) ? !not : not;
          for (const item of list) if (compareValues(v, item(row)) === 0) return !not;
          return not;
        };
      }
      return (row) => {
        const v = operand(row);
        if (v === null) return null;
        let sawNull = false;
        for (const item of list) {
          const w = item(row);
          if (w === null) sawNull = true;
          else if (compareValues(v, w) === 0) return !not;
        }
        return sawNull ? null : not;
      };
    }
    case 'apply':
      return compileApply(e.fn, e.args, e.type, ctx);
    default:
      return e satisfies never;
  }
}

function compileApply(fn: string, argExprs: readonly BExpr[], type: SqlType, ctx: EvalContext): Evaluator {
  const args = argExprs.map((a) => compile(a, ctx));
  switch (fn) {
    case 'AND': {
      const [a, b] = args as [Evaluator, Evaluator];
      return (row) => {
        const x = truth(a(row));
        if (x === false) return false;
        const y = truth(b(row));
        if (y === false) return false;
        return x === null || y === null ? null : true;
      };
    }
    case 'OR': {
      const [a, b] = args as [Evaluator, Evaluator];
      return (row) => {
        const x = truth(a(row));
        if (x === true) return true;
        const y = truth(b(row));
        if (y === true) return true;
        return x === null || y === null ? null : false;
      };
    }
    case 'coalesce':
    case 'ifnull':
      return (row) => {
        for (const a of args) {
          const v = a(row);
          if (v !== null) return v;
        }
        return null;
      };
    case 'iif': {
      const [c, t, f] = args as [Evaluator, Evaluator, Evaluator];
      return (row) => (truth(c(row)) === true ? t(row) : f(row));
    }
    default:
      return compileStrict(
        fn,
        args,
        argExprs.map((a) => a.type),
        type,
        ctx,
      );
  }
}

function compileStrict(
  fn: string,
  args: Evaluator[],
  types: SqlType[],
  type: SqlType,
  ctx: EvalContext,
): Evaluator {
  const impl = SCALAR_IMPLS[fn];
  if (!impl) throw new Error(`no scalar implementation for ${fn}`);
  if (args.length === 1) {
    const [a] = args as [Evaluator];
    return (row) => impl([a(row)], types, type, ctx);
  }
  if (args.length === 2) {
    const [a, b] = args as [Evaluator, Evaluator];
    return (row) => impl([a(row), b(row)], types, type, ctx);
  }
  return (row) =>
    impl(
      args.map((a) => a(row)),
      types,
      type,
      ctx,
    );
}

/** Evaluates an expression that reads no column. */
export function evaluateConstant(e: BExpr, ctx: EvalContext): Value {
  return compile(e, ctx)([]);
}

/** The values of a list of more than 8 constants, none NULL, all numbers or all text; else null. */
function constantSet(list: readonly BExpr[]): { type: 'number' | 'string'; values: Set<Value> } | null {
  if (list.length <= 8) return null;
  const first = list[0]!;
  if (first.kind !== 'const') return null;
  const type = typeof first.value;
  if (type !== 'number' && type !== 'string') return null;
  const values = new Set<Value>();
  for (const x of list) {
    if (x.kind !== 'const' || typeof x.value !== type) return null;
    values.add(x.value);
  }
  return { type, values };
}
