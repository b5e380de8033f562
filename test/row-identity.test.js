// Row identity (docs/storage.md, "Row identity"): a row replaces an earlier one only when both
// name the same series and time and neither has a rowid; rows of series without tags get rowids,
// so many of them can share a millisecond. Every path is checked: db.write, SQL INSERT, flush,
// compaction, WAL replay, and the counts a write reports.
const assert = require('node:assert/strict');
const { open } = require('../dist/engine');
const { tempDir } = require('./helpers');

const T0 = 1764000000000;

describe('row identity', () => {
  let dir;
  let db;
  beforeEach(async () => {
    dir = tempDir();
    db = await open(dir, { chunkRows: 16 });
  });
  afterEach(async () => {
    await db.close();
  });

  it('keeps every row of a series without tags at one millisecond (db.write)', async () => {
    const r = await db.write('w', [
      { time: 1000, fields: { sensor: 'x', v: 1 } },
      { time: 1000, fields: { sensor: 'y', v: 2 } },
    ]);
    assert.deepEqual([r.count, r.replaced, r.lastRowid], [2, 0, 2]);
    assert.deepEqual(await db.read('w'), [
      { time: 1000, sensor: 'x', v: 1 },
      { time: 1000, sensor: 'y', v: 2 },
    ]);
  });

  it('keeps the rows of a multi-row INSERT into a new table, and of two INSERTs in one millisecond', async () => {
    const now = () => T0;
    const r = await db.query("INSERT INTO sr (sensor_id, value) VALUES ('A', 1), ('B', 2), ('C', 3)", [], {
      now,
    });
    assert.equal(r.rows[0].count, 3);
    await db.query("INSERT INTO sr (sensor_id, value) VALUES ('D', 4)", [], { now });
    await db.query("INSERT INTO sr (sensor_id, value) VALUES ('E', 5)", [], { now });
    const rows = (await db.query('SELECT sensor_id, value FROM sr')).rows;
    assert.deepEqual(
      rows.map((x) => x.sensor_id),
      ['A', 'B', 'C', 'D', 'E'],
    );
  });

  it('still replaces a reading sent again for the same sensor and time, and says so', async () => {
    const first = await db.write('t', [{ time: T0, tags: { s: 'a' }, fields: { v: 1 } }]);
    assert.equal(first.replaced, 0);
    const again = await db.write('t', [{ time: T0, tags: { s: 'a' }, fields: { v: 2 } }]);
    assert.deepEqual([again.count, again.replaced], [1, 1]);
    assert.deepEqual(await db.read('t'), [{ time: T0, s: 'a', v: 2 }]);
    // within one batch too, and against rows already flushed to a segment
    await db.flush();
    const batch = await db.write('t', [
      { time: T0, tags: { s: 'a' }, fields: { v: 3 } },
      { time: T0 + 1, tags: { s: 'a' }, fields: { v: 4 } },
      { time: T0 + 1, tags: { s: 'a' }, fields: { v: 5 } },
      { time: T0, tags: { s: 'b' }, fields: { v: 6 } },
    ]);
    assert.deepEqual([batch.count, batch.replaced], [4, 2]);
    assert.deepEqual(await db.read('t'), [
      { time: T0, s: 'a', v: 3 },
      { time: T0 + 1, s: 'a', v: 5 },
      { time: T0, s: 'b', v: 6 },
    ]);
  });

  it('counts the replaced rows of a batch whose series are partly late, partly new, in head and segments', async () => {
    const r = (s, t, v) => ({ time: T0 + t, tags: { s }, fields: { v } });
    await db.write('m', [r('a', 0, 1), r('a', 10, 2), r('b', 0, 3), r('b', 10, 4), r('c', 5, 5)]);
    await db.flush();
    await db.write('m', [r('b', 20, 6)]); // b's newest now in the head
    // a: new times only (past its newest); b: one at its newest (20) and one new; c: late (5) and new
    const batch = [r('a', 11, 7), r('b', 20, 8), r('b', 21, 9), r('c', 5, 10), r('c', 6, 11), r('d', 0, 12)];
    const result = await db.write('m', batch);
    assert.equal(result.count, 6);
    assert.equal(result.replaced, 2);
    assert.deepEqual(result.replacedAt, [1, 3]);
    const rows = await db.query("SELECT s, time, v FROM m WHERE s IN ('b', 'c') ORDER BY s, time");
    assert.deepEqual(
      rows.rows.map((x) => [x.s, x.time - T0, x.v]),
      [
        ['b', 0, 3],
        ['b', 10, 4],
        ['b', 20, 8],
        ['b', 21, 9],
        ['c', 5, 10],
        ['c', 6, 11],
      ],
    );
  });

  it('counts replaced late rows as a model does when a series holds many 64-row regions in the head', async () => {
    // The head answers a late write from a zone map of its 64-row regions: rows in regions whose
    // time range misses the late times are skipped, so late rows must find replaced rows anywhere.
    const fc = require('fast-check');
    const late = fc.array(
      fc.record({ s: fc.constantFrom('a', 'b'), t: fc.nat(700), v: fc.integer({ min: 0, max: 9 }) }),
      { minLength: 1, maxLength: 12 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(late, { minLength: 1, maxLength: 6 }),
        fc.nat(3),
        async (writes, markerValue) => {
          const d = tempDir();
          const m = await open(d);
          const model = new Map();
          try {
            // every third time of 0..599 in each series, in order: 200 rows, four regions
            const first = [];
            for (let t = 0; t < 600; t += 3) for (const s of ['a', 'b']) first.push({ s, t, v: t % 7 });
            await m.write(
              'z',
              first.map(({ s, t, v }) => ({ time: T0 + t, tags: { s }, fields: { v } })),
            );
            for (const { s, t, v } of first) model.set(`${s}|${t}`, v);
            await m.query('DELETE FROM z WHERE v = ?', [markerValue]);
            for (const [key, v] of model) if (v === markerValue) model.delete(key);
            for (const rows of writes) {
              let replaced = 0;
              const seen = new Set();
              for (const { s, t } of rows) {
                const key = `${s}|${t}`;
                if (model.has(key) || seen.has(key)) replaced++;
                seen.add(key);
              }
              const result = await m.write(
                'z',
                rows.map(({ s, t, v }) => ({ time: T0 + t, tags: { s }, fields: { v } })),
              );
              for (const { s, t, v } of rows) model.set(`${s}|${t}`, v);
              assert.equal(result.replaced, replaced, JSON.stringify(rows));
            }
            assert.equal((await m.query('SELECT count(*) AS n FROM z')).rows[0].n, model.size);
          } finally {
            await m.close();
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('counts replaced rows as a model does, over late writes, flushes, deletes and reopening', async () => {
    // The active head answers late writes alone when nothing older can hold their times; the
    // model checks that answer and the slow one against the rows actually there.
    const fc = require('fast-check');
    const reading = fc.record({
      s: fc.constantFrom('a', 'b', 'c'),
      t: fc.nat(40),
      v: fc.integer({ min: 0, max: 9 }),
    });
    const step = fc.oneof(
      {
        weight: 6,
        arbitrary: fc.array(reading, { minLength: 1, maxLength: 8 }).map((rows) => ({ kind: 'write', rows })),
      },
      { weight: 1, arbitrary: fc.constant({ kind: 'flush' }) },
      { weight: 2, arbitrary: fc.integer({ min: 0, max: 3 }).map((v) => ({ kind: 'deleteValue', v })) },
      { weight: 1, arbitrary: fc.nat(12).map((t) => ({ kind: 'deleteTime', t })) },
      { weight: 1, arbitrary: fc.constant({ kind: 'reopen' }) },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 14 }), async (steps) => {
        const d = tempDir();
        let m = await open(d, { chunkRows: 16 });
        const model = new Map();
        try {
          for (const op of steps) {
            if (op.kind === 'write') {
              let replaced = 0;
              const seen = new Set();
              for (const { s, t } of op.rows) {
                const key = `${s}|${t}`;
                if (model.has(key) || seen.has(key)) replaced++;
                seen.add(key);
              }
              const result = await m.write(
                'm',
                op.rows.map(({ s, t, v }) => ({ time: T0 + t, tags: { s }, fields: { v } })),
              );
              for (const { s, t, v } of op.rows) model.set(`${s}|${t}`, v);
              assert.equal(result.replaced, replaced, JSON.stringify(op.rows));
            } else if (op.kind === 'flush') await m.flush();
            else if (op.kind === 'reopen') {
              await m.close();
              m = await open(d, { chunkRows: 16 });
            } else if (model.size > 0) {
              // by a value (markers for chosen rows) or by a time (a tombstone)
              const byValue = op.kind === 'deleteValue';
              await m.query(byValue ? 'DELETE FROM m WHERE v = ?' : 'DELETE FROM m WHERE time = ?', [
                byValue ? op.v : T0 + op.t,
              ]);
              for (const [key, v] of model) {
                if (byValue ? v === op.v : Number(key.split('|')[1]) === op.t) model.delete(key);
              }
            }
          }
          const rows = model.size > 0 ? await m.read('m') : [];
          const got = rows.map((r) => `${r.s}|${r.time - T0}=${r.v}`).sort();
          const want = [...model].map(([k, v]) => `${k}=${v}`).sort();
          assert.deepEqual(got, want);
        } finally {
          await m.close();
        }
      }),
      { numRuns: 150 },
    );
  });

  it('keeps a reading whose values are explicit nulls, as SQLite keeps a row of NULLs', async () => {
    const s = { sensor_id: 'A' };
    await db.write('n', [{ time: T0, tags: s, fields: { value: 1.5, status: 'ok' } }]);
    const r = await db.write('n', [
      { time: T0 + 1000, tags: s, fields: { value: null } },
      { time: T0 + 2000, tags: s, fields: { value: null, status: 'warn' } },
      { time: T0 + 3000, tags: { sensor_id: 'B' }, fields: { spare: null } },
    ]);
    assert.deepEqual([r.count, r.replaced], [3, 0]);
    const expected = [
      { time: T0, sensor_id: 'A', value: 1.5, status: 'ok' },
      { time: T0 + 1000, sensor_id: 'A', value: null, status: null },
      { time: T0 + 2000, sensor_id: 'A', value: null, status: 'warn' },
      { time: T0 + 3000, sensor_id: 'B', value: null, status: null },
    ];
    const sql = 'SELECT time, sensor_id, value, status FROM n ORDER BY time';
    assert.deepEqual((await db.query(sql)).rows, expected);
    // a null re-sent for a stored reading replaces it, through flush and reopen
    await db.flush();
    const again = await db.write('n', [{ time: T0, tags: s, fields: { value: null } }]);
    assert.deepEqual([again.count, again.replaced], [1, 1]);
    await db.close();
    db = await open(dir, { chunkRows: 16 });
    const rows = (await db.query(sql)).rows;
    assert.deepEqual(rows[0], { time: T0, sensor_id: 'A', value: null, status: null });
    assert.deepEqual(rows.slice(1), expected.slice(1));
    assert.deepEqual((await db.query('SELECT count(*) AS n, count(value) AS v FROM n')).rows, [
      { n: 4, v: 0 },
    ]);
  });

  it('does not count a row of another series, or a row with a rowid, as replaced', async () => {
    await db.write('t', [{ time: T0, tags: { s: 'a', m: '1' }, fields: { v: 1 } }]);
    await db.write('t', [{ time: T0, fields: { v: 1 } }]);
    const r = await db.write('t', [
      { time: T0, tags: { s: 'a' }, fields: { v: 2 } },
      { time: T0, fields: { v: 3 } },
    ]);
    assert.deepEqual([r.count, r.replaced], [2, 0]);
    assert.equal((await db.read('t')).length, 4);
  });

  it('keeps rows sharing a millisecond through flush, chunks of that millisecond, compaction and reopen', async () => {
    // 40 rows at one time: more than a chunk (16 rows), so chunks start where the last one ended
    const burst = Array.from({ length: 40 }, (_, i) => ({ time: T0, fields: { n: i } }));
    await db.write('b', burst.slice(0, 25));
    await db.flush();
    await db.write('b', burst.slice(25));
    await db.flush();
    const expected = burst.map((r) => ({ time: T0, n: r.fields.n }));
    assert.deepEqual(await db.read('b'), expected);
    await db.compact(true);
    assert.deepEqual(await db.read('b'), expected);
    await db.close();
    db = await open(dir, { chunkRows: 16 });
    assert.deepEqual(await db.read('b'), expected);
    const count = await db.query('SELECT count(*) AS n FROM b');
    assert.equal(count.rows[0].n, 40);
  });

  it('numbers rows on from the largest rowid after a reopen, from the WAL and from segments', async () => {
    await db.write('a', [{ time: T0, fields: { v: 1 } }]);
    await db.write('a', [{ time: T0, fields: { v: 2 } }]);
    await db.close();
    db = await open(dir, { chunkRows: 16 }); // rows replayed from the WAL
    assert.equal((await db.write('a', [{ time: T0, fields: { v: 3 } }])).lastRowid, 3);
    await db.flush();
    await db.close();
    db = await open(dir, { chunkRows: 16 }); // rows in a segment
    assert.equal((await db.write('a', [{ time: T0, fields: { v: 4 } }])).lastRowid, 4);
    assert.deepEqual(
      (await db.read('a')).map((r) => r.v),
      [1, 2, 3, 4],
    );
  });

  it('hands out a rowid once only, even when the rows holding the largest are deleted', async () => {
    await db.write('a', [{ time: T0, fields: { v: 1 } }]);
    await db.write('a', [{ time: T0 + 10, fields: { v: 2 } }]);
    await db.flush();
    await db.deleteRows('a', { from: T0 + 5 });
    await db.compact(true);
    await db.close();
    db = await open(dir, { chunkRows: 16 });
    assert.equal((await db.write('a', [{ time: T0, fields: { v: 3 } }])).lastRowid, 3);
  });

  it('shows no hidden column to read, SQL or DESCRIBE', async () => {
    await db.write('h', [{ time: T0, fields: { v: 1 } }]);
    await db.flush();
    assert.deepEqual(await db.read('h'), [{ time: T0, v: 1 }]);
    assert.deepEqual(
      db.schema('h').fields.map((f) => f.name),
      ['v'],
    );
    const star = await db.query('SELECT * FROM h');
    assert.deepEqual(Object.keys(star.rows[0]), ['time', 'v']);
    const described = await db.query('DESCRIBE h');
    assert.deepEqual(
      described.rows.map((r) => Object.values(r)[0]),
      ['time', 'v'],
    );
  });

  it('gives the latest row of a series whose newest millisecond holds several rows', async () => {
    await db.write('l', [
      { time: T0, fields: { v: 1 } },
      { time: T0 + 1, fields: { v: 2 } },
    ]);
    await db.flush();
    await db.write('l', [{ time: T0 + 1, fields: { v: 3 } }]);
    const latest = await db.query('SELECT last(v, time) AS v, count(*) AS n FROM l');
    assert.deepEqual(latest.rows, [{ v: 3, n: 3 }]);
    const newest = await db.query('SELECT v FROM l ORDER BY time DESC LIMIT 2');
    assert.deepEqual(newest.rows.map((r) => r.v).sort(), [2, 3]);
  });

  it('rolls a table without tags up into one row per bucket, recomputed in place', async () => {
    await db.write('raw', [
      { time: T0, fields: { v: 1 } },
      { time: T0, fields: { v: 3 } },
    ]);
    const rule = {
      source: 'raw',
      bucket: '1m',
      after: '0s',
      aggregates: ['avg', 'count'],
      now: T0 + 120_000,
    };
    await db.runDownsample(rule);
    await db.write('raw', [{ time: T0 + 1, fields: { v: 5 } }]);
    await db.runDownsample({ ...rule, now: T0 + 130_000 });
    const rolled = await db.read('raw_1m');
    assert.deepEqual(rolled, [{ time: T0 - (T0 % 60_000), v_avg: 3, v_count: 3 }]);
  });

  it('numbers the rows of a table dropped and made again from 1, also after a reopen', async () => {
    await db.write('d', [
      { time: T0, fields: { v: 1 } },
      { time: T0, fields: { v: 2 } },
    ]);
    await db.flush();
    await db.dropTable('d');
    assert.equal((await db.write('d', [{ time: T0, fields: { v: 3 } }])).lastRowid, 1);
    await db.close();
    db = await open(dir, { chunkRows: 16 });
    assert.equal((await db.write('d', [{ time: T0, fields: { v: 4 } }])).lastRowid, 2);
  });
});
