// helios-store in node-red-node-test-helper: input shapes end to end, msg.stored, invalid-reading
// policies, status, and the error paths a Catch node sees.
const assert = require('node:assert');
const vm = require('node:vm');
const {
  helper,
  allNodes,
  flowWith,
  nextMessage,
  messages,
  nextError,
  openDb,
  tempDir,
  tick,
} = require('./support');

function storeFlow(dir, storeConfig = {}) {
  return flowWith(dir, [
    { id: 'n-store', type: 'helios-store', db: 'n-db', wires: [['n-out']], ...storeConfig },
    { id: 'n-out', type: 'helper' },
  ]);
}

async function send(msg) {
  const got = nextMessage('n-out');
  helper.getNode('n-store').receive(msg);
  return got;
}

async function rows(table) {
  const db = await openDb();
  return db.read(table);
}

describe('helios-store node', () => {
  afterEach(async () => {
    await helper.unload();
  });

  it('stores a number with msg.topic and passes the message on with msg.stored', async () => {
    await helper.load(allNodes, storeFlow(tempDir()));
    const msg = await send({ topic: 'boiler/1', payload: 71.5, timestamp: 1764000000000, keep: 'me' });
    assert.strictEqual(msg.keep, 'me');
    assert.deepStrictEqual(msg.stored, { count: 1, replaced: 0, table: 'readings', lsn: msg.stored.lsn });
    assert.ok(msg.stored.lsn >= 1);
    assert.deepStrictEqual(await rows('readings'), [{ time: 1764000000000, topic: 'boiler/1', value: 71.5 }]);
  });

  it('stores an object of fields with tag properties and msg.tags into the configured table', async () => {
    await helper.load(allNodes, storeFlow(tempDir(), { table: 'env', tagProps: 'sensor_id' }));
    await send({
      tags: { site: 'north' },
      payload: { sensor_id: 'S-1', t: 20.25, rh: 41, time: 1764000000000 },
    });
    assert.deepStrictEqual(await rows('env'), [
      { time: 1764000000000, sensor_id: 'S-1', site: 'north', t: 20.25, rh: 41 },
    ]);
  });

  it('stores the influx shapes: measurement objects across tables, and [fields, tags] pairs', async () => {
    await helper.load(allNodes, storeFlow(tempDir()));
    const msg = await send({
      payload: [
        { measurement: 'power', tags: { meter: 'M1' }, fields: { kw: 3.5 }, timestamp: 1764000000000 },
        { measurement: 'power', tags: { meter: 'M1' }, fields: { kw: 3.75 }, timestamp: 1764000001000 },
        { measurement: 'water', tags: { meter: 'W1' }, fields: { l: 12 }, timestamp: 1764000000000 },
      ],
    });
    assert.strictEqual(msg.stored.count, 3);
    assert.deepStrictEqual(Object.keys(msg.stored.tables).sort(), ['power', 'water']);
    assert.deepStrictEqual(
      (await rows('power')).map((r) => r.kw),
      [3.5, 3.75],
    );
    await send({ measurement: 'env', payload: [{ t: 19.5, time: 1764000000000 }, { room: 'hall' }] });
    await send({ measurement: 'env', payload: [[{ t: 18, time: 1764000000000 }, { room: 'attic' }]] });
    assert.deepStrictEqual(await rows('env'), [
      { time: 1764000000000, room: 'attic', t: 18 },
      { time: 1764000000000, room: 'hall', t: 19.5 },
    ]);
  });

  it('keeps every message of a burst in one millisecond (objects of fields, no tag properties)', async () => {
    await helper.load(allNodes, storeFlow(tempDir(), { table: 'burst' }));
    const node = helper.getNode('n-store');
    const got = messages('n-out', 50);
    // one turn of the event loop: the coalescer writes them as one batch at one time
    for (let i = 0; i < 50; i++)
      node.receive({ payload: { sensor: `s${i}`, v: i }, timestamp: 1764000000000 });
    const out = await got;
    assert.deepStrictEqual(
      out.map((m) => [m.stored.count, m.stored.replaced]),
      Array(50).fill([1, 0]),
    );
    const stored = await rows('burst');
    assert.strictEqual(stored.length, 50);
    assert.deepStrictEqual(
      stored.map((r) => r.sensor).sort(),
      Array.from({ length: 50 }, (_, i) => `s${i}`).sort(),
    );
  });

  it('says in msg.stored when a reading replaced one sent before (same tags and time)', async () => {
    await helper.load(allNodes, storeFlow(tempDir()));
    const first = await send({ topic: 'boiler/1', payload: 71.5, timestamp: 1764000000000 });
    assert.strictEqual(first.stored.replaced, 0);
    const node = helper.getNode('n-store');
    const got = messages('n-out', 2);
    node.receive({ topic: 'boiler/1', payload: 72, timestamp: 1764000000000 });
    node.receive({ topic: 'boiler/2', payload: 60, timestamp: 1764000000000 });
    const [again, other] = await got;
    assert.deepStrictEqual([again.stored.count, again.stored.replaced], [1, 1]);
    assert.deepStrictEqual([other.stored.count, other.stored.replaced], [1, 0]);
    assert.deepStrictEqual(await rows('readings'), [
      { time: 1764000000000, topic: 'boiler/1', value: 72 },
      { time: 1764000000000, topic: 'boiler/2', value: 60 },
    ]);
  });

  it('stores an array as one batch (one LSN) and takes msg.measurement when no table is set', async () => {
    await helper.load(allNodes, storeFlow(tempDir()));
    const before = (await openDb()).stats().lastLsn;
    const payload = Array.from({ length: 500 }, (_, i) => ({ v: i, time: 1764000000000 + i * 1000 }));
    const msg = await send({ measurement: 'line', payload });
    assert.deepStrictEqual(msg.stored, { count: 500, replaced: 0, table: 'line', lsn: before + 1 });
    const stored = await rows('line');
    assert.strictEqual(stored.length, 500);
    assert.deepStrictEqual(
      stored.map((r) => r.v),
      payload.map((p) => p.v),
    );
  });

  it('times: seconds by option, ISO strings', async () => {
    await helper.load(allNodes, storeFlow(tempDir(), { timeUnit: 's', table: 't' }));
    await send({ topic: 'a', payload: 1, timestamp: 1764000000 });
    await send({ topic: 'a', payload: 2, timestamp: '2025-11-24T16:00:01.000Z' });
    assert.deepStrictEqual(
      (await rows('t')).map((r) => [r.time, r.value]),
      [
        [1764000000000, 1],
        [1764000001000, 2],
      ],
    );
  });

  it('times in nanoseconds and microseconds by option (numbers, strings of digits, bigints), kept to the ms', async () => {
    const ms = Date.now() - (Date.now() % 1000);
    await helper.load(allNodes, storeFlow(tempDir(), { timeUnit: 'ns', table: 't' }));
    await send({ topic: 'a', payload: 1, timestamp: ms * 1e6 });
    await send({ topic: 'a', payload: 2, timestamp: `${ms + 1}000000` });
    await send({ topic: 'a', payload: 3, timestamp: BigInt(ms + 2) * 1000000n + 123456n });
    await send({ payload: { measurement: 'm', fields: { v: 4 }, timestamp: (ms + 3) * 1e6 } });
    assert.deepStrictEqual(
      (await rows('t')).map((r) => [r.time - ms, r.value]),
      [
        [0, 1],
        [1, 2],
        [2, 3],
      ],
    );
    assert.strictEqual((await rows('m'))[0].time, ms + 3);
    await helper.unload();
    await helper.load(allNodes, storeFlow(tempDir(), { timeUnit: 'us', table: 't' }));
    await send({ topic: 'a', payload: 1, timestamp: ms * 1000 + 400 });
    assert.strictEqual((await rows('t'))[0].time, ms);
  });

  it('a time past the range Helios keeps says what it looks like: nanoseconds sent as milliseconds', async () => {
    await helper.load(allNodes, storeFlow(tempDir(), { table: 't' }));
    const store = helper.getNode('n-store');
    const cases = [
      [
        1764748800000000000,
        /The message has time 1764748800000000000 \(milliseconds\), past the times Helios keeps .* It looks like nanoseconds: set the node's Numeric times to "are nanoseconds"/,
      ],
      [
        8640000000000000,
        /has time 8640000000000000 \(milliseconds\), past the times Helios keeps \(up to 1125899906842624 ms since 1970, about the year 37648\)\.$/,
      ],
    ];
    for (const [timestamp, expected] of cases) {
      const errored = nextError('n-store');
      store.receive({ topic: 'a', payload: 1, timestamp });
      assert.match(String((await errored).args[0]), expected);
      store.removeAllListeners('call:error');
    }
  });

  it('warns once when times are implausibly far from now (seconds sent as ms), and not with the option at 0', async () => {
    const seconds = Math.floor(Date.now() / 1000);
    await helper.load(allNodes, storeFlow(tempDir(), { table: 't' }));
    const store = helper.getNode('n-store');
    await send({ topic: 'a', payload: 1, timestamp: seconds });
    await send({ topic: 'a', payload: 2, timestamp: seconds + 1 });
    await send({ payload: [{ v: 3, time: seconds + 2 }] });
    const warnings = store.warn.getCalls().filter((c) => c.thisValue.id === 'n-store');
    assert.strictEqual(warnings.length, 1, 'warned once');
    assert.match(
      String(warnings[0].args[0]),
      new RegExp(
        `^A reading has time 1970-01-\\d\\dT[\\d:.]+Z \\(${seconds} milliseconds\\), 5\\d\\.\\d years before now\\. It looks like seconds: set the node's Numeric times to "are seconds"\\.`,
      ),
    );
    assert.deepStrictEqual(
      (await rows('t')).map((r) => r.time).sort(),
      [seconds, seconds + 1, seconds + 2],
      'stored as given',
    );
    await helper.unload();
    await helper.load(allNodes, storeFlow(tempDir(), { table: 't', timeWarnYears: 0 }));
    await send({ topic: 'a', payload: 1, timestamp: seconds });
    await send({ topic: 'a', payload: 1, timestamp: '1971-01-01T00:00:00Z' });
    const store2 = helper.getNode('n-store');
    assert.strictEqual(store2.warn.getCalls().filter((c) => c.thisValue.id === 'n-store').length, 0);
  });

  it('rejects a message with an invalid reading by default: done(err) names it, nothing stored', async () => {
    await helper.load(allNodes, storeFlow(tempDir(), { table: 't' }));
    await send({ payload: { v: 1.5, time: 1764000000000 } });
    const errored = nextError('n-store');
    helper.getNode('n-store').receive({
      payload: [
        { v: 2.5, time: 1764000001000 },
        { v: 'hot', time: 1764000002000 },
      ],
    });
    const call = await errored;
    const err = call.args[0];
    assert.match(
      String(err),
      /Column "v" of table "t" holds float values, but string was given in msg\.payload\[1\]\./,
    );
    assert.deepStrictEqual(
      (await rows('t')).map((r) => r.v),
      [1.5],
    );
    await tick(10);
    assert.match(helper.getNode('n-store').status.lastCall.args[0].fill, /red/);
  });

  it('a shape error is named by its place in msg.payload', async () => {
    await helper.load(allNodes, storeFlow(tempDir()));
    const errored = nextError('n-store');
    helper.getNode('n-store').receive({ topic: 'x', payload: [1, { nested: { a: 1 } }, 'abc'] });
    const err = String((await errored).args[0]);
    assert.match(err, /msg\.payload\[2\] is string "abc"/);
    assert.match(err, /and 0 more|msg\.payload\[2\]/);
  });

  it('a Buffer, Map, typed array or class instance: one sentence saying what is accepted, nothing stored', async () => {
    await helper.load(allNodes, storeFlow(tempDir(), { table: 't' }));
    const store = helper.getNode('n-store');
    const cases = [
      [
        Buffer.from('{"t":21}'),
        /^InvalidReadingError: msg\.payload is a Buffer \(raw bytes\), which is not a reading: set the MQTT/,
      ],
      [
        new Map([['t', 21]]),
        /^InvalidReadingError: msg\.payload is a Map, which is not a reading; send a number \(with msg\.topic\), an object of fields/,
      ],
      [
        new Float32Array([1, 2]),
        /^InvalidReadingError: msg\.payload is a Float32Array, which is not a reading/,
      ],
      [
        new (class Sample {})(),
        /^InvalidReadingError: msg\.payload is an instance of Sample, which is not a reading/,
      ],
      [
        { raw: Buffer.from('x') },
        /^InvalidReadingError: msg\.payload has field "raw" = a Buffer \(decode it first/,
      ],
    ];
    for (const [payload, expected] of cases) {
      const errored = nextError('n-store');
      store.receive({ topic: 'x', payload });
      const text = String((await errored).args[0]);
      assert.match(text, expected);
      assert.ok(text.length < 300, `short: ${text.length} characters`);
      store.removeAllListeners('call:error');
    }
    assert.deepStrictEqual(await (await openDb()).tables(), []);
  });

  it("objects and Dates made in a function node's sandbox (another realm) are plain objects and dates", async () => {
    await helper.load(allNodes, storeFlow(tempDir(), { table: 'fn', tagProps: 'sensor_id' }));
    const payload = vm.runInNewContext(
      "[{ sensor_id: 'S-1', t: 20.5, time: new Date(1764000000000) }, { sensor_id: 'S-2', t: 21, time: 1764000001000 }]",
    );
    assert.notStrictEqual(Object.getPrototypeOf(payload[0]), Object.prototype);
    const msg = await send({ payload });
    assert.strictEqual(msg.stored.count, 2);
    assert.deepStrictEqual(await rows('fn'), [
      { time: 1764000000000, sensor_id: 'S-1', t: 20.5 },
      { time: 1764000001000, sensor_id: 'S-2', t: 21 },
    ]);
  });

  it('NaN and Infinity are invalid readings (never stored as null); "store the valid readings" keeps the rest', async () => {
    await helper.load(allNodes, storeFlow(tempDir(), { table: 't' }));
    const store = helper.getNode('n-store');
    const cases = [
      [
        { topic: 'x', payload: Number.NaN },
        /msg\.payload is NaN, which cannot be stored: numbers must be finite/,
      ],
      [{ topic: 'x', payload: Number.POSITIVE_INFINITY }, /msg\.payload is Infinity, which cannot/],
      [{ payload: { value: Number.NaN } }, /msg\.payload has field "value" = NaN, which cannot be stored/],
      [{ payload: { measurement: 'm', fields: { v: -Infinity } } }, /field "v" = -Infinity/],
      [{ payload: [{ v: 1 }, { v: Number.NaN }] }, /msg\.payload\[1\] has field "v" = NaN/],
    ];
    for (const [msg, expected] of cases) {
      const errored = nextError('n-store');
      store.receive(msg);
      assert.match(String((await errored).args[0]), expected);
      store.removeAllListeners('call:error');
    }
    assert.deepStrictEqual(await (await openDb()).tables(), []);
    await helper.unload();
    await helper.load(allNodes, storeFlow(tempDir(), { table: 't', invalid: 'skip' }));
    const msg = await send({
      payload: [
        { v: 1, time: 1764000000000 },
        { v: Number.NaN, time: 1764000001000 },
      ],
    });
    assert.strictEqual(msg.stored.count, 1);
    assert.deepStrictEqual(
      msg.stored.invalid.map((i) => i.index),
      [1],
    );
    assert.deepStrictEqual(await rows('t'), [{ time: 1764000000000, v: 1 }]);
  });

  it('"store the valid readings": stores the rest and lists the invalid ones in msg.stored.invalid', async () => {
    await helper.load(allNodes, storeFlow(tempDir(), { table: 't', invalid: 'skip' }));
    await send({ payload: { v: 1, s: 'ok', time: 1764000000000 } });
    const msg = await send({
      payload: [
        { v: 2, time: 1764000001000 },
        { v: 'bad', time: 1764000002000 },
        'not a reading',
        { v: 4, time: 1764000004000 },
        { v: 5, s: 7, time: 1764000005000 },
        { v: 6, time: 1764000006000 },
      ],
    });
    assert.strictEqual(msg.stored.count, 3);
    assert.deepStrictEqual(
      msg.stored.invalid.map((i) => i.index),
      [1, 2, 4],
    );
    assert.match(
      msg.stored.invalid[0].message,
      /holds float values, but string was given in msg\.payload\[1\]\./,
    );
    assert.match(msg.stored.invalid[1].message, /^msg\.payload\[2\] is string "not a reading"/);
    assert.match(
      msg.stored.invalid[2].message,
      /"s" of table "t" holds string values, but float was given in msg\.payload\[4\]/,
    );
    assert.deepStrictEqual(
      (await rows('t')).map((r) => r.v),
      [1, 2, 4, 6],
    );
  });

  it('"store the valid readings" with nothing valid is an error', async () => {
    await helper.load(allNodes, storeFlow(tempDir(), { invalid: 'skip' }));
    const errored = nextError('n-store');
    helper.getNode('n-store').receive({ payload: ['x', null] });
    assert.match(
      String((await errored).args[0]),
      /msg\.payload\[0\] is string "x".*\(and 1 more invalid readings\)/,
    );
  });

  it('group commit: messages of one turn share one write; a bad one among them fails alone', async () => {
    await helper.load(allNodes, storeFlow(tempDir(), { table: 'g' }));
    await send({ payload: { v: 0.5, time: 1764000000000 } });
    const store = helper.getNode('n-store');
    const acked = messages('n-out', 49);
    const errored = nextError('n-store');
    for (let i = 1; i <= 50; i++) {
      store.receive({ payload: { v: i === 25 ? 'bad' : i + 0.5, time: 1764000000000 + i } });
    }
    const got = await acked;
    assert.match(
      String((await errored).args[0]),
      /Column "v" of table "g" holds float values, but string was given/,
    );
    assert.deepStrictEqual(
      got.map((m) => m.payload.v).sort((a, b) => a - b),
      Array.from({ length: 50 }, (_, k) => k + 1.5).filter((v) => v !== 25.5),
    );
    const rows = await (await openDb()).read('g');
    assert.strictEqual(rows.length, 50);
    assert.ok(!rows.some((r) => r.v === 'bad'));
  });

  it('group commit: messages of one turn are one engine write (one LSN)', async () => {
    await helper.load(allNodes, storeFlow(tempDir(), { table: 'g' }));
    const store = helper.getNode('n-store');
    const acked = messages('n-out', 20);
    for (let i = 0; i < 20; i++) store.receive({ topic: 's', payload: i, timestamp: 1764000000000 + i });
    const lsns = new Set((await acked).map((m) => m.stored.lsn));
    assert.strictEqual(lsns.size, 1);
    assert.strictEqual((await (await openDb()).read('g')).length, 20);
  });

  it('without a database configured: red status and done(err) with a sentence', async () => {
    await helper.load(allNodes, [
      { id: 'f1', type: 'tab' },
      { id: 'n-store', z: 'f1', type: 'helios-store', wires: [] },
    ]);
    const s = helper.getNode('n-store');
    assert.deepStrictEqual(s.status.lastCall.args[0], { fill: 'red', shape: 'ring', text: 'no database' });
    const errored = nextError('n-store');
    s.receive({ payload: 1 });
    assert.match(String((await errored).args[0]), /no helios-db database configured/);
  });

  it('status: green with rate and total after writes', async () => {
    await helper.load(allNodes, storeFlow(tempDir()));
    for (let i = 0; i < 5; i++) await send({ topic: 'a', payload: i, timestamp: 1764000000000 + i });
    const s = helper.getNode('n-store');
    await new Promise((resolve) => {
      s.on('call:status', (call) => {
        if (/5 stored/.test(call.args[0].text)) resolve();
      });
    });
    const last = s.status.lastCall.args[0];
    assert.strictEqual(last.fill, 'green');
    assert.match(last.text, /^[\d.]+k?\/s · 5 stored$/);
  });

  it('upgrades a version-0 configuration at run time', async () => {
    await helper.load(allNodes, [
      { id: 'f1', type: 'tab' },
      { id: 'n-db', type: 'helios-db', path: tempDir() },
      {
        id: 'n-store',
        z: 'f1',
        type: 'helios-store',
        db: 'n-db',
        measurement: 'old',
        precision: 's',
        wires: [['n-out']],
      },
      { id: 'n-out', z: 'f1', type: 'helper' },
    ]);
    const msg = await send({ topic: 'a', payload: 1, timestamp: 1764000000 });
    assert.strictEqual(msg.stored.table, 'old');
    assert.deepStrictEqual(await rows('old'), [{ time: 1764000000000, topic: 'a', value: 1 }]);
  });
});
