import { upgradeConfig } from './lib/migrate';
import type { HeliosRetentionConfig } from './lib/node-config';
import { intervalMinutes, wirePolicyNode } from './lib/policy-node';
import { retentionTask } from './lib/policy-tasks';
import type { Node, NodeAPI } from './lib/red';

export = function register(RED: NodeAPI): void {
  function HeliosRetention(this: Node, raw: HeliosRetentionConfig): void {
    RED.nodes.createNode(this, raw);
    const config = upgradeConfig('helios-retention', raw);
    const task = retentionTask(config, (m) => this.warn(m));
    wirePolicyNode(RED, this, config.db, intervalMinutes(config.everyMinutes), task);
  }
  RED.nodes.registerType('helios-retention', HeliosRetention as (this: Node, config: never) => void);
};
