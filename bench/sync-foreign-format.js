#!/usr/bin/env node
// helios-sync's formats for receivers that are not Helios: how long JSON lines and InfluxDB line
// protocol take for one 50,000-row backfill batch (100 sensors, 1 Hz, one decimal), the longest
// stretch without a turn of the event loop while they run, and the bytes of each (gzip'd) against
// the Helios batch itself. Usage: npm run build && node bench/sync-foreign-format.js
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');
const engine = require('../dist/engine/index.js');
const foreign = require('../dist/nodes/lib/sync/foreign.js');

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'helios-bench-foreign-'));
  const db = await engine.open(dir);
  const day = Date.now() - 86_400_000;
  const rows = [];
  for (let i = 0; i < 50_000; i++) {
    rows.push({
      time: day + i * 1000,
      tags: { sensor_id: `S${i % 100}` },
      fields: { value: Math.round(Math.random() * 1000) / 10 },
    });
  }
  await db.write('sensor', rows);
  const edge = await db.openSyncEdge({ deviceId: 'gw-1' });
  const batch = await edge.next();
  const decoded = engine.decodeSyncBatch(batch.bytes);
  console.log(
    `Helios batch: ${batch.meta.rows} rows, ${batch.bytes.length} B, ${(batch.bytes.length / batch.meta.rows).toFixed(2)} B/row (${batch.meta.compression})`,
  );
  for (const [name, format] of [
    ['line protocol', foreign.toLineProtocol],
    ['JSON lines', foreign.toJsonLines],
  ]) {
    let longest = 0;
    let last = performance.now();
    let done = false;
    const probe = () => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
      if (!done) setImmediate(probe);
    };
    setImmediate(probe);
    const t0 = performance.now();
    const text = await format(decoded, 'device_id');
    done = true;
    const ms = performance.now() - t0;
    const gz = zlib.gzipSync(text).length;
    console.log(
      `${name}: ${ms.toFixed(0)} ms, longest stall ${longest.toFixed(1)} ms, gzip ${gz} B (${(gz / batch.meta.rows).toFixed(2)} B/row)`,
    );
  }
  console.log(
    `load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  await edge.close();
  await db.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

main();
