/**
 * Did the engine refuse a write because of its readings (InvalidInputError, TypeConflictError),
 * rather than the disk or the database? Those are the message's fault: the writers split the
 * batch to find the bad reading instead of failing every message with it.
 */
export function isInputError(err: unknown): err is Error {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'HELIOS_INVALID_INPUT' || code === 'HELIOS_TYPE_CONFLICT';
}

/** `err` as an Error (anything thrown that is not one becomes one with its text). */
export function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
