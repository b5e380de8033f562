import { configNodeOf } from './lib/config-node';
import type { DbState, DbUser } from './lib/db-controller';
import { upgradeConfig } from './lib/migrate';
import { type HeliosQueryConfig, maxRowsOf, queryOutputOptions, queryTimeoutMsOf } from './lib/node-config';
import { QueryRunner, querySummary } from './lib/query-runner';
import type { Node, NodeAPI, NodeMessage } from './lib/red';
import { RepeatLimiter, reportable } from './lib/repeat-limit';
import { brief, dbStatus, status } from './lib/status';

export = function register(RED: NodeAPI): void {
  function HeliosQuery(this: Node, raw: HeliosQueryConfig): void {
    RED.nodes.createNode(this, raw);
    const config = upgradeConfig('helios-query', raw);
    const sql = (config.sql ?? '').trim();
    const maxRows = maxRowsOf(config.maxRows);
    const output = queryOutputOptions(config);
    const dbNode = configNodeOf(RED, this, config.db, 'helios-query');
    if (!dbNode) return;

    const runner = new QueryRunner(dbNode.controller, sql, maxRows, output, queryTimeoutMsOf(config.timeout));
    const inflight = new Set<Promise<void>>();
    let dbState: DbState = { kind: 'closed' };
    const dbErrors = new RepeatLimiter();

    const user: DbUser = {
      id: this.id,
      dbStateChanged: (state) => {
        dbState = state;
        this.status(dbStatus(state) ?? status.clear());
      },
    };
    dbNode.register(user);

    this.on('input', (msg, send, done) => {
      this.status(status.busy('querying'));
      const work = runner
        .answer(msg, (out: NodeMessage[]) => send([out]))
        .then(
          (answered) => {
            this.status(dbStatus(dbState) ?? status.ok(querySummary(answered)));
            dbErrors.reset();
            done();
          },
          (err: Error) => {
            this.status(status.failed(brief(err.message)));
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
      // a query still running (a runaway one) must not hold the redeploy: stop it, then wait
      runner.cancel();
      Promise.allSettled([...inflight]).then(() => {
        dbNode.deregister(user);
        done();
      });
    });
  }
  RED.nodes.registerType('helios-query', HeliosQuery as (this: Node, config: never) => void);
};
