// The store node's per-message path taken apart: the reader's fast path for a number with a topic
// (it must build what the general path builds), the write coalescer's answers, and the engine's
// series lookup by identity for the shared tags objects the reader hands it.
const assert = require('node:assert');
const { open } = require('../../dist/engine');
const { shareTags } = require('../../dist/engine/ingest/series-resolver');
const { MessageReader } = require('../../dist/nodes/lib/readings');
const { storeRules } = require('../../dist/nodes/lib/node-config');
const { WriteCoalescer } = require('../../dist/nodes/lib/write-coalescer');
const { tempDir } = require('../helpers');

const NOW = 1764000000000;

describe('store path: MessageReader.single, the fast path', () => {
  const reader = new MessageReader(storeRules({ id: 'x', tagProps: 'sensor_id' }));

  /** What the general path makes of `msg`, in the fast path's form. */
  function general(msg, r = reader) {
    const n = r.read(msg, NOW);
    assert.deepStrictEqual(n.invalid, []);
    assert.strictEqual(n.readings.length, 1);
    return { table: n.readings[0].table, reading: n.readings[0].reading };
  }

  it('builds the same reading as the general path for the shapes it takes', () => {
    const shapes = [
      { topic: 'boiler/1', payload: 71.5, timestamp: NOW + 5 },
      { topic: 'boiler/1', payload: 71.5, timestamp: NOW + 5.6 },
      { topic: 'mqtt/x', payload: ' 42.25 ', timestamp: NOW },
      { topic: 'door', payload: true, timestamp: NOW },
      { payload: 3, timestamp: NOW },
      { topic: '', payload: 3, timestamp: NOW },
      { topic: 'm', payload: -0.5, timestamp: NOW, measurement: 'boilers' },
      { topic: 'a', payload: 1, timestamp: NOW, tags: null },
    ];
    for (const msg of shapes) {
      const reading = reader.single(msg);
      assert.ok(reading, JSON.stringify(msg));
      assert.deepStrictEqual({ table: reader.table(msg), reading }, general(msg), JSON.stringify(msg));
    }
    const configured = new MessageReader(
      storeRules({ id: 'y', table: 'env', topicTag: 's', valueField: 't' }),
    );
    const msg = { topic: 'a', payload: 2, timestamp: NOW, measurement: 'ignored' };
    assert.deepStrictEqual(
      { table: configured.table(msg), reading: configured.single(msg) },
      general(msg, configured),
    );
  });

  it('stamps a reading without msg.timestamp with the time now', () => {
    const before = Date.now();
    const reading = reader.single({ topic: 'a', payload: 1 });
    assert.ok(reading.time >= before && reading.time <= Date.now());
  });

  it('leaves every other shape to the general path', () => {
    const others = [
      { topic: 'a', payload: 1, tags: { site: 'n' } },
      { topic: 'a', payload: 1, timestamp: '2025-11-24T16:00:00Z' },
      { topic: 'a', payload: 1, timestamp: new Date(NOW) },
      { topic: 'a', payload: 1, timestamp: Number.NaN },
      { topic: 'a', payload: 'warm' },
      { topic: 'a', payload: { t: 1 } },
      { topic: 'a', payload: [1, 2] },
      { topic: 'a', payload: null },
    ];
    for (const msg of others) assert.strictEqual(reader.single(msg), null, JSON.stringify(msg));
    const seconds = new MessageReader(storeRules({ id: 's', timeUnit: 's' }));
    assert.strictEqual(seconds.single({ topic: 'a', payload: 1, timestamp: 1764000000 }), null);
  });

  it('hands out one shared (frozen) tags object per topic', () => {
    const a = reader.single({ topic: 'k', payload: 1, timestamp: NOW }).tags;
    const b = reader.single({ topic: 'k', payload: 2, timestamp: NOW }).tags;
    assert.strictEqual(a, b);
    assert.ok(Object.isFrozen(a));
    assert.notStrictEqual(reader.single({ topic: 'j', payload: 1, timestamp: NOW }).tags, a);
  });
});

describe('store path: the engine knows shared tags objects by identity', () => {
  let db;
  afterEach(async () => {
    await db?.close();
    db = null;
  });

  it('shareTags makes a frozen copy', () => {
    const own = { sensor: 'S-1' };
    const shared = shareTags(own);
    assert.notStrictEqual(shared, own);
    assert.deepStrictEqual(shared, own);
    assert.ok(Object.isFrozen(shared));
  });

  it('a shared object and an equal plain one are the same series', async () => {
    db = await open(tempDir());
    const shared = shareTags({ sensor: 'S-1' });
    await db.write('t', [{ time: NOW, tags: shared, fields: { v: 1 } }]);
    await db.write('t', [
      { time: NOW + 1, tags: { sensor: 'S-1' }, fields: { v: 2 } },
      { time: NOW + 2, tags: shared, fields: { v: 3 } },
    ]);
    assert.deepStrictEqual(
      (await db.read('t')).map((r) => [r.sensor, r.v]),
      [
        ['S-1', 1],
        ['S-1', 2],
        ['S-1', 3],
      ],
    );
  });

  it('a plain tags object changed between writes names its new series, frozen or not', async () => {
    db = await open(tempDir());
    const tags = { sensor: 'S-1' };
    await db.write('t', [{ time: NOW, tags, fields: { v: 1 } }]);
    tags.sensor = 'S-2';
    await db.write('t', [{ time: NOW, tags, fields: { v: 2 } }]);
    let sensor = 'S-3';
    const getter = Object.freeze({
      get sensor() {
        return sensor;
      },
    });
    await db.write('t', [{ time: NOW, tags: getter, fields: { v: 3 } }]);
    sensor = 'S-4';
    await db.write('t', [{ time: NOW, tags: getter, fields: { v: 4 } }]);
    assert.deepStrictEqual(
      (await db.read('t')).map((r) => [r.sensor, r.v]),
      [
        ['S-1', 1],
        ['S-2', 2],
        ['S-3', 3],
        ['S-4', 4],
      ],
    );
  });
});

describe('store path: WriteCoalescer answers', () => {
  let db;
  afterEach(async () => {
    await db?.close();
    db = null;
  });

  /** A runner over an open database, counting the engine writes. */
  function runnerFor(database) {
    const counted = { writes: 0 };
    const write = database.write.bind(database);
    database.write = (table, readings) => {
      counted.writes++;
      return write(table, readings);
    };
    const runner = {
      use: (fn) => fn(database),
      useSoon: (fn) => new Promise((resolve) => setImmediate(resolve)).then(() => fn(database)),
    };
    return { runner, counted };
  }

  /** Collects the answers: resolves once `count` messages are answered. */
  function answers(count) {
    const got = new Map();
    let resolve;
    const all = new Promise((r) => {
      resolve = r;
    });
    const answer = (message, done, err, stored) => {
      assert.ok(!got.has(message), `message ${message} answered twice`);
      got.set(message, { done, err, stored });
      if (got.size === count) resolve(got);
    };
    return { answer, all };
  }

  it('one write per table for a turn; each message gets its msg.stored and its own token', async () => {
    db = await open(tempDir());
    const { runner, counted } = runnerFor(db);
    const { answer, all } = answers(4);
    const reader = new MessageReader(storeRules({ id: 'x' }));
    const coalescer = new WriteCoalescer(runner, 'reject', answer);
    for (let i = 0; i < 3; i++) {
      const msg = { topic: `s${i}`, payload: i, timestamp: NOW + i };
      coalescer.storeReading(reader.table(msg), reader.single(msg), `m${i}`, `d${i}`);
    }
    const both = {
      payload: [
        { measurement: 'a', fields: { x: 1 } },
        { measurement: 'b', fields: { y: 2 } },
      ],
    };
    coalescer.store(reader.read(both, NOW), 'm3', 'd3');
    const got = await all;
    assert.strictEqual(counted.writes, 3); // readings, a, b
    const lsn = got.get('m0').stored.lsn;
    for (let i = 0; i < 3; i++) {
      assert.deepStrictEqual(got.get(`m${i}`), {
        done: `d${i}`,
        err: null,
        stored: { count: 1, replaced: 0, table: 'readings', lsn },
      });
    }
    assert.deepStrictEqual(Object.keys(got.get('m3').stored.tables).sort(), ['a', 'b']);
    assert.strictEqual((await db.read('readings')).length, 3);
  });

  it('a bad reading fails its own message only', async () => {
    db = await open(tempDir());
    const { runner } = runnerFor(db);
    const { answer, all } = answers(3);
    const coalescer = new WriteCoalescer(runner, 'reject', answer);
    coalescer.storeReading('t', { time: NOW, tags: {}, fields: { v: 1 } }, 'ok1', null);
    coalescer.storeReading('t', { time: NOW + 1, tags: {}, fields: { v: 'text' } }, 'bad', null);
    coalescer.storeReading('t', { time: NOW + 2, tags: {}, fields: { v: 3 } }, 'ok2', null);
    const got = await all;
    assert.match(String(got.get('bad').err), /holds float values, but string was given in msg\.payload/);
    assert.strictEqual(got.get('ok1').err, null);
    assert.strictEqual(got.get('ok2').stored.count, 1);
    assert.deepStrictEqual(
      (await db.read('t')).map((r) => r.v),
      [1, 3],
    );
  });

  it('a flush that cannot start (database closing) fails every queued message once', async () => {
    const closing = new Error('The database is closing');
    const runner = { use: () => Promise.reject(closing), useSoon: () => Promise.reject(closing) };
    const { answer, all } = answers(2);
    const coalescer = new WriteCoalescer(runner, 'reject', answer);
    coalescer.storeReading('t', { time: NOW, tags: {}, fields: { v: 1 } }, 'a', null);
    coalescer.storeReading('t', { time: NOW, tags: {}, fields: { v: 2 } }, 'b', null);
    const got = await all;
    assert.strictEqual(got.get('a').err, closing);
    assert.strictEqual(got.get('b').err, closing);
  });
});
