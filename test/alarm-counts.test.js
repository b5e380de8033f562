// Chatter and flood counts on a replayed NAB series (test/fixtures/nab), one point a second, with
// and without the automatic shelve, against counts worked out here from the series alone.
const assert = require('node:assert/strict');
const { AlarmEngine, checkRules } = require('../dist/engine');
const { loadNabSeries } = require('../bench/nab');

const T0 = 1764028800000;
const FLOOD_MS = 600_000;
const CHATTER_MS = 60_000;
const SHELVE_MS = 300_000;

/** The series replayed at 1 s a point, and a limit at its median so that it crosses often. */
function replay(name) {
  const points = loadNabSeries(name).map((p, i) => ({ time: T0 + i * 1000, value: p.value }));
  const sorted = points.map((p) => p.value).sort((a, b) => a - b);
  return { points, limit: sorted[Math.floor(sorted.length / 2)] };
}

/** Annunciation times, shelves and per-step expectations from the series alone. */
function reference(points, limit, autoShelve) {
  const rises = [];
  const shelves = [];
  const steps = [];
  let active = false;
  let shelvedUntil = null;
  const inWindow = (t, ms) => rises.filter((r) => r > t - ms).length;
  for (const { time, value } of points) {
    const now = value >= limit;
    const shelved = shelvedUntil !== null && time <= shelvedUntil;
    if (now && !active && !shelved) {
      rises.push(time);
      if (autoShelve && inWindow(time, CHATTER_MS) >= 3) {
        shelvedUntil = time + SHELVE_MS;
        shelves.push(time);
      }
    }
    active = now;
    if (shelvedUntil !== null && time >= shelvedUntil) shelvedUntil = null;
    steps.push({ flood: inWindow(time, FLOOD_MS), chattering: inWindow(time, CHATTER_MS) >= 3 });
  }
  return { rises, shelves, steps };
}

function run(name, autoShelve) {
  const { points, limit } = replay(name);
  const rules = checkRules([{ id: 'temp', match: '*', limits: { h: limit } }]);
  const engine = new AlarmEngine(rules, autoShelve ? { chatterShelveMs: SHELVE_MS } : {});
  const expected = reference(points, limit, autoShelve);
  const annunciations = [];
  const shelves = [];
  let floods = 0;
  points.forEach(({ time, value }, i) => {
    const events = [
      ...engine.reading({ source: name, time, fields: { value } }, time).events,
      ...engine.tick(time),
    ];
    for (const e of events) {
      if (e.event === 'alarm' && e.state === 'unack_active') annunciations.push(e.time);
      if (e.event === 'shelve') {
        assert.equal(e.operator, 'helios');
        assert.match(e.comment, /^chattering: \d+ alarms in 60 s$/);
        shelves.push(e.time);
      }
    }
    const counts = engine.counts(time);
    const want = expected.steps[i];
    assert.equal(counts.recentAlarms, want.flood, `flood count at point ${i}`);
    assert.equal(counts.flood, want.flood > 10, `flood at point ${i}`);
    assert.equal(counts.chattering, want.chattering ? 1 : 0, `chatter at point ${i}`);
    if (counts.flood) floods++;
  });
  assert.deepEqual(annunciations, expected.rises);
  assert.deepEqual(shelves, expected.shelves);
  if (process.env.HELIOS_SHOW) console.log(name, autoShelve, annunciations.length, shelves.length, floods);
  return { annunciations: annunciations.length, shelves: shelves.length, floods };
}

describe('alarm floods and chatter on a replayed NAB series', () => {
  it('counts floods and chatter as the series says (no automatic shelve)', () => {
    const r = run('machine_temperature_system_failure', false);
    assert.ok(
      r.annunciations > 100,
      `${r.annunciations} annunciations: the replay must cross the limit often`,
    );
    assert.ok(r.floods > 0, 'the replay must hold a flood');
    assert.equal(r.shelves, 0);
  });

  it('shelves a chattering alarm automatically and counts what is left', () => {
    const r = run('machine_temperature_system_failure', true);
    assert.ok(r.shelves > 0, 'the replay must chatter');
  });

  it('counts the other fixture series right too', () => {
    for (const name of ['ambient_temperature_system_failure', 'ec2_cpu_utilization_5f5533', 'speed_6005']) {
      run(name, true);
    }
  });
});
