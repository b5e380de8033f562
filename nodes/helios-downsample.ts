import { upgradeConfig } from './lib/migrate';
import type { HeliosDownsampleConfig } from './lib/node-config';
import { intervalMinutes, wirePolicyNode } from './lib/policy-node';
import { downsampleTask } from './lib/policy-tasks';
import type { Node, NodeAPI } from './lib/red';

export = function register(RED: NodeAPI): void {
  function HeliosDownsample(this: Node, raw: HeliosDownsampleConfig): void {
    RED.nodes.createNode(this, raw);
    const config = upgradeConfig('helios-downsample', raw);
    wirePolicyNode(RED, this, config.db, intervalMinutes(config.everyMinutes), downsampleTask(config));
  }
  RED.nodes.registerType('helios-downsample', HeliosDownsample as (this: Node, config: never) => void);
};
