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
        // a list of constants (IN (SELECT ...) gives them): a hash lookup per row, never a scan
        return (row) => {
          const v = operand(row);
          if (v === null) return null;
          const found = typeof v === 'string' ? set.texts.has(v) : set.numbers.has(Number(v));
          return found ? !not : set.hasNull ? null : not;
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
/**
 * The values of an IN list of constants, as sets that decide `compareValues(v, item) === 0` by
 * one lookup: numbers (booleans as 0/1; a Set treats NaN as NaN and -0 as 0, as compareValues
 * does) and text apart; null when an item is not a constant or the list is short.
 */
function constantSet(
  list: readonly BExpr[],
): { numbers: Set<number>; texts: Set<string>; hasNull: boolean } | null {
  if (list.length <= 8) return null;
  const numbers = new Set<number>();
  const texts = new Set<string>();
  let hasNull = false;
  for (const x of list) {
    if (x.kind !== 'const') return null;
    const v = x.value;
    if (v === null) hasNull = true;
    else if (typeof v === 'string') texts.add(v);
    else numbers.add(Number(v));
  }
  return { numbers, texts, hasNull };
}
