/**
 * The health check: 200 when every database is open and writable, 503 with the reasons otherwise.
 * Writable: open, and its last flush did not fail (a full or read-only disk shows there first).
 * A helios-db no node uses yet is idle, not unhealthy: it opens when the first node needs it.
 */
import {
  type DatabaseRegistry,
  databases as processDatabases,
  type RegisteredDatabase,
} from '../admin/registry';

export interface DatabaseHealth {
  id: string;
  db: string;
  state: string;
  ok: boolean;
  reason: string | null;
}

export interface Health {
  status: 200 | 503;
  body: { status: 'ok' | 'unhealthy'; databases: DatabaseHealth[] };
}

export function healthOf(databases: DatabaseRegistry = processDatabases): Health {
  const list = databases.list().map(healthOfEntry);
  const ok = list.every((d) => d.ok);
  return { status: ok ? 200 : 503, body: { status: ok ? 'ok' : 'unhealthy', databases: list } };
}

function healthOfEntry(entry: RegisteredDatabase): DatabaseHealth {
  const state = entry.controller.state;
  const base = { id: entry.id, db: entry.label, state: state.kind };
  switch (state.kind) {
    case 'open': {
      const failing = entry.controller.database?.stats().work.flushError ?? null;
      return failing
        ? { ...base, ok: false, reason: `flushing to disk fails: ${failing}` }
        : { ...base, ok: true, reason: null };
    }
    case 'closed':
      return { ...base, state: 'idle', ok: true, reason: null };
    case 'opening':
      return { ...base, ok: false, reason: 'still opening (replaying its write-ahead log)' };
    case 'closing':
      return { ...base, ok: false, reason: 'closing (a deploy or a shutdown)' };
    case 'error':
      return { ...base, ok: false, reason: `cannot be opened: ${state.error.message}` };
  }
  return { ...base, ok: false, reason: 'in an unknown state' };
}
