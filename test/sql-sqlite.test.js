// Differential test: the same readings in SQLite (better-sqlite3) and in Helios, a corpus of
// queries run on both, results compared (values, NULLs, integer vs float via typeof, order where
// the query fixes it). Helios answers booleans as true/false where SQLite gives 1/0; they are
// compared as 1/0.
const assert = require('node:assert');
const Database = require('better-sqlite3');
const { runQuery } = require('../dist/engine/query/query');
const { MemoryTarget } = require('./support/memory-target');
const { tempDir } = require('./helpers');

const START = Date.parse('2026-01-01T00:00:00Z');

/** Deterministic readings: 4 sensors on 2 machines, a reading every 30 s, some NULL values. */
function makeReadings() {
  let seed = 42;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const rows = [];
  const sensors = [
    ['s1', 'm1', 'temp'],
    ['s2', 'm1', 'hum'],
    ['s3', 'm2', 'temp'],
    ['s4', 'm2', 'pressure'],
  ];
  for (let i = 0; i < 120; i++) {
    for (const [sensor, machine, kind] of sensors) {
      if (rand() < 0.1) continue;
      const value = rand() < 0.05 ? null : Math.round(rand() * 10000) / 100;
      const n = rand() < 0.05 ? null : Math.floor(rand() * 20) - 5;
      const status = rand() < 0.2 ? 'alarm' : 'ok';
      rows.push({ time: START + i * 30000, sensor, machine, kind, value, n, status });
    }
  }
  return rows;
}

/** [sql, ordered] pairs: ordered means the ORDER BY fixes the row order completely. */
const CORPUS = [
  ['SELECT time, sensor_id, value FROM readings ORDER BY time, sensor_id', true],
  ['SELECT * FROM readings WHERE sensor_id = ? ORDER BY time DESC LIMIT 5', true, ['s2']],
  ["SELECT time, value FROM readings WHERE machine_id = 'm2' AND value > 50 ORDER BY time, value", true],
  [
    'SELECT sensor_id, count(*), count(value), count(n) FROM readings GROUP BY sensor_id ORDER BY sensor_id',
    true,
  ],
  [
    'SELECT sensor_id, sum(n), typeof(sum(n)), avg(n), typeof(avg(n)), total(n) FROM readings GROUP BY sensor_id ORDER BY 1',
    true,
  ],
  [
    'SELECT kind, min(value), max(value), round(avg(value), 6) FROM readings GROUP BY kind ORDER BY kind',
    true,
  ],
  [
    'SELECT machine_id, kind, count(*) FROM readings GROUP BY machine_id, kind ORDER BY machine_id, kind',
    true,
  ],
  ['SELECT count(DISTINCT sensor_id), count(DISTINCT n), sum(DISTINCT n) FROM readings', true],
  ['SELECT n, count(*) FROM readings WHERE n IS NOT NULL GROUP BY n HAVING count(*) > 20 ORDER BY n', true],
  [
    'SELECT n / 3, n % 3, typeof(n / 3), n * 1.5, -n FROM readings WHERE sensor_id = :s ORDER BY time',
    true,
    { s: 's1' },
  ],
  [
    'SELECT value, value IS NULL, n IS NOT NULL FROM readings WHERE sensor_id = $s ORDER BY time',
    true,
    { $s: 's3' },
  ],
  ['SELECT DISTINCT status FROM readings ORDER BY 1', true],
  ['SELECT DISTINCT machine_id, status FROM readings', false],
  [
    'SELECT sensor_id, value FROM readings WHERE value BETWEEN 20 AND 30 ORDER BY value, sensor_id, time',
    true,
  ],
  ['SELECT count(*) FROM readings WHERE n IN (1, 2, 3) OR value < 5', true],
  ['SELECT count(*) FROM readings WHERE n NOT IN (1, 2, 3)', true],
  ["SELECT count(*) FROM readings WHERE sensor_id LIKE 'S%' AND status NOT LIKE '%rm'", true],
  [
    "SELECT time, CASE WHEN value > 75 THEN 'high' WHEN value > 25 THEN 'mid' ELSE 'low' END FROM readings WHERE sensor_id = 's4' ORDER BY time",
    true,
  ],
  [
    'SELECT time, coalesce(value, n, -1), ifnull(n, 0), nullif(n, 0) FROM readings ORDER BY time, sensor_id',
    true,
  ],
  [
    'SELECT abs(n), round(value), round(value, 1), floor(value), ceil(value) FROM readings ORDER BY time, sensor_id',
    true,
  ],
  [
    "SELECT upper(sensor_id), lower('ABC'), length(status), substr(status, 2), sensor_id || '-' || machine_id FROM readings ORDER BY time, sensor_id LIMIT 20",
    true,
  ],
  [
    'SELECT CAST(value AS INTEGER), CAST(n AS REAL), CAST(n AS TEXT), typeof(CAST(n AS REAL)) FROM readings ORDER BY time, sensor_id LIMIT 30',
    true,
  ],
  ['SELECT sensor_id, value FROM readings ORDER BY value DESC, time, sensor_id LIMIT 10 OFFSET 5', true],
  ['SELECT sensor_id, value FROM readings ORDER BY value, time, sensor_id LIMIT 10', true],
  ['SELECT value FROM readings WHERE sensor_id = ? ORDER BY value NULLS LAST, time', true, ['s2']],
  [
    'SELECT (time - ?) / 300000 AS slot, count(*), round(avg(value), 6) FROM readings GROUP BY slot ORDER BY slot',
    true,
    [START],
  ],
  ['SELECT sensor_id, max(time) - min(time), count(*) FROM readings GROUP BY sensor_id ORDER BY 1', true],
  [
    'SELECT a.sensor_id, b.sensor_id, count(*) FROM readings a JOIN readings b ON a.time = b.time AND a.machine_id = b.machine_id AND a.sensor_id < b.sensor_id GROUP BY 1, 2 ORDER BY 1, 2',
    true,
  ],
  [
    "SELECT a.time, a.value, b.value FROM readings a LEFT JOIN readings b ON b.time = a.time AND b.sensor_id = 's4' WHERE a.sensor_id = 's3' ORDER BY a.time",
    true,
  ],
  [
    'SELECT q.sensor_id, q.m FROM (SELECT sensor_id, max(value) AS m FROM readings GROUP BY sensor_id) AS q WHERE q.m > 90 ORDER BY 1',
    true,
  ],
  [
    "SELECT sensor_id FROM readings WHERE status = 'alarm' UNION SELECT machine_id FROM readings ORDER BY 1",
    true,
  ],
  ["SELECT count(*) FROM readings WHERE status = 'alarm' UNION ALL SELECT count(*) FROM readings", false],
  ['SELECT 7 / 2, 7.0 / 2, -7 / 2, 7 % 3, -7 % 3, 5.5 % 2, 1 / 0, 2 * 3.5', true],
  ["SELECT 1 < 2, 'a' < 'b', NULL = NULL, NULL AND 0, NULL OR 1, 3 BETWEEN 1 AND 5", true],
  ["SELECT typeof(1), typeof(1.5), typeof('x'), typeof(NULL), typeof(1 + 1.0), typeof(2 * 3)", true],
  ["SELECT max(1, 2, 3), min('b', 'a'), max(1, NULL), coalesce(NULL, NULL, 'z'), iif(0, 'y', 'n')", true],
  [
    "SELECT substr('abcdef', 2, 3), substr('abcdef', -2), substr('abcdef', 0, 2), substr('abcdef', -2, -1), instr('hello', 'l'), replace('a.b', '.', '::'), trim('  q ')",
    true,
  ],
  [
    "SELECT strftime('%Y-%m-%d %H:%M:%S', 1767225600, 'unixepoch'), datetime(1767225600, 'unixepoch', '+90 minutes'), date('2026-02-28', '+1 day'), unixepoch('2026-01-01 00:00:00'), julianday('2026-01-01')",
    true,
  ],
  [
    "SELECT strftime('%j|%w|%H|%M|%S|%s', '2026-07-04T13:14:15'), datetime('2026-03-31', '-1 month'), datetime('2026-05-17 10:11:12', 'start of day')",
    true,
  ],
  [
    'SELECT sensor_id, group_concat(n) FROM (SELECT sensor_id, n FROM readings WHERE time < ? ORDER BY time) GROUP BY sensor_id ORDER BY 1',
    true,
    [START + 150000],
  ],
  ['SELECT sum(value), total(value), avg(value), count(*) FROM readings WHERE time < 0', true],
  [
    'SELECT sensor_id, count(*) FROM readings WHERE time >= ? AND time < ? GROUP BY sensor_id ORDER BY 1',
    true,
    [START + 600000, START + 1200000],
  ],
  [
    'SELECT time, value FROM readings WHERE sensor_id = ?1 AND time > ?2 ORDER BY time',
    true,
    ['s1', START + 3000000],
  ],
  ['SELECT value * 2 + n, value - n, n * n FROM readings ORDER BY time, sensor_id', true],
  ['SELECT status, count(*) AS c FROM readings GROUP BY status HAVING c > 10 ORDER BY c DESC', true],
  [
    'SELECT machine_id, sum(CASE WHEN status = ? THEN 1 ELSE 0 END) FROM readings GROUP BY machine_id ORDER BY 1',
    true,
    ['alarm'],
  ],
  ['SELECT count(*) FROM readings WHERE NOT (value > 50 AND n < 3)', true],
  [
    'SELECT sensor_id, min(n), max(n), min(status), max(status) FROM readings GROUP BY sensor_id ORDER BY 1',
    true,
  ],
  ['SELECT n, count(*) FROM readings GROUP BY n ORDER BY n', true],
  ['SELECT n FROM readings WHERE sensor_id = ? ORDER BY n DESC, time', true, ['s4']],
];

function normalize(v) {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number' && Object.is(v, -0)) return 0;
  return v;
}

function sameValue(a, b) {
  if (typeof a === 'number' && typeof b === 'number') {
    return a === b || Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  }
  return a === b;
}

function compareResults(sql, ours, theirs, ordered) {
  const oRows = ours.rows.map((r) => ours.columns.map((c) => normalize(r[c.name])));
  const tRows = theirs.rows;
  const key = (row) =>
    JSON.stringify(row.map((v) => (typeof v === 'number' ? Number(v.toPrecision(12)) : v)));
  const a = ordered ? oRows : [...oRows].sort((x, y) => (key(x) < key(y) ? -1 : 1));
  const b = ordered ? tRows : [...tRows].sort((x, y) => (key(x) < key(y) ? -1 : 1));
  assert.strictEqual(
    a.length,
    b.length,
    `row count differs for ${sql}: helios ${a.length}, sqlite ${b.length}`,
  );
  a.forEach((row, i) => {
    row.forEach((v, j) => {
      assert.ok(
        sameValue(v, b[i][j]),
        `row ${i + 1}, column ${j + 1} (${ours.columns[j].name}) differs for ${sql}:\n  helios ${JSON.stringify(v)}\n  sqlite ${JSON.stringify(b[i][j])}`,
      );
    });
  });
}

/** SQLite's view of the same params: integers as BigInt (better-sqlite3 binds big numbers as REAL otherwise). */
function sqliteParams(params) {
  const value = (v) => (typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : v);
  if (!params) return [];
  if (Array.isArray(params)) return params.map(value);
  const out = {};
  for (const [k, v] of Object.entries(params)) out[k.replace(/^[$:@]/, '')] = value(v);
  return out;
}

function loadSqlite(rows) {
  const db = new Database(':memory:');
  db.exec(
    'CREATE TABLE readings (time INTEGER NOT NULL, sensor_id TEXT, machine_id TEXT, kind TEXT, value REAL, n INTEGER, status TEXT)',
  );
  const ins = db.prepare('INSERT INTO readings VALUES (?, ?, ?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (const r of rows) ins.run(r.time, r.sensor, r.machine, r.kind, r.value, r.n, r.status);
  })();
  return db;
}

function toReadings(rows) {
  return rows.map((r) => ({
    time: r.time,
    tags: { sensor_id: r.sensor, machine_id: r.machine, kind: r.kind },
    fields: { value: r.value, n: r.n === null ? null : BigInt(r.n), status: r.status },
  }));
}

function runCorpus(makeTarget) {
  const rows = makeReadings();
  let sqlite;
  let target;
  before(async () => {
    sqlite = loadSqlite(rows);
    target = await makeTarget();
    await target.write('readings', toReadings(rows));
  });
  after(async () => {
    sqlite.close();
    if (target.close) await target.close();
  });
  for (const [sql, ordered, params] of CORPUS) {
    it(sql, async () => {
      const ours = await runQuery(target, sql, params ?? []);
      // better-sqlite3 binds ?1, ?2 only by name; the corpus uses them in order, so plain ? is the same
      const stmt = sqlite.prepare(sql.replace(/\?\d+/g, '?'));
      const theirs = { rows: stmt.raw().all(sqliteParams(params)) };
      compareResults(sql, ours, theirs, ordered);
    });
  }
}

describe('SQL differential test against SQLite (in-memory target)', () => {
  runCorpus(async () => new MemoryTarget({ readings: { n: 'int' } }));
});

/** A real Database as a QueryTarget; `flushed` moves the data from the head into segments first. */
function engineTarget(flushed) {
  return async () => {
    const { open } = require('../dist/engine');
    const db = await open(tempDir('helios-sqlite-diff-'));
    return {
      tables: () => db.tables(),
      schema: (t) => db.schema(t),
      scan: (t, o, c) => db.scan(t, o, c),
      scanParts: (t, o, c) => db.scanParts(t, o, c),
      write: async (t, r) => {
        const res = await db.write(t, r);
        if (flushed) await db.flush();
        return res;
      },
      close: () => db.close(),
    };
  };
}

describe('SQL differential test against SQLite (real Database, data in the head)', () => {
  runCorpus(engineTarget(false));
});

describe('SQL differential test against SQLite (real Database, data in segments)', () => {
  runCorpus(engineTarget(true));
});
