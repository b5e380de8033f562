import { HeliosError } from '../errors';

/** An I/O failure as a sentence for the user; the engine's own errors pass through. */
export function storageError(err: unknown, dir: string): Error {
  if (err instanceof HeliosError || !(err instanceof Error)) return err as Error;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new HeliosError(
      'HELIOS_DISK_FULL',
      `The disk holding ${dir} is full, so the batch was not stored. Free space, or lower retention, then write again.`,
    );
  }
  return new HeliosError(
    'HELIOS_IO',
    `Writing to ${dir} failed (${code ?? err.message}), so the batch was not stored. Check the disk and its permissions.`,
  );
}
