// A SIGKILL in the middle of a downsample or retention run, then a re-run: the rollup equals the
// aggregates of the raw rows (no duplicates, no gaps) and retention dropped exactly the old rows.
const assert = require('node:assert/strict');
const path = require('node:path');
const { open } = require('../dist/engine');
const { tempDir } = require('./helpers');
const { runKilledAfterOpen } = require('./support/kill-after-open');

const RUNNER = path.join(__dirname, 'support', 'policy-runner.js');
const DAY = 86400000;
const T0 = 1764028800000;
const NOW = T0 + 2 * DAY;

async function runAndMaybeKill(dir, killAfterMs) {
  const { lines } = await runKilledAfterOpen(RUNNER, [dir, NOW], killAfterMs, { mayFinish: true });
  return lines.includes('done');
}

async function seed(dir) {
  const db = await open(dir, { compactionTrigger: 0 });
  for (let s = 0; s < 20; s++) {
    const readings = [];
    for (let m = 0; m < 2 * 24 * 60; m++)
      readings.push({ time: T0 + m * 60000, tags: { s: `S${s}` }, fields: { v: (m % 97) + s } });
    await db.write('raw', readings);
  }
  await db.flush();
  await db.close();
}

/** Per (series, bucket) aggregates of the raw rows the rollup covers. */
function reference(rows, horizon) {
  const groups = new Map();
  for (const r of rows) {
    if (r.time >= horizon) continue;
    const bucket = Math.floor(r.time / 300000) * 300000;
    const key = `${r.s}|${bucket}`;
    const g = groups.get(key) ?? { time: bucket, s: r.s, n: 0, sum: 0 };
    g.n++;
    g.sum += r.v;
    groups.set(key, g);
  }
  return groups;
}

describe('crash: SIGKILL during downsample and retention runs', function () {
  this.timeout(240000);

  it('a re-run after any kill leaves the right rollup and the right raw rows', async () => {
    const dir = tempDir();
    await seed(dir);
    const before = await open(dir);
    const raw = await before.read('raw');
    await before.close();
    const horizon = Math.floor((NOW - 3600000) / 300000) * 300000;
    const expected = reference(raw, horizon);
    let finished = 0;
    for (let round = 0; round < 8; round++) {
      if (await runAndMaybeKill(dir, 5 + ((round * 37) % 120))) finished++;
      const db = await open(dir);
      await db.runDownsample({ source: 'raw', bucket: '5m', after: '1h', now: NOW });
      await db.runRetention({ table: 'raw', maxAge: '1d', now: NOW });
      const rollup = await db.read('raw_5m');
      assert.equal(rollup.length, expected.size, `round ${round}: bucket count`);
      for (const r of rollup) {
        const e = expected.get(`${r.s}|${r.time}`);
        assert.ok(e, `round ${round}: unexpected bucket ${r.s}@${r.time}`);
        assert.equal(r.v_count, e.n);
        assert.ok(Math.abs(r.v_avg - e.sum / e.n) < 1e-9);
      }
      const left = await db.read('raw');
      assert.equal(
        left.length,
        raw.filter((r) => r.time >= NOW - DAY).length,
        `round ${round}: raw rows kept`,
      );
      assert.ok(left.every((r) => r.time >= NOW - DAY));
      await db.close();
    }
    assert.ok(finished < 8, 'every run finished before the kill: the test proved little');
  });
});
