/**
 * The bound, typed form of a query: expressions with resolved slots and types (`BExpr`) and the
 * logical plan (`Plan`) the executor runs. Plain readonly data; `explainPlan` prints it for EXPLAIN.
 */
import type { SqliteColumn, SqliteTable, SqlView } from '../catalog/catalog';
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
  /**
   * a field whose values are the rows' times in units of this many ms (a SQLite-shaped table's
   * time column): a comparison of it with a number also narrows the scan's time range
   */
  readonly timeUnitMs?: number | undefined;
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

/** What CREATE TABLE declares (the storage's createTable definition). */
export interface TableDefinitionSpec {
  readonly tags: readonly string[];
  readonly fields: Readonly<Record<string, 'float' | 'int' | 'bool' | 'string'>>;
  /** ms */
  readonly partitionDuration?: number;
  /** ms */
  readonly retention?: number;
  /** a table declared as SQLite declares them (no TAG or time column): docs/sql.md */
  readonly sqlite?: SqliteTable;
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
      readonly kind: 'delete';
      readonly table: string;
      /** the rows to delete: time range (inclusive ms) and tag equalities; none: every row */
      readonly options: ScanOptions;
      /** the WHERE as written, for EXPLAIN */
      readonly pushed: readonly string[];
      /**
       * the rows the WHERE selects (every column of the table, then the hidden rowid), deleted
       * one by one with delete markers; absent: a tombstone of `options` (time ranges and tag
       * equalities). See exec/change.ts.
       */
      readonly input?: Plan | undefined;
      /** with `input`: a tombstone of `options` does the same (outside a transaction, no RETURNING) */
      readonly tombstone?: boolean | undefined;
      /** RETURNING's expressions over a deleted row (the input's columns) */
      readonly returning?: readonly BExpr[] | undefined;
      readonly columns: readonly Column[];
    }
  | {
      readonly kind: 'update';
      readonly table: string;
      /** the rows to change: every column of the table (time, tags, fields), then the hidden rowid */
      readonly input: Plan;
      /** per assigned column: its slot in the input's rows and its new value over the old row */
      readonly assignments: ReadonlyArray<{ readonly index: number; readonly expr: BExpr }>;
      /** RETURNING's expressions over a changed row (the input's columns, new values) */
      readonly returning?: readonly BExpr[] | undefined;
      /** a table declared as SQLite declares them: affinity, NOT NULL, CHECK and UNIQUE for each changed row */
      readonly rules?: TableRules | undefined;
      readonly columns: readonly Column[];
    }
  | {
      readonly kind: 'dropTable';
      readonly table: string;
      /** IF EXISTS and the table does not exist: nothing to do */
      readonly missing: boolean;
      readonly columns: readonly Column[];
    }
  | {
      readonly kind: 'createTable';
      readonly table: string;
      readonly definition: TableDefinitionSpec;
      readonly ifNotExists: boolean;
      readonly columns: readonly Column[];
    }
  | {
      /** EXPLAIN: runs the storage's metadata pass over the plan's scans when it runs */
      readonly kind: 'explain';
      readonly plan: Plan;
      readonly columns: readonly Column[];
    }
  | {
      readonly kind: 'insert';
      readonly table: string;
      readonly input: Plan;
      /** per input slot: the target column and whether it is the time, a tag or a field */
      readonly targets: ReadonlyArray<{ readonly name: string; readonly role: 'time' | 'tag' | 'field' }>;
      readonly columns: readonly Column[];
      /** into a table declared as SQLite declares them: see SqliteInsert */
      readonly sqlite?: SqliteInsert;
    }
  | {
      /** CREATE [UNIQUE] INDEX: recorded in the table's declaration */
      readonly kind: 'createIndex';
      readonly table: string;
      readonly index: string;
      readonly unique: boolean;
      readonly keyColumns: readonly string[];
      /** IF NOT EXISTS and an index of that name exists: nothing to do */
      readonly exists: boolean;
      /** the table's declaration with the index */
      readonly shape: SqliteTable;
      readonly columns: readonly Column[];
    }
  | {
      /** CREATE VIEW (view given) or DROP VIEW (view null) */
      readonly kind: 'viewChange';
      readonly name: string;
      readonly view: SqlView | null;
      readonly ifNotExists: boolean;
      /** IF [NOT] EXISTS found nothing to do */
      readonly skip: boolean;
      readonly columns: readonly Column[];
    }
  | {
      readonly kind: 'dropIndex';
      readonly index: string;
      /** the table of the index; null: IF EXISTS and there is no such index */
      readonly table: string | null;
      /** the table's declaration without the index */
      readonly shape: SqliteTable | null;
      readonly columns: readonly Column[];
    };

/**
 * The rules of a table declared as SQLite declares them, bound for a statement (plan/constraints.ts
 * binds them, exec/constraints.ts applies them to a row): DEFAULTs, CHECKs, NOT NULL, UNIQUE keys
 * and affinity, over a row in the layout of the table's scan (time, the declared columns, the rowid).
 */
export interface TableRules {
  readonly table: string;
  /** the declared columns, in order (column i is at layout position i + 1) */
  readonly columns: readonly SqliteColumn[];
  /** per declared column, the field type stored values have: declared, or given by the first write */
  readonly storage: ReadonlyArray<'float' | 'int' | 'bool' | 'string' | null>;
  /** per declared column, its DEFAULT (a constant expression), or null for NULL */
  readonly defaults: ReadonlyArray<BExpr | null>;
  /** CHECK constraints over the row layout; `name` is the CONSTRAINT name, `text` the expression */
  readonly checks: ReadonlyArray<{
    readonly name: string | null;
    readonly text: string;
    readonly expr: BExpr;
  }>;
  /** UNIQUE keys (UNIQUE, a PRIMARY KEY that is not the rowid, UNIQUE INDEX): layout positions */
  readonly keys: ReadonlyArray<{ readonly positions: readonly number[] }>;
  /** layout position of the INTEGER PRIMARY KEY column, or -1 */
  readonly alias: number;
  /** layout position of the rowid */
  readonly rowid: number;
  /** the time column (WITH time_column): its layout position and unit, or null */
  readonly time: { readonly position: number; readonly unitMs: number } | null;
}

/**
 * INSERT into a table declared as SQLite declares them. Rows are built in the layout of the
 * table's scan (`tableColumns`: time, the declared columns, the rowid), checked against `rules`,
 * then stored.
 */
export interface SqliteInsert {
  readonly rules: TableRules;
  /** per input slot, its position in the row layout */
  readonly slots: readonly number[];
  /** what a conflict with a UNIQUE key does: 'abort' (refuse the statement), 'ignore', 'replace' */
  readonly conflict: 'abort' | 'ignore' | 'replace';
  /** ON CONFLICT (key) DO NOTHING: only conflicts on this key (layout positions) are ignored */
  readonly ignoreKey: readonly number[] | null;
  /** RETURNING's expressions over the stored row's layout; null without RETURNING */
  readonly returning: readonly BExpr[] | null;
  /**
   * ON CONFLICT (key) DO UPDATE SET ... [WHERE ...]: a row that conflicts on `key` changes the row
   * it conflicts with instead. `set` and `where` read the existing row (layout positions) and the
   * row proposed (`excluded.*`, the same layout after it).
   */
  readonly upsert: {
    /** the conflict target; null: a conflict on any key */
    readonly key: readonly number[] | null;
    readonly set: ReadonlyArray<{ readonly position: number; readonly expr: BExpr }>;
    readonly where: BExpr | null;
  } | null;
}

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
  const lines = [`Scan ${p.table}: ${describeRange(p.options).join('; ')}`];
  if (p.pushed.length) lines.push(`  pushed down: ${p.pushed.join(' AND ')}`);
  return lines;
}

/** Extra lines printed under a node (EXPLAIN's storage pass adds pruning and statistics). */
export type ExplainNotes = (p: Plan) => readonly string[];

/** One line per node, children indented under their parent; `notes` adds lines under a node. */
export function explainPlan(p: Plan, depth = 0, notes?: ExplainNotes): string[] {
  const pad = '  '.repeat(depth);
  const own = explainNode(p).map((l) => pad + l);
  const extra = notes ? notes(p).map((l) => `${pad}  ${l}`) : [];
  return [...own, ...extra, ...planInputs(p).flatMap((c) => explainPlan(c, depth + 1, notes))];
}

/** The inputs of a node, in the order EXPLAIN prints them. */
export function planInputs(p: Plan): readonly Plan[] {
  switch (p.kind) {
    case 'delete':
      return p.input && !p.tombstone ? [rowsRead(p.input)] : [];
    case 'update':
      return [rowsRead(p.input)];
    case 'scan':
    case 'values':
    case 'dropTable':
    case 'createTable':
    case 'createIndex':
    case 'dropIndex':
    case 'viewChange':
      return [];
    case 'join':
      return [p.left, p.right];
    case 'union':
      return p.inputs;
    case 'explain':
      return [p.plan];
    default:
      return [p.input];
  }
}

/** The rows UPDATE and DELETE read, without the projection of every column (and the rowid) over them. */
function rowsRead(input: Plan): Plan {
  return input.kind === 'project' ? input.input : input;
}

/** A node's own lines, unindented (EXPLAIN prints them, then its notes, then its inputs). */
export function explainNode(p: Plan): string[] {
  switch (p.kind) {
    case 'scan':
      return describeScan(p);
    case 'values':
      return [`Values: ${p.rows.length} row${p.rows.length === 1 ? '' : 's'}`];
    case 'filter':
      return [`Filter: ${explainExpr(p.predicate)}`];
    case 'project':
      return [`Project: ${p.exprs.map(explainExpr).join(', ')}`];
    case 'aggregate': {
      const by = p.groupBy.length ? ` by ${p.groupBy.map(explainExpr).join(', ')}` : '';
      return [`HashAggregate: ${p.aggregates.map((a) => a.text).join(', ') || '(no aggregates)'}${by}`];
    }
    case 'gapfill':
      return [`GapFill: ${p.columns[p.bucket]?.name} every ${p.step} ms from ${iso(p.from)} to ${iso(p.to)}`];
    case 'sort':
      return [`${p.limit === undefined ? 'Sort' : `TopN(${p.limit})`}: ${explainSort(p.keys)}`];
    case 'limit':
      return [`Limit: ${p.limit}${p.offset ? ` offset ${p.offset}` : ''}`];
    case 'distinct':
      return ['Distinct'];
    case 'distinctOn':
      return [
        `DistinctOn: ${p.keys.map(explainExpr).join(', ')} keeping first by ${explainSort(p.order) || 'input order'}`,
      ];
    case 'join': {
      const keys = p.leftKeys.map((k, i) => `${explainExpr(k)} = ${explainExpr(p.rightKeys[i]!)}`);
      if (p.residual) keys.push(explainExpr(p.residual));
      const kind = p.leftKeys.length ? 'HashJoin' : 'NestedLoopJoin';
      return [`${kind} (${p.type}): ${keys.join(' AND ') || 'true'}`];
    }
    case 'union':
      return [`Union${p.all ? ' all' : ''}`];
    case 'insert':
      return [`Insert into ${p.table}: ${p.targets.map((t) => `${t.name} (${t.role})`).join(', ')}`];
    case 'delete':
      return describeDelete(p);
    case 'update':
      return [
        `Update ${p.table}: ${p.assignments.map((a) => `${p.input.columns[a.index]?.name} = ${explainExpr(a.expr)}`).join(', ')}`,
      ];
    case 'dropTable':
      return [`DropTable ${p.table}${p.missing ? ': does not exist, nothing to do' : ''}`];
    case 'createTable':
      return describeCreate(p);
    case 'createIndex':
      return [
        `CreateIndex ${p.index} on ${p.table} (${p.keyColumns.join(', ')})${p.unique ? ': unique' : ''}${p.exists ? ': exists, nothing to do' : ''}`,
      ];
    case 'viewChange':
      return [
        `${p.view ? 'CreateView' : 'DropView'} ${p.name}${p.skip ? (p.view ? ': exists, nothing to do' : ': does not exist, nothing to do') : ''}`,
      ];
    case 'dropIndex':
      return [
        `DropIndex ${p.index}${p.table === null ? ': does not exist, nothing to do' : ` on ${p.table}`}`,
      ];
    case 'explain':
      return ['Explain'];
    default:
      return assertNever(p);
  }
}

function describeRange(o: ScanOptions): string[] {
  if (o.empty) return ['nothing (the conditions contradict each other)'];
  const parts = [
    `time ${o.from === undefined ? '(unbounded)' : iso(o.from)} .. ${o.to === undefined ? '(unbounded)' : iso(o.to)}`,
  ];
  const tags = Object.entries(o.tags ?? {}).map(([k, v]) => `${k}='${v}'`);
  for (const [k, vs] of Object.entries(o.tagsIn ?? {}))
    tags.push(`${k} IN (${vs.map((v) => `'${v}'`).join(', ')})`);
  parts.push(tags.length ? `tags ${tags.join(', ')}` : 'all series');
  return parts;
}

function describeDelete(p: Extract<Plan, { kind: 'delete' }>): string[] {
  if (p.input && !p.tombstone) return [`Delete from ${p.table}: the rows below, by delete markers`];
  const lines = [`Delete from ${p.table}: ${describeRange(p.options).join('; ')}`];
  if (p.pushed.length) lines.push(`  where: ${p.pushed.join(' AND ')}`);
  return lines;
}

function describeCreate(p: Extract<Plan, { kind: 'createTable' }>): string[] {
  const d = p.definition;
  const sqlite = d.sqlite;
  const columns = sqlite
    ? sqlite.columns.map(
        (c) => `${c.name} (${c.storage ?? 'any'}${c.name === sqlite.rowidAlias ? ', the rowid' : ''})`,
      )
    : [...d.tags.map((t) => `${t} (tag)`), ...Object.entries(d.fields).map(([f, type]) => `${f} (${type})`)];
  const options: string[] = [];
  if (d.partitionDuration !== undefined) options.push(`partition ${d.partitionDuration} ms`);
  if (d.retention !== undefined) options.push(`retention ${d.retention} ms`);
  const head = `CreateTable ${p.table}${p.ifNotExists ? ' if not exists' : ''}: ${columns.join(', ') || '(no columns)'}`;
  return [options.length ? `${head}; ${options.join(', ')}` : head];
}
