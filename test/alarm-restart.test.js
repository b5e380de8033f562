// Restart without false alarms: a process holding alarms in every state is killed with SIGKILL;
// the next one rebuilds the same states from the journal, raises nothing again for the conditions
// already reported, and keeps every acknowledgement. And under a storm of transitions, a SIGKILL
// loses none that was acknowledged as journaled.
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const path = require('node:path');
const readline = require('node:readline');
const { open } = require('../dist/engine');
const { tempDir } = require('./helpers');

const CHILD = path.join(__dirname, 'support', 'alarm-child.js');

const running = new Set();

/** A child alarm process on `dir`, answering one JSON line per command. */
function startChild(dir) {
  const child = spawn(process.execPath, [CHILD, dir], { stdio: ['pipe', 'pipe', 'inherit'] });
  running.add(child);
  child.on('exit', () => running.delete(child));
  const lines = readline.createInterface({ input: child.stdout });
  const waiting = [];
  const seen = [];
  lines.on('line', (line) => {
    const msg = JSON.parse(line);
    if (msg.error) throw new Error(msg.error);
    seen.push(msg);
    waiting.shift()?.(msg);
  });
  const next = () => new Promise((resolve) => waiting.push(resolve));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  return {
    child,
    seen,
    ready: next(),
    send(cmd) {
      const answer = next();
      child.stdin.write(`${JSON.stringify(cmd)}\n`);
      return answer;
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

let clock = 1764028800000;
const read = (source, value) => ({ read: { source, value, time: ++clock } });
const act = (source, action) => ({ act: { source, action, time: ++clock } });

/** Commands that leave each source in one state of the diagram. */
const SETUP = {
  'PT-A': [read('PT-A', 90), act('PT-A', { action: 'ack' }), read('PT-A', 50)], // normal again
  'PT-B': [read('PT-B', 90)], // unack active
  'PT-C': [read('PT-C', 90), act('PT-C', { action: 'ack' })], // ack active
  'PT-D': [read('PT-D', 90), read('PT-D', 50)], // rtn unack
  'PT-E': [read('PT-E', 90), act('PT-E', { action: 'shelve', untilMs: clock + 86_400_000, oneShot: false })],
  'PT-F': [read('PT-F', 99), act('PT-F', { action: 'ack' }), act('PT-F', { action: 'suppress' })],
  'PT-G': [read('PT-G', 90), act('PT-G', { action: 'out_of_service' })],
};
const EXPECTED = {
  'PT-A': 'normal',
  'PT-B': 'unack_active',
  'PT-C': 'ack_active',
  'PT-D': 'rtn_unack',
  'PT-E': 'shelved',
  'PT-F': 'suppressed',
  'PT-G': 'out_of_service',
};
/** the last reading of each source, sent again after the restart */
const LAST = { 'PT-A': 50, 'PT-B': 90, 'PT-C': 90, 'PT-D': 50, 'PT-E': 90, 'PT-F': 99, 'PT-G': 90 };

describe('alarms: restart after SIGKILL', function () {
  this.timeout(60000);

  // a failed assertion must not leave a child holding the test open
  afterEach(() => {
    for (const child of running) child.kill('SIGKILL');
  });

  it('rebuilds every state, raises nothing again and keeps the acknowledgements', async () => {
    const dir = tempDir('helios-alarm-restart-');
    const first = startChild(dir);
    await first.ready;
    for (const cmds of Object.values(SETUP)) for (const cmd of cmds) await first.send(cmd);
    // a source that never alarmed has nothing on record (and needs nothing restored)
    assert.deepEqual((await first.send(read('PT-Z', 10))).events, []);
    await first.kill();

    const second = startChild(dir);
    const { conditions } = await second.ready;
    const states = Object.fromEntries(conditions.map((c) => [c.source, c.state]));
    assert.deepEqual(states, EXPECTED);
    assert.equal(conditions.find((c) => c.source === 'PT-F').level, 'hh');
    for (const [source, value] of Object.entries(LAST)) {
      const answer = await second.send(read(source, value));
      assert.deepEqual(answer.events, [], `${source} (${EXPECTED[source]}) raised ${answer.events} again`);
    }
    // the acknowledgement of PT-C survived: acknowledging it again is refused
    const again = await second.send(act('PT-C', { action: 'ack' }));
    assert.deepEqual(again.events, []);
    assert.match(again.refused[0], /acknowledged already/);
    // and PT-B, never acknowledged, still takes one
    assert.deepEqual((await second.send(act('PT-B', { action: 'ack' }))).events, ['ack:ack_active']);
    // the shelved and suppressed ones come back as they were when their overlay ends
    assert.deepEqual((await second.send(act('PT-E', { action: 'unshelve' }))).events, [
      'unshelve:unack_active',
    ]);
    assert.deepEqual((await second.send(act('PT-F', { action: 'unsuppress' }))).events, [
      'unsuppress:ack_active',
    ]);
    await second.kill();

    // every transition is a row of helios_alarms; helios_alarm_state has one row per condition
    const db = await open(dir);
    const journal = await db.query(
      "SELECT source, event, state, operator FROM helios_alarms WHERE source = 'PT-C'",
    );
    assert.deepEqual(
      journal.rows.map((r) => `${r.event}:${r.state}:${r.operator}`),
      ['alarm:unack_active:null', 'ack:ack_active:ann'],
    );
    const unacked = await db.query(
      'SELECT source FROM helios_alarm_state WHERE acked = false ORDER BY source',
    );
    assert.deepEqual(
      unacked.rows.map((r) => r.source),
      ['PT-D', 'PT-E'],
    );
    const count = await db.query('SELECT count(*) AS n FROM helios_alarm_state');
    assert.equal(Number(count.rows[0].n), 7);
    await db.close();
  });

  for (const killAfterMs of [150, 400, 900]) {
    it(`loses no journaled transition when killed ${killAfterMs} ms into a storm`, async () => {
      const dir = tempDir('helios-alarm-storm-');
      const first = startChild(dir);
      await first.ready;
      first.child.stdin.write(`${JSON.stringify({ storm: { sources: 8, from: clock } })}\n`);
      await new Promise((resolve) => setTimeout(resolve, killAfterMs));
      await first.kill();
      const acked = new Map();
      for (const msg of first.seen)
        if (msg.acked) acked.set(msg.acked, Math.max(acked.get(msg.acked) ?? 0, msg.seq));
      assert.ok(acked.size > 0, 'the storm journaled nothing before the kill');

      const second = startChild(dir);
      const { conditions } = await second.ready;
      await second.kill();
      const db = await open(dir);
      for (const [source, seq] of acked) {
        const c = conditions.find((x) => x.source === source);
        assert.ok(c && c.seq >= seq, `${source}: restored at seq ${c?.seq}, journaled up to ${seq}`);
        const rows = await db.query(
          'SELECT count(*) AS n, max(seq) AS top FROM helios_alarms WHERE source = ?',
          [source],
        );
        assert.equal(Number(rows.rows[0].n), Number(rows.rows[0].top), `${source}: a journal row is missing`);
        assert.ok(Number(rows.rows[0].top) >= seq);
        assert.equal(Number(rows.rows[0].top), c.seq, `${source}: journal and state row disagree`);
      }
      await db.close();
    });
  }
});
