/**
 * What every operator shares while a query runs: the storage, the evaluation context, the row and
 * byte caps, the statistics and the time slicer that gives the event loop back every few
 * milliseconds. The slicer is also where a query is stopped: each time an operator offers to
 * yield, the deadline (`timeoutMs`) and the caller's AbortSignal are checked, so a runaway query
 * ends within one slice (a few ms) of its limit.
 */
import { performance } from 'node:perf_hooks';
import { newScanCounters, type ScanCounters } from '../read/scan';
import { SqlError } from '../sql/errors';
import { TimeSlicer } from '../util/fsutil';
import type { EvalContext } from './scalar';
import type { QueryTarget } from './target';

/** The storage calls the executor makes (a subset of QueryTarget, exec/target.ts). */
export type ExecTarget = Pick<
  QueryTarget,
  | 'scan'
  | 'write'
  | 'writeStored'
  | 'scanParts'
  | 'edgeRows'
  | 'deleteRows'
  | 'dropTable'
  | 'createTable'
  | 'createView'
  | 'dropView'
  | 'inTransaction'
  | 'begin'
>;

export interface ExecStats {
  partitions: number;
  /** chunks answered from their statistics (loaded chunks are counted by the storage) */
  chunks: number;
  rowsScanned: number;
}

/** How long a query may run and how much it may hold, beyond `maxRows` (QueryOptions). */
export interface QueryLimits {
  /** ms from the start of the query after which it stops with HELIOS_SQL_TIMEOUT; 0: none */
  readonly timeoutMs: number;
  /** bytes (estimated) that aggregate outputs and sort / group working sets may hold; 0: none */
  readonly maxBytes: number;
  /** the caller's signal: an abort stops the query with HELIOS_SQL_CANCELLED */
  readonly signal?: AbortSignal | undefined;
}

export const NO_LIMITS: QueryLimits = { timeoutMs: 0, maxBytes: 0 };

/** A time slicer that also stops the query when its time is up or its caller cancelled it. */
class QuerySlicer extends TimeSlicer {
  constructor(private readonly check: () => void) {
    super(3);
  }

  override async maybeYield(force = false): Promise<void> {
    this.check();
    await super.maybeYield(force);
    this.check();
  }
}

export class Runtime {
  readonly stats: ExecStats = { partitions: 0, chunks: 0, rowsScanned: 0 };
  /** what the storage scans touched and skipped (partitions, chunks), filled by the target */
  readonly scanCounters: ScanCounters = newScanCounters();
  /** 3 ms slices: a query shares the thread with the flows that wait for its answer */
  readonly slicer: TimeSlicer = new QuerySlicer(() => this.checkTime());
  /** bytes charged so far against `limits.maxBytes` (estimates: 2 per character, 16 per value) */
  bytes = 0;
  /** performance.now() past which the query stops (Infinity: no timeout) */
  private readonly deadline: number;
  /** rows an INSERT, UPDATE or DELETE stored, changed or removed (better-sqlite3's `changes`) */
  changes = 0;
  /** the rowid of the last row an INSERT stored, if it got one */
  lastInsertRowid: number | null = null;
  /** the operator of each physical node run (physical.ts's `kind`), in the order they started */
  readonly ran: string[] = [];
  constructor(
    readonly target: ExecTarget,
    readonly ctx: EvalContext,
    /** most rows an operator may hold in memory (and a result may have) */
    readonly maxRows: number,
    /** use chunk statistics: answer aggregates where they are exact, skip chunks a filter rules
     *  out (false: decode every row) */
    readonly useStatistics = true,
    readonly limits: QueryLimits = NO_LIMITS,
    started = performance.now(),
  ) {
    this.deadline = limits.timeoutMs > 0 ? started + limits.timeoutMs : Number.POSITIVE_INFINITY;
  }

  /** Throws when the query's time is up or its caller cancelled it (called at every yield). */
  checkTime(): void {
    if (this.limits.signal?.aborted) {
      throw new SqlError(
        'The query was cancelled before it finished (the node was closed or redeployed, or its caller gave up).',
        'HELIOS_SQL_CANCELLED',
      );
    }
    if (performance.now() > this.deadline) {
      throw new SqlError(
        `The query ran longer than its limit of ${this.limits.timeoutMs} ms (timeoutMs) and was stopped. ` +
          "Narrow it (a time range such as WHERE time >= now() - INTERVAL '1 hour', tag filters, GROUP BY " +
          "time_bucket('5m', time)), or raise timeoutMs.",
        'HELIOS_SQL_TIMEOUT',
      );
    }
  }

  /**
   * Counts `n` more bytes held by `what` (group_concat output, rows to sort, groups); throws the
   * sentence naming maxBytes when the total passes it.
   */
  charge(n: number, what: string): void {
    this.bytes += n;
    const max = this.limits.maxBytes;
    if (max > 0 && this.bytes > max) {
      throw new SqlError(
        `The query would hold more than ${max} bytes (${what}); maxBytes allows ${max}. ` +
          'Narrow it (a time range, tag filters, a LIMIT, fewer or shorter group_concat values), or raise maxBytes.',
        'HELIOS_SQL_TOO_MANY_BYTES',
      );
    }
  }

  /** Throws the "too many rows" sentence when `n` exceeds the cap. `what` says who holds them. */
  checkRows(n: number, what: string): void {
    if (n > this.maxRows) throw tooManyRows(this.maxRows, what);
  }
}

export function tooManyRows(maxRows: number, what: string): SqlError {
  return new SqlError(
    `The query would hold more than ${maxRows} rows (${what}); maxRows allows ${maxRows}. ` +
      "Narrow it: add a time range (WHERE time >= now() - INTERVAL '1 hour'), filter on tags, aggregate with GROUP BY " +
      "time_bucket('5m', time), add a LIMIT, or raise maxRows.",
    'HELIOS_SQL_TOO_MANY_ROWS',
  );
}

/** Estimated bytes of a value held in memory: 16 per value, plus 2 per character of text. */
export function valueBytes(v: unknown): number {
  return typeof v === 'string' ? 16 + 2 * v.length : 16;
}

/** Estimated bytes of a row held in memory (an array of values). */
export function rowBytes(row: readonly unknown[]): number {
  let n = 32;
  for (let i = 0; i < row.length; i++) n += valueBytes(row[i]);
  return n;
}
