/**
 * The `helios` commands. Those that read (tables, stats, query, verify, export) work on a snapshot
 * copy (engine openSnapshot / copySnapshot), so they run while Node-RED holds the database; import
 * writes and so needs the database to itself.
 */
import { createWriteStream, promises as fsp, rmSync } from 'node:fs';
import type { Writable } from 'node:stream';
import {
  copySnapshot,
  type Database,
  LockedError,
  open,
  openSnapshot,
  type Snapshot,
  statementWrites,
  verifyDirectory,
} from '../engine/index';
import { EXPORT_FORMATS, type ExportOptions, exportTable } from '../nodes/lib/transfer/export';
import { formatOf, importText } from '../nodes/lib/transfer/import';
import { PRECISIONS } from '../nodes/lib/transfer/line-protocol';
import { choiceOption, type ParsedArgs, required, stringOption, timeOption, UsageError } from './args';
import { bytesText, formatResult, QUERY_FORMATS, textTable, timeText } from './output';

/** Where a command writes: stdout for results, stderr for progress and notes. */
export interface Io {
  out: Writable;
  err: Writable;
  /** print progress lines (on by default when stderr is a terminal) */
  progress: boolean;
}

/** A command's exit code: 0 done, 1 failed or unsound. */
export type Command = (args: ParsedArgs, io: Io) => Promise<number>;

/** Snapshot copies in use: removed on exit too, should the command end early (a closed pipe). */
const liveCopies = new Set<string>();
process.on('exit', () => {
  for (const dir of liveCopies) rmSync(dir, { recursive: true, force: true });
});

async function withSnapshot<T>(args: ParsedArgs, io: Io, fn: (db: Database) => Promise<T>): Promise<T> {
  const dir = required(args, 0, 'a database directory');
  const tmpDir = stringOption(args, 'tmp');
  const snapshot: Snapshot = await openSnapshot(dir, tmpDir ? { tmpDir } : {});
  liveCopies.add(snapshot.copy.root);
  if (snapshot.copy.heldBy && io.progress) {
    io.err.write(`(${dir} is open in ${snapshot.copy.heldBy}: reading a snapshot of it)\n`);
  }
  try {
    return await fn(snapshot.db);
  } finally {
    await snapshot.close();
    liveCopies.delete(snapshot.copy.root);
  }
}

export const tables: Command = (args, io) =>
  withSnapshot(args, io, async (db) => {
    for (const name of db.tables()) io.out.write(`${name}\n`);
    return 0;
  });

export const stats: Command = (args, io) =>
  withSnapshot(args, io, async (db) => {
    const s = db.stats();
    if (args.options.has('json')) {
      io.out.write(`${JSON.stringify(s, null, 2)}\n`);
      return 0;
    }
    const rows = Object.entries(s.tables).map(([name, t]) => [
      name,
      String(t.rows),
      String(t.series),
      bytesText(t.bytes),
      t.rows > 0 && t.bytes > 0 ? (t.bytes / t.rows).toFixed(2) : '',
      String(t.partitions),
      timeText(t.minTime),
      timeText(t.maxTime),
    ]);
    io.out.write(
      textTable(['table', 'rows', 'series', 'on disk', 'B/row', 'partitions', 'from', 'to'], rows),
    );
    io.out.write(
      `\nWAL ${bytesText(s.walBytes)}, ${s.headRows} rows not yet in segments, last LSN ${s.lastLsn} ` +
        `(checkpoint ${s.checkpointLsn})\n`,
    );
    if (s.quarantined.length > 0) io.out.write(`Quarantined segments:\n  ${s.quarantined.join('\n  ')}\n`);
    return 0;
  });

export const query: Command = (args, io) => {
  const sql = required(args, 1, 'a SQL statement in quotes');
  // a write would change only the snapshot; text that does not parse gets its error from the query
  if (writesOrUnknown(sql) === true) {
    throw new UsageError(
      'helios query reads a snapshot of the database, so it runs SELECT, SHOW, DESCRIBE and EXPLAIN only. ' +
        'To write, use helios import (with Node-RED stopped) or a helios-query node in a flow.',
    );
  }
  const format = choiceOption(args, 'format', QUERY_FORMATS, 'table');
  const maxRows = stringOption(args, 'max-rows');
  return withSnapshot(args, io, async (db) => {
    const result = await db.query(sql, undefined, maxRows ? { maxRows: Number(maxRows) } : {});
    io.out.write(formatResult(result, format));
    return 0;
  });
};

export const verify: Command = async (args, io) => {
  const dir = required(args, 0, 'a database directory');
  const tmpDir = stringOption(args, 'tmp');
  const copy = await copySnapshot(dir, tmpDir ? { tmpDir } : {});
  liveCopies.add(copy.root);
  try {
    const report = await verifyDirectory(copy.root, progressOf(io, 'files'));
    if (args.options.has('json')) io.out.write(`${JSON.stringify(report, null, 2)}\n`);
    else {
      io.out.write(
        `${report.segments} segments (${report.chunks} chunks, ${report.rows} rows), ${report.walFiles} WAL files ` +
          `(${report.walRecords} records), ${bytesText(report.bytes)} checked.\n`,
      );
      for (const p of report.problems) io.out.write(`DAMAGED ${p.file} at byte ${p.offset}: ${p.reason}\n`);
      for (const p of report.notes) io.out.write(`note: ${p.file} at byte ${p.offset}: ${p.reason}\n`);
      io.out.write(report.sound ? 'sound\n' : `NOT sound: ${report.problems.length} problems\n`);
    }
    return report.sound ? 0 : 1;
  } finally {
    await copy.remove();
    liveCopies.delete(copy.root);
  }
};

export const exportCommand: Command = (args, io) => {
  const table = stringOption(args, 'table');
  if (!table) throw new UsageError('export needs --table NAME.');
  const format = choiceOption(args, 'format', EXPORT_FORMATS, 'csv');
  const time = choiceOption(args, 'time', ['ms', 'iso'] as const, 'ms');
  const from = timeOption(args, 'from');
  const to = timeOption(args, 'to');
  const file = stringOption(args, 'out');
  return withSnapshot(args, io, async (db) => {
    const out = file ? createWriteStream(file) : io.out;
    const options: ExportOptions = { format, time, onProgress: progressOf(io, 'rows') };
    if (from !== undefined) options.from = from;
    if (to !== undefined) options.to = to;
    const report = await exportTable(db, table, out, options);
    if (file) await endStream(out);
    if (report.skipped > 0) {
      io.err.write(
        `${report.skipped} rows had no value line protocol can hold (NaN, infinities) and were left out.\n`,
      );
    }
    if (io.progress) io.err.write(`${report.rows} rows exported\n`);
    return 0;
  });
};

export const importCommand: Command = async (args, io) => {
  const dir = required(args, 0, 'a database directory');
  const file = required(args, 1, 'a file to import (.csv, .jsonl or .lp)');
  const format = (stringOption(args, 'format') as ReturnType<typeof formatOf>) ?? formatOf(file);
  if (format !== 'csv' && format !== 'jsonl' && format !== 'lp') {
    throw new UsageError(`Cannot tell the format of ${file}: name it .csv, .jsonl or .lp, or give --format.`);
  }
  const precision = choiceOption(args, 'precision', PRECISIONS, 'ns');
  const tags = (stringOption(args, 'tags') ?? '').split(',').filter((t) => t !== '');
  const text = await fsp.readFile(file, 'utf8');
  let db: Database;
  try {
    db = await open(dir);
  } catch (err) {
    if (err instanceof LockedError) {
      throw new UsageError(
        `${err.message} helios import writes, so it needs the database to itself: stop Node-RED (or disable ` +
          'the flows with this helios-db) and run it again, or send the rows to a helios-store node.',
      );
    }
    throw err;
  }
  try {
    const table = stringOption(args, 'table') ?? singleMeasurement(text, format);
    const report = await importText(db, table, text, {
      format,
      tags,
      precision,
      onProgress: progressOf(io, 'rows'),
    });
    io.out.write(`${report.rows} rows imported into ${table} (${report.replaced} replaced earlier rows)\n`);
    return 0;
  } finally {
    await db.close();
  }
};

function writesOrUnknown(sql: string): boolean | undefined {
  try {
    return statementWrites(sql);
  } catch {
    return undefined;
  }
}

/** Without --table, line protocol's measurement names the table (one per file). */
function singleMeasurement(text: string, format: string): string {
  if (format !== 'lp') throw new UsageError('import needs --table NAME.');
  const first = text.split('\n').find((l) => l.trim() !== '' && !l.startsWith('#'));
  const name = first ? /^((?:\\.|[^, \\])+)/.exec(first)?.[1]?.replace(/\\(.)/g, '$1') : undefined;
  if (!name) throw new UsageError('import needs --table NAME.');
  return name;
}

function endStream(out: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    out.once('error', reject);
    out.end(() => resolve());
  });
}

/** A progress callback that prints at most once a second, when progress is on. */
function progressOf(io: Io, unit: string): ((done: number, total?: number) => void) | undefined {
  if (!io.progress) return undefined;
  let last = 0;
  return (done, total) => {
    const now = Date.now();
    if (now - last < 1000) return;
    last = now;
    io.err.write(total === undefined ? `... ${done} ${unit}\n` : `... ${done} of ${total} ${unit}\n`);
  };
}
