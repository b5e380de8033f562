/**
 * The binder turns a parsed statement into a logical plan: it resolves tables and columns (with
 * "did you mean"), types every expression, checks arity, places aggregates, and pushes time ranges
 * and tag equalities into table scans (pushdown.ts). Errors point at the offending text.
 */
import type { SqlView } from '../catalog/catalog';
import * as A from '../sql/ast';
import { didYouMean, type SqlError } from '../sql/errors';
import { parse } from '../sql/parser';
import { printExpr } from '../sql/printer';
import { AggState, hasAggregate } from './bind-aggregate';
import { bindDeleteRows, bindUpdate, type MatchingRows, rowsScope, withRowid } from './bind-change';
import { bindCreateTable } from './bind-ddl';
import { type BindContext, ExprBinder, type ExprEnv, mapSlots, Scope, slotsOf } from './bind-expr';
import { bindInsert } from './bind-insert';
import { bindPragma } from './bind-pragma';
import { bindCreateIndex, bindDropIndex } from './bind-sqlite-table';
import {
  type BExpr,
  type Column,
  constant,
  type FillMode,
  type Plan,
  type ScanOptions,
  type SortKey,
  type SqlType,
  slot,
  unifyTypes,
  type Value,
} from './logical';
import { andAll, conjuncts, describeTerm, pushTerm } from './pushdown';
import { type TableInfo, type TableLookup, tableColumns, tableScope } from './tables';

const UNSUPPORTED = 'HELIOS_SQL_UNSUPPORTED';

export interface BinderOptions extends BindContext {
  /** the tables statements name */
  readonly lookup: TableLookup;
}

/** Binds one statement into a plan. Throws SqlError with a sentence that points at the mistake. */
export function bindStatement(stmt: A.Statement, options: BinderOptions): Plan {
  return new Binder(options).statement(stmt);
}

/** A direct table scan reachable from a FROM clause, where WHERE/ON terms may be pushed. */
interface ScanRef {
  readonly columns: readonly Column[];
  readonly offset: number;
  readonly options: ScanOptions;
  readonly pushed: string[];
}

interface FromResult {
  readonly plan: Plan;
  readonly scope: Scope;
  readonly scans: readonly ScanRef[];
}

class Binder {
  private readonly x: ExprBinder;
  /** the views being bound, to refuse one that names itself through others */
  private readonly openViews = new Set<string>();

  constructor(private readonly o: BinderOptions) {
    this.x = new ExprBinder(o);
  }

  private error(
    node: { pos?: number | undefined } | undefined,
    message: string,
    hint = '',
    code?: string,
  ): SqlError {
    return this.x.error(node, message, hint, code);
  }

  statement(s: A.Statement): Plan {
    switch (s.kind) {
      case 'query':
        return this.query(s);
      case 'insert':
        return this.insert(s);
      case 'explain':
        return {
          kind: 'explain',
          plan: this.statement(s.statement),
          columns: [{ name: 'plan', type: 'string' }],
        };
      case 'showTables':
        return values(
          [...this.o.lookup.tables()].sort().map((t) => [t]),
          [{ name: 'name', type: 'string' }],
        );
      case 'describe':
        return this.describe(s);
      case 'createView':
        return this.createView(s);
      case 'dropView':
        return this.dropView(s);
      case 'pragma':
        return bindPragma(this.x, s, s.arg === undefined ? undefined : this.findTable(s.arg));
      case 'delete':
        return bindDeleteRows(this.x, s, this.matchingRows(s.table, s.where, s));
      case 'createTable':
        if (this.findView(s.name)) return this.tableNamedAsView(s);
        return bindCreateTable(this.x, s, this.o.lookup);
      case 'dropTable':
        return this.dropTable(s);
      case 'update':
        return bindUpdate(this.x, s, this.matchingRows(s.table, s.where, s));
      case 'createIndex':
        return bindCreateIndex(this.x, s, this.table(s.table, s), this.o.lookup);
      case 'dropIndex':
        return bindDropIndex(this.x, s, this.o.lookup);
      case 'begin':
      case 'commit':
      case 'rollback':
        // runQuery runs them in scripts (query/query.ts); this is only reached by db.iterate and the like
        throw this.error(
          s,
          'BEGIN, COMMIT and ROLLBACK run only in a script given to db.query',
          'Send the whole transaction as one text: BEGIN; INSERT ...; UPDATE ...; COMMIT',
          UNSUPPORTED,
        );
      default:
        return A.assertNever(s);
    }
  }

  /**
   * The rows of table `name` that `where` selects, bound as SELECT binds FROM name WHERE ...
   * (time ranges and tag equalities pushed into the scan), every column and the rowid last:
   * what UPDATE and DELETE change (bind-change.ts).
   */
  private matchingRows(
    name: string,
    where: A.Expr | undefined,
    node: { pos?: number | undefined },
  ): MatchingRows {
    const info = this.table(name, node);
    const columns = withRowid(tableColumns(info, info.name), info.name);
    const options: ScanOptions = {};
    const pushed: string[] = [];
    const scan: Plan = { kind: 'scan', table: info.name, columns, options, pushed };
    const scope = rowsScope(info, columns);
    const from: FromResult = { plan: scan, scope, scans: [{ columns, offset: 0, options, pushed }] };
    const plan = where ? this.where(where, from, { scope, clause: 'WHERE' }) : scan;
    return { info, plan, scope, options };
  }

  /** A table by name, exactly or else ignoring case. */
  private findTable(name: string): TableInfo | undefined {
    return (
      this.o.lookup.schema(name) ??
      this.o.lookup.schema(this.o.lookup.tables().find((t) => t.toLowerCase() === name.toLowerCase()) ?? '')
    );
  }

  private table(name: string, node: { pos?: number | undefined }): TableInfo {
    const info = this.findTable(name);
    if (info) return info;
    const tables = this.o.lookup.tables();
    const hint =
      didYouMean(name, tables).trim() ||
      (tables.length
        ? `The tables are: ${tables.slice(0, 20).join(', ')}.`
        : 'The database has no tables yet: write some readings first.');
    throw this.error(node, `There is no table "${name}"`, hint);
  }

  private dropTable(s: A.DropTable): Plan {
    const view = this.findView(s.name);
    if (view) throw this.error(s, `use DROP VIEW to delete view ${view.name}`);
    const info = s.ifExists ? this.findTable(s.name) : this.table(s.name, s);
    return {
      kind: 'dropTable',
      table: info?.name ?? s.name,
      missing: info === undefined,
      columns: [{ name: 'lsn', type: 'int' }],
    };
  }

  // ---- views ----

  /** A view by name, ignoring case as SQLite does. */
  private findView(name: string): { name: string; view: SqlView } | undefined {
    const lookup = this.o.lookup;
    const found = lookup.view?.(name)
      ? name
      : lookup.views?.().find((v) => v.toLowerCase() === name.toLowerCase());
    const view = found === undefined ? undefined : lookup.view?.(found);
    return view && found !== undefined ? { name: found, view } : undefined;
  }

  private tableNamedAsView(s: A.CreateTable): Plan {
    if (!s.ifNotExists)
      throw this.error(s, `view ${s.name} already exists`, 'Choose another name for the table.');
    return { kind: 'values', rows: [], columns: [] };
  }

  /** CREATE VIEW: the SELECT's text kept under a name no table or view has. */
  private createView(s: A.CreateView): Plan {
    const skip = (): Plan => ({
      kind: 'viewChange',
      name: s.name,
      view: null,
      ifNotExists: true,
      skip: true,
      columns: [],
    });
    const clash = this.findView(s.name)?.name ?? this.findTable(s.name)?.name;
    if (clash !== undefined) {
      if (s.ifNotExists) return skip();
      const what = this.findView(s.name) ? 'view' : 'table';
      throw this.error(
        s,
        `${what} ${clash} already exists`,
        'Use CREATE VIEW IF NOT EXISTS, or another name.',
      );
    }
    // as SQLite, the SELECT is only parsed here: a view may name a table made later, and a
    // mistake in it (an unknown column, a column list of the wrong length) is said when it is used
    const view: SqlView = { sql: s.sql, columns: s.columns ? [...s.columns] : null };
    return { kind: 'viewChange', name: s.name, view, ifNotExists: s.ifNotExists, skip: false, columns: [] };
  }

  private dropView(s: A.DropView): Plan {
    const found = this.findView(s.name);
    if (!found) {
      const table = this.findTable(s.name);
      if (table) throw this.error(s, `use DROP TABLE to delete table ${table.name}`);
      if (!s.ifExists)
        throw this.error(s, `no such view: ${s.name}`, didYouMean(s.name, this.o.lookup.views?.() ?? []));
    }
    return {
      kind: 'viewChange',
      name: found?.name ?? s.name,
      view: null,
      ifNotExists: false,
      skip: !found,
      columns: [],
    };
  }

  /** A view named in FROM: its SELECT parsed and bound again, as a sub-select named for the view. */
  private viewRef(f: A.TableRef, found: { name: string; view: SqlView }): FromResult {
    if (this.openViews.has(found.name)) throw this.error(f, `view ${found.name} is circularly defined`);
    this.openViews.add(found.name);
    let plan: Plan;
    try {
      const q = parse(found.view.sql);
      if (q.kind !== 'query') throw this.error(f, `view ${found.name} does not hold a SELECT`);
      plan = this.query(q);
    } finally {
      this.openViews.delete(found.name);
    }
    const names = found.view.columns;
    if (names) {
      if (names.length !== plan.columns.length) {
        throw this.error(
          f,
          `expected ${plan.columns.length} columns for '${found.name}' but got ${names.length}`,
        );
      }
      const columns = plan.columns.map((c, i) => ({ name: names[i]!, type: c.type }));
      plan = {
        kind: 'project',
        input: plan,
        exprs: plan.columns.map((c, i) => slot(i, c.type, c.name)),
        columns,
      };
    }
    const table = f.alias ?? found.name;
    const scope = new Scope(plan.columns.map((c, index) => ({ name: c.name, table, type: c.type, index })));
    return { plan, scope, scans: [] };
  }

  private describe(s: A.Describe): Plan {
    const info = this.table(s.table, s);
    if (info.sqlite) {
      // declared columns in order; the engine's time and the rowid are hidden
      const declared = tableColumns(info, info.name).slice(1, -1);
      return values(
        declared.map((c) => [c.name, c.type, 'field']),
        [
          { name: 'column', type: 'string' },
          { name: 'type', type: 'string' },
          { name: 'role', type: 'string' },
        ],
      );
    }
    const rows: Value[][] = [['time', 'time', 'time']];
    for (const t of info.tagKeys) rows.push([t, 'string', 'tag']);
    for (const f of info.fields) rows.push([f.name, f.type, 'field']);
    return values(rows, [
      { name: 'column', type: 'string' },
      { name: 'type', type: 'string' },
      { name: 'role', type: 'string' },
    ]);
  }

  // ---- queries ----

  query(q: A.Query): Plan {
    if (q.body.kind === 'select') return this.select(q.body, q);
    return this.union(q);
  }

  private union(q: A.Query): Plan {
    const cores: Array<{ core: A.SelectCore; all: boolean }> = [];
    const walk = (b: A.SelectCore | A.SetOp, all: boolean): void => {
      if (b.kind === 'select') cores.push({ core: b, all });
      else {
        walk(b.left, b.all);
        cores.push({ core: b.right, all: b.all });
      }
    };
    walk(q.body, true);
    const plans = cores.map((c) => this.select(c.core, undefined));
    const width = plans[0]!.columns.length;
    plans.forEach((p, i) => {
      if (p.columns.length !== width) {
        throw this.error(
          cores[i]!.core,
          `Each SELECT of a UNION must have the same number of columns: the first has ${width}, this one has ${p.columns.length}`,
        );
      }
    });
    const columns = plans[0]!.columns.map((c, i) => ({
      name: c.name,
      type: plans.reduce<SqlType>((t, p) => unifyTypes(t, p.columns[i]!.type), 'null'),
    }));
    const all = cores.every((c) => c.all);
    let plan: Plan = { kind: 'union', inputs: plans, all: true, columns };
    if (!all) plan = { kind: 'distinct', input: plan, columns };
    const keys = q.orderBy.map((o) => {
      const index = this.outputIndex(o.expr, columns);
      if (index === undefined)
        throw this.error(
          o.expr,
          'ORDER BY after a UNION must name a result column or give its position',
          `The result columns are: ${columns.map((c) => c.name).join(', ')}.`,
        );
      return sortKey(slot(index, columns[index]!.type, columns[index]!.name), o);
    });
    return this.finish(plan, keys, q, columns.length);
  }

  /** Index of an output column named by ORDER BY: a position (1-based) or a result column's name. */
  private outputIndex(e: A.Expr, columns: readonly Column[]): number | undefined {
    if (e.kind === 'number' && /^\d+$/.test(e.text)) {
      const k = Number(e.text);
      if (k < 1 || k > columns.length)
        throw this.error(
          e,
          `ORDER BY position ${k} is out of range: there ${columns.length === 1 ? 'is 1 result column' : `are ${columns.length} result columns`}`,
        );
      return k - 1;
    }
    if (e.kind === 'column' && e.table === undefined) {
      const i = columns.findIndex((c) => c.name === e.name);
      if (i >= 0) return i;
      const j = columns.findIndex((c) => c.name.toLowerCase() === e.name.toLowerCase());
      if (j >= 0) return j;
    }
    return undefined;
  }

  /** Sort, limit and the final trim of hidden columns. */
  private finish(plan: Plan, keys: SortKey[], q: A.Query | undefined, visible: number): Plan {
    const limit = q?.limit ? this.constantInt(q.limit, 'LIMIT') : undefined;
    const offset = q?.offset ? this.constantInt(q.offset, 'OFFSET') : 0;
    const unlimited = limit === undefined || limit < 0;
    if (keys.length) {
      plan = {
        kind: 'sort',
        input: plan,
        keys,
        limit: unlimited ? undefined : limit + Math.max(0, offset),
        columns: plan.columns,
      };
    }
    if (!unlimited || offset > 0) {
      plan = {
        kind: 'limit',
        input: plan,
        limit: unlimited ? Number.POSITIVE_INFINITY : limit,
        offset: Math.max(0, offset),
        columns: plan.columns,
      };
    }
    if (plan.columns.length > visible) {
      const columns = plan.columns.slice(0, visible);
      plan = { kind: 'project', input: plan, exprs: columns.map((c, i) => slot(i, c.type, c.name)), columns };
    }
    return plan;
  }

  private constantInt(e: A.Expr, what: string): number {
    const b = this.x.bind(e, { scope: new Scope([]), clause: what });
    if (b.kind !== 'const' || typeof b.value !== 'number' || !Number.isInteger(b.value)) {
      throw this.error(e, `${what} must be a whole number`, `e.g. ${what} 100.`);
    }
    return b.value;
  }

  private select(core: A.SelectCore, q: A.Query | undefined): Plan {
    const from = core.from
      ? this.from(core.from)
      : { plan: values([[]], []), scope: new Scope([]), scans: [] };
    let plan = from.plan;
    const plain: ExprEnv = { scope: from.scope, clause: 'WHERE' };
    if (core.where) plan = this.where(core.where, from, plain);
    const items = this.expandStars(core.items, from.scope);
    const orderBy = q?.orderBy ?? [];
    const isAggregate =
      core.groupBy.length > 0 ||
      items.some((it) => hasAggregate(it.expr)) ||
      (core.having !== undefined && hasAggregate(core.having)) ||
      orderBy.some((o) => hasAggregate(o.expr));
    if (!isAggregate && core.having)
      throw this.error(core.having, 'HAVING needs GROUP BY or an aggregate', 'Use WHERE to filter rows.');

    let env: ExprEnv = { scope: from.scope, clause: 'the select list' };
    let state: AggState | undefined;
    if (isAggregate) {
      state = new AggState(this.x, from.scope, this.groupKeys(core, items, from.scope));
      env = { scope: from.scope, agg: state, clause: 'the select list' };
    }
    const fills: FillMode[] = [];
    const exprs = items.map((it) => {
      const wrapped =
        it.expr.kind === 'call' && (it.expr.name === 'locf' || it.expr.name === 'interpolate')
          ? it.expr
          : undefined;
      if (wrapped) {
        if (!state?.gapfillKey || wrapped.args.length !== 1) {
          throw this.error(
            wrapped,
            `${wrapped.name}() only works around one aggregate in a query grouped by time_bucket_gapfill(...)`,
          );
        }
        fills.push(wrapped.name as FillMode);
        return this.x.bind(wrapped.args[0]!, env);
      }
      fills.push('null');
      return this.x.bind(it.expr, env);
    });
    let having: BExpr | undefined;
    if (core.having && state)
      having = this.x.bind(this.aliasesToItems(core.having, items, from.scope), { ...env, clause: 'HAVING' });
    const columns: Column[] = items.map((it, i) => ({ name: it.name, type: exprs[i]!.type }));

    // ORDER BY and DISTINCT ON keys: result columns, or hidden extra columns
    const hidden: BExpr[] = [];
    const keyFor = (e: A.Expr, what: string): BExpr => {
      const idx =
        this.outputIndex(e, columns) ?? items.findIndex((it) => printExpr(it.expr) === printExpr(e));
      // a result column by position, alias or name, or the same expression as a select item
      if (idx >= 0) {
        return slot(idx, columns[idx]!.type, columns[idx]!.name);
      }
      if (core.distinct)
        throw this.error(e, `With SELECT DISTINCT, each ${what} expression must be in the select list`);
      const b = this.x.bind(e, { ...env, clause: what });
      const at = items.length + hidden.length;
      hidden.push(b);
      return slot(at, b.type, printExpr(e));
    };
    const sortKeys = orderBy.map((o) => sortKey(keyFor(o.expr, 'ORDER BY'), o));
    const distinctOnKeys = core.distinctOn.map((e) => keyFor(e, 'DISTINCT ON'));

    if (state) {
      plan = {
        kind: 'aggregate',
        input: plan,
        groupBy: state.keys.map((k) => k.expr),
        aggregates: state.aggs,
        columns: [
          ...state.keys.map((k, i) => ({ name: `#${i}`, type: k.expr.type })),
          ...state.aggs.map((a) => ({ name: a.text, type: a.type })),
        ],
      };
      if (having) plan = { kind: 'filter', input: plan, predicate: having, columns: plan.columns };
    }
    const allExprs = [...exprs, ...hidden];
    const projected: Column[] = [...columns, ...hidden.map((h, i) => ({ name: `#order${i}`, type: h.type }))];
    plan = { kind: 'project', input: plan, exprs: allExprs, columns: projected };
    if (state?.gapfillKey) plan = this.gapfill(plan, state, allExprs, fills, from);
    if (distinctOnKeys.length)
      plan = {
        kind: 'distinctOn',
        input: plan,
        keys: distinctOnKeys,
        order: sortKeys,
        columns: plan.columns,
      };
    else if (core.distinct) plan = { kind: 'distinct', input: plan, columns: plan.columns };
    return this.finish(plan, sortKeys, q, columns.length);
  }

  /** SQLite lets HAVING name select aliases: a name that is no input column but an alias becomes that item. */
  private aliasesToItems(
    e: A.Expr,
    items: ReadonlyArray<{ expr: A.Expr; alias?: string | undefined }>,
    scope: Scope,
  ): A.Expr {
    const sub = (x: A.Expr): A.Expr => this.aliasesToItems(x, items, scope);
    switch (e.kind) {
      case 'column': {
        if (e.table !== undefined || scope.find(e.name, undefined).length) return e;
        const it = items.find((i) => i.alias !== undefined && i.alias.toLowerCase() === e.name.toLowerCase());
        return it ? it.expr : e;
      }
      case 'unary':
        return { ...e, operand: sub(e.operand) };
      case 'binary':
        return { ...e, left: sub(e.left), right: sub(e.right) };
      case 'isNull':
        return { ...e, operand: sub(e.operand) };
      case 'between':
        return { ...e, operand: sub(e.operand), low: sub(e.low), high: sub(e.high) };
      case 'in':
        return { ...e, operand: sub(e.operand), list: e.list.map(sub) };
      case 'like':
        return { ...e, operand: sub(e.operand), pattern: sub(e.pattern) };
      case 'call':
        return { ...e, args: e.args.map(sub) };
      case 'cast':
        return { ...e, operand: sub(e.operand) };
      case 'case':
        return {
          ...e,
          operand: e.operand && sub(e.operand),
          whens: e.whens.map((w) => ({ when: sub(w.when), result: sub(w.result) })),
          else: e.else && sub(e.else),
        };
      default:
        return e;
    }
  }

  private where(e: A.Expr, from: FromResult, env: ExprEnv): Plan {
    const predicate = this.x.bind(e, env);
    if (
      predicate.kind === 'const' &&
      predicate.value !== null &&
      predicate.value !== false &&
      predicate.value !== 0
    )
      return from.plan;
    const terms = conjuncts(predicate);
    const kept: BExpr[] = [];
    const single = from.plan.kind === 'scan' ? from.scans[0] : undefined;
    for (const term of terms) {
      let answered = false;
      const used = slotsOf(term);
      for (const scan of from.scans) {
        if (![...used].every((i) => i >= scan.offset && i < scan.offset + scan.columns.length)) continue;
        if (pushTerm(term, scan.columns, scan.offset, scan.options)) {
          scan.pushed.push(describeTerm(term));
          answered = scan === single;
        }
      }
      if (!answered) kept.push(term);
    }
    const rest = andAll(kept);
    return rest
      ? { kind: 'filter', input: from.plan, predicate: rest, columns: from.plan.columns }
      : from.plan;
  }

  private expandStars(
    items: ReadonlyArray<A.SelectItem | A.Star>,
    scope: Scope,
  ): Array<{ expr: A.Expr; name: string; alias?: string | undefined }> {
    const out: Array<{ expr: A.Expr; name: string; alias?: string | undefined }> = [];
    for (const it of items) {
      if (it.kind === 'star') {
        if (it.table !== undefined && !scope.hasTable(it.table))
          throw this.error(it, `There is no table or alias "${it.table}" in this query`);
        const cols = scope.columns.filter(
          (c) => !c.hidden && (it.table === undefined || c.table?.toLowerCase() === it.table.toLowerCase()),
        );
        if (cols.length === 0) throw this.error(it, 'SELECT * needs a FROM clause');
        for (const c of cols) out.push({ expr: A.column(c.name, c.table, it.pos), name: c.name });
      } else {
        const name =
          it.alias ?? (it.expr.kind === 'column' ? it.expr.name : (it.source ?? printExpr(it.expr)));
        out.push({ expr: it.expr, name, alias: it.alias });
      }
    }
    return out;
  }

  /** GROUP BY expressions, with select aliases and positions replaced by the select item. */
  private groupKeys(
    core: A.SelectCore,
    items: ReadonlyArray<{ expr: A.Expr; alias?: string | undefined }>,
    scope: Scope,
  ): A.Expr[] {
    return core.groupBy.map((g) => {
      if (g.kind === 'number' && /^\d+$/.test(g.text)) {
        const k = Number(g.text);
        const it = items[k - 1];
        if (!it)
          throw this.error(
            g,
            `GROUP BY position ${k} is out of range: there are ${items.length} select items`,
          );
        return it.expr;
      }
      if (g.kind === 'column' && g.table === undefined && scope.find(g.name, undefined).length === 0) {
        const it = items.find((i) => i.alias !== undefined && i.alias.toLowerCase() === g.name.toLowerCase());
        if (it) return it.expr;
      }
      return g;
    });
  }

  private gapfill(
    plan: Plan,
    state: AggState,
    exprs: readonly BExpr[],
    fills: FillMode[],
    from: FromResult,
  ): Plan {
    const key = state.gapfillKey!;
    const bucket = exprs.findIndex((e) => e.kind === 'slot' && e.index === key.index);
    if (bucket < 0)
      throw this.error(key.call, 'The time_bucket_gapfill(...) column must be in the select list');
    const step = this.constantNumber(key.call.args[0]!, 'The width of time_bucket_gapfill', true);
    let lo: number | undefined;
    let hi: number | undefined;
    if (key.call.args.length >= 4) {
      lo = this.constantNumber(key.call.args[2]!, 'The start of time_bucket_gapfill', false);
      hi = this.constantNumber(key.call.args[3]!, 'The finish of time_bucket_gapfill', false) - 1;
    } else {
      const timeArg = key.call.args[1]!;
      const scan = from.scans.find(
        (s) => timeArg.kind === 'column' && s.columns.some((c) => c.role === 'time'),
      );
      lo = scan?.options.from;
      hi = scan?.options.to;
    }
    if (lo === undefined || hi === undefined) {
      throw this.error(
        key.call,
        'time_bucket_gapfill needs a time range to fill',
        "Add WHERE time >= ... AND time < ... (both bounds), or pass start and finish: time_bucket_gapfill('5m', time, start, finish).",
      );
    }
    const partition: number[] = [];
    exprs.forEach((e, i) => {
      if (i !== bucket && e.kind === 'slot' && e.index < state.keys.length) partition.push(i);
    });
    const fill = plan.columns.map((_, i) => fills[i] ?? 'null');
    return {
      kind: 'gapfill',
      input: plan,
      bucket,
      step,
      from: lo,
      to: hi,
      partition,
      fill,
      columns: plan.columns,
    };
  }

  private constantNumber(e: A.Expr, what: string, interval: boolean): number {
    let b = this.x.bind(e, { scope: new Scope([]), clause: what });
    if (interval && b.kind === 'const' && typeof b.value === 'string') {
      b = constant(this.x.interval(A.interval(b.value, e.pos)), 'int');
    }
    if (!interval && b.kind === 'const' && typeof b.value === 'string')
      b = this.x.fold({ kind: 'apply', fn: 'to_time', args: [b], type: 'time' });
    if (b.kind !== 'const' || typeof b.value !== 'number' || Number.isNaN(b.value)) {
      throw this.error(e, `${what} must be a constant ${interval ? "interval such as '5m'" : 'time'}`);
    }
    return b.value;
  }

  // ---- FROM ----

  private from(f: A.FromItem): FromResult {
    switch (f.kind) {
      case 'tableRef':
        return this.scan(f);
      case 'subqueryRef': {
        const plan = this.query(f.query);
        const table = f.alias;
        const scope = new Scope(
          plan.columns.map((c, index) => ({ name: c.name, table, type: c.type, index })),
        );
        return { plan, scope, scans: [] };
      }
      case 'join':
        return this.join(f);
      default:
        return A.assertNever(f);
    }
  }

  private scan(f: A.TableRef): FromResult {
    const view = this.findTable(f.name) ? undefined : this.findView(f.name);
    if (view) return this.viewRef(f, view);
    const info = this.table(f.name, f);
    const table = f.alias ?? info.name;
    const columns = tableColumns(info, table);
    const options: ScanOptions = {};
    const pushed: string[] = [];
    const plan: Plan = { kind: 'scan', table: info.name, columns, options, pushed };
    const scope = tableScope(info, columns, table);
    return { plan, scope, scans: [{ columns, offset: 0, options, pushed }] };
  }

  private join(f: A.Join): FromResult {
    const left = this.from(f.left);
    const right = this.from(f.right);
    const nl = left.plan.columns.length;
    const scope = new Scope([
      ...left.scope.columns,
      ...right.scope.columns.map((c) => ({ ...c, index: c.index + nl })),
    ]);
    const rightScans = right.scans.map((s) => ({ ...s, offset: s.offset + nl }));
    const columns = [...left.plan.columns, ...right.plan.columns];
    const leftKeys: BExpr[] = [];
    const rightKeys: BExpr[] = [];
    const residual: BExpr[] = [];
    if (f.on) {
      const on = this.x.bind(f.on, { scope, clause: 'ON' });
      for (const term of conjuncts(on)) {
        const side = (e: BExpr): 'left' | 'right' | 'both' | 'none' => {
          const used = [...slotsOf(e)];
          if (used.length === 0) return 'none';
          if (used.every((i) => i < nl)) return 'left';
          if (used.every((i) => i >= nl)) return 'right';
          return 'both';
        };
        if (term.kind === 'apply' && term.fn === '=') {
          const [a, b] = term.args as [BExpr, BExpr];
          const sa = side(a);
          const sb = side(b);
          if ((sa === 'left' && sb === 'right') || (sa === 'right' && sb === 'left')) {
            const [l, r] = sa === 'left' ? [a, b] : [b, a];
            leftKeys.push(l);
            rightKeys.push(mapSlots(r, (i, s) => ({ ...s, index: i - nl })));
            continue;
          }
        }
        const s = side(term);
        const scans = s === 'right' ? rightScans : s === 'left' && f.type === 'inner' ? left.scans : [];
        for (const scan of scans) {
          const used = slotsOf(term);
          if (
            [...used].every((i) => i >= scan.offset && i < scan.offset + scan.columns.length) &&
            pushTerm(term, scan.columns, scan.offset, scan.options)
          ) {
            scan.pushed.push(describeTerm(term));
          }
        }
        residual.push(term);
      }
    }
    const plan: Plan = {
      kind: 'join',
      type: f.type,
      left: left.plan,
      right: right.plan,
      leftKeys,
      rightKeys,
      residual: andAll(residual),
      columns,
    };
    return { plan, scope, scans: [...left.scans, ...rightScans] };
  }

  // ---- INSERT ----

  private insert(s: A.Insert): Plan {
    return bindInsert(
      {
        x: this.x,
        lookup: this.o.lookup,
        query: (q) => this.query(q),
        findTable: (name) => this.findTable(name),
      },
      s,
    );
  }
}

function sortKey(expr: BExpr, o: A.OrderItem): SortKey {
  // SQLite: NULLs first ascending, last descending
  const nullsFirst = o.nulls === undefined ? !o.desc : o.nulls === 'first';
  return { expr, desc: o.desc, nullsFirst };
}

function values(rows: ReadonlyArray<readonly Value[]>, columns: readonly Column[]): Plan {
  return { kind: 'values', rows, columns };
}
