// Fuzzing the SQL door (issue #19, item 8): random text and grammar-built statements go through
// db.query. Every answer is a result or an engine error (a HeliosError with a code and a short
// message); never a RangeError, a TypeError, an exhausted heap or a hang. The number of cases run
// is printed.
const assert = require('node:assert/strict');
const fc = require('fast-check');
const { open, HeliosError } = require('../dist/engine');
const { tempDir } = require('./helpers');

const HANG_MS = 5000;

/** Runs `sql`; fails on anything but a result or a HeliosError, or no answer within HANG_MS. */
async function survives(db, sql, params) {
  let timer;
  const hang = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${HANG_MS} ms: ${sql.slice(0, 200)}`)), HANG_MS);
  });
  try {
    await Promise.race([db.query(sql, params, { timeoutMs: 2000 }), hang]);
    return 'ok';
  } catch (err) {
    if (!(err instanceof HeliosError)) {
      assert.fail(`not an engine error for ${JSON.stringify(sql.slice(0, 300))}: ${err?.stack ?? err}`);
    }
    assert.ok(typeof err.code === 'string' && err.code.startsWith('HELIOS_'), err.code);
    assert.ok(err.message.length <= 4100, `message of ${err.message.length} characters`);
    return 'error';
  } finally {
    clearTimeout(timer);
  }
}

// ---- a small SQL grammar over table t (time, s tag, v float, n int, w text) ----

const column = fc.constantFrom('time', 's', 'v', 'n', 'w', 'nope', '"__proto__"', '"constructor"', 't.v');
const literal = fc.oneof(
  fc.integer().map(String),
  fc.double({ noNaN: true }).map((d) => (Number.isFinite(d) ? String(d) : '1e308')),
  fc.constantFrom(
    'NULL',
    'TRUE',
    "'a'",
    "''",
    "'2024-01-01T00:00:00Z'",
    "'5m'",
    '1e300',
    '-0',
    "'%a%'",
    "'x''y'",
  ),
  fc.string({ maxLength: 8 }).map((s) => `'${s.replaceAll("'", "''")}'`),
);
const param = fc.constantFrom('?', '?1', '?2', '$a', ':b', '$constructor', '@c');
const fn = fc.constantFrom(
  'abs',
  'round',
  'lower',
  'upper',
  'length',
  'substr',
  'coalesce',
  'nullif',
  'time_bucket',
  'strftime',
  'datetime',
  'iso8601',
  'typeof',
  'replace',
  'instr',
  'max',
  'min',
  'count',
  'sum',
  'avg',
  'group_concat',
  'first',
  'last',
  'median',
  'nosuch',
);
const binop = fc.constantFrom(
  '+',
  '-',
  '*',
  '/',
  '%',
  '||',
  '=',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
  'AND',
  'OR',
  'LIKE',
  'GLOB',
  'IS',
);

const { expr } = fc.letrec((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    column,
    literal,
    param,
    fc.tuple(tie('expr'), binop, tie('expr')).map(([a, op, b]) => `${a} ${op} ${b}`),
    tie('expr').map((e) => `(${e})`),
    tie('expr').map((e) => `NOT ${e}`),
    tie('expr').map((e) => `-${e}`),
    fc.tuple(fn, fc.array(tie('expr'), { maxLength: 3 })).map(([f, args]) => `${f}(${args.join(', ')})`),
    fc
      .tuple(tie('expr'), fc.array(tie('expr'), { maxLength: 4 }))
      .map(([e, l]) => `${e} IN (${l.join(', ')})`),
    fc.tuple(tie('expr'), tie('expr'), tie('expr')).map(([a, b, c]) => `${a} BETWEEN ${b} AND ${c}`),
    fc.tuple(tie('expr'), tie('expr')).map(([a, b]) => `CASE WHEN ${a} THEN ${b} ELSE NULL END`),
    fc
      .tuple(tie('expr'), fc.constantFrom('INTEGER', 'REAL', 'TEXT', 'BLOB'))
      .map(([e, t]) => `CAST(${e} AS ${t})`),
    tie('expr').map((e) => `${e} IS NOT NULL`),
  ),
}));

const select = fc
  .record({
    distinct: fc.boolean(),
    items: fc.array(expr, { minLength: 1, maxLength: 3 }),
    from: fc.constantFrom('t', 't a JOIN t b ON a.v = b.v', '(SELECT * FROM t) q', 'nosuch', ''),
    where: fc.option(expr, { nil: undefined }),
    group: fc.option(fc.array(expr, { minLength: 1, maxLength: 2 }), { nil: undefined }),
    having: fc.option(expr, { nil: undefined }),
    order: fc.option(fc.array(expr, { minLength: 1, maxLength: 2 }), { nil: undefined }),
    limit: fc.option(fc.oneof(fc.integer({ min: -5, max: 100 }).map(String), param), { nil: undefined }),
  })
  .map((q) => {
    let sql = `SELECT ${q.distinct ? 'DISTINCT ' : ''}${q.items.join(', ')}`;
    if (q.from) sql += ` FROM ${q.from}`;
    if (q.where) sql += ` WHERE ${q.where}`;
    if (q.group) sql += ` GROUP BY ${q.group.join(', ')}`;
    if (q.having) sql += ` HAVING ${q.having}`;
    if (q.order) sql += ` ORDER BY ${q.order.join(', ')}`;
    if (q.limit) sql += ` LIMIT ${q.limit}`;
    return sql;
  });

const statement = fc.oneof(
  { weight: 6, arbitrary: select },
  fc.tuple(select, select).map(([a, b]) => `${a} UNION ALL ${b}`),
  fc.tuple(expr, expr).map(([a, b]) => `INSERT INTO t (time, s, v) VALUES (${a}, 'k', ${b})`),
  expr.map((e) => `UPDATE t SET v = ${e} WHERE s = 'zz'`),
  expr.map((e) => `DELETE FROM t WHERE s = 'zz' AND ${e}`),
  expr.map((e) => `EXPLAIN SELECT ${e} FROM t`),
  fc.constantFrom(
    'SHOW TABLES',
    'DESCRIBE t',
    'BEGIN; SELECT 1; COMMIT',
    'CREATE TABLE c (x INTEGER CHECK (x > 0))',
  ),
);

const params = fc.oneof(
  fc.constant(undefined),
  fc.array(
    fc.oneof(fc.integer(), fc.string({ maxLength: 5 }), fc.constant(null), fc.boolean(), fc.double()),
    { maxLength: 3 },
  ),
  fc.record({ a: fc.anything(), b: fc.string(), c: fc.bigInt() }, { requiredKeys: [] }),
  fc.anything(),
);

/** SQL-ish text: tokens of the dialect glued at random, with stray quotes and brackets. */
const tokenSoup = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        'SELECT',
        'FROM',
        'WHERE',
        'GROUP',
        'BY',
        'ORDER',
        'LIMIT',
        'JOIN',
        'ON',
        'UNION',
        'ALL',
        'INSERT',
        'INTO',
        'VALUES',
        'DELETE',
        'UPDATE',
        'SET',
        'CREATE',
        'TABLE',
        'DROP',
        'BEGIN',
        'COMMIT',
        'CASE',
        'WHEN',
        'END',
        '(',
        ')',
        ',',
        ';',
        '*',
        "'",
        '"',
        '[',
        ']',
        '--',
        '/*',
        '*/',
        '?',
        '$',
        ':',
        '@',
        '::',
        't',
        'v',
        '1',
        '1e999',
        '0x',
        'NULL',
        'NOT',
        'IN',
        'LIKE',
        'GLOB',
        'IS',
        'AS',
        'EXPLAIN',
        '\u0000',
        '\uD800',
        '😀',
      ),
      fc.string({ maxLength: 6 }),
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(' '));

describe('fuzz: SQL text (#19)', function () {
  this.timeout(60000);
  let db;
  before(async () => {
    db = await open(tempDir('helios-fuzz-sql-'));
    const rows = [];
    for (let i = 0; i < 200; i++) {
      rows.push({
        time: 1764000000000 + i * 1000,
        tags: { s: `k${i % 4}` },
        fields: { v: i / 4, n: BigInt(i), w: `w${i}` },
      });
    }
    await db.write('t', rows);
  });
  after(() => db.close());

  it('random text: 0 crashes, 0 hangs, every error an engine error', async () => {
    const counts = { ok: 0, error: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 100 }), tokenSoup),
        async (sql) => {
          counts[await survives(db, sql)]++;
        },
      ),
      { numRuns: 1500 },
    );
    console.log(
      `      random SQL text: ${counts.ok + counts.error} cases (${counts.ok} ran, ${counts.error} refused)`,
    );
  });

  it('grammar-built statements with random parameters: 0 crashes, 0 hangs, every error an engine error', async () => {
    const counts = { ok: 0, error: 0 };
    await fc.assert(
      fc.asyncProperty(statement, params, async (sql, p) => {
        counts[await survives(db, sql, p)]++;
      }),
      { numRuns: 1200 },
    );
    console.log(
      `      grammar SQL: ${counts.ok + counts.error} cases (${counts.ok} ran, ${counts.error} refused)`,
    );
    assert.ok(counts.ok > 50, `only ${counts.ok} statements ran: the grammar is not exercising the executor`);
  });

  it('hostile shapes: deep, long and huge texts are engine errors', async () => {
    const shapes = [
      `SELECT ${'('.repeat(20000)}`,
      `SELECT ${'abs('.repeat(5000)}1`,
      `SELECT 1 ${'OR 1 '.repeat(20000)}`,
      `SELECT '${"''".repeat(300000)}'`,
      `SELECT ${'1,'.repeat(200000)}1`,
      `${'SELECT 1 UNION '.repeat(1000)}SELECT 1`,
      `SELECT * FROM t WHERE w IN (${Array.from({ length: 50000 }, (_, i) => `'w${i}'`).join(',')})`,
      '/*'.repeat(100000),
      `SELECT ${'x'.repeat(2 * 1024 * 1024)}`,
    ];
    for (const sql of shapes) await survives(db, sql);
    console.log(`      hostile shapes: ${shapes.length} cases`);
  });
});
