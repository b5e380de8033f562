/**
 * The SQL entry point: `runQuery` / `iterateQuery` take a QueryTarget (the storage, implemented by
 * Database) and a SQL text, and run it: parse (sql/) -> bind and push down (plan/) -> execute (exec/).
 * See docs/sql.md for the dialect.
 */
import { performance } from 'node:perf_hooks';
import { TransactionConflictError } from '../errors';
import { evaluateConstant, type Row } from '../exec/compile';
import { objectMaker } from '../exec/objects';
import { execute } from '../exec/operators';
import { type PhysicalPlan, planPhysical } from '../exec/physical';
import { Runtime, tooManyRows } from '../exec/runtime';
import type { QueryResult, QueryTarget, ScriptTransaction } from '../exec/target';
import { bindStatement } from '../plan/binder';
import type { Plan, SqlType, Value } from '../plan/logical';
import type { InList, Statement } from '../sql/ast';
import { parseCached, parseStatementsCached } from '../sql/cache';
import { SqlError, sqlErrorAt } from '../sql/errors';
import { subqueriesOf } from '../sql/parser';
import { positionalParams } from '../sql/placeholders';
import { materialise } from './materialise';

// The port and the result, declared in exec/target.ts (the executor below uses them), named here
// too for the storage (engine/db/) and the door (engine/index.ts) that import them from this file.

export type QueryParams = unknown[] | Record<string, unknown>;

export interface QueryOptions {
  /**
   * refuse more array parameters than the statement has placeholders (helios-query sets it: a
   * value with no placeholder is almost always a mistake); default false
   */
  strictParams?: boolean;
  /** most rows a result (or an operator's working set) may hold; default 100000 */
  maxRows?: number;
  /**
   * most bytes (estimated: 16 a value, 2 a character of text) that group_concat / string_agg
   * outputs and ORDER BY / GROUP BY / JOIN / gap-fill working sets may hold together; default 268435456
   * (256 MiB); 0: no limit
   */
  maxBytes?: number;
  /**
   * ms a query may run before it stops with a SqlError (HELIOS_SQL_TIMEOUT), checked each time
   * it gives the event loop a turn (every few ms); default 0: no limit (helios-query sets 30 s)
   */
  timeoutMs?: number;
  /** stops the query with a SqlError (HELIOS_SQL_CANCELLED) when aborted (helios-query: on close) */
  signal?: AbortSignal;
  /**
   * longest SQL text taken, in bytes of UTF-8; a longer one is refused before it is read (50 MB
   * of SQL once exhausted the heap). Default 1 MiB (1048576); bulk rows belong in `write()` or
   * parameters.
   */
  maxSqlBytes?: number;
  /** the clock for now(), ms since 1970; default Date.now */
  now?: () => number;
  /**
   * answer count/sum/avg/min/max over whole chunks from their statistics; default true. false
   * decodes every row (to compare both ways, or to measure).
   */
  statistics?: boolean;
}

/** Default cap on the length of a SQL text, bytes. */
export const DEFAULT_MAX_SQL_BYTES = 1024 * 1024;

/** Default cap on the bytes a query's working sets hold. */
export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;

/** Default cap on rows held by a query. */
export const DEFAULT_MAX_ROWS = 100_000;

interface Prepared {
  readonly plan: Plan;
  /** the operators that run it, chosen once (exec/physical.ts) */
  readonly physical: PhysicalPlan;
  readonly runtime: Runtime;
  readonly names: string[];
  readonly columns: Array<{ name: string; type: string }>;
  readonly started: number;
}

/** What a non-text SQL argument is, for the sentence. */
function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (Buffer.isBuffer(v)) return 'a Buffer';
  return typeof v === 'object' ? 'an object' : typeof v;
}

/** Refuses what is not a SQL text, an empty one and one over `maxSqlBytes`, before lexing it. */
function checkText(sql: string, options: QueryOptions): void {
  if (typeof sql !== 'string') {
    throw new SqlError(
      `SQL must be text, got ${kindOf(sql)}. Pass the statement as a string, e.g. db.query('SELECT * FROM readings LIMIT 10').`,
      'HELIOS_SQL_SYNTAX',
    );
  }
  const limit = options.maxSqlBytes ?? DEFAULT_MAX_SQL_BYTES;
  // UTF-8 takes at least one byte per UTF-16 unit: a text longer than the limit is too long
  if (sql.length > limit || (sql.length * 3 > limit && Buffer.byteLength(sql, 'utf8') > limit)) {
    throw new SqlError(
      `The SQL text is over ${limit} bytes long, the limit (maxSqlBytes). ` +
        'Send rows with write() or as parameters (msg.params) rather than spliced into the text, or raise maxSqlBytes.',
      'HELIOS_SQL_TOO_LONG',
    );
  }
  if (sql.trim() === '') {
    throw new SqlError(
      'The SQL text is empty. Write a statement such as SELECT * FROM readings LIMIT 10.',
      'HELIOS_SQL_SYNTAX',
    );
  }
}

function prepare(
  target: QueryTarget,
  sql: string,
  params: QueryParams | undefined,
  options: QueryOptions,
): Prepared {
  const started = performance.now();
  checkText(sql, options);
  return prepareStatement(target, sql, parseCached(sql), params, options, started);
}

/** Binds one parsed statement (`sql`: the whole text it came from, for errors that point). */
function prepareStatement(
  target: QueryTarget,
  sql: string,
  stmt: Statement,
  params: QueryParams | undefined,
  options: QueryOptions,
  started: number,
  subqueryValues?: ReadonlyMap<InList, readonly Value[]>,
): Prepared {
  const now = (options.now ?? Date.now)();
  const ctx = { now };
  const maxRows = options.maxRows ?? DEFAULT_MAX_ROWS;
  const plan = bindStatement(stmt, {
    sql,
    params,
    now,
    lookup: target,
    fold: (e) => evaluateConstant(e, ctx),
    subqueryValues,
  });
  const names = uniqueNames(plan.columns.map((c) => c.name));
  const columns = plan.columns.map((c, i) => ({ name: names[i]!, type: typeName(c.type) }));
  const useStatistics = options.statistics ?? true;
  return {
    plan,
    physical: planPhysical(plan, { useStatistics, inTransaction: target.inTransaction === true }),
    runtime: new Runtime(
      target,
      ctx,
      maxRows,
      useStatistics,
      {
        timeoutMs: options.timeoutMs ?? 0,
        maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES,
        signal: options.signal,
      },
      started,
    ),
    names,
    columns,
    started,
  };
}

/**
 * Binds a statement after running its `IN (SELECT ...)` sub-selects (uncorrelated: each is bound on
 * its own, inner ones first) for the values they give; all of them and the statement see one now().
 */
async function prepareWithSubqueries(
  target: QueryTarget,
  sql: string,
  stmt: Statement,
  params: QueryParams | undefined,
  options: QueryOptions,
  started: number,
): Promise<Prepared> {
  const subqueries = subqueriesOf(stmt);
  if (!subqueries) return prepareStatement(target, sql, stmt, params, options, started);
  const now = (options.now ?? Date.now)();
  const fixed: QueryOptions = { ...options, now: () => now };
  const values = new Map<InList, readonly Value[]>();
  for (const node of subqueries) {
    const p = prepareStatement(target, sql, node.query!, params, fixed, started, values);
    if (p.plan.columns.length !== 1) {
      throw sqlErrorAt(
        sql,
        node.query!.pos ?? node.pos ?? 0,
        `The SELECT in IN (...) gives ${p.plan.columns.length} columns; it must give one`,
        'Select only the column to compare with, e.g. id IN (SELECT id FROM ...).',
        'HELIOS_SQL_BIND',
      );
    }
    const out: Value[] = [];
    for await (const batch of execute(p.physical, p.runtime)) {
      if (out.length + batch.length > p.runtime.maxRows)
        throw tooManyRows(p.runtime.maxRows, 'values of IN (SELECT ...)');
      for (const row of batch) out.push(row[0] as Value);
    }
    values.set(node, out);
  }
  return prepareStatement(target, sql, stmt, params, fixed, started, values);
}

/** Result column names: a repeated name gets ':1', ':2', ... so no value is lost. */
function uniqueNames(names: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((n) => {
    const k = seen.get(n) ?? 0;
    seen.set(n, k + 1);
    return k === 0 ? n : `${n}:${k}`;
  });
}

function typeName(t: SqlType): string {
  return t === 'null' ? 'any' : t;
}

function toObjects(rows: readonly Row[], names: readonly string[]): Array<Record<string, unknown>> {
  const make = objectMaker(names);
  const out = new Array<Record<string, unknown>>(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = make(rows[i]!);
  return out;
}

/**
 * Runs one SQL statement and returns all its rows. Params bind `?`/`?1` (array) or `$name`/`:name`
 * (object); they are never spliced into the text. A result of more than `maxRows` rows fails with
 * a sentence saying how to narrow the query. Throws SqlError (an InvalidInputError) for mistakes.
 * A text of several statements separated by ';' runs as a script (see runScript), BEGIN ...
 * COMMIT in it as one transaction.
 */
export async function runQuery(
  target: QueryTarget,
  sql: string,
  params?: QueryParams,
  options: QueryOptions = {},
): Promise<QueryResult> {
  const started = performance.now();
  checkText(sql, options);
  const parsed = parseStatementsCached(sql);
  if (isScript(parsed)) {
    const statements: readonly Statement[] = Array.isArray(parsed)
      ? parsed
      : [parsed as unknown as Statement];
    return runScript(target, sql, statements, params, options, started);
  }
  const stmt = parsed as Statement;
  if (options.strictParams) checkParamCount(stmt, params);
  const p = subqueriesOf(stmt)
    ? await prepareWithSubqueries(target, sql, stmt, params, options, started)
    : prepareStatement(target, sql, stmt, params, options, started);
  return runPrepared(p);
}

/**
 * More array parameters than the statement has placeholders is almost always a mistake (a value
 * meant for a placeholder that is not there, or parameters of another query): refuse it.
 */
function checkParamCount(stmt: Statement, params: QueryParams | undefined): void {
  if (!Array.isArray(params) || params.length === 0) return;
  const wanted = positionalParams(stmt);
  if (params.length <= wanted) return;
  const places = wanted === 0 ? 'no placeholder' : `${wanted} placeholder${wanted === 1 ? '' : 's'}`;
  throw new SqlError(
    `The statement has ${places} (?, ?1, $1), but ${params.length} parameters were given. ` +
      'Give one value per placeholder in msg.params, or add the placeholders the extra values are for.',
    'HELIOS_SQL_PARAM',
  );
}

function isScript(parsed: Statement | readonly Statement[]): parsed is readonly Statement[] {
  if (Array.isArray(parsed)) return true;
  const kind = (parsed as Statement).kind;
  return kind === 'begin' || kind === 'commit' || kind === 'rollback';
}

/**
 * Runs one statement (not a script) as runQuery does, and says which operators ran, in the order
 * they started (physical.ts's kinds): for tests that check EXPLAIN names what runs.
 */
export async function runQueryTraced(
  target: QueryTarget,
  sql: string,
  params?: QueryParams,
  options: QueryOptions = {},
): Promise<{ result: QueryResult; ran: readonly string[] }> {
  checkText(sql, options);
  const p = await prepareWithSubqueries(target, sql, parseCached(sql), params, options, performance.now());
  return { result: await runPrepared(p), ran: p.runtime.ran };
}

async function runPrepared(p: Prepared): Promise<QueryResult> {
  const rows = await materialise(execute(p.physical, p.runtime), p.names, p.runtime);
  const s = p.runtime.stats;
  return {
    columns: p.columns,
    rows,
    changes: p.runtime.changes,
    lastInsertRowid: p.runtime.lastInsertRowid,
    stats: {
      ms: performance.now() - p.started,
      partitions: s.partitions + p.runtime.scanCounters.partitions,
      chunks: s.chunks + p.runtime.scanCounters.chunks,
      rowsScanned: s.rowsScanned,
    },
  };
}

/** A statement's result when it has none of its own (BEGIN, COMMIT, ROLLBACK). */
function emptyResult(started: number): QueryResult {
  return {
    columns: [],
    rows: [],
    changes: 0,
    lastInsertRowid: null,
    stats: { ms: performance.now() - started, partitions: 0, chunks: 0, rowsScanned: 0 },
  };
}

/** The error of statement `n` of a script, saying which: same class, code and offset. */
function inStatement(err: unknown, n: number, of: number, rolledBack: boolean): unknown {
  if (!(err instanceof Error) || of === 1) return err;
  const undone = rolledBack ? '; the transaction was rolled back' : '';
  err.message = `Statement ${n} of ${of} of the script failed${undone}: ${err.message}`;
  return err;
}

function scriptError(message: string, code = 'HELIOS_SQL_TRANSACTION'): SqlError {
  return new SqlError(message, code);
}

/** How often a script runs its transaction again after a COMMIT refused for a conflict. */
const SCRIPT_CONFLICT_RETRIES = 10;

/**
 * Runs a script (several statements, or one BEGIN / COMMIT / ROLLBACK) in order. BEGIN opens a
 * transaction on the target that the following statements run in, until COMMIT or ROLLBACK; a
 * statement that fails rolls it back, and the script stops with that statement's error. The
 * result is that of the last statement other than BEGIN, COMMIT and ROLLBACK, with `changes`
 * summed over the script's statements (docs/sql.md).
 */
async function runScript(
  target: QueryTarget,
  sql: string,
  statements: readonly Statement[],
  params: QueryParams | undefined,
  options: QueryOptions,
  started: number,
): Promise<QueryResult> {
  let tx: ScriptTransaction | null = null;
  let changes = 0;
  let lastInsertRowid: number | null = null;
  let last = emptyResult(started);
  const stats = { partitions: 0, chunks: 0, rowsScanned: 0 };
  const n = statements.length;
  let ran = false;
  // where the open transaction began, and the totals then: a COMMIT refused for a conflict runs
  // the transaction's statements again from there (they are all in this text, so it is safe)
  let began = { at: -1, changes: 0, lastInsertRowid: null as number | null, retries: 0 };
  for (let i = 0; i < n; i++) {
    const stmt = statements[i]!;
    try {
      if (stmt.kind === 'begin') {
        if (tx || target.inTransaction) throw scriptError('cannot start a transaction within a transaction');
        if (!target.begin) throw scriptError('This storage has no transactions: BEGIN cannot run here.');
        tx = target.begin();
        if (began.at !== i) began = { at: i, changes, lastInsertRowid, retries: 0 };
      } else if (stmt.kind === 'commit') {
        if (!tx) throw scriptError(noTransaction('commit', target));
        const done = tx;
        tx = null;
        try {
          await done.commit();
        } catch (err) {
          if (!(err instanceof TransactionConflictError) || began.retries >= SCRIPT_CONFLICT_RETRIES)
            throw err;
          began.retries++;
          ({ changes, lastInsertRowid } = began);
          i = began.at - 1;
          continue;
        }
      } else if (stmt.kind === 'rollback') {
        if (!tx) throw scriptError(noTransaction('rollback', target));
        tx.rollback();
        tx = null;
      } else {
        const on = tx ? tx.target() : target;
        last = await runPrepared(
          await prepareWithSubqueries(on, sql, stmt, params, options, performance.now()),
        );
        ran = true;
      }
    } catch (err) {
      const open = tx;
      tx = null;
      open?.rollback();
      throw inStatement(err, i + 1, n, open !== null);
    }
    if (!ran) continue;
    ran = false;
    changes += last.changes;
    if (last.lastInsertRowid !== null) lastInsertRowid = last.lastInsertRowid;
    stats.partitions += last.stats.partitions;
    stats.chunks += last.stats.chunks;
    stats.rowsScanned += last.stats.rowsScanned;
  }
  if (tx) {
    tx.rollback();
    throw scriptError(
      n === 1
        ? 'BEGIN on its own starts nothing: db.query runs each text by itself, so a transaction must ' +
            'begin and end in one text. Send BEGIN; INSERT ...; COMMIT as one query, or use db.transaction(async (tx) => ...).'
        : 'The script ends inside a transaction (BEGIN without COMMIT or ROLLBACK): its statements were ' +
            'rolled back. End the script with COMMIT to keep them.',
    );
  }
  return { ...last, changes, lastInsertRowid, stats: { ms: performance.now() - started, ...stats } };
}

/** SQLite's sentence for COMMIT / ROLLBACK without BEGIN, and how to do it here. */
function noTransaction(verb: 'commit' | 'rollback', target: QueryTarget): string {
  if (target.inTransaction) {
    return `cannot ${verb} here: this runs inside db.transaction() or db.begin(), which ends with tx.${verb}() (db.transaction commits when its function resolves)`;
  }
  return `cannot ${verb} - no transaction is active (a transaction begins and ends in one script: BEGIN; ...; ${verb.toUpperCase()})`;
}

/**
 * Runs one SQL statement and yields its rows in batches, for results too big to hold at once
 * (the cap still applies to what operators such as ORDER BY hold, not to the streamed rows).
 */
export async function* iterateQuery(
  target: QueryTarget,
  sql: string,
  params?: QueryParams,
  options: QueryOptions = {},
): AsyncGenerator<Array<Record<string, unknown>>> {
  const started = performance.now();
  checkText(sql, options);
  const stmt = parseCached(sql);
  if (options.strictParams) checkParamCount(stmt, params);
  const p = await prepareWithSubqueries(target, sql, stmt, params, options, started);
  for await (const batch of execute(p.physical, p.runtime)) yield toObjects(batch, p.names);
}

/** The result columns a statement would produce, without running it (for editors and nodes). */
export function describeQuery(
  target: QueryTarget,
  sql: string,
  params?: QueryParams,
  options: QueryOptions = {},
): Array<{ name: string; type: string }> {
  return prepare(target, sql, params, options).columns;
}
