/**
 * One directory, one engine: the `LOCK` file. It is made whole before it appears (written to a
 * temporary file, fsynced, then hard-linked into place, which fails if a LOCK exists), so no
 * engine ever reads a half-written lock and takes it for stale. It is keyed by the directory's
 * realpath, so a symlinked path is the same lock, and `verify()` re-reads it before each flush: a
 * lock that is gone or names another owner stops writes instead of racing another engine.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HeliosError, LockedError } from '../errors';

/** Directories held by engines of this process: a second open in the same process is refused too. */
const heldInThisProcess = new Set<string>();

interface LockOwner {
  pid: number;
  hostname: string;
  since: string;
  /** random per open: tells this engine's lock from a later one of the same pid */
  token?: string;
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The lock's owner; null when there is no lock file; 'garbled' when it names none. */
function readOwner(file: string): LockOwner | null | 'garbled' {
  let text: string;
  try {
    const stat = fs.lstatSync(file);
    if (!stat.isFile()) return 'garbled';
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    return 'garbled';
  }
  try {
    const owner = JSON.parse(text) as LockOwner;
    return owner !== null && typeof owner === 'object' && typeof owner.pid === 'number' ? owner : 'garbled';
  } catch {
    return 'garbled'; // written by something else, or damaged: no engine names itself there
  }
}

function describe(owner: LockOwner): string {
  return `process ${owner.pid} on ${owner.hostname} (since ${owner.since})`;
}

function sameOwner(a: LockOwner, b: LockOwner): boolean {
  return a.pid === b.pid && a.hostname === b.hostname && a.since === b.since && a.token === b.token;
}

/** Writes `owner` to a temporary file beside `file`, fsynced, and links it into place (EEXIST if taken). */
function placeLock(file: string, owner: LockOwner): void {
  const tmp = `${file}.${process.pid}.${owner.token}.tmp`;
  const fd = fs.openSync(tmp, 'wx');
  try {
    fs.writeSync(fd, JSON.stringify(owner));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.linkSync(tmp, file);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/**
 * Moves a stale lock out of the way, checking that what moved is the lock judged stale: when
 * another engine took it over in between, its fresh lock is put back.
 */
function removeStale(file: string, stale: LockOwner | 'garbled'): void {
  const aside = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.stale`;
  try {
    fs.renameSync(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // someone else removed it
    throw err;
  }
  const moved = readOwner(aside);
  const wasStale =
    moved === 'garbled'
      ? stale === 'garbled'
      : moved !== null && stale !== 'garbled' && sameOwner(moved, stale);
  if (!wasStale) {
    try {
      fs.linkSync(aside, file);
    } catch {
      // a third engine placed its own meanwhile: it holds the directory now
    }
  }
  fs.rmSync(aside, { force: true });
}

/** The lock file `LOCK` in a database directory, held while an engine has it open. */
export class DirectoryLock {
  private constructor(
    private readonly dir: string,
    private readonly file: string,
    private readonly owner: LockOwner,
  ) {}

  /**
   * Takes the lock or throws LockedError. A lock left by a dead process on this host, or a lock
   * file that names no owner, is stale and taken over.
   */
  static acquire(dir: string): DirectoryLock {
    const resolved = fs.realpathSync(path.resolve(dir));
    if (heldInThisProcess.has(resolved))
      throw new LockedError(resolved, 'another engine in this Node.js process');
    const file = path.join(resolved, 'LOCK');
    const me: LockOwner = {
      pid: process.pid,
      hostname: os.hostname(),
      since: new Date().toISOString(),
      token: randomBytes(8).toString('hex'),
    };
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        placeLock(file, me);
        heldInThisProcess.add(resolved);
        return new DirectoryLock(resolved, file, me);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const owner = readOwner(file);
      if (owner === null) continue; // released meanwhile: try again
      if (owner !== 'garbled') {
        if (owner.hostname !== me.hostname) throw new LockedError(resolved, describe(owner));
        if (owner.pid !== process.pid && isProcessAlive(owner.pid)) {
          throw new LockedError(resolved, describe(owner));
        }
      }
      // Stale: its process is gone (or it is our own pid from before a restart in a container).
      removeStale(file, owner);
    }
    throw new LockedError(resolved, 'another process that keeps re-taking the lock');
  }

  /**
   * Throws unless the lock file still names this engine (checked before each flush): a lock that
   * was removed or taken by another engine means two engines may write here.
   */
  verify(): void {
    const now = readOwner(this.file);
    if (now !== null && now !== 'garbled' && sameOwner(now, this.owner)) return;
    const who =
      now === null ? 'is gone' : now === 'garbled' ? 'was overwritten' : `now names ${describe(now)}`;
    throw new HeliosError(
      'HELIOS_LOCK_LOST',
      `The lock file ${this.file} ${who}, so another engine may be writing to this database. Writes ` +
        'are stopped to keep both from overwriting each other; close this database (or restart ' +
        'Node-RED) and make sure only one Node-RED uses the folder.',
    );
  }

  release(): void {
    heldInThisProcess.delete(this.dir);
    const owner = readOwner(this.file);
    if (owner !== null && owner !== 'garbled' && sameOwner(owner, this.owner))
      fs.rmSync(this.file, { force: true });
  }
}
