/**
 * Real-world series (NAB fixtures, test/fixtures/nab/) make an exact round trip through the engine:
 * from the head before flush, from segments after flush, and from segments after close and reopen.
 */

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { open } = require('../dist/engine');

const FIXTURES = path.join(__dirname, 'fixtures', 'nab');
const TABLE = 'nab';
/** Written in batches this size, in file order, so a series spans several WAL records. */
const BATCH = 1000;

function fixtureNames() {
  return fs
    .readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.csv'))
    .map((f) => f.slice(0, -4))
    .sort();
}

/** The CSV's points in file order; NAB timestamps are UTC without a zone ('2013-07-04 00:00:00'). */
function loadPoints(name) {
  const lines = fs.readFileSync(path.join(FIXTURES, `${name}.csv`), 'utf8').split('\n');
  assert.equal(lines[0].trim(), 'timestamp,value');
  const points = [];
  for (const line of lines.slice(1)) {
    if (line.trim() === '') continue;
    const [stamp, text] = line.split(',');
    const time = Date.parse(`${stamp.trim().replace(' ', 'T')}Z`);
    const value = Number(text);
    assert.ok(Number.isInteger(time) && Number.isFinite(value), `${name}.csv: unparsable line "${line}"`);
    points.push({ time, value });
  }
  return points;
}

/** What the engine must return: one row per time (the last written wins), sorted by time. */
function expectedSeries(points) {
  const byTime = new Map();
  for (const p of points) byTime.set(p.time, p.value);
  const times = [...byTime.keys()].sort((a, b) => a - b);
  return { times, values: times.map((t) => byTime.get(t)) };
}

async function writeSeries(db, name, points) {
  for (let i = 0; i < points.length; i += BATCH) {
    const readings = points
      .slice(i, i + BATCH)
      .map((p) => ({ time: p.time, tags: { series: name }, fields: { value: p.value } }));
    const result = await db.write(TABLE, readings);
    assert.equal(result.count, readings.length);
  }
}

async function readSeries(db, name, expected) {
  const rows = await db.read(TABLE, {
    from: expected.times[0],
    to: expected.times.at(-1),
    tags: { series: name },
  });
  for (const row of rows) assert.equal(row.series, name);
  return { times: rows.map((r) => r.time), values: rows.map((r) => r.value) };
}

function assertSameSeries(actual, expected, when) {
  assert.equal(actual.times.length, expected.times.length, `row count ${when}`);
  assert.deepStrictEqual(actual.times, expected.times, `times ${when}`);
  assert.deepStrictEqual(actual.values, expected.values, `values ${when}`);
}

describe('NAB fixture series round trip', function () {
  this.timeout(60_000);
  let tmp;

  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'helios-nab-'));
  });

  afterEach(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('has the fixture series, each with enough points to matter', () => {
    const names = fixtureNames();
    assert.ok(names.length >= 3, `only ${names.length} fixture series`);
    for (const name of names) assert.ok(loadPoints(name).length >= 2000, name);
  });

  it('keeps the duplicated hour of machine_temperature: the later reading wins', () => {
    const points = loadPoints('machine_temperature_system_failure');
    const expected = expectedSeries(points);
    assert.equal(points.length - expected.times.length, 12);
    const t = Date.parse('2014-01-07T02:00:00Z');
    assert.equal(expected.values[expected.times.indexOf(t)], 94.13972336);
  });

  for (const name of fixtureNames()) {
    it(`${name}: exact from the head, after flush, and after reopen`, async () => {
      const points = loadPoints(name);
      const expected = expectedSeries(points);
      const dir = path.join(tmp, 'db');

      const db = await open(dir, { durability: 'batch', memoryLimitMB: 64 });
      await writeSeries(db, name, points);
      assert.ok(db.stats().headRows > 0, 'rows should still be in the head before flush');
      assertSameSeries(await readSeries(db, name, expected), expected, 'from the head');

      await db.flush();
      assert.equal(db.stats().headRows, 0, 'flush should empty the head');
      assertSameSeries(await readSeries(db, name, expected), expected, 'after flush');
      await db.close();

      const reopened = await open(dir, { durability: 'batch', memoryLimitMB: 64 });
      try {
        const stats = reopened.stats();
        assert.equal(stats.headRows, 0, 'nothing to replay after a flush and a clean close');
        // rows may count a rewritten (series, time) twice until compaction (see TableStats.rows)
        assert.ok(stats.tables[TABLE].rows >= expected.times.length, `rows ${stats.tables[TABLE].rows}`);
        assert.ok(stats.tables[TABLE].rows <= points.length, `rows ${stats.tables[TABLE].rows}`);
        assert.equal(stats.tables[TABLE].series, 1);
        assert.equal(stats.tables[TABLE].minTime, expected.times[0]);
        assert.equal(stats.tables[TABLE].maxTime, expected.times.at(-1));
        assertSameSeries(await readSeries(reopened, name, expected), expected, 'after reopen');
      } finally {
        await reopened.close();
      }
    });
  }

  it('keeps every series apart when all share one table', async () => {
    const names = fixtureNames();
    const dir = path.join(tmp, 'db');
    const expectedByName = new Map();
    let db = await open(dir, { durability: 'batch' });
    for (const name of names) {
      const points = loadPoints(name);
      expectedByName.set(name, expectedSeries(points));
      await writeSeries(db, name, points);
    }
    await db.close(); // no explicit flush: whatever close leaves behind must read back the same
    db = await open(dir, { durability: 'batch' });
    try {
      assert.equal(db.stats().tables[TABLE].series, names.length);
      for (const name of names) {
        const expected = expectedByName.get(name);
        assertSameSeries(await readSeries(db, name, expected), expected, `${name} in a shared table`);
      }
    } finally {
      await db.close();
    }
  });
});
