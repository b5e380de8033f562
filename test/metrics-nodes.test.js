// The sync and alarm metrics (issue #17) in a real Node-RED: an edge helios-sync whose HTTP hub is
// switched off at first, then deployed; a helios-alarm driven by inject nodes through the admin API.
// Each step scrapes /helios/metrics, parses it with the strict text-format parser
// (test/support/prom-text.js) and checks that the values moved as the sync and the alarms worked.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { prepareUserDir, startNodeRed } = require('../scripts/node-red-runner');
const { tempDir } = require('./helpers');
const { parsePrometheusText, sampleValue } = require('./support/prom-text');
const { freePort } = require('./support/mosquitto');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ROWS = 50;
const EDGE = { db_id: 'db-edge', db: 'edge', node_id: 'sync-edge', node: 'to the hub' };
const HUB = { db_id: 'db-hub', db: 'hub', node_id: 'sync-hub', node: 'hub' };
const ALARM = { db_id: 'db-edge', db: 'edge', node_id: 'alarm', node: 'pressure alarms' };

function flows(hubPort) {
  const inject = (id, props) => ({
    id,
    z: 'f1',
    type: 'inject',
    props: props.map(([p, v, vt]) => ({ p, v, vt })),
    repeat: '',
    once: false,
    wires: [['alarm']],
  });
  return [
    { id: 'f1', type: 'tab', label: 'metrics' },
    {
      id: 'db-edge',
      type: 'helios-db',
      name: 'edge',
      dir: 'edge',
      configFile: 'helios.toml',
      durability: 'batch',
    },
    { id: 'db-hub', type: 'helios-db', name: 'hub', dir: 'hub', durability: 'batch' },
    {
      id: 'sync-edge',
      z: 'f1',
      type: 'helios-sync',
      name: 'to the hub',
      db: 'db-edge',
      role: 'edge',
      endpoint: `http://127.0.0.1:${hubPort}/helios/sync`,
      deviceId: 'truck-7',
      tables: 'line',
      intervalSecs: 1,
      retryBackoffSecs: 1,
      wires: [[], []],
    },
    // switched off until the test deploys it: the edge first sees no hub
    {
      id: 'sync-hub',
      z: 'f1',
      type: 'helios-sync',
      name: 'hub',
      db: 'db-hub',
      role: 'hub',
      listenPort: hubPort,
      d: true,
      wires: [[], []],
    },
    {
      id: 'alarm',
      z: 'f1',
      type: 'helios-alarm',
      name: 'pressure alarms',
      db: 'db-edge',
      rules: [{ id: 'pressure', match: 'PT-*', limits: { h: { value: 80, priority: 600 } } }],
      repeatSeconds: 0,
      wires: [[], []],
    },
    inject('high', [
      ['topic', 'PT-1', 'str'],
      ['payload', '90', 'num'],
    ]),
    inject('ack', [
      ['action', 'ack', 'str'],
      ['source', 'PT-1', 'str'],
    ]),
    inject('normal', [
      ['topic', 'PT-1', 'str'],
      ['payload', '10', 'num'],
    ]),
  ];
}

describe('sync and alarm metrics (real Node-RED)', function () {
  this.timeout(90000);
  let runtime;
  let origin;

  async function scrape() {
    const res = await fetch(`${origin}/helios/metrics`);
    assert.equal(res.status, 200);
    return parsePrometheusText(await res.text());
  }
  /** the value of `name` with `labels`, or undefined when the sample is absent */
  function value(families, name, labels) {
    try {
      return sampleValue(families, name, labels);
    } catch (err) {
      if (/: 0 samples$/.test(err.message)) return undefined;
      throw err;
    }
  }
  /** scrapes until `check(families)` holds; returns those families */
  async function until(what, check, timeoutMs = 30000) {
    const end = Date.now() + timeoutMs;
    let families;
    while (Date.now() < end) {
      families = await scrape();
      if (check(families)) return families;
      await sleep(200);
    }
    throw new Error(`timed out waiting for ${what}`);
  }
  async function admin(method, route, body, headers = {}) {
    const res = await fetch(`${origin}${route}`, {
      method,
      headers: { 'Content-Type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    assert.ok(res.status < 300, `${method} ${route}: ${res.status} ${await res.clone().text()}`);
    return res.headers.get('content-type')?.includes('json') ? res.json() : res.text();
  }

  before(async () => {
    const userDir = tempDir('helios-metrics-nodes-');
    fs.writeFileSync(path.join(userDir, 'helios.toml'), '[monitoring]\nmetrics_enabled = true\n');
    prepareUserDir(userDir, { flows: flows(await freePort()) });
    runtime = await startNodeRed(userDir);
    origin = new URL(runtime.url).origin;
    // [monitoring] takes effect when the edge database opens: 404 until then
    for (let i = 0; i < 150 && (await fetch(`${origin}/helios/metrics`)).status === 404; i++)
      await sleep(100);
    await until('the edge database open', (f) => value(f, 'helios_database_up', { db_id: 'db-edge' }) === 1);
  });
  after(async () => {
    await runtime?.stop();
  });

  it('sync: the edge counts nothing sent while there is no hub, then rows, bytes and batches once it acks them', async () => {
    const values = Array.from({ length: ROWS }, (_, i) => `(${1764000000000 + i * 1000}, ${i}.5)`).join(', ');
    await admin('POST', '/helios/databases/db-edge/query', {
      sql: `INSERT INTO line (time, v) VALUES ${values}`,
    });

    // the edge tries its hub every second and fails: the link is down, nothing is counted as sent
    const before = await until(
      'a failed send',
      (f) => value(f, 'helios_sync_consecutive_failures', EDGE) >= 1,
    );
    assert.equal(before.get('helios_sync_sent_rows_total').type, 'counter');
    assert.equal(sampleValue(before, 'helios_sync_link_up', { ...EDGE, role: 'edge' }), 0);
    assert.equal(sampleValue(before, 'helios_sync_sent_rows_total', EDGE), 0);
    assert.equal(sampleValue(before, 'helios_sync_sent_bytes_total', EDGE), 0);
    assert.equal(sampleValue(before, 'helios_sync_acked_batches_total', EDGE), 0);
    assert.equal(value(before, 'helios_sync_last_ack_age_seconds', EDGE), undefined, 'no ack yet: no age');
    assert.equal(value(before, 'helios_sync_link_up', { ...HUB, role: 'hub' }), undefined, 'the hub is off');
    const backlog = sampleValue(before, 'helios_sync_backlog_rows', EDGE);
    assert.ok(backlog >= 0 && backlog <= ROWS, `backlog ${backlog} is never more than is there`);

    // deploy the hub (only the changed node starts)
    const current = await admin('GET', '/flows', undefined, { 'Node-RED-API-Version': 'v2' });
    const hub = current.flows.find((n) => n.id === 'sync-hub');
    delete hub.d;
    await admin(
      'POST',
      '/flows',
      { flows: current.flows, rev: current.rev },
      {
        'Node-RED-API-Version': 'v2',
        'Node-RED-Deployment-Type': 'nodes',
      },
    );

    const after = await until(
      'the rows acknowledged',
      (f) =>
        value(f, 'helios_sync_sent_rows_total', EDGE) === ROWS &&
        value(f, 'helios_sync_backlog_rows', EDGE) === 0,
    );
    assert.equal(sampleValue(after, 'helios_sync_link_up', { ...EDGE, role: 'edge' }), 1);
    assert.ok(sampleValue(after, 'helios_sync_acked_batches_total', EDGE) >= 1);
    assert.ok(sampleValue(after, 'helios_sync_sent_bytes_total', EDGE) > 0);
    assert.equal(sampleValue(after, 'helios_sync_backlog_bytes', EDGE), 0);
    assert.equal(sampleValue(after, 'helios_sync_consecutive_failures', EDGE), 0);
    assert.equal(sampleValue(after, 'helios_sync_quarantined_batches', EDGE), 0);
    assert.equal(sampleValue(after, 'helios_sync_lost_rows_total', EDGE), 0);
    const age = sampleValue(after, 'helios_sync_last_ack_age_seconds', EDGE);
    assert.ok(age >= 0 && age < 60, `last ack ${age} s ago`);
    assert.equal(sampleValue(after, 'helios_sync_link_up', { ...HUB, role: 'hub' }), 1);
    assert.equal(sampleValue(after, 'helios_sync_applied_rows_total', HUB), ROWS);
    assert.equal(
      sampleValue(after, 'helios_sync_applied_batches_total', HUB),
      sampleValue(after, 'helios_sync_acked_batches_total', EDGE),
    );
    assert.equal(sampleValue(after, 'helios_sync_devices', HUB), 1);

    // the age grows while nothing new is acknowledged
    await sleep(1500);
    const later = await scrape();
    assert.ok(sampleValue(later, 'helios_sync_last_ack_age_seconds', EDGE) > age);
  });

  it('alarms: active, unacknowledged, by priority, transitions and the journal follow an alarm, its ack and its return', async () => {
    const start = await scrape();
    assert.equal(sampleValue(start, 'helios_alarms_active', ALARM), 0);
    assert.equal(sampleValue(start, 'helios_alarms_by_priority', { ...ALARM, priority: 'high' }), 0);
    assert.equal(value(start, 'helios_alarm_transitions_total', { ...ALARM, event: 'alarm' }), undefined);
    const journalBefore = value(start, 'helios_alarm_journal_rows', { db_id: 'db-edge' }) ?? 0;

    await admin('POST', '/inject/high');
    const raised = await until(
      'the alarm',
      (f) => value(f, 'helios_alarm_transitions_total', { ...ALARM, event: 'alarm' }) === 1,
    );
    assert.equal(sampleValue(raised, 'helios_alarms_active', ALARM), 1);
    assert.equal(sampleValue(raised, 'helios_alarms_unacked', ALARM), 1);
    assert.equal(sampleValue(raised, 'helios_alarms_by_priority', { ...ALARM, priority: 'high' }), 1);
    assert.equal(sampleValue(raised, 'helios_alarms_by_priority', { ...ALARM, priority: 'urgent' }), 0);
    assert.equal(sampleValue(raised, 'helios_alarms_hidden', { ...ALARM, reason: 'shelved' }), 0);
    assert.equal(sampleValue(raised, 'helios_alarms_flood', ALARM), 0);
    await until(
      'the journal row',
      (f) => value(f, 'helios_alarm_journal_rows', { db_id: 'db-edge' }) === journalBefore + 1,
    );

    await admin('POST', '/inject/ack');
    const acked = await until(
      'the ack',
      (f) => value(f, 'helios_alarm_transitions_total', { ...ALARM, event: 'ack' }) === 1,
    );
    assert.equal(sampleValue(acked, 'helios_alarms_active', ALARM), 1);
    assert.equal(sampleValue(acked, 'helios_alarms_unacked', ALARM), 0);

    await admin('POST', '/inject/normal');
    const back = await until(
      'the return',
      (f) => value(f, 'helios_alarm_transitions_total', { ...ALARM, event: 'return' }) === 1,
    );
    assert.equal(sampleValue(back, 'helios_alarms_active', ALARM), 0);
    assert.equal(sampleValue(back, 'helios_alarms_by_priority', { ...ALARM, priority: 'high' }), 0);
    assert.equal(sampleValue(back, 'helios_alarm_transitions_total', { ...ALARM, event: 'alarm' }), 1);
    assert.equal(back.get('helios_alarm_transitions_total').type, 'counter');
    await until(
      'three journal rows',
      (f) => value(f, 'helios_alarm_journal_rows', { db_id: 'db-edge' }) === journalBefore + 3,
    );
  });
});
