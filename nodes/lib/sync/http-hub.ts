import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { SyncSettings } from './config';
import { ANSWER_TYPE } from './http-edge';
import type { HubHandler, HubLink, LinkEvents } from './link';
import type { TlsMaterial } from './tls';

/** the largest batch a hub reads (the engine's batches are 256 KiB by default) */
const MAX_BATCH_BYTES = 64 * 1024 * 1024;
const DEVICE = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * The hub end over HTTP(S), on a port of its own (not Node-RED's httpNode: the hub then works the
 * same under any Node-RED settings, has its own TLS certificate, and its batches never meet
 * httpNode's body parsers and middleware). POST <path>: a batch, answered 200 with the ack after the
 * durable write; GET <path>/down?device=X: the device's downlink delivery (204 when none);
 * POST <path>/downack?device=X: the edge's answer to it. A token, when set, is required as a bearer.
 */
export class HttpHubLink implements HubLink {
  private server: http.Server | null = null;
  private listening = false;

  constructor(
    private readonly settings: SyncSettings,
    private readonly tls: TlsMaterial,
  ) {}

  get connected(): boolean {
    return this.listening;
  }

  /** the port it listens on (after start; useful with port 0 in tests) */
  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  start(handler: HubHandler, events: LinkEvents): void {
    const serve = (req: http.IncomingMessage, res: http.ServerResponse) => {
      this.serve(handler, req, res).catch((err: Error) => {
        const bad = (err as { code?: string }).code === 'HELIOS_SYNC_FORMAT';
        reply(res, bad ? 400 : 500, err.message);
      });
    };
    const server =
      this.settings.protocol === 'https'
        ? https.createServer({ ...this.tlsOptions() }, serve)
        : http.createServer(serve);
    this.server = server;
    server.on('error', (err: NodeJS.ErrnoException) => {
      this.listening = false;
      const where = `${this.settings.listen.host}:${this.settings.listen.port}`;
      events.state(
        false,
        new Error(
          err.code === 'EADDRINUSE'
            ? `The hub cannot listen on ${where}: another program uses that port. Pick another listen port.`
            : `The hub cannot listen on ${where}: ${err.message}`,
        ),
      );
    });
    server.listen(this.settings.listen.port, this.settings.listen.host, () => {
      this.listening = true;
      events.state(true);
    });
  }

  pushDown(_device: string, _bytes: Uint8Array): void {
    // HTTP edges fetch their downlink after each batch.
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    this.listening = false;
    if (!server) return;
    server.closeAllConnections?.();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private tlsOptions(): https.ServerOptions {
    const options: https.ServerOptions = {};
    if (this.tls.cert) options.cert = this.tls.cert;
    if (this.tls.key) options.key = this.tls.key;
    if (this.tls.ca) options.ca = this.tls.ca;
    return options;
  }

  private async serve(
    handler: HubHandler,
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://hub');
    const base = this.settings.listen.path.replace(/\/$/, '');
    const token = this.settings.token;
    if (token && req.headers.authorization !== `Bearer ${token}`) {
      reply(res, 401, 'A valid bearer token is required.');
      return;
    }
    const device = url.searchParams.get('device') ?? String(req.headers['x-helios-device'] ?? '');
    if (req.method === 'POST' && url.pathname === base) {
      const body = await readBody(req);
      if (!body) return reply(res, 413, `A batch may be at most ${MAX_BATCH_BYTES} bytes.`);
      const answer = await handler.batch(device, body);
      res.writeHead(200, { 'content-type': ANSWER_TYPE, 'content-length': answer.length });
      res.end(Buffer.from(answer));
      return;
    }
    if (!DEVICE.test(device)) return reply(res, 400, 'Name the device: ?device=<id>.');
    if (req.method === 'GET' && url.pathname === `${base}/down`) {
      const down = handler.pendingDown(device);
      if (!down) return reply(res, 204, '');
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': down.length });
      res.end(Buffer.from(down));
      return;
    }
    if (req.method === 'POST' && url.pathname === `${base}/downack`) {
      const body = await readBody(req);
      if (!body) return reply(res, 413, 'Too large.');
      await handler.downAck(device, body);
      return reply(res, 204, '');
    }
    reply(res, 404, `Not a helios-sync address; batches go to POST ${base}.`);
  }
}

function reply(res: http.ServerResponse, status: number, text: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(text);
}

function readBody(req: http.IncomingMessage): Promise<Uint8Array | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BATCH_BYTES) tooLarge = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(tooLarge ? null : new Uint8Array(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}
