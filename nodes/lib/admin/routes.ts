/**
 * The admin API behind the sidebar, on RED.httpAdmin under /helios (so under httpAdminRoot when it
 * is moved). Every route is guarded by RED.auth.needsPermission: `helios.read` to look, and
 * `helios.write` for console statements that write and for panel actions. With adminAuth on, a
 * request without a token gets 401, a user without the permission 403 (Node-RED's guard). The
 * routes are listed in docs/sidebar.md.
 */
import { sqlVocabulary, statementWrites } from '../../../engine/index';
import { asError } from '../errors';
import { csvRow } from '../transfer/csv';
import { exportTable } from '../transfer/export';
import { consoleErrorOf, consoleRequestOf, runConsole } from './console-query';
import { viewOf } from './database-view';
import { panels } from './panels';
import type { AdminAPI, Handler, HttpRequest, HttpResponse } from './red-admin';
import { databases } from './registry';

export const ADMIN_PREFIX = '/helios';

const installed = new WeakSet<object>();

/** Adds the routes once per Node-RED runtime (every helios node file may call it). */
export function installAdminRoutes(RED: AdminAPI): void {
  if (installed.has(RED.httpAdmin)) return;
  installed.add(RED.httpAdmin);
  const read = RED.auth.needsPermission('helios.read');
  const write = forbiddenWithout(RED.auth.needsPermission('helios.write'), 'helios.write');
  const app = RED.httpAdmin;
  const p = ADMIN_PREFIX;

  app.get(`${p}/databases`, read, (_req, res) => {
    res.json({ databases: databases.list().map(viewOf), panels: panels.ids() });
  });
  app.get(`${p}/databases/:id`, read, (req, res) => {
    const entry = databaseOr404(req, res);
    if (entry) res.json(viewOf(entry));
  });
  app.get(`${p}/vocabulary`, read, (_req, res) => res.json(sqlVocabulary()));
  app.post(`${p}/databases/:id/query`, read, writeIfItWrites(write), (req, res) => {
    void consoleQuery(req, res);
  });
  app.post(`${p}/databases/:id/download`, read, writeIfItWrites(write), (req, res) => {
    void downloadResult(req, res);
  });
  app.get(`${p}/databases/:id/tables/:table/export`, read, (req, res) => {
    void exportRange(req, res);
  });
  app.get(`${p}/panels/:panel`, read, (req, res) => {
    const source = panels.get(req.params.panel!);
    if (!source) return void res.status(404).json({ message: `There is no panel "${req.params.panel}".` });
    res.json(source.read());
  });
  app.post(`${p}/panels/:panel/:action`, read, write, (req, res) => {
    void panelAction(req, res);
  });
}

/**
 * Node-RED's guard answers 401 both without a token and for a signed-in user who lacks the
 * permission. After the read guard has let the user in, the second case is a 403 with a sentence.
 */
function forbiddenWithout(guard: Handler, permission: string): Handler {
  return (req, res, next) => {
    const forbidden = {
      end: () =>
        res.status(403).json({
          message: `This needs the ${permission} permission, which your Node-RED user does not have (adminAuth).`,
        }),
    };
    const watched = new Proxy(res, {
      get(target, prop, receiver) {
        if (prop === 'status') return (code: number) => (code === 401 ? forbidden : target.status(code));
        const value = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    guard(req, watched, next);
  };
}

/** Asks for helios.write too when the console statement writes (or does not parse: it fails anyway). */
function writeIfItWrites(write: Handler): Handler {
  return (req, res, next) => {
    const sql = (req.body as { sql?: unknown } | undefined)?.sql;
    let writes = false;
    try {
      writes = typeof sql === 'string' && statementWrites(sql);
    } catch {
      writes = false; // a SQL mistake: the query route answers it with its caret
    }
    if (writes) write(req, res, next);
    else next();
  };
}

function databaseOr404(req: HttpRequest, res: HttpResponse) {
  const entry = databases.get(req.params.id!);
  if (!entry) {
    res.status(404).json({
      message: `There is no helios-db node ${req.params.id} in the running flows. Deploy it first.`,
    });
  }
  return entry;
}

async function consoleQuery(req: HttpRequest, res: HttpResponse): Promise<void> {
  const entry = databaseOr404(req, res);
  if (!entry) return;
  const request = consoleRequestOf(req.body);
  if (typeof request === 'string') return void res.status(400).json({ message: request });
  try {
    res.json(await entry.controller.use((db) => runConsole(db, request)));
  } catch (err) {
    res.status(400).json(consoleErrorOf(err, request.sql));
  }
}

async function downloadResult(req: HttpRequest, res: HttpResponse): Promise<void> {
  const entry = databaseOr404(req, res);
  if (!entry) return;
  const request = consoleRequestOf(req.body);
  if (typeof request === 'string') return void res.status(400).json({ message: request });
  const format = (req.body as { format?: unknown }).format === 'json' ? 'json' : 'csv';
  try {
    const result = await entry.controller.use((db) =>
      db.query(request.sql, request.params, { maxRows: 100_000 }),
    );
    res.set('Content-Type', format === 'json' ? 'application/json' : 'text/csv; charset=utf-8');
    res.set('Content-Disposition', `attachment; filename="result.${format}"`);
    await sendRows(
      res,
      result.columns.map((c) => c.name),
      result.rows,
      format,
    );
  } catch (err) {
    if (!res.headersSent) res.status(400).json(consoleErrorOf(err, request.sql));
    else res.end();
  }
}

/** Rows this many at a time, with a turn of the event loop between (up to 100000 rows are sent). */
const ROWS_PER_SLICE = 2000;

async function sendRows(
  res: HttpResponse,
  names: readonly string[],
  rows: ReadonlyArray<Record<string, unknown>>,
  format: 'csv' | 'json',
): Promise<void> {
  const bigints = (_k: string, v: unknown) => (typeof v === 'bigint' ? String(v) : v);
  res.write(format === 'json' ? '[' : `${csvRow(names)}\n`);
  for (let at = 0; at < rows.length; at += ROWS_PER_SLICE) {
    const slice = rows.slice(at, at + ROWS_PER_SLICE);
    const text =
      format === 'json'
        ? (at > 0 ? ',' : '') + slice.map((r) => JSON.stringify(r, bigints)).join(',')
        : slice.map((r) => `${csvRow(names.map((n) => r[n]))}\n`).join('');
    if (!res.write(text)) await new Promise<void>((resolve) => res.once('drain', () => resolve()));
    await new Promise((resolve) => setImmediate(resolve));
  }
  res.write(format === 'json' ? ']' : '');
  res.end();
}

async function exportRange(req: HttpRequest, res: HttpResponse): Promise<void> {
  const entry = databaseOr404(req, res);
  if (!entry) return;
  const table = req.params.table!;
  const format = req.query.format === 'jsonl' ? 'jsonl' : req.query.format === 'lp' ? 'lp' : 'csv';
  const options: Parameters<typeof exportTable>[3] = { format };
  for (const end of ['from', 'to'] as const) {
    const raw = req.query[end];
    if (raw === undefined || raw === '') continue;
    const ms = Number(raw);
    if (!Number.isFinite(ms))
      return void res.status(400).json({ message: `"${end}" must be milliseconds since 1970.` });
    options[end] = ms;
  }
  try {
    await entry.controller.use(async (db) => {
      if (!db.schema(table)) throw new Error(`There is no table "${table}".`);
      res.set('Content-Type', format === 'csv' ? 'text/csv; charset=utf-8' : 'text/plain; charset=utf-8');
      res.set('Content-Disposition', `attachment; filename="${table.replace(/[^\w.-]/g, '_')}.${format}"`);
      await exportTable(db, table, res as unknown as import('node:stream').Writable, options);
      res.end();
    });
  } catch (err) {
    if (!res.headersSent) res.status(400).json({ message: asError(err).message });
    else res.end();
  }
}

async function panelAction(req: HttpRequest, res: HttpResponse): Promise<void> {
  const source = panels.get(req.params.panel!);
  const action = source?.actions?.[req.params.action!];
  if (!source || !action) {
    return void res
      .status(404)
      .json({ message: `There is no action "${req.params.action}" on panel "${req.params.panel}".` });
  }
  try {
    res.json({ ok: true, result: (await action(req.body ?? {})) ?? null });
  } catch (err) {
    res.status(400).json({ message: asError(err).message });
  }
}
