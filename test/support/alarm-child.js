// Child process for the alarm restart tests: opens a database (durability 'always'), rebuilds an
// alarm engine from the journal, prints the restored conditions, then takes one JSON command a line
// on stdin and prints one JSON line per command once its journal rows are durable:
//   {"read": {"source": "PT-1", "value": 90, "time": 123}}   a reading
//   {"act": {"source": "PT-1", "action": {"action": "ack"}, "time": 124}}
//   {"storm": {"sources": 8, "from": 1000}}   readings toggling across the limit as fast as the
//       journal takes them; prints {"acked": source, "seq": n} per durable transition (till killed)
const fs = require('node:fs');
const readline = require('node:readline');
const { AlarmEngine, AlarmJournal, checkRules, open } = require('../../dist/engine');

const RULES = checkRules([{ id: 'pt', match: 'PT-*', limits: { h: 80, hh: 95 } }]);
const say = (obj) => fs.writeSync(1, `${JSON.stringify(obj)}\n`);

function snapshot(engine) {
  return [...engine.allConditions()]
    .map((c) => ({
      source: c.source,
      state: c.state,
      acked: c.acked,
      level: c.active?.level ?? null,
      seq: c.seq,
    }))
    .sort((a, b) => (a.source < b.source ? -1 : 1));
}

async function storm(engine, journal, sources, from) {
  for (let t = from; ; t++) {
    const source = `PT-${t % sources}`;
    const value = Math.floor(t / sources) % 2 === 0 ? 90 : 50;
    const { events } = engine.reading({ source, time: t, fields: { value } });
    await journal.record(events, engine);
    for (const e of events) say({ acked: e.source, seq: e.seq, state: e.state });
  }
}

async function main() {
  const [dir] = process.argv.slice(2);
  const db = await open(dir, { durability: 'always' });
  const engine = new AlarmEngine(RULES);
  const journal = new AlarmJournal(db.alarmJournal());
  const restored = await journal.restore(engine, Date.now());
  say({ restored: restored.restored, conditions: snapshot(engine) });
  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    const cmd = JSON.parse(line);
    if (cmd.storm) {
      await storm(engine, journal, cmd.storm.sources, cmd.storm.from);
      continue;
    }
    let events;
    let refused = [];
    if (cmd.read) {
      events = engine.reading({
        source: cmd.read.source,
        time: cmd.read.time,
        fields: { value: cmd.read.value },
      }).events;
    } else {
      const r = engine.act(
        { rule: 'pt', source: cmd.act.source },
        cmd.act.action,
        { operator: 'ann', comment: 'seen' },
        cmd.act.time,
      );
      events = r.events;
      refused = r.refused;
    }
    await journal.record(events, engine);
    say({ events: events.map((e) => `${e.event}:${e.state}`), refused });
  }
}

main().catch((err) => {
  say({ error: err.stack });
  process.exit(1);
});
