// Prometheus metrics and the health check (issue #17) in a real Node-RED: [monitoring] in the
// helios-db's TOML file, first under httpNode with a bearer token, then on a port of its own with a
// database that cannot open. The exposition text is parsed by a strict text-format parser
// (test/support/prom-text.js), not matched by substrings.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { prepareUserDir, startNodeRed } = require('../scripts/node-red-runner');
const { tempDir } = require('./helpers');
const { parsePrometheusText, sampleValue } = require('./support/prom-text');

function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** A Node-RED with helios-db db1 (TOML `monitoring`) and a query node on it; `extra` more nodes. */
async function startWith(monitoring, extra = []) {
  const userDir = tempDir('helios-metrics-');
  fs.writeFileSync(path.join(userDir, 'helios.toml'), `[monitoring]\n${monitoring}\n`);
  const flows = [
    { id: 'f1', type: 'tab', label: 'metrics' },
    {
      id: 'db1',
      type: 'helios-db',
      name: 'plant',
      dir: 'data1',
      configFile: 'helios.toml',
      durability: 'batch',
    },
    { id: 'q1', z: 'f1', type: 'helios-query', db: 'db1', sql: 'SELECT 1', x: 200, y: 100, wires: [[]] },
    ...extra,
  ];
  prepareUserDir(userDir, { flows });
  const runtime = await startNodeRed(userDir);
  return { runtime, origin: new URL(runtime.url).origin, userDir };
}

async function consoleQuery(origin, sql) {
  const res = await fetch(`${origin}/helios/databases/db1/query`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ sql }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return res.json();
}

/** Waits until the first query node has opened db1 (it opens on the first user). */
async function whenOpen(origin) {
  for (let i = 0; i < 100; i++) {
    const res = await fetch(`${origin}/helios/databases/db1`);
    if (res.status === 200 && (await res.json()).state === 'open') return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('db1 did not open');
}

describe('metrics and health (real Node-RED)', function () {
  this.timeout(60000);

  it('the text parser itself refuses what the format does not allow', () => {
    const ok = '# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 3\nh_count 2\n';
    assert.equal(parsePrometheusText(ok).get('h').samples.length, 4);
    assert.throws(() => parsePrometheusText('x 1\n'), /of no declared family/);
    assert.throws(() => parsePrometheusText('# TYPE x gauge\nx{a="b} 1\n'), /unterminated|not a sample/);
    assert.throws(() => parsePrometheusText('# TYPE x gauge\nx one\n'), /bad value/);
    assert.throws(() => parsePrometheusText(ok.replace('h_count 2', 'h_count 5')), /!= _count/);
    assert.throws(() => parsePrometheusText(ok.replace('le="1"} 1', 'le="1"} 3')), /not cumulative/);
  });

  describe('under httpNode, with a bearer token', () => {
    let node;
    before(async () => {
      process.env.HELIOS_TEST_METRICS_TOKEN = 's3cret-token';
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the TOML file's own ${VAR} expansion
      node = await startWith('metrics_enabled = true\nmetrics_token = "${HELIOS_TEST_METRICS_TOKEN}"', [
        // a sync edge whose hub is not there: its gauges are there all the same
        {
          id: 's1',
          z: 'f1',
          type: 'helios-sync',
          db: 'db1',
          role: 'edge',
          endpoint: 'http://127.0.0.1:9/helios/sync',
          deviceId: 'gw-m',
          intervalSecs: 3600,
          x: 200,
          y: 200,
          wires: [[], []],
        },
      ]);
      await whenOpen(node.origin);
      const values = Array.from({ length: 50 }, (_, i) => `(${1764000000000 + i * 1000}, ${i}.5)`).join(', ');
      await consoleQuery(node.origin, `INSERT INTO line (time, v) VALUES ${values}`);
      for (let i = 0; i < 3; i++) await consoleQuery(node.origin, 'SELECT avg(v) FROM line');
    });
    after(async () => {
      delete process.env.HELIOS_TEST_METRICS_TOKEN;
      await node?.runtime.stop();
    });

    it('refuses a scrape without the token, with a sentence (401)', async () => {
      const res = await fetch(`${node.origin}/helios/metrics`);
      assert.equal(res.status, 401);
      assert.match(await res.text(), /bearer token is required/);
      const wrong = await fetch(`${node.origin}/helios/metrics`, {
        headers: { Authorization: 'Bearer nope' },
      });
      assert.equal(wrong.status, 401);
    });

    it('exposes rows, bytes, readings written, WAL, query latency and event-loop lag, parsed as the format says', async () => {
      const res = await fetch(`${node.origin}/helios/metrics`, {
        headers: { Authorization: 'Bearer s3cret-token' },
      });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type'), /^text\/plain;.*version=0\.0\.4/);
      const families = parsePrometheusText(await res.text());
      const db = { db_id: 'db1', db: 'plant' };
      assert.equal(families.get('helios_table_rows').type, 'gauge');
      assert.equal(sampleValue(families, 'helios_table_rows', { ...db, table: 'line' }), 50);
      assert.equal(sampleValue(families, 'helios_table_series', { ...db, table: 'line' }), 1);
      assert.equal(families.get('helios_readings_written_total').type, 'counter');
      assert.equal(sampleValue(families, 'helios_readings_written_total', db), 50);
      assert.ok(sampleValue(families, 'helios_wal_bytes', db) > 0);
      assert.equal(sampleValue(families, 'helios_head_rows', db), 50);
      assert.equal(sampleValue(families, 'helios_database_up', db), 1);
      assert.equal(families.get('helios_query_duration_seconds').type, 'histogram');
      // the INSERT and three SELECTs went through db.query (the query node's SELECT 1 did not run)
      assert.equal(sampleValue(families, 'helios_query_duration_seconds_count', db), 4);
      assert.ok(families.has('nodejs_eventloop_lag_seconds'), 'event-loop lag');
      assert.ok(families.has('helios_flushes_total') && families.has('helios_compaction_seconds_total'));
      const edge = { ...db, device: 'gw-m' };
      const limit = sampleValue(families, 'helios_sync_max_log_bytes', edge);
      assert.ok(limit >= 64 * 2 ** 20 && limit <= 2 ** 30, `default max_log_bytes ${limit}`);
      assert.ok(sampleValue(families, 'helios_sync_log_bytes', edge) >= 0);
    });

    it('health: 200 when every database is open and writable', async () => {
      const res = await fetch(`${node.origin}/helios/health`);
      assert.equal(res.status, 200);
      const body = await res.json();
      assert.equal(body.status, 'ok');
      assert.deepEqual(
        body.databases.map((d) => [d.id, d.state, d.ok]),
        [['db1', 'open', true]],
      );
    });
  });

  describe('on its own port, with a database that cannot open', () => {
    let node;
    let port;
    before(async () => {
      port = await freePort();
      node = await startWith(`metrics_enabled = true\nmetrics_port = ${port}\nmetrics_host = "127.0.0.1"`, [
        { id: 'db2', type: 'helios-db', name: 'broken', dir: 'flows.json' },
        { id: 'q2', z: 'f1', type: 'helios-query', db: 'db2', sql: 'SELECT 1', x: 200, y: 200, wires: [[]] },
      ]);
      await whenOpen(node.origin);
    });
    after(async () => {
      await node?.runtime.stop();
    });

    it('serves /metrics there (no token needed when none is set), and not under httpNode', async () => {
      let res;
      for (let i = 0; i < 50; i++) {
        res = await fetch(`http://127.0.0.1:${port}/metrics`).catch(() => null);
        if (res) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(res.status, 200);
      const families = parsePrometheusText(await res.text());
      assert.equal(sampleValue(families, 'helios_database_up', { db_id: 'db1', db: 'plant' }), 1);
      assert.equal(sampleValue(families, 'helios_database_up', { db_id: 'db2', db: 'broken' }), 0);
      assert.equal((await fetch(`${node.origin}/helios/metrics`)).status, 404);
    });

    it('health: 503 naming the database that cannot open and why', async () => {
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      assert.equal(res.status, 503);
      const body = await res.json();
      assert.equal(body.status, 'unhealthy');
      const broken = body.databases.find((d) => d.id === 'db2');
      assert.equal(broken.ok, false);
      assert.match(broken.reason, /^cannot be opened: /);
      assert.equal(body.databases.find((d) => d.id === 'db1').ok, true);
    });
  });
});
