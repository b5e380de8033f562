import type { Aggregate, DownsampleReport, DownsampleRule } from '../engine/index';
import { upgradeConfig } from './lib/migrate';
import { intervalMinutes, wirePolicyNode } from './lib/policy-node';
import type { Node, NodeAPI, NodeMessage } from './lib/red';

interface HeliosDownsampleConfig {
  name?: string;
  db?: string;
  source?: string;
  bucket?: string;
  after?: string;
  aggregates?: string;
  target?: string;
  everyMinutes?: string | number;
  version?: number;
}

/** The editor's settings, overridden per message by msg.rule (same keys as runDownsample). */
function ruleOf(config: HeliosDownsampleConfig, msg: NodeMessage | null): DownsampleRule {
  const aggregates = (config.aggregates ?? 'avg,min,max,count,last')
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '') as Aggregate[];
  const rule: DownsampleRule = {
    source: (config.source ?? '').trim() || 'sensor_readings',
    bucket: (config.bucket ?? '').trim() || '5m',
    after: (config.after ?? '').trim() || '0s',
    aggregates,
    target: (config.target ?? '').trim() || '{table}_{bucket}',
  };
  const override = msg?.rule;
  return override && typeof override === 'object'
    ? { ...rule, ...(override as Partial<DownsampleRule>) }
    : rule;
}

function summary(r: DownsampleReport): string {
  const late = r.lateBucketsRecomputed > 0 ? ` (${r.lateBucketsRecomputed} late)` : '';
  return `${r.bucketsWritten} buckets${late}`;
}

export = function register(RED: NodeAPI): void {
  function HeliosDownsample(this: Node, raw: HeliosDownsampleConfig): void {
    RED.nodes.createNode(this, raw);
    const config = upgradeConfig('helios-downsample', raw);
    wirePolicyNode(RED, this, config.db, intervalMinutes(config.everyMinutes), {
      type: 'helios-downsample',
      run: (db, msg) => db.runDownsample(ruleOf(config, msg)),
      summary,
    });
  }
  RED.nodes.registerType('helios-downsample', HeliosDownsample as (this: Node, config: never) => void);
};
