// Shared by the alarm tests: a small script language for driving one AlarmEngine with a fake
// clock, so a case of the state diagram is one line of data.
const { AlarmEngine, checkRules } = require('../../dist/engine');

const T0 = 1764028800000; // 2025-11-25T00:00:00Z

/**
 * Runs `steps` against a fresh engine over `rules` (inputs, checked here). Steps (strings):
 *   'v 81'            a reading of field value 81 from the source (default 'PT-1')
 *   'f quality=bad'   a reading of one named field (numbers and true/false are parsed)
 *   'wait 500'        the clock moves 500 ms on and the engine ticks
 *   'ack', 'unshelve', 'suppress', 'unsuppress', 'oos', 'ins'   operator actions
 *   'shelve 60000'    a timed shelve; 'shelve once' a one-shot shelve
 *   '@PT-2 v 81'      a step for another source
 * Each step advances the clock by 1 ms first. Returns { engine, events, refused, now }.
 */
function drive(rules, steps, options = {}) {
  const engine = new AlarmEngine(checkRules(rules), options);
  let now = T0;
  const events = [];
  const refused = [];
  for (const step of steps) {
    now += 1;
    let source = 'PT-1';
    let text = step;
    const at = /^@(\S+)\s+(.*)$/.exec(step);
    if (at) {
      source = at[1];
      text = at[2];
    }
    const [verb, arg] = text.split(/\s+/, 2);
    const who = { operator: 'op', comment: null };
    const act = (action) => {
      const r = engine.act({ rule: rules.length === 1 ? rules[0].id : '*', source }, action, who, now);
      events.push(...r.events);
      refused.push(...r.refused);
    };
    switch (verb) {
      case 'v':
        events.push(...engine.reading({ source, time: now, fields: { value: Number(arg) } }).events);
        break;
      case 'f': {
        const [name, raw] = arg.split('=');
        const value =
          raw === 'true' ? true : raw === 'false' ? false : Number.isNaN(Number(raw)) ? raw : Number(raw);
        events.push(...engine.reading({ source, time: now, fields: { [name]: value } }).events);
        break;
      }
      case 'wait':
        now += Number(arg) - 1;
        events.push(...engine.tick(now));
        break;
      case 'ack':
        act({ action: 'ack' });
        break;
      case 'shelve':
        act({
          action: 'shelve',
          untilMs: arg === 'once' ? null : now + Number(arg),
          oneShot: arg === 'once',
        });
        break;
      case 'unshelve':
      case 'suppress':
      case 'unsuppress':
        act({ action: verb });
        break;
      case 'oos':
        act({ action: 'out_of_service' });
        break;
      case 'ins':
        act({ action: 'in_service' });
        break;
      default:
        throw new Error(`unknown step "${step}"`);
    }
  }
  return { engine, events, refused, now };
}

/** Events as 'event:state[:level]' strings, the notation the tables use. */
function brief(events) {
  return events.map((e) => `${e.event}:${e.state}${e.level ? `:${e.level}` : ''}`);
}

module.exports = { T0, drive, brief };
