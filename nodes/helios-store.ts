import { configNodeOf } from './lib/config-node';
import type { DbState, DbUser } from './lib/db-controller';
import { asError } from './lib/errors';
import { upgradeConfig } from './lib/migrate';
import { type HeliosStoreConfig, storeRules, timeWarnMs } from './lib/node-config';
import { MessageReader, TimeWarner } from './lib/readings';
import type { DoneFunction, Node, NodeAPI, NodeMessage } from './lib/red';
import { RepeatLimiter, reportable } from './lib/repeat-limit';
import { StoreStatus } from './lib/store-status';
import { type InvalidPolicy, type StoredInfo, StoreMeter } from './lib/store-writer';
import { WriteCoalescer } from './lib/write-coalescer';

const STATUS_EVERY_MS = 1000;

export = function register(RED: NodeAPI): void {
  function HeliosStore(this: Node, raw: HeliosStoreConfig): void {
    RED.nodes.createNode(this, raw);
    const config = upgradeConfig('helios-store', raw);
    const rules = storeRules(config);
    const reader = new MessageReader(rules);
    const times = new TimeWarner(timeWarnMs(config.timeWarnYears), rules.timeUnit);
    const policy: InvalidPolicy = config.invalid === 'skip' ? 'skip' : 'reject';
    const dbNode = configNodeOf(RED, this, config.db, 'helios-store');
    if (!dbNode) return;

    const meter = new StoreMeter();
    const line = new StoreStatus(meter, (s) => this.status(s));
    let dbState: DbState = { kind: 'closed' };
    const dbErrors = new RepeatLimiter();
    const showStatus = () => line.refresh(dbState);

    const user: DbUser = {
      id: this.id,
      dbStateChanged(state) {
        dbState = state;
        showStatus();
      },
    };
    dbNode.register(user);
    const timer = setInterval(showStatus, STATUS_EVERY_MS);

    let whenIdle: (() => void) | null = null;
    const settled = () => {
      meter.pending--;
      if (meter.pending === 0 && whenIdle) whenIdle();
    };

    // Node-RED's `send` for a message is this.send; taking it from the node spares a closure per
    // message (the coalescer holds the msg and its done instead).
    const answer = (msg: NodeMessage, done: DoneFunction, err: Error | null, stored?: StoredInfo) => {
      settled();
      if (err || !stored) {
        const error = err ?? new Error('Nothing was stored.');
        line.lastError = error.message;
        showStatus();
        // The database failing to open fails every message alike: report it once a minute.
        const report = reportable(dbErrors, dbState, error);
        if (report) done(report);
        else done();
        return;
      }
      meter.stored(stored.count, stored.replaced);
      line.lastError = null;
      dbErrors.reset();
      if (stored.invalid) {
        this.warn(`${stored.invalid.length} invalid reading(s) not stored: ${stored.invalid[0]?.message}`);
      }
      msg.stored = stored;
      this.send(msg);
      done();
    };
    const coalescer = new WriteCoalescer(dbNode.controller, policy, answer, (ms) => line.observeLatency(ms));

    this.on('input', (msg, _send, done) => {
      meter.pending++;
      try {
        const reading = reader.single(msg);
        const input = reading ? null : reader.read(msg);
        const warning = times.check(reading, input);
        if (warning) this.warn(warning);
        if (reading) coalescer.storeReading(reader.table(msg), reading, msg, done);
        else coalescer.store(input!, msg, done);
      } catch (err) {
        answer(msg, done, asError(err));
      }
    });

    this.on('close', (_removed: boolean, done: () => void) => {
      clearInterval(timer);
      // Deliver the acknowledgements of writes in flight before going (the config node waits too).
      const finish = () => {
        dbNode.deregister(user);
        done();
      };
      if (meter.pending === 0) finish();
      else whenIdle = finish;
    });
  }
  RED.nodes.registerType('helios-store', HeliosStore as (this: Node, config: never) => void);
};
