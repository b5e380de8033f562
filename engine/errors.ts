/**
 * The engine's error hierarchy. Every error carries a stable `code` that callers (the Node-RED nodes,
 * tests) match on, and a message written as a sentence for the person who has to act on it.
 */
/** Most characters of a caller's input an error quotes (a 10 MB payload must not make a 10 MB message). */
export const MAX_QUOTED = 200;

/** Most characters of any error message: a last guard for a quote that was not clipped. */
const MAX_MESSAGE = 4000;

/**
 * `text` as an error quotes it: at most `max` characters, the cut marked with how much was left
 * out (`...(10485560 more characters)`).
 */
export function clipText(text: string, max = MAX_QUOTED): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}...(${text.length - max} more characters)`;
}

export class HeliosError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message.length > MAX_MESSAGE ? clipText(message, MAX_MESSAGE) : message);
    this.name = 'HeliosError';
    this.code = code;
  }
}

/** A caller's mistake: bad argument, bad reading, wrong type for a column. Nothing was changed. */
export class InvalidInputError extends HeliosError {
  constructor(message: string, code = 'HELIOS_INVALID_INPUT') {
    super(code, message);
    this.name = 'InvalidInputError';
  }
}

/** A value's type does not match the column's declared type. Only the offending batch is rejected. */
export class TypeConflictError extends InvalidInputError {
  readonly table: string;
  readonly column: string;
  readonly expected: string;
  readonly given: string;
  constructor(table: string, column: string, expected: string, given: string, where = '') {
    super(
      `Column "${column}" of table "${table}" holds ${expected} values, but ${given} was given${where}. ` +
        `Send ${expected} values for "${column}", or write this value to a new column or table.`,
      'HELIOS_TYPE_CONFLICT',
    );
    this.name = 'TypeConflictError';
    this.table = table;
    this.column = column;
    this.expected = expected;
    this.given = given;
  }
}

/** Bytes on disk are not what they should be. `file` and `offset` say exactly where. */
export class CorruptionError extends HeliosError {
  readonly file: string;
  readonly offset: number;
  constructor(file: string, offset: number, what: string) {
    super('HELIOS_CORRUPTION', `${what} in ${file} at byte ${offset}.`);
    this.name = 'CorruptionError';
    this.file = file;
    this.offset = offset;
  }
}

/** Another live engine (this or another process) holds the database directory. */
export class LockedError extends HeliosError {
  constructor(dir: string, holder: string) {
    super(
      'HELIOS_LOCKED',
      `The database in ${dir} is already open by ${holder}. ` +
        'Use one helios-db config node per data directory, or close the other program first.',
    );
    this.name = 'LockedError';
  }
}

/** The engine was closed (or failed) and takes no more calls. */
export class ClosedError extends HeliosError {
  constructor(message = 'The database is closed. Open it again before writing or reading.') {
    super('HELIOS_CLOSED', message);
    this.name = 'ClosedError';
  }
}

/**
 * Another write changed a table after a transaction read it, so committing would store a result
 * computed from data that is no longer there. Nothing of the transaction was stored; running it
 * again (it reads the new data) is always safe.
 */
export class TransactionConflictError extends HeliosError {
  readonly table: string;
  constructor(table: string) {
    super(
      'HELIOS_TX_CONFLICT',
      `Another write changed table "${table}" after this transaction read it, so COMMIT was refused ` +
        'and nothing of the transaction was stored. Run the transaction again: it will read the new rows.',
    );
    this.name = 'TransactionConflictError';
    this.table = table;
  }
}
