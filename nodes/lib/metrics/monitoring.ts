/**
 * Serves the metrics and the health check as [monitoring] says (docs/metrics.md): on a port of its
 * own when metrics_port is set, else under Node-RED's httpNode (beside the flows' HTTP endpoints,
 * at httpNodeRoot). One service per process: the first helios-db whose TOML enables monitoring
 * configures it; another with different settings gets a warning and changes nothing.
 */
import * as http from 'node:http';
import type { AdminAPI } from '../admin/red-admin';
import type { MonitoringToml } from '../toml-config';
import { healthOf } from './health';
import { HeliosMetrics } from './metrics';

export interface MonitoringSettings {
  metrics: boolean;
  health: boolean;
  port: number | null;
  host: string;
  metricsPath: string;
  healthPath: string;
  token: string | null;
}

export function monitoringSettingsOf(
  toml: MonitoringToml,
  onOwnPort = toml.metrics_port !== undefined,
): MonitoringSettings {
  const metrics = toml.metrics_enabled === true;
  return {
    metrics,
    health: toml.health_enabled ?? metrics,
    port: toml.metrics_port ?? null,
    host: toml.metrics_host ?? '0.0.0.0',
    metricsPath: toml.metrics_path ?? (onOwnPort ? '/metrics' : '/helios/metrics'),
    healthPath: toml.health_path ?? (onOwnPort ? '/health' : '/helios/health'),
    token: toml.metrics_token ?? null,
  };
}

interface Reply {
  status: number;
  type: string;
  body: string;
  headers?: Record<string, string>;
}

class MonitoringService {
  private settings: MonitoringSettings | null = null;
  private owner: string | null = null;
  private server: http.Server | null = null;
  /** made on the first configure: no event-loop monitor in a Node-RED that never asks for metrics */
  private metrics: HeliosMetrics | null = null;
  private readonly routed = new WeakMap<object, Set<string>>();

  /** Applies `settings` from helios-db `owner`; returns a warning when another one owns it already. */
  configure(RED: AdminAPI, owner: string, settings: MonitoringSettings): string | null {
    if (this.owner !== null && this.owner !== owner && this.settings) {
      if (JSON.stringify(this.settings) === JSON.stringify(settings)) return null;
      return '[monitoring] of another helios-db configures the metrics already; this one is ignored.';
    }
    this.owner = owner;
    if (settings.metrics) this.metrics ??= new HeliosMetrics();
    const before = this.settings;
    this.settings = settings;
    if (settings.port !== null) {
      if (!before || before.port !== settings.port || before.host !== settings.host || !this.server)
        this.listen(RED, settings);
    } else {
      this.stopServer();
      this.route(RED);
    }
    return null;
  }

  /** The owner closed (a redeploy or shutdown): stop until it, or another, configures again. */
  release(owner: string): void {
    if (this.owner !== owner) return;
    this.owner = null;
    this.settings = null;
    this.stopServer();
  }

  /** The reply for `path` with `authorization`, or null when the path is not served. */
  async reply(path: string, authorization: string | undefined, onOwnPort: boolean): Promise<Reply | null> {
    const s = this.settings;
    if (!s || (s.port !== null) !== onOwnPort) return null;
    if (s.metrics && path === s.metricsPath) {
      if (s.token !== null && authorization !== `Bearer ${s.token}`) {
        return {
          status: 401,
          type: 'text/plain',
          body: 'A bearer token is required: send "Authorization: Bearer <metrics_token>".\n',
          headers: { 'WWW-Authenticate': 'Bearer' },
        };
      }
      const metrics = (this.metrics ??= new HeliosMetrics());
      return { status: 200, type: metrics.contentType, body: await metrics.text() };
    }
    if (s.health && path === s.healthPath) {
      const h = healthOf();
      return { status: h.status, type: 'application/json', body: JSON.stringify(h.body) };
    }
    return null;
  }

  private listen(RED: AdminAPI, s: MonitoringSettings): void {
    this.stopServer();
    const server = http.createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0]!;
      this.reply(path, req.headers.authorization, true).then(
        (r) => {
          if (!r) {
            res
              .writeHead(404, { 'Content-Type': 'text/plain' })
              .end(`Not found. Try ${s.metricsPath} or ${s.healthPath}.\n`);
            return;
          }
          res.writeHead(r.status, { 'Content-Type': r.type, ...r.headers }).end(r.body);
        },
        (err: Error) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${err.message}\n`),
      );
    });
    server.on('error', (err: NodeJS.ErrnoException) => {
      RED.log.warn(
        `Helios metrics: cannot listen on ${s.host}:${s.port} (${err.code ?? err.message}). ` +
          'Choose another [monitoring] metrics_port, or leave it out to serve under Node-RED.',
      );
    });
    server.listen(s.port!, s.host, () =>
      RED.log.info(`Helios metrics on http://${s.host}:${s.port}${s.metricsPath}`),
    );
    server.unref();
    this.server = server;
  }

  private stopServer(): void {
    this.server?.close();
    this.server = null;
  }

  /** Routes on httpNode for the configured paths (kept when they change: they then answer 404). */
  private route(RED: AdminAPI): void {
    const app = RED.httpNode;
    const s = this.settings;
    if (!app || !s) return;
    let paths = this.routed.get(app);
    if (!paths) {
      paths = new Set();
      this.routed.set(app, paths);
    }
    for (const path of [s.metricsPath, s.healthPath]) {
      if (paths.has(path)) continue;
      paths.add(path);
      app.get(path, (req, res, next) => {
        const auth = req.headers.authorization;
        this.reply(path, typeof auth === 'string' ? auth : undefined, false).then(
          (r) => {
            if (!r) return next();
            res.status(r.status).set('Content-Type', r.type);
            for (const [k, v] of Object.entries(r.headers ?? {})) res.set(k, v);
            res.send(r.body);
          },
          (err) => next(err),
        );
      });
    }
  }
}

/** The one monitoring service of this Node-RED process. */
export const monitoring = new MonitoringService();
