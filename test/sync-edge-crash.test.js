// An edge process is SIGKILLed at random moments while it writes rows and sends batches, 24 times
// on one database (between its durable record of a batch and the send, between the hub's ack and
// its own save, in the middle of a write or a flush). Each restart sends again what has no ack; at
// the end the hub holds exactly the rows the edge has: 0 lost, 0 doubled.
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const path = require('node:path');
const readline = require('node:readline');
const { open, encodeSyncAck } = require('../dist/engine');
const { tempDir } = require('./helpers');

const CHILD = path.join(__dirname, 'support', 'sync-edge-child.js');

/** Runs the edge child against `hub` until it is killed after `killAfterMs`; returns the last time it wrote. */
function runEdge(dir, hub, seed, start, killAfterMs) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir, String(seed), String(start)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let last = start;
    let chain = Promise.resolve();
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      if (line === 'ready') setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      else if (line.startsWith('wrote ')) last = Number(line.split(' ')[3]);
      else if (line.startsWith('batch ')) {
        chain = chain.then(async () => {
          const { ack } = await hub.apply(Buffer.from(line.slice(6), 'base64'));
          if (child.exitCode === null && child.signalCode === null) {
            child.stdin.write(`ack ${Buffer.from(encodeSyncAck(ack)).toString('base64')}\n`, () => undefined);
          }
        });
      }
    });
    child.stdin.on('error', () => undefined);
    child.on('exit', (code, signal) => {
      chain.then(() =>
        signal === 'SIGKILL' ? resolve(last) : reject(new Error(`the edge child exited with ${code}`)),
      );
    });
  });
}

describe('sync edge: SIGKILL while writing and sending', function () {
  this.timeout(300_000);

  it('ends with every edge row at the hub once after 24 kills at random moments', async () => {
    const edgeDir = tempDir('helios-sync-edge-');
    const hubDb = await open(tempDir('helios-sync-hub-'));
    const hub = await hubDb.openSyncHub();
    let start = Date.now();
    let seed = 1;
    for (let round = 0; round < 24; round++) {
      const killAfter = 60 + ((round * 7919) % 400);
      start = (await runEdge(edgeDir, hub, seed++, start, killAfter)) + 1000;
    }
    // the last run: open in-process and drain
    const db = await open(edgeDir);
    const edge = await db.openSyncEdge({ deviceId: 'gw-1', maxBatchRows: 10 });
    for (let b = await edge.next(); b; b = await edge.next())
      await edge.acknowledge((await hub.apply(b.bytes)).ack);
    const edgeRows = (await db.read('m')).map((r) => JSON.stringify(r)).sort();
    const hubRows = (await hubDb.read('m')).map(({ device_id, ...r }) => JSON.stringify(r)).sort();
    assert.ok(edgeRows.length > 100, `${edgeRows.length} rows written across the kills`);
    assert.equal(hubRows.length, edgeRows.length, 'counts');
    assert.deepEqual(hubRows, edgeRows, 'row for row');
    assert.equal(hub.devices()[0].highSeq, edge.status().lastAckSeq);
    await edge.close();
    await db.close();
    await hub.close();
    await hubDb.close();
  });
});
