import type { Database, QueryResult } from '../../engine/index';
import { type OutputOptions, sendOutput } from './query-output';
import { paramsOf } from './query-params';
import type { NodeMessage } from './red';
import { compact } from './status';

/**
 * Row limit 0 is none: the engine's own cap (100,000 rows held by a query) is lifted too. The
 * engine yields between batches and the output goes out in slices, so Node-RED stays responsive.
 */
const NO_LIMIT = Number.MAX_SAFE_INTEGER;

/** Where helios-query runs its statements: the config node's controller. */
export interface QueryTarget {
  use<T>(fn: (db: Database) => Promise<T>): Promise<T>;
}

/** What one answered message leaves for the status line. */
export interface QueryDone {
  rows: number;
  /** the engine's time for the statement */
  ms: number;
}

/** The node's SQL, or else msg.topic's. */
function sqlOf(configured: string, msg: NodeMessage): string {
  if (configured !== '') return configured;
  if (typeof msg.topic === 'string' && msg.topic.trim() !== '') return msg.topic;
  throw new Error('helios-query has no SQL: write it in the node, or send it in msg.topic.');
}

/**
 * helios-query's behaviour for one message: runs the node's SQL (or msg.topic's) with msg.params,
 * refuses a result over the row limit (`maxRows`; 0 = none), and sends the output messages.
 */
export class QueryRunner {
  /** aborted by cancel(): every query still running stops with HELIOS_SQL_CANCELLED */
  private readonly aborter = new AbortController();

  constructor(
    private readonly target: QueryTarget,
    private readonly sql: string,
    private readonly maxRows: number,
    private readonly output: OutputOptions,
    /** ms a query may run; 0 = no limit */
    private readonly timeoutMs = 0,
  ) {}

  /** Stops the queries in flight (the node is closing: redeploy, removal, shutdown). */
  cancel(): void {
    this.aborter.abort();
  }

  /** Runs the statement for `msg` and sends its result through `send`; rejects with the reason. */
  async answer(msg: NodeMessage, send: (out: NodeMessage[]) => void): Promise<QueryDone> {
    const result = await this.run(msg);
    const rows = result.rows.length;
    await sendOutput(msg, result, this.output, send);
    return { rows, ms: result.stats.ms };
  }

  private async run(msg: NodeMessage): Promise<QueryResult> {
    const { maxRows } = this;
    const text = sqlOf(this.sql, msg);
    const params = paramsOf(msg, text);
    // strictParams: more values in msg.params than the SQL has placeholders is refused
    const options = {
      maxRows: maxRows > 0 ? maxRows : NO_LIMIT,
      strictParams: true,
      timeoutMs: this.timeoutMs,
      signal: this.aborter.signal,
    };
    const result = await this.target.use((db) => db.query(text, params, options));
    if (maxRows > 0 && result.rows.length > maxRows) {
      throw new Error(
        `The query returned more than ${maxRows} rows, the node's row limit. ` +
          'Narrow it (WHERE time > ..., LIMIT, GROUP BY time_bucket) or raise the limit.',
      );
    }
    return result;
  }
}

/** The status text after a query: "12 rows · 3 ms". */
export function querySummary({ rows, ms }: QueryDone): string {
  return `${compact(rows)} ${rows === 1 ? 'row' : 'rows'} · ${Math.round(ms)} ms`;
}
