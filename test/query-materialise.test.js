// db.query's last step, the operators' rows turned into the result's objects (issue #17: a 100k-row
// SELECT held the event loop), gives the event loop a turn every ROWS_PER_TURN rows by itself, not
// only when the operator feeding it does. Shown by structure, not by the clock: a setImmediate
// ticker counts the turns the loop took while the rows were made, against a source that never
// yields (an async generator: microtasks only) and through db.query. The stall itself is measured
// in bench/query-stall-bench.js.
const assert = require('node:assert/strict');
const { open } = require('../dist/engine');
const { ROWS_PER_TURN, materialise } = require('../dist/engine/query/materialise');
const { TimeSlicer } = require('../dist/engine/util/fsutil');
const { tempDir } = require('./helpers');

/** Counts turns of the event loop (check phases) until stopped. */
function ticker() {
  const t = { turns: 0, on: true };
  const step = () => {
    t.turns++;
    if (t.on) setImmediate(step);
  };
  setImmediate(step);
  return t;
}

/** `count` batches of `size` rows [i, 'x'], handed out without a turn of the event loop; notes the turn of each. */
async function* eager(count, size, t, seen) {
  for (let b = 0; b < count; b++) {
    seen.push(t.turns);
    yield Array.from({ length: size }, (_, i) => [b * size + i, 'x']);
  }
}

// a slicer whose clock never runs out: only the row count can make it yield
const runtime = (maxRows = 1e9) => ({ slicer: new TimeSlicer(1e9), maxRows, checkTime() {} });

describe('query results are materialised across turns of the event loop', () => {
  it('from a source that never yields: at most ROWS_PER_TURN rows between two turns', async () => {
    const t = ticker();
    const seen = [];
    const rows = await materialise(eager(50, 1024, t, seen), ['n', 's'], runtime());
    t.on = false;
    assert.equal(rows.length, 50 * 1024);
    assert.deepEqual(rows[51199], { n: 51199, s: 'x' });
    // rows pulled while the loop stood at one turn
    const perTurn = new Map();
    for (const turn of seen) perTurn.set(turn, (perTurn.get(turn) ?? 0) + 1024);
    assert.ok(Math.max(...perTurn.values()) <= ROWS_PER_TURN, JSON.stringify([...perTurn]));
    assert.ok(perTurn.size >= (50 * 1024) / ROWS_PER_TURN, `${perTurn.size} turns`);
  });

  it('one batch larger than ROWS_PER_TURN is cut inside the batch', async () => {
    const t = ticker();
    const rows = await materialise(eager(1, 10 * ROWS_PER_TURN, t, []), ['n', 's'], runtime());
    const turns = t.turns;
    t.on = false;
    assert.equal(rows.length, 10 * ROWS_PER_TURN);
    assert.ok(turns >= 10, `${turns} turns`);
  });

  it('still refuses more rows than maxRows, with the sentence', async () => {
    const t = ticker();
    await assert.rejects(
      materialise(eager(3, 1000, t, []), ['n', 's'], runtime(2500)),
      /more than 2500 rows \(result rows\)/,
    );
    t.on = false;
  });

  it('db.query of 30,000 rows (sorted, so the sort hands them out) takes a turn per ROWS_PER_TURN rows and gives the same rows as iterate', async function () {
    this.timeout(30000);
    const db = await open(tempDir('helios-materialise-'), { durability: 'batch' });
    try {
      const readings = Array.from({ length: 30000 }, (_, i) => ({
        time: 1764000000000 + i * 10,
        tags: { sensor: `s${i % 7}` },
        fields: { v: (i * 7919) % 30000 },
      }));
      for (let i = 0; i < readings.length; i += 5000) await db.write('line', readings.slice(i, i + 5000));
      await db.flush();
      const sql = 'SELECT time, sensor, v FROM line ORDER BY v';
      const t = ticker();
      const result = await db.query(sql);
      const turns = t.turns;
      t.on = false;
      assert.equal(result.rows.length, 30000);
      assert.ok(turns >= Math.floor(30000 / ROWS_PER_TURN), `${turns} turns`);
      const streamed = [];
      for await (const batch of db.iterate(sql)) streamed.push(...batch);
      assert.deepEqual(result.rows, streamed);
      assert.deepEqual(
        result.rows.slice(0, 3).map((r) => r.v),
        [0, 1, 2],
      );
    } finally {
      await db.close();
    }
  });
});
