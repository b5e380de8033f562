// SQL layer tests beyond the .slt specification: parameters, the row cap, streaming, yielding to the
// event loop, pushdown into scan options, error format, and the printer/parser round trip.
const assert = require('node:assert');
const fc = require('fast-check');
const { runQuery, iterateQuery } = require('../dist/engine/query/query');
const { parse, parseExpression, parseScript } = require('../dist/engine/sql/parser');
const { printStatement, printExpr } = require('../dist/engine/sql/printer');
const A = require('../dist/engine/sql/ast');
const { SCALAR_FUNCTIONS, AGGREGATE_FUNCTIONS } = require('../dist/engine/plan/functions');
const { SCALAR_IMPLS } = require('../dist/engine/exec/scalar');
const { AGGREGATE_NAMES } = require('../dist/engine/exec/aggregates');
const { editDistance } = require('../dist/engine/sql/errors');
const { MemoryTarget } = require('./support/memory-target');

const T0 = Date.parse('2026-01-01T00:00:00Z');

async function fixture(n = 20, chunkRows = 3) {
  const t = new MemoryTarget();
  t.chunkRows = chunkRows;
  const readings = [];
  for (let i = 0; i < n; i++) {
    readings.push({
      time: T0 + i * 1000,
      tags: { sensor_id: i % 2 ? 's1' : 's2', line: 'l1' },
      fields: { value: i },
    });
  }
  await t.write('readings', readings);
  t.scans.length = 0;
  return t;
}

describe('sql: parameters', () => {
  it('binds ?, ?N, $name, :name and @name, never splicing them into the text', async () => {
    const t = await fixture();
    const q = (sql, params) => runQuery(t, sql, params).then((r) => r.rows.map((row) => row.value));
    assert.deepStrictEqual(
      await q('SELECT value FROM readings WHERE value < ? AND sensor_id = ? ORDER BY value', [4, 's1']),
      [1, 3],
    );
    assert.deepStrictEqual(
      await q('SELECT value FROM readings WHERE value < ?2 AND value > ?1 ORDER BY value', [1, 4]),
      [2, 3],
    );
    assert.deepStrictEqual(await q('SELECT value FROM readings WHERE value = $v', { v: 5 }), [5]);
    assert.deepStrictEqual(await q('SELECT value FROM readings WHERE value = :v', { ':v': 6 }), [6]);
    assert.deepStrictEqual(await q('SELECT value FROM readings WHERE value = @v', { v: 7 }), [7]);
    // a value that would change the query if it were spliced into the text
    assert.deepStrictEqual(
      await q('SELECT value FROM readings WHERE sensor_id = ?', ["s1' OR '1' = '1"]),
      [],
    );
  });

  it('with strictParams, refuses more array parameters than placeholders, naming both counts', async () => {
    const t = await fixture();
    const strict = { strictParams: true };
    await assert.rejects(runQuery(t, 'SELECT value FROM readings WHERE sensor_id = ?', ['s3', 1], strict), {
      code: 'HELIOS_SQL_PARAM',
      message: /has 1 placeholder \(\?, \?1, \$1\), but 2 parameters were given/,
    });
    await assert.rejects(runQuery(t, 'SELECT 1 AS one', [5], strict), /has no placeholder/);
    // ?2 takes two values, and an object may hold more than the names used
    assert.equal((await runQuery(t, 'SELECT ?2 AS v', [1, 2], strict)).rows[0].v, 2);
    assert.equal((await runQuery(t, 'SELECT $a AS v', { a: 1, b: 2 }, strict)).rows[0].v, 1);
    // without strictParams (the engine's default) extra values are left unused
    assert.equal((await runQuery(t, 'SELECT 1 AS one', [5])).rows[0].one, 1);
  });

  it('takes Dates, booleans, null and integer vs float numbers with their SQL types', async () => {
    const t = await fixture();
    const r = await runQuery(t, 'SELECT ? AS a, ? AS b, ? AS c, ? AS d, ? / 2 AS e, ? / 2 AS f', [
      new Date(T0),
      true,
      null,
      'x',
      7,
      7.5,
    ]);
    assert.deepStrictEqual(r.rows, [{ a: T0, b: true, c: null, d: 'x', e: 3, f: 3.75 }]);
    assert.deepStrictEqual(
      r.columns.map((c) => c.type),
      ['time', 'bool', 'any', 'string', 'int', 'float'],
    );
  });

  it('says which parameter is missing', async () => {
    const t = await fixture();
    await assert.rejects(
      runQuery(t, 'SELECT * FROM readings WHERE value = ? OR value = ?', [1]),
      /parameter \? number 2/,
    );
    await assert.rejects(
      runQuery(t, 'SELECT * FROM readings WHERE value = $limt', { limit: 1 }),
      /parameter \$limt[\s\S]*Did you mean "limit"\?/,
    );
    await assert.rejects(
      runQuery(t, 'SELECT ?', [{ a: 1 }]),
      /Parameter \? is of type object, which SQL cannot use/,
    );
  });
});

describe('sql: limits, streaming and the event loop', () => {
  it('fails with a sentence when the result passes maxRows', async () => {
    const t = await fixture(50);
    await assert.rejects(runQuery(t, 'SELECT * FROM readings', [], { maxRows: 10 }), (err) => {
      assert.strictEqual(err.code, 'HELIOS_SQL_TOO_MANY_ROWS');
      assert.match(err.message, /more than 10 rows/);
      assert.match(err.message, /add a time range/);
      return true;
    });
    // an aggregate over more rows than the cap is fine: it holds only its groups
    const r = await runQuery(t, 'SELECT count(*) AS n FROM readings', [], { maxRows: 10 });
    assert.strictEqual(r.rows[0].n, 50);
    // ORDER BY with LIMIT keeps only the top rows
    const top = await runQuery(t, 'SELECT value FROM readings ORDER BY value DESC LIMIT 3', [], {
      maxRows: 10,
    });
    assert.deepStrictEqual(
      top.rows.map((x) => x.value),
      [49, 48, 47],
    );
    // a join's output streams to the aggregate: 50 x 50 rows, never held at once
    const joined = await runQuery(
      t,
      'SELECT count(*) AS n, sum(a.value) AS s FROM readings a CROSS JOIN readings b',
      [],
      { maxRows: 60 },
    );
    assert.deepStrictEqual(joined.rows, [{ n: 2500, s: 50 * 1225 }]);
    // ORDER BY without LIMIT would hold everything
    await assert.rejects(
      runQuery(t, 'SELECT value FROM readings ORDER BY value', [], { maxRows: 10 }),
      /rows to sort/,
    );
  });

  it('iterateQuery streams a big result in batches, past maxRows', async () => {
    const t = await fixture(3000, 500);
    let rows = 0;
    let batches = 0;
    for await (const batch of iterateQuery(t, 'SELECT time, value FROM readings', [], { maxRows: 100 })) {
      rows += batch.length;
      batches++;
      assert.ok(batch.length > 0);
    }
    assert.strictEqual(rows, 3000);
    assert.ok(batches >= 6, `expected several batches, got ${batches}`);
  });

  it('stops scanning once LIMIT is met', async () => {
    const t = await fixture(1000, 100);
    const r = await runQuery(t, 'SELECT value FROM readings LIMIT 5');
    assert.strictEqual(r.rows.length, 5);
    assert.ok(r.stats.rowsScanned < 1000, `scanned ${r.stats.rowsScanned}`);
  });

  it('lets other callbacks run during a long query', async () => {
    const t = await fixture(200_000, 4096);
    let turns = 0;
    let running = true;
    const spin = () => {
      if (!running) return;
      turns++;
      setImmediate(spin);
    };
    setImmediate(spin);
    const r = await runQuery(
      t,
      'SELECT sensor_id, count(*) AS n, avg(value) AS a FROM readings GROUP BY sensor_id ORDER BY 1',
    );
    running = false;
    assert.deepStrictEqual(
      r.rows.map((x) => x.n),
      [100_000, 100_000],
    );
    assert.ok(turns > 1, `the event loop ran ${turns} times during the query`);
  });
});

describe('sql: pushdown into the scan', () => {
  it('passes time ranges (ISO text, BETWEEN, now() - INTERVAL) and tag equalities to scan', async () => {
    const t = await fixture();
    const scanOf = async (sql) => {
      t.scans.length = 0;
      await runQuery(t, sql, [], { now: () => T0 + 10_000 });
      return t.scans.map((s) => s.options);
    };
    assert.deepStrictEqual(
      await scanOf(
        "SELECT * FROM readings WHERE sensor_id = 's1' AND time >= '2026-01-01T00:00:05Z' AND time < '2026-01-01T00:00:08Z'",
      ),
      [{ from: T0 + 5000, to: T0 + 7999, tags: { sensor_id: 's1' } }],
    );
    assert.deepStrictEqual(
      await scanOf("SELECT * FROM readings WHERE time BETWEEN 100 AND 200 AND 'l1' = line"),
      [{ from: 100, to: 200, tags: { line: 'l1' } }],
    );
    assert.deepStrictEqual(await scanOf("SELECT * FROM readings WHERE time > now() - INTERVAL '2 seconds'"), [
      { from: T0 + 8001 },
    ]);
    assert.deepStrictEqual(await scanOf("SELECT * FROM readings WHERE sensor_id = 's1' OR time > 5"), [{}]);
    // a tag IN list scans once per value; an equality on the same tag narrows it
    assert.deepStrictEqual(
      await scanOf("SELECT * FROM readings WHERE sensor_id IN ('s2', 's1', 's9') AND time <= 5"),
      [
        { to: 5, tags: { sensor_id: 's1' } },
        { to: 5, tags: { sensor_id: 's2' } },
        { to: 5, tags: { sensor_id: 's9' } },
      ],
    );
    assert.deepStrictEqual(
      await scanOf("SELECT * FROM readings WHERE sensor_id IN ('s2', 's1') AND sensor_id = 's2'"),
      [{ tags: { sensor_id: 's2' } }],
    );
    assert.deepStrictEqual(
      await scanOf("SELECT * FROM readings WHERE sensor_id IN ('s2', 's1') AND sensor_id IN ('s3')"),
      [],
    );
    // contradictions scan nothing at all
    assert.deepStrictEqual(await scanOf('SELECT * FROM readings WHERE time > 10 AND time < 5'), []);
  });

  it('gives the same rows with pushdown as without (a filter the planner cannot push)', async () => {
    const t = await fixture(40);
    const pushed = await runQuery(
      t,
      "SELECT time, value FROM readings WHERE time >= ? AND time < ? AND sensor_id = 's1' ORDER BY time",
      [T0 + 5000, T0 + 30000],
    );
    const notPushed = await runQuery(
      t,
      "SELECT time, value FROM readings WHERE (time >= ? OR 1 = 0) AND (time < ? OR 1 = 0) AND (sensor_id = 's1' OR 1 = 0) ORDER BY time",
      [T0 + 5000, T0 + 30000],
    );
    assert.ok(pushed.rows.length > 0);
    assert.deepStrictEqual(pushed.rows, notPushed.rows);
    assert.ok(pushed.stats.rowsScanned < notPushed.stats.rowsScanned);
  });
});

describe('sql: pushdown property', () => {
  it('random time ranges and tag filters give the same rows with pushdown on and off', async () => {
    const t = new MemoryTarget();
    t.chunkRows = 7;
    const readings = [];
    for (let i = 0; i < 200; i++) {
      readings.push({ time: i * 10, tags: { s: `s${i % 3}`, m: `m${i % 2}` }, fields: { v: i % 17 } });
    }
    await t.write('r', readings);
    const bound = fc.tuple(fc.constantFrom('>', '>=', '<', '<=', '='), fc.integer({ min: -20, max: 2020 }));
    await fc.assert(
      fc.asyncProperty(
        fc.array(bound, { maxLength: 3 }),
        fc.option(fc.constantFrom('s0', 's1', 's2', 's9'), { nil: undefined }),
        fc.option(fc.constantFrom('m0', 'm1'), { nil: undefined }),
        fc.option(fc.subarray(['s0', 's1', 's2', 's7'], { minLength: 2 }), { nil: undefined }),
        async (bounds, s, m, list) => {
          const terms = bounds.map(([op, x]) => `time ${op} ${x}`);
          if (list) terms.push(`s IN (${list.map((x) => `'${x}'`).join(', ')})`);
          if (s) terms.push(`s = '${s}'`);
          if (m) terms.push(`'${m}' = m`);
          const where = terms.length ? `WHERE ${terms.join(' AND ')}` : '';
          // "OR 1 = 0" keeps each term's meaning but hides it from pushdown
          const hidden = terms.length ? `WHERE ${terms.map((x) => `(${x} OR 1 = 0)`).join(' AND ')}` : '';
          const a = await runQuery(t, `SELECT time, s, m, v FROM r ${where} ORDER BY time`);
          const b = await runQuery(t, `SELECT time, s, m, v FROM r ${hidden} ORDER BY time`);
          assert.deepStrictEqual(a.rows, b.rows);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('sql: fused scan operators', () => {
  it('aggregates, DISTINCT ON and projections over a scan equal the generic operators', async () => {
    const aggs = [
      'count(*)',
      'count(v)',
      'sum(v)',
      'avg(v)',
      'min(v)',
      'max(v)',
      'first(v, time)',
      'last(v, time)',
      'sum(n)',
      'max(time)',
      'count(DISTINCT v)',
      'stddev(v)',
    ];
    const groupings = ['', 's', "time_bucket('30ms', time)", 's, time_bucket(25, time, 5)', 'm, s', 'v > 3'];
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            t: fc.integer({ min: 0, max: 300 }),
            s: fc.constantFrom('a', 'b', 'c'),
            m: fc.constantFrom('x', 'y'),
            v: fc.option(fc.integer({ min: -5, max: 9 }), { nil: null }),
            n: fc.option(fc.integer({ min: 0, max: 3 }), { nil: null }),
          }),
          { maxLength: 60 },
        ),
        fc.subarray(aggs, { minLength: 1, maxLength: 4 }),
        fc.constantFrom(...groupings),
        fc.constantFrom('', 'WHERE v > 0', "WHERE s = 'a'", 'WHERE time < 150', "WHERE m IN ('x', 'q')"),
        fc.integer({ min: 1, max: 5 }),
        async (rows, chosen, groupBy, where, chunkRows) => {
          const t = new MemoryTarget({ r: { n: 'int' } });
          t.chunkRows = chunkRows;
          await t.write(
            'r',
            rows.map((x) => ({
              time: x.t,
              tags: { s: x.s, m: x.m },
              fields: { v: x.v === null ? null : x.v + 0.5, n: x.n === null ? null : BigInt(x.n) },
            })),
          );
          // one reading with every column, so the schema is whole even for no generated rows
          await t.write('r', [{ time: 1000, tags: { s: 'd', m: 'z' }, fields: { v: 1.5, n: 1n } }]);
          const cols = groupBy ? `${groupBy}, ${chosen.join(', ')}` : chosen.join(', ');
          const tail = `${where}${groupBy ? ` GROUP BY ${groupBy}` : ''}`;
          const sort = (r) => r.rows.map((x) => JSON.stringify(Object.values(x))).sort();
          const fused = await runQuery(t, `SELECT ${cols} FROM r ${tail}`);
          const generic = await runQuery(t, `SELECT ${cols} FROM (SELECT * FROM r) q ${tail}`);
          assert.deepStrictEqual(sort(fused), sort(generic));
          const latest = `SELECT DISTINCT ON (s) s, time, v FROM %FROM% ${where} ORDER BY s, time DESC`;
          const a = await runQuery(t, latest.replace('%FROM%', 'r'));
          const b = await runQuery(t, latest.replace('%FROM%', '(SELECT * FROM r) q'));
          assert.deepStrictEqual(a.rows, b.rows);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('sql: errors', () => {
  it('points at the line and column with the source line and a caret', async () => {
    const t = await fixture();
    await assert.rejects(runQuery(t, 'SELECT value\nFROM readings\nWHERE valeu > 3'), (err) => {
      assert.strictEqual(err.code, 'HELIOS_SQL_BIND');
      assert.strictEqual(
        err.message,
        'There is no column "valeu" at line 3, column 7:\n  WHERE valeu > 3\n        ^\nDid you mean "value"?',
      );
      assert.strictEqual(err.offset, 33);
      return true;
    });
    await assert.rejects(runQuery(t, 'SELECT * FORM readings'), (err) => {
      assert.strictEqual(err.code, 'HELIOS_SQL_SYNTAX');
      assert.match(err.message, /^Expected the end of the statement, found "FORM" at line 1, column 10:/);
      assert.match(err.message, /Did you mean FROM instead of "FORM"\?/);
      return true;
    });
  });

  it('counts a swap of two letters as one edit', () => {
    assert.strictEqual(editDistance('valeu', 'value'), 1);
    assert.strictEqual(editDistance('SELCT', 'select'), 1);
    assert.strictEqual(editDistance('abc', 'xyz'), 3);
  });
});

describe('sql: function catalog', () => {
  it('implements every function the binder knows', () => {
    const mapped = new Set(['date_bin', 'time_bucket_gapfill', 'now']);
    for (const name of Object.keys(SCALAR_FUNCTIONS)) {
      if (mapped.has(name)) continue;
      assert.ok(
        name in SCALAR_IMPLS || ['coalesce', 'ifnull', 'iif'].includes(name),
        `no implementation of ${name}`,
      );
    }
    assert.deepStrictEqual([...AGGREGATE_NAMES].sort(), Object.keys(AGGREGATE_FUNCTIONS).sort());
  });
});

// ---- printer/parser round trip ----

const identArb = fc.constantFrom(
  'a',
  'value',
  'sensor_id',
  'time',
  'select',
  'my col',
  'x"y',
  'nulls',
  'first',
  'T1',
);
const funcArb = fc.constantFrom(
  'abs',
  'round',
  'coalesce',
  'time_bucket',
  'avg',
  'last',
  'strftime',
  'upper',
);
const numberArb = fc.constantFrom('0', '1', '42', '2.5', '1e3', '0.125', '0x1F');
const stringArb = fc.string({ maxLength: 6 });

const exprArb = fc.letrec((tie) => ({
  leaf: fc.oneof(
    numberArb.map((t) => A.number(t)),
    stringArb.map((s) => A.string(s)),
    fc.constant(A.nullLit()),
    fc.boolean().map((b) => A.bool(b)),
    fc.constantFrom('5 minutes', '1h', "it's").map((s) => A.interval(s)),
    fc.constantFrom('$p', ':q', '@r', '?3').map((p) => A.param(p, undefined)),
    fc.tuple(identArb, fc.option(identArb, { nil: undefined })).map(([n, t]) => A.column(n, t)),
  ),
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    tie('leaf'),
    fc
      .tuple(
        fc.constantFrom('OR', 'AND', '=', '!=', '<', '<=', '>', '>=', '+', '-', '*', '/', '%', '||'),
        tie('expr'),
        tie('expr'),
      )
      .map(([op, l, r]) => A.binary(op, l, r)),
    fc.tuple(fc.constantFrom('-', '+', 'NOT'), tie('expr')).map(([op, x]) => A.unary(op, x)),
    fc.tuple(tie('expr'), fc.boolean()).map(([x, not]) => A.isNull(x, not)),
    fc
      .tuple(tie('expr'), tie('expr'), tie('expr'), fc.boolean())
      .map(([x, l, h, not]) => A.between(x, l, h, not)),
    fc
      .tuple(tie('expr'), fc.array(tie('expr'), { maxLength: 3 }), fc.boolean())
      .map(([x, l, not]) => A.inList(x, l, not)),
    fc.tuple(tie('expr'), tie('expr'), fc.boolean()).map(([x, p, not]) => A.like(x, p, not)),
    fc
      .tuple(
        fc.option(tie('expr'), { nil: undefined }),
        fc.array(fc.record({ when: tie('expr'), result: tie('expr') }), { minLength: 1, maxLength: 2 }),
        fc.option(tie('expr'), { nil: undefined }),
      )
      .map(([o, w, e]) => A.caseExpr(o, w, e)),
    fc
      .tuple(tie('expr'), fc.constantFrom('INTEGER', 'REAL', 'TEXT', 'BOOLEAN'))
      .map(([x, t]) => A.cast(x, t)),
    fc
      .tuple(funcArb, fc.array(tie('expr'), { maxLength: 3 }), fc.boolean())
      .map(([f, args, d]) => A.call(f, args, d && args.length > 0)),
    fc.constant(A.call('count', [], false, true)),
  ),
})).expr;

const selectArb = fc
  .record({
    distinct: fc.boolean(),
    distinctOn: fc.array(exprArb, { maxLength: 2 }),
    items: fc.array(
      fc.oneof(
        fc.tuple(exprArb, fc.option(identArb, { nil: undefined })).map(([e, a]) => A.item(e, a)),
        fc.option(identArb, { nil: undefined }).map((t) => A.star(t)),
      ),
      { minLength: 1, maxLength: 3 },
    ),
    from: fc.option(
      fc.oneof(
        fc.tuple(identArb, fc.option(identArb, { nil: undefined })).map(([n, a]) => A.tableRef(n, a)),
        fc
          .tuple(identArb, identArb, fc.constantFrom('inner', 'left', 'cross'), exprArb)
          .map(([l, r, type, on]) =>
            A.join(type, A.tableRef(l), A.tableRef(r), type === 'cross' ? undefined : on),
          ),
      ),
      { nil: undefined },
    ),
    where: fc.option(exprArb, { nil: undefined }),
    groupBy: fc.array(exprArb, { maxLength: 2 }),
    having: fc.option(exprArb, { nil: undefined }),
  })
  .map((s) => A.select({ ...s, distinct: s.distinctOn.length ? false : s.distinct }));

const queryArb = fc
  .record({
    body: fc.oneof(
      selectArb,
      fc.tuple(selectArb, selectArb, fc.boolean()).map(([l, r, all]) => A.union(all, l, r)),
    ),
    orderBy: fc.array(
      fc.record({ expr: exprArb, desc: fc.boolean(), nulls: fc.constantFrom(undefined, 'first', 'last') }),
      { maxLength: 2 },
    ),
    limit: fc.option(exprArb, { nil: undefined }),
    offset: fc.option(exprArb, { nil: undefined }),
  })
  .map((q) => A.query({ ...q, offset: q.limit ? q.offset : undefined }));

// ---- the SQLite statements (test/sql-parse-sqlite.test.js has the cases written out) ----

const nameArb = fc.option(fc.constantFrom('a', 'my col', 'select', 'primary', 'constraint', 'key'), {
  nil: undefined,
});
const algoArb = fc.constantFrom(undefined, 'rollback', 'abort', 'fail', 'ignore', 'replace');
const orderArb = fc.constantFrom(undefined, 'asc', 'desc');
const indexedArb = fc
  .tuple(exprArb, fc.option(fc.constantFrom('NOCASE', 'binary', 'my col'), { nil: undefined }), orderArb)
  .map(([e, c, o]) => A.indexedColumn(e, c, o));
const fkActionArb = fc.constantFrom(undefined, 'set null', 'set default', 'cascade', 'restrict', 'no action');
const fkArb = fc.record({
  table: identArb,
  columns: fc.array(identArb, { maxLength: 2 }),
  onDelete: fkActionArb,
  onUpdate: fkActionArb,
  match: fc.option(identArb, { nil: undefined }),
  deferrable: fc.option(
    fc.record({ not: fc.boolean(), initially: fc.constantFrom(undefined, 'deferred', 'immediate') }),
    { nil: undefined },
  ),
});
const defaultArb = fc.oneof(
  numberArb.map((t) => A.number(t)),
  fc.tuple(fc.constantFrom('-', '+'), numberArb).map(([op, t]) => A.unary(op, A.number(t))),
  identArb.map((n) => A.column(n)),
  exprArb,
);
const columnConstraintArb = fc
  .tuple(
    nameArb,
    fc.oneof(
      algoArb.map((onConflict) => A.notNull({ onConflict })),
      fc.constant(A.nullConstraint({})),
      defaultArb.map((value) => A.defaultValue({ value })),
      fc
        .tuple(orderArb, algoArb, fc.boolean())
        .map(([order, onConflict, autoincrement]) =>
          A.columnPrimaryKey({ order, onConflict, autoincrement }),
        ),
      algoArb.map((onConflict) => A.columnUnique({ onConflict })),
      exprArb.map((expr) => A.check({ expr })),
      fc.constantFrom('NOCASE', 'RTRIM', 'my col').map((collation) => A.collate({ collation })),
      fkArb.map((references) => A.references({ references })),
    ),
  )
  .map(([name, c]) => ({ ...c, name }));
const columnDefArb = fc
  .record({
    name: identArb,
    type: fc.constantFrom(
      '',
      'INTEGER',
      'TEXT TAG',
      'DOUBLE PRECISION',
      'UNSIGNED BIG INT',
      'KEY',
      'TIMESTAMP WITH TIME ZONE',
    ),
    size: fc.option(fc.array(fc.constantFrom('1', '-2', '+3', '10'), { minLength: 1, maxLength: 2 }), {
      nil: undefined,
    }),
    constraints: fc.array(columnConstraintArb, { maxLength: 3 }),
  })
  .map((c) => A.columnDef({ ...c, size: c.type ? c.size : undefined }));
const tableConstraintArb = fc
  .tuple(
    nameArb,
    fc.oneof(
      fc
        .tuple(fc.array(indexedArb, { minLength: 1, maxLength: 2 }), fc.boolean(), algoArb)
        .map(([columns, autoincrement, onConflict]) =>
          A.tablePrimaryKey({ columns, autoincrement, onConflict }),
        ),
      fc
        .tuple(fc.array(indexedArb, { minLength: 1, maxLength: 2 }), algoArb)
        .map(([columns, onConflict]) => A.tableUnique({ columns, onConflict })),
      exprArb.map((expr) => A.check({ expr })),
      fc
        .tuple(fc.array(identArb, { minLength: 1, maxLength: 2 }), fkArb)
        .map(([columns, references]) => A.foreignKey({ columns, references })),
    ),
  )
  .map(([name, c]) => ({ ...c, name }));
const createTableArb = fc
  .record({
    name: identArb,
    ifNotExists: fc.boolean(),
    columns: fc.array(columnDefArb, { minLength: 1, maxLength: 3 }),
    constraints: fc.array(tableConstraintArb, { maxLength: 2 }),
    options: fc.array(fc.record({ key: fc.constantFrom('partition', 'retention'), value: exprArb }), {
      maxLength: 2,
    }),
    withoutRowid: fc.boolean(),
    strict: fc.boolean(),
  })
  .map((fields) => A.createTable(fields));
const itemsArb = fc.array(
  fc.oneof(
    fc.tuple(exprArb, fc.option(identArb, { nil: undefined })).map(([e, a]) => A.item(e, a)),
    fc.option(identArb, { nil: undefined }).map((t) => A.star(t)),
  ),
  { minLength: 1, maxLength: 2 },
);
const returningArb = fc.option(itemsArb, { nil: undefined });
const assignmentsArb = fc.array(
  fc.tuple(identArb, exprArb).map(([c, v]) => A.assignment(c, v)),
  { minLength: 1, maxLength: 2 },
);
const upsertArb = fc
  .record({
    target: fc.array(indexedArb, { maxLength: 2 }),
    targetWhere: fc.option(exprArb, { nil: undefined }),
    update: fc.option(fc.record({ set: assignmentsArb, where: fc.option(exprArb, { nil: undefined }) }), {
      nil: undefined,
    }),
  })
  .map(({ target, targetWhere, update }) =>
    A.upsert({
      target,
      targetWhere: target.length ? targetWhere : undefined,
      action: update ? 'update' : 'nothing',
      set: update ? update.set : [],
      where: update?.where,
    }),
  );
const insertArb = fc
  .record({
    table: identArb,
    or: algoArb,
    columns: fc.array(identArb, { maxLength: 2 }),
    source: fc.oneof(
      fc
        .array(fc.array(exprArb, { minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 2 })
        .map((values) => ({ values })),
      queryArb.map((query) => ({ query })),
      fc.constant({ defaultValues: true }),
    ),
    upsert: fc.option(fc.array(upsertArb, { minLength: 1, maxLength: 2 }), { nil: undefined }),
    returning: returningArb,
  })
  .map(({ source, upsert, ...rest }) =>
    A.insert({ ...rest, ...source, upsert: source.defaultValues ? undefined : upsert }),
  );
const sqliteStatementArb = fc.oneof(
  createTableArb,
  insertArb,
  fc
    .record({
      table: identArb,
      or: algoArb,
      assignments: assignmentsArb,
      where: fc.option(exprArb, { nil: undefined }),
      returning: returningArb,
    })
    .map((fields) => A.update(fields)),
  fc
    .tuple(identArb, fc.option(exprArb, { nil: undefined }), returningArb)
    .map(([t, w, r]) => A.deleteStmt(t, w, undefined, r)),
  fc
    .record({
      name: identArb,
      table: identArb,
      unique: fc.boolean(),
      ifNotExists: fc.boolean(),
      columns: fc.array(indexedArb, { minLength: 1, maxLength: 2 }),
      where: fc.option(exprArb, { nil: undefined }),
    })
    .map((fields) => A.createIndex(fields)),
  fc.tuple(identArb, fc.boolean()).map(([n, e]) => A.dropIndex(n, e)),
  fc.constantFrom(undefined, 'deferred', 'immediate', 'exclusive').map((m) => A.begin(m)),
  fc.constant(A.commit()),
  fc.constant(A.rollback()),
);

/** The tree without positions and source text (not part of the meaning). */
function strip(node) {
  return JSON.parse(
    JSON.stringify(node, (k, v) => (k === 'pos' || k === 'source' || v === undefined ? undefined : v)),
  );
}

describe('sql: printer and parser round trip', () => {
  it('parse(print(expr)) is expr', () => {
    fc.assert(
      fc.property(exprArb, (e) => {
        const text = printExpr(e);
        assert.deepStrictEqual(strip(parseExpression(text)), strip(e), text);
      }),
      { numRuns: 500 },
    );
  });

  it('parse(print(query)) is query, and printing is deterministic', () => {
    fc.assert(
      fc.property(queryArb, (q) => {
        const text = printStatement(q);
        const back = parse(text);
        assert.deepStrictEqual(strip(back), strip(q), text);
        assert.strictEqual(printStatement(back), text);
      }),
      { numRuns: 300 },
    );
  });

  it('parse(print(statement)) is statement for the SQLite statements, and printing is deterministic', () => {
    fc.assert(
      fc.property(sqliteStatementArb, (st) => {
        const text = printStatement(st);
        const back = parse(text);
        assert.deepStrictEqual(strip(back), strip(st), text);
        assert.strictEqual(printStatement(back), text);
        // a script of the statement twice gives it twice
        assert.deepStrictEqual(strip(parseScript(`${text};\n${text};`)), [strip(st), strip(st)], text);
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips the other statements', () => {
    for (const sql of [
      'INSERT INTO t (time, "my col") VALUES (1, \'a\'), (2, NULL)',
      'INSERT INTO t SELECT * FROM u WHERE time > 5',
      "DELETE FROM t WHERE time < '2026-01-01'",
      "CREATE TABLE IF NOT EXISTS t (sensor_id TAG, value FLOAT, n INT) WITH (partition = '1d', retention = '30d')",
      'DROP TABLE IF EXISTS t',
      'SHOW TABLES',
      'DESCRIBE t',
      'EXPLAIN SELECT count(*) FROM t',
      "CREATE TABLE IF NOT EXISTS sensor_readings (id INTEGER PRIMARY KEY AUTOINCREMENT, sensor_id TEXT NOT NULL, synced BOOLEAN DEFAULT 0, created_at INTEGER DEFAULT (strftime('%s', 'now')))",
      'CREATE INDEX IF NOT EXISTS idx_machine_timestamp ON sensor_readings(machine_id, timestamp DESC)',
      'UPDATE sensor_readings SET synced = 1 WHERE synced = 0 AND timestamp <= ?',
      'INSERT INTO kv (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v RETURNING *',
      'DELETE FROM t WHERE time < 5 RETURNING time',
      'BEGIN IMMEDIATE TRANSACTION',
      'END',
    ]) {
      const text = printStatement(parse(sql));
      assert.strictEqual(printStatement(parse(text)), text);
      assert.deepStrictEqual(strip(parse(text)), strip(parse(sql)));
    }
  });
});
