// The transports over the real engine (engine/sync through engine/index): edge and hub databases,
// a real Mosquitto on a free loopback port, MQTT 5 / MQTT 3.1.1 / HTTP / HTTPS. Compares the hub's
// rows with the edge's row by row: 0 lost, 0 doubled. Also: the broker SIGKILLed mid-drain and
// restarted, and the JSON-lines / line-protocol POST to a receiver that is not Helios.
const assert = require('node:assert');
const fs = require('node:fs');
const http = require('node:http');
const zlib = require('node:zlib');
const engine = require('../dist/engine/index.js');
const { resolveSyncSettings } = require('../dist/nodes/lib/sync/config.js');
const { edgeLink, hubLink } = require('../dist/nodes/lib/sync/links.js');
const { EdgeSync } = require('../dist/nodes/lib/sync/edge-sync.js');
const { HubSync } = require('../dist/nodes/lib/sync/hub-sync.js');
const { readTls } = require('../dist/nodes/lib/sync/tls.js');
const { tempDir } = require('./helpers');
const { startBroker, freePort } = require('./support/mosquitto');
const { makeCerts } = require('./support/test-certs');

const codec = engine;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, check, timeoutMs = 30000) {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** now, as each test starts (set in beforeEach): the edge's live window is judged by the clock */
let NOW = Date.now();

/** everything written is acknowledged (the engine's backlogRows counts only batches handed out) */
function drained(edge) {
  const s = edge.status();
  return s.ackedLsn >= s.lastLsn && s.inFlight === 0;
}
/** `n` readings over `sensors` sensors, one a second per sensor, ending now */
function readings(n, sensors = 10, offset = 0) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const s = i % sensors;
    out.push({
      time: NOW - (n - i) * 100 + offset,
      tags: { sensor_id: `S${s}` },
      fields: { value: i * 0.5 },
    });
  }
  return out;
}

/** writes `rows` as `writes` separate write batches (each one LSN; the engine never splits one) */
async function writeIn(db, rows, writes) {
  const size = Math.ceil(rows.length / writes);
  for (let i = 0; i < rows.length; i += size) await db.write('sensor', rows.slice(i, i + size));
}

async function assertSameRows(edgeDb, hubDb, table = 'sensor') {
  const key = (r) => `${r.sensor_id}|${r.time}|${r.value}`;
  const edgeRows = await edgeDb.read(table);
  const hubRows = await hubDb.read(table);
  const counts = new Map();
  for (const r of hubRows) counts.set(key(r), (counts.get(key(r)) ?? 0) + 1);
  const doubled = [...counts.values()].filter((n) => n > 1).length;
  const lost = edgeRows.filter((r) => !counts.has(key(r))).length;
  assert.deepStrictEqual(
    { lost, doubled, hubRows: hubRows.length },
    { lost: 0, doubled: 0, hubRows: edgeRows.length },
  );
  assert.ok(
    hubRows.every((r) => r.device_id === 'gw-1'),
    'the hub tags each row with the device',
  );
}

async function rig(t, broker, certs, extra = {}) {
  const common = {
    retry_backoff_secs: 1,
    ack_timeout_secs: 5,
    sync_interval_secs: 0,
    batch_size: 1000,
    ...extra,
  };
  let hubToml;
  let edgeToml;
  if (t.mqtt) {
    hubToml = { role: 'hub', sync_endpoint: broker.url, mqtt_version: t.mqtt, ...common };
    edgeToml = {
      role: 'edge',
      sync_endpoint: broker.url,
      device_id: 'gw-1',
      mqtt_version: t.mqtt,
      ...common,
    };
  } else {
    const port = await freePort();
    const url = `${t.http}://127.0.0.1:${port}/helios/sync`;
    const tls = t.http === 'https' ? { cert_file: certs.cert, key_file: certs.key } : {};
    hubToml = {
      role: 'hub',
      sync_endpoint: url,
      listen_port: port,
      listen_host: '127.0.0.1',
      ...tls,
      ...common,
    };
    edgeToml = {
      role: 'edge',
      sync_endpoint: url,
      device_id: 'gw-1',
      ...(t.http === 'https' ? { ca_file: certs.ca } : {}),
      ...common,
    };
  }
  const hubSettings = resolveSyncSettings({ id: `h${Math.random()}` }, {}, hubToml);
  const edgeSettings = resolveSyncSettings({ id: 'e' }, {}, edgeToml);
  const edgeDb = await engine.open(tempDir('helios-sync-e-'));
  const hubDb = await engine.open(tempDir('helios-sync-h-'));
  // small backfill batches too (the engine's default is 50,000 rows), so a test has many batches
  const edge = await edgeDb.openSyncEdge({
    deviceId: 'gw-1',
    maxBatchRows: edgeSettings.batchSize,
    maxBackfillBatchRows: edgeSettings.batchSize,
  });
  const hub = await hubDb.openSyncHub();
  const hLink = hubLink(hubSettings, await readTls(hubSettings.tls));
  const applied = [];
  const hubSync = new HubSync(hub, hLink, codec, {
    applied: (_device, tables) => applied.push(...tables),
    error() {},
    changed() {},
  });
  let hubUp = false;
  hLink.start(hubSync, { state: (c) => (hubUp = c) });
  await until('the hub link', () => hubUp);
  const eLink = edgeLink(edgeSettings, await readTls(edgeSettings.tls), codec);
  const errors = [];
  const down = [];
  const sync = new EdgeSync(edge, eLink, codec, edgeSettings, {
    down: (m) => down.push(...m),
    error: (e) => errors.push(e),
    changed() {},
  });
  sync.start();
  const close = async () => {
    await sync.stop();
    await eLink.close();
    await hLink.close();
    await edge.close();
    await hub.close();
    await edgeDb.close();
    await hubDb.close();
  };
  return { edgeDb, hubDb, edge, hub, hubSync, sync, eLink, applied, errors, down, close };
}

describe('sync transports over the real engine', function () {
  this.timeout(60000);
  beforeEach(() => {
    NOW = Date.now();
  });

  let broker;
  let certs;
  before(async () => {
    certs = makeCerts();
    broker = await startBroker();
  });
  after(async () => {
    await broker?.close();
    fs.rmSync(certs.dir, { recursive: true, force: true });
  });

  for (const t of [
    { name: 'MQTT 5', mqtt: 5 },
    { name: 'MQTT 3.1.1', mqtt: 4 },
    { name: 'HTTP', http: 'http' },
    { name: 'HTTPS', http: 'https' },
  ]) {
    it(`${t.name}: 20,000 readings of 10 sensors, edge -> hub, 0 lost, 0 doubled`, async () => {
      const r = await rig(t, broker, certs);
      try {
        await writeIn(r.edgeDb, readings(20000), 40);
        r.sync.kick();
        await until('the backlog drained', () => drained(r.edge));
        await assertSameRows(r.edgeDb, r.hubDb);
        assert.strictEqual(
          r.applied.reduce((n, a) => n + a.rows, 0),
          20000,
        );
        assert.deepStrictEqual(r.errors, []);
      } finally {
        await r.close();
      }
    });
  }

  for (const t of [
    { name: 'MQTT 5', mqtt: 5 },
    { name: 'HTTP', http: 'http' },
  ]) {
    it(`${t.name}: downlink messages from the hub reach the edge once, in order, and the hub forgets them`, async () => {
      const r = await rig(t, broker, certs);
      const down = r.down;
      try {
        await r.edgeDb.write('sensor', readings(10));
        r.sync.kick();
        await until('first batch', () => drained(r.edge));
        const hubSync = r.hubSync;
        await hubSync.sendDown('gw-1', { setpoint: 21 });
        await hubSync.sendDown('*', { mode: 'eco' });
        await r.edgeDb.write('sensor', readings(10, 10, 5)); // HTTP edges fetch downlink after a batch
        r.sync.kick();
        await until('two messages', () => down.length >= 2);
        await until('the hub to forget them', () => r.hub.pendingDown('gw-1') === null);
        await sleep(200);
        assert.deepStrictEqual(
          down.map((m) => m.payload),
          [{ setpoint: 21 }, { mode: 'eco' }],
        );
      } finally {
        await r.close();
      }
    });
  }

  it('MQTT: the broker SIGKILLed mid-drain and restarted: 0 lost, 0 doubled', async () => {
    const own = await startBroker();
    const r = await rig({ mqtt: 5 }, own, certs);
    try {
      await writeIn(r.edgeDb, readings(40000), 400);
      r.sync.kick();
      await until('some applied', () => r.applied.length >= 20);
      await own.stop();
      const during = r.applied.reduce((n, a) => n + a.rows, 0);
      await r.edgeDb.write('sensor', readings(2000, 10, 50)); // written while the broker is down
      await sleep(300);
      await own.restart();
      await until('drained', () => drained(r.edge), 45000);
      assert.ok(during < 40000, `the broker went down mid-drain (${during} rows applied before)`);
      await assertSameRows(r.edgeDb, r.hubDb);
    } finally {
      await r.close();
      await own.close();
    }
  });

  it('MQTT: a batch the hub rejects for good is set aside with its reason; the batches after it arrive', async () => {
    const r = await rig({ mqtt: 5 }, broker, certs);
    try {
      await r.hubDb.write('bad', [{ time: 1, tags: { sensor_id: 'x' }, fields: { value: 'text' } }]);
      const key = (x) => `${x.sensor_id}|${x.time}|${x.value}`;
      await r.edgeDb.write('sensor', readings(1000)); // batch 1
      await r.edgeDb.write('bad', [{ time: NOW, tags: { sensor_id: 'x' }, fields: { value: 1.5 } }]);
      const setB = readings(1000, 10, 3);
      await r.edgeDb.write('sensor', setB); // shares batch 2 with the bad row: applied or rejected whole
      r.sync.kick();
      await until('drained', () => drained(r.edge));
      const setC = readings(1000, 10, 7);
      await r.edgeDb.write('sensor', setC); // after the rejected batch
      r.sync.kick();
      await until('drained again', () => drained(r.edge));
      const q = r.edge.quarantined();
      assert.strictEqual(q.length, 1);
      assert.strictEqual(q[0].rows, 1001);
      assert.match(q[0].reason, /Column "value" of table "bad" holds string values/);
      assert.strictEqual(r.errors.length, 1);
      assert.match(r.errors[0].message, /The hub rejected batch 2 \(1001 rows of bad, sensor\) for good/);
      const hub = new Set((await r.hubDb.read('sensor')).map(key));
      const wanted = [...readings(1000), ...setC].map((x) =>
        key({ sensor_id: x.tags.sensor_id, time: x.time, value: x.fields.value }),
      );
      assert.strictEqual(hub.size, 2000);
      assert.ok(
        wanted.every((k) => hub.has(k)),
        'batches 1 and 3 at the hub',
      );
      assert.strictEqual((await r.hubDb.read('bad')).length, 1);
    } finally {
      await r.close();
    }
  });

  it('MQTT: a batch lost on the way is answered with a gap by the hub and sent again', async () => {
    const r = await rig({ mqtt: 5 }, broker, certs);
    try {
      const link = r.eLink;
      const send = link.send.bind(link);
      let dropped = 0;
      link.send = (batch) => {
        if (batch.meta.seq === 3 && dropped === 0) {
          dropped++;
          return new Promise((_res, reject) => setTimeout(() => reject(new Error('lost')), 5000));
        }
        return send(batch);
      };
      await writeIn(r.edgeDb, readings(5000), 50);
      r.sync.kick();
      await until('drained', () => drained(r.edge));
      assert.strictEqual(dropped, 1);
      await assertSameRows(r.edgeDb, r.hubDb);
    } finally {
      await r.close();
    }
  });

  it('max_bytes_per_sec holds the backfill to its rate', async () => {
    const rate = 4000;
    const r = await rig({ mqtt: 5 }, broker, certs, { max_bytes_per_sec: rate });
    try {
      const dayAgo = NOW - 86_400_000;
      for (let w = 0; w < 12; w++) {
        const rows = [];
        for (let i = 0; i < 300; i++) {
          rows.push({
            time: dayAgo + (w * 300 + i) * 1000,
            tags: { sensor_id: `S${i % 5}` },
            fields: { value: Math.random() },
          });
        }
        await r.edgeDb.write('sensor', rows);
      }
      const t0 = Date.now();
      r.sync.kick();
      await until('drained', () => drained(r.edge));
      const elapsed = Date.now() - t0;
      const bytes = r.sync.meter.totalBytes;
      // a bucket of one second's bytes, then the rate: the drain cannot be quicker than this
      const floor = ((bytes - rate) / rate) * 1000;
      assert.ok(bytes > 3 * rate, `enough bytes to measure (${bytes})`);
      assert.ok(
        elapsed >= floor * 0.95,
        `${bytes} bytes in ${elapsed} ms; at ${rate} B/s it takes >= ${Math.round(floor)} ms`,
      );
      await assertSameRows(r.edgeDb, r.hubDb);
    } finally {
      await r.close();
    }
  });

  for (const format of ['jsonl', 'influx']) {
    it(`${format}: gzip'd POSTs to a receiver that is not Helios carry every row`, async () => {
      const port = await freePort();
      const lines = [];
      const server = http.createServer((req, res) => {
        const chunks = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', () => {
          assert.strictEqual(req.headers['content-encoding'], 'gzip');
          lines.push(...zlib.gunzipSync(Buffer.concat(chunks)).toString().split('\n').filter(Boolean));
          res.writeHead(204).end();
        });
      });
      await new Promise((res) => server.listen(port, '127.0.0.1', res));
      const settings = resolveSyncSettings(
        { id: 'e' },
        {},
        {
          sync_endpoint: `http://127.0.0.1:${port}/write`,
          device_id: 'gw-1',
          format,
          sync_interval_secs: 0,
          batch_size: 500,
        },
      );
      const db = await engine.open(tempDir('helios-sync-f-'));
      const edge = await db.openSyncEdge({ deviceId: 'gw-1', maxBatchRows: 500 });
      const link = edgeLink(settings, {}, codec);
      const sync = new EdgeSync(edge, link, codec, settings, { down() {}, error() {}, changed() {} });
      try {
        sync.start();
        await writeIn(db, readings(2000), 8);
        sync.kick();
        await until('drained', () => drained(edge));
        assert.strictEqual(lines.length, 2000);
        if (format === 'jsonl') {
          const row = JSON.parse(lines[0]);
          assert.deepStrictEqual(Object.keys(row).sort(), ['fields', 'table', 'tags', 'time']);
          assert.strictEqual(row.tags.device_id, 'gw-1');
          assert.strictEqual(
            new Set(lines.map((l) => JSON.parse(l).time + JSON.parse(l).tags.sensor_id)).size,
            2000,
          );
        } else {
          assert.match(lines[0], /^sensor,device_id=gw-1,sensor_id=S\d value=[\d.]+ \d{13}$/);
        }
      } finally {
        await sync.stop();
        await link.close();
        await edge.close();
        await db.close();
        server.close();
      }
    });
  }
});
