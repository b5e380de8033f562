// Restart without false alarms through a real Node-RED: a flow with helios-alarm behind HTTP
// holds alarms in every state; the Node-RED process is killed with SIGKILL and started again on
// the same user directory; the same readings raise nothing, acknowledgements are kept.
const assert = require('node:assert');
const { prepareUserDir, startNodeRed } = require('../../scripts/node-red-runner');
const { tempDir } = require('../helpers');

const RULES = [{ id: 'pt', match: 'PT-*', limits: { h: 80, hh: 95 } }];

/** POST /alarm {msg properties} -> helios-alarm; answers once done() (journaled) or done(err). */
function flows() {
  const z = 'f-alarm';
  return [
    { id: z, type: 'tab', label: 'alarm' },
    {
      id: 'db',
      type: 'helios-db',
      name: 'alarm sigkill db',
      dir: 'alarm-db',
      durability: 'always',
      version: 1,
    },
    { id: 'in', type: 'http in', z, url: '/alarm', method: 'post', wires: [['unpack']] },
    {
      id: 'unpack',
      type: 'function',
      z,
      func: 'const b = msg.payload; delete msg.payload; Object.assign(msg, b); return msg;',
      outputs: 1,
      wires: [['alarm']],
    },
    {
      id: 'alarm',
      type: 'helios-alarm',
      z,
      db: 'db',
      rules: RULES,
      repeatSeconds: 0,
      version: 1,
      wires: [['collect'], []],
    },
    {
      id: 'collect',
      type: 'function',
      z,
      func: "const l = flow.get('events') || []; l.push(msg.payload); flow.set('events', l); return null;",
      outputs: 1,
      wires: [[]],
    },
    { id: 'ok', type: 'complete', z, scope: ['alarm'], wires: [['answer']] },
    {
      id: 'failed',
      type: 'catch',
      z,
      scope: ['alarm'],
      wires: [['refuse']],
    },
    {
      id: 'refuse',
      type: 'function',
      z,
      func: 'msg.statusCode = 400; msg.payload = { error: msg.error.message }; return msg;',
      outputs: 1,
      wires: [['answer']],
    },
    { id: 'answer', type: 'http response', z, statusCode: '', wires: [] },
    { id: 'in-events', type: 'http in', z, url: '/alarm/events', method: 'get', wires: [['events']] },
    {
      id: 'events',
      type: 'function',
      z,
      func: "msg.payload = flow.get('events') || []; return msg;",
      outputs: 1,
      wires: [['answer']],
    },
  ];
}

describe('helios-alarm: SIGKILL of the Node-RED process', function () {
  this.timeout(90000);
  let runtime;

  afterEach(async () => {
    if (runtime && runtime.child.exitCode === null) runtime.child.kill('SIGKILL');
  });

  const post = async (body) => {
    const res = await fetch(`${runtime.url}/alarm`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: await res.json().catch(() => null) };
  };
  const events = async () =>
    (await (await fetch(`${runtime.url}/alarm/events`)).json()).map(
      (e) => `${e.source}:${e.event}:${e.state}`,
    );
  /** "Server now running" comes before the flows start: wait for the flow's HTTP routes. */
  const started = async () => {
    const deadline = Date.now() + 30000;
    while (Date.now() < deadline) {
      const res = await fetch(`${runtime.url}/alarm/events`).catch(() => null);
      if (res?.status === 200) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('the flow did not start within 30 s');
  };
  const kill = async () => {
    const exited = new Promise((resolve) => runtime.child.once('exit', resolve));
    runtime.child.kill('SIGKILL');
    await exited;
  };

  it('comes back with every state, raises nothing again and keeps the acks', async () => {
    const userDir = tempDir('helios-alarm-nr-');
    prepareUserDir(userDir, { flows: flows() });
    runtime = await startNodeRed(userDir);
    await started();
    const steps = [
      { topic: 'PT-A', payload: 90 },
      { action: 'ack', source: 'PT-A', operator: 'ann' },
      { topic: 'PT-A', payload: 50 }, // normal again
      { topic: 'PT-B', payload: 90 }, // unack active
      { topic: 'PT-C', payload: 90 },
      { action: 'ack', source: 'PT-C', operator: 'ann' }, // ack active
      { topic: 'PT-D', payload: 90 },
      { topic: 'PT-D', payload: 50 }, // rtn unack
      { topic: 'PT-E', payload: 90 },
      { action: 'shelve', source: 'PT-E', duration: '1h' }, // shelved
      { topic: 'PT-F', payload: 99 },
      { action: 'suppress', source: 'PT-F' }, // suppressed
      { topic: 'PT-G', payload: 90 },
      { action: 'out_of_service', source: 'PT-G' }, // out of service
    ];
    for (const step of steps) assert.strictEqual((await post(step)).status, 200, JSON.stringify(step));
    assert.strictEqual((await events()).length, 14);
    await kill();

    runtime = await startNodeRed(userDir);
    await started();
    const again = { 'PT-A': 50, 'PT-B': 90, 'PT-C': 90, 'PT-D': 50, 'PT-E': 90, 'PT-F': 99, 'PT-G': 90 };
    for (const [topic, payload] of Object.entries(again)) {
      assert.strictEqual((await post({ topic, payload })).status, 200);
    }
    assert.deepStrictEqual(await events(), [], 'an alarm already reported was raised again');
    const ack = await post({ action: 'ack', source: 'PT-C' });
    assert.strictEqual(ack.status, 400);
    assert.match(ack.body.error, /acknowledged already/);
    assert.strictEqual((await post({ action: 'state' })).status, 200);
    const [list] = (await (await fetch(`${runtime.url}/alarm/events`)).json()).slice(-1);
    assert.deepStrictEqual(Object.fromEntries(list.map((a) => [a.source, a.state])), {
      'PT-B': 'unack_active',
      'PT-C': 'ack_active',
      'PT-D': 'rtn_unack',
      'PT-E': 'shelved',
      'PT-F': 'suppressed',
      'PT-G': 'out_of_service',
    });
    await runtime.stop();
  });
});
