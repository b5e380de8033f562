// A model-based property test of the alarm state machine: random sequences of readings, acks,
// shelves (timed and one-shot), suppressions, out-of-service and restarts (the conditions rebuilt
// from their journal state rows) against a deliberately small reference model of ISA-18.2's states
// for one high limit without deadband or delays.
const assert = require('node:assert/strict');
const fc = require('fast-check');
const { AlarmEngine, checkRules } = require('../dist/engine');
const { stateRow, conditionFrom } = require('../dist/engine/alarm/journal');

const RULES = checkRules([{ id: 'pt', match: 'PT-*', limits: { h: 80 } }]);
const SOURCES = ['PT-1', 'PT-2'];

/** The reference: one source's state in plain booleans, and what each step does to it. */
class Model {
  constructor() {
    this.active = false;
    this.acked = true;
    this.shelved = false;
    this.oneShot = false;
    this.until = null;
    this.suppressed = false;
    this.oos = false;
    this.before = null;
  }
  overlay() {
    return this.shelved || this.suppressed || this.oos;
  }
  shown() {
    if (this.oos) return 'out_of_service';
    if (this.suppressed) return 'suppressed';
    if (this.shelved) return 'shelved';
    if (this.active) return this.acked ? 'ack_active' : 'unack_active';
    return this.acked ? 'normal' : 'rtn_unack';
  }
  begin() {
    if (!this.overlay()) this.before = { acked: this.acked, active: this.active };
    this.acked = true;
  }
  end() {
    if (this.overlay()) return;
    const before = this.before;
    this.before = null;
    this.acked = before && before.active === this.active ? before.acked : !this.active;
  }
  /** returns whether the step is refused (changes nothing) */
  step(s, now) {
    switch (s.kind) {
      case 'read': {
        const active = s.value >= 80;
        if (active === this.active) return false;
        this.active = active;
        if (!active && this.shelved && this.oneShot) {
          this.shelved = false;
          this.oneShot = false;
          this.until = null;
          this.end();
        } else if (this.overlay()) this.acked = true;
        else if (active) this.acked = false;
        return false;
      }
      case 'ack':
        if (this.overlay() || this.acked) return true;
        this.acked = true;
        return false;
      case 'shelve':
        if (this.oos) return true;
        this.begin();
        this.shelved = true;
        this.oneShot = s.oneShot;
        this.until = s.oneShot ? null : now + s.ms;
        return false;
      case 'unshelve':
        if (!this.shelved) return true;
        this.shelved = false;
        this.oneShot = false;
        this.until = null;
        this.end();
        return false;
      case 'suppress':
        if (this.suppressed) return true;
        this.begin();
        this.suppressed = true;
        return false;
      case 'unsuppress':
        if (!this.suppressed) return true;
        this.suppressed = false;
        this.end();
        return false;
      case 'oos':
        if (this.oos) return true;
        this.begin();
        this.oos = true;
        return false;
      case 'ins':
        if (!this.oos) return true;
        this.oos = false;
        this.end();
        return false;
      case 'wait':
        if (this.shelved && this.until !== null && now >= this.until) {
          this.shelved = false;
          this.until = null;
          this.end();
        }
        return false;
    }
    throw new Error(`unknown step ${s.kind}`);
  }
}

const ACTIONS = {
  ack: { action: 'ack' },
  unshelve: { action: 'unshelve' },
  suppress: { action: 'suppress' },
  unsuppress: { action: 'unsuppress' },
  oos: { action: 'out_of_service' },
  ins: { action: 'in_service' },
};

const stepArb = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ kind: fc.constant('read'), value: fc.integer({ min: 60, max: 100 }) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('ack') }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('shelve'),
      oneShot: fc.boolean(),
      ms: fc.integer({ min: 1, max: 3000 }),
    }),
  },
  ...['unshelve', 'suppress', 'unsuppress', 'oos', 'ins'].map((kind) => ({
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant(kind) }),
  })),
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('wait'), ms: fc.integer({ min: 1, max: 2000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restart') }) },
);
const historyArb = fc.array(fc.record({ source: fc.constantFrom(...SOURCES), step: stepArb }), {
  maxLength: 60,
});

/** A new engine holding the conditions of `engine` as a restart rebuilds them: from state rows. */
function restart(engine, now) {
  const next = new AlarmEngine(RULES);
  for (const c of engine.allConditions()) {
    const row = stateRow(c);
    const back = conditionFrom({ ...row.tags, ...row.fields, time: row.time }, next, now);
    next.restore(back);
  }
  return next;
}

function run(history) {
  let engine = new AlarmEngine(RULES);
  const models = new Map(SOURCES.map((s) => [s, new Model()]));
  let now = 1764028800000;
  for (const { source, step } of history) {
    now += step.kind === 'wait' ? step.ms : 1;
    const model = models.get(source);
    const shownBefore = model.shown();
    let events = [];
    let refused = false;
    if (step.kind === 'restart') {
      engine = restart(engine, now);
      continue;
    }
    const expectRefused = model.step(step, now);
    if (step.kind === 'read') {
      events = engine.reading({ source, time: now, fields: { value: step.value } }).events;
    } else if (step.kind === 'wait') {
      events = engine.tick(now);
      for (const [s, m] of models) if (s !== source) m.step(step, now);
    } else {
      const action =
        step.kind === 'shelve'
          ? { action: 'shelve', untilMs: step.oneShot ? null : now + step.ms, oneShot: step.oneShot }
          : ACTIONS[step.kind];
      const r = engine.act({ rule: 'pt', source }, action, { operator: 'op', comment: null }, now);
      events = r.events;
      refused = r.refused.length > 0;
      assert.equal(refused, expectRefused, `refusal of ${step.kind} on ${source} in ${shownBefore}`);
    }
    for (const [s, m] of models) {
      const c = engine.conditionOf(`pt\u0000${s}\u0000level`);
      const shown = c ? c.state : 'normal';
      assert.equal(shown, m.shown(), `${s} after ${JSON.stringify(step)} on ${source}`);
      if (c) assert.equal(c.active !== null, m.active, `${s} active`);
    }
    // every change of what the operator is shown is on record, in order
    const mine = events.filter((e) => e.source === source);
    if (model.shown() !== shownBefore) {
      assert.ok(mine.length > 0, `no event for ${shownBefore} -> ${model.shown()}`);
      assert.equal(mine.at(-1).state, model.shown());
      assert.equal(mine[0].previous, shownBefore);
    }
    for (let i = 1; i < mine.length; i++) assert.equal(mine[i].previous, mine[i - 1].state);
  }
}

describe('alarm state machine against a reference model', () => {
  it('agrees on every state, refusal and event for random histories with restarts', () => {
    fc.assert(
      fc.property(historyArb, (history) => run(history)),
      { numRuns: 400 },
    );
  });

  it('a restart in an active, acknowledged state raises nothing for the same reading', () => {
    run([
      { source: 'PT-1', step: { kind: 'read', value: 90 } },
      { source: 'PT-1', step: { kind: 'ack' } },
      { source: 'PT-1', step: { kind: 'restart' } },
      { source: 'PT-1', step: { kind: 'read', value: 90 } },
      { source: 'PT-1', step: { kind: 'ack' } },
    ]);
  });
});
