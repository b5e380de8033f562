// helios-modbus and helios-modbus-device in node-red-node-test-helper, against the simulated PLC
// (test/support/modbus-plc.js, modbus-serial's ServerTCP) and the fault server
// (test/support/modbus-fault-server.js). The last block has a test per failure that users of
// node-red-contrib-modbus report (issue #16).
const assert = require('node:assert/strict');
const { helper, allNodes, flowWith, nextMessage, openDb, tempDir, tick } = require('./support');
const { startPlc } = require('../support/modbus-plc');
const { FaultServer } = require('../support/modbus-fault-server');

const deviceNode = require('../../dist/nodes/helios-modbus-device.js');
const modbusNode = require('../../dist/nodes/helios-modbus.js');
const nodes = [...allNodes, deviceNode, modbusNode];

const PRESS_MAP = [
  { name: 'temperature', unit: 1, address: 0, type: 'float32', tags: 'machine=press' },
  { name: 'pressure', unit: 1, address: 2, type: 'float32', tags: 'machine=press' },
  { name: 'cycles', unit: 1, address: 4, type: 'uint32', tags: 'machine=press' },
  { name: 'vibration', unit: 1, address: 6, type: 'int16', scale: 0.01, tags: 'machine=press' },
  { name: 'setpoint', unit: 1, address: 10, type: 'uint16', scale: 0.1, tags: 'machine=press' },
  {
    name: 'serial',
    unit: 1,
    address: 100,
    type: 'string',
    length: 4,
    tags: 'machine=press',
    interval: '10s',
  },
  { name: 'running', unit: 1, table: 'coil', address: 0, tags: 'machine=press' },
  { name: 'zone', unit: 2, table: 'input', address: 0, type: 'float32', order: 'CDAB', tags: 'machine=oven' },
];

function device(port, extra = {}) {
  return {
    id: 'n-dev',
    type: 'helios-modbus-device',
    name: 'line',
    transport: 'tcp',
    host: '127.0.0.1',
    port,
    timeoutMs: 200,
    ...extra,
  };
}

function modbusFlow(dir, port, pollConfig = {}, deviceExtra = {}, more = []) {
  return flowWith(dir, [
    device(port, deviceExtra),
    {
      id: 'n-modbus',
      type: 'helios-modbus',
      device: 'n-dev',
      map: PRESS_MAP,
      wires: [['n-out']],
      ...pollConfig,
    },
    { id: 'n-out', type: 'helper' },
    ...more,
  ]);
}

/** Messages into helper `id` until `check(all)` says enough (or `ms` pass). */
function collect(id, ms, check = () => false) {
  const got = [];
  return new Promise((resolve) => {
    const node = helper.getNode(id);
    const done = () => {
      node.removeListener('input', onInput);
      clearTimeout(timer);
      resolve(got);
    };
    const onInput = (msg) => {
      got.push(msg);
      if (check(got)) done();
    };
    const timer = setTimeout(done, ms);
    node.on('input', onInput);
  });
}

/** The last status node `id` showed (the helper's spy is shared by all nodes: keep this one's calls). */
const lastStatus = (id) => {
  const node = helper.getNode(id);
  return node.status
    .getCalls()
    .filter((c) => c.thisValue === node)
    .at(-1)?.args[0];
};
/** What node `id` reported with node.error (the helper's spy is shared by all nodes: keep this one's calls). */
const errorsOf = (id) => {
  const node = helper.getNode(id);
  return node.error
    .getCalls()
    .filter((c) => c.thisValue === node)
    .map((c) => String(c.args[0]));
};

async function until(check, ms, what) {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await tick(20);
  }
}

describe('helios-modbus node against the simulated PLC', function () {
  this.timeout(30000);
  let plc;

  before(async () => {
    plc = await startPlc({ port: 0 });
  });
  after(async () => {
    await plc.close();
  });
  afterEach(async () => {
    await helper.unload();
  });

  it('sends typed readings in the shape helios-store takes, one message per poll group', async () => {
    await helper.load(nodes, modbusFlow(tempDir(), plc.port));
    const first = await collect(
      'n-out',
      3000,
      (all) => new Set(all.map((m) => m.modbus.intervalMs)).size === 2,
    );
    const fast = first.find((m) => m.modbus.intervalMs === 1000);
    const slow = first.find((m) => m.modbus.intervalMs === 10000);
    assert.strictEqual(fast.modbus.intervalMs, 1000);
    assert.strictEqual(fast.topic, 'line');
    assert.deepStrictEqual(fast.modbus.failed, []);
    // Unit 1 (holding, coil) and unit 2 (input) in the 1 s group: 3 reads, two readings.
    assert.strictEqual(fast.modbus.answered, 3);
    const press = fast.payload.find((r) => r.tags.machine === 'press');
    const oven = fast.payload.find((r) => r.tags.machine === 'oven');
    assert.deepStrictEqual(press.tags, { device: 'line', unit: '1', machine: 'press' });
    assert.strictEqual(press.measurement, 'modbus');
    assert.ok(Math.abs(Date.now() - press.timestamp) < 2000);
    const f = press.fields;
    assert.ok(f.temperature > 170 && f.temperature < 190, `temperature ${f.temperature}`);
    assert.ok(f.pressure > 110 && f.pressure < 130, `pressure ${f.pressure}`);
    assert.ok(Number.isInteger(f.cycles) && f.cycles >= 0);
    assert.ok(f.vibration > 0.8 && f.vibration < 1.6, `vibration ${f.vibration}`);
    assert.strictEqual(f.setpoint, 180);
    assert.strictEqual(f.running, true);
    assert.strictEqual(f.quality, 'good');
    assert.ok(oven.fields.zone > 215 && oven.fields.zone < 225, `zone ${oven.fields.zone} (CDAB)`);
    assert.deepStrictEqual(slow.payload[0].fields, { serial: 'PRESS-01', quality: 'good' });
  });

  it('wired to helios-store, the readings land in the table', async () => {
    const flow = modbusFlow(tempDir(), plc.port, { wires: [['n-store']] }, {}, [
      { id: 'n-store', type: 'helios-store', db: 'n-db', wires: [['n-out']] },
    ]);
    await helper.load(nodes, flow);
    // The first polls of both groups: the 1 s group brings press and oven, the 10 s group the serial.
    const both = await collect('n-out', 3000, (all) => all.length === 2);
    assert.deepStrictEqual(both.map((m) => m.stored.count).sort(), [1, 2]);
    assert.ok(both.every((m) => m.stored.table === 'modbus'));
    const db = await openDb();
    const rows = await db.query("SELECT machine, temperature, zone, quality FROM modbus WHERE unit = '1'");
    assert.strictEqual(rows.rows[0].machine, 'press');
    assert.ok(rows.rows[0].temperature > 170);
  });

  it('writes straight into a helios-db, then sends with msg.stored', async () => {
    await helper.load(nodes, modbusFlow(tempDir(), plc.port, { output: 'db', db: 'n-db', table: 'line' }));
    const msg = await nextMessage('n-out');
    assert.strictEqual(msg.stored.table, 'line');
    assert.strictEqual(msg.stored.count, msg.payload.length);
    const db = await openDb();
    const rows = await db.read('line');
    assert.ok(rows.length >= msg.payload.length);
    // The first polls of both groups: press and oven from the 1 s group, press's serial from the 10 s one.
    await tick(300);
    const all = await db.read('line');
    assert.deepStrictEqual(new Set(all.map((r) => r.machine)), new Set(['press', 'oven']));
    assert.ok(all.some((r) => r.serial === 'PRESS-01'));
    assert.ok(all.some((r) => r.temperature > 170));
  });

  it('writes set-points from msg.payload with their type and scale; refuses what it cannot write with a sentence', async () => {
    await helper.load(nodes, modbusFlow(tempDir(), plc.port));
    const node = helper.getNode('n-modbus');
    await nextMessage('n-out');
    await new Promise((resolve, reject) => {
      node.receive({ payload: { setpoint: 72.5, running: false } });
      node.on('call:error', (c) => reject(c.args[0]));
      setTimeout(resolve, 300);
    });
    assert.strictEqual(plc.state.setpoint, 725);
    assert.strictEqual(plc.state.running, false);
    const next = await nextMessage('n-out');
    const press = next.payload.find((r) => r.tags.machine === 'press');
    assert.strictEqual(press.fields.setpoint, 72.5);
    assert.strictEqual(press.fields.running, false);

    const failed = new Promise((resolve) => node.once('call:error', (c) => resolve(c.args[0])));
    node.receive({ payload: { zone: 3 } });
    assert.match(
      String(await failed),
      /"zone" is an input register: only coils and holding registers can be written/,
    );
    const tooBig = new Promise((resolve) => node.once('call:error', (c) => resolve(c.args[0])));
    node.receive({ payload: { setpoint: 7000 } });
    assert.match(String(await tooBig), /"setpoint" \(uint16\) cannot be written: 7000 is outside uint16/);
    assert.strictEqual(plc.state.setpoint, 725, 'nothing written for a refused message');
    // The refusal shows in red until the next status refresh, which brings the poll's line back.
    assert.strictEqual(lastStatus('n-modbus').fill, 'red');
    await tick(1100);
    assert.match(lastStatus('n-modbus').text, /reads\/s$/);
  });

  it('a register map with mistakes: red status, every problem in one sentence, no crash', async () => {
    await helper.load(
      nodes,
      modbusFlow(tempDir(), plc.port, {
        map: [
          { name: 't', address: 'x' },
          { name: 'u', address: 1, type: 'float' },
          { name: 'u', address: 3 },
        ],
      }),
    );
    const node = helper.getNode('n-modbus');
    assert.deepStrictEqual(lastStatus('n-modbus'), { fill: 'red', shape: 'ring', text: 'register map' });
    assert.deepStrictEqual(errorsOf('n-modbus'), [
      'The register map has 2 problems: row 1 (t): address must be a whole number from 0 to 65535, not "x". ' +
        'row 3 (u): the same name, unit and tags as row 2; give it another name.',
    ]);
    const failed = new Promise((resolve) => node.once('call:error', (c) => resolve(c.args[0])));
    node.receive({ payload: 1 });
    assert.match(String(await failed), /register map has 2 problems/);
  });

  it('takes a CSV register map written in the flow', async () => {
    const csv =
      'name,unit,table,address,type,order,tags\ntemperature,1,holding,0,float32,ABCD,machine=press\nzone,2,input,0,float32,CDAB,machine=oven';
    await helper.load(nodes, modbusFlow(tempDir(), plc.port, { map: csv }));
    const msg = await nextMessage('n-out');
    assert.deepStrictEqual(msg.payload.map((r) => r.tags.machine).sort(), ['oven', 'press']);
  });

  it('any message that is not a write polls every group now', async () => {
    const map = PRESS_MAP.slice(0, 2).map((r) => ({ ...r, interval: '1m' }));
    await helper.load(nodes, modbusFlow(tempDir(), plc.port, { map }));
    await nextMessage('n-out'); // the first poll, at deploy
    const t0 = Date.now();
    const got = nextMessage('n-out');
    helper.getNode('n-modbus').receive({ payload: Date.now() });
    const msg = await got;
    assert.ok(Date.now() - t0 < 1000, 'polled at once, not after the minute');
    assert.deepStrictEqual(Object.keys(msg.payload[0].fields).sort(), ['pressure', 'quality', 'temperature']);
  });

  it('shows the poll rate in a green status', async () => {
    await helper.load(
      nodes,
      modbusFlow(tempDir(), plc.port, { map: PRESS_MAP.map((r) => ({ ...r, interval: '100ms' })) }),
    );
    await until(() => /reads\/s/.test(lastStatus('n-modbus')?.text ?? ''), 5000, 'a rate');
    await tick(1100);
    const s = lastStatus('n-modbus');
    assert.strictEqual(s.fill, 'green');
    // 4 reads (unit 1 holding 0-10, 100-103, coil 0; unit 2 input 0-1) every 100 ms: about 40/s.
    const perSecond = Number(s.text.split(' ')[0]);
    assert.ok(perSecond > 20 && perSecond <= 45, s.text);
  });
});

describe('helios-modbus with no device there', function () {
  this.timeout(20000);
  afterEach(async () => {
    await helper.unload();
  });

  it('deploys yellow "connecting" with one warning and no error, and sends nothing', async () => {
    const { freePort } = require('../support/modbus-plc');
    const port = await freePort();
    await helper.load(nodes, modbusFlow(tempDir(), port, {}, { timeoutMs: 100 }));
    const got = await collect('n-out', 3500);
    assert.deepStrictEqual(got, []);
    assert.strictEqual(lastStatus('n-modbus').fill, 'yellow');
    assert.match(lastStatus('n-modbus').text, /^connecting/);
    assert.deepStrictEqual(errorsOf('n-modbus'), []);
    assert.deepStrictEqual(errorsOf('n-dev'), []);
    const warnings = helper
      .getNode('n-dev')
      .warn.getCalls()
      .map((c) => c.args[0]);
    assert.strictEqual(warnings.length, 1, warnings.join('\n'));
    assert.match(
      warnings[0],
      /refused the connection \(is the device on, and the port right\?\)\. It reconnects by itself\./,
    );
  });
});

describe('helios-modbus set up wrong', () => {
  afterEach(async () => {
    await helper.unload();
  });

  it('a device without a host, a poll without a device, a database output without a database: red, one sentence each', async () => {
    await helper.load(
      nodes,
      flowWith(tempDir(), [
        { id: 'n-dev', type: 'helios-modbus-device', transport: 'tcp', host: ' ', port: 502 },
        { id: 'n-a', type: 'helios-modbus', device: 'n-dev', map: PRESS_MAP },
        { id: 'n-b', type: 'helios-modbus', device: '', map: PRESS_MAP },
        { id: 'n-c', type: 'helios-modbus', device: 'n-good', map: PRESS_MAP, output: 'db', db: '' },
        { id: 'n-good', type: 'helios-modbus-device', transport: 'tcp', host: '127.0.0.1', port: 1 },
        { id: 'n-d', type: 'helios-modbus-device', transport: 'rtu', serialPort: '' },
      ]),
    );
    assert.deepStrictEqual(errorsOf('n-dev'), [
      'The Modbus TCP device has no host: give its address, e.g. 192.168.1.10.',
    ]);
    assert.deepStrictEqual(errorsOf('n-d'), [
      'The Modbus RTU device has no serial port: give one, e.g. /dev/ttyUSB0.',
    ]);
    assert.deepStrictEqual(
      ['n-a', 'n-b', 'n-c'].map((id) => [lastStatus(id).text, errorsOf(id)]),
      [
        [
          'device misconfigured',
          ['The Modbus device: The Modbus TCP device has no host: give its address, e.g. 192.168.1.10.'],
        ],
        ['no device', ['helios-modbus has no Modbus device: pick one in the node.']],
        ['no database', ['helios-modbus writes into a database, but none is picked: pick a helios-db.']],
      ],
    );
  });
});

describe('helios-modbus: the failures node-red-contrib-modbus users report (issue #16)', function () {
  this.timeout(40000);
  let server;
  const MAP = [
    { name: 'a', unit: 1, address: 0, type: 'uint16', interval: '100ms' },
    { name: 'b', unit: 1, address: 50, type: 'uint16', interval: '100ms' },
    { name: 'c', unit: 2, address: 0, type: 'uint16', interval: '100ms' },
  ];

  beforeEach(async () => {
    server = new FaultServer({ units: [1, 2] });
    await server.start();
    server.image(1).set('holding', 0, [111]);
    server.image(1).set('holding', 50, [150]);
    server.image(2).set('holding', 0, [222]);
  });
  afterEach(async () => {
    await helper.unload();
    await server.stop();
  });

  const faultFlow = (extra = {}) =>
    modbusFlow(tempDir(), server.port, { map: MAP, deviceTag: '', ...extra }, { timeoutMs: 150, maxGap: 0 });
  const valuesOf = (msgs) => msgs.flatMap((m) => m.payload.map((r) => ({ unit: r.tags.unit, ...r.fields })));

  it('"never recovers after an outage without a redeploy": the device restarts, the node polls again by itself', async () => {
    await helper.load(nodes, faultFlow());
    await collect('n-out', 2000, (all) => all.length >= 3);
    const port = server.port;
    await server.stop();
    await until(() => /^connecting/.test(lastStatus('n-modbus')?.text ?? ''), 3000, 'connecting');
    await tick(1500);
    server = new FaultServer({ units: [1, 2], port });
    server.image(1).set('holding', 0, [112]);
    server.image(1).set('holding', 50, [150]);
    server.image(2).set('holding', 0, [223]);
    await server.start();
    const after = await collect('n-out', 8000, (all) => all.length >= 3);
    assert.ok(after.length >= 3, `${after.length} polls after the restart`);
    const last = valuesOf(after.slice(-1));
    assert.deepStrictEqual(last, [
      { unit: '1', a: 112, b: 150, quality: 'good' },
      { unit: '2', c: 223, quality: 'good' },
    ]);
    await until(() => lastStatus('n-modbus').fill === 'green', 3000, 'green again');
  });

  it('"a connection reset mid-reply needs a redeploy": it reconnects and carries on', async () => {
    await helper.load(nodes, faultFlow());
    await nextMessage('n-out');
    server.faults.push({ kind: 'resetMidReply', unit: 1 });
    const msgs = await collect(
      'n-out',
      5000,
      (all) => all.filter((m) => m.modbus.failed.length === 0).length >= 3,
    );
    assert.ok(server.connections >= 2);
    assert.deepStrictEqual(valuesOf(msgs.slice(-1)), [
      { unit: '1', a: 111, b: 150, quality: 'good' },
      { unit: '2', c: 222, quality: 'good' },
    ]);
  });

  it('"one dead unit id stalls the whole bus": unit 2 dead, unit 1 keeps its poll rate', async () => {
    server.silent.add(2);
    await helper.load(nodes, faultFlow());
    await tick(1000); // unit 2 is offline after 3 timeouts
    const msgs = await collect('n-out', 2000);
    // 2 s at 100 ms: about 20 polls. Each takes unit 1's two reads (under 1 ms on loopback) and,
    // once unit 2 is offline, no time for it except a probe (150 ms) every few seconds.
    assert.ok(msgs.length >= 14, `${msgs.length} polls in 2 s`);
    const unit1 = valuesOf(msgs).filter((v) => v.unit === '1');
    assert.ok(unit1.every((v) => v.a === 111 && v.b === 150 && v.quality === 'good'));
    const unit2 = valuesOf(msgs).filter((v) => v.unit === '2');
    assert.ok(
      unit2.every((v) => v.c === undefined && /unit offline|timeout/.test(v.quality)),
      JSON.stringify(unit2),
    );
    assert.ok(unit2.some((v) => v.quality === 'unit offline'));
    assert.match(lastStatus('n-modbus').text, /unit 2 offline/);
    assert.strictEqual(lastStatus('n-modbus').fill, 'yellow');
    assert.ok(server.requests.get(2) <= 6, `${server.requests.get(2)} requests went to the dead unit`);
  });

  it('"late replies are matched to the wrong request (Data length error)": a late reply is dropped, no value is ever wrong', async () => {
    await helper.load(nodes, faultFlow());
    await nextMessage('n-out');
    // Two late replies: both reads of one poll of unit 1 time out (three in a row would take it offline).
    for (let i = 0; i < 2; i++) server.faults.push({ kind: 'late', ms: 220, unit: 1 });
    const msgs = await collect('n-out', 4000);
    const values = valuesOf(msgs);
    for (const v of values) {
      if (v.unit === '1') {
        if ('a' in v) assert.strictEqual(v.a, 111);
        if ('b' in v) assert.strictEqual(v.b, 150);
      } else assert.strictEqual(v.c, 222);
    }
    assert.ok(values.some((v) => v.quality === 'timeout'));
    assert.ok(values.slice(-2).every((v) => v.quality === 'good'));
    const link = helper.getNode('n-dev').device.link;
    assert.ok(link.counters.lateReplies >= 1, `late replies counted: ${link.counters.lateReplies}`);
  });

  it('"a reply with a wrong length breaks the node": it is dropped with quality "bad reply", the next poll is good', async () => {
    await helper.load(nodes, faultFlow());
    await nextMessage('n-out');
    server.faults.push({ kind: 'wrongLength', unit: 2 });
    const msgs = await collect('n-out', 3000, (all) => all.length >= 6);
    const unit2 = valuesOf(msgs).filter((v) => v.unit === '2');
    assert.ok(unit2.some((v) => v.quality === 'bad reply' && v.c === undefined));
    assert.deepStrictEqual(unit2.at(-1), { unit: '2', c: 222, quality: 'good' });
    const failed = msgs.flatMap((m) => m.modbus.failed);
    assert.match(failed[0].error, /The reply to holding registers 0-0 of unit 2 holds 0 data bytes/);
  });

  it('"queues fill and never empty": a device slower than the interval skips polls; nothing piles up', async () => {
    server.delays.set(1, 120); // two reads of unit 1 at 120 ms: 240 ms a poll, at a 100 ms interval
    await helper.load(nodes, faultFlow());
    const bus = helper.getNode('n-dev').device.bus;
    let most = 0;
    const watch = setInterval(() => {
      most = Math.max(most, bus.waiting);
    }, 5);
    const slow = await collect('n-out', 3000);
    clearInterval(watch);
    assert.ok(most <= MAP.length, `at most ${most} requests waited`);
    const readingsOf = (unit) => valuesOf(slow).filter((v) => v.unit === unit).length;
    // Unit 1: about 3000 / 240 polls, not 30: its ticks in between were skipped, not queued.
    assert.ok(readingsOf('1') >= 8 && readingsOf('1') <= 15, `unit 1 polled ${readingsOf('1')} times in 3 s`);
    // Unit 2 is not held to unit 1's pace (it waits behind one request of unit 1 at most).
    assert.ok(readingsOf('2') >= 20, `unit 2 polled ${readingsOf('2')} times in 3 s`);
    server.delays.delete(1);
    const msgs = await collect('n-out', 1500);
    assert.ok(msgs.length >= 8, `${msgs.length} polls in 1.5 s once the device is quick again`);
  });

  it('a uint64 counter past 2^53 is stored (as the nearest double), not refused with the whole poll', async () => {
    server.image(1).set('holding', 10, [0x1000, 0, 0, 1]); // 2^60 + 1
    const map = [...MAP, { name: 'energy', unit: 1, address: 10, type: 'uint64', interval: '100ms' }];
    await helper.load(nodes, faultFlow({ map, output: 'db', db: 'n-db', table: 'plc' }));
    const msg = await nextMessage('n-out');
    assert.ok(msg.stored.count >= 1);
    const db = await openDb();
    const rows = await db.read('plc');
    const unit1 = rows.find((r) => r.unit === '1');
    assert.strictEqual(unit1.energy, 2 ** 60);
    assert.strictEqual(unit1.a, 111);
  });

  it('closing the flow closes the connection (a redeploy leaves no socket behind)', async () => {
    await helper.load(nodes, faultFlow());
    await nextMessage('n-out');
    assert.strictEqual(server.sockets.size, 1);
    await helper.unload();
    await until(() => server.sockets.size === 0, 2000, 'socket closed');
    await helper.load(nodes, faultFlow());
    await nextMessage('n-out');
    assert.strictEqual(server.sockets.size, 1);
    assert.strictEqual(server.connections, 2);
  });
});
