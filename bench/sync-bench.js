#!/usr/bin/env node
/**
 * Bytes on the wire per reading for helios-sync batches (issue #14), on both benchmark workloads,
 * against the ways flows send readings today:
 *   - one JSON MQTT message per reading: an MQTT 3.1.1 QoS 1 PUBLISH (fixed header, remaining
 *     length, topic length, topic, packet id) carrying the reading as JSON, topic built from its
 *     tags, as a Node-RED mqtt-out node sends it (the PUBACK and TCP/IP headers are NOT counted,
 *     which favours the baseline);
 *   - the same readings as one JSON array per batch (same batch size), gzip'd (level 6).
 * Helios: the readings are written to an edge database in writes of 1,000 (as a coalescing store
 * node does), then drained as sync batches and their bytes summed (the whole batch: header, body,
 * CRC), two ways: with the default options, where the workload's readings (stamped in 2025) are an
 * old backlog and go in backfill batches (maxBackfillBatchRows 20000 after a first live-sized one),
 * and as live batches of maxBatchRows 5000 (liveWindowMs huge, so nothing is historical). Each
 * compressor this runtime has is measured for the first, the default compressor for the second.
 *
 *   node bench/sync-bench.js [--readings 100000] [--workloads plant,regular]
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');
const { open, syncCompressions } = require('../dist/engine');
const { PlantWorkload, PLANT_TABLE } = require('./plant-workload');
const { Workload, toReadings } = require('./workload');

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : fallback;
};
const READINGS = Number(option('readings', '100000'));
const WORKLOADS = option('workloads', 'plant,regular').split(',');
const BATCH_ROWS = 5000;
const WRITE_ROWS = 1000;

/** The workload's readings, `n` of them, in arrival order, with their table. */
function readingsOf(name, n) {
  if (name === 'plant') {
    const plant = new PlantWorkload();
    const out = [];
    while (out.length < n) out.push(...plant.nextBatch(WRITE_ROWS));
    return { table: PLANT_TABLE.name, definition: PLANT_TABLE.definition, readings: out.slice(0, n) };
  }
  const w = new Workload();
  const out = [];
  while (out.length < n) out.push(...toReadings(w.nextBatch(WRITE_ROWS), w.sensors));
  return { table: 'sensor_data', definition: null, readings: out.slice(0, n) };
}

/** One reading as a flow sends it: topic from the tags, payload the time and fields as JSON. */
function mqttMessage(table, r) {
  const topic = [table, ...Object.values(r.tags ?? {})].join('/');
  const fields = {};
  for (const [k, v] of Object.entries(r.fields))
    if (v !== null && v !== undefined) fields[k] = typeof v === 'bigint' ? Number(v) : v;
  const payload = JSON.stringify({ time: r.time, ...fields });
  return { topic, payload };
}

/** Bytes of an MQTT 3.1.1 PUBLISH at QoS 1. */
function publishBytes(topic, payload) {
  const remaining = 2 + Buffer.byteLength(topic) + 2 + Buffer.byteLength(payload);
  const lengthBytes = remaining < 128 ? 1 : remaining < 16384 ? 2 : remaining < 2097152 ? 3 : 4;
  return 1 + lengthBytes + remaining;
}

function jsonOf(r) {
  return { time: r.time, tags: r.tags, fields: r.fields };
}

function baselines(table, readings) {
  let mqtt = 0;
  for (const r of readings) {
    const { topic, payload } = mqttMessage(table, r);
    mqtt += publishBytes(topic, payload);
  }
  let gzip = 0;
  for (let i = 0; i < readings.length; i += BATCH_ROWS) {
    const json = JSON.stringify(readings.slice(i, i + BATCH_ROWS).map(jsonOf), (_, v) =>
      typeof v === 'bigint' ? Number(v) : v,
    );
    gzip += zlib.gzipSync(json, { level: 6 }).length;
  }
  return { mqtt, gzip };
}

async function heliosBytes(work, compression, live) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'helios-sync-bench-'));
  try {
    const db = await open(dir, { durability: 'none' });
    if (work.definition) await db.createTable(work.table, work.definition);
    const edge = await db.openSyncEdge({
      deviceId: 'bench',
      compression,
      ...(live ? { liveWindowMs: 1e12 } : {}),
    });
    for (let i = 0; i < work.readings.length; i += WRITE_ROWS)
      await db.write(work.table, work.readings.slice(i, i + WRITE_ROWS));
    let bytes = 0;
    let rows = 0;
    let batches = 0;
    const started = process.cpuUsage();
    for (let b = await edge.next(); b; b = await edge.next()) {
      bytes += b.bytes.length;
      rows += b.meta.rows;
      batches++;
      await edge.acknowledge({
        device: b.meta.device,
        epoch: b.meta.epoch,
        seq: b.meta.seq,
        status: 'applied',
      });
    }
    const cpu = process.cpuUsage(started);
    await edge.close();
    await db.close();
    return { bytes, rows, batches, cpuMs: (cpu.user + cpu.system) / 1000 };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  console.log(
    `sync-bench: ${READINGS} readings per workload, node ${process.version}, ${os.cpus().length} CPUs`,
  );
  for (const name of WORKLOADS) {
    const work = readingsOf(name, READINGS);
    const n = work.readings.length;
    const base = baselines(work.table, work.readings);
    console.log(`\n${name} workload (${n} readings, table ${work.table})`);
    console.log(`  one JSON MQTT message per reading: ${(base.mqtt / n).toFixed(2)} B/reading`);
    console.log(`  gzip'd JSON batches of ${BATCH_ROWS}:     ${(base.gzip / n).toFixed(2)} B/reading`);
    const runs = [
      ...syncCompressions().map((c) => ({ c, live: false, label: `backfill ${c}` })),
      { c: syncCompressions()[0], live: true, label: `live 5000 ${syncCompressions()[0]}` },
    ];
    for (const { c, live, label } of runs) {
      const h = await heliosBytes(work, c, live);
      if (h.rows !== n) throw new Error(`the batches carried ${h.rows} rows, not ${n}`);
      const per = h.bytes / n;
      console.log(
        `  helios-sync ${label.padEnd(18)} ${per.toFixed(3)} B/reading  ` +
          `${(base.mqtt / h.bytes).toFixed(1)}:1 vs MQTT JSON, ${(base.gzip / h.bytes).toFixed(2)}:1 vs gzip'd JSON  ` +
          `(${h.batches} batches, edge CPU ${((h.cpuMs / n) * 1e5).toFixed(0)} ms per 100k readings)`,
      );
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
