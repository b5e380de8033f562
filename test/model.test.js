// Model-based test: random sequences of write / flush / compact / reopen / read against a
// deliberately simple in-memory model (a map from (series, time) to the last written row).
const assert = require('node:assert/strict');
const fs = require('node:fs');
const fc = require('fast-check');
const { open } = require('../dist/engine');
const { tempDir } = require('./helpers');

const T0 = 1764000000000;
const HOUR = 3600000;

class Model {
  constructor() {
    this.rows = new Map(); // `${sensor}|${time}` -> row
  }
  write(readings) {
    for (const r of readings) {
      const row = { time: r.time, sensor: r.tags.sensor };
      for (const [k, v] of Object.entries(r.fields)) if (v !== undefined) row[k] = v;
      this.rows.set(`${r.tags.sensor}|${r.time}`, row);
    }
  }
  delete(from = -Infinity, to = Infinity, sensor) {
    for (const [key, row] of this.rows) {
      if (row.time >= from && row.time <= to && (sensor === undefined || row.sensor === sensor))
        this.rows.delete(key);
    }
  }
  read(from = -Infinity, to = Infinity, sensor) {
    return [...this.rows.values()]
      .filter((r) => r.time >= from && r.time <= to && (sensor === undefined || r.sensor === sensor))
      .sort((a, b) => (a.sensor < b.sensor ? -1 : a.sensor > b.sensor ? 1 : a.time - b.time));
  }
}

class Real {
  constructor(dir) {
    this.dir = dir;
    this.db = null;
  }
  async open() {
    this.db = await open(this.dir, {
      memoryLimitMB: 1,
      compactionTrigger: 3,
      chunkRows: 16,
      partitionDuration: '6h',
    });
  }
}

const readingArb = fc.record({
  // few series and a narrow time domain, so duplicates and out-of-order writes are common;
  // times cross partition boundaries (6 h partitions over 2 days)
  time: fc.integer({ min: 0, max: 48 }).map((h) => T0 + h * HOUR),
  tags: fc.record({ sensor: fc.constantFrom('a', 'b', 'c') }),
  fields: fc.record(
    {
      v: fc.oneof(
        fc.double({ noNaN: true }),
        fc.integer({ min: -1000, max: 1000 }).map((x) => x / 100),
      ),
      ok: fc.boolean(),
    },
    { requiredKeys: ['v'] },
  ),
});

class WriteCommand {
  constructor(readings) {
    this.readings = readings;
  }
  check() {
    return true;
  }
  async run(model, real) {
    await real.db.write('m', this.readings);
    model.write(this.readings);
  }
  toString() {
    return `write(${JSON.stringify(this.readings)})`;
  }
}

class DeleteCommand {
  constructor(range, sensor, drop) {
    this.range = range;
    this.sensor = sensor;
    this.drop = drop;
  }
  check() {
    return true;
  }
  async run(model, real) {
    if (this.drop) {
      await real.db.dropTable('m');
      model.delete();
      return;
    }
    const options = {};
    if (this.range) [options.from, options.to] = this.range;
    if (this.sensor) options.tags = { sensor: this.sensor };
    await real.db.deleteRows('m', options);
    model.delete(options.from, options.to, this.sensor);
  }
  toString() {
    return this.drop ? 'dropTable' : `delete(${JSON.stringify(this.range)}, ${this.sensor})`;
  }
}

class FlushCommand {
  check() {
    return true;
  }
  async run(_model, real) {
    await real.db.flush();
  }
  toString() {
    return 'flush';
  }
}

class CompactCommand {
  check() {
    return true;
  }
  async run(_model, real) {
    await real.db.compact(true);
  }
  toString() {
    return 'compact';
  }
}

class ReopenCommand {
  check() {
    return true;
  }
  async run(_model, real) {
    await real.db.close();
    await real.open();
  }
  toString() {
    return 'reopen';
  }
}

/**
 * A crash: the directory is copied as it is on disk while the engine runs (no close, no flush),
 * and the copy is opened, so recovery replays the WAL, deletes included.
 */
class CrashCommand {
  check() {
    return true;
  }
  async run(_model, real) {
    const copy = tempDir('helios-model-crash-');
    fs.cpSync(real.dir, copy, { recursive: true });
    await real.db.close();
    real.dir = copy;
    await real.open();
  }
  toString() {
    return 'crash';
  }
}

class ReadCommand {
  constructor(range, sensor) {
    this.range = range;
    this.sensor = sensor;
  }
  check() {
    return true;
  }
  async run(model, real) {
    const options = {};
    if (this.range) [options.from, options.to] = this.range;
    if (this.sensor) options.tags = { sensor: this.sensor };
    const got = await real.db.read('m', options);
    const want = model.read(options.from, options.to, this.sensor);
    assert.deepEqual(got, want);
  }
  toString() {
    return `read(${JSON.stringify(this.range)}, ${this.sensor})`;
  }
}

const rangeArb = fc
  .tuple(fc.integer({ min: 0, max: 48 }), fc.integer({ min: 0, max: 48 }))
  .map(([a, b]) => [T0 + Math.min(a, b) * HOUR, T0 + Math.max(a, b) * HOUR]);

const writeArb = fc.array(readingArb, { minLength: 1, maxLength: 40 }).map((r) => new WriteCommand(r));

// Writes and deletes weigh more, so sequences reach states worth checking.
const commands = [
  writeArb,
  writeArb,
  writeArb,
  fc
    .tuple(
      fc.option(rangeArb, { nil: undefined }),
      fc.option(fc.constantFrom('a', 'b'), { nil: undefined }),
      fc.integer({ min: 0, max: 9 }).map((x) => x === 0),
    )
    .map(([range, sensor, drop]) => new DeleteCommand(range, sensor, drop)),
  fc.constant(new FlushCommand()),
  fc.constant(new CompactCommand()),
  fc.constant(new ReopenCommand()),
  fc.constant(new CrashCommand()),
  fc
    .tuple(
      fc.option(
        fc
          .tuple(fc.integer({ min: 0, max: 48 }), fc.integer({ min: 0, max: 48 }))
          .map(([a, b]) => [T0 + Math.min(a, b) * HOUR, T0 + Math.max(a, b) * HOUR]),
        { nil: undefined },
      ),
      fc.option(fc.constantFrom('a', 'b', 'z'), { nil: undefined }),
    )
    .map(([range, sensor]) => new ReadCommand(range, sensor)),
];

describe('model: the engine behaves like a map from (series, time) to the last row written', function () {
  this.timeout(120000);

  it('agrees with the model over random command sequences', async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 60, size: 'medium' }), async (cmds) => {
        const real = new Real(tempDir('helios-model-'));
        await real.open();
        const model = new Model();
        try {
          await fc.asyncModelRun(() => ({ model, real }), cmds);
          await new ReadCommand(undefined, undefined).run(model, real); // a final full comparison
        } finally {
          await real.db.close();
        }
      }),
      { numRuns: 60 },
    );
  });
});

// The same for rows with rowids: a table without tags, where rows at one time are all kept, and
// new versions of chosen rows (UPDATE) and delete markers (DELETE of chosen rows) are written by
// identity, alone or in transactions that commit or roll back. The model is a map from rowid to
// row; rowids come from the write results and must never repeat.
class RowidModel {
  constructor() {
    this.rows = new Map(); // rowid -> { time, ...fields }
    this.ids = new Set(); // every rowid ever handed out
  }
  read() {
    return [...this.rows.entries()]
      .sort((a, b) => a[1].time - b[1].time || a[0] - b[0])
      .map(([, row]) => row);
  }
}

const rowArb = fc.record({
  time: fc.integer({ min: 0, max: 6 }).map((h) => T0 + h * HOUR), // many rows share a time
  fields: fc.record({ v: fc.integer({ min: -100, max: 100 }) }),
});

/** The changes of one command: new rows, new versions of existing ones (by pick), deletions (by pick). */
const changeArb = fc.record({
  inserts: fc.array(rowArb, { maxLength: 20 }),
  updates: fc.array(fc.tuple(fc.nat(), fc.integer({ min: -100, max: 100 })), { maxLength: 5 }),
  deletes: fc.array(fc.nat(), { maxLength: 5 }),
  tx: fc.constantFrom('none', 'commit', 'rollback'),
});

class ChangeCommand {
  constructor(change) {
    this.change = change;
  }
  check() {
    return true;
  }
  async run(model, real) {
    const { inserts, updates, deletes, tx } = this.change;
    const existing = [...model.rows.keys()];
    const stored = [];
    const changed = new Map(); // rowid -> new row or null
    for (const [pick, v] of updates) {
      if (existing.length === 0) break;
      const id = existing[pick % existing.length];
      const row = { ...(changed.get(id) ?? model.rows.get(id)), v };
      changed.set(id, row);
      stored.push({ time: row.time, fields: { v }, rowid: id });
    }
    for (const pick of deletes) {
      if (existing.length === 0) break;
      const id = existing[pick % existing.length];
      changed.set(id, null);
      stored.push({ time: model.rows.get(id).time, fields: {}, rowid: id, deleted: true });
    }
    const apply = async (target) => {
      const r = inserts.length ? await target.write('n', inserts) : null;
      if (stored.length) await target.writeStored('n', stored);
      return r;
    };
    let result;
    if (tx === 'none') result = await apply(real.db);
    else {
      const t = real.db.begin();
      result = await apply(t);
      if (tx === 'commit') await t.commit();
      else t.rollback();
    }
    if (tx === 'rollback') return;
    if (result) {
      const ids = Array.from(result.rowids);
      for (const id of ids) assert.ok(!model.ids.has(id), `rowid ${id} handed out twice`);
      inserts.forEach((r, i) => {
        model.rows.set(ids[i], { time: r.time, v: r.fields.v });
        model.ids.add(ids[i]);
      });
    }
    for (const [id, row] of changed) {
      if (row === null) model.rows.delete(id);
      else model.rows.set(id, row);
    }
  }
  toString() {
    return `change(${JSON.stringify(this.change)})`;
  }
}

class ReadRowidCommand {
  check() {
    return true;
  }
  async run(model, real) {
    assert.deepEqual(await real.db.read('n'), model.read());
    // a table never written does not exist yet: only then may SQL refuse to count it
    if (real.db.schema('n') === undefined) {
      assert.equal(model.ids.size, 0, 'rows were written, but table "n" is missing');
      return;
    }
    const n = (await real.db.query('SELECT count(*) AS n FROM n')).rows[0].n;
    assert.equal(n, model.rows.size);
  }
  toString() {
    return 'readRowids';
  }
}

describe('model: rows with rowids, updated and deleted by identity, in and out of transactions', function () {
  this.timeout(120000);

  it('agrees with the model over random command sequences', async () => {
    const rowidCommands = [
      changeArb.map((c) => new ChangeCommand(c)),
      changeArb.map((c) => new ChangeCommand(c)),
      changeArb.map((c) => new ChangeCommand(c)),
      fc.constant(new FlushCommand()),
      fc.constant(new CompactCommand()),
      fc.constant(new ReopenCommand()),
      fc.constant(new CrashCommand()),
      fc.constant(new ReadRowidCommand()),
    ];
    await fc.assert(
      fc.asyncProperty(fc.commands(rowidCommands, { maxCommands: 50, size: 'medium' }), async (cmds) => {
        const real = new Real(tempDir('helios-model-'));
        await real.open();
        const model = new RowidModel();
        try {
          await fc.asyncModelRun(() => ({ model, real }), cmds);
          await new ReadRowidCommand().run(model, real);
        } finally {
          await real.db.close();
        }
      }),
      { numRuns: 50 },
    );
  });
});
