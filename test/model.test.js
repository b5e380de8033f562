// Model-based test: random sequences of write / flush / compact / reopen / read against a
// deliberately simple in-memory model (a map from (series, time) to the last written row).
const assert = require('node:assert/strict');
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

const commands = [
  fc.array(readingArb, { minLength: 1, maxLength: 40 }).map((r) => new WriteCommand(r)),
  fc.constant(new FlushCommand()),
  fc.constant(new CompactCommand()),
  fc.constant(new ReopenCommand()),
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
      fc.asyncProperty(fc.commands(commands, { maxCommands: 40 }), async (cmds) => {
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
