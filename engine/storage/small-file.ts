/**
 * The small JSON files of a database directory (CHECKPOINT, CURSORS, TABLES, TOMBSTONES,
 * DOWNSAMPLE). Each is written atomically, so damage means bit rot, a hand edit or a restore gone
 * wrong; it is never read past: a file that is not a regular file (a folder, a FIFO, a symlink) is
 * not opened, and one that is not the JSON it should be gives a CorruptionError that names it.
 */
import { promises as fsp } from 'node:fs';
import { CorruptionError } from '../errors';

/** A small file that is not what it should be: `reason` says what is wrong, the message also what to do. */
export class SmallFileError extends CorruptionError {
  constructor(
    file: string,
    readonly reason: string,
    help: string,
  ) {
    super(file, 0, reason);
    this.message = `The file ${file} is damaged: ${reason}. ${help}`;
  }
}

/**
 * The parsed content of `file`, or null when it does not exist. `shape` checks the parsed value
 * (`expected` says what it should be); `help` is the sentence that says what to do.
 */
export async function readSmallJson(
  file: string,
  shape: (value: unknown) => boolean,
  expected: string,
  help: string,
): Promise<unknown | null> {
  let stat: import('node:fs').Stats;
  try {
    stat = await fsp.lstat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new SmallFileError(file, describeError(err), help);
  }
  if (!stat.isFile()) throw new SmallFileError(file, `it is not a regular file but ${kindOf(stat)}`, help);
  let value: unknown;
  try {
    value = JSON.parse(await fsp.readFile(file, 'utf8'));
  } catch (err) {
    throw new SmallFileError(file, `it is not valid JSON (${describeError(err)})`, help);
  }
  if (!shape(value)) throw new SmallFileError(file, `it does not hold ${expected}`, help);
  return value;
}

/** A plain JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function kindOf(stat: import('node:fs').Stats): string {
  if (stat.isDirectory()) return 'a folder';
  if (stat.isSymbolicLink()) return 'a symbolic link';
  if (stat.isFIFO()) return 'a FIFO';
  return 'a device or socket';
}

function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
