/**
 * What every operator shares while a query runs: the storage, the evaluation context, the row cap,
 * the statistics and the time slicer that gives the event loop back every few milliseconds.
 */
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
  | 'inTransaction'
  | 'begin'
>;

export interface ExecStats {
  partitions: number;
  /** chunks answered from their statistics (loaded chunks are counted by the storage) */
  chunks: number;
  rowsScanned: number;
}

export class Runtime {
  readonly stats: ExecStats = { partitions: 0, chunks: 0, rowsScanned: 0 };
  /** what the storage scans touched and skipped (partitions, chunks), filled by the target */
  readonly scanCounters: ScanCounters = newScanCounters();
  /** 3 ms slices: a query shares the thread with the flows that wait for its answer */
  readonly slicer = new TimeSlicer(3);
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
  ) {}

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
