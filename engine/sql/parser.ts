/**
 * Hand-written recursive-descent SQL parser with a Pratt loop for expressions. Syntax only: names,
 * types and arity are the binder's (engine/plan/binder.ts). Errors say what was expected and what
 * was found, at `line L, column C` with the line and a caret, and suggest a keyword for a near miss.
 */

import { clipText } from '../errors';
import * as A from './ast';
import { closest, sqlErrorAt } from './errors';
import { type Token, tokenize } from './lexer';
import { parseCreate, parseDrop, type RuleParser } from './parse-ddl';

/** Words that cannot be bare identifiers (quote them to use one as a name). */
export const RESERVED = new Set([
  'ALL',
  'AND',
  'AS',
  'ASC',
  'BETWEEN',
  'BY',
  'CASE',
  'CAST',
  'CREATE',
  'CROSS',
  'DELETE',
  'DESC',
  'DESCRIBE',
  'DISTINCT',
  'DROP',
  'ELSE',
  'END',
  'EXPLAIN',
  'FALSE',
  'FROM',
  'GROUP',
  'HAVING',
  'IN',
  'INNER',
  'INSERT',
  'INTERVAL',
  'INTO',
  'IS',
  'JOIN',
  'LEFT',
  'LIKE',
  'LIMIT',
  'NOT',
  'NULL',
  'OFFSET',
  'ON',
  'OR',
  'ORDER',
  'OUTER',
  'SELECT',
  'SHOW',
  'TABLE',
  'THEN',
  'TRUE',
  'UNION',
  'VALUES',
  'WHEN',
  'WHERE',
  'WITH',
]);

/** Keywords that start a statement, for "did you mean" at the start. */
const STATEMENT_KEYWORDS = [
  'SELECT',
  'INSERT',
  'REPLACE',
  'UPDATE',
  'DELETE',
  'CREATE',
  'DROP',
  'BEGIN',
  'COMMIT',
  'ROLLBACK',
  'SHOW',
  'DESCRIBE',
  'EXPLAIN',
  'PRAGMA',
];
/** Keywords that may follow a FROM item or an expression, for "did you mean" on a stray word. */
const CLAUSE_KEYWORDS = [
  'FROM',
  'WHERE',
  'GROUP',
  'HAVING',
  'ORDER',
  'LIMIT',
  'OFFSET',
  'UNION',
  'JOIN',
  'LEFT',
  'INNER',
  'ON',
  'AND',
  'OR',
  'NOT',
  'BETWEEN',
  'LIKE',
  'IN',
  'IS',
  'AS',
  'ASC',
  'DESC',
  'THEN',
  'ELSE',
  'END',
  'WHEN',
  'DISTINCT',
  'SELECT',
  'VALUES',
  'INTO',
  'BY',
  'RETURNING',
];

/** Words never read as an alias written without AS: they start the clause that follows. */
const NOT_ALIASES = new Set(['RETURNING']);

const CONFLICT_ALGOS: Readonly<Record<string, A.ConflictAlgo>> = {
  ROLLBACK: 'rollback',
  ABORT: 'abort',
  FAIL: 'fail',
  IGNORE: 'ignore',
  REPLACE: 'replace',
};

const BEGIN_MODES: Readonly<Record<string, NonNullable<A.Begin['mode']>>> = {
  DEFERRED: 'deferred',
  IMMEDIATE: 'immediate',
  EXCLUSIVE: 'exclusive',
};

// Binding powers of infix operators (higher binds tighter).
const BP_OR = 1;
const BP_AND = 2;
const BP_NOT = 3;
const BP_COMPARE = 4;
const BP_ADD = 5;
const BP_MUL = 6;
const BP_CONCAT = 7;
const BP_UNARY = 8;
const BP_POSTFIX = 9;

/**
 * Deepest nesting of a statement's syntax tree: parentheses, calls, sub-selects and chains such as
 * `a OR b OR ...` each add a level. As SQLite's SQLITE_MAX_EXPR_DEPTH: every later pass (binder,
 * planner, compiler) walks the tree recursively, and 10,000 levels would overflow the stack.
 */
export const MAX_TREE_DEPTH = 1000;
/** Most SELECTs joined by UNION [ALL] in one statement (SQLite's SQLITE_MAX_COMPOUND_SELECT). */
export const MAX_COMPOUND_SELECTS = 500;

/**
 * Most terms in a select list, GROUP BY or ORDER BY (SQLite's SQLITE_MAX_COLUMN): 5,000 GROUP BY
 * expressions took 655 ms to plan, in one step.
 */
export const MAX_TERMS = 2000;

/** Each statement's `IN (SELECT ...)` nodes, inner ones first (runQuery runs them first). */
const SUBQUERIES = new WeakMap<A.Statement, readonly A.InList[]>();

/** The `IN (SELECT ...)` of a parsed statement, inner ones first; undefined when it has none. */
export function subqueriesOf(stmt: A.Statement): readonly A.InList[] | undefined {
  return SUBQUERIES.get(stmt);
}

/** The next statement, its sub-selects recorded for subqueriesOf. */
function nextStatement(p: Parser): A.Statement {
  p.subqueries = [];
  const start = p.tok.pos;
  const stmt = p.parseStatement();
  checkDepth(p.sql, start, stmt);
  if (p.subqueries.length) SUBQUERIES.set(stmt, p.subqueries);
  return stmt;
}

/** The error for a statement nested deeper than MAX_TREE_DEPTH (at `offset`). */
function tooDeep(sql: string, offset: number): Error {
  return sqlErrorAt(
    sql,
    offset,
    `This statement nests deeper than ${MAX_TREE_DEPTH} levels (parentheses, calls, sub-selects, or a chain of AND / OR)`,
    'Write a long list of alternatives as IN (...) instead of ORs, or split the statement.',
    'HELIOS_SQL_TOO_COMPLEX',
  );
}

/**
 * Throws when the tree of `stmt` is deeper than MAX_TREE_DEPTH nodes. Iterative (an explicit
 * stack), so the check itself cannot overflow; a node is an object with a `kind`.
 */
function checkDepth(sql: string, start: number, stmt: A.Statement): void {
  const values: object[] = [stmt];
  const depths: number[] = [0];
  while (values.length) {
    const value = values.pop()!;
    let depth = depths.pop()!;
    if (Array.isArray(value)) {
      for (const item of value) {
        if (item !== null && typeof item === 'object') {
          values.push(item);
          depths.push(depth);
        }
      }
      continue;
    }
    const node = value as Record<string, unknown>;
    if (typeof node.kind === 'string' && ++depth > MAX_TREE_DEPTH) {
      throw tooDeep(sql, typeof node.pos === 'number' ? node.pos : start);
    }
    for (const key in node) {
      const child = node[key];
      if (child !== null && typeof child === 'object') {
        values.push(child);
        depths.push(depth);
      }
    }
  }
}

/** Parses one SQL statement (a trailing ';' is allowed). Throws SqlError pointing at the mistake. */
export function parse(sql: string): A.Statement {
  const p = new Parser(sql);
  const stmt = nextStatement(p);
  if (p.accept(';') && !p.atEnd()) {
    throw p.error('Expected the end of the text after ";"', [], 'Send one statement at a time.');
  }
  p.expectEnd();
  return stmt;
}

/**
 * Parses a script: statements separated by ';' (empty statements and a trailing ';' are fine, so
 * '' gives []). Bare `?` parameters are numbered from 1 in each statement, as SQLite prepares each
 * one on its own. Errors point at the line and column in the whole text.
 */
export function parseScript(sql: string): A.Statement[] {
  const p = new Parser(sql);
  const out: A.Statement[] = [];
  for (;;) {
    if (p.accept(';')) continue;
    if (p.atEnd()) return out;
    p.startStatement();
    out.push(nextStatement(p));
    if (!p.atEnd() && !p.accept(';')) throw p.error('Expected ";" or the end of the script', CLAUSE_KEYWORDS);
  }
}

/**
 * One statement, or the statements of a script when the text holds several separated by ';'
 * (`db.query` takes both). A text with one statement (and perhaps a trailing ';') parses and
 * fails exactly as `parse`; a script as `parseScript`.
 */
export function parseStatements(sql: string): A.Statement | A.Statement[] {
  const p = new Parser(sql);
  const first = nextStatement(p);
  if (!p.accept(';')) {
    p.expectEnd();
    return first;
  }
  while (p.accept(';'));
  if (p.atEnd()) return first;
  const out: A.Statement[] = [first];
  for (;;) {
    if (p.accept(';')) continue;
    if (p.atEnd()) return out;
    p.startStatement();
    out.push(nextStatement(p));
    if (!p.atEnd() && !p.accept(';')) throw p.error('Expected ";" or the end of the script', CLAUSE_KEYWORDS);
  }
}

/** Parses a single expression (for tests and tools). */
export function parseExpression(sql: string): A.Expr {
  const p = new Parser(sql);
  const e = p.parseExpr();
  p.expectEnd();
  return e;
}

/**
 * The parser's state and its rules. The rules in parse-ddl.ts (CREATE and DROP) see it as their
 * `RuleParser`; everyone else calls `parse` or `parseScript`.
 */
class Parser implements RuleParser {
  private readonly tokens: Token[];
  private i = 0;
  private positional = 0;
  /** how deep the rules now recurse (parseExpr and parseQuery calls open), against MAX_TREE_DEPTH */
  private nesting = 0;
  /** the `IN (SELECT ...)` nodes of the statement being parsed, inner ones first */
  subqueries: A.InList[] = [];

  constructor(readonly sql: string) {
    this.tokens = tokenize(sql);
  }

  // ---- token helpers ----

  get tok(): Token {
    return this.tokens[this.i]!;
  }

  peek(k = 1): Token {
    return this.tokens[Math.min(this.i + k, this.tokens.length - 1)]!;
  }

  next(): Token {
    const t = this.tok;
    if (t.type !== 'eof') this.i++;
    return t;
  }

  atEnd(): boolean {
    return this.tok.type === 'eof';
  }

  /** A new statement of a script: its bare `?`s are numbered from 1 again. */
  startStatement(): void {
    this.positional = 0;
  }

  /** The word `kw` (reserved or not; never a quoted name). */
  isKw(kw: string, t: Token = this.tok): boolean {
    return t.type === 'word' && t.upper === kw;
  }

  isOp(op: string, t: Token = this.tok): boolean {
    return t.type === 'op' && t.text === op;
  }

  /** Consumes the keyword or operator when it is next. */
  accept(x: string): boolean {
    if (this.isKw(x) || this.isOp(x)) {
      this.i++;
      return true;
    }
    return false;
  }

  expect(x: string, what = x): Token {
    const t = this.tok;
    if (this.accept(x)) return t;
    throw this.error(`Expected ${what}`, /^[A-Z]+$/.test(x) ? [x] : []);
  }

  expectEnd(): void {
    if (this.tok.type !== 'eof') throw this.error('Expected the end of the statement', CLAUSE_KEYWORDS);
  }

  private describe(t: Token): string {
    switch (t.type) {
      case 'eof':
        return 'the end of the statement';
      case 'string':
        return `the string '${clipText(t.text, 60)}'`;
      default:
        return `"${clipText(t.text, 60)}"`;
    }
  }

  /**
   * An error at the current token, with a "did you mean" when it or the word before it is a near
   * miss of one of `keywords`, else `hint`.
   */
  error(expected: string, keywords: readonly string[] = [], hint = ''): Error {
    const t = this.tok;
    const near = (tok: Token | undefined): string | undefined =>
      tok && tok.type === 'word' && !RESERVED.has(tok.upper) && tok.text.length >= 3
        ? closest(tok.upper, keywords)
        : undefined;
    // the word before is checked first: a misspelt keyword after a table is read as its alias
    const before = this.i > 0 ? this.tokens[this.i - 1] : undefined;
    const there = near(before);
    const here = near(t);
    if (before && there && there !== before.upper)
      hint = `Did you mean ${there} instead of "${before.text}"?`;
    else if (here && here !== t.upper) hint = `Did you mean ${here} instead of "${t.text}"?`;
    return sqlErrorAt(this.sql, t.pos, `${expected}, found ${this.describe(t)}`, hint, 'HELIOS_SQL_SYNTAX');
  }

  /** An identifier: a non-reserved word or a quoted name. */
  parseIdent(what = 'a name'): string {
    const t = this.tok;
    if (t.type === 'quoted' || (t.type === 'word' && !RESERVED.has(t.upper))) {
      this.i++;
      return t.text;
    }
    const hint =
      t.type === 'word'
        ? ` (${t.upper} is a keyword; write "${t.text}" in double quotes to use it as a name)`
        : '';
    throw sqlErrorAt(
      this.sql,
      t.pos,
      `Expected ${what}, found ${this.describe(t)}${hint}`,
      '',
      'HELIOS_SQL_SYNTAX',
    );
  }

  isIdent(t: Token = this.tok): boolean {
    return t.type === 'quoted' || (t.type === 'word' && !RESERVED.has(t.upper));
  }

  commaList<T>(item: () => T): T[] {
    const out = [item()];
    while (this.accept(',')) out.push(item());
    return out;
  }

  /** A comma list of at most MAX_TERMS terms of `what` (a select list, GROUP BY, ORDER BY). */
  private termList<T>(what: string, item: () => T): T[] {
    const out = [item()];
    while (this.accept(',')) {
      if (out.length >= MAX_TERMS) {
        throw sqlErrorAt(
          this.sql,
          this.tok.pos,
          `This ${what} has more than ${MAX_TERMS} terms`,
          'Split the query, or select fewer columns at a time.',
          'HELIOS_SQL_TOO_COMPLEX',
        );
      }
      out.push(item());
    }
    return out;
  }

  // ---- statements ----

  parseStatement(): A.Statement {
    const t = this.tok;
    if (this.isKw('SELECT') || this.isOp('(')) return this.parseQuery();
    if (this.isKw('INSERT') || this.isKw('REPLACE')) return this.parseInsert();
    if (this.isKw('UPDATE')) return this.parseUpdate();
    if (this.isKw('DELETE')) return this.parseDelete();
    if (this.isKw('CREATE')) return parseCreate(this);
    if (this.isKw('DROP')) return parseDrop(this);
    if (this.isKw('BEGIN')) return this.parseBegin();
    if (this.isKw('COMMIT') || this.isKw('END')) {
      this.next();
      this.accept('TRANSACTION');
      return A.commit(t.pos);
    }
    if (this.isKw('ROLLBACK')) {
      this.next();
      this.accept('TRANSACTION');
      return A.rollback(t.pos);
    }
    if (this.isKw('SHOW')) {
      this.next();
      if (!(this.tok.type === 'word' && this.tok.upper === 'TABLES'))
        throw this.error('Expected TABLES', ['TABLES']);
      this.next();
      return A.showTables(t.pos);
    }
    if (this.isKw('DESCRIBE') || (t.type === 'word' && t.upper === 'DESC')) {
      this.next();
      this.accept('TABLE');
      return A.describe(this.parseIdent('a table name'), t.pos);
    }
    if (this.isKw('EXPLAIN')) {
      this.next();
      return A.explain(this.parseStatement(), t.pos);
    }
    if (t.type === 'word' && t.upper === 'PRAGMA') return this.parsePragma();
    throw this.error(
      'Expected a statement (SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, BEGIN, COMMIT, ROLLBACK, SHOW TABLES, DESCRIBE, EXPLAIN, PRAGMA)',
      STATEMENT_KEYWORDS,
    );
  }

  /** PRAGMA [schema.]name [(arg) | = arg]; the argument a name, text or a number */
  private parsePragma(): A.Pragma {
    const pos = this.next().pos;
    let name = this.parseIdent('a pragma name');
    if (this.accept('.')) name = this.parseIdent('a pragma name');
    const arg = (): string => {
      const a = this.tok;
      if (a.type === 'string' || a.type === 'number') return this.next().text;
      return this.parseIdent("the pragma's argument");
    };
    if (this.accept('(')) {
      const value = arg();
      this.expect(')', '")" to close the pragma\'s argument');
      return A.pragma(name, value, pos);
    }
    return A.pragma(name, this.accept('=') ? arg() : undefined, pos);
  }

  /** Enters one more level of rules; throws the sentence past MAX_TREE_DEPTH (before the stack could overflow). */
  private enter(): void {
    if (++this.nesting > MAX_TREE_DEPTH) throw tooDeep(this.sql, this.tok.pos);
  }

  parseQuery(): A.Query {
    this.enter();
    try {
      return this.parseQueryBody();
    } finally {
      this.nesting--;
    }
  }

  private parseQueryBody(): A.Query {
    const pos = this.tok.pos;
    let body: A.SelectCore | A.SetOp = this.parseSelectCore();
    let selects = 1;
    while (this.isKw('UNION')) {
      const at = this.next().pos;
      if (++selects > MAX_COMPOUND_SELECTS) {
        throw sqlErrorAt(
          this.sql,
          at,
          `This statement joins more than ${MAX_COMPOUND_SELECTS} SELECTs with UNION`,
          'Insert the rows with INSERT ... VALUES (...), (...) or select them from a table instead.',
          'HELIOS_SQL_TOO_COMPLEX',
        );
      }
      const all = this.accept('ALL');
      body = A.union(all, body, this.parseSelectCore(), at);
    }
    let orderBy: A.OrderItem[] = [];
    if (this.accept('ORDER')) {
      this.expect('BY');
      orderBy = this.termList('ORDER BY', () => this.parseOrderItem());
    }
    let limit: A.Expr | undefined;
    let offset: A.Expr | undefined;
    if (this.accept('LIMIT')) {
      limit = this.parseExpr();
      if (this.accept('OFFSET')) offset = this.parseExpr();
      else if (this.accept(',')) {
        // SQLite's LIMIT offset, count
        offset = limit;
        limit = this.parseExpr();
      }
    } else if (this.accept('OFFSET')) offset = this.parseExpr();
    return A.query({ body, orderBy, limit, offset, pos });
  }

  private parseSelectCore(): A.SelectCore {
    if (this.isOp('(')) {
      const open = this.tok;
      this.next();
      const inner = this.parseQuery();
      this.expect(')', '")"');
      if (inner.body.kind !== 'select' || inner.orderBy.length || inner.limit || inner.offset) {
        throw sqlErrorAt(
          this.sql,
          open.pos,
          'A parenthesized SELECT in a UNION may not have its own ORDER BY or LIMIT',
          'Move ORDER BY and LIMIT to the end of the whole query, or put the SELECT in FROM (...).',
          'HELIOS_SQL_SYNTAX',
        );
      }
      return inner.body;
    }
    const pos = this.expect('SELECT').pos;
    let distinct = false;
    let distinctOn: A.Expr[] = [];
    if (this.accept('DISTINCT')) {
      distinct = true;
      if (this.accept('ON')) {
        this.expect('(', '"(" after DISTINCT ON');
        distinctOn = this.commaList(() => this.parseExpr());
        this.expect(')', '")"');
        distinct = false;
      }
    } else this.accept('ALL');
    const items = this.termList('select list', () => this.parseSelectItem());
    const from = this.accept('FROM') ? this.parseFrom() : undefined;
    const where = this.accept('WHERE') ? this.parseExpr() : undefined;
    let groupBy: A.Expr[] = [];
    if (this.accept('GROUP')) {
      this.expect('BY');
      groupBy = this.termList('GROUP BY', () => this.parseExpr());
    }
    const having = this.accept('HAVING') ? this.parseExpr() : undefined;
    return A.select({ distinct, distinctOn, items, from, where, groupBy, having, pos });
  }

  private parseSelectItem(): A.SelectItem | A.Star {
    const t = this.tok;
    if (this.isOp('*')) {
      this.next();
      return A.star(undefined, t.pos);
    }
    if (this.isIdent(t) && this.isOp('.', this.peek()) && this.isOp('*', this.peek(2))) {
      this.i += 3;
      return A.star(t.text, t.pos);
    }
    const expr = this.parseExpr();
    const source = this.sql.slice(t.pos, this.tok.pos).trimEnd();
    return A.item(expr, this.parseAlias(), t.pos, source);
  }

  private parseAlias(): string | undefined {
    if (this.accept('AS')) return this.tok.type === 'string' ? this.next().text : this.parseIdent('an alias');
    if (this.isIdent() && !(this.tok.type === 'word' && NOT_ALIASES.has(this.tok.upper)))
      return this.parseIdent();
    return undefined;
  }

  private parseOrderItem(): A.OrderItem {
    const expr = this.parseExpr();
    let desc = false;
    if (this.accept('DESC')) desc = true;
    else this.accept('ASC');
    let nulls: 'first' | 'last' | undefined;
    if (this.tok.type === 'word' && this.tok.upper === 'NULLS') {
      this.next();
      const w: string = this.next().upper;
      if (w !== 'FIRST' && w !== 'LAST') {
        this.i--;
        throw this.error('Expected FIRST or LAST after NULLS', ['FIRST', 'LAST']);
      }
      nulls = w === 'FIRST' ? 'first' : 'last';
    }
    return { expr, desc, nulls };
  }

  private parseFrom(): A.FromItem {
    let left = this.parseFromPrimary();
    for (;;) {
      const t = this.tok;
      if (this.accept(',')) {
        left = A.join('cross', left, this.parseFromPrimary(), undefined, t.pos);
        continue;
      }
      let type: A.JoinType | undefined;
      if (this.isKw('JOIN')) type = 'inner';
      else if (this.isKw('INNER') && this.isKw('JOIN', this.peek())) type = 'inner';
      else if (this.isKw('CROSS') && this.isKw('JOIN', this.peek())) type = 'cross';
      else if (this.isKw('LEFT')) type = 'left';
      if (!type) return left;
      if (!this.isKw('JOIN')) this.next();
      this.accept('OUTER');
      this.expect('JOIN');
      const right = this.parseFromPrimary();
      let on: A.Expr | undefined;
      if (type !== 'cross') {
        this.expect('ON', 'ON and a join condition');
        on = this.parseExpr();
      }
      left = A.join(type, left, right, on, t.pos);
    }
  }

  private parseFromPrimary(): A.FromItem {
    this.enter();
    try {
      return this.parseFromItem();
    } finally {
      this.nesting--;
    }
  }

  private parseFromItem(): A.FromItem {
    const t = this.tok;
    if (this.accept('(')) {
      if (!this.isKw('SELECT')) {
        const inner = this.parseFrom();
        this.expect(')', '")"');
        return inner;
      }
      const q = this.parseQuery();
      this.expect(')', '")" to close the sub-select');
      return A.subqueryRef(q, this.parseAlias(), t.pos);
    }
    const name = this.parseIdent('a table name');
    return A.tableRef(name, this.parseAlias(), t.pos);
  }

  /** INSERT [OR algo] INTO / REPLACE INTO t [(columns)] VALUES | SELECT | DEFAULT VALUES [ON CONFLICT ...] [RETURNING ...] */
  private parseInsert(): A.Insert {
    const pos = this.tok.pos;
    let or: A.ConflictAlgo | undefined;
    if (this.accept('REPLACE')) or = 'replace';
    else {
      this.expect('INSERT');
      if (this.accept('OR')) or = this.parseConflictAlgo('INSERT OR');
    }
    this.expect('INTO');
    const table = this.parseIdent('a table name');
    let columns: string[] = [];
    if (this.isOp('(') && !this.isKw('SELECT', this.peek())) {
      this.next();
      columns = this.commaList(() => this.parseIdent('a column name'));
      this.expect(')', '")"');
    }
    const base = { table, or, columns, values: undefined, query: undefined, defaultValues: undefined, pos };
    if (this.accept('DEFAULT')) {
      this.expect('VALUES', 'VALUES after DEFAULT');
      return A.insert({ ...base, defaultValues: true, upsert: undefined, returning: this.parseReturning() });
    }
    let source: Pick<A.Insert, 'values' | 'query'>;
    if (this.accept('VALUES')) {
      const values = this.commaList(() => {
        this.expect('(', '"(" to start a row of values');
        const row = this.commaList(() => this.parseExpr());
        this.expect(')', '")" to end the row of values');
        return row;
      });
      source = { values };
    } else if (this.isKw('SELECT') || this.isOp('(')) source = { query: this.parseQuery() };
    else throw this.error('Expected VALUES, SELECT or DEFAULT VALUES', ['VALUES', 'SELECT', 'DEFAULT']);
    const upsert = this.parseUpserts();
    return A.insert({ ...base, ...source, upsert, returning: this.parseReturning() });
  }

  /** ROLLBACK, ABORT, FAIL, IGNORE or REPLACE, after `after` (INSERT OR, ON CONFLICT, ...). */
  parseConflictAlgo(after: string): A.ConflictAlgo {
    const t = this.tok;
    const algo = t.type === 'word' ? CONFLICT_ALGOS[t.upper] : undefined;
    if (!algo) {
      throw this.error(
        `Expected ROLLBACK, ABORT, FAIL, IGNORE or REPLACE after ${after}`,
        Object.keys(CONFLICT_ALGOS),
      );
    }
    this.next();
    return algo;
  }

  /** The ON CONFLICT clauses after INSERT's rows; undefined when there is none. */
  private parseUpserts(): A.Upsert[] | undefined {
    const out: A.Upsert[] = [];
    while (this.isKw('ON') && this.isKw('CONFLICT', this.peek())) out.push(this.parseUpsert());
    return out.length ? out : undefined;
  }

  /** ON CONFLICT [(target) [WHERE ...]] DO NOTHING | DO UPDATE SET ... [WHERE ...] */
  private parseUpsert(): A.Upsert {
    const pos = this.next().pos;
    this.next();
    let target: A.IndexedColumn[] = [];
    let targetWhere: A.Expr | undefined;
    if (this.accept('(')) {
      target = this.commaList(() => this.parseIndexedColumn());
      this.expect(')', '")" to close the conflict target');
      if (this.accept('WHERE')) targetWhere = this.parseExpr();
    }
    this.expect('DO', 'DO NOTHING or DO UPDATE after ON CONFLICT');
    if (this.accept('NOTHING'))
      return A.upsert({ target, targetWhere, action: 'nothing', set: [], where: undefined, pos });
    if (!this.accept('UPDATE'))
      throw this.error('Expected NOTHING or UPDATE after DO', ['NOTHING', 'UPDATE']);
    this.expect('SET', 'SET after DO UPDATE');
    const set = this.commaList(() => this.parseAssignment());
    const where = this.accept('WHERE') ? this.parseExpr() : undefined;
    return A.upsert({ target, targetWhere, action: 'update', set, where, pos });
  }

  /** `expr [COLLATE name] [ASC | DESC]`: a column of an index, a key or a conflict target. */
  parseIndexedColumn(): A.IndexedColumn {
    const expr = this.parseExpr();
    const collate = this.accept('COLLATE') ? this.parseIdent('a collation name') : undefined;
    const order = this.accept('ASC') ? 'asc' : this.accept('DESC') ? 'desc' : undefined;
    return A.indexedColumn(expr, collate, order);
  }

  /** RETURNING * | expr [[AS] alias], ...; undefined when absent. */
  private parseReturning(): A.Returning | undefined {
    if (!this.accept('RETURNING')) return undefined;
    return this.commaList(() => this.parseSelectItem());
  }

  /** column = value */
  private parseAssignment(): A.Assignment {
    const t = this.tok;
    if (!this.isIdent()) throw this.error('Expected an assignment such as column = value');
    const column = this.parseIdent();
    this.expect('=', `"=" and a new value for ${column}`);
    return A.assignment(column, this.parseExpr(), t.pos);
  }

  /** UPDATE [OR algo] t SET column = value, ... [WHERE ...] [RETURNING ...] */
  private parseUpdate(): A.Update {
    const pos = this.expect('UPDATE').pos;
    const or = this.accept('OR') ? this.parseConflictAlgo('UPDATE OR') : undefined;
    const table = this.parseIdent('a table name');
    this.expect('SET', 'SET after the table name');
    const assignments = this.commaList(() => this.parseAssignment());
    const where = this.accept('WHERE') ? this.parseExpr() : undefined;
    return A.update({ table, or, assignments, where, returning: this.parseReturning(), pos });
  }

  private parseDelete(): A.Delete {
    const pos = this.expect('DELETE').pos;
    this.expect('FROM');
    const table = this.parseIdent('a table name');
    const where = this.accept('WHERE') ? this.parseExpr() : undefined;
    return A.deleteStmt(table, where, pos, this.parseReturning());
  }

  /** BEGIN [DEFERRED | IMMEDIATE | EXCLUSIVE] [TRANSACTION] */
  private parseBegin(): A.Begin {
    const pos = this.expect('BEGIN').pos;
    const t = this.tok;
    const mode = t.type === 'word' ? BEGIN_MODES[t.upper] : undefined;
    if (mode) this.next();
    this.accept('TRANSACTION');
    return A.begin(mode, pos);
  }

  /** IF EXISTS (`not`: IF NOT EXISTS), or false when IF is not next. */
  parseIfExists(not: boolean): boolean {
    if (!this.accept('IF')) return false;
    if (not) this.expect('NOT');
    if (!(this.tok.type === 'word' && this.tok.upper === 'EXISTS'))
      throw this.error('Expected EXISTS', ['EXISTS']);
    this.next();
    return true;
  }

  // ---- expressions (Pratt) ----

  parseExpr(minBp = 0): A.Expr {
    this.enter();
    try {
      let left = this.parsePrefix();
      for (;;) {
        const next = this.parseInfix(left, minBp);
        if (!next) return left;
        left = next;
      }
    } finally {
      this.nesting--;
    }
  }

  /** One infix or postfix step binding tighter than `minBp`, or undefined when there is none. */
  private parseInfix(left: A.Expr, minBp: number): A.Expr | undefined {
    const t = this.tok;
    const bin = (op: A.BinaryOp, bp: number): A.Expr | undefined => {
      if (bp <= minBp) return undefined;
      this.next();
      return A.binary(op, left, this.parseExpr(bp), t.pos);
    };
    if (t.type === 'op') {
      switch (t.text) {
        case '=':
        case '==':
          return bin('=', BP_COMPARE);
        case '!=':
        case '<>':
          return bin('!=', BP_COMPARE);
        case '<':
        case '<=':
        case '>':
        case '>=':
          return bin(t.text, BP_COMPARE);
        case '+':
        case '-':
          return bin(t.text, BP_ADD);
        case '*':
        case '/':
        case '%':
          return bin(t.text, BP_MUL);
        case '||':
          return bin('||', BP_CONCAT);
        case '::': {
          if (BP_POSTFIX <= minBp) return undefined;
          this.next();
          return A.cast(left, this.parseTypeName(), t.pos);
        }
        default:
          return undefined;
      }
    }
    if (t.type !== 'word') return undefined;
    switch (t.upper) {
      case 'OR':
        return bin('OR', BP_OR);
      case 'AND':
        return bin('AND', BP_AND);
      case 'IS': {
        if (BP_COMPARE <= minBp) return undefined;
        this.next();
        const not = this.accept('NOT');
        this.expect('NULL', 'NULL after IS');
        return A.isNull(left, not, t.pos);
      }
      case 'NOT':
      case 'BETWEEN':
      case 'IN':
      case 'LIKE':
      case 'GLOB':
        return this.parseNegatable(left, minBp);
      default:
        return undefined;
    }
  }

  /** [NOT] BETWEEN / IN / LIKE */
  private parseNegatable(left: A.Expr, minBp: number): A.Expr | undefined {
    if (BP_COMPARE <= minBp) return undefined;
    const t = this.tok;
    const not = this.isKw('NOT');
    const op = not ? this.peek() : t;
    if (!(this.isKw('BETWEEN', op) || this.isKw('IN', op) || this.isKw('LIKE', op) || this.isKw('GLOB', op)))
      return undefined;
    if (not) this.next();
    this.next();
    if (op.upper === 'BETWEEN') {
      const low = this.parseExpr(BP_COMPARE);
      this.expect('AND', 'AND in BETWEEN ... AND ...');
      const high = this.parseExpr(BP_COMPARE);
      return A.between(left, low, high, not, t.pos);
    }
    if (op.upper === 'LIKE' || op.upper === 'GLOB')
      return A.like(left, this.parseExpr(BP_COMPARE), not, t.pos, op.upper === 'GLOB');
    this.expect('(', '"(" and a list of values after IN');
    if (this.isKw('SELECT')) {
      const query = this.parseQuery();
      this.expect(')', '")" to close the sub-select of IN');
      const node = A.inList(left, [], not, t.pos, query);
      this.subqueries.push(node);
      return node;
    }
    const list = this.isOp(')') ? [] : this.commaList(() => this.parseExpr());
    this.expect(')', '")" to close the IN list');
    return A.inList(left, list, not, t.pos);
  }

  private parsePrefix(): A.Expr {
    const t = this.tok;
    switch (t.type) {
      case 'number':
        this.next();
        return A.number(t.text, t.pos);
      case 'string':
        this.next();
        return A.string(t.text, t.pos);
      case 'param':
        this.next();
        return A.param(t.text, t.text === '?' ? ++this.positional : undefined, t.pos);
      case 'quoted':
        return this.parseNameOrCall();
      case 'op':
        if (t.text === '(') {
          this.next();
          if (this.isKw('SELECT')) {
            throw sqlErrorAt(
              this.sql,
              this.tok.pos,
              'Sub-selects in expressions are not supported yet',
              'Put the sub-select in FROM (...) and JOIN it.',
              'HELIOS_SQL_UNSUPPORTED',
            );
          }
          const e = this.parseExpr();
          this.expect(')', '")"');
          return e;
        }
        if (t.text === '-' || t.text === '+') {
          this.next();
          return A.unary(t.text, this.parseExpr(BP_UNARY), t.pos);
        }
        throw this.error('Expected an expression');
      case 'word':
        return this.parseWordPrefix(t);
      default:
        throw this.error('Expected an expression');
    }
  }

  private parseWordPrefix(t: Token): A.Expr {
    switch (t.upper) {
      case 'NULL':
        this.next();
        return A.nullLit(t.pos);
      case 'TRUE':
      case 'FALSE':
        this.next();
        return A.bool(t.upper === 'TRUE', t.pos);
      case 'NOT':
        this.next();
        return A.unary('NOT', this.parseExpr(BP_NOT), t.pos);
      case 'CASE':
        return this.parseCase();
      case 'CAST': {
        this.next();
        this.expect('(', '"(" after CAST');
        const operand = this.parseExpr();
        this.expect('AS', 'AS and a type in CAST(x AS type)');
        const type = this.parseTypeName();
        this.expect(')', '")"');
        return A.cast(operand, type, t.pos);
      }
      case 'INTERVAL': {
        this.next();
        const s = this.tok;
        if (s.type !== 'string')
          throw this.error("Expected a quoted interval such as '5 minutes' after INTERVAL");
        this.next();
        return A.interval(s.text, t.pos);
      }
      default:
        if (RESERVED.has(t.upper)) {
          throw sqlErrorAt(
            this.sql,
            t.pos,
            `Expected an expression, found "${t.text}"`,
            `${t.upper} is a keyword; write "${t.text}" in double quotes to use it as a name.`,
            'HELIOS_SQL_SYNTAX',
          );
        }
        return this.parseNameOrCall();
    }
  }

  private parseTypeName(): string {
    const t = this.tok;
    if (t.type !== 'word') throw this.error('Expected a type name (INTEGER, REAL, TEXT, BOOLEAN)');
    this.next();
    // VARCHAR(20), DECIMAL(10, 2): the size is accepted and ignored, as SQLite does
    if (this.accept('(')) {
      while (!this.isOp(')') && this.tok.type !== 'eof') this.next();
      this.expect(')', '")"');
    }
    if (t.upper === 'DOUBLE' && this.tok.type === 'word' && this.tok.upper === 'PRECISION') {
      this.next();
      return 'DOUBLE PRECISION';
    }
    return t.upper;
  }

  private parseCase(): A.Expr {
    const pos = this.expect('CASE').pos;
    const operand = this.isKw('WHEN') ? undefined : this.parseExpr();
    const whens: Array<{ when: A.Expr; result: A.Expr }> = [];
    while (this.accept('WHEN')) {
      const when = this.parseExpr();
      this.expect('THEN', 'THEN after the WHEN condition');
      whens.push({ when, result: this.parseExpr() });
    }
    if (whens.length === 0) throw this.error('Expected WHEN in CASE', ['WHEN']);
    const elseExpr = this.accept('ELSE') ? this.parseExpr() : undefined;
    this.expect('END', 'END to close CASE');
    return A.caseExpr(operand, whens, elseExpr, pos);
  }

  /** column, table.column, or function(args) */
  private parseNameOrCall(): A.Expr {
    const t = this.tok;
    const name = this.parseIdent('an expression');
    if (this.isOp('(') && t.type === 'word') {
      this.next();
      if (this.accept('*')) {
        this.expect(')', '")" after *');
        return A.call(name, [], false, true, t.pos);
      }
      const distinct = this.accept('DISTINCT');
      if (!distinct) this.accept('ALL');
      const args = this.isOp(')') ? [] : this.commaList(() => this.parseExpr());
      this.expect(')', `")" to close ${name}(`);
      return A.call(name, args, distinct, false, t.pos);
    }
    if (this.isOp('.')) {
      this.next();
      const col = this.tok;
      return A.column(this.parseIdent('a column name after "."'), name, t.pos ?? col.pos);
    }
    return A.column(name, undefined, t.pos);
  }
}
