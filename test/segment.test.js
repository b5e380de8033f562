const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const fc = require('fast-check');
const { writeSegment } = require('../dist/engine/segment/writer');
const { SegmentReader } = require('../dist/engine/segment/reader');
const { CorruptionError, InvalidInputError } = require('../dist/engine/errors');

const DAY = 86_400_000;
const P0 = Date.UTC(2024, 0, 1);
const META = { table: 'plant', partitionStart: P0, partitionEnd: P0 + DAY, minLsn: 10, maxLsn: 42, level: 0 };
const TAG_KEYS = ['site', 'sensor'];
const FIELDS = [
  { name: 'temp', type: 'float' },
  { name: 'pulses', type: 'int' },
  { name: 'on', type: 'bool' },
  { name: 'state', type: 'string' },
];
const FIELD_TYPES = new Map(FIELDS.map((f) => [f.name, f.type]));

// ---------------------------------------------------------------------------------------------
// Helpers: build SeriesRows from plain arrays (null = absent), and turn both the input and what a
// reader returns into the same plain form, so round trips compare with one deepStrictEqual.

/** `fields`: { name: array of values or null }; absent rows become a presence array. */
function series(tags, times, fields = {}) {
  const columns = new Map();
  for (const [name, raw] of Object.entries(fields)) columns.set(name, column(FIELD_TYPES.get(name), raw));
  return { tags, count: times.length, times: Float64Array.from(times), fields: columns };
}

function column(type, raw) {
  const hasNulls = raw.some((v) => v === null);
  const present = hasNulls ? Uint8Array.from(raw, (v) => (v === null ? 0 : 1)) : null;
  let values;
  if (type === 'string') values = raw.map((v) => (v === null ? '' : v));
  else if (type === 'bool') values = Uint8Array.from(raw, (v) => (v ? 1 : 0));
  else values = Float64Array.from(raw, (v) => (v === null ? 0 : v));
  return { type, values, present };
}

/** The plain form of an input series: tags, times, and per field its values with null for absent. */
function plainInput(s) {
  const fields = {};
  for (const [name, col] of s.fields) {
    fields[name] = [];
    for (let i = 0; i < s.count; i++) {
      fields[name].push(col.present && col.present[i] === 0 ? null : col.values[i]);
    }
  }
  return { tags: { ...s.tags }, times: Array.from(s.times.subarray(0, s.count)), fields };
}

/** The plain form of a series read back chunk by chunk; fields are those the chunks keep stats for. */
async function plainRead(reader, entry) {
  const names = new Set();
  for (const chunk of entry.chunks) for (const name of chunk.stats.keys()) names.add(name);
  const fields = {};
  for (const name of FIELDS.map((f) => f.name)) if (names.has(name)) fields[name] = [];
  const times = [];
  for (const chunk of entry.chunks) {
    const decoded = await reader.readChunk(chunk);
    assert.equal(decoded.count, chunk.rows);
    times.push(...decoded.times);
    for (const name of Object.keys(fields)) {
      const col = decoded.fields.get(name);
      for (let i = 0; i < chunk.rows; i++) {
        fields[name].push(!col || (col.present && col.present[i] === 0) ? null : col.values[i]);
      }
    }
  }
  return { tags: { ...entry.tags }, times, fields };
}

/** Stats as the plain definition says: count/nulls for all, min/max/sum of numbers unless one is NaN. */
function naiveStats(type, values) {
  const present = values.filter((v) => v !== null);
  const stats = { count: present.length, nulls: values.length - present.length };
  if (type !== 'float' && type !== 'int') return stats;
  const numbers = present;
  if (numbers.length === 0 || numbers.some((v) => Number.isNaN(v))) return stats;
  return {
    ...stats,
    min: Math.min(...numbers),
    max: Math.max(...numbers),
    sum: numbers.reduce((a, b) => a + b, 0),
  };
}

/** Checks chunk shapes and stats of one read-back series against its plain input. */
function checkChunks(entry, input, chunkRows) {
  let start = 0;
  let previousMax = Number.NEGATIVE_INFINITY;
  for (const chunk of entry.chunks) {
    const expectedRows = Math.min(chunkRows, input.times.length - start);
    assert.equal(chunk.rows, expectedRows);
    assert.equal(chunk.minTime, input.times[start]);
    assert.equal(chunk.maxTime, input.times[start + chunk.rows - 1]);
    assert.ok(chunk.minTime > previousMax, 'chunks sorted and non-overlapping');
    previousMax = chunk.maxTime;
    assert.deepEqual([...chunk.stats.keys()].sort(), Object.keys(input.fields).sort());
    for (const [name, values] of Object.entries(input.fields)) {
      const slice = values.slice(start, start + chunk.rows);
      assert.deepStrictEqual({ ...chunk.stats.get(name) }, naiveStats(FIELD_TYPES.get(name), slice), name);
    }
    start += chunk.rows;
  }
  assert.equal(start, input.times.length);
}

/** Writes `input` series, reads everything back and checks data, chunking, stats and totals. */
async function roundTrip(file, input, chunkRows, meta = META) {
  const summary = await writeSegment(file, meta, TAG_KEYS, FIELDS, input, { chunkRows });
  const reader = await SegmentReader.open(file);
  try {
    const nonEmpty = input.filter((s) => s.count > 0);
    assert.equal(reader.allSeries().length, nonEmpty.length);
    for (let i = 0; i < nonEmpty.length; i++) {
      const entry = reader.allSeries()[i];
      const expected = plainInput(nonEmpty[i]);
      assert.deepStrictEqual(await plainRead(reader, entry), expected);
      assert.equal(entry.rows, expected.times.length);
      assert.equal(entry.minTime, expected.times[0]);
      assert.equal(entry.maxTime, expected.times.at(-1));
      checkChunks(entry, expected, chunkRows);
    }
    const rows = nonEmpty.reduce((n, s) => n + s.count, 0);
    const chunks = reader.allSeries().reduce((n, s) => n + s.chunks.length, 0);
    assert.deepEqual(summary, {
      bytes: fs.statSync(file).size,
      rows,
      series: nonEmpty.length,
      chunks,
      minTime: Math.min(...nonEmpty.map((s) => s.times[0])),
      maxTime: Math.max(...nonEmpty.map((s) => s.times[s.count - 1])),
    });
    assert.deepEqual(reader.meta, {
      ...meta,
      version: 2,
      bytes: summary.bytes,
      rows,
      minTime: summary.minTime,
      maxTime: summary.maxTime,
    });
    assert.deepEqual(reader.tagKeys, TAG_KEYS);
    assert.deepEqual(reader.fields, FIELDS);
    return { summary, reader };
  } finally {
    await reader.close();
  }
}

function times(n, start = P0, step = 1000) {
  return Array.from({ length: n }, (_, i) => start + i * step);
}

/** A deterministic PRNG (mulberry32) so generated data and measured sizes repeat exactly. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A mixed-type series: float with NaN/±Infinity/-0 and nulls, int, bool, string with nulls. */
function mixedSeries(tags, n, seed) {
  const rand = prng(seed);
  const specials = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 1e300, 5e-324];
  const temp = Array.from({ length: n }, (_, i) => {
    const r = rand();
    if (r < 0.1) return null;
    if (r < 0.15) return specials[i % specials.length];
    return Math.round((20 + rand() * 5) * 100) / 100;
  });
  const pulses = Array.from({ length: n }, (_, i) => (i % 7 === 3 ? null : i * 3 - 40));
  const on = Array.from({ length: n }, () => rand() < 0.5);
  const state = Array.from({ length: n }, (_, i) =>
    i % 5 === 0 ? null : ['idle', 'run', 'fault', 'é✓'][i % 4],
  );
  return series(tags, times(n, P0 + seed, 997), { temp, pulses, on, state });
}

let dir;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'helios-segment-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function file(name = 'a.seg') {
  return path.join(dir, name);
}

async function rejectsWith(promise, ErrorClass, check = () => {}) {
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof ErrorClass, `expected ${ErrorClass.name}, got ${err?.stack}`);
    check(err);
    return true;
  });
}

// ---------------------------------------------------------------------------------------------

describe('segment: round trip', () => {
  it('keeps many series with mixed types, nulls, specials and missing fields', async () => {
    const input = [];
    for (let i = 0; i < 40; i++)
      input.push(mixedSeries({ site: `s${i % 3}`, sensor: `t${i}` }, 1 + ((i * 37) % 90), i));
    // a series lacking fields, one with only a subset of tags, one with no tags at all
    input.push(series({ sensor: 'only-temp' }, times(25), { temp: times(25).map((_, i) => i / 4) }));
    input.push(series({}, times(3), { state: ['a', null, 'c'] }));
    input.push(series({ site: 'x', sensor: 'no-fields' }, times(4)));
    const { summary } = await roundTrip(file(), input, 16);
    assert.ok(summary.chunks > input.length, 'some series were split');
    assert.deepEqual(fs.readdirSync(dir), ['a.seg']);
  });

  it('reads only the requested fields', async () => {
    await writeSegment(file(), META, TAG_KEYS, FIELDS, [mixedSeries({ sensor: 'a' }, 50, 1)]);
    const reader = await SegmentReader.open(file());
    try {
      const chunk = reader.allSeries()[0].chunks[0];
      const some = await reader.readChunk(chunk, ['on', 'nope']);
      assert.deepEqual([...some.fields.keys()], ['on']);
      assert.equal(some.times.length, 50);
      const all = await reader.readChunk(chunk);
      assert.deepEqual([...all.fields.keys()], ['temp', 'pulses', 'on', 'state']);
      assert.deepEqual(all.fields.get('on').values, some.fields.get('on').values);
      assert.equal(all.fields.get('on').present, null, 'no bitmap when every row has a value');
      assert.ok(all.fields.get('state').present instanceof Uint8Array);
    } finally {
      await reader.close();
    }
  });

  it('handles one-row chunks and one-row series', async () => {
    const input = [mixedSeries({ sensor: 'a' }, 5, 3), series({ sensor: 'b' }, [P0 + 7], { temp: [1.5] })];
    const { reader } = await roundTrip(file(), input, 1);
    assert.deepEqual(
      reader.allSeries().map((s) => s.chunks.map((c) => c.rows)),
      [[1, 1, 1, 1, 1], [1]],
    );
  });

  it('stores nothing for a field that is all null in a chunk, and keeps its null count', async () => {
    const temp = [null, null, null, null, 1, null, 2.5, 3, 4, 5];
    const input = [series({ sensor: 'a' }, times(10), { temp, state: Array(10).fill(null) })];
    const { reader } = await roundTrip(file(), input, 4);
    const reopened = await SegmentReader.open(file());
    try {
      const [first, second, third] = reopened.allSeries()[0].chunks;
      assert.deepEqual({ ...first.stats.get('temp') }, { count: 0, nulls: 4 });
      assert.deepEqual({ ...first.stats.get('state') }, { count: 0, nulls: 4 });
      assert.deepEqual([...(await reopened.readChunk(first)).fields.keys()], []);
      assert.deepEqual({ ...second.stats.get('temp') }, { count: 3, nulls: 1, min: 1, max: 3, sum: 6.5 });
      const decoded = await reopened.readChunk(second);
      assert.deepEqual([...decoded.fields.get('temp').present], [1, 0, 1, 1]);
      assert.deepEqual({ ...third.stats.get('temp') }, { count: 2, nulls: 0, min: 4, max: 5, sum: 9 });
      assert.equal((await reopened.readChunk(third)).fields.get('temp').present, null);
    } finally {
      await reopened.close();
    }
    assert.equal(reader.allSeries().length, 1);
  });

  it('splits at exactly chunkRows and one past', async () => {
    const input = [
      series({ sensor: 'exact' }, times(8), { pulses: times(8).map((_, i) => i) }),
      series({ sensor: 'past' }, times(9), { pulses: times(9).map((_, i) => 0 - i) }),
      series({ sensor: 'twice' }, times(16), { pulses: times(16).map((_, i) => i * i) }),
    ];
    const { reader } = await roundTrip(file(), input, 8);
    assert.deepEqual(
      reader.allSeries().map((s) => s.chunks.map((c) => c.rows)),
      [[8], [8, 1], [8, 8]],
    );
  });

  it('splits at the default 4096 rows', async () => {
    const input = [
      series({ sensor: 'exact' }, times(4096), { temp: times(4096).map((_, i) => i / 8) }),
      series({ sensor: 'past' }, times(4097), { temp: times(4097).map((_, i) => i / 8) }),
    ];
    const summary = await writeSegment(file(), META, TAG_KEYS, FIELDS, input);
    assert.equal(summary.chunks, 3);
    const reader = await SegmentReader.open(file());
    try {
      assert.deepEqual(
        reader.allSeries().map((s) => s.chunks.map((c) => c.rows)),
        [[4096], [4096, 1]],
      );
      assert.deepStrictEqual(await plainRead(reader, reader.allSeries()[1]), plainInput(input[1]));
    } finally {
      await reader.close();
    }
  });

  it('writes and reads an empty segment, skipping series without rows', async () => {
    const input = [series({ sensor: 'none' }, [], { temp: [] })];
    const summary = await writeSegment(file(), META, TAG_KEYS, FIELDS, input);
    assert.deepEqual(summary, {
      bytes: fs.statSync(file()).size,
      rows: 0,
      series: 0,
      chunks: 0,
      minTime: Number.POSITIVE_INFINITY,
      maxTime: Number.NEGATIVE_INFINITY,
    });
    const reader = await SegmentReader.open(file());
    assert.equal(reader.allSeries().length, 0);
    assert.equal(reader.meta.rows, 0);
    assert.equal(reader.meta.minTime, Number.POSITIVE_INFINITY);
    await reader.close();
  });

  it('takes series from an async iterable and times before the epoch', async () => {
    const meta = { ...META, partitionStart: -DAY, partitionEnd: 0, level: 3 };
    async function* gen() {
      yield series({ sensor: 'a' }, [-DAY, -5, -1], { pulses: [2 ** 52, -(2 ** 52), 0] });
      await new Promise((resolve) => setImmediate(resolve));
      yield series({ sensor: 'b' }, [-DAY + 1], { temp: [-0] });
    }
    const input = [];
    for await (const s of gen()) input.push(s);
    const summary = await writeSegment(file(), meta, TAG_KEYS, FIELDS, gen());
    const reader = await SegmentReader.open(file());
    try {
      assert.equal(summary.rows, 4);
      assert.deepEqual(reader.meta.level, 3);
      assert.deepStrictEqual(await plainRead(reader, reader.allSeries()[0]), plainInput(input[0]));
      assert.deepStrictEqual(await plainRead(reader, reader.allSeries()[1]), plainInput(input[1]));
      const stats = reader.allSeries()[0].chunks[0].stats.get('pulses');
      assert.deepStrictEqual({ ...stats }, { count: 3, nulls: 0, min: -(2 ** 52), max: 2 ** 52, sum: 0 });
      assert.ok(Object.is(reader.allSeries()[1].chunks[0].stats.get('temp').min, -0), '-0 keeps its sign');
    } finally {
      await reader.close();
    }
  });
});

describe('segment: stats and data (property)', () => {
  const value = {
    float: fc.oneof(
      fc.double(),
      fc.constantFrom(Number.NaN, -0, 0, 1e-300),
      fc.integer().map((i) => i / 100),
    ),
    int: fc.oneof(
      fc.integer({ min: -1000, max: 1000 }),
      fc.maxSafeInteger(),
      fc.constant(Number.MIN_SAFE_INTEGER),
    ),
    bool: fc.boolean(),
    string: fc.string({ maxLength: 6 }),
  };
  /** A column of `rows` values: none, some or all of them null. */
  function columnArb(type, rows, nulls) {
    const one = nulls === 'none' ? value[type] : nulls === 'all' ? fc.constant(null) : fc.option(value[type]);
    return fc.array(one, { minLength: rows, maxLength: rows });
  }
  const seriesArb = fc
    .record({
      sensor: fc.string({ maxLength: 4 }),
      gaps: fc.array(fc.integer({ min: 1, max: 100_000 }), { maxLength: 40 }),
      fields: fc.subarray(FIELDS.map((f) => f.name)),
      nulls: fc.constantFrom('none', 'some', 'all'),
    })
    .chain(({ sensor, gaps, fields, nulls }) => {
      const columns = {};
      for (const name of fields) columns[name] = columnArb(FIELD_TYPES.get(name), gaps.length, nulls);
      return fc.record(columns).map((values) => {
        let t = P0;
        const stamps = gaps.map((g) => (t += g));
        return series({ sensor }, stamps, values);
      });
    });

  it('reads back the input and per-chunk stats equal naive stats', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(seriesArb, { maxLength: 5, selector: (s) => s.tags.sensor }),
        fc.integer({ min: 1, max: 12 }),
        async (input, chunkRows) => {
          await roundTrip(file(`p${run++}.seg`), input, chunkRows);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('segment: corruption', () => {
  async function smallSegment() {
    const input = [mixedSeries({ sensor: 'a' }, 12, 1), mixedSeries({ sensor: 'b' }, 9, 2)];
    await writeSegment(file(), META, TAG_KEYS, FIELDS, input, { chunkRows: 5 });
    return fs.readFileSync(file());
  }

  async function chunksOf(bytes) {
    const reader = await SegmentReader.open(file());
    const chunks = reader.allSeries().flatMap((s) => s.chunks);
    await reader.close();
    assert.equal(chunks[0].offset, 8);
    return { chunks, footerStart: chunks.at(-1).offset + chunks.at(-1).length, size: bytes.length };
  }

  it('a flipped byte in any chunk fails only that chunk, naming the file and the chunk offset', async () => {
    const bytes = await smallSegment();
    const { chunks, footerStart } = await chunksOf(bytes);
    const copy = file('flipped.seg');
    for (let at = 8; at < footerStart; at++) {
      const bad = Buffer.from(bytes);
      bad[at] ^= 0x20;
      fs.writeFileSync(copy, bad);
      const reader = await SegmentReader.open(copy);
      try {
        for (const chunk of chunks) {
          const hit = at >= chunk.offset && at < chunk.offset + chunk.length;
          if (!hit) {
            await reader.readChunk(chunk);
            continue;
          }
          await rejectsWith(reader.readChunk(chunk), CorruptionError, (err) => {
            assert.equal(err.file, copy);
            assert.equal(err.offset, chunk.offset);
            assert.match(err.message, /CRC/);
          });
        }
      } finally {
        await reader.close();
      }
    }
  });

  it('a flipped byte in the header, footer or trailer fails open', async () => {
    const bytes = await smallSegment();
    const { footerStart, size } = await chunksOf(bytes);
    const copy = file('flipped.seg');
    const positions = [
      ...Array(8).keys(),
      ...Array.from({ length: size - footerStart }, (_, i) => footerStart + i),
    ];
    for (const at of positions) {
      const bad = Buffer.from(bytes);
      bad[at] ^= 0x01;
      fs.writeFileSync(copy, bad);
      await rejectsWith(SegmentReader.open(copy), CorruptionError, (err) => {
        assert.equal(err.file, copy);
        assert.ok(err.offset >= 0 && err.offset <= size, `offset ${err.offset}`);
      });
    }
  });

  it('a file cut at any offset fails open with CorruptionError', async () => {
    const bytes = await smallSegment();
    const copy = file('cut.seg');
    for (let cut = 0; cut < bytes.length; cut++) {
      fs.writeFileSync(copy, bytes.subarray(0, cut));
      await rejectsWith(SegmentReader.open(copy), CorruptionError, (err) => assert.equal(err.file, copy));
    }
  });

  it('a file grown by trailing bytes fails open', async () => {
    const bytes = await smallSegment();
    fs.writeFileSync(file('long.seg'), Buffer.concat([bytes, Buffer.from([0, 0, 0])]));
    await rejectsWith(SegmentReader.open(file('long.seg')), CorruptionError);
  });
});

describe('segment: failed writes leave nothing behind', () => {
  const good = () => mixedSeries({ sensor: 'a' }, 30, 1);

  it('removes the temp file when the input iterator throws', async () => {
    async function* gen() {
      yield good();
      throw new Error('source failed');
    }
    await assert.rejects(
      writeSegment(file(), META, TAG_KEYS, FIELDS, gen(), { chunkRows: 4 }),
      /source failed/,
    );
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  const invalid = {
    'an unknown field': () => series({ sensor: 'x' }, times(2), { temp: [1, 2] }),
    'a wrong field type': () => ({
      ...series({ sensor: 'x' }, times(1)),
      fields: new Map([['temp', column('int', [1])]]),
    }),
    'unsorted times': () => series({ sensor: 'x' }, [P0 + 5, P0 + 5], { temp: [1, 2] }),
    'a time outside the partition': () => series({ sensor: 'x' }, [P0 + DAY], { temp: [1] }),
    'an unknown tag key': () => series({ room: 'x' }, times(1), { temp: [1] }),
    'a series given twice': () => series({ sensor: 'a' }, times(1), { temp: [1] }),
  };
  for (const [what, make] of Object.entries(invalid)) {
    it(`rejects ${what} with InvalidInputError`, async () => {
      const fields = what === 'an unknown field' ? FIELDS.filter((f) => f.name !== 'temp') : FIELDS;
      await rejectsWith(writeSegment(file(), META, TAG_KEYS, fields, [good(), make()]), InvalidInputError);
      assert.deepEqual(fs.readdirSync(dir), []);
    });
  }

  it('rejects bad arguments before creating anything', async () => {
    await rejectsWith(writeSegment(file(), META, TAG_KEYS, FIELDS, [], { chunkRows: 0 }), InvalidInputError);
    const backwards = { ...META, partitionEnd: META.partitionStart };
    await rejectsWith(writeSegment(file(), backwards, TAG_KEYS, FIELDS, []), InvalidInputError);
    const lsn = { ...META, minLsn: 5, maxLsn: 4 };
    await rejectsWith(writeSegment(file(), lsn, TAG_KEYS, FIELDS, []), InvalidInputError);
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it('removes the temp file when the rename fails', async () => {
    fs.mkdirSync(file('taken.seg'));
    fs.writeFileSync(path.join(file('taken.seg'), 'x'), '');
    await assert.rejects(writeSegment(file('taken.seg'), META, TAG_KEYS, FIELDS, [good()]));
    assert.deepEqual(fs.readdirSync(dir), ['taken.seg']);
  });

  it('fails cleanly when the directory does not exist', async () => {
    await assert.rejects(writeSegment(path.join(dir, 'missing', 'a.seg'), META, TAG_KEYS, FIELDS, [good()]), {
      code: 'ENOENT',
    });
  });
});

describe('segment: committed v1 fixture', () => {
  const fixtureDir = path.join(__dirname, 'fixtures', 'segment-v1');
  const expected = JSON.parse(fs.readFileSync(path.join(fixtureDir, 'expected.json'), 'utf8'));
  const fixtureTypes = new Map(expected.fields.map((f) => [f.name, f.type]));

  /** The fixture writes NaN, ±Infinity and -0 as strings (JSON has none of them). */
  function jsonNumber(v) {
    if (typeof v !== 'number') return v;
    return Number.isFinite(v) && !Object.is(v, -0) ? v : Object.is(v, -0) ? '-0' : String(v);
  }

  it('reads back exactly', async () => {
    const reader = await SegmentReader.open(path.join(fixtureDir, 'v1.seg'));
    try {
      const { version, bytes, rows, minTime, maxTime, ...meta } = reader.meta;
      assert.equal(version, 1);
      assert.equal(bytes, fs.statSync(path.join(fixtureDir, 'v1.seg')).size);
      assert.deepEqual(meta, expected.meta);
      assert.deepEqual(reader.tagKeys, expected.tagKeys);
      assert.deepEqual(reader.fields, expected.fields);
      assert.equal(
        rows,
        expected.series.reduce((n, s) => n + s.times.length, 0),
      );
      assert.equal(minTime, Math.min(...expected.series.map((s) => s.times[0])));
      assert.equal(maxTime, Math.max(...expected.series.map((s) => s.times.at(-1))));
      const actual = [];
      for (const entry of reader.allSeries()) {
        const fields = {};
        const chunks = [];
        const times = [];
        for (const chunk of entry.chunks) {
          const decoded = await reader.readChunk(chunk);
          times.push(...decoded.times);
          const stats = {};
          for (const [name, s] of chunk.stats) {
            stats[name] = Object.fromEntries(Object.entries(s).map(([k, v]) => [k, jsonNumber(v)]));
            fields[name] ??= [];
            const col = decoded.fields.get(name);
            for (let i = 0; i < chunk.rows; i++) {
              const absent = !col || (col.present && col.present[i] === 0);
              fields[name].push(absent ? null : jsonNumber(col.values[i]));
            }
          }
          chunks.push({ rows: chunk.rows, minTime: chunk.minTime, maxTime: chunk.maxTime, stats });
        }
        actual.push({ tags: { ...entry.tags }, times, fields, chunks });
      }
      assert.deepStrictEqual(actual, expected.series);
      assert.ok(fixtureTypes.size === expected.fields.length);
    } finally {
      await reader.close();
    }
  });
});

describe('segment: size', () => {
  it('stores 500 sensors x 2000 rows of one float field in about a byte per reading', async () => {
    const rand = prng(42);
    const input = [];
    for (let s = 0; s < 500; s++) {
      const t = [];
      const v = [];
      let time = P0 + Math.floor(rand() * 1000);
      let value = Math.round(rand() * 5000) / 100;
      for (let i = 0; i < 2000; i++) {
        time += 1000 + Math.floor(rand() * 41) - 20; // 1 s, +-20 ms jitter
        value = Math.round((value + (rand() < 0.5 ? -0.01 : 0.01)) * 100) / 100;
        t.push(time);
        v.push(value);
      }
      input.push(series({ sensor: `sensor-${s}` }, t, { temp: v }));
    }
    const summary = await writeSegment(file(), META, TAG_KEYS, FIELDS, input);
    const reader = await SegmentReader.open(file());
    const last = reader.allSeries().at(-1).chunks.at(-1);
    const footerPerSeries = (summary.bytes - (last.offset + last.length)) / summary.series;
    assert.deepStrictEqual(await plainRead(reader, reader.allSeries()[123]), plainInput(input[123]));
    await reader.close();
    assert.equal(summary.rows, 1_000_000);
    assert.ok(summary.bytes / summary.rows < 1.5, `${summary.bytes / summary.rows} bytes per row`);
    assert.ok(footerPerSeries < 64, `${footerPerSeries} footer bytes per series`);
  });
});
