/**
 * Row identity benchmark (issue #11), Helios and SQLite side by side in one run:
 * - append ingest: readings without tags (every one a row of its own, many per millisecond) in
 *   batches, the way SQL INSERTs and field objects arrive; readings/s and bytes on disk.
 * - UPDATE of 10,000 rows in a table of `--rows` rows (default 10M): the statement's time, and the
 *   bytes written (/proc/self/io write_bytes) by the statement and by the flush after it. It must
 *   write in proportion to the rows changed, not rewrite partitions.
 *
 *   node bench/identity-bench.js [--rows 10M] [--append 1M] [--batch 1000] [--json out.json]
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseCount, describeMachine } = require('./common');
const { dirSize, readProcIo, ioDelta, sqliteSize, now } = require('./measure');

const START = 1764000000000;
const UPDATED = 10_000;

function parseArgs(argv) {
  const o = { rows: 1e7, append: 1e6, batch: 1000, json: null };
  for (let i = 0; i < argv.length; i++) {
    const v = () => argv[++i];
    if (argv[i] === '--rows') o.rows = parseCount(v());
    else if (argv[i] === '--append') o.append = parseCount(v());
    else if (argv[i] === '--batch') o.batch = parseCount(v());
    else if (argv[i] === '--json') o.json = v();
    else throw new Error(`unknown option ${argv[i]}`);
  }
  return o;
}

/** Reading i: 500 sensors named in a field, 20 readings per millisecond (a burst-heavy feed). */
function reading(i) {
  return {
    time: START + Math.floor(i / 20),
    fields: { sensor_id: `S-${i % 500}`, value: Math.round(Math.sin(i / 50) * 1000) / 100 },
  };
}

/** Writes readings 0..n-1 into Helios's table "append" in batches. */
async function heliosFill(db, n, batchSize) {
  for (let at = 0; at < n; at += batchSize) {
    const batch = [];
    for (let i = at; i < Math.min(n, at + batchSize); i++) batch.push(reading(i));
    await db.write('append', batch);
  }
}

async function heliosAppend(dir, n, batchSize) {
  const { open } = require('../dist/engine');
  const db = await open(dir);
  const t0 = now();
  await heliosFill(db, n, batchSize);
  await db.flush();
  const ms = now() - t0;
  const count = (await db.query('SELECT count(*) AS n FROM append')).rows[0].n;
  await db.close();
  if (count !== n) throw new Error(`Helios kept ${count} of ${n} rows`);
  return { ms, perSecond: (n / ms) * 1000, bytes: dirSize(dir).bytes };
}

function sqliteOpen(file) {
  const Database = require('better-sqlite3');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(
    'CREATE TABLE IF NOT EXISTS append (id INTEGER PRIMARY KEY, timestamp INTEGER, sensor_id TEXT, value REAL);' +
      'CREATE INDEX IF NOT EXISTS idx_append_timestamp ON append (timestamp);',
  );
  return db;
}

/** Writes readings 0..n-1 into SQLite's table "append", one transaction per batch. */
function sqliteFill(db, n, batchSize) {
  const insert = db.prepare('INSERT INTO append (timestamp, sensor_id, value) VALUES (?, ?, ?)');
  const many = db.transaction((from, to) => {
    for (let i = from; i < to; i++) {
      const r = reading(i);
      insert.run(r.time, r.fields.sensor_id, r.fields.value);
    }
  });
  for (let at = 0; at < n; at += batchSize) many(at, Math.min(n, at + batchSize));
}

function sqliteAppend(dir, n, batchSize) {
  const file = path.join(dir, 'append.sqlite');
  const db = sqliteOpen(file);
  const t0 = now();
  sqliteFill(db, n, batchSize);
  db.pragma('wal_checkpoint(TRUNCATE)');
  const ms = now() - t0;
  const count = db.prepare('SELECT count(*) AS n FROM append').get().n;
  db.close();
  if (count !== n) throw new Error(`SQLite kept ${count} of ${n} rows`);
  return { ms, perSecond: (n / ms) * 1000, bytes: sqliteSize(file).bytes };
}

/** The time range holding UPDATED rows in the middle of a table of `rows` rows. */
function updateRange(rows) {
  const first = Math.floor(rows / 2);
  return [START + Math.floor(first / 20), START + Math.floor((first + UPDATED) / 20) - 1];
}

async function heliosUpdate(dir, rows, batchSize) {
  const { open } = require('../dist/engine');
  const db = await open(dir);
  await heliosFill(db, rows, batchSize);
  await db.flush();
  await db.compact(true);
  const [from, to] = updateRange(rows);
  const io0 = readProcIo();
  const t0 = now();
  const result = await db.query('UPDATE append SET value = value + 1 WHERE time >= ? AND time <= ?', [
    from,
    to,
  ]);
  const ms = now() - t0;
  const io1 = readProcIo();
  await db.flush();
  const io2 = readProcIo();
  await db.close();
  return {
    ms,
    changes: result.changes,
    statementBytes: ioDelta(io0, io1)?.write_bytes ?? null,
    flushBytes: ioDelta(io1, io2)?.write_bytes ?? null,
    tableBytes: dirSize(dir).bytes,
  };
}

function sqliteUpdate(dir, rows, batchSize) {
  const file = path.join(dir, 'update.sqlite');
  const db = sqliteOpen(file);
  sqliteFill(db, rows, batchSize);
  db.pragma('wal_checkpoint(TRUNCATE)');
  const [from, to] = updateRange(rows);
  const io0 = readProcIo();
  const t0 = now();
  const changes = db
    .prepare('UPDATE append SET value = value + 1 WHERE timestamp >= ? AND timestamp <= ?')
    .run(from, to).changes;
  const ms = now() - t0;
  const io1 = readProcIo();
  db.pragma('wal_checkpoint(TRUNCATE)');
  const io2 = readProcIo();
  db.close();
  return {
    ms,
    changes,
    statementBytes: ioDelta(io0, io1)?.write_bytes ?? null,
    flushBytes: ioDelta(io1, io2)?.write_bytes ?? null,
    tableBytes: sqliteSize(file).bytes,
  };
}

const fmt = (x, d = 1) => (x === null || x === undefined ? 'n/a' : Number(x).toFixed(d));

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'helios-identity-'));
  const dirs = ['ha', 'sa', 'hu', 'su'].map((d) => {
    fs.mkdirSync(path.join(root, d));
    return path.join(root, d);
  });
  try {
    const out = { machine: describeMachine(path.join(__dirname, '.data')), options: o };
    out.append = {
      helios: await heliosAppend(dirs[0], o.append, o.batch),
      sqlite: sqliteAppend(dirs[1], o.append, o.batch),
    };
    const a = out.append;
    console.log(
      `\n## Row identity (${o.append} appended readings, batches of ${o.batch}; UPDATE of ${UPDATED} in ${o.rows})\n`,
    );
    console.log('| | Helios | SQLite | Helios / SQLite |\n|---|---:|---:|---:|');
    console.log(
      `| append ingest, readings/s | ${fmt(a.helios.perSecond, 0)} | ${fmt(a.sqlite.perSecond, 0)} | ${fmt(a.helios.perSecond / a.sqlite.perSecond, 2)}x |`,
    );
    console.log(
      `| append, bytes on disk per reading | ${fmt(a.helios.bytes / o.append, 2)} | ${fmt(a.sqlite.bytes / o.append, 2)} | ${fmt(a.helios.bytes / a.sqlite.bytes, 3)}x |`,
    );
    out.update = {
      helios: await heliosUpdate(dirs[2], o.rows, 10_000),
      sqlite: sqliteUpdate(dirs[3], o.rows, 10_000),
    };
    const u = out.update;
    console.log(
      `| UPDATE ${UPDATED} rows, ms | ${fmt(u.helios.ms)} | ${fmt(u.sqlite.ms)} | ${fmt(u.helios.ms / u.sqlite.ms, 2)}x |`,
    );
    console.log(`| UPDATE, rows changed | ${u.helios.changes} | ${u.sqlite.changes} | |`);
    console.log(
      `| UPDATE, bytes written by the statement | ${u.helios.statementBytes} | ${u.sqlite.statementBytes} | |`,
    );
    console.log(
      `| bytes written by the flush / checkpoint after it | ${u.helios.flushBytes} | ${u.sqlite.flushBytes} | |`,
    );
    console.log(`| table bytes after | ${u.helios.tableBytes} | ${u.sqlite.tableBytes} | |`);
    if (o.json) fs.writeFileSync(o.json, JSON.stringify(out, null, 2));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
