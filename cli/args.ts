/** The command line, split into the command, its positional arguments and its --options. */

export interface ParsedArgs {
  command: string | undefined;
  positional: string[];
  options: Map<string, string | true>;
}

/** A mistake on the command line: said in a sentence, with the usage; exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** `--name value`, `--name=value` and bare flags (those in `flags`). */
export function parseArgs(argv: readonly string[], flags: ReadonlySet<string>): ParsedArgs {
  const positional: string[] = [];
  const options = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--') || arg === '--') {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    if (eq >= 0) options.set(name, arg.slice(eq + 1));
    else if (flags.has(name)) options.set(name, true);
    else {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`--${name} needs a value.`);
      options.set(name, value);
      i++;
    }
  }
  return { command: positional.shift(), positional, options };
}

/** A string option, or undefined; a flag given without a value is a mistake. */
export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const value = args.options.get(name);
  if (value === true) throw new UsageError(`--${name} needs a value.`);
  return value;
}

/** One of `choices`, or `fallback` when not given. */
export function choiceOption<T extends string>(
  args: ParsedArgs,
  name: string,
  choices: readonly T[],
  fallback: T,
): T {
  const value = stringOption(args, name) ?? fallback;
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`--${name} must be one of ${choices.join(', ')}; got "${value}".`);
  }
  return value as T;
}

/** A time option: integer milliseconds since 1970 or an ISO-8601 date with a zone. */
export function timeOption(args: ParsedArgs, name: string): number | undefined {
  const value = stringOption(args, name);
  if (value === undefined) return undefined;
  if (/^-?\d+$/.test(value)) return Number(value);
  const ms =
    /(Z|[+-]\d\d:?\d\d)$/.test(value) || /^\d{4}-\d\d-\d\d$/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new UsageError(
      `--${name} "${value}" is not a time: give milliseconds since 1970 or an ISO-8601 time with its zone, ` +
        'e.g. 2026-01-31T12:00:00Z.',
    );
  }
  return ms;
}

/** The positional argument at `index`, or a UsageError naming it. */
export function required(args: ParsedArgs, index: number, what: string): string {
  const value = args.positional[index];
  if (value === undefined) throw new UsageError(`${args.command} needs ${what}.`);
  return value;
}
