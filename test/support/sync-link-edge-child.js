// A helios-sync edge in its own process, for the fault tests: opens the edge database in argv[2],
// writes argv[5] readings (one write batch of 50 at a time, each reported "wrote <n>" once the
// engine acknowledged it), and sends everything over MQTT (argv[3] = broker URL, argv[4] = device)
// until it is all acknowledged ("drained"). The parent SIGKILLs it at random moments. argv[7], when
// given, is the rows of every batch, the backfill's too (default: 200, and the engine's for backfill).
const engine = require('../../dist/engine/index.js');
const { resolveSyncSettings } = require('../../dist/nodes/lib/sync/config.js');
const { edgeLink } = require('../../dist/nodes/lib/sync/links.js');
const { EdgeSync } = require('../../dist/nodes/lib/sync/edge-sync.js');

const [dir, url, device, writeCount, lifeText, batchText] = process.argv.slice(2);
const life = Number(lifeText);

async function main() {
  const db = await engine.open(dir, { durability: 'batch', batchIntervalMs: 10 });
  const settings = resolveSyncSettings(
    { id: 'e' },
    {},
    {
      sync_endpoint: url,
      device_id: device,
      sync_interval_secs: 0,
      retry_backoff_secs: 1,
      ack_timeout_secs: 3,
      batch_size: 200,
    },
  );
  const sizes = batchText ? { maxBatchRows: Number(batchText), maxBackfillBatchRows: Number(batchText) } : {};
  const edge = await db.openSyncEdge({ deviceId: device, maxBatchRows: 200, ...sizes });
  const link = edgeLink(settings, {}, engine);
  const sync = new EdgeSync(edge, link, engine, settings, { down() {}, error() {}, changed() {} });
  sync.start();
  process.stdout.write('ready\n');
  const n = Number(writeCount);
  const t0 = 1764028800000 + life * 10_000_000;
  for (let i = 0; i < n; i += 50) {
    const rows = [];
    for (let k = i; k < Math.min(n, i + 50); k++) {
      rows.push({
        time: t0 + k * 1000,
        tags: { sensor_id: `S${k % 7}`, life: String(life) },
        fields: { value: k },
      });
    }
    await db.write('sensor', rows);
    process.stdout.write(`wrote ${rows.length}\n`);
    sync.kick();
  }
  const timer = setInterval(() => {
    const s = edge.status();
    sync.kick();
    if (s.ackedLsn >= s.lastLsn && s.inFlight === 0) {
      process.stdout.write('drained\n');
      clearInterval(timer);
    }
  }, 50);
}

main().catch((err) => {
  process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});
