import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { parse, TomlError } from 'smol-toml';
import { positiveNumber } from './positive-number';

/**
 * The optional TOML file of a helios-db config node, in the shape of the seed configuration
 * (`[database]`, `[storage]`, `[time_series]`, `[sync]`). docs/toml.md lists every key.
 */
export interface TomlSettings {
  /** [database] path: the data directory (relative paths are relative to the file's folder) */
  path?: string;
  durability?: 'always' | 'batch' | 'none';
  batchIntervalMs?: number;
  memoryLimitMB?: number;
  /** [database] cache_mb: MiB of recently read chunks kept in memory */
  cacheMB?: number;
  partitionDuration?: string | number;
  /** [storage] and [time_series] policy keys, kept for helios-retention and helios-downsample */
  policies: Record<string, unknown>;
  /** [sync], kept as written for helios-sync */
  sync: Record<string, unknown>;
  /** [monitoring]: the Prometheus endpoint and the health check (docs/metrics.md) */
  monitoring?: MonitoringToml;
  /** keys read and accepted but with no effect on this version (documented in docs/toml.md) */
  ignored: string[];
  /** unknown keys and other things the user should look at; never fatal */
  warnings: string[];
}

/** [monitoring] keys, as written (docs/metrics.md). */
export interface MonitoringToml {
  metrics_enabled?: boolean;
  /** a port of its own; without it the endpoints are under Node-RED's httpNode */
  metrics_port?: number;
  metrics_host?: string;
  metrics_path?: string;
  /** when set, a scrape must send `Authorization: Bearer <token>` (use ${VAR} to keep it out of the file) */
  metrics_token?: string;
  health_enabled?: boolean;
  health_path?: string;
}

/** A TOML file that cannot be used: the message names the file and, for syntax, line and column. */
export class TomlConfigError extends Error {
  readonly code = 'HELIOS_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'TomlConfigError';
  }
}

type Table = Record<string, unknown>;
type KeyHandler = (settings: TomlSettings, value: unknown, where: string) => void;

const VAR = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces `${VAR}` (and `${VAR:-default}`) in a string from `env`. An unset variable without a
 * default is an error naming the variable and the key that uses it.
 */
export function expandVariables(text: string, env: NodeJS.ProcessEnv, where: string): string {
  return text.replace(VAR, (_match, name: string, fallback: string | undefined) => {
    const value = env[name];
    if (value !== undefined) return value;
    if (fallback !== undefined) return fallback;
    throw new TomlConfigError(
      `${where} uses \${${name}}, but the environment variable ${name} is not set. ` +
        `Set it, or give a default: \${${name}:-value}.`,
    );
  });
}

function expandAll(value: unknown, env: NodeJS.ProcessEnv, where: string): unknown {
  if (typeof value === 'string') return expandVariables(value, env, where);
  if (Array.isArray(value)) return value.map((v, i) => expandAll(v, env, `${where}[${i}]`));
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const out: Table = {};
    for (const [k, v] of Object.entries(value)) out[k] = expandAll(v, env, `${where}.${k}`);
    return out;
  }
  return value;
}

function asNumber(value: unknown, where: string): number {
  const n = positiveNumber(value);
  if (n === null) {
    throw new TomlConfigError(`${where} must be a positive number; got ${JSON.stringify(value)}.`);
  }
  return n;
}

function asBoolean(value: unknown, where: string): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new TomlConfigError(`${where} must be true or false; got ${JSON.stringify(value)}.`);
}

function asString(value: unknown, where: string): string {
  if (typeof value === 'string' && value !== '') return value;
  throw new TomlConfigError(`${where} must be a non-empty string; got ${JSON.stringify(value)}.`);
}

const keep: KeyHandler = (s, v, where) => {
  s.policies[where] = v;
};
const ignore: KeyHandler = (s, _v, where) => {
  s.ignored.push(where);
};

const DATABASE_KEYS: Record<string, KeyHandler> = {
  path: (s, v, w) => {
    s.path = asString(v, w);
  },
  memory_limit_mb: (s, v, w) => {
    s.memoryLimitMB = asNumber(v, w);
  },
  enable_wal: (s, v, w) => {
    // The WAL cannot be switched off; "no WAL" is read as "do not wait for the disk".
    if (!asBoolean(v, w)) s.durability ??= 'none';
  },
  durability: (s, v, w) => {
    const d = asString(v, w);
    if (d !== 'always' && d !== 'batch' && d !== 'none') {
      throw new TomlConfigError(`${w} must be "always", "batch" or "none"; got ${JSON.stringify(v)}.`);
    }
    s.durability = d;
  },
  batch_interval_ms: (s, v, w) => {
    s.batchIntervalMs = asNumber(v, w);
  },
  cache_mb: (s, v, w) => {
    s.cacheMB = asNumber(v, w);
  },
};

const STORAGE_KEYS: Record<string, KeyHandler> = {
  max_db_size_mb: keep,
  compaction_interval_hours: ignore,
};

const TIME_SERIES_KEYS: Record<string, KeyHandler> = {
  default_retention_days: keep,
  partition_duration: (s, v, w) => {
    s.partitionDuration = typeof v === 'number' ? v : asString(v, w);
  },
};

const setMonitoring =
  (key: keyof MonitoringToml, read: (v: unknown, w: string) => unknown): KeyHandler =>
  (s, v, w) => {
    s.monitoring ??= {};
    (s.monitoring as Record<string, unknown>)[key] = read(v, w);
  };

const MONITORING_KEYS: Record<string, KeyHandler> = {
  metrics_enabled: setMonitoring('metrics_enabled', asBoolean),
  metrics_port: setMonitoring('metrics_port', (v, w) => {
    const n = asNumber(v, w);
    if (!Number.isInteger(n) || n > 65535)
      throw new TomlConfigError(`${w} must be a port number (1-65535); got ${v}.`);
    return n;
  }),
  metrics_host: setMonitoring('metrics_host', asString),
  metrics_path: setMonitoring('metrics_path', asPath),
  metrics_token: setMonitoring('metrics_token', asString),
  health_enabled: setMonitoring('health_enabled', asBoolean),
  health_path: setMonitoring('health_path', asPath),
};

function asPath(value: unknown, where: string): string {
  const p = asString(value, where);
  if (!p.startsWith('/'))
    throw new TomlConfigError(`${where} must start with "/"; got ${JSON.stringify(value)}.`);
  return p;
}

function applySection(
  settings: TomlSettings,
  section: string,
  table: Table,
  keys: Record<string, KeyHandler>,
  prefixKeep?: string,
): void {
  for (const [key, value] of Object.entries(table)) {
    const where = `[${section}] ${key}`;
    const handler = keys[key] ?? (prefixKeep && key.startsWith(prefixKeep) ? keep : undefined);
    if (handler) handler(settings, value, where);
    else settings.warnings.push(`Unknown key ${where} is ignored.`);
  }
}

function sectionOf(doc: Table, name: string, file: string): Table | undefined {
  const value = doc[name];
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TomlConfigError(`${file}: "${name}" must be a table ([${name}]).`);
  }
  return value as Table;
}

/**
 * Interprets a parsed TOML document. `file` names it in messages. Unknown sections and keys become
 * warnings; a value of the wrong type for a known key is an error.
 */
export function interpretToml(doc: Table, file: string, env: NodeJS.ProcessEnv = process.env): TomlSettings {
  const expanded = expandAll(doc, env, file) as Table;
  const settings: TomlSettings = { policies: {}, sync: {}, ignored: [], warnings: [] };
  const sections: Record<string, (t: Table) => void> = {
    database: (t) => applySection(settings, 'database', t, DATABASE_KEYS),
    storage: (t) => applySection(settings, 'storage', t, STORAGE_KEYS),
    time_series: (t) => applySection(settings, 'time_series', t, TIME_SERIES_KEYS, 'downsample_'),
    sync: (t) => {
      settings.sync = t;
    },
    monitoring: (t) => applySection(settings, 'monitoring', t, MONITORING_KEYS),
  };
  for (const name of Object.keys(expanded)) {
    const apply = sections[name];
    const table = sectionOf(expanded, name, file);
    if (apply && table) {
      try {
        apply(table);
      } catch (err) {
        if (err instanceof TomlConfigError) throw new TomlConfigError(`${file}: ${err.message}`);
        throw err;
      }
    } else if (!apply) {
      settings.warnings.push(`Unknown section [${name}] is ignored.`);
    }
  }
  return settings;
}

/** Parses TOML text; a syntax error names the file, line and column and shows the line. */
export function parseTomlText(text: string, file: string): Table {
  try {
    return parse(text) as Table;
  } catch (err) {
    if (err instanceof TomlError) {
      const detail = err.message.replace(/^Invalid TOML document: /, '');
      throw new TomlConfigError(
        `${file}, line ${err.line}, column ${err.column}: invalid TOML: ${detail.trimEnd()}`,
      );
    }
    throw err;
  }
}

/** Reads, parses and interprets a TOML configuration file. */
export async function loadTomlConfig(
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<TomlSettings> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new TomlConfigError(
      `Cannot read the configuration file ${file} (${code ?? String(err)}). ` +
        'Check the path in the helios-db node (relative paths start at the Node-RED user directory).',
    );
  }
  return interpretToml(parseTomlText(text, file), file, env);
}

/** The TOML file the package ships (examples/helios.toml, beside the example flow that uses it). */
export const EXAMPLE_TOML = path.join(__dirname, '..', '..', '..', 'examples', 'helios.toml');

/**
 * Writes `template` (the package's example file) to `file` when no file is there; true if it did.
 * For the helios-db option *create it from the example when missing*, so the TOML example deploys
 * without a file to copy by hand. An existing file is never touched.
 */
export async function createTomlIfMissing(file: string, template = EXAMPLE_TOML): Promise<boolean> {
  try {
    await fsp.access(file);
    return false;
  } catch {
    // missing: create it
  }
  try {
    const text = await fsp.readFile(template, 'utf8');
    await fsp.mkdir(path.dirname(file), { recursive: true });
    await fsp.writeFile(file, text, { flag: 'wx' });
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    throw new TomlConfigError(
      `Cannot create the configuration file ${file} from the example (${code ?? String(err)}). ` +
        'Create it yourself, or check that the Node-RED user directory can be written.',
    );
  }
}
