const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { open, InvalidInputError, TypeConflictError, LockedError, ClosedError } = require('../dist/engine');
const { tempDir, sensorReadings } = require('./helpers');

const T0 = 1764000000000;

describe('engine: write and read', () => {
  let dir;
  let db;
  beforeEach(async () => {
    dir = tempDir();
    db = await open(dir);
  });
  afterEach(async () => {
    await db.close();
  });

  it('reads back what it wrote, from the head and after flush and reopen', async () => {
    const readings = sensorReadings(500);
    const r = await db.write('sensor_readings', readings);
    assert.equal(r.count, 500);
    assert.ok(r.lsn >= 1);
    const expected = readings.map((x) => ({ time: x.time, ...x.tags, ...x.fields }));
    assert.deepEqual(await db.read('sensor_readings'), expected);
    await db.flush();
    assert.equal(db.stats().headRows, 0);
    assert.deepEqual(await db.read('sensor_readings'), expected);
    await db.close();
    db = await open(dir);
    assert.deepEqual(await db.read('sensor_readings'), expected);
  });

  it('keeps every field type and absent values', async () => {
    await db.write('t', [
      { time: T0, tags: { s: 'a' }, fields: { f: 1.5, i: 7n, b: true, str: 'mm/s' } },
      { time: T0 + 1, tags: { s: 'a' }, fields: { f: -0, b: false } },
      { time: T0 + 2, tags: { s: 'a' }, fields: { i: -3n, str: 'x' } },
    ]);
    const expected = [
      { time: T0, s: 'a', f: 1.5, i: 7, b: true, str: 'mm/s' },
      { time: T0 + 1, s: 'a', f: -0, b: false },
      { time: T0 + 2, s: 'a', i: -3, str: 'x' },
    ];
    assert.deepEqual(await db.read('t'), expected);
    await db.flush();
    assert.deepEqual(await db.read('t'), expected);
    assert.ok(Object.is((await db.read('t'))[1].f, -0));
  });

  it('orders by series then time, and filters by tags and inclusive time range', async () => {
    await db.write('t', [
      ...sensorReadings(10, { sensor: 'B', machine: 'M2' }),
      ...sensorReadings(10, { sensor: 'A', machine: 'M1' }),
    ]);
    const all = await db.read('t');
    assert.deepEqual(
      all.map((r) => r.sensor_id),
      [...Array(10).fill('A'), ...Array(10).fill('B')],
    );
    const some = await db.read('t', { from: T0 + 2000, to: T0 + 4000, tags: { machine_id: 'M2' } });
    assert.deepEqual(
      some.map((r) => [r.sensor_id, r.time]),
      [
        ['B', T0 + 2000],
        ['B', T0 + 3000],
        ['B', T0 + 4000],
      ],
    );
  });

  it('last write wins on (series, time), across head, segments and batches', async () => {
    await db.write('t', [{ time: T0, tags: { s: 'a' }, fields: { v: 1 } }]);
    await db.flush();
    await db.write('t', [
      { time: T0, tags: { s: 'a' }, fields: { v: 2 } },
      { time: T0 + 5, tags: { s: 'a' }, fields: { v: 3 } },
      { time: T0 + 5, tags: { s: 'a' }, fields: { v: 4 } },
    ]);
    const expected = [
      { time: T0, s: 'a', v: 2 },
      { time: T0 + 5, s: 'a', v: 4 },
    ];
    assert.deepEqual(await db.read('t'), expected);
    await db.flush();
    assert.deepEqual(await db.read('t'), expected);
    await db.compact(true);
    assert.deepEqual(await db.read('t'), expected);
    assert.equal(db.stats().tables.t.segments, 1);
  });

  it('treats tags given in a different order as the same series', async () => {
    await db.write('t', [{ time: T0, tags: { a: '1', b: '2' }, fields: { v: 1 } }]);
    await db.write('t', [{ time: T0 + 1, tags: { b: '2', a: '1' }, fields: { v: 2 } }]);
    assert.equal(db.stats().tables.t.series, 1);
    assert.equal((await db.read('t')).length, 2);
  });

  it('follows a tags object the caller reuses and changes between readings', async () => {
    // a reused object is remembered by identity and checked against its steps: a change made to it
    // (a value, a key added or removed) must name the series it names now
    const tags = { line: 'L1', sensor: 'A' };
    const readings = [];
    for (let i = 0; i < 6; i++) readings.push({ time: T0 + i, tags, fields: { v: i } });
    await db.write('r', readings);
    tags.sensor = 'B';
    await db.write('r', [{ time: T0 + 10, tags, fields: { v: 10 } }]);
    tags.machine = 'M1';
    await db.write('r', [{ time: T0 + 11, tags, fields: { v: 11 } }]);
    delete tags.line;
    await db.write('r', [{ time: T0 + 12, tags, fields: { v: 12 } }]);
    tags.v = 'x';
    delete tags.v;
    await db.write('r', [{ time: T0 + 13, tags, fields: { v: 13 } }]);
    const bySeries = (await db.read('r')).map(
      (r) => `${r.line ?? '-'}/${r.sensor}/${r.machine ?? '-'}=${r.v}`,
    );
    assert.deepEqual(bySeries.sort(), [
      '-/B/M1=12',
      '-/B/M1=13',
      'L1/A/-=0',
      'L1/A/-=1',
      'L1/A/-=2',
      'L1/A/-=3',
      'L1/A/-=4',
      'L1/A/-=5',
      'L1/B/-=10',
      'L1/B/M1=11',
    ]);
    assert.equal(db.stats().tables.r.series, 4);
  });

  it('accepts late data into older partitions', async () => {
    const day = 86400000;
    await db.write('t', [{ time: T0 + 3 * day, tags: { s: 'a' }, fields: { v: 3 } }]);
    await db.flush();
    await db.write('t', [{ time: T0, tags: { s: 'a' }, fields: { v: 1 } }]);
    await db.flush();
    assert.deepEqual(
      (await db.read('t')).map((r) => r.v),
      [1, 3],
    );
    assert.equal(db.stats().tables.t.partitions, 2);
  });

  it('accepts Date and ISO-8601 times', async () => {
    await db.write('t', [
      { time: new Date(T0), fields: { v: 1 } },
      { time: new Date(T0 + 1000).toISOString(), fields: { v: 2 } },
    ]);
    assert.deepEqual(
      (await db.read('t')).map((r) => r.time),
      [T0, T0 + 1000],
    );
  });
});

describe('engine: bad input is refused with a sentence and nothing is stored', () => {
  let db;
  beforeEach(async () => {
    db = await open(tempDir());
  });
  afterEach(async () => {
    await db.close();
  });

  it('rejects only the batch with a wrong field type, naming table, column and types', async () => {
    await db.write('t', [{ time: T0, tags: { s: 'a' }, fields: { v: 1.5 } }]);
    await assert.rejects(
      db.write('t', [
        { time: T0 + 1, tags: { s: 'a' }, fields: { v: 2 } },
        { time: T0 + 2, tags: { s: 'a' }, fields: { v: 'high' } },
      ]),
      (err) => {
        assert.ok(err instanceof TypeConflictError);
        assert.equal(err.code, 'HELIOS_TYPE_CONFLICT');
        assert.match(
          err.message,
          /Column "v" of table "t" holds float values, but string was given in reading 2/,
        );
        return true;
      },
    );
    assert.deepEqual(await db.read('t'), [{ time: T0, s: 'a', v: 1.5 }]);
    const r = await db.write('t', [{ time: T0 + 3, tags: { s: 'a' }, fields: { v: 3 } }]);
    assert.equal(r.count, 1);
  });

  const cases = [
    [
      'a bad table name',
      'my table',
      [{ time: T0, fields: { v: 1 } }],
      /Table name "my table" is not allowed/,
    ],
    ['a missing time', 't', [{ fields: { v: 1 } }], /Reading 1 of 1 for table "t" has no valid time/],
    ['fractional ms', 't', [{ time: 1.5, fields: { v: 1 } }], /not a whole number of milliseconds/],
    ['no fields', 't', [{ time: T0, fields: {} }], /has no field values/],
    ['an object value', 't', [{ time: T0, fields: { v: { x: 1 } } }], /field "v" = an object/],
    [
      'a tag with a newline',
      't',
      [{ time: T0, tags: { s: 'a\nb' }, fields: { v: 1 } }],
      /without control characters/,
    ],
    ['a field named time', 't', [{ time: T0, fields: { time: 1 } }], /not "time"/],
    ['not an array', 't', { time: T0, fields: { v: 1 } }, /needs an array of readings/],
  ];
  for (const [what, table, readings, message] of cases) {
    it(`refuses ${what}`, async () => {
      await assert.rejects(db.write(table, readings), (err) => {
        assert.ok(err instanceof InvalidInputError, `expected InvalidInputError, got ${err}`);
        assert.match(err.message, message);
        return true;
      });
      assert.equal(db.stats().lastLsn, 0);
    });
  }

  it('refuses a name used as a tag and as a field', async () => {
    await db.write('t', [{ time: T0, tags: { s: 'a' }, fields: { v: 1 } }]);
    await assert.rejects(
      db.write('t', [{ time: T0, tags: { s: 'a' }, fields: { s: 1 } }]),
      /"s" is a tag of table "t"/,
    );
    await assert.rejects(
      db.write('t', [{ time: T0, tags: { v: 'x' }, fields: { w: 1 } }]),
      /"v" is a field of table "t"/,
    );
  });
});

describe('engine: lock and lifecycle', () => {
  it('refuses a second engine on the same directory, and reopens after close', async () => {
    const dir = tempDir();
    const db = await open(dir);
    await assert.rejects(open(dir), (err) => err instanceof LockedError && /already open/.test(err.message));
    await db.close();
    const again = await open(dir);
    await again.close();
  });

  it('refuses a directory held by another live process, naming it', async () => {
    const dir = tempDir();
    const { spawn } = require('node:child_process');
    const engine = JSON.stringify(require.resolve('../dist/engine'));
    // The holder opens the directory, says so, and stays alive until killed.
    const holderCode = `require(${engine}).open(process.argv[1]).then(
      () => { require('node:fs').writeSync(1, 'open\\n'); setInterval(() => {}, 1000); },
      (err) => { require('node:fs').writeSync(1, 'failed ' + err.message + '\\n'); process.exit(1); })`;
    const holder = spawn(process.execPath, ['-e', holderCode, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      let said = '';
      await new Promise((resolve, reject) => {
        holder.stdout.on('data', (d) => {
          said += d;
          if (said.includes('\n')) resolve();
        });
        holder.once('exit', () => reject(new Error(`the holder exited: ${said}`)));
      });
      assert.equal(said, 'open\n');
      await assert.rejects(open(dir), (err) => {
        assert.ok(err instanceof LockedError);
        assert.match(err.message, new RegExp(`already open by process ${holder.pid}`));
        return true;
      });
    } finally {
      holder.kill('SIGKILL');
      await new Promise((resolve) =>
        holder.exitCode !== null || holder.signalCode ? resolve() : holder.once('exit', resolve),
      );
    }
    const db = await open(dir); // the killed holder's lock is stale now
    await db.close();
  }).timeout(60000);

  it('flushes the head once its oldest row is older than maxHeadAge', async () => {
    const db = await open(tempDir(), { maxHeadAge: 200 });
    await db.write('t', sensorReadings(10));
    assert.equal(db.stats().headRows, 10);
    const deadline = Date.now() + 10000;
    while (db.stats().headRows > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(db.stats().headRows, 0);
    assert.equal(db.stats().tables.t.segments, 1);
    assert.equal((await db.read('t')).length, 10);
    await db.close();
  });

  it('takes over a stale lock of a dead process', async () => {
    const dir = tempDir();
    const db = await open(dir);
    await db.write('t', [{ time: T0, fields: { v: 1 } }]);
    await db.close();
    // A lock written by a process that no longer exists.
    const { spawnSync } = require('node:child_process');
    const dead = spawnSync(process.execPath, [
      '-e',
      'process.stdout.write(String(process.pid))',
    ]).stdout.toString();
    fs.writeFileSync(
      path.join(dir, 'LOCK'),
      JSON.stringify({ pid: Number(dead), hostname: require('node:os').hostname(), since: 'then' }),
    );
    const reopened = await open(dir);
    assert.equal((await reopened.read('t')).length, 1);
    await reopened.close();
  });

  it('rejects calls after close with ClosedError', async () => {
    const db = await open(tempDir());
    await db.close();
    await assert.rejects(db.write('t', [{ time: T0, fields: { v: 1 } }]), ClosedError);
    await assert.rejects(db.read('t'), ClosedError);
  });

  it('reports stats of tables, WAL and head', async () => {
    const db = await open(tempDir());
    await db.write('t', sensorReadings(100));
    let stats = db.stats();
    assert.equal(stats.headRows, 100);
    assert.ok(stats.walBytes > 0);
    assert.deepEqual(
      {
        series: stats.tables.t.series,
        rows: stats.tables.t.rows,
        min: stats.tables.t.minTime,
        max: stats.tables.t.maxTime,
      },
      { series: 1, rows: 100, min: T0, max: T0 + 99000 },
    );
    await db.flush();
    stats = db.stats();
    assert.equal(stats.headRows, 0);
    assert.equal(stats.tables.t.rows, 100);
    assert.equal(stats.tables.t.partitions, 1);
    assert.ok(stats.tables.t.bytes > 0);
    await db.close();
  });

  it('flushes by memory budget and keeps reads whole while flushing', async () => {
    const db = await open(tempDir(), { memoryLimitMB: 1 });
    const readings = sensorReadings(60000);
    for (let i = 0; i < readings.length; i += 2000) await db.write('t', readings.slice(i, i + 2000));
    assert.equal((await db.read('t')).length, 60000);
    await db.flush();
    assert.ok(db.stats().tables.t.segments >= 1);
    assert.equal((await db.read('t')).length, 60000);
    await db.close();
  });

  it('removes crash leftovers on open: temp files, unfinished flushes, compacted inputs', async () => {
    const dir = tempDir();
    let db = await open(dir, { compactionTrigger: 0 });
    await db.write('t', sensorReadings(10));
    await db.flush();
    await db.write('t', sensorReadings(10, { start: T0 + 10000 }));
    await db.flush();
    await db.close();
    const partDir = path.join(dir, 'data', 't', fs.readdirSync(path.join(dir, 'data', 't'))[0]);
    const segs = fs.readdirSync(partDir).sort();
    assert.equal(segs.length, 2);
    for (const s of segs) fs.copyFileSync(path.join(partDir, s), path.join(dir, `copy-${s}`));
    // A compaction output that became durable but whose inputs were not yet removed:
    db = await open(dir, { compactionTrigger: 0 });
    await db.compact(true);
    await db.close();
    const merged = fs.readdirSync(partDir);
    assert.equal(merged.length, 1);
    for (const s of segs) fs.copyFileSync(path.join(dir, `copy-${s}`), path.join(partDir, s));
    fs.writeFileSync(path.join(partDir, 'x.seg.tmp'), 'half a file');
    db = await open(dir);
    assert.deepEqual(fs.readdirSync(partDir), merged);
    assert.equal((await db.read('t')).length, 20);
    await db.close();
  }).timeout(30000);
});
