#!/usr/bin/env node
/**
 * The `helios` command line (docs/cli.md): look at, check and move the data of a Helios database
 * directory, also while Node-RED has it open.
 */
import { HeliosError } from '../engine/index';
import { type ParsedArgs, parseArgs, UsageError } from './args';
import * as commands from './commands';

const USAGE = `Usage: helios <command> DIR [options]

  tables DIR                        the tables
  stats DIR [--json]                rows, series, bytes, time range per table; WAL and head
  query DIR "SQL" [--format table|csv|json] [--max-rows N]
                                    a SELECT, SHOW, DESCRIBE or EXPLAIN
  verify DIR [--json]               every CRC and footer; exit code 0 when sound, 1 when not
  export DIR --table T [--from TIME] [--to TIME] [--format csv|jsonl|lp] [--time ms|iso] [--out FILE]
  import DIR FILE.csv|.jsonl|.lp [--table T] [--tags a,b] [--precision ns|us|ms|s]
                                    (needs the database to itself: stop Node-RED first)

  Reading commands work on a snapshot and never write to DIR (--tmp DIR: where the snapshot goes).
  --progress prints progress on stderr (on by default on a terminal).
`;

const COMMANDS: Record<string, commands.Command> = {
  tables: commands.tables,
  stats: commands.stats,
  query: commands.query,
  verify: commands.verify,
  export: commands.exportCommand,
  import: commands.importCommand,
};

const FLAGS = new Set(['json', 'progress', 'help']);

/** Runs one command line; resolves with the exit code. Never throws for a user's mistake. */
export async function main(argv: readonly string[], io: Omit<commands.Io, 'progress'>): Promise<number> {
  let args: ParsedArgs;
  try {
    args = parseArgs(argv, FLAGS);
  } catch (err) {
    io.err.write(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (!args.command || args.command === 'help' || args.options.has('help')) {
    io.out.write(USAGE);
    return args.command || args.options.has('help') ? 0 : 2;
  }
  const command = COMMANDS[args.command];
  if (!command) {
    io.err.write(`There is no command "${args.command}".\n\n${USAGE}`);
    return 2;
  }
  const progress = args.options.has('progress') || (process.stderr.isTTY ?? false);
  try {
    return await command(args, { ...io, progress });
  } catch (err) {
    if (err instanceof UsageError) {
      io.err.write(`${err.message}\n`);
      return 2;
    }
    // the engine's errors and the CLI's own are sentences; anything else is a bug worth its stack
    const known = err instanceof HeliosError || (err instanceof Error && err.name !== 'TypeError');
    io.err.write(`${known ? (err as Error).message : (err as Error).stack}\n`);
    return 1;
  }
}

if (require.main === module) {
  // `helios export ... | head`: the reader left; stop quietly (the exit handler removes the snapshot)
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
  });
  main(process.argv.slice(2), { out: process.stdout, err: process.stderr }).then((code) => {
    process.exitCode = code;
  });
}
