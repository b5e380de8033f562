// helios-alarm in node-red-node-test-helper: readings in, transitions and notifications out, acks
// and shelves by message, the journal in SQL, rule sets from msg, bad rules and bad messages as
// sentences, restart (redeploy) without false alarms, status counts, and the editor's rule check.
const assert = require('node:assert');
const { helper, allNodes, flowWith, nextError, openDb, tempDir, tick } = require('./support');
const alarmNode = require('../../dist/nodes/helios-alarm.js');

// Node-RED's own complete and catch nodes; the Node-RED 5 line's runtime has them registered already
const core = (file) => {
  const register = require(`@node-red/nodes/core/common/${file}`);
  return (RED) => {
    try {
      register(RED);
    } catch (err) {
      if (!/already registered/.test(err.message)) throw err;
    }
  };
};
const completeNode = core('24-complete.js');
const catchNode = core('25-catch.js');

const NODES = [...allNodes, alarmNode, completeNode, catchNode];
const RULES = [
  {
    id: 'pressure',
    match: 'PT-*',
    limits: { h: { value: 80, priority: 600 }, hh: { value: 95, priority: 900 } },
  },
  { id: 'gas', match: 'H2S-*', limits: { h: { value: 10, priority: 800 } }, message: 'H2S high: evacuate' },
];

function alarmFlow(dir, config = {}) {
  return flowWith(dir, [
    {
      id: 'n-alarm',
      type: 'helios-alarm',
      db: 'n-db',
      rules: RULES,
      repeatSeconds: 0,
      wires: [['n-out'], ['n-note']],
      ...config,
    },
    { id: 'n-out', type: 'helper' },
    { id: 'n-note', type: 'helper' },
    // done() and done(err) of the alarm node, as a flow would see them
    { id: 'n-complete', type: 'complete', scope: ['n-alarm'], wires: [['n-done']] },
    { id: 'n-catch', type: 'catch', scope: ['n-alarm'], wires: [['n-failed']] },
    { id: 'n-done', type: 'helper' },
    { id: 'n-failed', type: 'helper' },
  ]);
}

/**
 * One listener per helper node for the whole test (Node-RED's input callbacks do not take
 * EventEmitter's once/removeListener pairs well): `next(id)` is the next message `id` gets.
 */
const waiters = new Map();
function tap(...ids) {
  for (const id of ids) {
    waiters.set(id, []);
    helper.getNode(id).on('input', (msg) => {
      const list = waiters.get(id);
      for (const resolve of list.splice(0)) resolve(msg);
    });
  }
}
function next(id) {
  return new Promise((resolve) => waiters.get(id).push(resolve));
}

async function load(flow) {
  await helper.load(NODES, flow);
  tap('n-out', 'n-note', 'n-done', 'n-failed');
}

/** Sends `msg` and resolves once the node calls done: undefined, or the error done(err) was given. */
async function send(msg) {
  const outcome = Promise.race([
    next('n-done').then(() => undefined),
    next('n-failed').then((m) => new Error(m.error.message)),
  ]);
  helper.getNode('n-alarm').receive(msg);
  return outcome;
}

async function statusText() {
  await tick(1100);
  const calls = helper.getNode('n-alarm').status.getCalls();
  return calls.at(-1).args[0];
}

describe('helios-alarm node', () => {
  afterEach(async () => {
    await helper.unload();
  });

  it('sends a transition and a notification for a reading, and journals it', async () => {
    await load(alarmFlow(tempDir()));
    const out = next('n-out');
    const note = next('n-note');
    await send({ topic: 'H2S-1', payload: 12 });
    const msg = await out;
    assert.strictEqual(msg.topic, 'gas/H2S-1');
    assert.strictEqual(msg.payload.event, 'alarm');
    assert.strictEqual(msg.payload.state, 'unack_active');
    assert.strictEqual(msg.payload.priority, 800);
    assert.strictEqual(msg.payload.message, 'H2S high: evacuate');
    assert.strictEqual((await note).payload.source, 'H2S-1');
    const db = await openDb();
    const rows = (await db.query('SELECT rule, source, state, value FROM helios_alarms')).rows;
    assert.deepStrictEqual(rows, [{ rule: 'gas', source: 'H2S-1', state: 'unack_active', value: 12 }]);
  });

  it('acknowledges by message with the operator and comment, and refuses a second ack with a sentence', async () => {
    await load(alarmFlow(tempDir()));
    await send({ topic: 'PT-7', payload: 90 });
    const out = next('n-out');
    assert.strictEqual(
      await send({ action: 'ack', source: 'PT-7', operator: 'ann', comment: 'valve closed' }),
      undefined,
    );
    const ack = await out;
    assert.strictEqual(ack.payload.state, 'ack_active');
    assert.strictEqual(ack.payload.operator, 'ann');
    const again = await send({ action: 'ack', source: 'PT-7' });
    assert.match(again.message, /acknowledged already/);
    const db = await openDb();
    const rows = (await db.query("SELECT operator, comment FROM helios_alarms WHERE event = 'ack'")).rows;
    assert.deepStrictEqual(rows, [{ operator: 'ann', comment: 'valve closed' }]);
    const state = (await db.query('SELECT source, acked FROM helios_alarm_state')).rows;
    assert.deepStrictEqual(state, [{ source: 'PT-7', acked: true }]);
  });

  it('shelves for a duration and refuses a shelve without one', async () => {
    await load(alarmFlow(tempDir()));
    await send({ topic: 'PT-1', payload: 99 });
    const err = await send({ action: 'shelve', source: 'PT-1' });
    assert.match(err.message, /needs msg.duration/);
    const out = next('n-out');
    assert.strictEqual(await send({ action: 'shelve', source: 'PT-1', duration: '10m' }), undefined);
    assert.strictEqual((await out).payload.state, 'shelved');
  });

  it('restores the states after a redeploy: no alarm again, the ack kept', async () => {
    const dir = tempDir();
    await load(alarmFlow(dir));
    await send({ topic: 'PT-1', payload: 90 });
    await send({ action: 'ack', source: 'PT-1' });
    await send({ topic: 'PT-2', payload: 99 });
    await helper.unload();
    await load(alarmFlow(dir));
    let sent = 0;
    helper.getNode('n-out').on('input', () => sent++);
    assert.strictEqual(await send({ topic: 'PT-1', payload: 91 }), undefined);
    assert.strictEqual(await send({ topic: 'PT-2', payload: 99 }), undefined);
    await tick(50);
    assert.strictEqual(sent, 0, 'a condition already reported was raised again');
    const again = await send({ action: 'ack', source: 'PT-1' });
    assert.match(again.message, /acknowledged already/);
    const list = next('n-out');
    await send({ action: 'state' });
    assert.deepStrictEqual(
      (await list).payload.map((a) => `${a.source}:${a.state}`),
      ['PT-2:unack_active', 'PT-1:ack_active'],
    );
  });

  it('leaves a bad rule out with a sentence in the status, and runs the others', async () => {
    const rules = [...RULES, { id: 'broken', match: 'X-*', limits: { h: 10, l: 20 } }];
    await load(alarmFlow(tempDir(), { rules }));
    const status = await statusText();
    assert.strictEqual(status.fill, 'red');
    assert.match(status.text, /Rule "broken": the h limit \(10\) must be/);
    const out = next('n-out');
    await send({ topic: 'PT-3', payload: 85 });
    assert.strictEqual((await out).payload.rule, 'pressure');
  });

  it('replaces and patches the rules from msg; a bad set is refused whole', async () => {
    await load(alarmFlow(tempDir()));
    const bad = await send({ rules: [{ id: 'a', limits: { h: 'high' } }] });
    assert.match(bad.message, /Rule "a": the h limit "high" is not a number/);
    assert.strictEqual(
      await send({
        patch: [
          { id: 'gas', remove: true },
          { id: 'temp', match: 'TT-*', limits: { h: 50 } },
        ],
      }),
      undefined,
    );
    const out = next('n-out');
    await send({ topic: 'H2S-1', payload: 50 });
    await send({ topic: 'TT-1', payload: 60 });
    assert.strictEqual((await out).payload.rule, 'temp');
  });

  it('reports a bad message with a sentence and keeps working', async () => {
    await load(alarmFlow(tempDir()));
    const err = await send({ payload: 5 });
    assert.match(err.message, /needs its source in msg.topic/);
    const err2 = await send({ action: 'explode', source: 'PT-1' });
    assert.match(err2.message, /is not an alarm action/);
    const err3 = await send({ topic: 'PT-1', payload: 90, time: '5 past noon' });
    assert.match(err3.message, /is not one: send milliseconds/);
    const out = next('n-out');
    await send({ topic: 'PT-1', payload: 'broken sensor' });
    await send({ topic: 'PT-4', payload: 81 });
    assert.strictEqual((await out).payload.source, 'PT-4');
  });

  it('shows the counts of active and unacknowledged alarms by priority band', async () => {
    await load(alarmFlow(tempDir()));
    await send({ topic: 'PT-1', payload: 99 });
    await send({ topic: 'PT-2', payload: 85 });
    await send({ action: 'ack', source: 'PT-2' });
    const status = await statusText();
    assert.strictEqual(status.fill, 'green');
    assert.strictEqual(status.text, '2 active, 1 unack, urgent 1 high 1');
  });

  it('repeats an unacknowledged alarm on the notification output', async () => {
    await load(alarmFlow(tempDir(), { repeatSeconds: 0.3 }));
    const notes = [];
    helper.getNode('n-note').on('input', (m) => notes.push(m.payload));
    await send({ topic: 'PT-1', payload: 99 });
    await tick(1000);
    assert.ok(notes.length >= 3, `${notes.length} notifications`);
    await send({ action: 'ack', source: 'PT-1' });
    const count = notes.length;
    await tick(700);
    assert.strictEqual(notes.length, count, 'repeats went on after the ack');
  });

  it('checks rules for the editor with the runtime own sentences', async () => {
    await load(alarmFlow(tempDir()));
    const res = await helper
      .request()
      .post('/helios-alarm/check')
      .send({ rules: [{ id: 'p', limits: { h: 1, l: 5 } }] })
      .expect(200);
    assert.match(res.body.problems[0], /Rule "p": the h limit \(1\) must be above the l limit \(5\)/);
  });

  it('says there is no database when none is picked', async () => {
    await helper.load(NODES, [{ id: 'n-alarm', type: 'helios-alarm', rules: RULES, wires: [[], []] }]);
    const err = nextError('n-alarm');
    helper.getNode('n-alarm').receive({ topic: 'PT-1', payload: 1 });
    assert.match((await err).args[0].message, /no helios-db database configured/);
  });
});
