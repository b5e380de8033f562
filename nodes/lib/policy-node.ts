import type { Database } from '../../engine/index';
import { configNodeOf } from './config-node';
import type { DbState, DbUser } from './db-controller';
import { positiveNumber } from './positive-number';
import type { Node, NodeAPI, NodeMessage, NodeStatus } from './red';
import { brief, dbStatus, status } from './status';

/** What a policy node (helios-retention, helios-downsample) does on each run. */
export interface PolicyTask<R> {
  /** the node type, for messages */
  readonly type: string;
  run(db: Database, msg: NodeMessage | null): Promise<R>;
  /** the status text after a run, e.g. "dropped 2 partitions · 14:05" */
  summary(report: R): string;
}

function clock(): string {
  return new Date().toTimeString().slice(0, 5);
}

/** Minutes between runs from the editor (0 or empty: only on input). */
export function intervalMinutes(value: unknown): number {
  return positiveNumber(value) ?? 0;
}

/**
 * Wires a policy node: runs the task every `everyMinutes` and on each input message, never two
 * runs at once (an input during a run waits for it), sends the report in msg.payload, shows the
 * last run in the status, and stops cleanly on close.
 */
export function wirePolicyNode<R>(
  RED: NodeAPI,
  node: Node,
  dbId: string | undefined,
  everyMinutes: number,
  task: PolicyTask<R>,
): void {
  const dbNode = configNodeOf(RED, node, dbId, task.type);
  if (!dbNode) return;
  let dbState: DbState = { kind: 'closed' };
  let last: NodeStatus = status.idle(everyMinutes > 0 ? `every ${everyMinutes} min` : 'on input');
  const user: DbUser = {
    id: node.id,
    dbStateChanged(state) {
      dbState = state;
      node.status(dbStatus(state) ?? last);
    },
  };
  dbNode.register(user);

  let running: Promise<unknown> = Promise.resolve();
  const runOnce = (msg: NodeMessage | null): Promise<R> => {
    const run = running.then(() => {
      node.status(status.busy('running'));
      return dbNode.controller.use((db) => task.run(db, msg));
    });
    running = run.catch(() => undefined);
    return run.then(
      (report) => {
        last = status.ok(`${task.summary(report)} · ${clock()}`);
        node.status(dbStatus(dbState) ?? last);
        return report;
      },
      (err: Error) => {
        last = status.failed(brief(err.message));
        node.status(last);
        throw err;
      },
    );
  };

  const timer =
    everyMinutes > 0
      ? setInterval(() => {
          runOnce(null).then(
            (report) => node.send({ topic: task.type, payload: report }),
            (err: Error) => node.error(err),
          );
        }, everyMinutes * 60_000)
      : null;
  timer?.unref();

  node.on('input', (msg, send, done) => {
    runOnce(msg).then(
      (report) => {
        send({ ...msg, payload: report });
        done();
      },
      (err: Error) => done(err),
    );
  });

  node.on('close', (_removed: boolean, done: () => void) => {
    if (timer) clearInterval(timer);
    running.then(() => {
      dbNode.deregister(user);
      done();
    });
  });
}
