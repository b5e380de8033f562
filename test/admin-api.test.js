// The admin API behind the sidebar (issue #17), in node-red-node-test-helper's runtime (no adminAuth:
// test/admin-auth.test.js covers the permissions in a real Node-RED): databases and their figures,
// the SQL console's pages, caps and error carets, downloads, the panel registry and live updates.
const assert = require('node:assert/strict');
const { helper, allNodes, flowWith, openDb, tempDir } = require('./nodes/support');
const { panels } = require('../dist/nodes/lib/admin/panels.js');
const { CONSOLE_MAX_ROWS, PAGE_ROWS } = require('../dist/nodes/lib/admin/console-query.js');

const T0 = 1764000000000;

async function loadWithRows(rows) {
  const dir = tempDir('helios-admin-');
  await helper.load(
    allNodes,
    flowWith(dir, [{ id: 'q', type: 'helios-query', db: 'n-db', sql: 'SELECT 1' }]),
  );
  const db = await openDb();
  const readings = [];
  for (let i = 0; i < rows; i++) {
    readings.push({
      time: T0 + i * 1000,
      tags: { sensor: `s${i % 2}` },
      fields: { value: i, label: `r${i}` },
    });
  }
  if (rows > 0) await db.write('plant', readings);
  return db;
}

const post = (path, body) => helper.request().post(path).send(body).set('Content-Type', 'application/json');

describe('admin API (sidebar)', function () {
  this.timeout(30000);
  afterEach(async () => {
    await helper.unload();
  });

  it('lists each helios-db with its tables, rows, series, bytes, time range, WAL and cache', async () => {
    const db = await loadWithRows(300);
    await db.flush();
    const writtenFrom = Date.now();
    await db.write('plant', [
      { time: T0 + 999000, tags: { sensor: 's0' }, fields: { value: 1, label: 'x' } },
    ]);
    const writtenBy = Date.now();
    const res = await helper.request().get('/helios/databases').expect(200);
    const [view] = res.body.databases;
    assert.equal(view.id, 'n-db');
    assert.equal(view.label, 'test db');
    assert.equal(view.state, 'open');
    const plant = view.tables.find((t) => t.name === 'plant');
    assert.equal(plant.rows, 301);
    assert.equal(plant.series, 2);
    assert.ok(plant.bytes > 0);
    assert.equal(plant.bytesPerRow, plant.bytes / 301);
    assert.equal(plant.minTime, T0);
    assert.equal(plant.maxTime, T0 + 999000);
    assert.ok(
      plant.lastWriteAt >= writtenFrom && plant.lastWriteAt <= writtenBy,
      `last write ${plant.lastWriteAt} within [${writtenFrom}, ${writtenBy}]`,
    );
    assert.deepEqual(plant.tags, ['sensor']);
    assert.deepEqual(plant.fields, [
      { name: 'value', type: 'float' },
      { name: 'label', type: 'string' },
    ]);
    assert.equal(view.headRows, 1);
    assert.ok(view.walBytes > 0);
    assert.ok(view.cacheMaxBytes > 0);
    const one = await helper.request().get('/helios/databases/n-db').expect(200);
    assert.equal(one.body.tables.length, 1);
    const missing = await helper.request().get('/helios/databases/nope').expect(404);
    assert.match(missing.body.message, /no helios-db node nope/);
  });

  it('console: pages of at most PAGE_ROWS rows, the total, and the plot series of a time column', async () => {
    await loadWithRows(250);
    const sql = 'SELECT time, value FROM plant ORDER BY time';
    const first = await post('/helios/databases/n-db/query', { sql, offset: 0, limit: 1000 }).expect(200);
    assert.equal(first.body.total, 250);
    assert.equal(first.body.rows.length, PAGE_ROWS, 'the page size is capped');
    assert.deepEqual(first.body.rows[0], { time: T0, value: 0 });
    assert.deepEqual(first.body.plot.times.slice(0, 2), [T0, T0 + 1000]);
    assert.equal(first.body.plot.series.value.length, 250);
    const last = await post('/helios/databases/n-db/query', { sql, offset: 200, limit: 100 }).expect(200);
    assert.equal(last.body.rows.length, 50);
    assert.deepEqual(last.body.rows[0], { time: T0 + 200000, value: 200 });
    assert.equal(last.body.plot, null, 'the plot comes with the first page only');
    const text = await post('/helios/databases/n-db/query', {
      sql: 'SELECT label FROM plant LIMIT 1',
    }).expect(200);
    assert.equal(text.body.plot, null, 'no time column, no plot');
  });

  it('console: a careless SELECT * over more than the cap is refused with a sentence, not run to the end', async () => {
    const db = await loadWithRows(0);
    const rows = [];
    for (let i = 0; i < CONSOLE_MAX_ROWS + 10; i++) rows.push({ time: T0 + i, fields: { v: i } });
    await db.write('big', rows);
    const res = await post('/helios/databases/n-db/query', { sql: 'SELECT * FROM big' }).expect(400);
    assert.match(res.body.message, new RegExp(`${CONSOLE_MAX_ROWS}`));
    assert.equal(res.body.offset, null);
  });

  it('console: a SQL mistake comes back with its offset, line and column (the caret)', async () => {
    await loadWithRows(10);
    const sql = 'SELECT time,\n  valeu FROM plant';
    const res = await post('/helios/databases/n-db/query', { sql }).expect(400);
    assert.equal(res.body.code, 'HELIOS_SQL_BIND');
    assert.equal(res.body.offset, sql.indexOf('valeu'));
    assert.equal(res.body.line, 2);
    assert.equal(res.body.column, 3);
    assert.match(res.body.message, /Did you mean "value"\?/);
    const bad = await post('/helios/databases/n-db/query', { nope: 1 }).expect(400);
    assert.match(bad.body.message, /needs "sql"/);
  });

  it('downloads a result as CSV and JSON, and a table time range as CSV and JSON lines', async () => {
    await loadWithRows(20);
    const csv = await post('/helios/databases/n-db/download', {
      sql: 'SELECT time, sensor, value FROM plant ORDER BY time LIMIT 3',
      format: 'csv',
    }).expect(200);
    assert.match(csv.headers['content-disposition'], /attachment; filename="result.csv"/);
    assert.equal(csv.text, `time,sensor,value\n${T0},s0,0\n${T0 + 1000},s1,1\n${T0 + 2000},s0,2\n`);
    const json = await post('/helios/databases/n-db/download', {
      sql: 'SELECT value FROM plant LIMIT 2',
      format: 'json',
    });
    assert.equal(json.status, 200);
    assert.equal(JSON.parse(json.text).length, 2);
    const range = await helper
      .request()
      .get(`/helios/databases/n-db/tables/plant/export?format=csv&from=${T0 + 5000}&to=${T0 + 8000}`)
      .expect(200);
    const lines = range.text.trim().split('\n');
    assert.equal(lines[0], 'time,sensor,value,label');
    assert.equal(lines.length, 1 + 4, 'both ends inclusive');
    const jl = await helper
      .request()
      .get(`/helios/databases/n-db/tables/plant/export?format=jsonl&to=${T0}`)
      .expect(200);
    assert.deepEqual(JSON.parse(jl.text.trim()), {
      time: T0,
      tags: { sensor: 's0' },
      fields: { value: 0, label: 'r0' },
    });
    const none = await helper.request().get('/helios/databases/n-db/tables/nope/export').expect(400);
    assert.match(none.body.message, /no table "nope"/);
  });

  it('vocabulary: the engine keywords and functions for completion', async () => {
    await loadWithRows(0);
    const res = await helper.request().get('/helios/vocabulary').expect(200);
    for (const k of ['SELECT', 'FROM', 'WHERE', 'GROUP', 'INTERVAL'])
      assert.ok(res.body.keywords.includes(k), k);
    for (const f of ['time_bucket', 'avg', 'count', 'now']) assert.ok(res.body.functions.includes(f), f);
  });

  it('panels: a registered source is read and its actions run; unknown ones are 404', async () => {
    await loadWithRows(0);
    const acked = [];
    const handle = panels.register({
      id: 'test-alarms',
      read: () => ({ active: [{ id: 'a1', priority: 1 }], acked }),
      actions: {
        ack: async (body) => {
          acked.push(body.id);
          return { acked: body.id };
        },
      },
    });
    try {
      const list = await helper.request().get('/helios/databases').expect(200);
      assert.ok(list.body.panels.includes('test-alarms'));
      const state = await helper.request().get('/helios/panels/test-alarms').expect(200);
      assert.deepEqual(state.body.active, [{ id: 'a1', priority: 1 }]);
      const done = await post('/helios/panels/test-alarms/ack', { id: 'a1' }).expect(200);
      assert.deepEqual(done.body, { ok: true, result: { acked: 'a1' } });
      assert.deepEqual(acked, ['a1']);
      await post('/helios/panels/test-alarms/shelve', {}).expect(404);
    } finally {
      handle.remove();
    }
    await helper.request().get('/helios/panels/test-alarms').expect(404);
  });
});
