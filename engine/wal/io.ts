/**
 * The file operations the WAL's append and sync paths use, gathered in one object so tests can make
 * a write fail half-way (a full disk) or hold an fsync back (to watch group commit) on real files.
 */
import * as fs from 'node:fs';

export interface WalIo {
  /** Writes bytes at `position`; returns how many were written (may be fewer). Throws on error. */
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number;
  ftruncateSync(fd: number, length: number): void;
  fsync(fd: number): Promise<void>;
  close(fd: number): Promise<void>;
  /** Makes file creations and deletions in `dir` durable. */
  fsyncDir(dir: string): Promise<void>;
}

function callbackToPromise(run: (done: (err: NodeJS.ErrnoException | null) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => run((err) => (err ? reject(err) : resolve())));
}

/** Windows cannot open or fsync a directory; its file system orders metadata itself. */
function isUnsupportedDirSync(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return process.platform === 'win32' && (code === 'EPERM' || code === 'EISDIR' || code === 'EACCES');
}

export async function fsyncDirectory(dir: string): Promise<void> {
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(dir, 'r');
    await handle.sync();
  } catch (err) {
    if (!isUnsupportedDirSync(err)) throw err;
  } finally {
    await handle?.close();
  }
}

export const nodeWalIo: WalIo = {
  writeSync: (fd, buffer, offset, length, position) => fs.writeSync(fd, buffer, offset, length, position),
  ftruncateSync: (fd, length) => fs.ftruncateSync(fd, length),
  fsync: (fd) => callbackToPromise((done) => fs.fsync(fd, done)),
  close: (fd) => callbackToPromise((done) => fs.close(fd, done)),
  fsyncDir: fsyncDirectory,
};
