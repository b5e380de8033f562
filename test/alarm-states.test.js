// Every transition of the ISA-18.2 state diagram, and the process-side features (deadband, delays,
// rate of change, deviation, stale data, quality, discrete, latching, suppression by design), as a
// table: a rule, the steps (see support/alarm-drive.js) and the events they must give. Add a row to add
// a case.
const assert = require('node:assert/strict');
const { drive, brief } = require('./support/alarm-drive');

const HIGH = {
  id: 'pt',
  match: 'PT-*',
  limits: { h: { value: 80, priority: 600 }, hh: { value: 95, priority: 900 } },
};
const LOW = { id: 'lt', match: 'PT-*', limits: { l: 20, ll: 10 } };
const with_ = (extra) => ({ ...HIGH, ...extra });

const CASES = [
  // A -> B -> C -> A: alarm, acknowledge, return to normal
  ['normal to unack active', HIGH, ['v 50', 'v 81'], ['alarm:unack_active:h']],
  ['unack active to ack active', HIGH, ['v 81', 'ack'], ['alarm:unack_active:h', 'ack:ack_active:h']],
  [
    'ack active to normal',
    HIGH,
    ['v 81', 'ack', 'v 50'],
    ['alarm:unack_active:h', 'ack:ack_active:h', 'return:normal'],
  ],
  // B -> D -> A: return before the acknowledgement
  ['unack active to rtn unack', HIGH, ['v 81', 'v 50'], ['alarm:unack_active:h', 'return:rtn_unack']],
  [
    'rtn unack to normal by ack',
    HIGH,
    ['v 81', 'v 50', 'ack'],
    ['alarm:unack_active:h', 'return:rtn_unack', 'ack:normal'],
  ],
  [
    'rtn unack to unack active again',
    HIGH,
    ['v 81', 'v 50', 'v 82'],
    ['alarm:unack_active:h', 'return:rtn_unack', 'alarm:unack_active:h'],
  ],
  // levels: escalation re-annunciates, de-escalation does not
  [
    'h to hh escalates',
    HIGH,
    ['v 81', 'ack', 'v 96'],
    ['alarm:unack_active:h', 'ack:ack_active:h', 'alarm:unack_active:hh'],
  ],
  [
    'hh to h stays acknowledged',
    HIGH,
    ['v 96', 'ack', 'v 85'],
    ['alarm:unack_active:hh', 'ack:ack_active:hh', 'level:ack_active:h'],
  ],
  ['straight to hh', HIGH, ['v 99'], ['alarm:unack_active:hh']],
  [
    'low side',
    LOW,
    ['v 15', 'v 5', 'v 50'],
    ['alarm:unack_active:l', 'alarm:unack_active:ll', 'return:rtn_unack'],
  ],
  ['nothing to ack is refused', HIGH, ['v 50', 'ack'], [], 1],
  [
    'ack twice: the second is refused',
    HIGH,
    ['v 81', 'ack', 'ack'],
    ['alarm:unack_active:h', 'ack:ack_active:h'],
    1,
  ],
  // deadband
  [
    'absolute deadband holds',
    with_({ deadband: 2 }),
    ['v 81', 'v 79', 'v 77.9'],
    ['alarm:unack_active:h', 'return:rtn_unack'],
  ],
  [
    'percent deadband holds',
    with_({ deadband: '5%' }),
    ['v 81', 'v 77', 'v 75.9'],
    ['alarm:unack_active:h', 'return:rtn_unack'],
  ],
  [
    'deadband of hh falls back to h',
    with_({ deadband: 2 }),
    ['v 96', 'v 94', 'v 92'],
    ['alarm:unack_active:hh', 'level:unack_active:h'],
  ],
  // delays (fake clock)
  [
    'on-delay: a short spike is no alarm',
    with_({ onDelay: 1000 }),
    ['v 81', 'wait 500', 'v 50', 'wait 2000'],
    [],
  ],
  [
    'on-delay: held long enough',
    with_({ onDelay: 1000 }),
    ['v 81', 'wait 500', 'v 82', 'wait 600'],
    ['alarm:unack_active:h'],
  ],
  [
    'off-delay: a short dip keeps it',
    with_({ offDelay: 1000 }),
    ['v 81', 'v 50', 'wait 500', 'v 81', 'wait 2000'],
    ['alarm:unack_active:h'],
  ],
  [
    'off-delay: returned long enough',
    with_({ offDelay: 1000 }),
    ['v 81', 'v 50', 'wait 1200'],
    ['alarm:unack_active:h', 'return:rtn_unack'],
  ],
  // latching
  [
    'latched: stays until reset',
    with_({ latch: true }),
    ['v 81', 'v 50', 'ack'],
    ['alarm:unack_active:h', 'reset:normal'],
  ],
  [
    'latched: ack, return, reset',
    with_({ latch: true }),
    ['v 81', 'ack', 'v 50', 'ack'],
    ['alarm:unack_active:h', 'ack:ack_active:h', 'reset:normal'],
  ],
  // shelving: timed, one-shot, by hand; expiry restores the state
  ['shelve hides an alarm', HIGH, ['v 81', 'shelve 60000'], ['alarm:unack_active:h', 'shelve:shelved:h']],
  [
    'unshelve with the same alarm: unack again',
    HIGH,
    ['v 81', 'shelve 60000', 'unshelve'],
    ['alarm:unack_active:h', 'shelve:shelved:h', 'unshelve:unack_active:h'],
  ],
  [
    'unshelve keeps an acknowledgement',
    HIGH,
    ['v 81', 'ack', 'shelve 60000', 'unshelve'],
    ['alarm:unack_active:h', 'ack:ack_active:h', 'shelve:shelved:h', 'unshelve:ack_active:h'],
  ],
  [
    'shelve expiry restores',
    HIGH,
    ['v 81', 'ack', 'shelve 1000', 'wait 1500'],
    ['alarm:unack_active:h', 'ack:ack_active:h', 'shelve:shelved:h', 'unshelve:ack_active:h'],
  ],
  [
    'returned while shelved: normal after',
    HIGH,
    ['v 81', 'shelve 1000', 'v 50', 'wait 1500'],
    ['alarm:unack_active:h', 'shelve:shelved:h', 'return:shelved', 'unshelve:normal'],
  ],
  [
    'alarm while shelved: annunciated after',
    HIGH,
    ['shelve 1000', 'v 81', 'wait 1500'],
    ['shelve:shelved', 'alarm:shelved:h', 'unshelve:unack_active:h'],
  ],
  [
    'one-shot shelve ends on return',
    HIGH,
    ['v 81', 'shelve once', 'v 50', 'v 81'],
    ['alarm:unack_active:h', 'shelve:shelved:h', 'unshelve:normal', 'alarm:unack_active:h'],
  ],
  [
    'ack while shelved is refused',
    HIGH,
    ['v 81', 'shelve 60000', 'ack'],
    ['alarm:unack_active:h', 'shelve:shelved:h'],
    1,
  ],
  ['unshelve of a plain alarm is refused', HIGH, ['v 81', 'unshelve'], ['alarm:unack_active:h'], 1],
  // suppression (by an operator and by design) and out of service
  [
    'suppress and unsuppress',
    HIGH,
    ['v 81', 'suppress', 'v 50', 'unsuppress'],
    ['alarm:unack_active:h', 'suppress:suppressed:h', 'return:suppressed', 'unsuppress:normal'],
  ],
  [
    'out of service wins over shelved',
    HIGH,
    ['v 81', 'shelve 60000', 'oos', 'unshelve', 'ins'],
    [
      'alarm:unack_active:h',
      'shelve:shelved:h',
      'out_of_service:out_of_service:h',
      'unshelve:out_of_service:h',
      'in_service:unack_active:h',
    ],
  ],
  ['shelve out of service is refused', HIGH, ['oos', 'shelve 1000'], ['out_of_service:out_of_service'], 1],
  [
    'suppressed by design',
    with_({ suppressWhen: { field: 'running', equals: false } }),
    ['f running=false', 'v 81', 'f running=true'],
    ['suppress:suppressed', 'alarm:suppressed:h', 'unsuppress:unack_active:h'],
  ],
  // the other condition kinds
  [
    'rate of change',
    { id: 'roc', rateOfChange: { limit: 5 } },
    ['v 10', 'wait 1000', 'v 11', 'wait 1000', 'v 30', 'wait 1000', 'v 31'],
    ['alarm:unack_active:active', 'return:rtn_unack'],
  ],
  [
    'deviation from a number',
    { id: 'dev', deviation: { setpoint: 50, limit: 5 } },
    ['v 52', 'v 56', 'v 50'],
    ['alarm:unack_active:active', 'return:rtn_unack'],
  ],
  [
    'stale data',
    { id: 'st', stale: { after: '10s' } },
    ['v 1', 'wait 5000', 'v 2', 'wait 9000', 'wait 2000', 'v 3'],
    ['alarm:unack_active:active', 'return:rtn_unack'],
  ],
  [
    'bad quality',
    { id: 'q', limits: { h: 80 }, quality: { field: 'quality', good: ['good'] } },
    ['f quality=good', 'f quality=bad', 'f quality=good'],
    ['alarm:unack_active:active', 'return:rtn_unack'],
  ],
  [
    'discrete state',
    { id: 'd', discrete: { values: [true, 'OPEN'] } },
    ['f value=false', 'f value=OPEN', 'f value=CLOSED'],
    ['alarm:unack_active:active', 'return:rtn_unack'],
  ],
];

describe('alarm states (ISA-18.2 table)', () => {
  for (const [name, rule, steps, expected, refusals = 0] of CASES) {
    it(name, () => {
      const { events, refused } = drive([rule], steps);
      assert.deepEqual(brief(events), expected);
      assert.equal(refused.length, refusals, `refusals: ${refused.join(' | ')}`);
    });
  }

  it('a bad value from one source leaves other rules and sources working', () => {
    const { engine } = drive([HIGH, { id: 'd', match: 'PT-*', discrete: { values: ['OPEN'] } }], []);
    const r = engine.reading({ source: 'PT-1', time: 1, fields: { value: 'OPEN' } });
    assert.deepEqual(brief(r.events), ['alarm:unack_active:active']);
    assert.equal(r.problems.length, 1);
    assert.match(r.problems[0], /Rule "pt", source "PT-1": field "value" is "OPEN", not a number/);
    assert.deepEqual(brief(engine.reading({ source: 'PT-2', time: 2, fields: { value: 90 } }).events), [
      'alarm:unack_active:h',
    ]);
  });

  it('matches rules by table and by glob over the source', () => {
    const rules = [
      { id: 'any', match: 'H2S-*', limits: { h: 10 } },
      { id: 'plant', table: 'plant', match: 'H2S-?1', limits: { h: 20 } },
    ];
    const { engine } = drive(rules, []);
    const at = (table, source) =>
      engine.reading({ table, source, time: 5, fields: { value: 25 } }).events.map((e) => e.rule);
    assert.deepEqual(at('plant', 'H2S-A1'), ['any', 'plant']);
    assert.deepEqual(at('other', 'H2S-B1'), ['any']);
    assert.deepEqual(at(null, 'H2S-C1'), ['any']);
    assert.deepEqual(at('plant', 'H2S-A2'), ['any']);
    assert.deepEqual(at('plant', 'PT-1'), []);
  });

  it('counts active and unacknowledged alarms by priority band', () => {
    const { engine, now } = drive(
      [HIGH],
      ['v 99', '@PT-2 v 85', '@PT-2 ack', '@PT-3 v 81', '@PT-3 shelve 60000'],
    );
    const n = engine.counts(now);
    assert.equal(n.active, 2);
    assert.equal(n.unacked, 1);
    assert.deepEqual(n.byPriority, { urgent: 1, high: 1, medium: 0, low: 0 });
    assert.equal(n.shelved, 1);
  });

  it('repeats an unacknowledged alarm on the notification output, quiet while shelved', () => {
    const { engine, now } = drive([HIGH], ['v 99', '@PT-2 v 99', '@PT-2 shelve 600000']);
    assert.deepEqual(
      engine.dueNotifications(now + 500, 1000).map((c) => c.source),
      [],
    );
    assert.deepEqual(
      engine.dueNotifications(now + 1500, 1000).map((c) => c.source),
      ['PT-1'],
    );
    assert.deepEqual(
      engine.dueNotifications(now + 2000, 1000).map((c) => c.source),
      [],
    );
    assert.deepEqual(
      engine.dueNotifications(now + 2600, 1000).map((c) => c.source),
      ['PT-1'],
    );
  });

  it('keeps the priority of an alarm that returned unacknowledged', () => {
    const { engine, events, now } = drive([HIGH], ['v 99', 'v 50']);
    assert.deepEqual(
      events.map((e) => `${e.event}:${e.priority}`),
      ['alarm:900', 'return:900'],
    );
    assert.deepEqual(engine.counts(now).byPriority, { urgent: 1, high: 0, medium: 0, low: 0 });
  });

  it('counts an alarm active for more than 24 h as a stale alarm', () => {
    const { engine, now } = drive([HIGH], ['v 81', 'ack', 'wait 86400000']);
    // active since the first step (now - 86400001 ms)
    assert.equal(engine.counts(now - 1).staleAlarms, 0);
    assert.equal(engine.counts(now).staleAlarms, 1);
    assert.equal(engine.counts(now).active, 1);
  });

  it('tells when the next timer is due', () => {
    const { engine, now } = drive([with_({ onDelay: 1000 })], ['v 81']);
    assert.equal(engine.nextDeadline(), now + 1000);
  });
});
