// A group of hubs (docs/sync.md, "A group of hubs"): two hub processes share one MQTT shared
// subscription ($share/<group>/...), one edge sends 20,000 live readings, and one hub is SIGKILLed
// mid-transfer and never comes back. At the end: every edge row in the union of the two hub
// databases (0 lost), none twice in one database, and a store that takes each hub's per-batch
// output once per (device, epoch, seq) gets every row exactly once (0 doubled).
const assert = require('node:assert');
const { spawn } = require('node:child_process');
const path = require('node:path');
const readline = require('node:readline');
const engine = require('../dist/engine/index.js');
const { resolveSyncSettings } = require('../dist/nodes/lib/sync/config.js');
const { edgeLink } = require('../dist/nodes/lib/sync/links.js');
const { EdgeSync } = require('../dist/nodes/lib/sync/edge-sync.js');
const { readTls } = require('../dist/nodes/lib/sync/tls.js');
const { tempDir } = require('./helpers');
const { startBroker } = require('./support/mosquitto');

const CHILD = path.join(__dirname, 'support', 'sync-group-hub-child.js');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, check, timeoutMs = 60000) {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** A hub instance in its own process; `applied` lists what it applied, as it says. */
function startHub(broker, group, name) {
  const dir = tempDir(`helios-group-${name}-`);
  const child = spawn(process.execPath, [CHILD, dir, broker.url, group, name], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const hub = { name, dir, child, applied: [], ready: false, stderr: '' };
  child.stderr.on('data', (d) => (hub.stderr += d));
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    const [verb, epoch, seq, rows] = line.split(' ');
    if (verb === 'ready') hub.ready = true;
    if (verb === 'applied') hub.applied.push({ epoch, seq: Number(seq), rows: Number(rows) });
  });
  return hub;
}

function kill(hub) {
  if (hub.child.exitCode !== null || hub.child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    hub.child.once('exit', () => resolve());
    process.kill(hub.child.pid, 'SIGKILL');
  });
}

const key = (r) => `${r.sensor_id}|${r.time}|${r.value}`;

describe('sync: two hubs on one shared subscription', function () {
  this.timeout(120_000);
  let broker;
  before(async () => {
    broker = await startBroker();
  });
  after(async () => {
    await broker?.close();
  });

  it('one SIGKILLed mid-transfer: 0 lost, none twice in a hub, each batch once by (device, epoch, seq)', async () => {
    const group = `g${process.pid}`;
    const hubs = [startHub(broker, group, 'a'), startHub(broker, group, 'b')];
    let edgeDb;
    let sync;
    let link;
    let edge;
    try {
      await until('both hubs subscribed', () => hubs.every((h) => h.ready));
      const settings = resolveSyncSettings(
        { id: 'e' },
        {},
        {
          role: 'edge',
          sync_endpoint: broker.url,
          device_id: 'gw-1',
          batch_size: 500,
          ack_timeout_secs: 2,
          retry_backoff_secs: 1,
          sync_interval_secs: 0,
        },
      );
      edgeDb = await engine.open(tempDir('helios-group-edge-'));
      edge = await edgeDb.openSyncEdge({ deviceId: 'gw-1', maxBatchRows: 500 });
      link = edgeLink(settings, await readTls(settings.tls), engine);
      sync = new EdgeSync(edge, link, engine, settings, { down() {}, error() {}, changed() {} });
      sync.start();
      // live readings (inside the live window), written while they are sent
      const now = Date.now();
      for (let w = 0; w < 40; w++) {
        const rows = Array.from({ length: 500 }, (_, i) => ({
          time: now - 20_000 + w * 500 + i,
          tags: { sensor_id: `S${i % 10}` },
          fields: { value: w * 500 + i },
        }));
        await edgeDb.write('sensor', rows);
        sync.kick();
        // the kill: once hub b has applied a few batches, while the rest is still coming
        if (w === 10) {
          await until('hub b applied batches', () => hubs[1].applied.length >= 3);
          await kill(hubs[1]);
        }
        await sleep(20);
      }
      await until(
        'the edge drained',
        () => {
          sync.kick();
          const s = edge.status();
          return s.ackedLsn >= s.lastLsn && s.inFlight === 0;
        },
        90_000,
      );
    } finally {
      await sync?.stop();
      await link?.close();
      await edge?.close();
      for (const h of hubs) await kill(h);
    }
    const edgeRows = await edgeDb.read('sensor');
    await edgeDb.close();
    assert.strictEqual(edgeRows.length, 20_000);
    const union = new Map();
    for (const h of hubs) {
      const db = await engine.open(h.dir);
      const rows = await db.read('sensor').catch(() => []);
      await db.close();
      const mine = new Set();
      for (const r of rows) {
        assert.ok(!mine.has(key(r)), `row ${key(r)} twice in hub ${h.name}`);
        mine.add(key(r));
        union.set(key(r), (union.get(key(r)) ?? 0) + 1);
      }
      h.rows = rows.length;
    }
    const lost = edgeRows.filter((r) => !union.has(key(r))).length;
    assert.strictEqual(lost, 0, `lost ${lost} rows`);
    assert.strictEqual(union.size, edgeRows.length, 'no row the edge does not have');
    // the killed hub got a share, and the other took the rest
    assert.ok(
      hubs[1].applied.length >= 3 && hubs[0].applied.length > 0,
      `a ${hubs[0].rows}, b ${hubs[1].rows}`,
    );
    // a store that takes each batch once by (device, epoch, seq) has every row exactly once
    const once = new Map();
    for (const h of hubs) for (const b of h.applied) once.set(`${b.epoch}:${b.seq}`, b.rows);
    assert.strictEqual(
      [...once.values()].reduce((a, b) => a + b, 0),
      edgeRows.length,
      'each row in exactly one batch',
    );
    // rows in both databases: batches hub b wrote and never answered (it may die before it says
    // so), so at most the edge's window of 4 batches in flight, 500 rows each
    const both = [...union.values()].filter((n) => n > 1).length;
    assert.ok(both <= 4 * 500, `${both} rows in both hubs`);
  });
});
