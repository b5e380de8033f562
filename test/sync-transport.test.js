// One contract table run against every sync transport (MQTT 5, MQTT 3.1.1, HTTP, HTTPS), with a
// real Mosquitto broker on a free loopback port and an in-memory engine (test/support/fake-sync.js):
// rows arrive once each, downlink messages once, a rejected batch is set aside without blocking the
// rest, a gap is answered and re-sent. MQTT: the broker SIGKILLed mid-stream and restarted.
const assert = require('node:assert');
const fs = require('node:fs');
const { resolveSyncSettings } = require('../dist/nodes/lib/sync/config.js');
const { edgeLink, hubLink } = require('../dist/nodes/lib/sync/links.js');
const { EdgeSync } = require('../dist/nodes/lib/sync/edge-sync.js');
const { HubSync } = require('../dist/nodes/lib/sync/hub-sync.js');
const { readTls } = require('../dist/nodes/lib/sync/tls.js');
const { codec, FakeEdge, FakeHub, fakeRows } = require('./support/fake-sync');
const { startBroker, freePort } = require('./support/mosquitto');
const { makeCerts } = require('./support/test-certs');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, check, timeoutMs = 20000) {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** every edge row at the hub exactly once */
function assertSameRows(edge, hub) {
  const key = (r) => `${r.table}|${r.tags.sensor_id}|${r.time}`;
  const counts = new Map();
  for (const r of hub.rows) counts.set(key(r), (counts.get(key(r)) ?? 0) + 1);
  const doubled = [...counts].filter(([, n]) => n > 1).length;
  const lost = edge.log.filter((r) => !counts.has(key(r))).length;
  assert.deepStrictEqual(
    { lost, doubled, hubRows: hub.rows.length },
    { lost: 0, doubled: 0, hubRows: edge.log.length },
  );
}

let certs;
const TRANSPORTS = [
  { name: 'MQTT 5', mqtt: 5 },
  { name: 'MQTT 3.1.1', mqtt: 4 },
  { name: 'HTTP', http: 'http' },
  { name: 'HTTPS', http: 'https' },
];

async function rig(t, broker, extra = {}) {
  const common = { retry_backoff_secs: 1, ack_timeout_secs: 3, sync_interval_secs: 0, ...extra.toml };
  let hubToml;
  let edgeToml;
  if (t.mqtt) {
    const v = { mqtt_version: t.mqtt };
    hubToml = { role: 'hub', sync_endpoint: broker.url, client_id: `hub-${Math.random()}`, ...v, ...common };
    edgeToml = { role: 'edge', sync_endpoint: broker.url, device_id: 'dev-1', ...v, ...common };
  } else {
    const port = await freePort();
    const tls = t.http === 'https' ? { cert_file: certs.cert, key_file: certs.key } : {};
    hubToml = {
      role: 'hub',
      sync_endpoint: `${t.http}://127.0.0.1:${port}/helios/sync`,
      listen_port: port,
      listen_host: '127.0.0.1',
      ...tls,
      ...common,
    };
    edgeToml = {
      role: 'edge',
      sync_endpoint: `${t.http}://127.0.0.1:${port}/helios/sync`,
      device_id: 'dev-1',
      ...(t.http === 'https' ? { ca_file: extra.edgeCa ?? certs.ca } : {}),
      ...common,
    };
  }
  const hubSettings = resolveSyncSettings({ id: 'h' }, {}, hubToml);
  const edgeSettings = resolveSyncSettings({ id: 'e' }, {}, edgeToml);
  const fakeHub = new FakeHub();
  const hLink = hubLink(hubSettings, await readTls(hubSettings.tls));
  const applied = [];
  const errors = [];
  const hub = new HubSync(fakeHub, hLink, codec, {
    applied: (ack, tables) => applied.push({ ack, tables }),
    error: (e) => errors.push(e),
    changed: () => {},
  });
  let hubUp = false;
  hLink.start(hub, { state: (c) => (hubUp = c) });
  const fakeEdge = new FakeEdge('dev-1', { batchRows: 50 });
  const eLink = edgeLink(edgeSettings, await readTls(edgeSettings.tls), codec);
  const down = [];
  const edgeErrors = [];
  const edge = new EdgeSync(fakeEdge, eLink, codec, edgeSettings, {
    down: (m) => down.push(...m),
    error: (e) => edgeErrors.push(e),
    changed: () => {},
  });
  await until('the hub link', () => hubUp);
  edge.start();
  return { fakeHub, fakeEdge, hub, edge, hLink, eLink, applied, errors, edgeErrors, down };
}

async function teardown(r) {
  if (!r) return;
  await r.edge.stop();
  await r.eLink.close();
  await r.hLink.close();
}

describe('sync transports (contract)', function () {
  this.timeout(60000);
  let broker;
  before(async () => {
    certs = makeCerts();
    broker = await startBroker();
  });
  after(async () => {
    await broker?.close();
    fs.rmSync(certs.dir, { recursive: true, force: true });
  });

  for (const t of TRANSPORTS) {
    describe(t.name, () => {
      let r;
      afterEach(async () => {
        await teardown(r);
        r = null;
      });

      it('carries 2,000 rows edge -> hub: 0 lost, 0 doubled, one output entry per applied batch', async () => {
        r = await rig(t, broker);
        r.fakeEdge.write(fakeRows(2000));
        r.edge.kick();
        await until('all rows at the hub', () => r.fakeEdge.status().backlogRows === 0);
        assertSameRows(r.fakeEdge, r.fakeHub);
        assert.strictEqual(r.applied.length, 40);
        assert.strictEqual(
          r.applied.reduce((n, a) => n + a.tables[0].rows, 0),
          2000,
        );
        assert.deepStrictEqual(r.edgeErrors, []);
        assert.strictEqual(r.edge.meter.totalRows, 2000);
      });

      it('delivers a downlink message once, and the hub forgets it after the edge acknowledged it', async () => {
        r = await rig(t, broker);
        r.fakeEdge.write(fakeRows(10));
        r.edge.kick();
        await until('first batch', () => r.fakeEdge.status().backlogRows === 0);
        await r.hub.sendDown('dev-1', { setpoint: 21 });
        // HTTP edges fetch downlink after a batch; MQTT has it pushed
        r.fakeEdge.write(fakeRows(10, { t0: 2e12 }));
        r.edge.kick();
        await until('the downlink message', () => r.down.length > 0);
        await until('the hub to forget it', () => r.fakeHub.pendingDown('dev-1') === null);
        await sleep(200);
        assert.deepStrictEqual(r.down, [{ id: 1, payload: { setpoint: 21 } }]);
      });

      it('sets a rejected batch aside and sends the batches after it', async () => {
        r = await rig(t, broker);
        r.fakeHub.rejectTable = 'bad';
        r.fakeEdge.write(fakeRows(50));
        r.fakeEdge.write(fakeRows(50, { table: 'bad' }));
        r.fakeEdge.write(fakeRows(50, { t0: 2e12 }));
        r.edge.kick();
        await until('the rest', () => r.fakeHub.rows.length === 100 && r.edgeErrors.length === 1);
        assert.strictEqual(r.fakeEdge.quarantined().length, 1);
        assert.strictEqual(r.fakeEdge.quarantined()[0].seq, 2);
        assert.match(
          r.edgeErrors[0].message,
          /rejected batch 2 \(50 rows of bad\) for good: schema conflict/,
        );
      });

      it('a batch lost on the way is sent again (after a gap answer when later ones overtake it)', async () => {
        r = await rig(t, broker);
        const send = r.eLink.send.bind(r.eLink);
        let dropped = false;
        r.eLink.send = (batch) => {
          if (batch.meta.seq === 2 && !dropped) {
            dropped = true;
            // lost on the way: never reaches the hub; the link gives up on it after its answer timeout
            return new Promise((_resolve, reject) => setTimeout(() => reject(new Error('no answer')), 3000));
          }
          return send(batch);
        };
        r.fakeEdge.write(fakeRows(500));
        r.edge.kick();
        await until('all rows', () => r.fakeHub.rows.length === 500, 30000);
        assert.ok(dropped);
        assertSameRows(r.fakeEdge, r.fakeHub);
        // MQTT keeps 4 in flight: batch 3 overtakes the lost 2 and the hub answers with a gap
        if (t.mqtt) assert.ok(r.fakeHub.gaps > 0, 'the hub answered a gap');
      });
    });
  }

  describe('MQTT faults', () => {
    it('the broker SIGKILLed mid-stream and restarted: 0 lost, 0 doubled', async () => {
      const own = await startBroker();
      let r;
      try {
        r = await rig({ mqtt: 5 }, own);
        r.fakeEdge.write(fakeRows(5000));
        r.edge.kick();
        await until('some batches', () => r.fakeHub.rows.length >= 500);
        await own.stop();
        const during = r.fakeHub.rows.length;
        await sleep(500);
        await own.restart();
        await until('all rows', () => r.fakeEdge.status().backlogRows === 0, 45000);
        assert.ok(during < 5000, 'the broker went down mid-stream');
        assertSameRows(r.fakeEdge, r.fakeHub);
      } finally {
        await teardown(r);
        await own.close();
      }
    });

    it('with no broker the edge keeps the data and says it is not connected (no error storm)', async () => {
      const port = await freePort();
      const settings = resolveSyncSettings(
        { id: 'e' },
        {},
        {
          sync_endpoint: `mqtt://127.0.0.1:${port}`,
          device_id: 'd',
          retry_backoff_secs: 1,
          retry_max_attempts: 3,
        },
      );
      const fakeEdge = new FakeEdge('d');
      const link = edgeLink(settings, {}, codec);
      const errors = [];
      const edge = new EdgeSync(fakeEdge, link, codec, settings, {
        down() {},
        error: (e) => errors.push(e),
        changed() {},
      });
      edge.start();
      fakeEdge.write(fakeRows(10));
      edge.kick();
      await sleep(1500);
      const v = edge.view();
      assert.strictEqual(v.connected, false);
      assert.match(
        v.lastError ?? '',
        /No MQTT broker answers at mqtt:\/\/127\.0\.0\.1:\d+ \(connection refused\)/,
      );
      assert.strictEqual(v.backlogRows, 10);
      assert.deepStrictEqual(errors, []);
      await edge.stop();
      await link.close();
    });
  });

  describe('HTTPS', () => {
    it('refuses a hub whose certificate the configured CA did not sign, with a sentence', async () => {
      let r;
      try {
        r = await rig({ http: 'https' }, broker, { edgeCa: certs.otherCa, toml: { retry_max_attempts: 1 } });
        r.fakeEdge.write(fakeRows(5));
        r.edge.kick();
        await until('the error', () => r.edgeErrors.length > 0);
        assert.match(
          r.edgeErrors[0].message,
          /The certificate of https:\/\/127\.0\.0\.1:\d+ was refused: .*ca_file/,
        );
        assert.strictEqual(r.fakeHub.rows.length, 0);
        assert.strictEqual(r.fakeEdge.status().backlogRows, 5);
      } finally {
        await teardown(r);
      }
    });
  });
});
