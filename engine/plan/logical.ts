/**
 * The bound, typed form of a query: expressions with resolved slots and types (`BExpr`) and the
 * logical plan (`Plan`) the executor runs. Plain readonly data; `explainPlan` prints it for EXPLAIN.
 */
import { assertNever } from '../sql/ast';

/** A SQL value at run time. Integers and floats are both JS numbers; the static type says which. */
export type Value = null | number | string | boolean;

/**
 * Static types. 'time' is an integer count of ms since the epoch; 'any' is decided per value at run
 * time (from a CASE mixing types or text used as a number); 'null' is the type of a bare NULL.
 */
export type SqlType = 'int' | 'float' | 'bool' | 'string' | 'time' | 'null' | 'any';

export function isNumeric(t: SqlType): boolean {
  return t === 'int' || t === 'float' || t === 'time' || t === 'bool';
}

/** int-like types: integer arithmetic applies (as SQLite does for INTEGER values) */
export function isIntegral(t: SqlType): boolean {
  return t === 'int' || t === 'time' || t === 'bool';
}

/** The type both of two branches fit in (CASE, COALESCE, UNION). */
export function unifyTypes(a: SqlType, b: SqlType): SqlType {
  if (a === b) return a;
  if (a === 'null') return b;
  if (b === 'null') return a;
  if (isNumeric(a) && isNumeric(b)) {
    if (a === 'float' || b === 'float') return 'float';
    return 'int';
  }
  return 'any';
}

export type BExpr =
  | { readonly kind: 'const'; readonly value: Value; readonly type: SqlType }
  | { readonly kind: 'slot'; readonly index: number; readonly type: SqlType; readonly name: string }
  /** a scalar function or operator by name (engine/exec/scalar.ts implements each) */
  | { readonly kind: 'apply'; readonly fn: string; readonly args: readonly BExpr[]; readonly type: SqlType }
  | {
      readonly kind: 'case';
      readonly whens: ReadonlyArray<{ readonly when: BExpr; readonly result: BExpr }>;
      readonly else: BExpr;
      readonly type: SqlType;
    }
  | {
      readonly kind: 'in';
      readonly operand: BExpr;
      readonly list: readonly BExpr[];
      readonly not: boolean;
      readonly type: SqlType;
    };

export const constant = (value: Value, type: SqlType): BExpr => ({ kind: 'const', value, type });
export const slot = (index: number, type: SqlType, name: string): BExpr => ({
  kind: 'slot',
  index,
  type,
  name,
});
export const apply = (fn: string, args: readonly BExpr[], type: SqlType): BExpr => ({
  kind: 'apply',
  fn,
  args,
  type,
});

/** An output column of a plan node. `table` is the name it can be qualified with, if any. */
export interface Column {
  readonly name: string;
  readonly type: SqlType;
  readonly table?: string | undefined;
  /** 'time' | 'tag' | 'field' for a scan's columns: pushdown looks at these */
  readonly role?: 'time' | 'tag' | 'field' | undefined;
}

/** What the planner pushed into a table scan (from/to inclusive ms, tag equalities). */
export interface ScanOptions {
  from?: number;
  to?: number;
  tags?: Record<string, string>;
  /** tag IN lists: the executor scans once per combination of values */
  tagsIn?: Record<string, string[]>;
  /** the WHERE/ON make the result empty (e.g. from > to, two values for one tag) */
  empty?: boolean;
}

export interface AggregateCall {
  /** lower-cased aggregate name */
  readonly name: string;
  readonly args: readonly BExpr[];
  readonly distinct: boolean;
  readonly star: boolean;
  readonly type: SqlType;
  /** as written, for EXPLAIN */
  readonly text: string;
}

export interface SortKey {
  readonly expr: BExpr;
  readonly desc: boolean;
  readonly nullsFirst: boolean;
}

export type FillMode = 'null' | 'locf' | 'interpolate';

export type Plan =
  | {
      readonly kind: 'scan';
      readonly table: string;
      readonly columns: readonly Column[];
      readonly options: ScanOptions;
      /** conditions answered by the scan options, for EXPLAIN */
      readonly pushed: readonly string[];
    }
  | {
      readonly kind: 'values';
      readonly rows: ReadonlyArray<readonly Value[]>;
      readonly columns: readonly Column[];
    }
  | {
      readonly kind: 'filter';
      readonly input: Plan;
      readonly predicate: BExpr;
      readonly columns: readonly Column[];
    }
  | {
      readonly kind: 'project';
      readonly input: Plan;
      readonly exprs: readonly BExpr[];
      readonly columns: readonly Column[];
    }
  | {
      readonly kind: 'aggregate';
      readonly input: Plan;
      readonly groupBy: readonly BExpr[];
      readonly aggregates: readonly AggregateCall[];
      readonly columns: readonly Column[];
    }
  | {
      readonly kind: 'gapfill';
      readonly input: Plan;
      /** output slot of the bucket column */
      readonly bucket: number;
      readonly step: number;
      readonly from: number;
      readonly to: number;
      /** slots that identify a group (filled rows copy them) */
      readonly partition: readonly number[];
      /** fill mode of every slot (bucket and partition slots are copied, not filled) */
      readonly fill: readonly FillMode[];
      readonly columns: readonly Column[];
    }
  | {
      readonly kind: 'sort';
      readonly input: Plan;
      readonly keys: readonly SortKey[];
      /** keep only the first `limit` rows (top-N), when a LIMIT follows */
      readonly limit?: number | undefined;
      readonly columns: readonly Column[];
    }
  | {
      readonly kind: 'limit';
      readonly input: Plan;
      readonly limit: number;
      readonly offset: number;
      readonly columns: readonly Column[];
    }
  | { readonly kind: 'distinct'; readonly input: Plan; readonly columns: readonly Column[] }
  | {
      readonly kind: 'distinctOn';
      readonly input: Plan;
      readonly keys: readonly BExpr[];
      /** per key, the row that sorts first by these wins */
      readonly order: readonly SortKey[];
      readonly columns: readonly Column[];
    }
  | {
      readonly kind: 'join';
      readonly type: 'inner' | 'left' | 'cross';
      readonly left: Plan;
      readonly right: Plan;
      /** equi-join keys (hash join) over the left's and the right's own slots */
      readonly leftKeys: readonly BExpr[];
      readonly rightKeys: readonly BExpr[];
      /** the rest of the ON condition, over the joined row */
      readonly residual?: BExpr | undefined;
      readonly columns: readonly Column[];
    }
  | {
      readonly kind: 'union';
      readonly inputs: readonly Plan[];
      readonly all: boolean;
      readonly columns: readonly Column[];
    }
  | {
      readonly kind: 'insert';
      readonly table: string;
      readonly input: Plan;
      /** per input slot: the target column and whether it is the time, a tag or a field */
      readonly targets: ReadonlyArray<{ readonly name: string; readonly role: 'time' | 'tag' | 'field' }>;
      readonly columns: readonly Column[];
    };

// ---- EXPLAIN ----

const INFIX = new Set([
  '+',
  '-',
  '*',
  '/',
  '%',
  '||',
  '=',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
  'AND',
  'OR',
  'LIKE',
  'NOT LIKE',
  'IS',
]);

/** A bound expression as text, with column names for slots. */
export function explainExpr(e: BExpr): string {
  switch (e.kind) {
    case 'const':
      return typeof e.value === 'string'
        ? `'${e.value.replace(/'/g, "''")}'`
        : e.value === null
          ? 'NULL'
          : String(e.value);
    case 'slot':
      return e.name;
    case 'apply': {
      const args = e.args.map((a) =>
        a.kind === 'apply' && INFIX.has(a.fn) ? `(${explainExpr(a)})` : explainExpr(a),
      );
      if (INFIX.has(e.fn) && args.length === 2) return `${args[0]} ${e.fn} ${args[1]}`;
      if (e.fn === 'neg') return `-${args[0]}`;
      if (e.fn === 'not') return `NOT ${args[0]}`;
      if (e.fn === 'is_null') return `${args[0]} IS NULL`;
      if (e.fn === 'is_not_null') return `${args[0]} IS NOT NULL`;
      return `${e.fn}(${args.join(', ')})`;
    }
    case 'case':
      return `CASE ${e.whens.map((w) => `WHEN ${explainExpr(w.when)} THEN ${explainExpr(w.result)}`).join(' ')} ELSE ${explainExpr(e.else)} END`;
    case 'in':
      return `${explainExpr(e.operand)} ${e.not ? 'NOT ' : ''}IN (${e.list.map(explainExpr).join(', ')})`;
    default:
      return assertNever(e);
  }
}

function iso(ms: number): string {
  return Number.isFinite(ms) && Math.abs(ms) < 8.64e15 ? new Date(ms).toISOString() : String(ms);
}

function explainSort(keys: readonly SortKey[]): string {
  return keys.map((k) => `${explainExpr(k.expr)}${k.desc ? ' DESC' : ''}`).join(', ');
}

function describeScan(p: Extract<Plan, { kind: 'scan' }>): string[] {
  const o = p.options;
  const parts: string[] = [];
  if (o.empty) parts.push('nothing (the conditions contradict each other)');
  else {
    parts.push(
      `time ${o.from === undefined ? '(unbounded)' : iso(o.from)} .. ${o.to === undefined ? '(unbounded)' : iso(o.to)}`,
    );
    const tags = Object.entries(o.tags ?? {}).map(([k, v]) => `${k}='${v}'`);
    for (const [k, vs] of Object.entries(o.tagsIn ?? {}))
      tags.push(`${k} IN (${vs.map((v) => `'${v}'`).join(', ')})`);
    parts.push(tags.length ? `tags ${tags.join(', ')}` : 'all series');
  }
  const lines = [`Scan ${p.table}: ${parts.join('; ')}`];
  if (p.pushed.length) lines.push(`  pushed down: ${p.pushed.join(' AND ')}`);
  return lines;
}

/** One line per node, children indented under their parent. */
export function explainPlan(p: Plan, depth = 0): string[] {
  const pad = '  '.repeat(depth);
  const child = (c: Plan): string[] => explainPlan(c, depth + 1);
  switch (p.kind) {
    case 'scan':
      return describeScan(p).map((l) => pad + l);
    case 'values':
      return [`${pad}Values: ${p.rows.length} row${p.rows.length === 1 ? '' : 's'}`];
    case 'filter':
      return [`${pad}Filter: ${explainExpr(p.predicate)}`, ...child(p.input)];
    case 'project':
      return [`${pad}Project: ${p.exprs.map(explainExpr).join(', ')}`, ...child(p.input)];
    case 'aggregate': {
      const by = p.groupBy.length ? ` by ${p.groupBy.map(explainExpr).join(', ')}` : '';
      return [
        `${pad}HashAggregate: ${p.aggregates.map((a) => a.text).join(', ') || '(no aggregates)'}${by}`,
        ...child(p.input),
      ];
    }
    case 'gapfill':
      return [
        `${pad}GapFill: ${p.columns[p.bucket]?.name} every ${p.step} ms from ${iso(p.from)} to ${iso(p.to)}`,
        ...child(p.input),
      ];
    case 'sort':
      return [
        `${pad}${p.limit === undefined ? 'Sort' : `TopN(${p.limit})`}: ${explainSort(p.keys)}`,
        ...child(p.input),
      ];
    case 'limit':
      return [`${pad}Limit: ${p.limit}${p.offset ? ` offset ${p.offset}` : ''}`, ...child(p.input)];
    case 'distinct':
      return [`${pad}Distinct`, ...child(p.input)];
    case 'distinctOn':
      return [
        `${pad}DistinctOn: ${p.keys.map(explainExpr).join(', ')} keeping first by ${explainSort(p.order) || 'input order'}`,
        ...child(p.input),
      ];
    case 'join': {
      const keys = p.leftKeys.map((k, i) => `${explainExpr(k)} = ${explainExpr(p.rightKeys[i]!)}`);
      if (p.residual) keys.push(explainExpr(p.residual));
      const kind = p.leftKeys.length ? 'HashJoin' : 'NestedLoopJoin';
      return [
        `${pad}${kind} (${p.type}): ${keys.join(' AND ') || 'true'}`,
        ...child(p.left),
        ...child(p.right),
      ];
    }
    case 'union':
      return [`${pad}Union${p.all ? ' all' : ''}`, ...p.inputs.flatMap(child)];
    case 'insert':
      return [
        `${pad}Insert into ${p.table}: ${p.targets.map((t) => `${t.name} (${t.role})`).join(', ')}`,
        ...child(p.input),
      ];
    default:
      return assertNever(p);
  }
}
