/**
 * Binding of aggregation: GROUP BY keys over the input rows, aggregate calls collected as the
 * select list, HAVING and ORDER BY meet them, and the check that every other column is grouped.
 */
import type * as A from '../sql/ast';
import { printExpr } from '../sql/printer';
import type { AggregateBinder, ExprBinder, ExprEnv, Scope } from './bind-expr';
import { AGGREGATE_FUNCTIONS } from './functions';
import { type AggregateCall, type BExpr, slot } from './logical';

/** Aggregation: group keys bound over the input, aggregate calls collected as they are met. */
export class AggState implements AggregateBinder {
  readonly keys: Array<{ text: string; expr: BExpr }>;
  readonly aggs: AggregateCall[] = [];
  private readonly aggTexts: string[] = [];
  readonly gapfillKey: { index: number; call: A.Call } | undefined;

  constructor(
    private readonly x: ExprBinder,
    private readonly scope: Scope,
    groupBy: readonly A.Expr[],
  ) {
    const env: ExprEnv = { scope, clause: 'GROUP BY' };
    this.keys = groupBy.map((g) => ({ text: printExpr(g), expr: x.bind(g, env) }));
    const gi = groupBy.findIndex((g) => g.kind === 'call' && g.name === 'time_bucket_gapfill');
    const nested = groupBy.find((g, i) => i !== gi && printExpr(g).includes('time_bucket_gapfill('));
    if (nested) {
      throw x.error(
        nested,
        'time_bucket_gapfill(...) must be a GROUP BY key on its own',
        "Select and group by time_bucket_gapfill(...) itself, e.g. SELECT time_bucket_gapfill('5m', time) AS t, ... GROUP BY t.",
      );
    }
    this.gapfillKey = gi >= 0 ? { index: gi, call: groupBy[gi] as A.Call } : undefined;
  }

  groupSlot(e: A.Expr): BExpr | undefined {
    if (
      e.kind === 'number' ||
      e.kind === 'string' ||
      e.kind === 'null' ||
      e.kind === 'bool' ||
      e.kind === 'param'
    )
      return undefined;
    const t = printExpr(e);
    const i = this.keys.findIndex((k) => k.text === t);
    return i < 0 ? undefined : slot(i, this.keys[i]!.expr.type, t);
  }

  groupColumnSlot(index: number): BExpr | undefined {
    const i = this.keys.findIndex((k) => k.expr.kind === 'slot' && k.expr.index === index);
    return i < 0 ? undefined : slot(i, this.keys[i]!.expr.type, this.keys[i]!.text);
  }

  aggregate(call: A.Call): BExpr {
    const text = printExpr(call);
    const known = this.aggTexts.indexOf(text);
    if (known >= 0) return slot(this.keys.length + known, this.aggs[known]!.type, text);
    const sig = AGGREGATE_FUNCTIONS[call.name]!;
    if (call.star && call.name !== 'count')
      throw this.x.error(call, `${call.name}(*) is not valid`, 'Only count(*) takes *.');
    if (!call.star && (call.args.length < sig.min || call.args.length > sig.max)) {
      throw this.x.error(
        call,
        `${call.name}() takes ${sig.min === sig.max ? sig.min : `${sig.min} or ${sig.max}`} argument${sig.max === 1 ? '' : 's'}, but ${call.args.length} ${call.args.length === 1 ? 'was' : 'were'} given`,
        `Usage: ${sig.usage}.`,
      );
    }
    if (call.name === 'count' && !call.star && call.args.length === 0)
      throw this.x.error(call, 'count() needs an argument', 'Write count(*) to count rows.');
    const env: ExprEnv = { scope: this.scope, clause: `the arguments of ${call.name}()` };
    let args = call.args.map((a) => this.x.bind(a, env));
    if ((call.name === 'first' || call.name === 'last') && args.length === 1) {
      const t = this.scope.find('time', undefined);
      if (t.length !== 1)
        throw this.x.error(
          call,
          `${call.name}(x) needs the time to order by`,
          `Write ${call.name}(x, time).`,
        );
      args = [...args, slot(t[0]!.index, t[0]!.type, 'time')];
    }
    if (['percentile_cont', 'quantile', 'percentile_disc'].includes(call.name) && args[1]!.kind !== 'const') {
      throw this.x.error(call.args[1], `The fraction of ${call.name}() must be a constant between 0 and 1`);
    }
    const type = sig.returns(args.map((a) => a.type));
    this.aggs.push({ name: call.name, args, distinct: call.distinct, star: call.star, type, text });
    this.aggTexts.push(text);
    return slot(this.keys.length + this.aggs.length - 1, type, text);
  }
}

export function hasAggregate(e: A.Expr): boolean {
  switch (e.kind) {
    case 'call':
      if (e.name in AGGREGATE_FUNCTIONS && !((e.name === 'min' || e.name === 'max') && e.args.length >= 2))
        return true;
      return e.args.some(hasAggregate);
    case 'unary':
      return hasAggregate(e.operand);
    case 'binary':
      return hasAggregate(e.left) || hasAggregate(e.right);
    case 'isNull':
      return hasAggregate(e.operand);
    case 'between':
      return hasAggregate(e.operand) || hasAggregate(e.low) || hasAggregate(e.high);
    case 'in':
      return hasAggregate(e.operand) || e.list.some(hasAggregate);
    case 'like':
      return hasAggregate(e.operand) || hasAggregate(e.pattern);
    case 'case':
      return (
        (e.operand !== undefined && hasAggregate(e.operand)) ||
        e.whens.some((w) => hasAggregate(w.when) || hasAggregate(w.result)) ||
        (e.else !== undefined && hasAggregate(e.else))
      );
    case 'cast':
      return hasAggregate(e.operand);
    default:
      return false;
  }
}
