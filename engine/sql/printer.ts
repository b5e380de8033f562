/**
 * Deterministic SQL printer: the same tree always prints the same text, and parsing that text gives
 * the same tree back (positions aside). Nested operators are parenthesized, so precedence never
 * has to be reconstructed.
 */
import * as A from './ast';
import { RESERVED } from './parser';

/**
 * Words that are names to the parser but may start a table constraint in CREATE TABLE (a column
 * `primary` of type KEY reads as PRIMARY KEY): printed in quotes so that they stay names.
 */
const QUOTED_WORDS = new Set(['CONSTRAINT', 'PRIMARY', 'FOREIGN']);

/** A name as SQL text: bare when it is a plain non-keyword word, else in double quotes. */
export function printIdent(name: string): string {
  const upper = name.toUpperCase();
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !RESERVED.has(upper) && !QUOTED_WORDS.has(upper)) return name;
  return `"${name.replace(/"/g, '""')}"`;
}

export function printString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Wraps compound expressions in parentheses when they appear as an operand. */
function operand(e: A.Expr): string {
  switch (e.kind) {
    case 'binary':
    case 'unary':
    case 'isNull':
    case 'between':
    case 'in':
    case 'like':
      return `(${printExpr(e)})`;
    default:
      return printExpr(e);
  }
}

export function printExpr(e: A.Expr): string {
  switch (e.kind) {
    case 'number':
      return e.text;
    case 'string':
      return printString(e.value);
    case 'null':
      return 'NULL';
    case 'bool':
      return e.value ? 'TRUE' : 'FALSE';
    case 'interval':
      return `INTERVAL ${printString(e.text)}`;
    case 'param':
      return e.text;
    case 'column':
      return e.table === undefined ? printIdent(e.name) : `${printIdent(e.table)}.${printIdent(e.name)}`;
    case 'star':
      return e.table === undefined ? '*' : `${printIdent(e.table)}.*`;
    case 'unary':
      return e.op === 'NOT' ? `NOT ${operand(e.operand)}` : `${e.op}${operand(e.operand)}`;
    case 'binary':
      return `${operand(e.left)} ${e.op} ${operand(e.right)}`;
    case 'isNull':
      return `${operand(e.operand)} IS ${e.not ? 'NOT ' : ''}NULL`;
    case 'between':
      return `${operand(e.operand)} ${e.not ? 'NOT ' : ''}BETWEEN ${operand(e.low)} AND ${operand(e.high)}`;
    case 'in':
      return `${operand(e.operand)} ${e.not ? 'NOT ' : ''}IN (${e.query ? printQuery(e.query) : e.list.map(printExpr).join(', ')})`;
    case 'like':
      return `${operand(e.operand)} ${e.not ? 'NOT ' : ''}${e.glob ? 'GLOB' : 'LIKE'} ${operand(e.pattern)}`;
    case 'case': {
      const parts = ['CASE'];
      if (e.operand) parts.push(printExpr(e.operand));
      for (const w of e.whens) parts.push(`WHEN ${printExpr(w.when)} THEN ${printExpr(w.result)}`);
      if (e.else) parts.push(`ELSE ${printExpr(e.else)}`);
      parts.push('END');
      return parts.join(' ');
    }
    case 'cast':
      return `CAST(${printExpr(e.operand)} AS ${e.type})`;
    case 'call': {
      if (e.star) return `${printIdent(e.name)}(*)`;
      return `${printIdent(e.name)}(${e.distinct ? 'DISTINCT ' : ''}${e.args.map(printExpr).join(', ')})`;
    }
    default:
      return A.assertNever(e);
  }
}

function printFrom(f: A.FromItem): string {
  switch (f.kind) {
    case 'tableRef':
      return f.alias === undefined ? printIdent(f.name) : `${printIdent(f.name)} AS ${printIdent(f.alias)}`;
    case 'subqueryRef':
      return `(${printQuery(f.query)})${f.alias === undefined ? '' : ` AS ${printIdent(f.alias)}`}`;
    case 'join': {
      const right = f.right.kind === 'join' ? `(${printFrom(f.right)})` : printFrom(f.right);
      const kw = f.type === 'left' ? 'LEFT JOIN' : f.type === 'cross' ? 'CROSS JOIN' : 'JOIN';
      return `${printFrom(f.left)} ${kw} ${right}${f.on ? ` ON ${printExpr(f.on)}` : ''}`;
    }
    default:
      return A.assertNever(f);
  }
}

/** A select list or RETURNING's items. */
function printItems(items: ReadonlyArray<A.SelectItem | A.Star>): string {
  return items
    .map((it) =>
      it.kind === 'star'
        ? printExpr(it)
        : `${printExpr(it.expr)}${it.alias === undefined ? '' : ` AS ${printIdent(it.alias)}`}`,
    )
    .join(', ');
}

function printSelectCore(s: A.SelectCore): string {
  let out = 'SELECT ';
  if (s.distinct) out += 'DISTINCT ';
  if (s.distinctOn.length) out += `DISTINCT ON (${s.distinctOn.map(printExpr).join(', ')}) `;
  out += printItems(s.items);
  if (s.from) out += ` FROM ${printFrom(s.from)}`;
  if (s.where) out += ` WHERE ${printExpr(s.where)}`;
  if (s.groupBy.length) out += ` GROUP BY ${s.groupBy.map(printExpr).join(', ')}`;
  if (s.having) out += ` HAVING ${printExpr(s.having)}`;
  return out;
}

function printBody(b: A.SelectCore | A.SetOp): string {
  if (b.kind === 'select') return printSelectCore(b);
  return `${printBody(b.left)} UNION ${b.all ? 'ALL ' : ''}${printSelectCore(b.right)}`;
}

export function printOrderItem(o: A.OrderItem): string {
  return `${printExpr(o.expr)}${o.desc ? ' DESC' : ''}${o.nulls ? ` NULLS ${o.nulls.toUpperCase()}` : ''}`;
}

export function printQuery(q: A.Query): string {
  let out = printBody(q.body);
  if (q.orderBy.length) out += ` ORDER BY ${q.orderBy.map(printOrderItem).join(', ')}`;
  if (q.limit) out += ` LIMIT ${printExpr(q.limit)}`;
  if (q.offset) out += ` OFFSET ${printExpr(q.offset)}`;
  return out;
}

/** Prints any statement as one line of SQL. */
export function printStatement(s: A.Statement): string {
  switch (s.kind) {
    case 'query':
      return printQuery(s);
    case 'insert':
      return printInsert(s);
    case 'update': {
      const set = s.assignments.map(printAssignment).join(', ');
      return `UPDATE ${printOr(s.or)}${printIdent(s.table)} SET ${set}${printWhere(s.where)}${printReturning(s.returning)}`;
    }
    case 'delete':
      return `DELETE FROM ${printIdent(s.table)}${printWhere(s.where)}${printReturning(s.returning)}`;
    case 'createTable':
      return printCreateTable(s);
    case 'dropTable':
      return `DROP TABLE ${s.ifExists ? 'IF EXISTS ' : ''}${printIdent(s.name)}`;
    case 'createIndex': {
      const head = `CREATE ${s.unique ? 'UNIQUE ' : ''}INDEX ${s.ifNotExists ? 'IF NOT EXISTS ' : ''}`;
      const cols = s.columns.map(printIndexedColumn).join(', ');
      return `${head}${printIdent(s.name)} ON ${printIdent(s.table)} (${cols})${printWhere(s.where)}`;
    }
    case 'dropIndex':
      return `DROP INDEX ${s.ifExists ? 'IF EXISTS ' : ''}${printIdent(s.name)}`;
    case 'begin':
      return s.mode === undefined ? 'BEGIN' : `BEGIN ${s.mode.toUpperCase()}`;
    case 'commit':
      return 'COMMIT';
    case 'rollback':
      return 'ROLLBACK';
    case 'showTables':
      return 'SHOW TABLES';
    case 'describe':
      return `DESCRIBE ${printIdent(s.table)}`;
    case 'createView':
      return `CREATE VIEW ${s.ifNotExists ? 'IF NOT EXISTS ' : ''}${printIdent(s.name)}${s.columns ? ` (${s.columns.map(printIdent).join(', ')})` : ''} AS ${s.sql}`;
    case 'dropView':
      return `DROP VIEW ${s.ifExists ? 'IF EXISTS ' : ''}${printIdent(s.name)}`;
    case 'pragma':
      return `PRAGMA ${printIdent(s.name)}${s.arg === undefined ? '' : `(${printIdent(s.arg)})`}`;
    case 'explain':
      return `EXPLAIN ${printStatement(s.statement)}`;
    default:
      return A.assertNever(s);
  }
}

function printWhere(e: A.Expr | undefined): string {
  return e ? ` WHERE ${printExpr(e)}` : '';
}

function printReturning(r: A.Returning | undefined): string {
  return r ? ` RETURNING ${printItems(r)}` : '';
}

/** `OR REPLACE ` after INSERT / UPDATE, or '' */
function printOr(or: A.ConflictAlgo | undefined): string {
  return or === undefined ? '' : `OR ${or.toUpperCase()} `;
}

function printAssignment(a: A.Assignment): string {
  return `${printIdent(a.column)} = ${printExpr(a.value)}`;
}

function printIndexedColumn(c: A.IndexedColumn): string {
  const collate = c.collate === undefined ? '' : ` COLLATE ${printIdent(c.collate)}`;
  return `${printExpr(c.expr)}${collate}${c.order === undefined ? '' : ` ${c.order.toUpperCase()}`}`;
}

function printInsert(s: A.Insert): string {
  const cols = s.columns.length ? ` (${s.columns.map(printIdent).join(', ')})` : '';
  let src: string;
  if (s.defaultValues) src = 'DEFAULT VALUES';
  else if (s.values) src = `VALUES ${s.values.map((r) => `(${r.map(printExpr).join(', ')})`).join(', ')}`;
  else src = printQuery(s.query!);
  const upsert = (s.upsert ?? []).map((u) => ` ${printUpsert(u)}`).join('');
  return `INSERT ${printOr(s.or)}INTO ${printIdent(s.table)}${cols} ${src}${upsert}${printReturning(s.returning)}`;
}

function printUpsert(u: A.Upsert): string {
  let out = 'ON CONFLICT';
  if (u.target.length) out += ` (${u.target.map(printIndexedColumn).join(', ')})${printWhere(u.targetWhere)}`;
  if (u.action === 'nothing') return `${out} DO NOTHING`;
  return `${out} DO UPDATE SET ${u.set.map(printAssignment).join(', ')}${printWhere(u.where)}`;
}

function printCreateTable(s: A.CreateTable): string {
  const items = [...s.columns.map(printColumnDef), ...s.constraints.map(printTableConstraint)].join(', ');
  const opts = s.options.length
    ? ` WITH (${s.options.map((o) => `${printIdent(o.key)} = ${printExpr(o.value)}`).join(', ')})`
    : '';
  const sqlite = [s.withoutRowid ? 'WITHOUT ROWID' : '', s.strict ? 'STRICT' : ''].filter(Boolean).join(', ');
  const head = `CREATE TABLE ${s.ifNotExists ? 'IF NOT EXISTS ' : ''}${printIdent(s.name)}`;
  return `${head} (${items})${opts}${sqlite ? ` ${sqlite}` : ''}`;
}

function printColumnDef(c: A.ColumnDef): string {
  let out = printIdent(c.name);
  if (c.type) out += ` ${c.type}`;
  if (c.size) out += `(${c.size.join(', ')})`;
  for (const k of c.constraints) out += ` ${printColumnConstraint(k)}`;
  return out;
}

function printConstraintName(name: string | undefined): string {
  return name === undefined ? '' : `CONSTRAINT ${printIdent(name)} `;
}

function printOnConflict(algo: A.ConflictAlgo | undefined): string {
  return algo === undefined ? '' : ` ON CONFLICT ${algo.toUpperCase()}`;
}

function printColumnConstraint(c: A.ColumnConstraint): string {
  return printConstraintName(c.name) + printColumnConstraintBody(c);
}

function printColumnConstraintBody(c: A.ColumnConstraint): string {
  switch (c.kind) {
    case 'notNull':
      return `NOT NULL${printOnConflict(c.onConflict)}`;
    case 'null':
      return 'NULL';
    case 'default':
      return `DEFAULT ${printDefault(c.value)}`;
    case 'primaryKey': {
      const order = c.order === undefined ? '' : ` ${c.order.toUpperCase()}`;
      return `PRIMARY KEY${order}${printOnConflict(c.onConflict)}${c.autoincrement ? ' AUTOINCREMENT' : ''}`;
    }
    case 'unique':
      return `UNIQUE${printOnConflict(c.onConflict)}`;
    case 'check':
      return `CHECK (${printExpr(c.expr)})`;
    case 'collate':
      return `COLLATE ${printIdent(c.collation)}`;
    case 'references':
      return `REFERENCES ${printForeignKeyClause(c.references)}`;
    default:
      return A.assertNever(c);
  }
}

/** A DEFAULT value: literals, signed numbers and bare names as they are, anything else in ( ). */
function printDefault(e: A.Expr): string {
  const bare =
    e.kind === 'number' ||
    e.kind === 'string' ||
    e.kind === 'null' ||
    e.kind === 'bool' ||
    (e.kind === 'column' && e.table === undefined) ||
    (e.kind === 'unary' && e.op !== 'NOT' && e.operand.kind === 'number');
  return bare ? printExpr(e) : `(${printExpr(e)})`;
}

function printForeignKeyClause(f: A.ForeignKeyClause): string {
  let out = printIdent(f.table);
  if (f.columns.length) out += ` (${f.columns.map(printIdent).join(', ')})`;
  if (f.onDelete) out += ` ON DELETE ${f.onDelete.toUpperCase()}`;
  if (f.onUpdate) out += ` ON UPDATE ${f.onUpdate.toUpperCase()}`;
  if (f.match !== undefined) out += ` MATCH ${printIdent(f.match)}`;
  if (f.deferrable) {
    out += f.deferrable.not ? ' NOT DEFERRABLE' : ' DEFERRABLE';
    if (f.deferrable.initially) out += ` INITIALLY ${f.deferrable.initially.toUpperCase()}`;
  }
  return out;
}

function printTableConstraint(c: A.TableConstraint): string {
  return printConstraintName(c.name) + printTableConstraintBody(c);
}

function printTableConstraintBody(c: A.TableConstraint): string {
  switch (c.kind) {
    case 'primaryKey': {
      const cols = `${c.columns.map(printIndexedColumn).join(', ')}${c.autoincrement ? ' AUTOINCREMENT' : ''}`;
      return `PRIMARY KEY (${cols})${printOnConflict(c.onConflict)}`;
    }
    case 'unique':
      return `UNIQUE (${c.columns.map(printIndexedColumn).join(', ')})${printOnConflict(c.onConflict)}`;
    case 'check':
      return `CHECK (${printExpr(c.expr)})`;
    case 'foreignKey':
      return `FOREIGN KEY (${c.columns.map(printIdent).join(', ')}) REFERENCES ${printForeignKeyClause(c.references)}`;
    default:
      return A.assertNever(c);
  }
}
