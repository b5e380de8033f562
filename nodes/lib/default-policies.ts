import { type Database, type DownsampleRule, formatDuration, type RetentionPolicy } from '../../engine/index';
import type { DatabaseController } from './db-controller';
import { positiveNumber } from './positive-number';

/**
 * The TOML file's `[time_series]` and `[storage]` policy keys as default policies of a helios-db
 * node, run in the background without any policy node in the flow:
 * - `default_retention_days` (and `[storage] max_db_size_mb`): retention of every table except
 *   the default rollups, hourly;
 * - `downsample_enabled`, `downsample_after_hours` (default 48), `downsample_interval_secs`
 *   (the bucket, default 300): rollups of every table into `{table}_{bucket}`, every 5 minutes.
 */
export interface DefaultPolicies {
  readonly retention: RetentionPolicy | null;
  readonly downsample: DownsampleRule | null;
}

export const RETENTION_EVERY_MS = 3_600_000;
export const DOWNSAMPLE_EVERY_MS = 300_000;

/** Reads the policies out of the TOML keys kept under `"[section] key"`. */
export function defaultPolicies(keys: Readonly<Record<string, unknown>>): DefaultPolicies {
  const days = positiveNumber(keys['[time_series] default_retention_days']);
  const maxMB = positiveNumber(keys['[storage] max_db_size_mb']);
  const enabled = keys['[time_series] downsample_enabled'];
  const downsample: DownsampleRule | null =
    enabled === true || enabled === 'true'
      ? {
          source: '*',
          bucket: (positiveNumber(keys['[time_series] downsample_interval_secs']) ?? 300) * 1000,
          after: (positiveNumber(keys['[time_series] downsample_after_hours']) ?? 48) * 3_600_000,
        }
      : null;
  const retention: RetentionPolicy | null =
    days !== null || maxMB !== null
      ? {
          table: '*',
          ...(days !== null ? { maxAge: days * 86_400_000 } : {}),
          ...(maxMB !== null ? { maxBytes: maxMB * 1024 * 1024 } : {}),
        }
      : null;
  return { retention, downsample };
}

/** Tables the age limit applies to: all but the default rollups, which keep their history. */
function rawTables(db: Database, downsample: DownsampleRule | null): string[] {
  const tables = db.tables();
  if (!downsample) return tables;
  const suffix = `_${formatDuration(Number(downsample.bucket))}`;
  const rollups = new Set(tables.map((t) => `${t}${suffix}`));
  return tables.filter((t) => !rollups.has(t));
}

/** The default retention: the age limit per raw table, then the size limit over the whole database. */
export async function applyDefaultRetention(
  db: Database,
  retention: RetentionPolicy,
  downsample: DownsampleRule | null,
): Promise<void> {
  if (retention.maxAge !== undefined) {
    for (const table of rawTables(db, downsample)) await db.runRetention({ table, maxAge: retention.maxAge });
  }
  if (retention.maxBytes !== undefined) await db.runRetention({ table: '*', maxBytes: retention.maxBytes });
}

/**
 * Starts the default policies on a timer; returns a stop function. Runs go through the
 * controller (so a close waits for them) and never overlap; failures go to `warn`.
 */
export function startDefaultPolicies(
  controller: DatabaseController,
  policies: DefaultPolicies,
  warn: (message: string) => void,
): () => void {
  const timers: NodeJS.Timeout[] = [];
  let running: Promise<unknown> = Promise.resolve();
  const schedule = (everyMs: number, run: (db: Database) => Promise<unknown>, what: string) => {
    const timer = setInterval(() => {
      running = running
        .then(() => controller.use(run))
        .catch((err: Error) => warn(`The default ${what} policy from the TOML file failed: ${err.message}`));
    }, everyMs);
    timer.unref();
    timers.push(timer);
  };
  const { retention, downsample } = policies;
  if (downsample) schedule(DOWNSAMPLE_EVERY_MS, (db) => db.runDownsample(downsample), 'downsampling');
  if (retention) {
    schedule(RETENTION_EVERY_MS, (db) => applyDefaultRetention(db, retention, downsample), 'retention');
  }
  return () => {
    for (const timer of timers) clearInterval(timer);
  };
}
