// Unit tests of the node controllers in nodes/lib: message normalising, config upgrades, the TOML
// file, query output shaping.
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { normaliseMessage, isSinglePair } = require('../../dist/nodes/lib/readings');
const { upgradeConfig, CURRENT_VERSION } = require('../../dist/nodes/lib/migrate');
const { interpretToml, parseTomlText, expandVariables } = require('../../dist/nodes/lib/toml-config');
const { buildOutput, chartSeries } = require('../../dist/nodes/lib/query-output');
const { storeRules } = require('../../dist/nodes/lib/node-config');

const rules = storeRules({ id: 'x', tagProps: 'sensor_id, line' });
const NOW = 1764000000000;

describe('nodes/lib readings: every input shape', () => {
  const one = (msg, r = rules) => normaliseMessage(r, msg, NOW);

  it('a number with msg.topic: the topic is a tag, the value a field, time now', () => {
    const n = one({ topic: 'kitchen/temp', payload: 21.5 });
    assert.deepStrictEqual(n.invalid, []);
    assert.deepStrictEqual(n.readings, [
      {
        table: 'readings',
        index: 0,
        reading: { time: NOW, tags: { topic: 'kitchen/temp' }, fields: { value: 21.5 } },
      },
    ]);
  });

  it('a numeric string (as MQTT delivers it) and a boolean are values', () => {
    assert.deepStrictEqual(one({ topic: 't', payload: ' 7.25 ' }).readings[0].reading.fields, {
      value: 7.25,
    });
    assert.deepStrictEqual(one({ topic: 't', payload: true }).readings[0].reading.fields, { value: true });
  });

  it('configured table, topic tag and value field', () => {
    const r = storeRules({ id: 'x', table: 'boiler', topicTag: 'sensor', valueField: 'temp' });
    const n = one({ topic: 'B1', payload: 80, measurement: 'ignored' }, r);
    assert.deepStrictEqual(n.readings[0], {
      table: 'boiler',
      index: 0,
      reading: { time: NOW, tags: { sensor: 'B1' }, fields: { temp: 80 } },
    });
  });

  it('an object of fields: tag properties, a tags object and msg.tags become tags; time from payload', () => {
    const n = one({
      tags: { site: 'north', line: 'overridden' },
      payload: {
        temperature: 20.5,
        humidity: 40,
        sensor_id: 'S-1',
        line: 'L2',
        time: '2025-11-24T16:00:00Z',
        tags: { zone: 'A' },
      },
    });
    assert.deepStrictEqual(n.readings[0].reading, {
      time: '2025-11-24T16:00:00Z',
      tags: { site: 'north', line: 'L2', zone: 'A', sensor_id: 'S-1' },
      fields: { temperature: 20.5, humidity: 40 },
    });
  });

  it('time sources: payload.time, payload.timestamp, msg.timestamp, seconds by option, Date', () => {
    assert.strictEqual(
      one({ payload: { v: 1, timestamp: 1700000000123 } }).readings[0].reading.time,
      1700000000123,
    );
    assert.strictEqual(
      one({ timestamp: '1700000000000', payload: { v: 1 } }).readings[0].reading.time,
      1700000000000,
    );
    const secs = storeRules({ id: 'x', timeUnit: 's' });
    assert.strictEqual(
      one({ timestamp: 1700000000.5, payload: 3 }, secs).readings[0].reading.time,
      1700000000500,
    );
    const d = new Date(1700000000000);
    assert.strictEqual(one({ timestamp: d, payload: 3 }).readings[0].reading.time, d);
    // the reading's own time wins over msg.timestamp
    assert.strictEqual(one({ timestamp: 5, payload: { v: 1, time: 9 } }).readings[0].reading.time, 9);
  });

  it('influx shape { measurement, tags, fields, timestamp }: measurement names the table', () => {
    const n = one({
      payload: [
        { measurement: 'power', tags: { meter: 'M1' }, fields: { kw: 3.2 }, timestamp: new Date(NOW - 1000) },
        { measurement: 'water', tags: { meter: 'W1' }, fields: { l: 10 } },
      ],
    });
    assert.deepStrictEqual(
      n.readings.map((r) => [r.table, r.index, r.reading.tags, r.reading.fields]),
      [
        ['power', 0, { meter: 'M1' }, { kw: 3.2 }],
        ['water', 1, { meter: 'W1' }, { l: 10 }],
      ],
    );
    assert.strictEqual(n.readings[1].reading.time, NOW);
  });

  it('influx [fields, tags] pair, and an array of pairs', () => {
    const single = one({ measurement: 'env', payload: [{ t: 20, time: 1000 }, { room: 'kitchen' }] });
    assert.deepStrictEqual(single.readings, [
      { table: 'env', index: 0, reading: { time: 1000, tags: { room: 'kitchen' }, fields: { t: 20 } } },
    ]);
    const many = one({
      payload: [
        [{ t: 20 }, { room: 'a' }],
        [{ t: 21 }, { room: 'b' }],
      ],
    });
    assert.deepStrictEqual(
      many.readings.map((r) => [r.reading.tags.room, r.reading.fields.t]),
      [
        ['a', 20],
        ['b', 21],
      ],
    );
  });

  it('tells a [fields, tags] pair from a batch of two readings', () => {
    assert.strictEqual(isSinglePair([{ t: 1 }, { room: 'a' }]), true);
    assert.strictEqual(isSinglePair([{ t: 1 }, { t: 2 }]), false);
    assert.strictEqual(isSinglePair([{ fields: { t: 1 } }, { room: 'a' }]), false);
    assert.strictEqual(isSinglePair([{ t: 1 }, { room: 'a' }, { room: 'b' }]), false);
  });

  it('an array of numbers and objects is one batch in payload order', () => {
    const n = one({ topic: 's', payload: [1, { value: 2, time: 5 }, '3'] });
    assert.deepStrictEqual(
      n.readings.map((r) => [r.index, r.reading.fields.value]),
      [
        [0, 1],
        [1, 2],
        [2, 3],
      ],
    );
  });

  it('names what is wrong with an item, by its place in msg.payload', () => {
    const n = one({ payload: [1, 'abc', null, { v: 1, time: 'yesterday' }] });
    assert.deepStrictEqual(
      n.invalid.map((i) => i.index),
      [1, 2, 3],
    );
    assert.match(n.invalid[0].message, /^msg\.payload\[1\] is string "abc"/);
    assert.match(n.invalid[1].message, /^msg\.payload\[2\] is null/);
    assert.match(n.invalid[2].message, /^msg\.payload\[3\] has time "yesterday"/);
    assert.strictEqual(n.readings.length, 1);
    assert.match(one({ payload: [] }).invalid[0].message, /empty array/);
    assert.match(one({ tags: 'x', payload: 1 }).invalid[0].message, /msg\.tags/);
  });
});

describe('nodes/lib migrate: versioned node configurations', () => {
  const fixtures = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'configs-v0.json'), 'utf8'));
  for (const type of Object.keys(CURRENT_VERSION)) {
    it(`upgrades a version-0 ${type} to the current version`, () => {
      const { input, expected } = fixtures[type];
      const before = JSON.stringify(input);
      assert.deepStrictEqual(upgradeConfig(type, input), expected);
      assert.strictEqual(JSON.stringify(input), before, 'input left untouched');
    });
    it(`leaves a current ${type} config as it is`, () => {
      const current = { ...fixtures[type].expected };
      assert.deepStrictEqual(upgradeConfig(type, current), current);
    });
  }
  it('refuses a configuration from a newer release with a sentence', () => {
    assert.throws(
      () => upgradeConfig('helios-store', { version: 99 }),
      /newer version .* Update the package/,
    );
  });
});

describe('nodes/lib toml-config', () => {
  const seed = `
[database]
path = "\${HELIOS_TEST_DIR}/db"
memory_limit_mb = 48
enable_wal = true
cache_mb = 16

[storage]
max_db_size_mb = 2048
compaction_interval_hours = 6

[time_series]
default_retention_days = 30
downsample_after_hours = 48
downsample_interval = "5m"
partition_duration = "6h"
colour = "blue"

[sync]
endpoint = "mqtts://hub.example:8883"
device = "\${DEVICE:-gw-0}"

[extras]
x = 1
`;
  // biome-ignore lint/suspicious/noTemplateCurlyInString: ${VAR} is the TOML syntax under test
  it('maps the seed configuration, with ${VAR} from the environment', () => {
    const s = interpretToml(parseTomlText(seed, 'helios.toml'), 'helios.toml', { HELIOS_TEST_DIR: '/srv' });
    assert.strictEqual(s.path, '/srv/db');
    assert.strictEqual(s.memoryLimitMB, 48);
    assert.strictEqual(s.durability, undefined);
    assert.strictEqual(s.partitionDuration, '6h');
    assert.deepStrictEqual(s.policies, {
      '[storage] max_db_size_mb': 2048,
      '[time_series] default_retention_days': 30,
      '[time_series] downsample_after_hours': 48,
      '[time_series] downsample_interval': '5m',
    });
    assert.deepStrictEqual(s.sync, { endpoint: 'mqtts://hub.example:8883', device: 'gw-0' });
    assert.strictEqual(s.cacheMB, 16);
    assert.deepStrictEqual(s.ignored, ['[storage] compaction_interval_hours']);
    assert.deepStrictEqual(s.warnings, [
      'Unknown key [time_series] colour is ignored.',
      'Unknown section [extras] is ignored.',
    ]);
  });

  it('enable_wal = false means durability none; numbers may come from variables', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: ${VAR} is the TOML syntax under test
    const doc = parseTomlText('[database]\nenable_wal = false\nmemory_limit_mb = "${MEM}"\n', 'f.toml');
    const s = interpretToml(doc, 'f.toml', { MEM: '24' });
    assert.strictEqual(s.durability, 'none');
    assert.strictEqual(s.memoryLimitMB, 24);
  });

  it('a syntax error names the file, line and column', () => {
    assert.throws(
      () => parseTomlText('[database]\npath = "a"\nmemory_limit_mb = = 3\n', '/etc/helios.toml'),
      (err) => {
        assert.match(err.message, /^\/etc\/helios\.toml, line 3, column 19: invalid TOML/);
        return true;
      },
    );
  });

  it('an unset variable and a wrong type are errors naming the key', () => {
    assert.throws(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: ${VAR} is the TOML syntax under test
      () => expandVariables('${NOPE_X}/a', {}, '[database] path'),
      /\[database\] path uses \$\{NOPE_X\}.*not set/,
    );
    const doc = parseTomlText('[database]\nmemory_limit_mb = "lots"\n', 'f.toml');
    assert.throws(
      () => interpretToml(doc, 'f.toml', {}),
      /f\.toml: \[database\] memory_limit_mb must be a positive number/,
    );
  });
});

describe('nodes/lib query-output', () => {
  const result = {
    columns: [
      { name: 'time', type: 'timestamp' },
      { name: 'sensor_id', type: 'string' },
      { name: 'avg_t', type: 'float' },
      { name: 'n', type: 'int' },
    ],
    rows: [
      [1000, 'S-1', 20.5, 3n],
      [1000, 'S-2', 19, 2n],
      [2000, 'S-1', 21, 1n],
    ],
    stats: { ms: 1.5, partitions: 1, chunks: 2, rowsScanned: 6 },
  };
  const opts = (mode, extra = {}) => ({ mode, timeFormat: 'ms', chartClear: false, ...extra });
  const msg = { _msgid: 'm1', topic: 'keep', other: 42 };

  it('rows: objects by column name, bigint made a number, msg.columns and msg.stats', () => {
    const [out] = buildOutput(msg, result, opts('rows'));
    assert.deepStrictEqual(out.payload[0], { time: 1000, sensor_id: 'S-1', avg_t: 20.5, n: 3 });
    assert.strictEqual(out.payload.length, 3);
    assert.strictEqual(out.other, 42);
    assert.deepStrictEqual(out.columns, result.columns);
    assert.deepStrictEqual(out.stats, result.stats);
  });

  it('rows as objects are accepted too; ISO times by option', () => {
    const objs = { ...result, rows: [{ time: 1000, sensor_id: 'S-1', avg_t: 1, n: 1 }] };
    const [out] = buildOutput(msg, objs, opts('rows', { timeFormat: 'iso' }));
    assert.strictEqual(out.payload[0].time, '1970-01-01T00:00:01.000Z');
  });

  it('each: one message per row with msg.parts; first; value', () => {
    const each = buildOutput(msg, result, opts('each'));
    assert.strictEqual(each.length, 3);
    assert.deepStrictEqual(each[2].parts, { id: 'm1-rows', index: 2, count: 3 });
    assert.deepStrictEqual(each[1].payload.sensor_id, 'S-2');
    assert.deepStrictEqual(buildOutput(msg, result, opts('first'))[0].payload.avg_t, 20.5);
    assert.strictEqual(buildOutput(msg, result, opts('value'))[0].payload, 1000);
    const empty = { ...result, rows: [] };
    assert.strictEqual(buildOutput(msg, empty, opts('first'))[0].payload, null);
    assert.strictEqual(buildOutput(msg, empty, opts('value'))[0].payload, null);
    assert.deepStrictEqual(buildOutput(msg, empty, opts('each')), []);
  });

  it('chart: one message per series, topic the series, payload {x, y} points in ms', () => {
    const series = chartSeries(result);
    assert.deepStrictEqual(series, [
      {
        topic: 'S-1 avg_t',
        payload: [
          { x: 1000, y: 20.5 },
          { x: 2000, y: 21 },
        ],
      },
      {
        topic: 'S-1 n',
        payload: [
          { x: 1000, y: 3 },
          { x: 2000, y: 1 },
        ],
      },
      { topic: 'S-2 avg_t', payload: [{ x: 1000, y: 19 }] },
      { topic: 'S-2 n', payload: [{ x: 1000, y: 2 }] },
    ]);
    const single = chartSeries({
      columns: [
        { name: 'bucket', type: 'timestamp' },
        { name: 'temperature', type: 'float' },
      ],
      rows: [[60000, 1.5]],
      stats: {},
    });
    assert.deepStrictEqual(single, [{ topic: 'temperature', payload: [{ x: 60000, y: 1.5 }] }]);
    const withClear = buildOutput(msg, result, opts('chart', { chartClear: true, timeFormat: 'iso' }));
    assert.deepStrictEqual(withClear[0].payload, []);
    assert.strictEqual(withClear.length, 5);
    assert.strictEqual(withClear[1].payload[0].x, 1000, 'chart x stays in ms whatever the time format');
  });
});

describe('nodes/lib repeat-limit: the same error once a window', () => {
  const { RepeatLimiter } = require('../../dist/nodes/lib/repeat-limit');

  it('reports the first, counts repeats inside the window, and says how many at the next report', () => {
    const l = new RepeatLimiter(60_000);
    assert.strictEqual(l.admit('disk gone', 0), 'disk gone');
    assert.strictEqual(l.admit('disk gone', 1_000), null);
    assert.strictEqual(l.admit('disk gone', 59_999), null);
    assert.strictEqual(l.pending, 2);
    assert.strictEqual(
      l.admit('disk gone', 60_000),
      'disk gone (the same error 2 more times since it was last reported)',
    );
    assert.strictEqual(l.admit('another', 60_001), 'another', 'a different error is reported at once');
    l.reset();
    assert.strictEqual(l.admit('another', 60_002), 'another', 'after a reset, at once');
  });
});

describe('nodes/lib StoreMeter: the status line rate', () => {
  const { StoreMeter } = require('../../dist/nodes/lib/store-writer');
  const { rate } = require('../../dist/nodes/lib/status');

  it('a sensor every 2 s reads a steady 0.5/s (not 1/s and 0/s in turn); no readings for 30 s read 0', () => {
    const t0 = 1764000000000;
    const meter = new StoreMeter(t0);
    const shown = [];
    for (let s = 1; s <= 90; s++) {
      if (s % 2 === 1 && s <= 60) meter.stored(1);
      shown.push(rate(meter.sampleRate(t0 + s * 1000)));
    }
    assert.deepStrictEqual([...new Set(shown.slice(30, 60))], ['0.5']);
    assert.strictEqual(shown.at(-1), '0');
  });

  it('a burst rate settles to its steady value, and rate() keeps one decimal below 10', () => {
    const t0 = 1764000000000;
    const meter = new StoreMeter(t0);
    let last = 0;
    for (let s = 1; s <= 40; s++) {
      meter.stored(120);
      last = meter.sampleRate(t0 + s * 1000);
    }
    assert.strictEqual(last, 120);
    assert.deepStrictEqual(
      [rate(0.47), rate(2), rate(9.5), rate(12.4), rate(45200)],
      ['0.5', '2', '9.5', '12', '45.2k'],
    );
  });
});
