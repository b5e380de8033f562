// Runs a whole program (test/programs/*.js) on SQLite (better-sqlite3) and on Helios, step by
// step, and compares each step's result. A program is `{ name, description, steps }`; a step is
//
//   { sql, params }                      one statement; params an array for ? and ?1, an object
//                                        for $name, :name and @name (keys without the prefix)
//   { script }                           several statements separated by `;` (BEGIN ... COMMIT)
//   { transaction: [{ sql, params }] }   a batch of statements in one transaction
//
// with optional `expectError: true` (SQLite refuses it, so Helios must too; messages are not
// compared), `ordered: true | false` (overrides "the row order counts when the SQL has ORDER
// BY") and `mayBeEmpty: true` (a SELECT that may return no rows; without it the SQLite sanity
// check wants rows, so that a program never compares two empty answers by accident).
//
// How each side runs a step:
//   SQLite: prepare(sql), then .all(params) if stmt.reader (SELECT, RETURNING) else .run(params);
//           db.exec(script); db.transaction(fn)().
//   Helios: db.query(sql, params); db.query(script) (one call);
//           db.transaction(async (tx) => { for each: await tx.query(sql, params) }).
//
// An outcome is `{ rows }` (a reader), `{ changes, lastInsertRowid }` (a write), `{ done: true }`
// (a script), `{ results: [outcome, ...] }` (a transaction) or `{ error, code }`. From Helios the
// harness takes `rows`, `changes` and `lastInsertRowid` as top-level properties of what
// `db.query()` (or `tx.query()`) resolves to.

/** The SQL with string literals, quoted names and comments blanked, for keyword tests. */
function blankSql(sql) {
  return sql.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|`[^`]*`|\[[^\]]*\]|--[^\n]*|\/\*[\s\S]*?\*\//g, ' ');
}

/** True when the row order of the statement's result is fixed by an ORDER BY. */
function hasOrderBy(sql) {
  return /\border\s+by\b/i.test(blankSql(sql));
}

/** The statement's first keyword, upper case (`INSERT`, `SELECT`, ...). */
function verb(sql) {
  const m = /^\s*([A-Za-z]+)/.exec(blankSql(sql));
  return m ? m[1].toUpperCase() : '';
}

/**
 * better-sqlite3 binds `?1`, `?2` only from an object keyed 1, 2, ... ; the programs pass an
 * array, as for `?`. Returns the arguments for `stmt.all(...)` / `stmt.run(...)`.
 */
function sqliteArgs(sql, params) {
  if (params === undefined) return [];
  if (Array.isArray(params) && /\?\d/.test(blankSql(sql))) {
    const byNumber = {};
    params.forEach((v, i) => {
      byNumber[i + 1] = v;
    });
    return [byNumber];
  }
  return [params];
}

function errorOutcome(err) {
  return { error: err instanceof Error ? err.message : String(err), code: err?.code };
}

function runSqliteStatement(db, sql, params) {
  const stmt = db.prepare(sql);
  const args = sqliteArgs(sql, params);
  if (stmt.reader) return { rows: stmt.all(...args) };
  const r = stmt.run(...args);
  return { changes: r.changes, lastInsertRowid: Number(r.lastInsertRowid) };
}

/** Runs one step on a better-sqlite3 database; never throws. */
function runSqliteStep(db, step) {
  try {
    if (step.script !== undefined) {
      db.exec(step.script);
      return { done: true };
    }
    if (step.transaction !== undefined) {
      const batch = db.transaction(() =>
        step.transaction.map((s) => runSqliteStatement(db, s.sql, s.params)),
      );
      return { results: batch() };
    }
    return runSqliteStatement(db, step.sql, step.params);
  } catch (err) {
    return errorOutcome(err);
  }
}

function heliosOutcome(res) {
  const out = {};
  if (res && Array.isArray(res.rows)) out.rows = res.rows;
  if (res && 'changes' in res) out.changes = res.changes;
  if (res && 'lastInsertRowid' in res) out.lastInsertRowid = res.lastInsertRowid;
  out.raw = res;
  return out;
}

/** Runs one step on a Helios database; never rejects. */
async function runHeliosStep(db, step) {
  try {
    if (step.script !== undefined) {
      await db.query(step.script);
      return { done: true };
    }
    if (step.transaction !== undefined) {
      if (typeof db.transaction !== 'function') throw new Error('Helios has no db.transaction(fn)');
      const results = [];
      await db.transaction(async (tx) => {
        for (const s of step.transaction) results.push(heliosOutcome(await tx.query(s.sql, s.params)));
      });
      return { results };
    }
    return heliosOutcome(await db.query(step.sql, step.params));
  } catch (err) {
    return errorOutcome(err);
  }
}

function stepSql(step) {
  if (step.script !== undefined) return step.script;
  if (step.transaction !== undefined) {
    const first = step.transaction[0]?.sql ?? '';
    const more = step.transaction.length - 1;
    return `-- transaction of ${step.transaction.length} statements\n${first}${more > 0 ? ` (and ${more} more)` : ''}`;
  }
  return step.sql;
}

function stepKind(step) {
  if (step.script !== undefined) return 'script';
  if (step.transaction !== undefined) return 'transaction';
  return 'sql';
}

/**
 * Runs every step of `program` on each database given (`sqlite`: a better-sqlite3 Database,
 * `helios`: a Helios Database; either may be left out), in lockstep. Returns one entry per step:
 * `{ step (1-based), kind, sql, params, expectError, ordered, statements, sqlite, helios }`.
 */
async function runProgram(program, { sqlite, helios } = {}) {
  const out = [];
  for (const [i, step] of program.steps.entries()) {
    const entry = {
      step: i + 1,
      kind: stepKind(step),
      sql: stepSql(step),
      params: step.params,
      expectError: step.expectError === true,
      mayBeEmpty: step.mayBeEmpty === true,
      ordered: step.ordered,
      statements: step.transaction,
    };
    if (sqlite) entry.sqlite = runSqliteStep(sqlite, step);
    if (helios) entry.helios = await runHeliosStep(helios, step);
    out.push(entry);
  }
  return out;
}

// ---- comparison ----

function normalizeValue(v) {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return Number(v);
  return v;
}

function valuesEqual(a, b) {
  a = normalizeValue(a);
  b = normalizeValue(b);
  if (typeof a === 'number' && typeof b === 'number') {
    if (a === b || (Number.isNaN(a) && Number.isNaN(b))) return true;
    return Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
  }
  return a === b;
}

/** A value as it would be written in SQL-ish text: strings quoted, absent shown as such. */
function show(v) {
  if (v === undefined) return '(absent)';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return `${v}n`;
  return String(v);
}

function showRow(row) {
  if (!row || typeof row !== 'object') return show(row);
  return `{ ${Object.entries(row)
    .map(([k, v]) => `${k}: ${show(v)}`)
    .join(', ')} }`;
}

/** A key that sorts rows as multisets: numbers to 9 significant digits so tolerance holds. */
function sortKey(values) {
  return JSON.stringify(
    values.map((v) => {
      v = normalizeValue(v);
      if (typeof v === 'number') return `n${v.toPrecision(9)}`;
      if (v === null) return 'null';
      if (v === undefined) return 'undefined';
      return `${typeof v}:${v}`;
    }),
  );
}

function compareRows(a, b, ordered) {
  if (!Array.isArray(b)) return 'Helios gave no rows';
  if (a.length !== b.length) return `SQLite gave ${a.length} rows, Helios ${b.length}`;
  if (a.length === 0) return null;
  const names = Object.keys(a[0]);
  for (const [i, row] of b.entries()) {
    const got = Object.keys(row);
    if (got.join('\u0000') !== names.join('\u0000')) {
      return `row ${i + 1}: columns [${got.join(', ')}], SQLite has [${names.join(', ')}]`;
    }
  }
  let va = a.map((r) => names.map((n) => r[n]));
  let vb = b.map((r) => names.map((n) => r[n]));
  if (!ordered) {
    const bySortKey = (x, y) => (sortKey(x) < sortKey(y) ? -1 : sortKey(x) > sortKey(y) ? 1 : 0);
    va = [...va].sort(bySortKey);
    vb = [...vb].sort(bySortKey);
  }
  for (let i = 0; i < va.length; i++) {
    for (let j = 0; j < names.length; j++) {
      if (!valuesEqual(va[i][j], vb[i][j])) {
        const where = ordered ? `row ${i + 1}` : `row ${i + 1} (sorted; no ORDER BY)`;
        return `${where} column ${names[j]}: SQLite ${show(va[i][j])}, Helios ${show(vb[i][j])}`;
      }
    }
  }
  return null;
}

function compareWrite(a, b, sql) {
  const v = verb(sql);
  if (!['INSERT', 'REPLACE', 'UPDATE', 'DELETE'].includes(v)) return null; // DDL: only success counts
  if (!valuesEqual(a.changes, b.changes)) return `changes: SQLite ${a.changes}, Helios ${show(b.changes)}`;
  // SQLite's lastInsertRowid is the connection's last insert, stale after anything else.
  if (
    (v === 'INSERT' || v === 'REPLACE') &&
    a.changes > 0 &&
    !valuesEqual(a.lastInsertRowid, b.lastInsertRowid)
  ) {
    return `lastInsertRowid: SQLite ${a.lastInsertRowid}, Helios ${show(b.lastInsertRowid)}`;
  }
  return null;
}

/**
 * Compares two outcomes of one statement or step (the first is the reference, SQLite).
 * Returns null when they agree, else a sentence saying where they differ.
 */
function compareOutcomes(a, b, { sql = '', ordered, statements } = {}) {
  if (a.error !== undefined || b.error !== undefined) {
    if (a.error !== undefined && b.error !== undefined) return null;
    return a.error !== undefined ? `SQLite refused (${a.error}), the other did not` : 'Helios refused';
  }
  if (a.rows) return compareRows(a.rows, b.rows, ordered ?? hasOrderBy(sql));
  if (a.results) {
    if (!Array.isArray(b.results)) return 'Helios gave no per-statement results';
    if (a.results.length !== b.results.length) {
      return `SQLite ran ${a.results.length} statements, Helios ${b.results.length}`;
    }
    for (let i = 0; i < a.results.length; i++) {
      const s = statements?.[i]?.sql ?? '';
      const why = compareOutcomes(a.results[i], b.results[i], { sql: s });
      if (why) return `statement ${i + 1} of the transaction (${oneLine(s)}): ${why}`;
    }
    return null;
  }
  if (a.done) return null;
  return compareWrite(a, b, sql);
}

/** Null when the step's SQLite and Helios outcomes agree, else why they do not. */
function compareStep(result) {
  return compareOutcomes(result.sqlite, result.helios, result);
}

/** Every step where SQLite and Helios disagree, each with `reason`. */
function listDisagreements(results) {
  const out = [];
  for (const r of results) {
    const reason = compareStep(r);
    if (reason) out.push({ ...r, reason });
  }
  return out;
}

/** Problems of a program on SQLite alone: expected errors that did not happen and the reverse. */
function sqliteProblems(results) {
  const out = [];
  for (const r of results) {
    const o = r.sqlite;
    if (r.expectError && o.error === undefined) out.push(`step ${r.step}: expected an error, SQLite ran it`);
    if (!r.expectError && o.error !== undefined) out.push(`step ${r.step}: SQLite refused: ${o.error}`);
    if (!r.expectError && o.rows && o.rows.length === 0 && !r.mayBeEmpty) {
      out.push(`step ${r.step}: SQLite returned no rows (mark it mayBeEmpty if meant)`);
    }
    if (out.length && out[out.length - 1].startsWith(`step ${r.step}:`)) out.push(`  ${oneLine(r.sql)}`);
  }
  return out;
}

/**
 * For an ordered SELECT step, whether its ORDER BY leaves ties: two different rows (of the
 * result without its final LIMIT, so that ties across the limit count) with equal ORDER BY
 * terms, whose order, and with LIMIT whose presence, SQLite does not fix. Checks the terms that
 * name an output column (`timestamp`, `r.timestamp`, `2`); returns null when there is no tie
 * or a term is an expression it cannot evaluate. Run it on the database before the step.
 */
function orderByTie(db, step) {
  if (step.sql === undefined || verb(step.sql) !== 'SELECT' || step.ordered === false) return null;
  const flat = blankSql(step.sql).replace(/\s+/g, ' ');
  const at = flat.toLowerCase().lastIndexOf('order by ');
  if (at < 0) return null;
  const clause = flat.slice(at + 'order by '.length).replace(/ limit [\s\S]*$/i, '');
  if (/[()]/.test(clause)) return null;
  const unlimited = step.sql.replace(/\s+LIMIT\s+\S+(\s+OFFSET\s+\S+)?\s*$/i, '');
  const out = runSqliteStep(db, { sql: unlimited, params: step.params });
  if (!out.rows || out.rows.length < 2) return null;
  const names = Object.keys(out.rows[0]);
  const terms = clause.split(',').map((t) => {
    const bare = t
      .trim()
      .replace(/\s+(asc|desc)(\s+nulls\s+(first|last))?$/i, '')
      .replace(/^\w+\./, '');
    return /^\d+$/.test(bare) ? names[Number(bare) - 1] : bare;
  });
  if (!terms.every((t) => names.includes(t))) return null;
  for (let i = 1; i < out.rows.length; i++) {
    const a = out.rows[i - 1];
    const b = out.rows[i];
    if (terms.every((t) => a[t] === b[t]) && names.some((n) => a[n] !== b[n])) {
      return `rows ${i} and ${i + 1} tie on ORDER BY ${terms.join(', ')}: ${showRow(a)} / ${showRow(b)}`;
    }
  }
  return null;
}

function oneLine(sql, max = 160) {
  const s = sql.replace(/\s+/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max - 3)}...` : s;
}

function showOutcome(o, maxRows = 3) {
  if (!o) return '(not run)';
  if (o.error !== undefined) return `error: ${o.error}${o.code ? ` [${o.code}]` : ''}`;
  if (o.rows) {
    const head = o.rows.slice(0, maxRows).map((r) => `\n      ${showRow(r)}`);
    const more = o.rows.length > maxRows ? `\n      ... ${o.rows.length - maxRows} more` : '';
    return `${o.rows.length} rows${head.join('')}${more}`;
  }
  if (o.results) {
    const writes = o.results.map((x) =>
      x.error ? 'error' : (x.changes ?? (x.rows ? `${x.rows.length} rows` : '?')),
    );
    return `${o.results.length} statements, changes ${writes.slice(0, 10).join(', ')}${writes.length > 10 ? ', ...' : ''}`;
  }
  if (o.done) return 'done';
  const extra =
    o.raw && !('changes' in o.raw) ? ` (result: ${oneLine(showRow(o.raw.rows?.[0] ?? o.raw), 100)})` : '';
  return `changes ${show(o.changes)}, lastInsertRowid ${show(o.lastInsertRowid)}${extra}`;
}

/** A disagreement as a few readable lines: step, SQL, why, both outcomes. */
function formatDisagreement(d) {
  const params = d.params === undefined ? '' : `\n  params: ${JSON.stringify(d.params)}`;
  return [
    `step ${d.step} (${d.kind}): ${oneLine(d.sql)}${params}`,
    `  why:    ${d.reason}`,
    `  sqlite: ${showOutcome(d.sqlite)}`,
    `  helios: ${showOutcome(d.helios)}`,
  ].join('\n');
}

module.exports = {
  runProgram,
  runSqliteStep,
  runHeliosStep,
  compareStep,
  compareOutcomes,
  listDisagreements,
  sqliteProblems,
  orderByTie,
  formatDisagreement,
  hasOrderBy,
};
