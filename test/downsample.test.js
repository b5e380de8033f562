// Downsampling: rollups equal the same aggregates computed over the raw rows, incrementally, with
// late rows recomputing their bucket, and re-runs changing nothing.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const fc = require('fast-check');
const { open } = require('../dist/engine');
const { tempDir } = require('./helpers');

const MIN5 = 300000;
const T0 = 1764028800000;

/** The reference: per (sensor, 5-minute bucket) avg/min/max/count/last over rows before `horizon`. */
function expectedRollup(rows, horizon) {
  const groups = new Map();
  for (const r of rows) {
    if (r.time >= horizon) continue;
    const bucket = Math.floor(r.time / MIN5) * MIN5;
    const key = `${r.sensor}|${bucket}`;
    if (!groups.has(key)) groups.set(key, { sensor: r.sensor, time: bucket, values: [] });
    groups.get(key).values.push(r);
  }
  return [...groups.values()]
    .map((g) => {
      const vs = g.values.sort((a, b) => a.time - b.time).map((r) => r.v);
      return {
        time: g.time,
        sensor: g.sensor,
        v_avg: vs.reduce((a, b) => a + b, 0) / vs.length,
        v_min: Math.min(...vs),
        v_max: Math.max(...vs),
        v_count: vs.length,
        v_last: vs[vs.length - 1],
      };
    })
    .sort((a, b) => (a.sensor < b.sensor ? -1 : a.sensor > b.sensor ? 1 : a.time - b.time));
}

function closeTo(got, want) {
  assert.equal(got.length, want.length, 'bucket count');
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const w = want[i];
    assert.deepEqual(
      { time: g.time, sensor: g.sensor, min: g.v_min, max: g.v_max, count: g.v_count, last: g.v_last },
      { time: w.time, sensor: w.sensor, min: w.v_min, max: w.v_max, count: w.v_count, last: w.v_last },
    );
    assert.ok(
      Math.abs(g.v_avg - w.v_avg) <= 1e-9 * Math.max(1, Math.abs(w.v_avg)),
      `avg ${g.v_avg} vs ${w.v_avg}`,
    );
  }
}

describe('downsample', () => {
  it('rolls up into {table}_{bucket} exactly as the raw aggregates, incrementally and idempotently', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            t: fc.integer({ min: 0, max: 6 * 3600 }),
            sensor: fc.constantFrom('a', 'b', 'c'),
            v: fc.integer({ min: -500, max: 500 }).map((x) => x / 10),
          }),
          { minLength: 1, maxLength: 200 },
        ),
        fc.array(
          fc.record({
            t: fc.integer({ min: 0, max: 3 * 3600 }),
            sensor: fc.constantFrom('a', 'b'),
            v: fc.integer({ min: 0, max: 9 }),
          }),
          { maxLength: 30 },
        ),
        fc.boolean(),
        async (first, late, flushBetween) => {
          const db = await open(tempDir('helios-ds-'), { compactionTrigger: 0 });
          try {
            const toReadings = (xs) =>
              xs.map((x) => ({ time: T0 + x.t * 1000, tags: { sensor: x.sensor }, fields: { v: x.v } }));
            await db.write('raw', toReadings(first));
            if (flushBetween) await db.flush();
            const now = T0 + 6 * 3600 * 1000;
            const rule = { source: 'raw', bucket: '5m', after: '2h', now };
            const horizon = Math.floor((now - 2 * 3600 * 1000) / MIN5) * MIN5;
            await db.runDownsample(rule);
            const rawRows = () => db.read('raw').then((rows) => rows);
            closeTo(await db.read('raw_5m'), expectedRollup(await rawRows(), horizon));
            // late rows into old buckets, then a re-run recomputes exactly those
            if (late.length > 0) await db.write('raw', toReadings(late));
            const again = await db.runDownsample(rule);
            if (late.length > 0) assert.ok(again.lateBucketsRecomputed > 0);
            closeTo(await db.read('raw_5m'), expectedRollup(await rawRows(), horizon));
            const idle = await db.runDownsample(rule);
            assert.equal(idle.bucketsWritten, 0, 'a re-run with nothing new writes nothing');
            closeTo(await db.read('raw_5m'), expectedRollup(await rawRows(), horizon));
          } finally {
            await db.close();
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  it('matches SQL time_bucket aggregates on a NAB series, after a reopen', async () => {
    const csv = fs.readFileSync(
      path.join(__dirname, 'fixtures', 'nab', 'machine_temperature_system_failure.csv'),
      'utf8',
    );
    const readings = csv
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => {
        const [ts, v] = line.split(',');
        return {
          time: Date.parse(`${ts.replace(' ', 'T')}Z`),
          tags: { sensor: 'machine' },
          fields: { v: Number(v) },
        };
      });
    const dir = tempDir();
    let db = await open(dir);
    for (let i = 0; i < readings.length; i += 5000) await db.write('nab', readings.slice(i, i + 5000));
    const last = readings[readings.length - 1].time;
    const report = await db.runDownsample({
      source: 'nab',
      bucket: '1h',
      aggregates: ['avg', 'min', 'max', 'count'],
      now: last + 3600000,
    });
    assert.ok(report.rowsRead >= readings.length - 20, `read ${report.rowsRead}`);
    await db.close();
    db = await open(dir);
    const horizon = Math.floor(last / 3600000) * 3600000 + 3600000;
    const sql = await db.query(
      `SELECT time_bucket('1h', time) AS t, avg(v) AS a, min(v) AS lo, max(v) AS hi, count(v) AS n
         FROM nab WHERE time < ? GROUP BY t ORDER BY t`,
      [horizon],
    );
    const rollup = await db.read('nab_1h');
    assert.equal(rollup.length, sql.rows.length);
    for (let i = 0; i < rollup.length; i++) {
      const r = rollup[i];
      const q = sql.rows[i];
      assert.equal(r.time, q.t);
      assert.equal(r.v_min, q.lo);
      assert.equal(r.v_max, q.hi);
      assert.equal(r.v_count, q.n);
      assert.ok(Math.abs(r.v_avg - q.a) < 1e-9 * Math.abs(q.a));
    }
    assert.deepEqual(
      db.schema('nab_1h').fields.find((f) => f.name === 'v_count'),
      { name: 'v_count', type: 'int' },
    );
    await db.close();
  });

  it('takes table patterns, leaves rollup tables out of them, and rolls text fields up to last', async () => {
    const db = await open(tempDir());
    await db.write('sensor_a', [
      { time: T0, tags: { s: 'x' }, fields: { v: 1, state: 'RUN' } },
      { time: T0 + 1000, tags: { s: 'x' }, fields: { v: 3, state: 'STOP' } },
    ]);
    const rule = { source: 'sensor_*', bucket: '1m', now: T0 + 3600000 };
    const first = await db.runDownsample(rule);
    assert.deepEqual(first.sources, ['sensor_a']);
    const second = await db.runDownsample(rule);
    assert.deepEqual(second.sources, ['sensor_a'], 'sensor_a_1m matches sensor_* but is a rollup');
    assert.deepEqual(await db.read('sensor_a_1m'), [
      {
        time: T0,
        s: 'x',
        v_avg: 2,
        v_min: 1,
        v_max: 3,
        v_count: 2,
        v_last: 3,
        state_count: 2,
        state_last: 'STOP',
      },
    ]);
    await assert.rejects(db.runDownsample({ source: 'sensor_*', bucket: '5x' }), /not a duration/);
    await assert.rejects(
      db.runDownsample({ source: 'sensor_*', bucket: '5m', aggregates: ['median'] }),
      /Unknown aggregate "median"/,
    );
    await db.close();
  });
});
