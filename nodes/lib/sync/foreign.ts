import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { FieldColumn } from '../../../engine/index';
import type { SyncSettings } from './config';
import { request, statusProblem } from './http-edge';
import { type EdgeLink, LinkError, type LinkEvents } from './link';
import type { DecodedSyncBatch, SyncBatch, SyncCodec } from './ports';
import type { TlsMaterial } from './tls';

const gzipAsync = promisify(gzip);

/**
 * For hubs that are not Helios: the edge decodes each batch and POSTs it gzip'd as JSON lines
 * (one object per row: table, time, tags, fields) or InfluxDB line protocol (ms precision), so
 * Telegraf's http_listener_v2, InfluxDB's /api/v2/write or any HTTP service can take it. A 2xx
 * answer counts as applied (such hubs do not dedupe: a batch re-sent after a lost answer arrives twice;
 * InfluxDB replaces the same series and time, so line protocol stays idempotent there).
 */

/** rows formatted between two yields to the event loop (a 50,000-row backfill batch is many slices) */
const ROWS_PER_SLICE = 500;
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function fieldAt(column: FieldColumn, i: number): unknown {
  if (column.present && column.present[i] === 0) return undefined;
  const v = column.values[i];
  return column.type === 'bool' ? v === 1 : v;
}

type SeriesOf = DecodedSyncBatch['tables'][number]['series'][number];
/** one series' rows as lines; `line(i)` formats row i, or returns null for a row to leave out */
type LineMaker = (
  table: string,
  series: SeriesOf,
  tags: Record<string, string>,
) => (i: number) => string | null;

/** Formats every row of a batch with `maker`, one series at a time, yielding between slices of rows. */
async function formatRows(
  decoded: DecodedSyncBatch,
  deviceTag: string | null,
  maker: LineMaker,
): Promise<string> {
  const parts: string[] = [];
  let sinceYield = 0;
  for (const t of decoded.tables) {
    for (const s of t.series) {
      const tags: Record<string, string> = { ...s.tags };
      if (deviceTag) tags[deviceTag] ??= decoded.meta.device;
      const line = maker(t.table, s, tags);
      for (let i = 0; i < s.count; i++) {
        // a delete marker has no row to send to a store that is not Helios
        if (s.deleted && s.deleted[i] === 1) continue;
        const text = line(i);
        if (text !== null) parts.push(text);
        if (++sinceYield >= ROWS_PER_SLICE) {
          sinceYield = 0;
          await yieldToLoop();
        }
      }
    }
  }
  return parts.join('');
}

const jsonLine: LineMaker = (table, s, tags) => {
  const columns = [...s.fields];
  return (i) => {
    const fields: Record<string, unknown> = {};
    for (const [name, column] of columns) {
      const v = fieldAt(column, i);
      if (v !== undefined && v !== null) fields[name] = v;
    }
    return `${JSON.stringify({ table, time: s.times[i], tags, fields })}\n`;
  };
};

/** JSON lines: one object per row (table, time, tags, fields); a gap batch is one {"gap": ...} line. */
export function toJsonLines(decoded: DecodedSyncBatch, deviceTag: string | null): Promise<string> {
  const meta = decoded.meta;
  if (meta.kind === 'gap') {
    const gap = {
      device: meta.device,
      epoch: meta.epoch,
      fromLsn: meta.fromLsn,
      toLsn: meta.toLsn,
      rows: meta.rows,
    };
    return Promise.resolve(`${JSON.stringify({ gap })}\n`);
  }
  return formatRows(decoded, deviceTag, jsonLine);
}

const escapeKey = (s: string) => s.replace(/[,= \\]/g, (c) => `\\${c}`);
const escapeMeasurement = (s: string) => s.replace(/[, \\]/g, (c) => `\\${c}`);

function fieldValue(v: unknown, type: string): string | null {
  if (typeof v === 'number') return Number.isFinite(v) ? (type === 'int' ? `${v}i` : String(v)) : null;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`;
  return null;
}

const influxLine: LineMaker = (table, s, tags) => {
  // the measurement and tag set are the series' own: built once, not per row
  const head =
    escapeMeasurement(table) +
    Object.keys(tags)
      .sort()
      .filter((k) => tags[k] !== '')
      .map((k) => `,${escapeKey(k)}=${escapeKey(tags[k]!)}`)
      .join('');
  const columns = [...s.fields].map(([name, column]) => [escapeKey(name), column] as const);
  return (i) => {
    let fields = '';
    for (const [key, column] of columns) {
      const text = fieldValue(fieldAt(column, i), column.type);
      if (text !== null) fields += `${fields ? ',' : ''}${key}=${text}`;
    }
    // line protocol has no row without a field
    return fields ? `${head} ${fields} ${s.times[i]}\n` : null;
  };
};

/** InfluxDB line protocol, ms precision; a gap batch is a helios_sync_gap point. */
export function toLineProtocol(decoded: DecodedSyncBatch, deviceTag: string | null): Promise<string> {
  const meta = decoded.meta;
  if (meta.kind === 'gap') {
    return Promise.resolve(
      `helios_sync_gap,device=${escapeKey(meta.device)} rows=${meta.rows}i,from_lsn=${meta.fromLsn}i,to_lsn=${meta.toLsn}i ${Date.now()}\n`,
    );
  }
  return formatRows(decoded, deviceTag, influxLine);
}

export class ForeignHttpLink implements EdgeLink {
  private events: LinkEvents | null = null;
  private readonly url: URL;

  constructor(
    private readonly settings: SyncSettings,
    private readonly tls: TlsMaterial,
    private readonly codec: SyncCodec,
  ) {
    this.url = new URL(settings.endpoint);
  }

  get connected(): boolean {
    return this.events !== null;
  }

  start(events: LinkEvents): void {
    this.events = events;
  }

  async send(batch: SyncBatch): Promise<Uint8Array> {
    const decoded = this.codec.decodeSyncBatch(batch.bytes);
    const jsonl = this.settings.format === 'jsonl';
    const text = await (jsonl
      ? toJsonLines(decoded, this.settings.deviceTag)
      : toLineProtocol(decoded, this.settings.deviceTag));
    const body = await gzipAsync(Buffer.from(text));
    const headers: Record<string, string> = {
      'content-type': jsonl ? 'application/x-ndjson' : 'text/plain; charset=utf-8',
      'content-encoding': 'gzip',
    };
    if (this.settings.token)
      headers.authorization = jsonl ? `Bearer ${this.settings.token}` : `Token ${this.settings.token}`;
    try {
      const reply = await request(
        this.url,
        'POST',
        headers,
        body,
        this.tls,
        this.settings.ackTimeoutSecs * 1000,
      );
      if (reply.status < 200 || reply.status > 299) {
        const problem = statusProblem(reply, this.url);
        // 4xx other than auth: the receiver will never take this batch (set it aside)
        if (
          reply.status >= 400 &&
          reply.status < 500 &&
          problem.code !== 'HELIOS_SYNC_AUTH' &&
          reply.status !== 429
        ) {
          return this.answer(batch, 'rejected', problem.message);
        }
        throw problem;
      }
      this.events?.state(true);
      return this.answer(batch, 'applied');
    } catch (err) {
      if (err instanceof LinkError || err instanceof Error) this.events?.state(false, err);
      throw err;
    }
  }

  onDown(): void {
    // a foreign hub sends nothing down
  }

  pollDown(): Promise<void> {
    return Promise.resolve();
  }

  async close(): Promise<void> {
    this.events = null;
  }

  private answer(batch: SyncBatch, status: 'applied' | 'rejected', reason?: string): Uint8Array {
    const { device, epoch, seq } = batch.meta;
    return this.codec.encodeSyncAck(
      reason ? { device, epoch, seq, status, reason } : { device, epoch, seq, status },
    );
  }
}
