import { promises as fsp } from 'node:fs';
import * as path from 'node:path';

/** fsync a directory so that files created, renamed or deleted in it survive power loss. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await fsp.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Creates `dir` and any missing parents, and makes their names durable: each parent of a created
 * directory is fsynced, so a power cut cannot lose a directory that holds a durable file.
 */
export async function mkdirDurable(dir: string): Promise<void> {
  const first = await fsp.mkdir(dir, { recursive: true });
  if (first === undefined) return;
  let current = dir;
  while (current.length >= first.length) {
    const parent = path.dirname(current);
    await fsyncDir(parent);
    if (parent === current) break;
    current = parent;
  }
}

/** Writes `data` to `file` atomically: temp file, fsync, rename, fsync the directory. */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${file}.tmp`;
  const handle = await fsp.open(tmp, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fsp.rename(tmp, file);
  await fsyncDir(path.dirname(file));
}

/** Total bytes of the regular files under `dir` (0 if it does not exist). */
export async function directoryBytes(dir: string): Promise<number> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  let total = 0;
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += await directoryBytes(full);
    else if (entry.isFile()) total += (await fsp.stat(full)).size;
  }
  return total;
}

/** Resolves on the next turn of the event loop, so long work lets other callbacks run. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Cooperative time slicing: call `maybeYield()` inside a long loop; it yields to the event loop
 * once `sliceMs` of synchronous work has passed since the last yield. `due()` says whether it
 * would, for loops that want to finish a unit of work first. The one slicer of the engine.
 */
export class TimeSlicer {
  private started = performance.now();
  constructor(private readonly sliceMs = 5) {}

  /** True when the current slice is used up (`maybeYield` would yield now). */
  due(): boolean {
    return performance.now() - this.started >= this.sliceMs;
  }

  /** Yields when the slice is used up, or now when `force` (a loop that counts its own work). */
  async maybeYield(force = false): Promise<void> {
    if (!force && performance.now() - this.started < this.sliceMs) return;
    await yieldToEventLoop();
    this.started = performance.now();
  }
}
