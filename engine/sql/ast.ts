/**
 * The SQL syntax tree: plain readonly data with a `kind` tag, built by the factories below.
 * `pos` is the 0-based offset of the node in the SQL text (for errors); it is not part of the
 * meaning, so the printer ignores it and round-trip tests compare trees without it.
 */

export type Expr =
  | NumberLit
  | StringLit
  | NullLit
  | BoolLit
  | IntervalLit
  | Param
  | ColumnRef
  | Star
  | Unary
  | Binary
  | IsNull
  | Between
  | InList
  | Like
  | Case
  | Cast
  | Call;

interface Node {
  readonly pos?: number | undefined;
}

/** A number as written: '1' is an integer, '1.0' and '1e3' are floats (as in SQLite). */
export interface NumberLit extends Node {
  readonly kind: 'number';
  readonly text: string;
}
export interface StringLit extends Node {
  readonly kind: 'string';
  readonly value: string;
}
export interface NullLit extends Node {
  readonly kind: 'null';
}
export interface BoolLit extends Node {
  readonly kind: 'bool';
  readonly value: boolean;
}
/** INTERVAL '5 minutes' / INTERVAL '5m' */
export interface IntervalLit extends Node {
  readonly kind: 'interval';
  readonly text: string;
}
/** `?` (positional, numbered by the parser from 1), `?3`, `$name`, `:name`, `@name` */
export interface Param extends Node {
  readonly kind: 'param';
  readonly text: string;
  /** for a bare `?`: its 1-based position among the bare `?`s */
  readonly index?: number | undefined;
}
export interface ColumnRef extends Node {
  readonly kind: 'column';
  readonly table?: string | undefined;
  readonly name: string;
}
/** `*` or `t.*` in a select list; `count(*)` is a Call with `star`. */
export interface Star extends Node {
  readonly kind: 'star';
  readonly table?: string | undefined;
}
export type UnaryOp = '-' | '+' | 'NOT';
export interface Unary extends Node {
  readonly kind: 'unary';
  readonly op: UnaryOp;
  readonly operand: Expr;
}
export type BinaryOp =
  | 'OR'
  | 'AND'
  | '='
  | '!='
  | '<'
  | '<='
  | '>'
  | '>='
  | '+'
  | '-'
  | '*'
  | '/'
  | '%'
  | '||';
export interface Binary extends Node {
  readonly kind: 'binary';
  readonly op: BinaryOp;
  readonly left: Expr;
  readonly right: Expr;
}
export interface IsNull extends Node {
  readonly kind: 'isNull';
  readonly operand: Expr;
  readonly not: boolean;
}
export interface Between extends Node {
  readonly kind: 'between';
  readonly operand: Expr;
  readonly low: Expr;
  readonly high: Expr;
  readonly not: boolean;
}
export interface InList extends Node {
  readonly kind: 'in';
  readonly operand: Expr;
  /** the values listed; empty for `IN (SELECT ...)` */
  readonly list: readonly Expr[];
  readonly not: boolean;
  /** `IN (SELECT ...)`: the sub-select whose one column gives the values */
  readonly query?: Query | undefined;
}
export interface Like extends Node {
  readonly kind: 'like';
  readonly operand: Expr;
  readonly pattern: Expr;
  readonly not: boolean;
  /** GLOB rather than LIKE: '*' and '?' and '[...]', case-sensitive */
  readonly glob?: true;
}
export interface Case extends Node {
  readonly kind: 'case';
  readonly operand?: Expr | undefined;
  readonly whens: ReadonlyArray<{ readonly when: Expr; readonly result: Expr }>;
  readonly else?: Expr | undefined;
}
export interface Cast extends Node {
  readonly kind: 'cast';
  readonly operand: Expr;
  /** the type name as written, upper-cased (INTEGER, REAL, TEXT, ...) */
  readonly type: string;
}
export interface Call extends Node {
  readonly kind: 'call';
  /** lower-cased function name */
  readonly name: string;
  readonly args: readonly Expr[];
  readonly distinct: boolean;
  /** count(*) */
  readonly star: boolean;
}

// ---- queries ----

export interface SelectItem extends Node {
  readonly kind: 'item';
  readonly expr: Expr;
  readonly alias?: string | undefined;
  /** the item's text as written (for the result column's name, as SQLite names it); not printed */
  readonly source?: string | undefined;
}

export type FromItem = TableRef | SubqueryRef | Join;
export interface TableRef extends Node {
  readonly kind: 'tableRef';
  readonly name: string;
  readonly alias?: string | undefined;
}
export interface SubqueryRef extends Node {
  readonly kind: 'subqueryRef';
  readonly query: Query;
  readonly alias?: string | undefined;
}
export type JoinType = 'inner' | 'left' | 'cross';
export interface Join extends Node {
  readonly kind: 'join';
  readonly type: JoinType;
  readonly left: FromItem;
  readonly right: FromItem;
  readonly on?: Expr | undefined;
}

export interface SelectCore extends Node {
  readonly kind: 'select';
  readonly distinct: boolean;
  /** DISTINCT ON (...) expressions; empty when absent */
  readonly distinctOn: readonly Expr[];
  readonly items: ReadonlyArray<SelectItem | Star>;
  readonly from?: FromItem | undefined;
  readonly where?: Expr | undefined;
  readonly groupBy: readonly Expr[];
  readonly having?: Expr | undefined;
}
export interface SetOp extends Node {
  readonly kind: 'union';
  readonly all: boolean;
  readonly left: SelectCore | SetOp;
  readonly right: SelectCore;
}
export interface OrderItem {
  readonly expr: Expr;
  readonly desc: boolean;
  readonly nulls?: 'first' | 'last' | undefined;
}
export interface Query extends Node {
  readonly kind: 'query';
  readonly body: SelectCore | SetOp;
  readonly orderBy: readonly OrderItem[];
  readonly limit?: Expr | undefined;
  readonly offset?: Expr | undefined;
}

// ---- statements ----

/** SQLite's conflict resolution: INSERT OR <algo>, UPDATE OR <algo>, ON CONFLICT <algo> in a constraint. */
export type ConflictAlgo = 'rollback' | 'abort' | 'fail' | 'ignore' | 'replace';

/** The items of RETURNING, as a select list. */
export type Returning = ReadonlyArray<SelectItem | Star>;

/** `column = value` in UPDATE ... SET and ON CONFLICT DO UPDATE SET. */
export interface Assignment extends Node {
  readonly column: string;
  readonly value: Expr;
}

/** A column of an index, a table PRIMARY KEY / UNIQUE or an ON CONFLICT target: `expr [COLLATE c] [ASC|DESC]`. */
export interface IndexedColumn {
  readonly expr: Expr;
  readonly collate?: string | undefined;
  /** as written; absent when neither ASC nor DESC is */
  readonly order?: 'asc' | 'desc' | undefined;
}

/** ON CONFLICT [(target) [WHERE ...]] DO NOTHING | DO UPDATE SET ... [WHERE ...] after INSERT's rows. */
export interface Upsert extends Node {
  readonly kind: 'upsert';
  /** the conflict target's columns; empty when absent */
  readonly target: readonly IndexedColumn[];
  readonly targetWhere?: Expr | undefined;
  readonly action: 'nothing' | 'update';
  /** DO UPDATE SET's assignments; empty for DO NOTHING */
  readonly set: readonly Assignment[];
  readonly where?: Expr | undefined;
}

export interface Insert extends Node {
  readonly kind: 'insert';
  readonly table: string;
  /** INSERT OR <algo>; REPLACE INTO is 'replace' */
  readonly or?: ConflictAlgo | undefined;
  /** the column list; empty when absent */
  readonly columns: readonly string[];
  readonly values?: ReadonlyArray<readonly Expr[]> | undefined;
  readonly query?: Query | undefined;
  /** INSERT INTO t DEFAULT VALUES (then neither values nor query) */
  readonly defaultValues?: boolean | undefined;
  /** the ON CONFLICT clauses in order; absent when there is none */
  readonly upsert?: readonly Upsert[] | undefined;
  readonly returning?: Returning | undefined;
}
export interface Update extends Node {
  readonly kind: 'update';
  readonly table: string;
  /** UPDATE OR <algo> */
  readonly or?: ConflictAlgo | undefined;
  readonly assignments: readonly Assignment[];
  readonly where?: Expr | undefined;
  readonly returning?: Returning | undefined;
}
export interface Delete extends Node {
  readonly kind: 'delete';
  readonly table: string;
  readonly where?: Expr | undefined;
  readonly returning?: Returning | undefined;
}

export type ForeignKeyAction = 'set null' | 'set default' | 'cascade' | 'restrict' | 'no action';
/** REFERENCES t [(columns)] [ON DELETE a] [ON UPDATE a] [MATCH m] [[NOT] DEFERRABLE [INITIALLY ...]] */
export interface ForeignKeyClause {
  readonly table: string;
  /** the referenced columns; empty when absent (the parent's primary key) */
  readonly columns: readonly string[];
  readonly onDelete?: ForeignKeyAction | undefined;
  readonly onUpdate?: ForeignKeyAction | undefined;
  readonly match?: string | undefined;
  readonly deferrable?:
    | { readonly not: boolean; readonly initially?: 'deferred' | 'immediate' | undefined }
    | undefined;
}

/** One constraint of a column, `[CONSTRAINT name]` included; several may follow a column in any order. */
export type ColumnConstraint =
  | NotNullConstraint
  | NullConstraint
  | DefaultConstraint
  | ColumnPrimaryKey
  | ColumnUnique
  | CheckConstraint
  | CollateConstraint
  | ReferencesConstraint;
interface Constraint extends Node {
  /** CONSTRAINT name */
  readonly name?: string | undefined;
}
export interface NotNullConstraint extends Constraint {
  readonly kind: 'notNull';
  readonly onConflict?: ConflictAlgo | undefined;
}
export interface NullConstraint extends Constraint {
  readonly kind: 'null';
}
export interface DefaultConstraint extends Constraint {
  readonly kind: 'default';
  /** a literal, a signed number, CURRENT_TIMESTAMP (a ColumnRef by that name) or an expression in ( ) */
  readonly value: Expr;
}
export interface ColumnPrimaryKey extends Constraint {
  readonly kind: 'primaryKey';
  readonly order?: 'asc' | 'desc' | undefined;
  readonly onConflict?: ConflictAlgo | undefined;
  readonly autoincrement: boolean;
}
export interface ColumnUnique extends Constraint {
  readonly kind: 'unique';
  readonly onConflict?: ConflictAlgo | undefined;
}
export interface CheckConstraint extends Constraint {
  readonly kind: 'check';
  readonly expr: Expr;
}
export interface CollateConstraint extends Constraint {
  readonly kind: 'collate';
  /** the collation's name as written: NOCASE, BINARY, RTRIM, ... */
  readonly collation: string;
}
export interface ReferencesConstraint extends Constraint {
  readonly kind: 'references';
  readonly references: ForeignKeyClause;
}

/** A constraint after the column definitions. */
export type TableConstraint = TablePrimaryKey | TableUnique | CheckConstraint | TableForeignKey;
export interface TablePrimaryKey extends Constraint {
  readonly kind: 'primaryKey';
  readonly columns: readonly IndexedColumn[];
  /** PRIMARY KEY (id AUTOINCREMENT), as SQLite allows */
  readonly autoincrement: boolean;
  readonly onConflict?: ConflictAlgo | undefined;
}
export interface TableUnique extends Constraint {
  readonly kind: 'unique';
  readonly columns: readonly IndexedColumn[];
  readonly onConflict?: ConflictAlgo | undefined;
}
export interface TableForeignKey extends Constraint {
  readonly kind: 'foreignKey';
  readonly columns: readonly string[];
  readonly references: ForeignKeyClause;
}

export interface ColumnDef {
  readonly name: string;
  /**
   * upper-cased type words as written, joined by one space: TAG, TEXT TAG, DOUBLE PRECISION,
   * UNSIGNED BIG INT, ...; '' when the column has no type (SQLite allows that)
   */
  readonly type: string;
  /** the type's size as written: VARCHAR(20) gives ['20'], DECIMAL(10, 2) ['10', '2'] */
  readonly size?: readonly string[] | undefined;
  readonly constraints: readonly ColumnConstraint[];
  readonly pos?: number | undefined;
}
export interface CreateTable extends Node {
  readonly kind: 'createTable';
  readonly name: string;
  readonly ifNotExists: boolean;
  readonly columns: readonly ColumnDef[];
  readonly constraints: readonly TableConstraint[];
  /** WITH (key = 'value', ...), keys lower-cased */
  readonly options: ReadonlyArray<{ readonly key: string; readonly value: Expr }>;
  /** SQLite's table options after ")" */
  readonly withoutRowid: boolean;
  readonly strict: boolean;
}
export interface DropTable extends Node {
  readonly kind: 'dropTable';
  readonly name: string;
  readonly ifExists: boolean;
}
export interface CreateIndex extends Node {
  readonly kind: 'createIndex';
  readonly name: string;
  readonly table: string;
  readonly unique: boolean;
  readonly ifNotExists: boolean;
  readonly columns: readonly IndexedColumn[];
  /** a partial index's WHERE */
  readonly where?: Expr | undefined;
}
export interface DropIndex extends Node {
  readonly kind: 'dropIndex';
  readonly name: string;
  readonly ifExists: boolean;
}
/** BEGIN [DEFERRED | IMMEDIATE | EXCLUSIVE] [TRANSACTION] */
export interface Begin extends Node {
  readonly kind: 'begin';
  /** as written; absent when no mode is */
  readonly mode?: 'deferred' | 'immediate' | 'exclusive' | undefined;
}
/** COMMIT [TRANSACTION] or END [TRANSACTION] */
export interface Commit extends Node {
  readonly kind: 'commit';
}
/** ROLLBACK [TRANSACTION] */
export interface Rollback extends Node {
  readonly kind: 'rollback';
}
export interface ShowTables extends Node {
  readonly kind: 'showTables';
}
export interface Describe extends Node {
  readonly kind: 'describe';
  readonly table: string;
}
/** CREATE [TEMP] VIEW [IF NOT EXISTS] v [(columns)] AS select */
export interface CreateView extends Node {
  readonly kind: 'createView';
  readonly name: string;
  readonly ifNotExists: boolean;
  /** the names given to the view's columns; absent: the select's own */
  readonly columns?: readonly string[] | undefined;
  readonly query: Query;
  /** the select's text as written: what the catalog keeps */
  readonly sql: string;
}
/** DROP VIEW [IF EXISTS] v */
export interface DropView extends Node {
  readonly kind: 'dropView';
  readonly name: string;
  readonly ifExists: boolean;
}
/** PRAGMA name [(arg) | = arg]: only table_info is run (plan/binder.ts) */
export interface Pragma extends Node {
  readonly kind: 'pragma';
  readonly name: string;
  readonly arg?: string | undefined;
}
export interface Explain extends Node {
  readonly kind: 'explain';
  readonly statement: Statement;
}

export type Statement =
  | Query
  | Insert
  | Update
  | Delete
  | CreateTable
  | DropTable
  | CreateIndex
  | DropIndex
  | Begin
  | Commit
  | Rollback
  | ShowTables
  | Describe
  | Pragma
  | CreateView
  | DropView
  | Explain;

// ---- factories ----

export const number = (text: string, pos?: number): NumberLit => ({ kind: 'number', text, pos });
export const string = (value: string, pos?: number): StringLit => ({ kind: 'string', value, pos });
export const nullLit = (pos?: number): NullLit => ({ kind: 'null', pos });
export const bool = (value: boolean, pos?: number): BoolLit => ({ kind: 'bool', value, pos });
export const interval = (text: string, pos?: number): IntervalLit => ({ kind: 'interval', text, pos });
export const param = (text: string, index: number | undefined, pos?: number): Param => ({
  kind: 'param',
  text,
  index,
  pos,
});
export const column = (name: string, table?: string, pos?: number): ColumnRef => ({
  kind: 'column',
  table,
  name,
  pos,
});
export const star = (table?: string, pos?: number): Star => ({ kind: 'star', table, pos });
export const unary = (op: UnaryOp, operand: Expr, pos?: number): Unary => ({
  kind: 'unary',
  op,
  operand,
  pos,
});
export const binary = (op: BinaryOp, left: Expr, right: Expr, pos?: number): Binary => ({
  kind: 'binary',
  op,
  left,
  right,
  pos,
});
export const isNull = (operand: Expr, not: boolean, pos?: number): IsNull => ({
  kind: 'isNull',
  operand,
  not,
  pos,
});
export const between = (operand: Expr, low: Expr, high: Expr, not: boolean, pos?: number): Between => ({
  kind: 'between',
  operand,
  low,
  high,
  not,
  pos,
});
export const inList = (
  operand: Expr,
  list: readonly Expr[],
  not: boolean,
  pos?: number,
  query?: Query,
): InList =>
  query ? { kind: 'in', operand, list, not, pos, query } : { kind: 'in', operand, list, not, pos };
export const like = (operand: Expr, pattern: Expr, not: boolean, pos?: number, glob = false): Like =>
  glob
    ? { kind: 'like', operand, pattern, not, pos, glob: true }
    : { kind: 'like', operand, pattern, not, pos };
export const caseExpr = (
  operand: Expr | undefined,
  whens: Case['whens'],
  elseExpr: Expr | undefined,
  pos?: number,
): Case => ({ kind: 'case', operand, whens, else: elseExpr, pos });
export const cast = (operand: Expr, type: string, pos?: number): Cast => ({
  kind: 'cast',
  operand,
  type,
  pos,
});
export const call = (
  name: string,
  args: readonly Expr[],
  distinct = false,
  isStar = false,
  pos?: number,
): Call => ({
  kind: 'call',
  name: name.toLowerCase(),
  args,
  distinct,
  star: isStar,
  pos,
});
export const item = (expr: Expr, alias?: string, pos?: number, source?: string): SelectItem => ({
  kind: 'item',
  expr,
  alias,
  pos,
  source,
});
export const tableRef = (name: string, alias?: string, pos?: number): TableRef => ({
  kind: 'tableRef',
  name,
  alias,
  pos,
});
export const subqueryRef = (query: Query, alias?: string, pos?: number): SubqueryRef => ({
  kind: 'subqueryRef',
  query,
  alias,
  pos,
});
export const join = (type: JoinType, left: FromItem, right: FromItem, on?: Expr, pos?: number): Join => ({
  kind: 'join',
  type,
  left,
  right,
  on,
  pos,
});
export const select = (fields: Omit<SelectCore, 'kind'>): SelectCore => ({ kind: 'select', ...fields });
export const union = (all: boolean, left: SelectCore | SetOp, right: SelectCore, pos?: number): SetOp => ({
  kind: 'union',
  all,
  left,
  right,
  pos,
});
export const query = (fields: Omit<Query, 'kind'>): Query => ({ kind: 'query', ...fields });
export const insert = (fields: Omit<Insert, 'kind'>): Insert => ({ kind: 'insert', ...fields });
export const update = (fields: Omit<Update, 'kind'>): Update => ({ kind: 'update', ...fields });
export const deleteStmt = (table: string, where?: Expr, pos?: number, returning?: Returning): Delete => ({
  kind: 'delete',
  table,
  where,
  returning,
  pos,
});
export const assignment = (column: string, value: Expr, pos?: number): Assignment => ({ column, value, pos });
export const indexedColumn = (expr: Expr, collate?: string, order?: 'asc' | 'desc'): IndexedColumn => ({
  expr,
  collate,
  order,
});
export const upsert = (fields: Omit<Upsert, 'kind'>): Upsert => ({ kind: 'upsert', ...fields });
export const createTable = (fields: Omit<CreateTable, 'kind'>): CreateTable => ({
  kind: 'createTable',
  ...fields,
});
export const dropTable = (name: string, ifExists: boolean, pos?: number): DropTable => ({
  kind: 'dropTable',
  name,
  ifExists,
  pos,
});
export const columnDef = (fields: ColumnDef): ColumnDef => ({ ...fields });
export const notNull = (f: Omit<NotNullConstraint, 'kind'>): NotNullConstraint => ({ kind: 'notNull', ...f });
export const nullConstraint = (f: Omit<NullConstraint, 'kind'>): NullConstraint => ({ kind: 'null', ...f });
export const defaultValue = (f: Omit<DefaultConstraint, 'kind'>): DefaultConstraint => ({
  kind: 'default',
  ...f,
});
export const columnPrimaryKey = (f: Omit<ColumnPrimaryKey, 'kind'>): ColumnPrimaryKey => ({
  kind: 'primaryKey',
  ...f,
});
export const columnUnique = (f: Omit<ColumnUnique, 'kind'>): ColumnUnique => ({ kind: 'unique', ...f });
export const check = (f: Omit<CheckConstraint, 'kind'>): CheckConstraint => ({ kind: 'check', ...f });
export const collate = (f: Omit<CollateConstraint, 'kind'>): CollateConstraint => ({ kind: 'collate', ...f });
export const references = (f: Omit<ReferencesConstraint, 'kind'>): ReferencesConstraint => ({
  kind: 'references',
  ...f,
});
export const tablePrimaryKey = (f: Omit<TablePrimaryKey, 'kind'>): TablePrimaryKey => ({
  kind: 'primaryKey',
  ...f,
});
export const tableUnique = (f: Omit<TableUnique, 'kind'>): TableUnique => ({ kind: 'unique', ...f });
export const foreignKey = (f: Omit<TableForeignKey, 'kind'>): TableForeignKey => ({
  kind: 'foreignKey',
  ...f,
});
export const createIndex = (fields: Omit<CreateIndex, 'kind'>): CreateIndex => ({
  kind: 'createIndex',
  ...fields,
});
export const dropIndex = (name: string, ifExists: boolean, pos?: number): DropIndex => ({
  kind: 'dropIndex',
  name,
  ifExists,
  pos,
});
export const begin = (mode?: Begin['mode'], pos?: number): Begin => ({ kind: 'begin', mode, pos });
export const commit = (pos?: number): Commit => ({ kind: 'commit', pos });
export const rollback = (pos?: number): Rollback => ({ kind: 'rollback', pos });
export const showTables = (pos?: number): ShowTables => ({ kind: 'showTables', pos });
export const createView = (fields: Omit<CreateView, 'kind'>): CreateView => ({
  kind: 'createView',
  ...fields,
});
export const dropView = (name: string, ifExists: boolean, pos?: number): DropView => ({
  kind: 'dropView',
  name,
  ifExists,
  pos,
});
export const pragma = (name: string, arg: string | undefined, pos?: number): Pragma => ({
  kind: 'pragma',
  name,
  arg,
  pos,
});
export const describe = (table: string, pos?: number): Describe => ({ kind: 'describe', table, pos });
export const explain = (statement: Statement, pos?: number): Explain => ({ kind: 'explain', statement, pos });

/** For exhaustive switches: a compile error when a case is missing. */
export function assertNever(x: never): never {
  throw new Error(`unexpected node ${JSON.stringify(x)}`);
}
