import type { DbUser } from './lib/db-controller';
import { upgradeConfig } from './lib/migrate';
import type { ModbusDeviceNode } from './lib/modbus/device';
import { type ModbusPollConfig, type PollPlan, pollPlan } from './lib/modbus/poll-config';
import { PollController, storeShape } from './lib/modbus/poll-controller';
import type { PollResult } from './lib/modbus/poller';
import type { HeliosDbNode } from './lib/node-config';
import type { Node, NodeAPI, NodeMessage } from './lib/red';
import { RepeatLimiter } from './lib/repeat-limit';
import { brief, status } from './lib/status';

export = function register(RED: NodeAPI): void {
  /** A node that cannot work: a red status, the sentence once in the log, and every message failed with it. */
  function broken(node: Node, short: string, sentence: string): void {
    node.status(status.failed(short));
    node.error(sentence);
    node.on('input', (_msg, _send, done) => done(new Error(sentence)));
  }

  function HeliosModbus(this: Node, raw: ModbusPollConfig): void {
    RED.nodes.createNode(this, raw);
    const config = upgradeConfig('helios-modbus', raw);
    const deviceNode = config.device ? (RED.nodes.getNode(config.device) as ModbusDeviceNode | null) : null;
    if (!deviceNode) {
      broken(this, 'no device', 'helios-modbus has no Modbus device: pick one in the node.');
      return;
    }
    if (!deviceNode.device) {
      broken(this, 'device misconfigured', `The Modbus device: ${deviceNode.problem}`);
      return;
    }
    let plan: PollPlan;
    try {
      plan = pollPlan(config, deviceNode.device.settings);
    } catch (err) {
      broken(this, 'register map', (err as Error).message);
      return;
    }
    const dbNode =
      plan.output === 'db' && config.db ? (RED.nodes.getNode(config.db) as HeliosDbNode | null) : null;
    if (plan.output === 'db' && !dbNode) {
      broken(
        this,
        'no database',
        'helios-modbus writes into a database, but none is picked: pick a helios-db.',
      );
      return;
    }

    const dbErrors = new RepeatLimiter();
    const dbUser: DbUser = { id: this.id, dbStateChanged: () => {} };
    dbNode?.register(dbUser);
    let writing = 0;
    const message = (result: PollResult): NodeMessage => ({
      topic: deviceNode.device!.settings.label,
      payload: storeShape(plan.table, result.readings),
      modbus: {
        intervalMs: result.intervalMs,
        answered: result.answered,
        failed: result.failures.map((f) => ({ read: f.label, error: f.error.message })),
        lateMs: result.lateMs,
      },
    });
    const sink = (result: PollResult) => {
      if (result.readings.length === 0) return;
      if (!dbNode) {
        this.send(message(result));
        return;
      }
      writing++;
      dbNode.controller
        .use((db) => db.write(plan.table, result.readings))
        .then(
          (stored) => {
            dbErrors.reset();
            this.send({
              ...message(result),
              stored: { count: stored.count, replaced: stored.replaced, table: plan.table, lsn: stored.lsn },
            });
          },
          (err: Error) => {
            const text = dbErrors.admit(`The readings of this poll were not stored: ${err.message}`);
            if (text) this.error(text);
          },
        )
        .finally(() => writing--);
    };
    const controller = new PollController(this.id, deviceNode.device, plan, sink, (s) => this.status(s));

    this.on('input', (msg, _send, done) => {
      if (msg.payload === null || typeof msg.payload !== 'object') {
        controller.pollNow();
        return done();
      }
      controller.write(msg.payload, msg.unit).then(
        () => done(),
        (err: Error) => {
          controller.showError(status.failed(brief(err.message)));
          done(err);
        },
      );
    });

    this.on('close', (_removed: boolean, done: () => void) => {
      controller.close();
      // Give the writes of the last polls to the database before it closes.
      const finish = () => {
        if (writing > 0) {
          setTimeout(finish, 20);
          return;
        }
        dbNode?.deregister(dbUser);
        done();
      };
      finish();
    });
  }
  RED.nodes.registerType('helios-modbus', HeliosModbus as (this: Node, config: never) => void);
};
