// Runs the sqllogictest files under test/slt/ (the specification of the SQL dialect) against an
// in-memory QueryTarget and, when the engine opens, against a real Database.
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { runQuery } = require('../dist/engine/query/query');
const { parseInterval } = require('../dist/engine/exec/time');
const { MemoryTarget } = require('./support/memory-target');
const { parseSlt } = require('./slt/parse-slt');
const { tempDir } = require('./helpers');

const SLT_DIR = path.join(__dirname, 'slt');
const DEFAULT_NOW = Date.parse('2026-01-01T00:00:00Z');

function sltFiles(dir) {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory()
        ? sltFiles(path.join(dir, e.name))
        : e.name.endsWith('.slt')
          ? [path.join(dir, e.name)]
          : [],
    )
    .sort();
}

const COMPATIBLE = {
  I: ['int', 'time', 'any'],
  R: ['float', 'any'],
  T: ['string', 'any'],
  B: ['bool', 'any'],
};

/** One value as slt text, by the type letter: I integer, R float with 3 decimals, T text, B true/false. */
function formatValue(v, letter) {
  if (v === null || v === undefined) return 'NULL';
  switch (letter) {
    case 'I':
      if (typeof v !== 'number' || !Number.isInteger(v)) return `<not an integer: ${JSON.stringify(v)}>`;
      return String(v);
    case 'R':
      if (typeof v !== 'number') return `<not a number: ${JSON.stringify(v)}>`;
      return Number.isFinite(v) ? v.toFixed(3) : String(v);
    case 'B':
      return typeof v === 'boolean' ? String(v) : `<not a boolean: ${JSON.stringify(v)}>`;
    default:
      return v === '' ? '(empty)' : String(v);
  }
}

function formatRows(result, types) {
  const lines = result.rows.map((row) => result.columns.map((c, i) => formatValue(row[c.name], types[i])));
  return lines;
}

/** Splits an expected line into values: tabs when present, else runs of spaces; one column: the whole line. */
function splitExpected(line, width) {
  if (width === 1) return [line.replace(/\s+$/, '')];
  return line.includes('\t') ? line.split('\t') : line.trim().split(/\s+/);
}

async function runRecord(rec, state) {
  const options = { now: () => state.now, maxRows: state.maxRows };
  switch (rec.type) {
    case 'load':
      await state.target.write(rec.table, rec.readings);
      return;
    case 'now':
      state.now = rec.value;
      return;
    case 'maxrows':
      state.maxRows = rec.value;
      return;
    case 'only':
      return;
    case 'statement': {
      if (rec.ok) {
        await runQuery(state.target, rec.sql, [], options);
        return;
      }
      await assert.rejects(runQuery(state.target, rec.sql, [], options), (err) => {
        assert.ok(
          err.message.includes(rec.error),
          `expected an error containing ${JSON.stringify(rec.error)}, got: ${err.message}`,
        );
        return true;
      });
      return;
    }
    case 'query': {
      const result = await runQuery(state.target, rec.sql, [], options);
      const types = rec.types.split('');
      assert.strictEqual(
        result.columns.length,
        types.length,
        `query returns ${result.columns.length} columns, the header says ${types.length}`,
      );
      result.columns.forEach((c, i) => {
        assert.ok(
          COMPATIBLE[types[i]]?.includes(c.type) || c.type === 'any',
          `column ${i + 1} (${c.name}) has type ${c.type}, the header says ${types[i]}`,
        );
      });
      let actual = formatRows(result, types).map((r) => r.join(' '));
      let expected = rec.expected.map((l) => splitExpected(l, types.length).join(' '));
      if (rec.sort === 'rowsort') {
        actual = [...actual].sort();
        expected = [...expected].sort();
      }
      assert.deepStrictEqual(actual, expected);
      return;
    }
    default:
      throw new Error(`unknown record ${rec.type}`);
  }
}

function describeFile(file, makeTarget, kind) {
  const rel = path.relative(SLT_DIR, file);
  const records = parseSlt(fs.readFileSync(file, 'utf8'), parseInterval);
  // `only database`: the file runs against that target alone
  if (records.some((r) => r.type === 'only' && r.target !== kind)) return;
  describe(rel, () => {
    const state = { now: DEFAULT_NOW, maxRows: undefined, target: undefined };
    before(async () => {
      state.target = await makeTarget();
    });
    after(async () => {
      if (state.target?.close) await state.target.close();
    });
    for (const rec of records) {
      const title = `line ${rec.line}: ${rec.type}${rec.sql ? ` ${rec.sql.replace(/\s+/g, ' ').slice(0, 90)}` : ''}`;
      it(title, () => runRecord(rec, state));
    }
  });
}

/** A real Database as a QueryTarget (the lead adds these methods to Database; this adapter bridges until then). */
async function openEngineTarget() {
  const { open } = require('../dist/engine');
  const db = await open(tempDir('helios-slt-'));
  const schemaOf = (t) => (typeof db.schema === 'function' ? db.schema(t) : undefined);
  return {
    tables: () => (typeof db.tables === 'function' ? db.tables() : []),
    schema: schemaOf,
    scan: (t, o, c) => db.scan(t, o, c),
    scanParts: (t, o, c) => db.scanParts(t, o, c),
    edgeRows: (t, o, n, c) => db.edgeRows(t, o, n, c),
    write: (t, r) => db.write(t, r),
    writeStored: (t, r) => db.writeStored(t, r),
    begin: () => db.begin(),
    deleteRows: (t, o) => db.deleteRows(t, o),
    dropTable: (t) => db.dropTable(t),
    ...(typeof db.createTable === 'function' ? { createTable: (n, d, o) => db.createTable(n, d, o) } : {}),
    close: () => db.close(),
  };
}

describe('SQL logic tests (in-memory target)', () => {
  for (const file of sltFiles(SLT_DIR)) describeFile(file, async () => new MemoryTarget(), 'memory');
});

describe('SQL logic tests (real Database)', () => {
  for (const file of sltFiles(SLT_DIR)) describeFile(file, openEngineTarget, 'database');
});
