/**
 * Physical planning: the one place that chooses which operator runs each node of a bound logical
 * plan (as DuckDB's `physical_plan/plan_*.cpp` and DataFusion's `physical-plan/` do). `execute`
 * (operators.ts) dispatches on the chosen node's `kind` and nothing else; EXPLAIN (explain.ts)
 * prints this same tree, so what it names is what runs. The choices read the plan and the facts
 * of this run (`PhysicalOptions`), once per statement, never per batch or row.
 *
 * A physical node is plain readonly data: its `kind` names the operator, `plan` is the logical
 * node it runs (its parameters, and its lines in EXPLAIN), `inputs` are the physical nodes it
 * reads, and a fused operator's `fused` is the logical subtree it reads itself (a scan, perhaps
 * filtered, perhaps projected), which EXPLAIN prints under it.
 */
import type { BExpr, Plan } from '../plan/logical';
import { assertNever } from '../sql/ast';
import { scanUnder } from './scan-fused';
import { type TimeMergeShape, timeMergeShape } from './scan-merge';
import { type StatsShape, statsShape } from './scan-stats';
import { TOP_N_MAX, type TopNScanShape, topNScanShape } from './scan-topn';
import { sameOrder } from './sort';

type Logical<K extends Plan['kind']> = Extract<Plan, { kind: K }>;
type ScanPlan = Logical<'scan'>;

/** The facts of this run that choices depend on. */
export interface PhysicalOptions {
  /** answer aggregates from chunk statistics where they are exact (QueryOptions.statistics) */
  readonly useStatistics: boolean;
  /** the statement runs in a transaction's view (a DELETE then writes markers, not a tombstone) */
  readonly inTransaction: boolean;
}

/** The fields every physical node has. */
interface Node<K extends string, P extends Plan> {
  readonly kind: K;
  readonly plan: P;
  readonly inputs: readonly PhysicalPlan[];
}

/** A node that reads the logical subtree `fused` itself (no operator runs for its nodes). */
interface Fused<K extends string, P extends Plan> extends Node<K, P> {
  readonly fused: Plan;
}

/** A fused operator over a table scan and the WHERE not pushed into it. */
interface OverScan<K extends string, P extends Plan> extends Fused<K, P> {
  readonly scan: ScanPlan;
  readonly predicate: BExpr | undefined;
}

/** An aggregate that does not use chunk statistics, and why (EXPLAIN says it). */
interface NoStatistics {
  readonly statistics: string;
}

export type PhysicalPlan =
  | Node<'tableScan', ScanPlan>
  | Node<'values', Logical<'values'>>
  | Node<'filter', Logical<'filter'>>
  | Node<'project', Logical<'project'>>
  | OverScan<'fusedScanProject', Logical<'project'>>
  | (Node<'hashAggregate', Logical<'aggregate'>> & NoStatistics)
  | (OverScan<'fusedScanAggregate', Logical<'aggregate'>> & NoStatistics)
  | (Fused<'statsAggregate', Logical<'aggregate'>> & { readonly shape: StatsShape })
  | Node<'gapfill', Logical<'gapfill'>>
  | (Fused<'timeMergeScan', Logical<'sort'>> & {
      readonly shape: TimeMergeShape;
      /** a LIMIT small enough for a bounded heap: each series gives at most that many rows */
      readonly keep: number | undefined;
    })
  | (Fused<'topNScan', Logical<'sort'>> & { readonly shape: TopNScanShape })
  | Node<'presorted', Logical<'sort'>>
  | (Node<'topN', Logical<'sort'>> & { readonly keep: number })
  | Node<'sort', Logical<'sort'>>
  | Node<'limit', Logical<'limit'>>
  | Node<'distinct', Logical<'distinct'>>
  | Node<'distinctOn', Logical<'distinctOn'>>
  | (OverScan<'fusedScanDistinctOn', Logical<'distinctOn'>> & { readonly project: Logical<'project'> })
  | Node<'hashJoin' | 'nestedLoopJoin', Logical<'join'>>
  | Node<'union', Logical<'union'>>
  | Node<'insertReadings', Logical<'insert'>>
  | Node<'insertSqlite', Logical<'insert'>>
  | Node<'deleteByTombstone', Logical<'delete'>>
  | Node<'deleteByMarkers', Logical<'delete'> & { readonly input: Plan }>
  | Node<'update', Logical<'update'>>
  | Node<'dropTable', Logical<'dropTable'>>
  | Node<'createTable', Logical<'createTable'>>
  | Node<'createIndex', Logical<'createIndex'>>
  | Node<'dropIndex', Logical<'dropIndex'>>
  | Node<'viewChange', Logical<'viewChange'>>
  | Node<'explain', Logical<'explain'>>;

/** The name of a physical operator (what EXPLAIN prints and `Runtime.ran` records). */
export type OperatorKind = PhysicalPlan['kind'];

/** The physical node of operator `K`. */
export type Physical<K extends OperatorKind> = Extract<PhysicalPlan, { kind: K }>;

/** Chooses the operator of every node of `plan`, from the plan and `options` only. */
export function planPhysical(plan: Plan, options: PhysicalOptions): PhysicalPlan {
  const input = (p: Plan): PhysicalPlan => planPhysical(p, options);
  const node = <K extends OperatorKind, P extends Plan>(kind: K, p: P, inputs: readonly Plan[]) => ({
    kind,
    plan: p,
    inputs: inputs.map(input),
  });
  switch (plan.kind) {
    case 'scan':
      return node('tableScan', plan, []);
    case 'values':
      return node('values', plan, []);
    case 'filter':
      return node('filter', plan, [plan.input]);
    case 'project': {
      const under = scanUnder(plan.input);
      if (!under) return node('project', plan, [plan.input]);
      return overScan('fusedScanProject', plan, plan.input, under);
    }
    case 'aggregate':
      return planAggregate(plan, options, input);
    case 'gapfill':
      return node('gapfill', plan, [plan.input]);
    case 'sort':
      return planSort(plan, input);
    case 'limit':
      return node('limit', plan, [plan.input]);
    case 'distinct':
      return node('distinct', plan, [plan.input]);
    case 'distinctOn': {
      const project = plan.input.kind === 'project' ? plan.input : undefined;
      const under = project && scanUnder(project.input);
      if (!project || !under) return node('distinctOn', plan, [plan.input]);
      return { ...overScan('fusedScanDistinctOn', plan, plan.input, under), project };
    }
    case 'join':
      return node(plan.rightKeys.length ? 'hashJoin' : 'nestedLoopJoin', plan, [plan.left, plan.right]);
    case 'union':
      return node('union', plan, plan.inputs);
    case 'insert':
      return node(plan.sqlite ? 'insertSqlite' : 'insertReadings', plan, [plan.input]);
    case 'delete':
      return planDelete(plan, options);
    case 'update':
      return node('update', plan, [plan.input]);
    case 'dropTable':
      return node('dropTable', plan, []);
    case 'createTable':
      return node('createTable', plan, []);
    case 'createIndex':
      return node('createIndex', plan, []);
    case 'dropIndex':
      return node('dropIndex', plan, []);
    case 'viewChange':
      return node('viewChange', plan, []);
    case 'explain':
      return node('explain', plan, [plan.plan]);
    default:
      return assertNever(plan);
  }
}

function overScan<K extends string, P extends Plan>(
  kind: K,
  plan: P,
  fused: Plan,
  under: { scan: ScanPlan; predicate?: BExpr },
): OverScan<K, P> {
  return { kind, plan, inputs: [], fused, scan: under.scan, predicate: under.predicate };
}

/** Statistics when they answer it and are on; else fused over a scan; else a hash aggregate. */
function planAggregate(
  plan: Logical<'aggregate'>,
  options: PhysicalOptions,
  input: (p: Plan) => PhysicalPlan,
): PhysicalPlan {
  const shape = statsShape(plan);
  if ('scan' in shape && options.useStatistics)
    return { kind: 'statsAggregate', plan, inputs: [], fused: plan.input, shape };
  const statistics = 'scan' in shape ? 'turned off for this query' : `not used, ${shape.reason}`;
  const under = scanUnder(plan.input);
  if (under) return { ...overScan('fusedScanAggregate', plan, plan.input, under), statistics };
  return { kind: 'hashAggregate', plan, inputs: [input(plan.input)], statistics };
}

/**
 * A merge of per-series runs when the first key is the scan's time; a top-N fused into the scan
 * when it is a numeric field; nothing to do over a DISTINCT ON in that order; else a heap for a
 * small LIMIT, or a full sort.
 */
function planSort(plan: Logical<'sort'>, input: (p: Plan) => PhysicalPlan): PhysicalPlan {
  // a small top-N keeps a heap; a big one sorts everything with yields (its final sort would block)
  const keep = plan.limit !== undefined && plan.limit <= TOP_N_MAX ? plan.limit : undefined;
  const merge = timeMergeShape(plan);
  if (merge) return { kind: 'timeMergeScan', plan, inputs: [], fused: plan.input, shape: merge, keep };
  const topN = topNScanShape(plan);
  if (topN) return { kind: 'topNScan', plan, inputs: [], fused: plan.input, shape: topN };
  const inputs = [input(plan.input)];
  // DISTINCT ON gives its rows in its ORDER BY already (as PostgreSQL's does)
  if (plan.input.kind === 'distinctOn' && sameOrder(plan.keys, plan.input.order))
    return { kind: 'presorted', plan, inputs };
  if (keep !== undefined) return { kind: 'topN', plan, inputs, keep };
  return { kind: 'sort', plan, inputs };
}

/**
 * A tombstone when the WHERE is time ranges and tag equalities only, outside a transaction and
 * without RETURNING, or when the conditions contradict each other and nothing is returned;
 * otherwise the matching rows are read and a delete marker written for each (exec/change.ts).
 */
function planDelete(plan: Logical<'delete'>, options: PhysicalOptions): PhysicalPlan {
  const nothing = plan.options.empty && !plan.returning;
  if (nothing || !plan.input || (plan.tombstone === true && !options.inTransaction))
    return { kind: 'deleteByTombstone', plan, inputs: [] };
  const input = plan.input;
  // the plan as it runs: by markers, so EXPLAIN says so
  const markers = { ...plan, input, tombstone: false };
  return { kind: 'deleteByMarkers', plan: markers, inputs: [planPhysical(input, options)] };
}
