import type { DbState, DbUser } from './lib/db-controller';
import { upgradeConfig } from './lib/migrate';
import { type HeliosDbNode, type HeliosStoreConfig, storeRules, timeWarnMs } from './lib/node-config';
import { MessageReader, TimeWarner } from './lib/readings';
import type { DoneFunction, Node, NodeAPI, NodeMessage, NodeStatus } from './lib/red';
import { RepeatLimiter, reportable } from './lib/repeat-limit';
import { brief, compact, dbStatus, rate, status } from './lib/status';
import { type InvalidPolicy, type StoredInfo, StoreMeter } from './lib/store-writer';
import { WriteCoalescer } from './lib/write-coalescer';

/** Messages in flight past which the status turns yellow (the disk is not keeping up). */
const BACKLOG = 1000;
/** A write durable later than this (ms) after its first message came marks the disk as slow for a while. */
const SLOW_MS = 1000;
const SLOW_SHOWN_MS = 10_000;
const STATUS_EVERY_MS = 1000;

export = function register(RED: NodeAPI): void {
  function HeliosStore(this: Node, raw: HeliosStoreConfig): void {
    RED.nodes.createNode(this, raw);
    const config = upgradeConfig('helios-store', raw);
    const rules = storeRules(config);
    const reader = new MessageReader(rules);
    const times = new TimeWarner(timeWarnMs(config.timeWarnYears), rules.timeUnit);
    const policy: InvalidPolicy = config.invalid === 'skip' ? 'skip' : 'reject';
    const dbNode = config.db ? (RED.nodes.getNode(config.db) as HeliosDbNode | null) : null;
    const meter = new StoreMeter();
    let dbState: DbState = { kind: 'closed' };
    let lastError: string | null = null;
    let shown = '';
    let slowUntil = 0;
    const dbErrors = new RepeatLimiter();

    const setStatus = (s: NodeStatus) => {
      const key = `${s.fill}|${s.text}`;
      if (key === shown) return; // unchanged: spare the editor a message
      shown = key;
      this.status(s);
    };
    const showStatus = () => {
      const notOpen = dbStatus(dbState);
      if (notOpen) return setStatus(notOpen);
      if (lastError) return setStatus(status.failed(brief(lastError)));
      const replaced = meter.replaced > 0 ? ` (${compact(meter.replaced)} replaced)` : '';
      const text = `${rate(meter.sampleRate())}/s · ${compact(meter.total)} stored${replaced}`;
      if (meter.pending > BACKLOG) return setStatus(status.busy(`${text} · backlog ${meter.pending}`));
      if (Date.now() < slowUntil) return setStatus(status.busy(`${text} · slow disk`));
      setStatus(status.ok(text));
    };

    if (!dbNode) {
      this.status(status.failed('no database'));
      this.on('input', (_msg, _send, done) => {
        done(new Error('helios-store has no helios-db database configured: pick one in the node.'));
      });
      return;
    }

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
        lastError = error.message;
        showStatus();
        // The database failing to open fails every message alike: report it once a minute.
        const report = reportable(dbErrors, dbState, error);
        if (report) done(report);
        else done();
        return;
      }
      meter.stored(stored.count, stored.replaced);
      lastError = null;
      dbErrors.reset();
      if (stored.invalid) {
        this.warn(`${stored.invalid.length} invalid reading(s) not stored: ${stored.invalid[0]?.message}`);
      }
      msg.stored = stored;
      this.send(msg);
      done();
    };
    const coalescer = new WriteCoalescer(dbNode.controller, policy, answer, (ms) => {
      if (ms > SLOW_MS) slowUntil = Date.now() + SLOW_SHOWN_MS;
    });

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
        answer(msg, done, err instanceof Error ? err : new Error(String(err)));
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
