// The alarm journal: how transitions become WAL records (chunked, in order, each state row with its
// condition's last journal row), the queries docs/alarms.md gives, and what a restore leaves out.
const assert = require('node:assert/strict');
const { AlarmEngine, AlarmJournal, checkRules, open } = require('../dist/engine');
const { tempDir } = require('./helpers');

const RULES = checkRules([{ id: 'pt', match: 'PT-*', limits: { h: 80 } }]);
const T0 = 1764028800000;

/** A journal target that keeps what it is asked to write. */
function recorder() {
  const writes = [];
  return {
    writes,
    target: {
      write: async (journal, states) => {
        writes.push({ journal, states });
      },
      readStates: async () => [],
      prepare: async () => undefined,
    },
  };
}

describe('alarm journal', () => {
  it('writes a flood of transitions as small records in order, each state with its last event', async () => {
    const engine = new AlarmEngine(RULES);
    const { writes, target } = recorder();
    const journal = new AlarmJournal(target);
    const all = [];
    const done = [];
    // 10 sources toggling 10 times: 100 transitions recorded in one turn
    for (let round = 0; round < 10; round++) {
      for (let s = 0; s < 10; s++) {
        const time = T0 + round * 10 + s;
        const { events } = engine.reading({
          source: `PT-${s}`,
          time,
          fields: { value: round % 2 === 0 ? 90 : 50 },
        });
        all.push(...events);
        done.push(journal.record(events, engine));
      }
    }
    await Promise.all(done);
    assert.equal(all.length, 100);
    assert.equal(writes.length, 4, 'one turn of 100 transitions: records of 32, 32, 32 and 4');
    assert.ok(writes.every((w) => w.journal.length <= 32));
    assert.deepEqual(
      writes.flatMap((w) => w.journal.map((r) => `${r.fields.source}#${r.fields.seq}`)),
      all.map((e) => `${e.source}#${e.seq}`),
    );
    // one state row per condition, in the record holding its last journal row, with that row's seq
    const states = writes.flatMap((w) => w.states);
    assert.equal(states.length, 10);
    for (const w of writes) {
      for (const st of w.states) {
        const seq = JSON.parse(st.fields.detail).seq;
        const last = w.journal.filter((r) => r.fields.source === st.tags.source).at(-1);
        assert.equal(last?.fields.seq, seq, `${st.tags.source}: state seq ${seq} not with its last event`);
      }
    }
  });

  it('declares its tables on start, so the state query answers before any alarm', async () => {
    const db = await open(tempDir('helios-alarm-empty-'));
    const restored = await new AlarmJournal(db.alarmJournal()).restore(new AlarmEngine(RULES), T0);
    assert.deepEqual(restored, { restored: 0, skipped: 0 });
    assert.deepEqual((await db.query('SELECT * FROM helios_alarm_state WHERE acked = false')).rows, []);
    assert.deepEqual(
      (await db.query('SELECT count(*) AS n FROM helios_alarms')).rows.map((r) => Number(r.n)),
      [0],
    );
    await db.close();
  });

  it('answers the queries docs/alarms.md gives, and restores only conditions of rules still there', async () => {
    const dir = tempDir('helios-alarm-journal-');
    const db = await open(dir);
    const engine = new AlarmEngine(
      checkRules([
        { id: 'pt', match: 'PT-*', limits: { h: 80 } },
        { id: 'gone', match: 'PT-*', limits: { h: 10 } },
      ]),
    );
    const journal = new AlarmJournal(db.alarmJournal());
    // 12 annunciations in one 10-minute bucket: a flood
    for (let i = 0; i < 12; i++) {
      const source = `PT-${i}`;
      const { events } = engine.reading({ source, time: T0 + i * 1000, fields: { value: 90 } });
      await journal.record(events, engine);
    }
    const ack = engine.act(
      { rule: 'pt', source: 'PT-0' },
      { action: 'ack' },
      { operator: 'ann', comment: null },
      T0 + 20000,
    );
    await journal.record(ack.events, engine);
    const unacked = await db.query('SELECT rule, source FROM helios_alarm_state WHERE acked = false');
    assert.equal(unacked.rows.length, 23);
    assert.ok(!unacked.rows.some((r) => r.rule === 'pt' && r.source === 'PT-0'));
    const floods = await db.query(
      "SELECT time_bucket('10m', time) AS t, count(*) AS n FROM helios_alarms " +
        "WHERE event = 'alarm' AND state = 'unack_active' AND rule = 'pt' GROUP BY t HAVING count(*) > 10",
    );
    assert.deepEqual(
      floods.rows.map((r) => Number(r.n)),
      [12],
    );
    const next = new AlarmEngine(checkRules([{ id: 'pt', match: 'PT-*', limits: { h: 80 } }]));
    const restored = await new AlarmJournal(db.alarmJournal()).restore(next, T0 + 30000);
    assert.deepEqual(restored, { restored: 12, skipped: 12 });
    await db.close();
  });
});
