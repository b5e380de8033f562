// helios-query in node-red-node-test-helper. The node's own behaviour (where SQL and parameters come
// from, output modes, row limit, errors) runs against a recorded db.query; the block at the end
// runs real SQL through the engine.
const assert = require('node:assert');
const { helper, allNodes, flowWith, nextMessage, messages, openDb, tempDir } = require('./support');

function queryFlow(queryConfig = {}) {
  return flowWith(tempDir(), [
    { id: 'n-query', type: 'helios-query', db: 'n-db', wires: [['n-out']], ...queryConfig },
    { id: 'n-out', type: 'helper' },
  ]);
}

const RESULT = {
  columns: [
    { name: 'time', type: 'timestamp' },
    { name: 'sensor_id', type: 'string' },
    { name: 'temp', type: 'float' },
  ],
  rows: [
    [1764000000000, 'S-1', 20.5],
    [1764000060000, 'S-1', 21],
    [1764000000000, 'S-2', 18.25],
  ],
  stats: { ms: 0.8, partitions: 1, chunks: 2, rowsScanned: 3 },
};

/** Replaces db.query with a recorder that answers `result` (or throws `error`). */
async function recordQueries(result = RESULT, error = null) {
  const db = await openDb();
  const calls = [];
  db.query = async (sql, params, options) => {
    calls.push({ sql, params, options });
    if (error) throw error;
    return result;
  };
  return calls;
}

function errorOf(id) {
  return new Promise((resolve) =>
    helper.getNode(id).on('call:error', (call) => resolve(String(call.args[0]))),
  );
}

describe('helios-query node', () => {
  afterEach(async () => {
    await helper.unload();
  });

  it('runs the SQL of the node with msg.params (array) and the row limit; all rows in msg.payload', async () => {
    await helper.load(allNodes, queryFlow({ sql: 'SELECT * FROM t WHERE sensor_id = ?', maxRows: 1000 }));
    const calls = await recordQueries();
    const got = nextMessage('n-out');
    helper.getNode('n-query').receive({ topic: 'ignored', params: ['S-1'], keep: 1 });
    const msg = await got;
    assert.deepStrictEqual(calls, [
      {
        sql: 'SELECT * FROM t WHERE sensor_id = ?',
        params: ['S-1'],
        options: { maxRows: 1000, strictParams: true, timeoutMs: 30000, signal: calls[0]?.options.signal },
      },
    ]);
    assert.strictEqual(msg.keep, 1);
    assert.deepStrictEqual(msg.payload[2], { time: 1764000000000, sensor_id: 'S-2', temp: 18.25 });
    assert.deepStrictEqual(msg.columns, RESULT.columns);
    assert.deepStrictEqual(msg.stats, RESULT.stats);
    assert.deepStrictEqual(helper.getNode('n-query').status.lastCall.args[0], {
      fill: 'green',
      shape: 'dot',
      text: '3 rows · 1 ms',
    });
  });

  it('takes the SQL from msg.topic when the node has none; named parameters from an object', async () => {
    await helper.load(allNodes, queryFlow());
    const calls = await recordQueries();
    const got = nextMessage('n-out');
    helper
      .getNode('n-query')
      .receive({ topic: 'SELECT * FROM t WHERE sensor_id = $s', params: { s: 'S-2' } });
    await got;
    assert.deepStrictEqual(calls[0].sql, 'SELECT * FROM t WHERE sensor_id = $s');
    assert.deepStrictEqual(calls[0].params, { s: 'S-2' });
    assert.deepStrictEqual(
      calls[0].options,
      { maxRows: 50000, strictParams: true, timeoutMs: 30000, signal: calls[0].options.signal },
      'the default row and time limits',
    );
    assert.ok(calls[0].options.signal instanceof AbortSignal);
  });

  it('parameters in msg.payload (as node-red-node-sqlite takes them) when msg.params is absent and the SQL has placeholders', async () => {
    await helper.load(allNodes, queryFlow({ sql: '' }));
    const calls = await recordQueries();
    const run = async (msg) => {
      const got = nextMessage('n-out');
      helper.getNode('n-query').receive(msg);
      await got;
      return calls.at(-1).params;
    };
    assert.deepStrictEqual(
      await run({ topic: 'SELECT * FROM t WHERE s = ? AND v > ?', payload: ['S-1', 2] }),
      ['S-1', 2],
    );
    assert.deepStrictEqual(await run({ topic: 'SELECT * FROM t WHERE s = $s', payload: { s: 'S-2' } }), {
      s: 'S-2',
    });
    assert.deepStrictEqual(await run({ topic: 'SELECT * FROM t WHERE s = :s', payload: { s: 'S-3' } }), {
      s: 'S-3',
    });
    assert.deepStrictEqual(
      await run({ topic: 'SELECT * FROM t WHERE s = ?', payload: ['ignored'], params: ['wins'] }),
      ['wins'],
      'msg.params wins',
    );
    assert.deepStrictEqual(
      await run({ topic: "SELECT '?' AS q, x::text -- $c ?\nFROM t", payload: ['no'] }),
      [],
    );
    assert.deepStrictEqual(await run({ topic: 'SELECT * FROM t WHERE s = ?', payload: 1764000000000 }), []);
  });

  it('output modes: one message per row, first row, single value, ISO times', async () => {
    await helper.load(allNodes, [
      ...queryFlow({ sql: 'SELECT 1', output: 'each', timeFormat: 'iso' }),
      {
        id: 'n-first',
        z: 'f1',
        type: 'helios-query',
        db: 'n-db',
        sql: 'SELECT 1',
        output: 'first',
        wires: [['n-out2']],
      },
      {
        id: 'n-value',
        z: 'f1',
        type: 'helios-query',
        db: 'n-db',
        sql: 'SELECT 1',
        output: 'value',
        wires: [['n-out3']],
      },
      { id: 'n-out2', z: 'f1', type: 'helper' },
      { id: 'n-out3', z: 'f1', type: 'helper' },
    ]);
    await recordQueries();
    const each = messages('n-out', 3);
    const first = nextMessage('n-out2');
    const value = nextMessage('n-out3');
    for (const id of ['n-query', 'n-first', 'n-value']) helper.getNode(id).receive({ payload: 'go' });
    const rows = await each;
    assert.deepStrictEqual(
      rows.map((m) => [m.payload.time, m.payload.sensor_id, m.parts.index, m.parts.count]),
      [
        ['2025-11-24T16:00:00.000Z', 'S-1', 0, 3],
        ['2025-11-24T16:01:00.000Z', 'S-1', 1, 3],
        ['2025-11-24T16:00:00.000Z', 'S-2', 2, 3],
      ],
    );
    assert.deepStrictEqual((await first).payload, { time: 1764000000000, sensor_id: 'S-1', temp: 20.5 });
    assert.strictEqual((await value).payload, 1764000000000);
  });

  it('chart output: a clearing message, then one message per series for ui-chart', async () => {
    await helper.load(allNodes, queryFlow({ sql: 'SELECT 1', output: 'chart' }));
    await recordQueries();
    const got = messages('n-out', 3);
    helper.getNode('n-query').receive({ payload: 'go' });
    const [clear, s1, s2] = await got;
    assert.deepStrictEqual(clear.payload, []);
    assert.deepStrictEqual(
      [s1.topic, s1.payload],
      [
        'S-1',
        [
          { x: 1764000000000, y: 20.5 },
          { x: 1764000060000, y: 21 },
        ],
      ],
    );
    assert.deepStrictEqual([s2.topic, s2.payload], ['S-2', [{ x: 1764000000000, y: 18.25 }]]);
  });

  it('a SQL error goes to done(err) with its line, column and caret, and turns the status red', async () => {
    await helper.load(allNodes, queryFlow({ sql: 'SELEC 1' }));
    const sqlError = Object.assign(
      new Error('Expected SELECT, found "SELEC" at line 1, column 1\nSELEC 1\n^'),
      {
        code: 'HELIOS_SQL',
      },
    );
    await recordQueries(RESULT, sqlError);
    const errored = errorOf('n-query');
    helper.getNode('n-query').receive({ payload: 'go' });
    const err = await errored;
    assert.match(err, /line 1, column 1\nSELEC 1\n\^/);
    const status = helper.getNode('n-query').status.lastCall.args[0];
    assert.strictEqual(status.fill, 'red');
    assert.match(status.text, /^Expected SELECT/);
  });

  it('no SQL anywhere, bad msg.params, no database: sentences through done(err)', async () => {
    await helper.load(allNodes, [
      ...queryFlow(),
      { id: 'n-nodb', z: 'f1', type: 'helios-query', sql: 'SELECT 1', wires: [] },
    ]);
    await recordQueries();
    let errored = errorOf('n-query');
    helper.getNode('n-query').receive({ payload: 1 });
    assert.match(await errored, /has no SQL: write it in the node, or send it in msg\.topic/);
    errored = errorOf('n-query');
    helper.getNode('n-query').receive({ topic: 'SELECT ?', params: 5 });
    assert.match(await errored, /msg\.params must be an array or an object/);
    errored = errorOf('n-nodb');
    helper.getNode('n-nodb').receive({ payload: 1 });
    assert.match(await errored, /no helios-db database configured/);
  });

  it('refuses a result past the row limit with an error that says what to do', async () => {
    await helper.load(allNodes, queryFlow({ sql: 'SELECT *', maxRows: 2 }));
    await recordQueries();
    const errored = errorOf('n-query');
    helper.getNode('n-query').receive({ payload: 1 });
    assert.match(await errored, /more than 2 rows, the node's row limit\. Narrow it/);
  });

  it('one message per row of a big result: sent in slices that yield, every row with msg.parts', async () => {
    const n = 20_000;
    const rows = [];
    for (let i = 0; i < n; i++) rows.push([1764000000000 + i, 'S-1', i]);
    await helper.load(allNodes, queryFlow({ sql: 'SELECT *', output: 'each', maxRows: 0 }));
    await recordQueries({ ...RESULT, rows });
    let last = performance.now();
    let longest = 0;
    const probe = setInterval(() => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
    }, 1);
    const got = messages('n-out', n);
    helper.getNode('n-query').receive({ _msgid: 'm1' });
    const out = await got;
    longest = Math.max(longest, performance.now() - last);
    clearInterval(probe);
    assert.strictEqual(out.length, n);
    assert.deepStrictEqual(out[n - 1].parts, { id: 'm1-rows', index: n - 1, count: n });
    assert.deepStrictEqual(out[123].payload, { time: 1764000000123, sensor_id: 'S-1', temp: 123 });
    assert.ok(longest < 500, `Node-RED held for ${Math.round(longest)} ms at most`);
  });

  describe('with the SQL engine', () => {
    async function seeded(queryConfig) {
      await helper.load(allNodes, queryFlow(queryConfig));
      const db = await openDb();
      const readings = [];
      for (let i = 0; i < 120; i++) {
        readings.push({
          time: 1764000000000 + i * 60000,
          tags: { sensor_id: i % 2 ? 'S-2' : 'S-1' },
          fields: { temp: 20 + (i % 7) },
        });
      }
      await db.write('env', readings);
    }

    it('answers a parameterised aggregate', async () => {
      await seeded({ sql: 'SELECT count(*) AS n FROM env WHERE sensor_id = ?', output: 'value' });
      const got = nextMessage('n-out');
      helper.getNode('n-query').receive({ params: ['S-1'] });
      assert.strictEqual(Number((await got).payload), 60);
    });

    it('reports a syntax error with line, column and caret', async () => {
      await seeded({ sql: 'SELECT temp\nFROM env WHERE' });
      const errored = errorOf('n-query');
      helper.getNode('n-query').receive({ payload: 1 });
      const err = await errored;
      assert.match(err, /line 2, column \d+/);
      assert.match(err, /\^/);
    });

    it("Row limit 0 is none: more rows than the engine's own cap of 100,000 come back", async function () {
      this.timeout(60000);
      await seeded({ sql: 'SELECT time, v FROM big', maxRows: 0 });
      const db = await openDb();
      const n = 100_050;
      for (let start = 0; start < n; start += 25_000) {
        const batch = [];
        for (let i = start; i < Math.min(n, start + 25_000); i++) {
          batch.push({ time: 1764000000000 + i, tags: {}, fields: { v: i } });
        }
        await db.write('big', batch);
      }
      const got = nextMessage('n-out');
      helper.getNode('n-query').receive({ payload: 1 });
      const msg = await got;
      assert.strictEqual(msg.payload.length, n);
      assert.deepStrictEqual(msg.payload[n - 1], { time: 1764000000000 + n - 1, v: n - 1 });
    });

    it('stops at the row limit', async () => {
      await seeded({ sql: 'SELECT * FROM env', maxRows: 10 });
      const errored = errorOf('n-query');
      helper.getNode('n-query').receive({ payload: 1 });
      assert.match(await errored, /10/);
    });

    it('refuses more values in msg.params than the SQL has placeholders, with a sentence', async () => {
      await seeded({ sql: 'SELECT count(*) AS n FROM env WHERE sensor_id = ?' });
      const errored = errorOf('n-query');
      helper.getNode('n-query').receive({ params: ['S-1', 1] });
      assert.match(await errored, /has 1 placeholder .*but 2 parameters were given/);
    });

    it('says what an INSERT stored: msg.changes and msg.lastInsertRowid; every row of a burst kept', async () => {
      await seeded({ sql: "INSERT INTO events (source, level) VALUES ('door', 'warn'), ('pump', 'alarm')" });
      const got = messages('n-out', 2);
      helper.getNode('n-query').receive({ payload: 1 });
      helper.getNode('n-query').receive({ payload: 2 });
      const [first, second] = await got;
      assert.deepStrictEqual([first.changes, first.lastInsertRowid], [2, 2]);
      assert.deepStrictEqual([second.changes, second.lastInsertRowid], [2, 4]);
      const db = await openDb();
      assert.strictEqual((await db.query('SELECT count(*) AS n FROM events')).rows[0].n, 4);
    });

    it('chart series from time_bucket', async () => {
      await seeded({
        sql: "SELECT time_bucket('10m', time) AS time, sensor_id, avg(temp) AS temp FROM env GROUP BY 1, 2 ORDER BY 2, 1",
        output: 'chart',
        chartClear: false,
      });
      const got = messages('n-out', 2);
      helper.getNode('n-query').receive({ payload: 1 });
      const series = await got;
      assert.deepStrictEqual(
        series.map((m) => [m.topic, m.payload.length]),
        [
          ['S-1', 12],
          ['S-2', 12],
        ],
      );
    });
  });
});
