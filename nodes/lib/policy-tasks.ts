import type {
  Aggregate,
  DownsampleReport,
  DownsampleRule,
  RetentionPolicy,
  RetentionReport,
} from '../../engine/index';
import type { HeliosDownsampleConfig, HeliosRetentionConfig } from './node-config';
import type { PolicyTask } from './policy-node';
import type { NodeMessage } from './red';

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

function retentionSummary(r: RetentionReport): string {
  const parts = [`dropped ${r.partitionsDropped} partition${r.partitionsDropped === 1 ? '' : 's'}`];
  if (r.unsyncedDropped.length > 0) parts.push('UNSYNCED DATA DROPPED');
  return parts.join(' · ');
}

/**
 * helios-retention's run: the node's policy (or msg.policy's keys over it); `warn` is told when the
 * size limit forced dropping data not yet synced upstream.
 */
export function retentionTask(
  config: HeliosRetentionConfig,
  warn: (message: string) => void,
): PolicyTask<RetentionReport> {
  return {
    type: 'helios-retention',
    run: async (db, msg) => {
      const report = await db.runRetention(policyOf(config, msg));
      if (report.unsyncedDropped.length > 0) {
        warn(
          `The database size limit forced dropping data not yet synced upstream: ${JSON.stringify(report.unsyncedDropped)}. ` +
            'Raise the size limit or check the sync.',
        );
      }
      return report;
    },
    summary: retentionSummary,
  };
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

function downsampleSummary(r: DownsampleReport): string {
  const late = r.lateBucketsRecomputed > 0 ? ` (${r.lateBucketsRecomputed} late)` : '';
  return `${r.bucketsWritten} buckets${late}`;
}

/** helios-downsample's run: the node's rule (or msg.rule's keys over it). */
export function downsampleTask(config: HeliosDownsampleConfig): PolicyTask<DownsampleReport> {
  return {
    type: 'helios-downsample',
    run: (db, msg) => db.runDownsample(ruleOf(config, msg)),
    summary: downsampleSummary,
  };
}
