import * as path from 'node:path';
import type { EngineOptions } from '../../engine/index';
import type { DatabaseController, DbUser, OpenSettings } from './db-controller';
import { positiveNumber } from './positive-number';
import { OUTPUT_MODES, type OutputMode, type OutputOptions, type TimeFormat } from './query-output';
import { type ReadingRules, TIME_UNITS, type TimeUnit } from './readings';
import type { Node } from './red';
import type { InvalidPolicy } from './store-writer';
import { createTomlIfMissing, loadTomlConfig, type TomlSettings } from './toml-config';

/** The configurations the editor saves for each node type, and how the runtime reads them. */

/** The helios-db node's saved configuration (editor fields). */
export interface HeliosDbConfig {
  id: string;
  name?: string;
  /** data directory; '' = <userDir>/helios/<node id>; relative = from the user directory */
  dir?: string;
  durability?: 'always' | 'batch' | 'none';
  batchIntervalMs?: number | string;
  memoryLimitMB?: number | string;
  partitionDuration?: string;
  /** optional TOML file; relative = from the user directory */
  configFile?: string;
  /** create the TOML file from the package's example (examples/helios.toml) when it is missing */
  configCreate?: boolean;
  version?: number;
}

/** A helios-db node as user nodes see it through RED.nodes.getNode. */
export interface HeliosDbNode extends Node {
  controller: DatabaseController;
  register(user: DbUser): void;
  deregister(user: DbUser): void;
  /** the TOML file's settings once read (sync and policy nodes use `sync` / `policies`) */
  toml: TomlSettings | null;
}

/** An editor field's positive number, or `fallback` (test/packaging.test.js reads the defaults here). */
function numberOr(value: unknown, fallback: number): number {
  return positiveNumber(value) ?? fallback;
}

/** Editor settings and the TOML file (whose values win) into what `open()` takes. */
export async function resolveOpenSettings(
  config: HeliosDbConfig,
  userDir: string,
  onToml: (toml: TomlSettings) => void,
): Promise<OpenSettings> {
  const options: EngineOptions = {
    durability: config.durability ?? 'batch',
    batchIntervalMs: numberOr(config.batchIntervalMs, 100),
    memoryLimitMB: numberOr(config.memoryLimitMB, 32),
  };
  if (config.partitionDuration) options.partitionDuration = config.partitionDuration;
  let dir = config.dir ? path.resolve(userDir, config.dir) : path.join(userDir, 'helios', config.id);
  if (config.configFile) {
    const file = path.resolve(userDir, config.configFile);
    const created = config.configCreate === true && (await createTomlIfMissing(file));
    const toml = await loadTomlConfig(file);
    if (created) {
      toml.warnings.unshift(
        "There was no such file: created it from the package's example (examples/helios.toml). " +
          'Edit it and deploy again to change the settings.',
      );
    }
    onToml(toml);
    if (toml.path) dir = path.resolve(path.dirname(file), toml.path);
    if (toml.durability) options.durability = toml.durability;
    if (toml.batchIntervalMs) options.batchIntervalMs = toml.batchIntervalMs;
    if (toml.memoryLimitMB) options.memoryLimitMB = toml.memoryLimitMB;
    if (toml.cacheMB !== undefined) options.cacheMB = toml.cacheMB;
    if (toml.partitionDuration) options.partitionDuration = toml.partitionDuration;
  }
  return { dir, options };
}

/** The helios-store node's saved configuration. */
export interface HeliosStoreConfig {
  id: string;
  name?: string;
  db?: string;
  table?: string;
  topicTag?: string;
  valueField?: string;
  /** comma-separated payload properties that are tags */
  tagProps?: string;
  timeUnit?: TimeUnit;
  /** warn (once per deploy) about a time more than this many years from now; 0 = never; default 10 */
  timeWarnYears?: number | string;
  invalid?: InvalidPolicy;
  version?: number;
}

export function storeRules(config: HeliosStoreConfig): ReadingRules {
  return {
    table: (config.table ?? '').trim(),
    topicTag: (config.topicTag ?? '').trim() || 'topic',
    valueField: (config.valueField ?? '').trim() || 'value',
    tagProps: (config.tagProps ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
    timeUnit: TIME_UNITS.includes(config.timeUnit as TimeUnit) ? (config.timeUnit as TimeUnit) : 'ms',
  };
}

/** helios-store's "Warn about times" (years from now; 0 = never; default 10) in milliseconds. */
export function timeWarnMs(years: unknown): number {
  const n = years === undefined || years === '' ? 10 : Number(years);
  return Number.isFinite(n) && n > 0 ? n * 365.25 * 86_400_000 : 0;
}

/** The helios-query node's saved configuration. */
export interface HeliosQueryConfig {
  id: string;
  name?: string;
  db?: string;
  /** SQL; '' = take it from msg.topic */
  sql?: string;
  output?: OutputMode;
  timeFormat?: TimeFormat;
  /** largest result accepted; 0 = no limit */
  maxRows?: number | string;
  /** seconds a query may run before it is stopped; 0 = no limit; default 30 */
  timeout?: number | string;
  chartClear?: boolean;
  version?: number;
}

export const DEFAULT_MAX_ROWS = 50_000;

/** The row limit: a whole number, 0 for none; anything else is the default. */
export function maxRowsOf(value: unknown): number {
  const n = Number(value === '' || value === undefined ? DEFAULT_MAX_ROWS : value);
  return Number.isInteger(n) && n >= 0 ? n : DEFAULT_MAX_ROWS;
}

export const DEFAULT_QUERY_TIMEOUT_S = 30;

/** The query time limit in ms: whole or decimal seconds, 0 for none; anything else is the default. */
export function queryTimeoutMsOf(value: unknown): number {
  const n = Number(value === '' || value === undefined ? DEFAULT_QUERY_TIMEOUT_S : value);
  return Number.isFinite(n) && n >= 0 ? Math.round(n * 1000) : DEFAULT_QUERY_TIMEOUT_S * 1000;
}

/** How helios-query shapes its output: an unknown mode is 'rows', an unknown time format 'ms'. */
export function queryOutputOptions(config: HeliosQueryConfig): OutputOptions {
  return {
    mode: OUTPUT_MODES.includes(config.output as OutputMode) ? (config.output as OutputMode) : 'rows',
    timeFormat: config.timeFormat === 'iso' ? 'iso' : 'ms',
    chartClear: config.chartClear !== false,
  };
}

/** The helios-retention node's saved configuration. */
export interface HeliosRetentionConfig {
  name?: string;
  db?: string;
  table?: string;
  maxAge?: string;
  maxSizeMB?: string | number;
  keepUnsynced?: boolean;
  everyMinutes?: string | number;
  version?: number;
}

/** The helios-downsample node's saved configuration. */
export interface HeliosDownsampleConfig {
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
