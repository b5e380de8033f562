// "Latest value per series" reads only each series' edge row (a remembered chunk edge, the head's
// newest row): it must still equal the answer over all rows, after every step of whatever mix of
// writes, flushes, compactions, overwrites and deletes the data went through, with the same
// database answering again and again (the remembered edges must follow the data).
const assert = require('node:assert/strict');
const fc = require('fast-check');
const { open } = require('../dist/engine');
const { tempDir } = require('./helpers');

const T0 = 1764000000000;

/** Per series `s`, the row `better` prefers among rows with from <= time <= to, by s. */
function edgeRows(all, better, from = -Infinity, to = Infinity) {
  const best = new Map();
  for (const row of all) {
    if (row.time < from || row.time > to) continue;
    if (!best.has(row.s) || better(row.time, best.get(row.s).time)) best.set(row.s, row);
  }
  return [...best.values()]
    .sort((x, y) => (x.s < y.s ? -1 : 1))
    .map((r) => ({ s: r.s, time: r.time, v: r.v }));
}

async function checkLatest(db) {
  if (!db.tables().includes('r')) return;
  const all = await db.read('r');
  const newer = (a, b) => a > b;
  const older = (a, b) => a < b;
  const latest = await db.query('SELECT DISTINCT ON (s) s, time, v FROM r ORDER BY s, time DESC');
  assert.deepEqual(latest.rows, edgeRows(all, newer), 'newest row per series');
  const first = await db.query('SELECT DISTINCT ON (s) s, time, v FROM r ORDER BY s, time');
  assert.deepEqual(first.rows, edgeRows(all, older), 'oldest row per series');
  const ofA = await db.query("SELECT DISTINCT ON (s) s, time, v FROM r WHERE s = 'a' ORDER BY s, time DESC");
  assert.deepEqual(
    ofA.rows,
    edgeRows(
      all.filter((r) => r.s === 'a'),
      newer,
    ),
    'newest row of one series',
  );
  // time ranges: the edge row in range, whether the series' own edge lies inside or beyond them
  for (const [op, from, to] of [
    ['>=', T0 + 150, Infinity],
    ['<=', -Infinity, T0 + 150],
  ]) {
    const bound = op === '>=' ? from : to;
    for (const [order, better] of [
      ['time', older],
      ['time DESC', newer],
    ]) {
      const got = await db.query(
        `SELECT DISTINCT ON (s) s, time, v FROM r WHERE time ${op} $t ORDER BY s, ${order}`,
        {
          t: bound,
        },
      );
      assert.deepEqual(
        got.rows,
        edgeRows(all, better, from, to),
        `${order} row per series, time ${op} ${bound}`,
      );
    }
  }
}

const writeStep = fc.array(
  fc.record({
    t: fc.integer({ min: 0, max: 300 }),
    s: fc.constantFrom('a', 'b', 'c'),
    v: fc.integer({ min: 0, max: 99 }),
  }),
  { minLength: 1, maxLength: 40 },
);
const deleteStep = fc.record({
  from: fc.integer({ min: 0, max: 300 }),
  len: fc.integer({ min: 0, max: 120 }),
  s: fc.constantFrom('a', 'b'),
});

/** Writes a new value at the newest (or oldest) time series `s` has now: a replacing write of its edge row. */
const overwriteStep = fc.record({
  edge: fc.constantFrom('newest', 'oldest'),
  s: fc.constantFrom('a', 'b', 'c'),
  v: fc.integer({ min: 100, max: 199 }),
});

async function overwriteEdge(db, { edge, s, v }) {
  if (!db.tables().includes('r')) return;
  const times = (await db.read('r', { tags: { s } })).map((r) => r.time);
  if (times.length === 0) return;
  const time = edge === 'newest' ? Math.max(...times) : Math.min(...times);
  await db.write('r', [{ time, tags: { s }, fields: { v } }]);
}

async function apply(db, step) {
  if (step === 'flush') await db.flush();
  else if (step.edge) await overwriteEdge(db, step);
  else if (step === 'compact') await db.compact(true);
  else if (Array.isArray(step)) {
    await db.write(
      'r',
      step.map((x) => ({ time: T0 + x.t, tags: { s: x.s }, fields: { v: x.v } })),
    );
  } else {
    await db.deleteRows('r', { from: T0 + step.from, to: T0 + step.from + step.len, tags: { s: step.s } });
  }
}

describe('SQL: latest row per series from the edge rows', () => {
  it('equals the newest and oldest row of each series over all rows, after every step', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(writeStep, fc.constant('flush'), fc.constant('compact'), deleteStep, overwriteStep),
          {
            minLength: 1,
            maxLength: 16,
          },
        ),
        async (steps) => {
          const db = await open(tempDir('helios-latest-'), { chunkRows: 16, compactionTrigger: 0 });
          try {
            for (const step of steps) {
              await apply(db, step);
              await checkLatest(db);
            }
          } finally {
            await db.close();
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
