/**
 * The parse rules of CREATE and DROP: CREATE TABLE with SQLite's column and table constraints and
 * Helios' TAG types and WITH (...) options, CREATE [UNIQUE] INDEX, DROP TABLE and DROP INDEX.
 * Syntax only, as in parser.ts: what a constraint means is the binder's.
 */
import * as A from './ast';
import { sqlErrorAt } from './errors';
import type { Token } from './lexer';

/**
 * What the CREATE and DROP rules use of the parser (parser.ts's `Parser` is one): its token
 * helpers, the shared rules, and the text for errors that point. Declared here so that the rules
 * do not import the parser that calls them.
 */
export interface RuleParser {
  readonly sql: string;
  readonly tok: Token;
  peek(k?: number): Token;
  next(): Token;
  isKw(kw: string, t?: Token): boolean;
  isOp(op: string, t?: Token): boolean;
  isIdent(t?: Token): boolean;
  accept(x: string): boolean;
  expect(x: string, what?: string): Token;
  error(expected: string, keywords?: readonly string[], hint?: string): Error;
  commaList<T>(item: () => T): T[];
  parseIdent(what?: string): string;
  parseExpr(minBp?: number): A.Expr;
  parseIfExists(not: boolean): boolean;
  parseIndexedColumn(): A.IndexedColumn;
  parseConflictAlgo(after: string): A.ConflictAlgo;
  parseQuery(): A.Query;
}

/** Words that end a column's type: the start of a column constraint. */
const CONSTRAINT_WORDS = new Set([
  'CONSTRAINT',
  'PRIMARY',
  'NOT',
  'NULL',
  'UNIQUE',
  'CHECK',
  'DEFAULT',
  'COLLATE',
  'REFERENCES',
  'GENERATED',
  'AS',
]);

const COLUMN_CONSTRAINT_KEYWORDS = [
  'CONSTRAINT',
  'NOT',
  'NULL',
  'DEFAULT',
  'PRIMARY',
  'UNIQUE',
  'CHECK',
  'COLLATE',
  'REFERENCES',
];
const TABLE_CONSTRAINT_KEYWORDS = ['CONSTRAINT', 'PRIMARY', 'UNIQUE', 'CHECK', 'FOREIGN'];

const FK_ACTIONS = ['SET NULL', 'SET DEFAULT', 'CASCADE', 'RESTRICT', 'NO ACTION'];

/** CREATE TABLE ... | CREATE [UNIQUE] INDEX ... */
export function parseCreate(p: RuleParser): A.CreateTable | A.CreateIndex | A.CreateView {
  const pos = p.expect('CREATE').pos;
  refuseTrigger(p);
  if (isWord(p, 0, 'VIEW') || ((isWord(p, 0, 'TEMP') || isWord(p, 0, 'TEMPORARY')) && isWord(p, 1, 'VIEW'))) {
    if (!isWord(p, 0, 'VIEW')) p.next();
    p.next();
    return parseCreateView(p, pos);
  }
  if (p.accept('UNIQUE')) {
    p.expect('INDEX', 'INDEX after CREATE UNIQUE');
    return parseCreateIndex(p, true, pos);
  }
  if (p.accept('INDEX')) return parseCreateIndex(p, false, pos);
  if (!p.accept('TABLE'))
    throw p.error('Expected TABLE, INDEX or VIEW after CREATE', ['TABLE', 'INDEX', 'UNIQUE', 'VIEW']);
  return parseCreateTable(p, pos);
}

/** CREATE [TEMP] TRIGGER: refused with what to do instead (a trigger would run inside every write). */
function refuseTrigger(p: RuleParser): void {
  const word = (k: number): string => {
    const t = p.peek(k);
    return t.type === 'word' ? t.upper : '';
  };
  const temp = word(0) === 'TEMP' || word(0) === 'TEMPORARY';
  if (word(temp ? 1 : 0) !== 'TRIGGER') return;
  throw sqlErrorAt(
    p.sql,
    p.tok.pos,
    'Helios does not support triggers (CREATE TRIGGER)',
    'Do the work in the flow instead: after the insert, send the follow-up statement to a helios-query node.',
    'HELIOS_SQL_UNSUPPORTED',
  );
}

/** DROP TABLE [IF EXISTS] t | DROP INDEX [IF EXISTS] i */
export function parseDrop(p: RuleParser): A.DropTable | A.DropIndex | A.DropView {
  const pos = p.expect('DROP').pos;
  if (isWord(p, 0, 'VIEW')) {
    p.next();
    const ifExists = p.parseIfExists(false);
    return A.dropView(p.parseIdent('a view name'), ifExists, pos);
  }
  if (p.accept('INDEX')) {
    const ifExists = p.parseIfExists(false);
    return A.dropIndex(p.parseIdent('an index name'), ifExists, pos);
  }
  if (!p.accept('TABLE'))
    throw p.error('Expected TABLE, INDEX or VIEW after DROP', ['TABLE', 'INDEX', 'VIEW']);
  const ifExists = p.parseIfExists(false);
  return A.dropTable(p.parseIdent('a table name'), ifExists, pos);
}

/** True when the token `k` ahead is the word `word` (VIEW and TEMP are not reserved). */
function isWord(p: RuleParser, k: number, word: string): boolean {
  const t = p.peek(k);
  return t.type === 'word' && t.upper === word;
}

/** [IF NOT EXISTS] v [(columns)] AS select, after CREATE [TEMP] VIEW */
function parseCreateView(p: RuleParser, pos: number): A.CreateView {
  const ifNotExists = p.parseIfExists(true);
  const name = p.parseIdent('a view name');
  let columns: string[] | undefined;
  if (p.accept('(')) {
    columns = p.commaList(() => p.parseIdent('a column name'));
    p.expect(')', '")" to close the view\'s columns');
  }
  p.expect('AS', 'AS and the SELECT of the view');
  const start = p.tok.pos;
  const query = p.parseQuery();
  const sql = p.sql.slice(start, p.tok.type === 'eof' ? p.sql.length : p.tok.pos).trim();
  return A.createView({ name, ifNotExists, columns, query, sql, pos });
}

/** [IF NOT EXISTS] name ON table (indexed columns) [WHERE expr], after CREATE [UNIQUE] INDEX */
function parseCreateIndex(p: RuleParser, unique: boolean, pos: number): A.CreateIndex {
  const ifNotExists = p.parseIfExists(true);
  const name = p.parseIdent('an index name');
  p.expect('ON', 'ON and the table to index');
  const table = p.parseIdent('a table name');
  p.expect('(', '"(" and the columns to index');
  const columns = p.commaList(() => p.parseIndexedColumn());
  p.expect(')', '")" to close the indexed columns');
  const where = p.accept('WHERE') ? p.parseExpr() : undefined;
  return A.createIndex({ name, table, unique, ifNotExists, columns, where, pos });
}

// ---- CREATE TABLE ----

/** [IF NOT EXISTS] t (columns [, table constraints]) [table options], after CREATE TABLE */
function parseCreateTable(p: RuleParser, pos: number): A.CreateTable {
  const ifNotExists = p.parseIfExists(true);
  const name = p.parseIdent('a table name');
  p.expect('(', '"(" and the column list');
  if (startsTableConstraint(p)) {
    throw p.error('Expected a column definition', [], 'A table lists its columns before its constraints.');
  }
  const columns: A.ColumnDef[] = [];
  const constraints: A.TableConstraint[] = [];
  for (;;) {
    if (constraints.length === 0 && !startsTableConstraint(p)) columns.push(parseColumnDef(p));
    else constraints.push(parseTableConstraint(p));
    // SQLite lets table constraints follow each other without a comma
    if (p.accept(',') || (constraints.length > 0 && startsTableConstraint(p))) continue;
    if (p.isOp(')')) break;
    if (constraints.length === 0) {
      throw p.error(
        'Expected a column constraint (NOT NULL, DEFAULT, PRIMARY KEY, UNIQUE, CHECK, COLLATE, REFERENCES), "," or ")"',
        COLUMN_CONSTRAINT_KEYWORDS,
      );
    }
    throw p.error('Expected "," or ")" after the table constraint');
  }
  p.next();
  return A.createTable({ name, ifNotExists, columns, constraints, pos, ...parseTableOptions(p) });
}

/** PRIMARY KEY (, UNIQUE (, CHECK (, FOREIGN KEY, each perhaps after CONSTRAINT name. */
function startsTableConstraint(p: RuleParser): boolean {
  const k = p.isKw('CONSTRAINT') && p.isIdent(p.peek()) ? 2 : 0;
  const t = p.peek(k);
  const after = p.peek(k + 1);
  if (p.isKw('PRIMARY', t) || p.isKw('FOREIGN', t)) return p.isKw('KEY', after);
  return (p.isKw('UNIQUE', t) || p.isKw('CHECK', t)) && p.isOp('(', after);
}

/** name [type words [(size)]] [column constraints] */
function parseColumnDef(p: RuleParser): A.ColumnDef {
  const pos = p.tok.pos;
  const name = p.parseIdent('a column name');
  const { type, size } = parseType(p);
  const constraints: A.ColumnConstraint[] = [];
  for (let c = parseColumnConstraint(p); c; c = parseColumnConstraint(p)) constraints.push(c);
  return A.columnDef({ name, type, size, constraints, pos });
}

/**
 * The type: words up to a constraint keyword, ",", ")" or "(" (TAG, TEXT TAG, DOUBLE PRECISION,
 * UNSIGNED BIG INT, TIMESTAMP WITH TIME ZONE), then an optional size: VARCHAR(20), DECIMAL(10, 2).
 */
function parseType(p: RuleParser): { type: string; size: string[] | undefined } {
  const words: string[] = [];
  for (;;) {
    const t = p.tok;
    const zone = p.isKw('WITH', t) || p.isKw('WITHOUT', t);
    if (zone && words.length > 0 && p.isKw('TIME', p.peek()) && p.isKw('ZONE', p.peek(2))) {
      words.push(t.upper, 'TIME', 'ZONE');
      p.next();
      p.next();
      p.next();
    } else if (t.type === 'word' && p.isIdent(t) && !CONSTRAINT_WORDS.has(t.upper)) {
      words.push(t.upper);
      p.next();
    } else break;
  }
  if (words.length === 0 || !p.accept('(')) return { type: words.join(' '), size: undefined };
  const size = p.commaList(() => parseSignedNumber(p, 'in the size of the type'));
  p.expect(')', '")" after the size of the type');
  return { type: words.join(' '), size };
}

/** [+|-] number, as its text */
function parseSignedNumber(p: RuleParser, where: string): string {
  const sign = p.isOp('-') || p.isOp('+') ? p.next().text : '';
  if (p.tok.type !== 'number') throw p.error(`Expected a number ${where}`);
  return sign + p.next().text;
}

/** One column constraint with its optional CONSTRAINT name, or undefined when none is next. */
function parseColumnConstraint(p: RuleParser): A.ColumnConstraint | undefined {
  const pos = p.tok.pos;
  const name = p.accept('CONSTRAINT') ? p.parseIdent('a constraint name') : undefined;
  const c = parseColumnConstraintBody(p, name, pos);
  if (!c && name !== undefined) {
    throw p.error(
      `Expected a constraint after CONSTRAINT ${name} (NOT NULL, DEFAULT, PRIMARY KEY, UNIQUE, CHECK, COLLATE or REFERENCES)`,
      COLUMN_CONSTRAINT_KEYWORDS,
    );
  }
  return c;
}

function parseColumnConstraintBody(
  p: RuleParser,
  name: string | undefined,
  pos: number,
): A.ColumnConstraint | undefined {
  const t = p.tok;
  if (t.type !== 'word') return undefined;
  switch (t.upper) {
    case 'NOT':
      p.next();
      p.expect('NULL', 'NULL after NOT');
      return A.notNull({ name, onConflict: parseOnConflict(p), pos });
    case 'NULL':
      p.next();
      return A.nullConstraint({ name, pos });
    case 'DEFAULT':
      p.next();
      return A.defaultValue({ name, value: parseDefaultValue(p), pos });
    case 'PRIMARY': {
      p.next();
      p.expect('KEY', 'KEY after PRIMARY');
      const order = p.accept('ASC') ? 'asc' : p.accept('DESC') ? 'desc' : undefined;
      const onConflict = parseOnConflict(p);
      return A.columnPrimaryKey({ name, order, onConflict, autoincrement: p.accept('AUTOINCREMENT'), pos });
    }
    case 'UNIQUE':
      p.next();
      return A.columnUnique({ name, onConflict: parseOnConflict(p), pos });
    case 'CHECK':
      p.next();
      return A.check({ name, expr: parseParenthesized(p, 'CHECK'), pos });
    case 'COLLATE':
      p.next();
      return A.collate({ name, collation: p.parseIdent('a collation name'), pos });
    case 'REFERENCES':
      p.next();
      return A.references({ name, references: parseForeignKeyClause(p), pos });
    default:
      return undefined;
  }
}

/** ( expr ) after `what` */
function parseParenthesized(p: RuleParser, what: string): A.Expr {
  p.expect('(', `"(" and a condition after ${what}`);
  const e = p.parseExpr();
  p.expect(')', `")" to close ${what} (...)`);
  return e;
}

/** [ON CONFLICT algo] after NOT NULL, PRIMARY KEY or UNIQUE */
function parseOnConflict(p: RuleParser): A.ConflictAlgo | undefined {
  if (!(p.isKw('ON') && p.isKw('CONFLICT', p.peek()))) return undefined;
  p.next();
  p.next();
  return p.parseConflictAlgo('ON CONFLICT');
}

/**
 * After DEFAULT: a number (signed), a string, NULL, TRUE, FALSE, a name such as CURRENT_TIMESTAMP
 * (a ColumnRef by that name, as SQLite takes a bare word here), or any expression in parentheses.
 */
function parseDefaultValue(p: RuleParser): A.Expr {
  const t = p.tok;
  if (p.isOp('(')) {
    p.next();
    const e = p.parseExpr();
    p.expect(')', '")" to close DEFAULT (...)');
    return e;
  }
  if ((p.isOp('-') || p.isOp('+')) && p.peek().type === 'number') {
    p.next();
    const n = p.next();
    return A.unary(t.text === '-' ? '-' : '+', A.number(n.text, n.pos), t.pos);
  }
  if (t.type === 'number' || t.type === 'string') {
    p.next();
    return t.type === 'number' ? A.number(t.text, t.pos) : A.string(t.text, t.pos);
  }
  if (p.isKw('NULL') || p.isKw('TRUE') || p.isKw('FALSE')) {
    p.next();
    return t.upper === 'NULL' ? A.nullLit(t.pos) : A.bool(t.upper === 'TRUE', t.pos);
  }
  if (!p.isIdent()) {
    throw p.error(
      'Expected a default value (a number, a string, NULL, CURRENT_TIMESTAMP or an expression in parentheses)',
    );
  }
  const name = p.parseIdent();
  if (p.isOp('(')) {
    throw sqlErrorAt(
      p.sql,
      t.pos,
      'A function call after DEFAULT must be in parentheses',
      `Write DEFAULT (${name}(...)).`,
      'HELIOS_SQL_SYNTAX',
    );
  }
  return A.column(name, undefined, t.pos);
}

/** t [(columns)] [ON DELETE action] [ON UPDATE action] [MATCH name] [[NOT] DEFERRABLE [INITIALLY ...]] */
function parseForeignKeyClause(p: RuleParser): A.ForeignKeyClause {
  const table = p.parseIdent('the referenced table');
  let columns: string[] = [];
  if (p.accept('(')) {
    columns = p.commaList(() => p.parseIdent('a referenced column'));
    p.expect(')', '")" to close the referenced columns');
  }
  let onDelete: A.ForeignKeyAction | undefined;
  let onUpdate: A.ForeignKeyAction | undefined;
  let match: string | undefined;
  for (;;) {
    if (p.isKw('ON') && !p.isKw('CONFLICT', p.peek())) {
      const on = p.next();
      const del = p.accept('DELETE');
      if (!del && !p.accept('UPDATE'))
        throw p.error('Expected DELETE or UPDATE after ON', ['DELETE', 'UPDATE']);
      if ((del ? onDelete : onUpdate) !== undefined) {
        const what = del ? 'DELETE' : 'UPDATE';
        throw sqlErrorAt(p.sql, on.pos, `ON ${what} is given twice`, '', 'HELIOS_SQL_SYNTAX');
      }
      if (del) onDelete = parseForeignKeyAction(p);
      else onUpdate = parseForeignKeyAction(p);
    } else if (p.accept('MATCH')) match = p.parseIdent('a match type');
    else break;
  }
  return { table, columns, onDelete, onUpdate, match, deferrable: parseDeferrable(p) };
}

/** SET NULL | SET DEFAULT | CASCADE | RESTRICT | NO ACTION */
function parseForeignKeyAction(p: RuleParser): A.ForeignKeyAction {
  const t = p.tok;
  const two = `${t.upper} ${p.peek().type === 'word' ? p.peek().upper : ''}`;
  const action = FK_ACTIONS.find((a) => a === two || a === t.upper);
  if (t.type !== 'word' || !action)
    throw p.error('Expected SET NULL, SET DEFAULT, CASCADE, RESTRICT or NO ACTION', ['CASCADE', 'RESTRICT']);
  p.next();
  if (action.includes(' ')) p.next();
  return action.toLowerCase() as A.ForeignKeyAction;
}

/** [NOT] DEFERRABLE [INITIALLY DEFERRED | INITIALLY IMMEDIATE], or undefined when absent */
function parseDeferrable(p: RuleParser): A.ForeignKeyClause['deferrable'] {
  const not = p.isKw('NOT') && p.isKw('DEFERRABLE', p.peek());
  if (!not && !p.isKw('DEFERRABLE')) return undefined;
  if (not) p.next();
  p.next();
  if (!p.accept('INITIALLY')) return { not, initially: undefined };
  if (p.accept('DEFERRED')) return { not, initially: 'deferred' };
  if (p.accept('IMMEDIATE')) return { not, initially: 'immediate' };
  throw p.error('Expected DEFERRED or IMMEDIATE after INITIALLY', ['DEFERRED', 'IMMEDIATE']);
}

/** [CONSTRAINT name] PRIMARY KEY (...) | UNIQUE (...) | CHECK (...) | FOREIGN KEY (...) REFERENCES ... */
function parseTableConstraint(p: RuleParser): A.TableConstraint {
  const pos = p.tok.pos;
  const name = p.accept('CONSTRAINT') ? p.parseIdent('a constraint name') : undefined;
  if (p.accept('PRIMARY')) {
    p.expect('KEY', 'KEY after PRIMARY');
    const { columns, autoincrement } = parseKeyColumns(p, 'PRIMARY KEY');
    return A.tablePrimaryKey({ name, columns, autoincrement, onConflict: parseOnConflict(p), pos });
  }
  if (p.accept('UNIQUE')) {
    const { columns } = parseKeyColumns(p, 'UNIQUE');
    return A.tableUnique({ name, columns, onConflict: parseOnConflict(p), pos });
  }
  if (p.accept('CHECK')) return A.check({ name, expr: parseParenthesized(p, 'CHECK'), pos });
  if (p.accept('FOREIGN')) {
    p.expect('KEY', 'KEY after FOREIGN');
    p.expect('(', '"(" and the columns of the foreign key');
    const columns = p.commaList(() => p.parseIdent('a column name'));
    p.expect(')', '")" to close the columns of the foreign key');
    p.expect('REFERENCES', 'REFERENCES and the referenced table');
    return A.foreignKey({ name, columns, references: parseForeignKeyClause(p), pos });
  }
  throw p.error(
    'Expected a table constraint (PRIMARY KEY, UNIQUE, CHECK or FOREIGN KEY)',
    TABLE_CONSTRAINT_KEYWORDS,
    'A table lists its columns before its constraints.',
  );
}

/** (indexed columns [AUTOINCREMENT]) after PRIMARY KEY or UNIQUE */
function parseKeyColumns(
  p: RuleParser,
  what: string,
): { columns: A.IndexedColumn[]; autoincrement: boolean } {
  p.expect('(', `"(" and the columns of ${what}`);
  const columns = p.commaList(() => p.parseIndexedColumn());
  const autoincrement = what === 'PRIMARY KEY' && p.accept('AUTOINCREMENT');
  p.expect(')', `")" to close the columns of ${what}`);
  return { columns, autoincrement };
}

type TableOptions = Pick<A.CreateTable, 'options' | 'withoutRowid' | 'strict'>;

/** After ")": WITH (key = value, ...) and SQLite's WITHOUT ROWID, STRICT, in any order. */
function parseTableOptions(p: RuleParser): TableOptions {
  let options: Array<{ key: string; value: A.Expr }> = [];
  let withoutRowid = false;
  let strict = false;
  let comma = false;
  for (;;) {
    if (p.accept('WITHOUT')) {
      p.expect('ROWID', 'ROWID after WITHOUT');
      withoutRowid = true;
    } else if (p.accept('STRICT')) strict = true;
    else if (!comma && options.length === 0 && p.accept('WITH')) options = parseWithOptions(p);
    else if (comma) throw p.error('Expected WITHOUT ROWID or STRICT after ","', ['WITHOUT', 'STRICT']);
    else return { options, withoutRowid, strict };
    comma = p.accept(',');
  }
}

/** (key = value, ...) after WITH */
function parseWithOptions(p: RuleParser): Array<{ key: string; value: A.Expr }> {
  p.expect('(', '"(" and options such as partition = \'1d\'');
  const options = p.commaList(() => {
    const key = p.parseIdent('an option name').toLowerCase();
    p.expect('=', '"="');
    return { key, value: p.parseExpr() };
  });
  p.expect(')', '")"');
  return options;
}
