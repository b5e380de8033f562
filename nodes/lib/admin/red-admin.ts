/**
 * The parts of Node-RED's runtime API the admin routes, live updates and metrics use (beside
 * lib/red.ts): the admin and node HTTP apps (Express), the permission guard and the editor's
 * comms channel. Typed here so nothing depends on Node-RED's typings.
 */

export interface HttpRequest {
  params: Record<string, string>;
  query: Record<string, unknown>;
  body?: unknown;
  headers: Record<string, string | string[] | undefined>;
  user?: unknown;
}

export interface HttpResponse {
  status(code: number): HttpResponse;
  json(body: unknown): void;
  send(body: string | Buffer): void;
  set(name: string, value: string): HttpResponse;
  write(chunk: string): boolean;
  end(): void;
  once(event: 'drain' | 'close', listener: () => void): unknown;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  readonly headersSent: boolean;
}

export type Next = (err?: unknown) => void;
export type Handler = (req: HttpRequest, res: HttpResponse, next: Next) => void;

export interface HttpApp {
  get(path: string, ...handlers: Handler[]): void;
  post(path: string, ...handlers: Handler[]): void;
}

export interface AdminAPI {
  httpAdmin: HttpApp;
  httpNode?: HttpApp;
  auth: { needsPermission(permission: string): Handler };
  comms: { publish(topic: string, data: unknown, retain?: boolean): void };
  settings: { [key: string]: unknown };
  log: { info(msg: string): void; warn(msg: string): void };
}
