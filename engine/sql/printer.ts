/**
 * Deterministic SQL printer: the same tree always prints the same text, and parsing that text gives
 * the same tree back (positions aside). Nested operators are parenthesized, so precedence never
 * has to be reconstructed.
 */
import * as A from './ast';
import { RESERVED } from './parser';

/** A name as SQL text: bare when it is a plain non-keyword word, else in double quotes. */
export function printIdent(name: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !RESERVED.has(name.toUpperCase())) return name;
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
      return `${operand(e.operand)} ${e.not ? 'NOT ' : ''}IN (${e.list.map(printExpr).join(', ')})`;
    case 'like':
      return `${operand(e.operand)} ${e.not ? 'NOT ' : ''}LIKE ${operand(e.pattern)}`;
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

function printSelectCore(s: A.SelectCore): string {
  let out = 'SELECT ';
  if (s.distinct) out += 'DISTINCT ';
  if (s.distinctOn.length) out += `DISTINCT ON (${s.distinctOn.map(printExpr).join(', ')}) `;
  out += s.items
    .map((it) =>
      it.kind === 'star'
        ? printExpr(it)
        : `${printExpr(it.expr)}${it.alias === undefined ? '' : ` AS ${printIdent(it.alias)}`}`,
    )
    .join(', ');
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
    case 'insert': {
      const cols = s.columns.length ? ` (${s.columns.map(printIdent).join(', ')})` : '';
      const src = s.values
        ? `VALUES ${s.values.map((r) => `(${r.map(printExpr).join(', ')})`).join(', ')}`
        : printQuery(s.query!);
      return `INSERT INTO ${printIdent(s.table)}${cols} ${src}`;
    }
    case 'delete':
      return `DELETE FROM ${printIdent(s.table)}${s.where ? ` WHERE ${printExpr(s.where)}` : ''}`;
    case 'createTable': {
      const cols = s.columns.map((c) => `${printIdent(c.name)} ${c.type}`).join(', ');
      const opts = s.options.length
        ? ` WITH (${s.options.map((o) => `${printIdent(o.key)} = ${printExpr(o.value)}`).join(', ')})`
        : '';
      return `CREATE TABLE ${s.ifNotExists ? 'IF NOT EXISTS ' : ''}${printIdent(s.name)} (${cols})${opts}`;
    }
    case 'dropTable':
      return `DROP TABLE ${s.ifExists ? 'IF EXISTS ' : ''}${printIdent(s.name)}`;
    case 'showTables':
      return 'SHOW TABLES';
    case 'describe':
      return `DESCRIBE ${printIdent(s.table)}`;
    case 'explain':
      return `EXPLAIN ${printStatement(s.statement)}`;
    default:
      return A.assertNever(s);
  }
}
