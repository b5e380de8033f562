import { checkRules } from '../engine/index';
import { AlarmController } from './lib/alarm/alarm-controller';
import { alarmStatus } from './lib/alarm/alarm-status';
import { configNodeOf } from './lib/config-node';
import type { DbState, DbUser } from './lib/db-controller';
import { asError } from './lib/errors';
import { alarmFigures } from './lib/metrics/sources';
import { upgradeConfig } from './lib/migrate';
import { positiveNumber } from './lib/positive-number';
import type { Node, NodeAPI, NodeMessage } from './lib/red';

/** helios-alarm's saved configuration (editor fields). */
interface HeliosAlarmConfig {
  name?: string;
  db?: string;
  /** the table readings come from when msg.table is not set ('' none) */
  table?: string;
  /** the rules: the editor's table, as AlarmRuleInput objects */
  rules?: unknown[];
  /** repeat unacknowledged alarms on output 2 every this many seconds (0: no repeats) */
  repeatSeconds?: number | string;
  /** shelve a chattering alarm for this many minutes (0: count chatter, shelve nothing) */
  chatterShelveMinutes?: number | string;
  version?: number;
}

/** The editor's "check rules" call: the runtime's own checks, so the editor says what deploy would. */
interface AdminApi {
  httpAdmin?: { post(path: string, ...handlers: unknown[]): void };
  auth?: { needsPermission(permission: string): unknown };
}

const TICK_MS = 100;
const STATUS_EVERY_MS = 1000;

export = function register(RED: NodeAPI): void {
  function HeliosAlarm(this: Node, raw: HeliosAlarmConfig): void {
    RED.nodes.createNode(this, raw);
    const config = upgradeConfig('helios-alarm', raw);
    const dbNode = configNodeOf(RED, this, config.db, 'helios-alarm');
    if (!dbNode) return;

    let dbState: DbState = { kind: 'closed' };
    const controller = new AlarmController({
      rules: Array.isArray(config.rules) ? config.rules : [],
      engine: { chatterShelveMs: (positiveNumber(config.chatterShelveMinutes) ?? 0) * 60_000 },
      table: config.table ?? '',
      repeatEveryMs: (positiveNumber(config.repeatSeconds) ?? 0) * 1000,
      useDb: (fn) => dbNode.controller.use(fn),
      send: (transition, notification) => this.send([transition, notification]),
    });
    const showStatus = () => {
      const trouble = controller.ruleProblems[0] ?? controller.lastError;
      this.status(alarmStatus(controller.counts(), dbState, trouble));
    };
    for (const problem of controller.ruleProblems) this.error(problem);

    const user: DbUser = {
      id: this.id,
      dbStateChanged(state) {
        dbState = state;
        showStatus();
      },
    };
    dbNode.register(user);
    const unlisted = alarmFigures.add({
      nodeId: this.id,
      nodeName: config.name || this.id,
      dbId: config.db ?? '',
      read: () => controller.figures(),
    });
    controller.start().then(() => {
      if (controller.lastError) this.warn(controller.lastError);
      showStatus();
    });
    const ticker = setInterval(() => controller.tick().catch(() => undefined), TICK_MS);
    const statusTimer = setInterval(showStatus, STATUS_EVERY_MS);

    this.on('input', (msg: NodeMessage, _send, done) => {
      controller.handle(msg).then(
        () => done(),
        (err: unknown) => {
          showStatus();
          done(asError(err));
        },
      );
    });

    this.on('close', (_removed: boolean, done: () => void) => {
      clearInterval(ticker);
      clearInterval(statusTimer);
      unlisted();
      controller.idle().then(() => {
        dbNode.deregister(user);
        done();
      });
    });
  }
  RED.nodes.registerType('helios-alarm', HeliosAlarm as (this: Node, config: never) => void);

  const admin = RED as unknown as AdminApi;
  admin.httpAdmin?.post(
    '/helios-alarm/check',
    admin.auth?.needsPermission('helios-alarm.write') ??
      ((_q: unknown, _r: unknown, next: () => void) => next()),
    (req: { body?: { rules?: unknown } }, res: { json(body: unknown): void }) => {
      try {
        checkRules(req.body?.rules ?? []);
        res.json({ problems: [] });
      } catch (err) {
        const problems = (err as { problems?: string[] }).problems;
        res.json({ problems: problems ?? [asError(err).message] });
      }
    },
  );
};
