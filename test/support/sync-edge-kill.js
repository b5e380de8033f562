// The edge-SIGKILL fault loop shared by test/sync-edge-kill.test.js (a few kills) and
// test/faults/sync-faults.js (many): a hub in this process (real engine, over a real Mosquitto),
// an edge child process killed with SIGKILL at random moments while it writes and sends, then a
// last life that drains. Returns what both ends hold.
const { spawn } = require('node:child_process');
const path = require('node:path');
const engine = require('../../dist/engine/index.js');
const { resolveSyncSettings } = require('../../dist/nodes/lib/sync/config.js');
const { hubLink } = require('../../dist/nodes/lib/sync/links.js');
const { HubSync } = require('../../dist/nodes/lib/sync/hub-sync.js');
const { tempDir } = require('../helpers');

const CHILD = path.join(__dirname, 'sync-link-edge-child.js');

function runChild(dir, url, device, writes, life, killAfterMs) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir, url, device, String(writes), String(life)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let acknowledgedWrites = 0;
    let drained = false;
    let err = '';
    let timer = null;
    child.stdout.on('data', (d) => {
      for (const line of String(d).split('\n')) {
        const m = /^wrote (\d+)/.exec(line);
        if (m) acknowledgedWrites += Number(m[1]);
        // the kill is timed from the moment the edge is open and starts writing and sending
        if (line === 'ready' && killAfterMs !== null) {
          timer = setTimeout(() => process.kill(child.pid, 'SIGKILL'), killAfterMs);
        }
        if (line === 'drained') {
          drained = true;
          process.kill(child.pid, 'SIGKILL');
        }
      }
    });
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL' && code !== 0) reject(new Error(`edge child failed (${code}): ${err}`));
      else resolve({ acknowledgedWrites, drained });
    });
  });
}

/**
 * `kills` lives killed at a random moment in [minMs, maxMs), each writing `writesPerLife` readings,
 * then one life to the end. Resolves { acknowledged, edgeRows, hubRows, drained, killedMidSend }
 * (lives killed before they had sent everything).
 */
async function edgeKillLoop({
  broker,
  kills,
  writesPerLife = 400,
  minMs = 0,
  maxMs = 300,
  random = Math.random,
}) {
  const edgeDir = tempDir('helios-sync-kill-e-');
  const hubDb = await engine.open(tempDir('helios-sync-kill-h-'));
  const hub = await hubDb.openSyncHub();
  const settings = resolveSyncSettings(
    { id: `h${process.pid}` },
    {},
    { role: 'hub', sync_endpoint: broker.url },
  );
  const link = hubLink(settings, {});
  const hubSync = new HubSync(hub, link, engine, { applied() {}, error() {}, changed() {} });
  let up = false;
  link.start(hubSync, { state: (c) => (up = c) });
  while (!up) await new Promise((r) => setTimeout(r, 20));
  let acknowledged = 0;
  let killedMidSend = 0;
  for (let life = 0; life < kills; life++) {
    const at = Math.floor(minMs + random() * (maxMs - minMs));
    const run = await runChild(edgeDir, broker.url, 'gw-k', writesPerLife, life, at);
    acknowledged += run.acknowledgedWrites;
    if (!run.drained) killedMidSend++;
  }
  const last = await runChild(edgeDir, broker.url, 'gw-k', writesPerLife, kills, null);
  acknowledged += last.acknowledgedWrites;
  await link.close();
  await hub.close();
  const edgeDb = await engine.open(edgeDir);
  const edgeRows = await edgeDb.read('sensor');
  await edgeDb.close();
  const hubRows = await hubDb.read('sensor');
  await hubDb.close();
  return { acknowledged, edgeRows, hubRows, drained: last.drained, killedMidSend };
}

/** { lost, doubled, missingAcknowledged } between the two ends */
function compareRows(edgeRows, hubRows) {
  const key = (r) => `${r.life}|${r.sensor_id}|${r.time}|${r.value}`;
  const counts = new Map();
  for (const r of hubRows) counts.set(key(r), (counts.get(key(r)) ?? 0) + 1);
  return {
    lost: edgeRows.filter((r) => !counts.has(key(r))).length,
    doubled: [...counts.values()].filter((n) => n > 1).length,
    extra: hubRows.length - edgeRows.length,
  };
}

module.exports = { edgeKillLoop, compareRows };
