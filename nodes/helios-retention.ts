import type { RetentionPolicy, RetentionReport } from '../engine/index';
import { upgradeConfig } from './lib/migrate';
import { intervalMinutes, wirePolicyNode } from './lib/policy-node';
import type { Node, NodeAPI, NodeMessage } from './lib/red';

interface HeliosRetentionConfig {
  name?: string;
  db?: string;
  table?: string;
  maxAge?: string;
  maxSizeMB?: string | number;
  keepUnsynced?: boolean;
  everyMinutes?: string | number;
  version?: number;
}

/** The editor's settings, overridden per message by msg.policy (same keys as runRetention). */
function policyOf(config: HeliosRetentionConfig, msg: NodeMessage | null): RetentionPolicy {
  const maxBytes = Number(config.maxSizeMB) > 0 ? Number(config.maxSizeMB) * 1024 * 1024 : undefined;
  const policy: RetentionPolicy = {
    table: (config.table ?? '').trim() || '*',
    keepUnsynced: config.keepUnsynced !== false,
    ...(config.maxAge?.trim() ? { maxAge: config.maxAge.trim() } : {}),
    ...(maxBytes !== undefined ? { maxBytes } : {}),
  };
  const override = msg?.policy;
  return override && typeof override === 'object'
    ? { ...policy, ...(override as Partial<RetentionPolicy>) }
    : policy;
}

function summary(r: RetentionReport): string {
  const parts = [`dropped ${r.partitionsDropped} partition${r.partitionsDropped === 1 ? '' : 's'}`];
  if (r.unsyncedDropped.length > 0) parts.push('UNSYNCED DATA DROPPED');
  return parts.join(' · ');
}

export = function register(RED: NodeAPI): void {
  function HeliosRetention(this: Node, raw: HeliosRetentionConfig): void {
    RED.nodes.createNode(this, raw);
    const config = upgradeConfig('helios-retention', raw);
    wirePolicyNode(RED, this, config.db, intervalMinutes(config.everyMinutes), {
      type: 'helios-retention',
      run: async (db, msg) => {
        const report = await db.runRetention(policyOf(config, msg));
        if (report.unsyncedDropped.length > 0) {
          this.warn(
            `The database size limit forced dropping data not yet synced upstream: ${JSON.stringify(report.unsyncedDropped)}. ` +
              'Raise the size limit or check the sync.',
          );
        }
        return report;
      },
      summary,
    });
  }
  RED.nodes.registerType('helios-retention', HeliosRetention as (this: Node, config: never) => void);
};
