// Fuzzing node messages (issue #19, item 8 and E2): helios-store and helios-query get messages of
// every type (payloads of Buffers, BigInts, nested arrays, 10 MB strings, cyclic objects, Maps,
// Dates, symbols; topics, tags and params of any type). Each one ends with done() or done(err)
// where err is a sentence (never a TypeError / RangeError, never longer than a few KB), within
// a few seconds, and Node-RED keeps running. The handler is called directly with our own send and
// done, so every message's ending is seen. The number of cases run is printed.
const assert = require('node:assert');
const fc = require('fast-check');
const { helper, allNodes, flowWith, openDb, tempDir } = require('./support');

const HANG_MS = 5000;

/** Sends `msg` to node `id`'s input handler; resolves with the error given to done, or null. */
function deliver(id, msg) {
  const node = helper.getNode(id);
  // Node-RED keeps input handlers apart from the EventEmitter's listeners
  const handler = node._inputCallback ?? node._inputCallbacks?.[0];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`done was not called within ${HANG_MS} ms`)), HANG_MS);
    const done = (err) => {
      clearTimeout(timer);
      resolve(err ?? null);
    };
    try {
      handler.call(node, msg, () => {}, done);
    } catch (err) {
      clearTimeout(timer);
      reject(new Error(`the input handler threw: ${err?.stack ?? err}`));
    }
  });
}

function checkEnding(err, what) {
  if (err === null) return 'ok';
  assert.ok(err instanceof Error, `${what}: done got ${typeof err}`);
  for (const raw of [TypeError, RangeError, SyntaxError, ReferenceError]) {
    assert.ok(
      !(err instanceof raw) || err.code?.startsWith('HELIOS_'),
      `${what}: a raw ${err.name}: ${err.stack}`,
    );
  }
  assert.ok(err.message.length <= 4100, `${what}: a message of ${err.message.length} characters`);
  return 'error';
}

/** A cyclic object, a Map, a class instance, ... : values a function node can put in a message. */
const oddValue = fc.constantFrom(
  'cyclic',
  'buffer',
  'bigint',
  'big-string',
  'nested-arrays',
  'map',
  'set',
  'date',
  'bad-date',
  'symbol',
  'function',
  'typed-array',
  'proto-keys',
  'instance',
);

function odd(kind) {
  switch (kind) {
    case 'cyclic': {
      const o = { a: 1 };
      o.self = o;
      return o;
    }
    case 'buffer':
      return Buffer.from('{"v":1}');
    case 'bigint':
      return 12345678901234567890n;
    case 'big-string':
      return 'x'.repeat(10 * 1024 * 1024);
    case 'nested-arrays':
      return [[[[1, [2, [3]]]]], [{ v: [1] }]];
    case 'map':
      return new Map([['v', 1]]);
    case 'set':
      return new Set([1]);
    case 'date':
      return new Date(0);
    case 'bad-date':
      return new Date(Number.NaN);
    case 'symbol':
      return Symbol('s');
    case 'function':
      return () => 1;
    case 'typed-array':
      return new Float64Array([1, 2]);
    case 'proto-keys':
      return JSON.parse('{"__proto__": {"v": 1}, "constructor": 2, "toString": "x"}');
    default:
      return new (class Reading {
        constructor() {
          this.v = 1;
        }
      })();
  }
}

/** Any value: fast-check's anything(), odd values, and those nested in objects and arrays. */
const value = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.anything({
      withBigInt: true,
      withDate: true,
      withTypedArray: true,
      withNullPrototype: true,
    }),
  },
  { weight: 2, arbitrary: oddValue.map(odd) },
  fc.dictionary(fc.string({ maxLength: 10 }), oddValue.map(odd), { maxKeys: 3 }),
  fc.array(oddValue.map(odd), { maxLength: 3 }),
  fc.double().map((d) => d),
  fc.constantFrom(
    -0,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    2 ** 60,
    '21.5',
    '0',
    'Sensor 7',
    '2024-01-01T00:00:00',
  ),
);

/** An object of fields, mostly valid, so that the fuzz also reaches the engine's writes. */
const fields = fc.dictionary(
  fc.oneof(
    fc.constantFrom('v', 'temp', '__proto__', 'constructor', 'time'),
    fc.string({ minLength: 1, maxLength: 8 }),
  ),
  fc.oneof(
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.string({ maxLength: 5 }),
    fc.boolean(),
  ),
  { minKeys: 1, maxKeys: 4 },
);

const message = fc.record(
  {
    payload: fc.oneof({ weight: 2, arbitrary: fields }, { weight: 3, arbitrary: value }),
    topic: value,
    tags: value,
    timestamp: value,
    measurement: value,
    params: value,
  },
  { requiredKeys: ['payload'] },
);

describe('fuzz: node messages (#19)', function () {
  this.timeout(60000);
  afterEach(() => helper.unload());

  it('E2: helios-store ends every message with done() or a sentence (BigInt, Buffer, cyclic, 10 MB, ...)', async () => {
    await helper.load(
      allNodes,
      flowWith(tempDir(), [{ id: 'n-store', type: 'helios-store', db: 'n-db', wires: [[]] }]),
    );
    await openDb();
    const counts = { ok: 0, error: 0 };
    // the shapes the issue names, each on its own first
    for (const kind of ['bigint', 'buffer', 'cyclic', 'big-string', 'nested-arrays']) {
      for (const msg of [
        { payload: odd(kind) },
        { payload: { v: odd(kind) } },
        { payload: 1, topic: odd(kind) },
      ]) {
        counts[checkEnding(await deliver('n-store', msg), kind)]++;
      }
    }
    const bigint = await deliver('n-store', { payload: 12345678901234567890n });
    assert.ok(bigint === null || !/TypeError|serialize a BigInt/.test(bigint.message), String(bigint));
    await fc.assert(
      fc.asyncProperty(message, async (msg) => {
        counts[checkEnding(await deliver('n-store', msg), 'helios-store')]++;
      }),
      { numRuns: 400 },
    );
    // mostly valid messages, so that writes (and their checks in the engine) run too
    await fc.assert(
      fc.asyncProperty(
        fields,
        fc.option(fc.string({ maxLength: 12 }), { nil: undefined }),
        async (payload, topic) => {
          counts[checkEnding(await deliver('n-store', { payload, topic }), 'helios-store')]++;
        },
      ),
      { numRuns: 300 },
    );
    console.log(
      `      helios-store messages: ${counts.ok + counts.error} cases (${counts.ok} stored, ${counts.error} refused)`,
    );
  });

  it('S4 / S1 / E2: helios-store refuses an object topic, reads a zone-less time as UTC, names a BigInt payload', async () => {
    await helper.load(
      allNodes,
      flowWith(tempDir(), [{ id: 'n-store', type: 'helios-store', db: 'n-db', wires: [[]] }]),
    );
    const db = await openDb();
    const objectTopic = await deliver('n-store', { payload: 1, topic: { room: 'a' } });
    assert.match(String(objectTopic), /has msg.topic = an object; the topic names the series as text/);
    const arrayTopic = await deliver('n-store', { payload: 1, topic: ['a'] });
    assert.match(String(arrayTopic), /msg.topic = an array/);
    assert.strictEqual(await deliver('n-store', { payload: 2, topic: 7 }), null);
    const bigint = await deliver('n-store', { payload: 123n });
    assert.match(String(bigint), /msg.payload is bigint 123, which is not a reading/);
    assert.strictEqual(
      await deliver('n-store', { payload: { v: 3 }, timestamp: '2024-03-01T10:00:00' }),
      null,
    );
    const sensor = await deliver('n-store', { payload: { v: 4 }, timestamp: 'Sensor 7' });
    assert.match(String(sensor), /neither a number nor an ISO-8601 date/);
    const rows = await db.query('SELECT time, topic, value, v FROM readings ORDER BY time');
    assert.deepStrictEqual(
      rows.rows.filter((r) => r.v === 3).map((r) => r.time),
      [Date.UTC(2024, 2, 1, 10)],
    );
    assert.deepStrictEqual(
      rows.rows.filter((r) => r.value === 2).map((r) => r.topic),
      ['7'],
    );
  });

  it('helios-query ends every message with done() or a sentence (SQL and params of any type)', async () => {
    await helper.load(
      allNodes,
      flowWith(tempDir(), [
        { id: 'n-query', type: 'helios-query', db: 'n-db', sql: '', timeout: 2, wires: [[]] },
      ]),
    );
    const db = await openDb();
    await db.write('t', [{ time: 1, tags: { s: 'a' }, fields: { v: 1 } }]);
    const counts = { ok: 0, error: 0 };
    const sqlTopic = fc.oneof(
      fc.constantFrom(
        'SELECT * FROM t',
        'SELECT ? AS x',
        'SELECT $a AS x',
        'SELECT :b, ?2 AS y',
        'SELECT v FROM t WHERE s = ?',
      ),
      value,
    );
    await fc.assert(
      fc.asyncProperty(sqlTopic, value, value, async (topic, params, payload) => {
        counts[checkEnding(await deliver('n-query', { topic, params, payload }), 'helios-query')]++;
      }),
      { numRuns: 300 },
    );
    console.log(
      `      helios-query messages: ${counts.ok + counts.error} cases (${counts.ok} answered, ${counts.error} refused)`,
    );
  });
});
