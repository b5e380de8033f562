// Aggregates answered from chunk statistics (engine/exec/scan-stats.ts) against decoding every
// row, on a real Database with flushes, rewrites and deletes; EXPLAIN's storage pass (golden);
// DELETE / DROP TABLE / CREATE TABLE through SQL on a real Database.
const assert = require('node:assert/strict');
const fc = require('fast-check');
const { open } = require('../dist/engine');
const { runQuery } = require('../dist/engine/query/query');
const { tempDir } = require('./helpers');

const T0 = Date.parse('2026-01-01T00:00:00Z');

/** The aggregate queries compared; ?1..?2 the time range, ?3 a sensor. */
const QUERIES = [
  'SELECT count(*), count(v), sum(v), avg(v), min(v), max(v), total(v) FROM t WHERE time >= ?1 AND time <= ?2',
  'SELECT count(n), sum(n), avg(n), min(n), max(n), total(n), min(time), max(time), count(s), count(time) FROM t',
  'SELECT sensor, count(*), sum(v), avg(n), max(v), min(n) FROM t WHERE time >= ?1 AND time <= ?2 GROUP BY sensor ORDER BY sensor',
  'SELECT sensor, count(*), sum(n), min(v), max(time) FROM t WHERE sensor = ?3 AND time <= ?2 GROUP BY sensor',
  'SELECT time_bucket(250, time) AS b, sensor, count(*), sum(v), min(n), max(n), avg(v) FROM t WHERE time >= ?1 GROUP BY b, sensor ORDER BY b, sensor',
  'SELECT time_bucket(1000, time) AS b, count(v), sum(n) FROM t GROUP BY b ORDER BY b',
  'SELECT upper(sensor) AS u, sum(n) FROM t WHERE time >= ?1 AND time <= ?2 GROUP BY u ORDER BY u',
];

/** Field values: quarters (exact in binary, so sums agree whatever the order) or absent. */
const reading = fc.record({
  t: fc.integer({ min: 0, max: 1999 }),
  sensor: fc.constantFrom('a', 'b', 'c'),
  v: fc.option(
    fc.integer({ min: -400, max: 400 }).map((x) => x / 4),
    { nil: undefined },
  ),
  n: fc.option(fc.integer({ min: -1000, max: 1000 }), { nil: undefined }),
  s: fc.option(fc.constantFrom('x', 'y'), { nil: undefined }),
});

const command = fc.oneof(
  {
    // mostly a stretch of time (as sensors write), sometimes scattered (late data, rewrites)
    weight: 5,
    arbitrary: fc
      .record({
        base: fc.integer({ min: 0, max: 1999 }),
        span: fc.constantFrom(100, 100, 2000),
        rows: fc.array(reading, { minLength: 1, maxLength: 120 }),
      })
      .map(({ base, span, rows }) => ({
        kind: 'write',
        rows: rows.map((r) => ({ ...r, t: (base + (r.t % span)) % 2000 })),
      })),
  },
  { weight: 4, arbitrary: fc.constant({ kind: 'flush' }) },
  {
    weight: 1,
    arbitrary: fc
      .record({
        from: fc.integer({ min: 0, max: 1999 }),
        len: fc.integer({ min: 0, max: 600 }),
        sensor: fc.option(fc.constantFrom('a', 'b')),
      })
      .map((d) => ({ kind: 'delete', ...d })),
  },
);

async function apply(db, cmd) {
  if (cmd.kind === 'flush') return db.flush();
  if (cmd.kind === 'delete') {
    const tags = cmd.sensor ? { sensor: cmd.sensor } : undefined;
    return runQuery(
      db,
      `DELETE FROM t WHERE time >= ?1 AND time <= ?2${tags ? ' AND sensor = ?3' : ''}`,
      tags ? [T0 + cmd.from, T0 + cmd.from + cmd.len, cmd.sensor] : [T0 + cmd.from, T0 + cmd.from + cmd.len],
    );
  }
  const readings = cmd.rows.map((r) => {
    const fields = { n: r.n ?? null, v: r.v ?? null, s: r.s ?? null };
    if (r.n === undefined && r.v === undefined && r.s === undefined) fields.v = 0.5;
    return { time: T0 + r.t, tags: { sensor: r.sensor }, fields };
  });
  return db.write('t', readings);
}

describe('sql: aggregates from chunk statistics', () => {
  it('give the same results (values and types) as decoding every row', async () => {
    let answered = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(command, { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 0, max: 1999 }),
        fc.integer({ min: 0, max: 1999 }),
        fc.constantFrom('a', 'b', 'c'),
        async (commands, x, y, sensor) => {
          const db = await open(tempDir(), { chunkRows: 16, compactionTrigger: 0 });
          try {
            await runQuery(db, 'CREATE TABLE t (sensor TAG, v DOUBLE, n BIGINT, s TEXT)');
            for (const cmd of commands) await apply(db, cmd);
            const params = [T0 + Math.min(x, y), T0 + Math.max(x, y), sensor];
            for (const sql of QUERIES) {
              const fast = await runQuery(db, sql, params);
              const slow = await runQuery(db, sql, params, { statistics: false });
              assert.deepStrictEqual(fast.columns, slow.columns, sql);
              assert.deepStrictEqual(fast.rows, slow.rows, sql);
              answered += slow.stats.rowsScanned - fast.stats.rowsScanned;
            }
          } finally {
            await db.close();
          }
        },
      ),
      { numRuns: 40 },
    );
    // the property is about the fast path: it must actually have been taken
    assert.ok(answered > 0, 'no rows were answered from statistics');
  });

  it('answers whole chunks without decoding them, and decodes the chunks cut by the range', async () => {
    const db = await open(tempDir(), { chunkRows: 100, compactionTrigger: 0 });
    try {
      const readings = [];
      for (let i = 0; i < 1000; i++)
        readings.push({ time: T0 + i * 1000, tags: { sensor_id: 's1' }, fields: { value: i } });
      await db.write('readings', readings);
      await db.flush();
      const sql =
        'SELECT count(*), sum(value), min(value), max(value) FROM readings WHERE time >= ? AND time < ?';
      const res = await runQuery(db, sql, [T0 + 250_000, T0 + 650_000]);
      assert.deepStrictEqual(res.rows, [
        { 'count(*)': 400, 'sum(value)': (250 + 649) * 200, 'min(value)': 250, 'max(value)': 649 },
      ]);
      // chunks [300, 600) from statistics; [250, 300) and [600, 650) decoded (chunks: 3 + 2)
      assert.equal(res.stats.rowsScanned, 100);
      assert.equal(res.stats.chunks, 5);
      assert.equal(res.stats.partitions, 1);
      const slow = await runQuery(db, sql, [T0 + 250_000, T0 + 650_000], { statistics: false });
      assert.deepStrictEqual(slow.rows, res.rows);
      assert.equal(slow.stats.rowsScanned, 400);
    } finally {
      await db.close();
    }
  });

  it('reads chunks whose values include NaN instead of trusting their statistics', async () => {
    const db = await open(tempDir(), { chunkRows: 4, compactionTrigger: 0 });
    try {
      await db.write(
        't',
        [1, Number.NaN, 3, 4].map((v, i) => ({ time: T0 + i, fields: { v } })),
      );
      await db.flush();
      const parts = [];
      for await (const s of db.scanParts('t', {}, require('../dist/engine').newScanCounters()))
        parts.push(...s.parts);
      const stats = parts[0]?.stats?.get('v');
      // a chunk holding a NaN keeps no min/max/sum, so the query decodes it
      assert.equal(stats?.sum, undefined);
      const sql = 'SELECT count(v), sum(v), min(v), max(v), avg(v) FROM t';
      assert.deepStrictEqual(
        (await runQuery(db, sql)).rows,
        (await runQuery(db, sql, [], { statistics: false })).rows,
      );
    } finally {
      await db.close();
    }
  });
});

describe('sql: EXPLAIN shows pruning and statistics (golden)', () => {
  it('prints partitions, series, chunks and the parts statistics answer', async () => {
    const db = await open(tempDir(), { chunkRows: 100, compactionTrigger: 0, partitionDuration: '1h' });
    try {
      const readings = [];
      for (let i = 0; i < 3 * 3600; i += 10) {
        for (const s of ['s1', 's2'])
          readings.push({ time: T0 + i * 1000, tags: { sensor_id: s }, fields: { value: i } });
      }
      await db.write('readings', readings);
      await db.flush();
      await db.write('readings', [{ time: T0 + 7300_000, tags: { sensor_id: 's1' }, fields: { value: -1 } }]);
      const explain = async (sql) => (await runQuery(db, `EXPLAIN ${sql}`)).rows.map((r) => r.plan);
      assert.deepStrictEqual(
        await explain(
          "SELECT sensor_id, count(*), avg(value) FROM readings WHERE time >= '2026-01-01T01:00:00Z' AND time < '2026-01-01T02:30:00Z' GROUP BY sensor_id",
        ),
        [
          'Project: sensor_id, count(*), avg(value) [project]',
          '  HashAggregate: count(*), avg(value) by sensor_id [statsAggregate]',
          '    statistics: count(*), avg(value) from chunk statistics in 9 of 12 parts; the others decoded',
          '    Scan readings: time 2026-01-01T01:00:00.000Z .. 2026-01-01T02:29:59.999Z; all series',
          '      pushed down: time >= 1767229200000 AND time < 1767234600000',
          '      storage: partitions 2 kept, 1 skipped; series 2; chunks 4 skipped; 12 parts to read',
        ],
      );
      assert.deepStrictEqual(
        await explain("SELECT max(value) FROM readings WHERE sensor_id = 's2' AND value > 5"),
        [
          'Project: max(value) [project]',
          '  HashAggregate: max(value) [fusedScanAggregate]',
          '    statistics: not used, a WHERE condition is not pushed down to the scan (only time ranges and tag equalities are)',
          '    Filter: value > 5',
          "      Scan readings: time (unbounded) .. (unbounded); tags sensor_id='s2'",
          "        pushed down: sensor_id = 's2'",
          '        storage: partitions 3 kept, 0 skipped; series 1; chunks 0 skipped; 12 parts to read',
        ],
      );
      // a tag IN list scans once per value; the partitions are counted once
      assert.deepStrictEqual(
        await explain(
          "SELECT min(time), count(value) FROM readings WHERE sensor_id IN ('s1', 's2') AND time < 1767229200000",
        ),
        [
          'Project: min(time), count(value) [project]',
          '  HashAggregate: min(time), count(value) [statsAggregate]',
          '    statistics: min(time), count(value) from chunk statistics in 8 of 8 parts; the others decoded',
          "    Scan readings: time (unbounded) .. 2026-01-01T00:59:59.999Z; tags sensor_id IN ('s1', 's2')",
          "      pushed down: sensor_id IN ('s1', 's2') AND time < 1767229200000",
          '      storage: partitions 1 kept, 2 skipped; series 2; chunks 0 skipped; 8 parts to read',
        ],
      );
      const q = await runQuery(
        db,
        "SELECT sensor_id, count(*), avg(value) FROM readings WHERE time >= '2026-01-01T01:00:00Z' AND time < '2026-01-01T02:30:00Z' GROUP BY sensor_id ORDER BY 1",
      );
      assert.deepStrictEqual(q.stats.partitions, 2);
      assert.ok(q.stats.chunks >= 6, `chunks ${q.stats.chunks}`);
    } finally {
      await db.close();
    }
  });
});

describe('sql: DELETE, DROP TABLE, CREATE TABLE on a Database', () => {
  it('deletes from segments and the head, and keeps what is written afterwards', async () => {
    const db = await open(tempDir(), { chunkRows: 10, compactionTrigger: 0 });
    try {
      const readings = [];
      for (let i = 0; i < 100; i++)
        readings.push({ time: T0 + i, tags: { s: i % 2 ? 'a' : 'b' }, fields: { v: i } });
      await db.write('t', readings.slice(0, 60));
      await db.flush();
      await db.write('t', readings.slice(60));
      const del = await runQuery(db, "DELETE FROM t WHERE s = 'a' AND time >= ? AND time < ?", [
        T0 + 50,
        T0 + 70,
      ]);
      assert.equal(del.columns[0].name, 'lsn');
      assert.ok(Number.isInteger(del.rows[0].lsn));
      await db.write('t', [{ time: T0 + 51, tags: { s: 'a' }, fields: { v: -1 } }]);
      const count = async () =>
        (await runQuery(db, "SELECT count(*) AS c, sum(v) AS s FROM t WHERE s = 'a'")).rows[0];
      const expected = readings.filter((r) => r.tags.s === 'a' && !(r.time >= T0 + 50 && r.time < T0 + 70));
      assert.deepStrictEqual(await count(), {
        c: expected.length + 1,
        s: expected.reduce((a, r) => a + r.fields.v, 0) - 1,
      });
      await db.flush();
      assert.deepStrictEqual((await count()).c, expected.length + 1);
    } finally {
      await db.close();
    }
  });

  it('drops a table and creates a declared one that survives reopening', async () => {
    const dir = tempDir();
    let db = await open(dir);
    try {
      await db.write('old', [{ time: T0, fields: { v: 1 } }]);
      await runQuery(db, 'DROP TABLE old');
      assert.deepStrictEqual(db.tables(), []);
      await runQuery(
        db,
        "CREATE TABLE m (sensor TAG, n INTEGER, v REAL) WITH (partition = '1h', retention = '7d')",
      );
      await assert.rejects(runQuery(db, "CREATE TABLE z (v REAL) WITH (partition = '30s')"), /at least 1m/);
      await db.close();
      db = await open(dir);
      const d = await runQuery(db, 'DESCRIBE m');
      assert.deepStrictEqual(
        d.rows.map((r) => `${r.column} ${r.type} ${r.role}`),
        ['time time time', 'sensor string tag', 'n int field', 'v float field'],
      );
    } finally {
      await db.close();
    }
  });
});
