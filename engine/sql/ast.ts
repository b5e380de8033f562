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
  readonly list: readonly Expr[];
  readonly not: boolean;
}
export interface Like extends Node {
  readonly kind: 'like';
  readonly operand: Expr;
  readonly pattern: Expr;
  readonly not: boolean;
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

export interface Insert extends Node {
  readonly kind: 'insert';
  readonly table: string;
  /** the column list; empty when absent */
  readonly columns: readonly string[];
  readonly values?: ReadonlyArray<readonly Expr[]> | undefined;
  readonly query?: Query | undefined;
}
export interface Delete extends Node {
  readonly kind: 'delete';
  readonly table: string;
  readonly where?: Expr | undefined;
}
export interface ColumnDef {
  readonly name: string;
  /** upper-cased type as written: TAG, FLOAT, INT, BOOL, STRING, ... */
  readonly type: string;
  readonly pos?: number | undefined;
}
export interface CreateTable extends Node {
  readonly kind: 'createTable';
  readonly name: string;
  readonly ifNotExists: boolean;
  readonly columns: readonly ColumnDef[];
  /** WITH (key = 'value', ...), keys lower-cased */
  readonly options: ReadonlyArray<{ readonly key: string; readonly value: Expr }>;
}
export interface DropTable extends Node {
  readonly kind: 'dropTable';
  readonly name: string;
  readonly ifExists: boolean;
}
export interface ShowTables extends Node {
  readonly kind: 'showTables';
}
export interface Describe extends Node {
  readonly kind: 'describe';
  readonly table: string;
}
export interface Explain extends Node {
  readonly kind: 'explain';
  readonly statement: Statement;
}

export type Statement = Query | Insert | Delete | CreateTable | DropTable | ShowTables | Describe | Explain;

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
export const inList = (operand: Expr, list: readonly Expr[], not: boolean, pos?: number): InList => ({
  kind: 'in',
  operand,
  list,
  not,
  pos,
});
export const like = (operand: Expr, pattern: Expr, not: boolean, pos?: number): Like => ({
  kind: 'like',
  operand,
  pattern,
  not,
  pos,
});
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
export const deleteStmt = (table: string, where?: Expr, pos?: number): Delete => ({
  kind: 'delete',
  table,
  where,
  pos,
});
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
export const showTables = (pos?: number): ShowTables => ({ kind: 'showTables', pos });
export const describe = (table: string, pos?: number): Describe => ({ kind: 'describe', table, pos });
export const explain = (statement: Statement, pos?: number): Explain => ({ kind: 'explain', statement, pos });

/** For exhaustive switches: a compile error when a case is missing. */
export function assertNever(x: never): never {
  throw new Error(`unexpected node ${JSON.stringify(x)}`);
}
