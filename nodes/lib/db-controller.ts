import type { Database, EngineOptions } from '../../engine/index';
import { open } from '../../engine/index';
import { asError } from './errors';
import { RepeatLimiter } from './repeat-limit';

/** What a helios-db config node resolved from its editor settings and TOML file. */
export interface OpenSettings {
  dir: string;
  options: EngineOptions;
}

export type DbState =
  | { kind: 'opening' }
  | { kind: 'open' }
  | { kind: 'error'; error: Error }
  | { kind: 'closing' }
  | { kind: 'closed' };

/** A node that uses the database (helios-store, helios-query...): told when the state changes. */
export interface DbUser {
  readonly id: string;
  dbStateChanged(state: DbState): void;
}

export interface ControllerLog {
  warn(msg: string): void;
  error(msg: string): void;
}

/** An error thrown to a user while the database is closing or failed to open. */
export class DatabaseUnavailableError extends Error {
  readonly code: string;
  constructor(message: string, code = 'HELIOS_UNAVAILABLE') {
    super(message);
    this.name = 'DatabaseUnavailableError';
    this.code = code;
  }
}

/** A failed open is tried again on use, but not more often than this (ms). */
const REOPEN_AFTER_MS = 5000;

/**
 * Closes still running, by directory, in this process. A config node whose close outlived
 * Node-RED's close timeout keeps the directory lock; the next open of that directory waits for it.
 */
const closingDirs = new Map<string, Promise<void>>();

/**
 * Owns one engine for one helios-db config node: opens it when the first user registers, hands it to
 * users' operations through `use`, and closes it last, after every operation in flight has settled.
 */
export class DatabaseController {
  private db: Database | null = null;
  private opening: Promise<Database> | null = null;
  private failedAt = 0;
  private current: DbState = { kind: 'closed' };
  private readonly users = new Map<string, DbUser>();
  /** told of state changes without being a user (never opens the database): metrics, the sidebar */
  private readonly watchers = new Set<(state: DbState) => void>();
  private readonly inflight = new Set<Promise<unknown>>();
  private closing: Promise<void> | null = null;
  private dir: string | null = null;
  /** the same open failure, retried every few seconds, is logged once every 10 minutes */
  private readonly openErrors = new RepeatLimiter(600_000);

  constructor(
    private readonly resolveSettings: () => Promise<OpenSettings>,
    private readonly log: ControllerLog,
  ) {}

  get state(): DbState {
    return this.current;
  }

  /** The open database, if it is open (for status and tests). */
  get database(): Database | null {
    return this.db;
  }

  /** Adds a user and tells it the current state; the first user opens the database. */
  register(user: DbUser): void {
    this.users.set(user.id, user);
    user.dbStateChanged(this.current);
    if (!this.db && !this.opening && !this.closing) this.ensureOpen().catch(() => undefined);
  }

  deregister(user: DbUser): void {
    this.users.delete(user.id);
  }

  /** Calls `fn` on every state change from now on; returns the function that stops it. */
  watch(fn: (state: DbState) => void): () => void {
    this.watchers.add(fn);
    return () => this.watchers.delete(fn);
  }

  /**
   * Runs `fn` with the open database (opening it first if needed). Rejects with
   * DatabaseUnavailableError once closing has begun; tracked so that close waits for it.
   */
  use<T>(fn: (db: Database) => Promise<T>): Promise<T> {
    return this.admit(Promise.resolve(), fn);
  }

  /**
   * Like `use`, but `fn` starts in the next turn of the event loop (so callers can gather work
   * first). Admitted now: a close that begins in between still waits for it.
   */
  useSoon<T>(fn: (db: Database) => Promise<T>): Promise<T> {
    return this.admit(new Promise<void>((resolve) => setImmediate(resolve)), fn);
  }

  private admit<T>(gate: Promise<void>, fn: (db: Database) => Promise<T>): Promise<T> {
    if (this.closing) {
      return Promise.reject(
        new DatabaseUnavailableError(
          'The database is closing (a deploy or shutdown); this message was not stored or queried.',
          'HELIOS_CLOSING',
        ),
      );
    }
    const run = gate
      .then(() => (this.db ? fn(this.db) : this.ensureOpen().then(fn)))
      .finally(() => {
        this.inflight.delete(run);
      });
    this.inflight.add(run);
    return run;
  }

  private setState(state: DbState): void {
    this.current = state;
    for (const user of this.users.values()) user.dbStateChanged(state);
    for (const fn of this.watchers) fn(state);
  }

  private ensureOpen(): Promise<Database> {
    if (this.db) return Promise.resolve(this.db);
    if (this.opening) return this.opening;
    if (this.current.kind === 'error' && Date.now() - this.failedAt < REOPEN_AFTER_MS) {
      return Promise.reject(this.current.error);
    }
    this.setState({ kind: 'opening' });
    this.opening = this.openDatabase().then(
      (db) => {
        this.db = db;
        this.opening = null;
        this.openErrors.reset();
        this.setState({ kind: 'open' });
        return db;
      },
      (err: unknown) => {
        this.opening = null;
        this.failedAt = Date.now();
        const error = asError(err);
        const line = this.openErrors.admit(error.message);
        if (line !== null) this.log.error(line);
        this.setState({ kind: 'error', error });
        throw error;
      },
    );
    return this.opening;
  }

  private async openDatabase(): Promise<Database> {
    const { dir, options } = await this.resolveSettings();
    this.dir = dir;
    const previous = closingDirs.get(dir);
    if (previous) await previous;
    const db = await open(dir, options);
    db.on('background-error', (err: Error) => {
      this.log.warn(`Background flush or compaction failed (it will be retried): ${err.message}`);
    });
    return db;
  }

  /**
   * Waits for operations in flight, then flushes and closes the engine, releasing the directory
   * lock. Idempotent. Never rejects: a failing close is logged (the WAL still has every write).
   */
  close(): Promise<void> {
    if (!this.closing) {
      this.setState({ kind: 'closing' });
      this.closing = this.closeNow();
      const dir = this.dir;
      if (dir) {
        closingDirs.set(dir, this.closing);
        this.closing.finally(() => {
          if (closingDirs.get(dir) === this.closing) closingDirs.delete(dir);
        });
      }
    }
    return this.closing;
  }

  /**
   * `close`, but resolves after `budgetMs` at the latest (telling `onLate`): the close goes on in
   * the background and keeps the directory lock until it is done (the next open waits for it).
   */
  closeWithin(budgetMs: number, onLate: () => void): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        onLate();
        resolve();
      }, budgetMs);
      this.close().then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private async closeNow(): Promise<void> {
    await Promise.allSettled([...this.inflight]);
    const db = this.db ?? (await this.opening?.catch(() => null)) ?? null;
    this.db = null;
    try {
      await db?.close();
    } catch (err) {
      this.log.error(`Closing the database failed: ${asError(err).message}`);
    }
    this.setState({ kind: 'closed' });
  }
}
