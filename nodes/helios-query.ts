import type { DbState, DbUser } from './lib/db-controller';
import { upgradeConfig } from './lib/migrate';
import { type HeliosDbNode, type HeliosQueryConfig, maxRowsOf } from './lib/node-config';
import { type OutputMode, type QueryResult, sendOutput, type TimeFormat } from './lib/query-output';
import { paramsOf } from './lib/query-params';
import type { Node, NodeAPI, NodeMessage, NodeStatus } from './lib/red';
import { RepeatLimiter, reportable } from './lib/repeat-limit';
import { brief, compact, dbStatus, status } from './lib/status';

const MODES: readonly OutputMode[] = ['rows', 'each', 'first', 'value', 'chart'];

/**
 * Row limit 0 is none: the engine's own cap (100,000 rows held by a query) is lifted too. The
 * engine yields between batches and the output goes out in slices, so Node-RED stays responsive.
 */
const NO_LIMIT = Number.MAX_SAFE_INTEGER;

/** The database's query method, present once the SQL engine is built in. */
type Queryable = {
  query?: (
    sql: string,
    params: unknown,
    options: { maxRows?: number; strictParams?: boolean },
  ) => Promise<QueryResult>;
};

function sqlOf(configured: string, msg: NodeMessage): string {
  if (configured !== '') return configured;
  if (typeof msg.topic === 'string' && msg.topic.trim() !== '') return msg.topic;
  throw new Error('helios-query has no SQL: write it in the node, or send it in msg.topic.');
}

export = function register(RED: NodeAPI): void {
  function HeliosQuery(this: Node, raw: HeliosQueryConfig): void {
    RED.nodes.createNode(this, raw);
    const config = upgradeConfig('helios-query', raw);
    const sql = (config.sql ?? '').trim();
    const mode: OutputMode = MODES.includes(config.output as OutputMode)
      ? (config.output as OutputMode)
      : 'rows';
    const timeFormat: TimeFormat = config.timeFormat === 'iso' ? 'iso' : 'ms';
    const maxRows = maxRowsOf(config.maxRows);
    const chartClear = config.chartClear !== false;
    const dbNode = config.db ? (RED.nodes.getNode(config.db) as HeliosDbNode | null) : null;
    const inflight = new Set<Promise<void>>();
    let dbState: DbState = { kind: 'closed' };
    const dbErrors = new RepeatLimiter();

    const setStatus = (s: NodeStatus | null) => this.status(s ?? {});

    if (!dbNode) {
      this.status(status.failed('no database'));
      this.on('input', (_msg, _send, done) => {
        done(new Error('helios-query has no helios-db database configured: pick one in the node.'));
      });
      return;
    }

    const user: DbUser = {
      id: this.id,
      dbStateChanged(state) {
        dbState = state;
        setStatus(dbStatus(state));
      },
    };
    dbNode.register(user);

    const runQuery = async (msg: NodeMessage): Promise<QueryResult> => {
      const text = sqlOf(sql, msg);
      const params = paramsOf(msg, text);
      const result = await dbNode.controller.use(async (db) => {
        const q = (db as unknown as Queryable).query;
        if (typeof q !== 'function') throw new Error('This build of the engine has no SQL support yet.');
        // strictParams: more values in msg.params than the SQL has placeholders is refused
        return q.call(db, text, params, { maxRows: maxRows > 0 ? maxRows : NO_LIMIT, strictParams: true });
      });
      if (maxRows > 0 && result.rows.length > maxRows) {
        throw new Error(
          `The query returned more than ${maxRows} rows, the node's row limit. ` +
            'Narrow it (WHERE time > ..., LIMIT, GROUP BY time_bucket) or raise the limit.',
        );
      }
      return result;
    };

    this.on('input', (msg, send, done) => {
      setStatus(status.busy('querying'));
      const work = runQuery(msg)
        .then(async (result) => {
          const rows = result.rows.length;
          await sendOutput(msg, result, { mode, timeFormat, chartClear }, (out) => send([out]));
          return { rows, ms: (result.stats as { ms?: unknown } | undefined)?.ms };
        })
        .then(
          ({ rows, ms }) => {
            const parts = [`${compact(rows)} ${rows === 1 ? 'row' : 'rows'}`];
            if (typeof ms === 'number') parts.push(`${Math.round(ms)} ms`);
            setStatus(dbStatus(dbState) ?? status.ok(parts.join(' · ')));
            dbErrors.reset();
            done();
          },
          (err: Error) => {
            setStatus(status.failed(brief(err.message)));
            // The database failing to open fails every query alike: report it once a minute.
            const report = reportable(dbErrors, dbState, err);
            if (report) done(report);
            else done();
          },
        )
        .finally(() => inflight.delete(work));
      inflight.add(work);
    });

    this.on('close', (_removed: boolean, done: () => void) => {
      Promise.allSettled([...inflight]).then(() => {
        dbNode.deregister(user);
        done();
      });
    });
  }
  RED.nodes.registerType('helios-query', HeliosQuery as (this: Node, config: never) => void);
};
