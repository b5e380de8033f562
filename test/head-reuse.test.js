// The head reuses the memory of flushed heads (engine/head/slabs.ts). These tests write, flush and
// write again with other series, types and NULL patterns, many times, and check that every row
// reads back exactly (and after reopen): no flush's rows may show through in the next head, and a
// scan that holds a head, or rows a scan gave out, must not see the memory reused under them.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const fc = require('fast-check');
const { open } = require('../dist/engine');
const { tempDir } = require('./helpers');

const T0 = 1764000000000;
const SECOND = 1000;
const SENSORS = ['a', 'b', 'c', 'd', 'e'];
const FIELDS = ['f', 'i', 'b', 's'];

/** Last write wins per (sensor, time), the whole row; absent and null fields have no value. */
class Model {
  constructor() {
    this.rows = new Map();
  }
  write(readings) {
    for (const r of readings) {
      const row = { time: r.time, sensor: r.tags.sensor };
      for (const name of FIELDS) {
        const v = r.fields[name];
        if (v !== null && v !== undefined) row[name] = typeof v === 'bigint' ? Number(v) : v;
      }
      this.rows.set(`${r.tags.sensor}|${r.time}`, row);
    }
  }
  read() {
    return [...this.rows.values()].sort((x, y) =>
      x.sensor < y.sensor ? -1 : x.sensor > y.sensor ? 1 : x.time - y.time,
    );
  }
}

/** Scan rows as read() gives them. */
function plain(seriesRows) {
  const out = [];
  for (const rows of seriesRows) {
    for (let i = 0; i < rows.count; i++) {
      const row = { time: rows.times[i], ...rows.tags };
      for (const [name, column] of rows.fields) {
        if (column.present && !column.present[i]) continue;
        const v = column.values[i];
        row[name] = column.type === 'bool' ? v === 1 : v;
      }
      out.push(row);
    }
  }
  return out;
}

const valueArbs = {
  f: fc.double(), // NaN, -0, infinities and huge and tiny values included
  i: fc.bigInt({ min: -(2n ** 53n) + 1n, max: 2n ** 53n - 1n }),
  b: fc.boolean(),
  s: fc.string({ maxLength: 6 }),
};

/** Fields with any NULL pattern: a key left out, or null; at least one value. */
const fieldsArb = fc
  .record(
    Object.fromEntries(FIELDS.map((name) => [name, fc.option(valueArbs[name], { nil: null, freq: 3 })])),
    { requiredKeys: [] },
  )
  .filter((fields) => Object.values(fields).some((v) => v !== null && v !== undefined));

/** Readings in any order, times repeating (a later write replaces the row). */
const scatteredArb = fc.array(
  fc.record({
    time: fc.integer({ min: 0, max: 400 }).map((s) => T0 + s * SECOND),
    tags: fc.record({ sensor: fc.constantFrom(...SENSORS) }),
    fields: fieldsArb,
  }),
  { minLength: 1, maxLength: 60 },
);

/** A run of one sensor in time order, long enough to span regions of 64 rows. */
const runArb = fc
  .record({
    sensor: fc.constantFrom(...SENSORS),
    start: fc.integer({ min: 0, max: 400 }),
    fields: fc.array(fieldsArb, { minLength: 1, maxLength: 300 }),
  })
  .map(({ sensor, start, fields }) =>
    fields.map((f, k) => ({ time: T0 + (start + k) * SECOND, tags: { sensor }, fields: f })),
  );

const stepArb = fc.oneof(
  { weight: 3, arbitrary: scatteredArb.map((readings) => ({ kind: 'write', readings })) },
  { weight: 3, arbitrary: runArb.map((readings) => ({ kind: 'write', readings })) },
  { weight: 2, arbitrary: fc.constant({ kind: 'flush' }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'read' }) },
  { weight: 1, arbitrary: runArb.map((readings) => ({ kind: 'heldScan', readings })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reopen' }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'crash' }) },
);

// Small heads, so writes also flush in the background while steps run.
const OPTIONS = { memoryLimitMB: 0.25, chunkRows: 64, maxHeadAge: 0 };

/**
 * A scan that holds the heads while they are flushed, retired and their memory reused by new
 * writes must still give the rows of its snapshot. (The active head it holds takes writes until
 * frozen, so the snapshot is taken with rows in it, few enough not to start a flush.)
 */
async function heldScan(db, model, readings) {
  await db.flush();
  // Copies in two more series, shifted so that no two series hold the same rows.
  const held = [readings, 'y', 'z'].flatMap((to, n) =>
    n === 0 ? to : readings.map((r) => ({ ...r, time: r.time + n * 7 * SECOND, tags: { sensor: to } })),
  );
  await db.write('r', held);
  model.write(held);
  const want = model.read();
  const scan = db.scan('r')[Symbol.asyncIterator]();
  const got = [];
  let next = await scan.next(); // holds the head; series 'y' and 'z' are read after the reuse
  await db.flush();
  for (const shift of [500, 1000]) {
    const later = held.map((r) => ({ ...r, time: r.time + shift * SECOND }));
    await db.write('r', later);
    model.write(later);
    await db.flush();
  }
  for (; !next.done; next = await scan.next()) got.push(next.value);
  assert.deepEqual(plain(got), want);
  // The scan is over: its heads' memory goes to the next writes, and its rows must not change.
  const after = held.map((r) => ({ ...r, time: r.time + 1500 * SECOND }));
  await db.write('r', after);
  model.write(after);
  assert.deepEqual(plain(got), want);
  return got;
}

async function runSteps(steps, stats) {
  let dir = tempDir('helios-head-reuse-');
  let db = await open(dir, OPTIONS);
  const model = new Model();
  const kept = []; // rows scans gave out, with what they said then
  try {
    for (const step of steps) {
      if (step.kind === 'write') {
        await db.write('r', step.readings);
        model.write(step.readings);
      } else if (step.kind === 'flush') {
        await db.flush();
      } else if (step.kind === 'read') {
        assert.deepEqual(await db.read('r'), model.read());
      } else if (step.kind === 'heldScan') {
        const rows = await heldScan(db, model, step.readings);
        kept.push({ rows, said: plain(rows) });
      } else {
        // reopen, or a crash: the directory as it is on disk while the engine runs, opened anew
        stats.reused += db.headSlabs.reused;
        const copy = step.kind === 'crash' ? tempDir('helios-head-reuse-crash-') : dir;
        if (copy !== dir) fs.cpSync(dir, copy, { recursive: true });
        await db.close();
        dir = copy;
        db = await open(dir, OPTIONS);
      }
    }
    assert.deepEqual(await db.read('r'), model.read());
    stats.reused += db.headSlabs.reused;
    await db.close();
    db = await open(dir, OPTIONS);
    assert.deepEqual(await db.read('r'), model.read());
    for (const { rows, said } of kept) assert.deepEqual(plain(rows), said);
  } finally {
    await db.close();
  }
}

describe('head memory reuse', function () {
  this.timeout(180_000);

  it('reads back every row exactly through many flushes of changing series, types and NULLs', async () => {
    const stats = { reused: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 4, maxLength: 24 }), (steps) => runSteps(steps, stats)),
      { numRuns: 60 },
    );
    assert.ok(stats.reused > 0, 'the runs reused no slab: the test no longer exercises reuse');
  });

  it('reads back small interleaved batches and late fields from reused memory, cycle after cycle', async () => {
    const dir = tempDir('helios-head-reuse-');
    const db = await open(dir, OPTIONS);
    const model = new Model();
    try {
      for (let cycle = 0; cycle < 30; cycle++) {
        // Ten rows per series per batch: the series' regions interleave in the slabs.
        for (let batch = 0; batch < 20; batch++) {
          const readings = [];
          for (const sensor of SENSORS) {
            for (let k = batch * 10; k < batch * 10 + 10; k++) {
              const fields = { f: cycle + k / 100 };
              // Even cycles fill byte regions with ones; odd ones add fields at row 70, whose
              // presence must read 0 before it on those same (reused) bytes.
              if (cycle % 2 === 0) fields.b = true;
              else if (k >= 70) Object.assign(fields, { s: `v${k}`, i: BigInt(k) });
              readings.push({ time: T0 + (cycle * 1000 + k) * SECOND, tags: { sensor }, fields });
            }
          }
          await db.write('r', readings);
          model.write(readings);
        }
        await db.flush();
      }
      assert.ok(db.headSlabs.reused > 0);
      assert.deepEqual(await db.read('r'), model.read());
    } finally {
      await db.close();
    }
    const reopened = await open(dir, OPTIONS);
    try {
      assert.deepEqual(await reopened.read('r'), model.read());
    } finally {
      await reopened.close();
    }
  });

  it('writes no segment for a partition whose rows a delete hid before the flush', async () => {
    const dir = tempDir('helios-head-reuse-');
    const db = await open(dir, OPTIONS);
    const segments = () =>
      fs.readdirSync(path.join(dir, 'data'), { recursive: true }).filter((f) => f.endsWith('.seg'));
    try {
      const day = 86_400_000;
      await db.write('r', [
        { time: T0, tags: { sensor: 'a' }, fields: { f: 1 } },
        { time: T0 + 2 * day, tags: { sensor: 'b' }, fields: { f: 2 } },
      ]);
      await db.deleteRows('r', { to: T0 + 3 * day });
      await db.write('r', [{ time: T0 + 4 * day, tags: { sensor: 'a' }, fields: { f: 3 } }]);
      await db.flush();
      assert.equal(segments().length, 1);
      assert.deepEqual(await db.read('r'), [{ time: T0 + 4 * day, sensor: 'a', f: 3 }]);
    } finally {
      await db.close();
    }
  });
});
