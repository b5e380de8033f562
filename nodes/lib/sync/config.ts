import * as os from 'node:os';
import { positiveNumber } from '../positive-number';
import { type CronSchedule, parseCron } from './cron';

/**
 * helios-sync's settings: the node's editor fields, overridden key by key by the helios-db TOML
 * file's `[sync]` table (values in the file win, as for helios-db), with secrets from the node's
 * credentials (or `${VAR}`s, which helios-db expanded when it read the file). docs/toml.md lists
 * the keys; docs/sync-node.md says what each does.
 */

export type SyncRole = 'edge' | 'hub';
export type SyncProtocol = 'mqtt' | 'mqtts' | 'http' | 'https';
/** what the edge POSTs over HTTP: Helios batches, or JSON lines / InfluxDB line protocol for other hubs */
export type HttpFormat = 'helios' | 'jsonl' | 'influx';
export type Compression = 'zstd' | 'brotli' | 'gzip' | 'none';

export interface TlsFiles {
  /** CA certificate(s) (PEM file) trusted for the other end */
  caFile?: string;
  /** this end's certificate and key (PEM files): the hub's server certificate, or an edge's client certificate */
  certFile?: string;
  keyFile?: string;
}

export interface SyncSettings {
  enabled: boolean;
  role: SyncRole;
  /** the broker (MQTT) or the hub's URL (HTTP edge); for an HTTP hub, '' and `listen` instead */
  endpoint: string;
  protocol: SyncProtocol;
  deviceId: string;
  tables: string[];
  /** s between sends; 0 = no timer (schedule or msg.sync only) */
  intervalSecs: number;
  schedule: CronSchedule | null;
  conditions: string[];
  /** where a new edge starts: every row the database holds, or only rows written from then on */
  start: 'beginning' | 'now';
  /** rows per batch (engine maxBatchRows) */
  batchSize: number;
  /** bytes of log kept for unsent rows (engine maxLogBytes); 0 = no limit; null = the engine's default */
  maxLogBytes: number | null;
  /** rows per backfill batch (engine maxBackfillBatchRows); null = the engine's default */
  backfillBatchSize: number | null;
  compression: Compression | null;
  compressionLevel: number | null;
  /** failures in a row after which the failing batch is reported as an error (still kept and retried) */
  retryMaxAttempts: number;
  /** the longest wait between tries (s) */
  retryBackoffSecs: number;
  /** backfill limit in bytes per second; 0 = none (live batches are never held back) */
  maxBytesPerSec: number;
  /** batches in flight at once */
  window: number;
  /** s to wait for the hub's answer to one batch */
  ackTimeoutSecs: number;
  format: HttpFormat;
  /** MQTT */
  mqttVersion: 4 | 5;
  shareGroup: string;
  clientId: string;
  topicPrefix: string;
  username: string;
  password: string;
  /** HTTP bearer token (edge sends it, hub requires it when set) */
  token: string;
  tls: TlsFiles;
  /** HTTP hub: where it listens */
  listen: { host: string; port: number; path: string };
  /** hub: the tag naming the device on every row it applies; null = none */
  deviceTag: string | null;
}

/** The node's saved configuration (editor fields, all optional). */
export interface HeliosSyncConfig {
  id: string;
  name?: string;
  db?: string;
  role?: string;
  endpoint?: string;
  deviceId?: string;
  tables?: string;
  intervalSecs?: number | string;
  schedule?: string;
  conditions?: string;
  batchSize?: number | string;
  start?: string;
  compression?: string;
  maxBytesPerSec?: number | string;
  retryMaxAttempts?: number | string;
  retryBackoffSecs?: number | string;
  format?: string;
  mqttVersion?: number | string;
  shareGroup?: string;
  caFile?: string;
  listenPort?: number | string;
  listenPath?: string;
  deviceTag?: string;
  version?: number;
}

export interface SyncCredentials {
  username?: string;
  password?: string;
  token?: string;
}

/** A setting that cannot be used; the message says which, what was wrong and what to do. */
export class SyncConfigError extends Error {
  readonly code = 'HELIOS_SYNC_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'SyncConfigError';
  }
}

type Raw = Record<string, unknown>;

/** TOML key -> the node field it overrides */
const TOML_KEYS: Readonly<Record<string, string>> = {
  enable_remote_sync: 'enabled',
  role: 'role',
  sync_endpoint: 'endpoint',
  endpoint: 'endpoint',
  device_id: 'deviceId',
  tables: 'tables',
  sync_interval_secs: 'intervalSecs',
  sync_schedule: 'schedule',
  sync_conditions: 'conditions',
  sync_start: 'start',
  batch_size: 'batchSize',
  backfill_batch_size: 'backfillBatchSize',
  max_log_bytes: 'maxLogBytes',
  compression: 'compression',
  compression_level: 'compressionLevel',
  retry_max_attempts: 'retryMaxAttempts',
  retry_backoff_secs: 'retryBackoffSecs',
  max_bytes_per_sec: 'maxBytesPerSec',
  in_flight: 'window',
  ack_timeout_secs: 'ackTimeoutSecs',
  format: 'format',
  mqtt_version: 'mqttVersion',
  share_group: 'shareGroup',
  client_id: 'clientId',
  topic_prefix: 'topicPrefix',
  username: 'username',
  password: 'password',
  token: 'token',
  ca_file: 'caFile',
  cert_file: 'certFile',
  key_file: 'keyFile',
  listen_host: 'listenHost',
  listen_port: 'listenPort',
  listen_path: 'listenPath',
  device_tag: 'deviceTag',
};

const DEVICE_ID = /^[A-Za-z0-9._-]{1,64}$/;

function text(value: unknown): string {
  return value === undefined || value === null ? '' : String(value).trim();
}

function list(value: unknown, where: string): string[] {
  if (Array.isArray(value)) {
    return value.map((v, i) => {
      if (typeof v !== 'string' || v.trim() === '') {
        throw new SyncConfigError(`${where}[${i}] must be a non-empty string; got ${JSON.stringify(v)}.`);
      }
      return v.trim();
    });
  }
  return text(value)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** a number >= 0 (or `fallback` when unset); 0 allowed where it means "none" */
function count(value: unknown, where: string, fallback: number, zeroOk = true): number {
  if (value === undefined || value === null || value === '') return fallback;
  if ((value === 0 || value === '0') && zeroOk) return 0;
  const n = positiveNumber(value);
  if (n === null) {
    throw new SyncConfigError(
      `${where} must be a ${zeroOk ? 'number, 0 or more' : 'positive number'}; got ${JSON.stringify(value)}.`,
    );
  }
  return n;
}

function oneOf<T extends string>(value: unknown, where: string, allowed: readonly T[], fallback: T): T {
  const t = text(value);
  if (t === '') return fallback;
  if ((allowed as readonly string[]).includes(t)) return t as T;
  throw new SyncConfigError(
    `${where} must be ${allowed.map((a) => `"${a}"`).join(', ')}; got ${JSON.stringify(value)}.`,
  );
}

function flag(value: unknown, where: string, fallback: boolean): boolean {
  if (value === undefined || value === null || value === '') return fallback;
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new SyncConfigError(`${where} must be true or false; got ${JSON.stringify(value)}.`);
}

/** "[sync] key" for a TOML value, the editor field's name otherwise */
function namer(fromToml: Map<string, string>): (field: string) => string {
  return (field) => {
    const key = fromToml.get(field);
    return key ? `[sync] ${key}` : `The field ${field}`;
  };
}

/** Merges the node's fields, its credentials and the TOML [sync] table (which wins) into one record. */
function merge(
  node: HeliosSyncConfig,
  credentials: SyncCredentials,
  toml: Raw,
  warn: (m: string) => void,
): { raw: Raw; fromToml: Map<string, string> } {
  const raw: Raw = { ...node, ...credentials };
  const fromToml = new Map<string, string>();
  for (const [key, value] of Object.entries(toml)) {
    const field = TOML_KEYS[key];
    if (!field) {
      warn(`Unknown key [sync] ${key} is ignored.`);
      continue;
    }
    raw[field] = value;
    fromToml.set(field, key);
  }
  return { raw, fromToml };
}

function parseEndpoint(endpoint: string, where: string): SyncProtocol | null {
  if (endpoint === '') return null;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new SyncConfigError(
      `${where} "${endpoint}" is not a URL; write it as mqtt://host:1883, mqtts://host:8883, ` +
        'http://host:port/path or https://host/path.',
    );
  }
  const protocol = url.protocol.replace(/:$/, '');
  if (protocol !== 'mqtt' && protocol !== 'mqtts' && protocol !== 'http' && protocol !== 'https') {
    throw new SyncConfigError(`${where} "${endpoint}" uses ${url.protocol}; use mqtt, mqtts, http or https.`);
  }
  if (url.password) {
    throw new SyncConfigError(
      `${where} has a password in it, which would be saved in the flow file. Remove it from the URL ` +
        "and put it in the node's credentials (or [sync] password from an environment variable).",
    );
  }
  return protocol;
}

/**
 * The settings helios-sync runs with. `toml` is the helios-db node's `toml.sync` ({} without a file).
 * Throws SyncConfigError for a setting that cannot be used; unknown TOML keys go to `warn`.
 */
export function resolveSyncSettings(
  node: HeliosSyncConfig,
  credentials: SyncCredentials,
  toml: Raw,
  warn: (m: string) => void = () => {},
  hostname: string = os.hostname(),
): SyncSettings {
  const { raw, fromToml } = merge(node, credentials, toml, warn);
  const name = namer(fromToml);
  const role = oneOf<SyncRole>(raw.role, name('role'), ['edge', 'hub'], 'edge');
  const endpoint = text(raw.endpoint);
  const listenPort = count(raw.listenPort, name('listenPort'), 0);
  let protocol = parseEndpoint(endpoint, name('endpoint'));
  if (protocol === null) {
    if (role === 'hub' && listenPort > 0) protocol = 'http';
    else {
      throw new SyncConfigError(
        role === 'edge'
          ? 'helios-sync (edge) has no endpoint: set the hub as mqtt://broker:1883 or http://hub:8787/helios/sync, ' +
              'in the node or as [sync] sync_endpoint in the TOML file.'
          : 'helios-sync (hub) has no endpoint and no listen port: set the broker (mqtt://...) or a listen port for HTTP.',
      );
    }
  }
  if (protocol === 'https' && role === 'hub' && (!text(raw.certFile) || !text(raw.keyFile))) {
    throw new SyncConfigError(
      'An https hub needs its certificate and key: set [sync] cert_file and key_file (PEM files).',
    );
  }
  const deviceId = text(raw.deviceId) || hostname.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 64);
  if (!DEVICE_ID.test(deviceId)) {
    throw new SyncConfigError(
      `${name('deviceId')} "${deviceId}" is not a device id: use 1 to 64 letters, digits, ".", "_" or "-".`,
    );
  }
  const scheduleText = text(raw.schedule);
  let schedule: CronSchedule | null = null;
  if (scheduleText !== '') {
    try {
      schedule = parseCron(scheduleText);
    } catch (err) {
      throw new SyncConfigError(`${name('schedule')}: ${(err as Error).message}`);
    }
  }
  const mqttVersion = count(raw.mqttVersion, name('mqttVersion'), 5, false);
  if (mqttVersion !== 5 && mqttVersion !== 4 && mqttVersion !== 3.1) {
    throw new SyncConfigError(
      `${name('mqttVersion')} must be 5 or 3.1.1 (4); got ${JSON.stringify(raw.mqttVersion)}.`,
    );
  }
  const compression = text(raw.compression);
  const level = raw.compressionLevel;
  const deviceTag = raw.deviceTag === false ? null : text(raw.deviceTag);
  const listenPath = text(raw.listenPath) || '/helios/sync';
  return {
    enabled: flag(raw.enabled, name('enabled'), true),
    role,
    endpoint,
    protocol,
    deviceId,
    tables: list(raw.tables, name('tables')),
    intervalSecs: count(raw.intervalSecs, name('intervalSecs'), scheduleText === '' ? 10 : 0),
    schedule,
    conditions: list(raw.conditions, name('conditions')),
    start: oneOf(raw.start, name('start'), ['beginning', 'now'], 'beginning'),
    batchSize: Math.floor(count(raw.batchSize, name('batchSize'), 5000, false)),
    maxLogBytes: raw.maxLogBytes === undefined ? null : count(raw.maxLogBytes, name('maxLogBytes'), 0),
    backfillBatchSize:
      raw.backfillBatchSize === undefined
        ? null
        : Math.floor(count(raw.backfillBatchSize, name('backfillBatchSize'), 0, false)),
    compression:
      compression === ''
        ? null
        : oneOf<Compression>(compression, name('compression'), ['zstd', 'brotli', 'gzip', 'none'], 'none'),
    compressionLevel:
      level === undefined || level === null || level === ''
        ? null
        : count(level, name('compressionLevel'), 0),
    retryMaxAttempts: Math.floor(count(raw.retryMaxAttempts, name('retryMaxAttempts'), 10)),
    retryBackoffSecs: count(raw.retryBackoffSecs, name('retryBackoffSecs'), 60, false),
    maxBytesPerSec: count(raw.maxBytesPerSec, name('maxBytesPerSec'), 0),
    // HTTP requests on parallel sockets arrive in any order, and a batch ahead of its turn is answered
    // with a gap; so HTTP sends one at a time unless told otherwise. MQTT keeps order on one connection.
    window: Math.max(
      1,
      Math.floor(count(raw.window, name('window'), protocol.startsWith('http') ? 1 : 4, false)),
    ),
    ackTimeoutSecs: count(raw.ackTimeoutSecs, name('ackTimeoutSecs'), 30, false),
    format: oneOf<HttpFormat>(raw.format, name('format'), ['helios', 'jsonl', 'influx'], 'helios'),
    mqttVersion: mqttVersion === 5 ? 5 : 4,
    shareGroup: text(raw.shareGroup),
    // one session per edge device; per hub node (several hub instances share a fleet, each its own session)
    clientId:
      text(raw.clientId) ||
      (role === 'edge' ? `helios-edge-${deviceId}` : `helios-hub-${deviceId}-${node.id}`),
    topicPrefix: text(raw.topicPrefix) || 'helios',
    username: text(raw.username),
    password: text(raw.password),
    token: text(raw.token),
    tls: tlsFiles(raw),
    listen: {
      host: text(raw.listenHost) || '0.0.0.0',
      port: listenPort,
      path: listenPath.startsWith('/') ? listenPath : `/${listenPath}`,
    },
    deviceTag: deviceTag === '' ? 'device_id' : deviceTag === 'none' ? null : deviceTag,
  };
}

function tlsFiles(raw: Raw): TlsFiles {
  const tls: TlsFiles = {};
  const ca = text(raw.caFile);
  const cert = text(raw.certFile);
  const key = text(raw.keyFile);
  if (ca) tls.caFile = ca;
  if (cert) tls.certFile = cert;
  if (key) tls.keyFile = key;
  return tls;
}
