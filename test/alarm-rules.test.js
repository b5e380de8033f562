// Alarm rules: what checkRules accepts, and the sentence it gives for each kind of mistake.
const assert = require('node:assert/strict');
const { AlarmRuleError, checkRules } = require('../dist/engine');

/** The problems checkRules lists for `rules` (it must refuse them). */
function problems(rules) {
  try {
    checkRules(rules);
  } catch (err) {
    assert.ok(err instanceof AlarmRuleError, `not an AlarmRuleError: ${err.stack}`);
    assert.equal(err.code, 'HELIOS_BAD_ALARM_RULE');
    return err.problems;
  }
  assert.fail('the rules were accepted');
}

const BAD = [
  ['not a list', { id: 'x' }, /must be a list/],
  ['no id', [{ limits: { h: 1 } }], /Rule 1: has no "id"/],
  [
    'a limit that is not a number',
    [{ id: 'p', limits: { h: 'eighty' } }],
    /Rule "p": the h limit "eighty" is not a number/,
  ],
  [
    'high below low',
    [{ id: 'p', limits: { h: 10, l: 20 } }],
    /the h limit \(10\) must be above the l limit \(20\)/,
  ],
  [
    'hh below h',
    [{ id: 'p', limits: { h: 90, hh: 80 } }],
    /the hh limit \(80\) must be above the h limit \(90\)/,
  ],
  [
    'll above l',
    [{ id: 'p', limits: { l: 10, ll: 15 } }],
    /the ll limit \(15\) must be below the l limit \(10\)/,
  ],
  [
    'an unknown setting, with a suggestion',
    [{ id: 'p', limits: { h: 1 }, ondelay: '5s' }],
    /unknown setting "ondelay"; did you mean "onDelay"\?/,
  ],
  [
    'an unknown limit',
    [{ id: 'p', limits: { hhh: 1 } }],
    /unknown limit "hhh"; the limits are hh, h, l and ll/,
  ],
  [
    'priority out of range',
    [{ id: 'p', limits: { h: { value: 1, priority: 5000 } } }],
    /priority 5000 must be a whole number from 1 \(lowest\) to 1000/,
  ],
  [
    'a bad deadband',
    [{ id: 'p', limits: { h: 1 }, deadband: 'lots' }],
    /deadband "lots" must be a number of at least 0 or a percentage/,
  ],
  ['a bad delay', [{ id: 'p', limits: { h: 1 }, onDelay: 'soon' }], /"onDelay" "soon" is not a duration/],
  ['a rule that raises nothing', [{ id: 'p' }], /raises nothing/],
  [
    'duplicate ids',
    [
      { id: 'p', limits: { h: 1 } },
      { id: 'p', limits: { h: 2 } },
    ],
    /Two rules have the id "p"/,
  ],
  ['stale without a period', [{ id: 'p', stale: {} }], /"stale.after" must be a duration above 0/],
  [
    'quality without good values',
    [{ id: 'p', quality: { field: 'q' } }],
    /"quality.good" must list the good values/,
  ],
  [
    'discrete without values',
    [{ id: 'p', discrete: { values: [] } }],
    /"discrete.values" must list the values/,
  ],
  ['a rule that is not an object', ['PT-1 > 80'], /Rule 1 is not an object/],
];

describe('alarm rules', () => {
  for (const [name, rules, pattern] of BAD) {
    it(`refuses ${name} with a sentence`, () => {
      const list = problems(rules);
      assert.ok(
        list.some((p) => pattern.test(p)),
        list.join('\n'),
      );
      for (const p of list) assert.match(p, /[.?]$/, `not a sentence: ${p}`);
    });
  }

  it('lists every problem of a rule set at once', () => {
    const list = problems([
      { id: 'a', limits: { h: 'x' } },
      { id: 'b', limits: { h: 1, l: 5 } },
    ]);
    assert.equal(list.length, 2);
    assert.match(list[0], /Rule "a"/);
    assert.match(list[1], /Rule "b"/);
  });

  it('accepts a full rule and fills the defaults', () => {
    const [rule] = checkRules([
      {
        id: 'PT high',
        table: 'plant',
        match: 'PRESSURE-*',
        limits: { hh: { value: 95, priority: 900, deadband: 1 }, h: 80, l: { value: 10 }, ll: 5 },
        deadband: '2%',
        onDelay: '2s',
        offDelay: 500,
        rateOfChange: { limit: 3 },
        stale: { after: '30s', priority: 300 },
      },
    ]);
    assert.equal(rule.table, 'plant');
    assert.deepEqual(
      rule.highs.map((l) => [l.level, l.value, l.priority, l.deadband]),
      [
        ['hh', 95, 900, 1],
        ['h', 80, 500, 1.6],
      ],
    );
    assert.deepEqual(
      rule.lows.map((l) => l.level),
      ['ll', 'l'],
    );
    assert.equal(rule.onDelayMs, 2000);
    assert.equal(rule.offDelayMs, 500);
    assert.deepEqual(rule.kinds, ['level', 'roc', 'stale']);
    assert.ok(rule.matcher.test('PRESSURE-7') && !rule.matcher.test('XPRESSURE-7'));
  });

  it('takes a glob literally apart from * and ?', () => {
    const [rule] = checkRules([{ id: 'x', match: 'a.b(1)?', limits: { h: 1 } }]);
    assert.ok(rule.matcher.test('a.b(1)7'));
    assert.ok(!rule.matcher.test('axb(1)7'));
  });
});
