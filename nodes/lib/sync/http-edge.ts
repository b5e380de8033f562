import * as http from 'node:http';
import * as https from 'node:https';
import type { SyncSettings } from './config';
import { type EdgeLink, LinkError, type LinkEvents } from './link';
import type { SyncBatch } from './ports';
import { certificateProblem, type TlsMaterial } from './tls';

export const BATCH_TYPE = 'application/vnd.helios.sync-batch';
export const ANSWER_TYPE = 'application/vnd.helios.sync-ack';
/** the longest answer an edge reads (an ack or a downlink delivery) */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

export interface HttpReply {
  status: number;
  body: Buffer;
}

/** One HTTP(S) request with a body; rejects with a sentence for TLS, refused and timed-out requests. */
export function request(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: Uint8Array | null,
  tls: TlsMaterial,
  timeoutMs: number,
): Promise<HttpReply> {
  const lib = url.protocol === 'https:' ? https : http;
  const options: https.RequestOptions = { method, headers, timeout: timeoutMs };
  if (tls.ca) options.ca = tls.ca;
  if (tls.cert) options.cert = tls.cert;
  if (tls.key) options.key = tls.key;
  return new Promise<HttpReply>((resolve, reject) => {
    const req = lib.request(url, options, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_ANSWER_BYTES)
          req.destroy(new LinkError(`The answer from ${url.origin} is too large.`));
        else chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () =>
      req.destroy(
        new LinkError(`${url.origin} did not answer within ${timeoutMs / 1000} s.`, 'HELIOS_SYNC_TIMEOUT'),
      ),
    );
    req.on('error', (err) => reject(httpProblem(err, url)));
    req.end(body ? Buffer.from(body) : undefined);
  });
}

function httpProblem(err: Error, url: URL): Error {
  if (err instanceof LinkError) return err;
  const cert = certificateProblem(err, url.origin);
  if (cert) return new LinkError(cert, 'HELIOS_SYNC_TLS');
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED')
    return new LinkError(`Nothing listens at ${url.origin} (connection refused).`, 'HELIOS_SYNC_OFFLINE');
  if (code === 'ENOTFOUND')
    return new LinkError(`The host of ${url.origin} is not known (DNS).`, 'HELIOS_SYNC_OFFLINE');
  return new LinkError(`${url.origin}: ${err.message}`);
}

/** A non-2xx reply as a sentence. */
export function statusProblem(reply: HttpReply, url: URL): LinkError {
  const text = reply.body.subarray(0, 200).toString('utf8').trim();
  if (reply.status === 401 || reply.status === 403) {
    return new LinkError(
      `${url.origin} refused the token (HTTP ${reply.status}); check the node's credentials.`,
      'HELIOS_SYNC_AUTH',
    );
  }
  return new LinkError(`${url.href} answered HTTP ${reply.status}${text ? `: ${text}` : ''}.`);
}

/**
 * The edge end over HTTP(S): each batch is a POST to the hub's URL; the hub answers 200 with the
 * encoded ack only after its durable write. Downlink messages are fetched with a GET of
 * `<url>/down` after each batch, and acknowledged with a POST to `<url>/downack`.
 * The link is "connected" after the last request reached the hub.
 */
export class HttpEdgeLink implements EdgeLink {
  private ok = false;
  private events: LinkEvents | null = null;
  private downHandler: ((bytes: Uint8Array) => Promise<Uint8Array | null>) | null = null;
  private readonly url: URL;

  constructor(
    private readonly settings: SyncSettings,
    private readonly tls: TlsMaterial,
  ) {
    this.url = new URL(settings.endpoint);
  }

  get connected(): boolean {
    // HTTP has no connection to wait for: a request is how we find out.
    return this.events !== null;
  }

  /** did the last request reach the hub? */
  get reachable(): boolean {
    return this.ok;
  }

  start(events: LinkEvents): void {
    this.events = events;
  }

  async send(batch: SyncBatch): Promise<Uint8Array> {
    const reply = await this.call(this.url, 'POST', BATCH_TYPE, batch.bytes);
    return new Uint8Array(reply.body);
  }

  onDown(handler: (bytes: Uint8Array) => Promise<Uint8Array | null>): void {
    this.downHandler = handler;
  }

  async pollDown(): Promise<void> {
    const handler = this.downHandler;
    if (!handler) return;
    const down = new URL(`${this.url.pathname.replace(/\/$/, '')}/down`, this.url);
    down.searchParams.set('device', this.settings.deviceId);
    const reply = await this.call(down, 'GET', null, null);
    if (reply.status === 204 || reply.body.length === 0) return;
    const ack = await handler(new Uint8Array(reply.body));
    if (ack) {
      const back = new URL(`${this.url.pathname.replace(/\/$/, '')}/downack`, this.url);
      back.searchParams.set('device', this.settings.deviceId);
      await this.call(back, 'POST', ANSWER_TYPE, ack);
    }
  }

  async close(): Promise<void> {
    this.events = null;
  }

  private async call(
    url: URL,
    method: string,
    type: string | null,
    body: Uint8Array | null,
  ): Promise<HttpReply> {
    const headers: Record<string, string> = { 'x-helios-device': this.settings.deviceId };
    if (type) headers['content-type'] = type;
    if (this.settings.token) headers.authorization = `Bearer ${this.settings.token}`;
    try {
      const reply = await request(url, method, headers, body, this.tls, this.settings.ackTimeoutSecs * 1000);
      if (reply.status < 200 || reply.status > 299) throw statusProblem(reply, url);
      this.reached(true);
      return reply;
    } catch (err) {
      this.reached(false, err as Error);
      throw err;
    }
  }

  private reached(ok: boolean, err?: Error): void {
    const changed = ok !== this.ok;
    this.ok = ok;
    if (changed || err) {
      if (err) this.events?.state(false, err);
      else this.events?.state(true);
    }
  }
}
