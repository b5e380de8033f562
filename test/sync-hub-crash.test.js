// A hub process is SIGKILLed between its durable write of a batch and its ack (the moment that
// decides exactly-once), and at random moments besides, many times over. The edge re-sends what
// it has no ack for; at the end the hub holds every edge row once: 0 lost, 0 doubled.
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const path = require('node:path');
const readline = require('node:readline');
const fc = require('fast-check');
const { open, decodeSyncAck } = require('../dist/engine');
const { tempDir } = require('./helpers');

const CHILD = path.join(__dirname, 'support', 'sync-hub-child.js');
/** now, as each test starts (set in beforeEach): the edge's live window is judged by the clock */
let NOW = Date.now();

/** A running hub child: send(bytes, kill) resolves with its ack, or null when it died first. */
async function startHub(dir) {
  const child = spawn(process.execPath, [CHILD, dir], { stdio: ['pipe', 'pipe', 'inherit'] });
  // a write to a child killed a moment ago fails with EPIPE: the batch is simply not delivered
  child.stdin.on('error', () => undefined);
  const waiting = [];
  let dead = false;
  const exited = new Promise((resolve) => child.on('exit', resolve));
  exited.then(() => {
    dead = true;
    for (const w of waiting.splice(0)) w(null);
  });
  const lines = readline.createInterface({ input: child.stdout });
  let ready;
  const isReady = new Promise((resolve) => {
    ready = resolve;
  });
  lines.on('line', (line) => {
    if (line === 'ready') return ready();
    if (line.startsWith('ack ')) waiting.shift()?.(decodeSyncAck(Buffer.from(line.slice(4), 'base64')));
  });
  await Promise.race([isReady, exited]);
  return {
    send(bytes, kill) {
      if (dead) return Promise.resolve(null);
      return new Promise((resolve) => {
        waiting.push(resolve);
        child.stdin.write(`${kill ? 'apply-kill' : 'apply'} ${Buffer.from(bytes).toString('base64')}\n`);
      });
    },
    killNow: () => child.kill('SIGKILL'),
    async stop() {
      child.stdin.end();
      await exited;
    },
    exited,
  };
}

describe('sync hub: SIGKILL between the durable write and the ack', function () {
  this.timeout(240_000);
  beforeEach(() => {
    NOW = Date.now();
  });

  it('ends with every row once after 24 kills between write and ack and 6 at random moments', async () => {
    const edgeDir = tempDir('helios-sync-edge-');
    const hubDir = tempDir('helios-sync-hub-');
    const db = await open(edgeDir);
    const edge = await db.openSyncEdge({ deviceId: 'gw-1', maxBatchRows: 15 });
    const rnd = fc.sample(fc.integer({ min: 0, max: 1_000_000 }), { numRuns: 400, seed: 14 });
    let r = 0;
    const next = (n) => rnd[r++ % rnd.length] % n;
    let t = NOW;
    const writeSome = async () => {
      for (let i = 0, n = 3 + next(5); i < n; i++) {
        const rows = Array.from({ length: 1 + next(12) }, () => ({
          time: (t += 1 + next(3000)),
          tags: { s: `S${next(4)}` },
          fields: { v: next(1000) / 10 },
        }));
        // some rows without tags: rowids, many can share a millisecond
        rows.push({ time: t, fields: { v: -1 } });
        await db.write('m', rows);
      }
    };
    let betweenWriteAndAck = 0;
    let randomKills = 0;
    while (betweenWriteAndAck < 24 || randomKills < 6) {
      await writeSome();
      const hub = await startHub(hubDir);
      const killAt = next(4); // the batch of this round whose ack never comes
      const timerKill = betweenWriteAndAck >= 24 ? setTimeout(() => hub.killNow(), 5 + next(60)) : null;
      let died = false;
      for (let k = 0; ; k++) {
        const batch = await edge.next();
        if (!batch) break;
        const kill = timerKill === null && k === killAt;
        const ack = await hub.send(batch.bytes, kill);
        if (!ack) {
          died = true;
          if (kill) betweenWriteAndAck++;
          else randomKills++;
          break;
        }
        await edge.acknowledge(ack);
      }
      if (timerKill) clearTimeout(timerKill);
      if (!died) await hub.stop();
      else await hub.exited;
      edge.rewind(); // a transport would time out and send again
    }
    // a last hub that is left to finish
    const hub = await startHub(hubDir);
    for (let batch = await edge.next(); batch; batch = await edge.next())
      await edge.acknowledge(await hub.send(batch.bytes, false));
    await hub.stop();
    const status = edge.status();
    assert.equal(status.ackedLsn, status.lastLsn);
    const hubDb = await open(hubDir);
    const hubRows = (await hubDb.read('m')).map(({ device_id, ...rest }) => JSON.stringify(rest)).sort();
    const edgeRows = (await db.read('m')).map((row) => JSON.stringify(row)).sort();
    assert.ok(edgeRows.length > 300, `${edgeRows.length} rows written`);
    assert.equal(hubRows.length, edgeRows.length, '0 lost, 0 doubled (counts)');
    assert.deepEqual(hubRows, edgeRows, 'row for row');
    const hubEdge = await hubDb.openSyncHub();
    assert.equal(hubEdge.devices()[0].highSeq, status.lastAckSeq);
    await hubEdge.close();
    await hubDb.close();
    await edge.close();
    await db.close();
    assert.ok(betweenWriteAndAck >= 24 && randomKills >= 6);
  });
});
