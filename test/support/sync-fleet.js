// A fleet against one hub over one broker: `edges` real edge engines in this process, each with
// its own database and MQTT connection, writing `rowsPerEdge` readings; one hub (real engine)
// applies them all. Used by test/sync-fleet.test.js (a few edges) and test/faults/sync-faults.js (100).
const engine = require('../../dist/engine/index.js');
const { resolveSyncSettings } = require('../../dist/nodes/lib/sync/config.js');
const { edgeLink, hubLink } = require('../../dist/nodes/lib/sync/links.js');
const { EdgeSync } = require('../../dist/nodes/lib/sync/edge-sync.js');
const { HubSync } = require('../../dist/nodes/lib/sync/hub-sync.js');
const { tempDir } = require('../helpers');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function fleet({ broker, edges, rowsPerEdge = 500, timeoutMs = 120_000 }) {
  const hubDb = await engine.open(tempDir('helios-fleet-h-'));
  const hub = await hubDb.openSyncHub();
  const hs = resolveSyncSettings(
    { id: `fleet-${process.pid}` },
    {},
    { role: 'hub', sync_endpoint: broker.url },
  );
  const hLink = hubLink(hs, {});
  const hubSync = new HubSync(hub, hLink, engine, { applied() {}, error() {}, changed() {} });
  let up = false;
  hLink.start(hubSync, { state: (c) => (up = c) });
  while (!up) await sleep(20);
  const members = [];
  const t0 = Date.now() - 30_000;
  for (let e = 0; e < edges; e++) {
    const device = `gw-${e}`;
    const db = await engine.open(tempDir('helios-fleet-e-'));
    const settings = resolveSyncSettings(
      { id: device },
      {},
      {
        sync_endpoint: broker.url,
        device_id: device,
        sync_interval_secs: 0,
        retry_backoff_secs: 2,
      },
    );
    const edge = await db.openSyncEdge({ deviceId: device });
    const link = edgeLink(settings, {}, engine);
    const sync = new EdgeSync(edge, link, engine, settings, { down() {}, error() {}, changed() {} });
    sync.start();
    const rows = [];
    for (let i = 0; i < rowsPerEdge; i++)
      rows.push({ time: t0 + i * 10, tags: { sensor_id: `S${i % 5}` }, fields: { value: e * 1e6 + i } });
    for (let i = 0; i < rows.length; i += 100) await db.write('sensor', rows.slice(i, i + 100));
    members.push({ device, db, edge, link, sync });
  }
  const started = Date.now();
  const drained = (m) => {
    const s = m.edge.status();
    return s.ackedLsn >= s.lastLsn && s.inFlight === 0;
  };
  while (!members.every(drained)) {
    if (Date.now() - started > timeoutMs) break;
    for (const m of members) if (!drained(m)) m.sync.kick();
    await sleep(200);
  }
  const seconds = (Date.now() - started) / 1000;
  const allDrained = members.every(drained);
  for (const m of members) {
    await m.sync.stop();
    await m.link.close();
    await m.edge.close();
  }
  const edgeRows = [];
  for (const m of members) {
    for (const r of await m.db.read('sensor')) edgeRows.push({ ...r, device_id: m.device });
    await m.db.close();
  }
  await hLink.close();
  await hub.close();
  const hubRows = await hubDb.read('sensor');
  await hubDb.close();
  const key = (r) => `${r.device_id}|${r.sensor_id}|${r.time}|${r.value}`;
  const counts = new Map();
  for (const r of hubRows) counts.set(key(r), (counts.get(key(r)) ?? 0) + 1);
  return {
    seconds,
    allDrained,
    edgeRows: edgeRows.length,
    hubRows: hubRows.length,
    lost: edgeRows.filter((r) => !counts.has(key(r))).length,
    doubled: [...counts.values()].filter((n) => n > 1).length,
  };
}

module.exports = { fleet };
