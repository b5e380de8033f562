import { configNodeOf } from './lib/config-node';
import { asError } from './lib/errors';
import { syncFigures } from './lib/metrics/sources';
import { upgradeConfig } from './lib/migrate';
import type { Node, NodeAPI } from './lib/red';
import type { HeliosSyncConfig, SyncCredentials } from './lib/sync/config';
import { SyncRunner } from './lib/sync/sync-runner';

/** Stop waiting for the link and the engine before Node-RED's own 15 s close timeout. */
const CLOSE_BUDGET_MS = 10_000;

export = function register(RED: NodeAPI): void {
  function HeliosSync(this: Node & { credentials?: SyncCredentials }, raw: HeliosSyncConfig): void {
    RED.nodes.createNode(this, raw);
    const config = upgradeConfig('helios-sync', raw);
    const dbNode = configNodeOf(RED, this, config.db, 'helios-sync');
    if (!dbNode) return;
    const runner = new SyncRunner(dbNode, config, this.credentials ?? {}, {
      status: (s) => this.status(s),
      warn: (m) => this.warn(m),
      // with a message, so Catch nodes see it (node.error without one only reaches the log)
      error: (err) => this.error(err.message, { topic: 'helios-sync', payload: err.message }),
      send: (outputs) => this.send(outputs),
    });
    runner.start();
    const unlisted = syncFigures.add({
      nodeId: this.id,
      nodeName: config.name || this.id,
      dbId: config.db ?? '',
      read: () => runner.figures(),
    });

    this.on('input', (msg, send, done) => {
      runner.input(msg).then(
        (reply) => {
          if (reply) send([reply, null]);
          done();
        },
        (err: unknown) => done(asError(err)),
      );
    });

    this.on('close', (_removed: boolean, done: () => void) => {
      unlisted();
      let finished = false;
      const finish = () => {
        if (finished) return;
        finished = true;
        clearTimeout(late);
        done();
      };
      const late = setTimeout(() => {
        this.warn(`Still closing after ${CLOSE_BUDGET_MS / 1000} s; the close finishes in the background.`);
        finish();
      }, CLOSE_BUDGET_MS);
      runner.close().then(finish, finish);
    });
  }
  RED.nodes.registerType('helios-sync', HeliosSync as (this: Node, config: never) => void, {
    credentials: { username: { type: 'text' }, password: { type: 'password' }, token: { type: 'password' } },
  });
};
