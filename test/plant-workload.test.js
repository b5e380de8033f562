/**
 * The plant workload of bench/plant-workload.js (issue #13): deterministic, and the properties its
 * header promises, measured on the readings it yields (not on its own counters).
 */
const assert = require('node:assert/strict');
const {
  PlantWorkload,
  KINDS,
  START_TIME,
  STATUSES,
  MAX_LATE_MS,
  jitterBound,
  toSqliteRow,
} = require('../bench/plant-workload');

const READINGS = 200_000;

function take(workload, n, batch = 1000) {
  const out = [];
  while (out.length < n) out.push(...workload.nextBatch(Math.min(batch, n - out.length)));
  return out;
}

/** Every measured property of a stream of readings. */
function measure(workload, readings) {
  const byId = new Map(workload.sensors.map((s) => [s.tags.sensor_id, s]));
  const newest = new Map();
  const seen = new Set();
  const times = new Map();
  const m = { late: 0, resent: 0, nulls: 0, maxJitter: 0, maxJitterShare: 0, maxLateMs: 0, wrongFields: 0 };
  for (const r of readings) {
    const s = byId.get(r.tags.sensor_id);
    const key = `${r.tags.sensor_id}@${r.time}`;
    if (seen.has(key)) m.resent++;
    else {
      seen.add(key);
      const top = newest.get(s) ?? Number.NEGATIVE_INFINITY;
      if (r.time < top) {
        m.late++;
        m.maxLateMs = Math.max(m.maxLateMs, top - r.time);
      } else newest.set(s, r.time);
      if (!times.has(s)) times.set(s, []);
      times.get(s).push(r.time);
    }
    if (r.fields[s.spec.fields[0]] === null) m.nulls++;
    if (Object.keys(r.fields).sort().join() !== [...s.spec.fields].sort().join()) m.wrongFields++;
    const k = Math.round((r.time - START_TIME - s.phase) / s.period);
    const jitter = Math.abs(r.time - (START_TIME + s.phase + k * s.period));
    m.maxJitter = Math.max(m.maxJitter, jitter);
    m.maxJitterShare = Math.max(m.maxJitterShare, jitter / s.period);
  }
  // Missing samples: gaps of up to 10 periods (longer ones are idle machines), away from the end,
  // where late readings are still on their way.
  const end = readings.reduce((top, r) => Math.max(top, r.time), 0) - MAX_LATE_MS - 60_000;
  let missing = 0;
  let kept = 0;
  m.longGapsOfAlwaysOn = 0;
  for (const [s, list] of times) {
    list.sort((a, b) => a - b);
    for (let i = 1; i < list.length && list[i] < end; i++) {
      const periods = Math.round((list[i] - list[i - 1]) / s.period);
      kept++;
      if (periods <= 10) missing += periods - 1;
      else if (!s.spec.runOnly) m.longGapsOfAlwaysOn++;
    }
  }
  m.missingShare = missing / (kept + missing);
  return m;
}

describe('plant workload (bench/plant-workload.js)', () => {
  const workload = new PlantWorkload();
  const readings = take(workload, READINGS);
  const m = measure(new PlantWorkload(), readings);

  it('is deterministic: same seed, same readings; another seed, others', () => {
    const again = take(new PlantWorkload(), 20_000, 777);
    assert.deepEqual(again, readings.slice(0, 20_000));
    const other = take(new PlantWorkload({ seed: 14 }), 20_000);
    assert.notDeepEqual(other, readings.slice(0, 20_000));
  });

  it('has 300 sensors by default, of nine kinds, 10% noisy, 10 per machine', () => {
    const perKind = {};
    for (const s of workload.sensors) perKind[s.kind] = (perKind[s.kind] ?? 0) + 1;
    assert.deepEqual(Object.keys(perKind).sort(), Object.keys(KINDS).sort());
    assert.equal(workload.sensors.length, 300);
    assert.equal(perKind.vibration, 60);
    for (const kind of Object.keys(KINDS).filter((k) => k !== 'vibration'))
      assert.equal(perKind[kind], 30, kind);
    assert.equal(new Set(workload.sensors.map((s) => s.tags.machine_id)).size, 30);
    assert.equal(new Set(workload.sensors.map((s) => s.tags.line_id)).size, 3);
    const sent = new Set(readings.map((r) => r.tags.sensor_id));
    assert.equal(sent.size, 300, 'every sensor reports');
    assert.equal(new PlantWorkload({ sensors: 140 }).sensors.length, 140);
  });

  it("gives each reading only its kind's fields, of their types", () => {
    assert.equal(m.wrongFields, 0);
    const types = { value: 'number', counter: 'number', state: 'boolean', status: 'string' };
    for (const r of readings.slice(0, 50_000)) {
      for (const [k, v] of Object.entries(r.fields)) if (v !== null) assert.equal(typeof v, types[k], k);
      if (r.fields.counter != null) assert.ok(Number.isInteger(r.fields.counter));
      if (r.fields.status != null) assert.ok(STATUSES.includes(r.fields.status));
    }
  });

  it('jitters at most 50 ms and at most 1% of the period, and does jitter', () => {
    assert.ok(m.maxJitter <= 50, `max jitter ${m.maxJitter} ms`);
    assert.ok(m.maxJitterShare <= 0.01, `max jitter ${(m.maxJitterShare * 100).toFixed(2)}% of the period`);
    assert.ok(m.maxJitter >= 40, `max jitter ${m.maxJitter} ms: 5 s and 60 s sensors reach 50`);
    assert.equal(jitterBound(1000), 10);
    assert.equal(jitterBound(60_000), 50);
  });

  it('delivers ~3% late (out of order, by up to minutes)', () => {
    const share = m.late / READINGS;
    assert.ok(share >= 0.025 && share <= 0.035, `late ${(share * 100).toFixed(2)}%`);
    assert.ok(m.maxLateMs > 60_000 && m.maxLateMs <= MAX_LATE_MS + 60_000, `latest by ${m.maxLateMs} ms`);
  });

  it('re-sends ~0.5% with a different value', () => {
    const share = m.resent / READINGS;
    assert.ok(share >= 0.0035 && share <= 0.0065, `re-sent ${(share * 100).toFixed(3)}%`);
    const first = new Map();
    let same = 0;
    for (const r of readings) {
      const key = `${r.tags.sensor_id}@${r.time}`;
      const fields = JSON.stringify(r.fields);
      if (first.has(key) && first.get(key) === fields) same++;
      else if (!first.has(key)) first.set(key, fields);
    }
    assert.equal(same, 0, 're-sent readings with an unchanged value');
  });

  it('has ~0.1% explicit nulls and ~1.3% missing samples', () => {
    const nulls = m.nulls / READINGS;
    assert.ok(nulls >= 0.0006 && nulls <= 0.0014, `nulls ${(nulls * 100).toFixed(3)}%`);
    assert.ok(
      m.missingShare >= 0.01 && m.missingShare <= 0.016,
      `missing ${(m.missingShare * 100).toFixed(2)}%`,
    );
    assert.equal(m.longGapsOfAlwaysOn, 0, 'a sensor that always reports went quiet');
  });

  it('idles machines: fast sensors stop while theirs does, slow ones do not', () => {
    const vib = readings.filter((r) => r.tags.sensor_type === 'vibration');
    const perSensor = new Map();
    for (const r of vib) perSensor.set(r.tags.sensor_id, (perSensor.get(r.tags.sensor_id) ?? 0) + 1);
    const span = (readings.at(-1).time - readings[0].time) / 1000;
    const fewest = Math.min(...perSensor.values());
    assert.ok(fewest < 0.9 * span, `every vibration sensor sent at least ${fewest} of ${span.toFixed(0)} s`);
  });

  it('hands out batches in arrival order mixed across sensors, and SQLite rows', () => {
    const batch = new PlantWorkload().nextBatch(1000);
    assert.equal(batch.length, 1000);
    assert.ok(new Set(batch.map((r) => r.tags.sensor_id)).size > 100);
    const door = readings.find((r) => r.fields.state === true);
    assert.deepEqual(toSqliteRow(door).slice(5), [null, null, 1, null]);
  });
});
