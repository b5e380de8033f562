// helios-retention and helios-downsample in node-red-node-test-helper: a run on input sends the
// report, msg.policy / msg.rule override the settings, a bad setting reaches done(err) as a sentence.
const assert = require('node:assert');
const { helper, allNodes, flowWith, nextMessage, openDb, tempDir } = require('./support');

const retentionNode = require('../../dist/nodes/helios-retention.js');
const downsampleNode = require('../../dist/nodes/helios-downsample.js');
const nodes = [...allNodes, retentionNode, downsampleNode];

const HOUR = 3600000;
const T0 = 1764028800000;

function minutes(start, hours) {
  const out = [];
  for (let m = 0; m < hours * 60; m++)
    out.push({ time: start + m * 60000, tags: { sensor_id: 'S1' }, fields: { value: m } });
  return out;
}

function errorOf(id) {
  return new Promise((resolve) =>
    helper.getNode(id).on('call:error', (call) => resolve(String(call.args[0]))),
  );
}

describe('helios-retention node', () => {
  afterEach(async () => {
    await helper.unload();
  });

  it('drops what is older than the maximum age on input and sends the report', async () => {
    const flow = flowWith(tempDir(), [
      {
        id: 'n-ret',
        type: 'helios-retention',
        db: 'n-db',
        table: 'sensor_*',
        maxAge: '2h',
        everyMinutes: 0,
        wires: [['n-out']],
      },
      { id: 'n-out', type: 'helper' },
    ]);
    await helper.load(nodes, flow);
    const db = await openDb();
    await db.write('sensor_readings', minutes(T0, 4));
    const got = nextMessage('n-out');
    // msg.policy sets the clock for the test: 4 h after T0, so the first 2 h go
    helper.getNode('n-ret').receive({ policy: { now: T0 + 4 * HOUR } });
    const msg = await got;
    assert.deepStrictEqual(msg.payload.tables, ['sensor_readings']);
    assert.strictEqual(msg.payload.rowsDropped, 120);
    assert.strictEqual((await db.read('sensor_readings')).length, 120);
  });

  it('reports a bad setting through done(err) with a sentence', async () => {
    const flow = flowWith(tempDir(), [
      {
        id: 'n-ret',
        type: 'helios-retention',
        db: 'n-db',
        table: 't',
        maxAge: 'a week',
        everyMinutes: 0,
        wires: [[]],
      },
    ]);
    await helper.load(nodes, flow);
    const err = errorOf('n-ret');
    helper.getNode('n-ret').receive({});
    assert.match(await err, /maxAge "a week" is not a duration/);
  });
});

describe('helios-downsample node', () => {
  afterEach(async () => {
    await helper.unload();
  });

  it('rolls up on input into {table}_{bucket} and reports buckets written', async () => {
    const flow = flowWith(tempDir(), [
      {
        id: 'n-ds',
        type: 'helios-downsample',
        db: 'n-db',
        source: 'sensor_readings',
        bucket: '1h',
        after: '0s',
        everyMinutes: 0,
        wires: [['n-out']],
      },
      { id: 'n-out', type: 'helper' },
    ]);
    await helper.load(nodes, flow);
    const db = await openDb();
    await db.write('sensor_readings', minutes(T0, 3));
    const got = nextMessage('n-out');
    helper.getNode('n-ds').receive({ rule: { now: T0 + 3 * HOUR } });
    const msg = await got;
    assert.strictEqual(msg.payload.bucketsWritten, 3);
    const rollup = await db.read('sensor_readings_1h');
    assert.deepStrictEqual(
      rollup.map((r) => [r.time, r.value_count, r.value_min, r.value_max]),
      [
        [T0, 60, 0, 59],
        [T0 + HOUR, 60, 60, 119],
        [T0 + 2 * HOUR, 60, 120, 179],
      ],
    );
  });
});
