import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LockedError } from '../errors';

/** Directories held by engines of this process: a second open in the same process is refused too. */
const heldInThisProcess = new Set<string>();

interface LockOwner {
  pid: number;
  hostname: string;
  since: string;
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

function readOwner(file: string): LockOwner | null {
  try {
    const owner = JSON.parse(fs.readFileSync(file, 'utf8')) as LockOwner;
    return typeof owner.pid === 'number' ? owner : null;
  } catch {
    return null; // torn or empty lock file: its writer died before finishing it
  }
}

function describe(owner: LockOwner): string {
  return `process ${owner.pid} on ${owner.hostname} (since ${owner.since})`;
}

/** The lock file `LOCK` in a database directory, held while an engine has it open. */
export class DirectoryLock {
  private constructor(
    private readonly dir: string,
    private readonly file: string,
  ) {}

  /**
   * Takes the lock or throws LockedError. A lock left by a dead process on this host (or a torn
   * lock file) is stale and taken over.
   */
  static acquire(dir: string): DirectoryLock {
    const resolved = path.resolve(dir);
    if (heldInThisProcess.has(resolved))
      throw new LockedError(resolved, 'another engine in this Node.js process');
    const file = path.join(resolved, 'LOCK');
    const me: LockOwner = { pid: process.pid, hostname: os.hostname(), since: new Date().toISOString() };
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        fs.writeFileSync(file, JSON.stringify(me), { flag: 'wx' });
        heldInThisProcess.add(resolved);
        return new DirectoryLock(resolved, file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const owner = readOwner(file);
      if (owner && owner.hostname !== me.hostname) throw new LockedError(resolved, describe(owner));
      if (owner && owner.pid !== process.pid && isProcessAlive(owner.pid)) {
        throw new LockedError(resolved, describe(owner));
      }
      // Stale: its process is gone (or it is our own pid from before a restart in a container).
      fs.rmSync(file, { force: true });
    }
    throw new LockedError(resolved, 'another process that keeps re-taking the lock');
  }

  release(): void {
    heldInThisProcess.delete(this.dir);
    const owner = readOwner(this.file);
    if (owner && owner.pid === process.pid) fs.rmSync(this.file, { force: true });
  }
}
