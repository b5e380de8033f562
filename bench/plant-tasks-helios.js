/**
 * The Helios side of the plant benchmark (bench/plant-bench.js). Each function runs in its own
 * child process (bench/plant-child.js) and returns plain JSON.
 */

const fs = require('node:fs');
const path = require('node:path');
const { PlantWorkload, PLANT_TABLE } = require('./plant-workload');
const { IngestMeter, dirSize, now } = require('./measure');

const ENGINE_PATH = path.join(__dirname, '..', 'dist', 'engine');
/** As bench/helios-tasks.js opens the engine: its defaults, with 'batch' durability spelled out. */
const OPTIONS = { durability: 'batch', batchIntervalMs: 100 };
const TABLE = PLANT_TABLE.name;

/**
 * Batched ingest: the table declared (`counter` an int column), one awaited `write` per delivered
 * batch, then `close` (the final flush). Every delivered reading is written, explicit nulls too
 * (kept as rows of NULLs).
 */
async function ingest({ dir, readings, batchSize, workload }) {
  const t0 = now();
  const { open } = require(ENGINE_PATH);
  const requireMs = now() - t0;
  const plant = new PlantWorkload(workload);
  const meter = new IngestMeter();
  const t1 = now();
  const db = await open(dir, OPTIONS);
  await db.createTable(TABLE, PLANT_TABLE.definition);
  const openMs = now() - t1;
  let maxTime = 0;
  const writeMs = await meter.writeLoop(
    readings,
    batchSize,
    (n) => {
      const batch = plant.nextBatch(n);
      for (const r of batch) if (r.time > maxTime) maxTime = r.time;
      return batch;
    },
    (batch) => db.write(TABLE, batch),
  );
  const stats = db.stats();
  const t2 = now();
  await db.close();
  const closeMs = now() - t2;
  const result = meter.result({
    readings,
    requireMs,
    openMs,
    writeMs,
    closeMs,
    disk: dirSize(dir),
    stats: { table: stats.tables?.[TABLE] ?? null, headRows: stats.headRows },
  });
  return { ...result, maxTime, counts: plant.counts, columns: await columnBytes(dir) };
}

function segmentFiles(dir) {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.seg'))
    .map((e) => path.join(e.parentPath ?? e.path, e.name));
}

/** A field's name as shown: engine-owned columns start with U+0001. */
function columnName(name) {
  return name.startsWith('\u0001') ? `${name.slice(1)} (engine's)` : name;
}

/**
 * What each column costs on disk, from the segment footers (engine/segment/FORMAT.md: per chunk
 * the time column's length, and per field its values' length and whether a presence bitmap is
 * stored), read with the engine's own SegmentReader. `footer` is each file's footer (tags, field
 * definitions, chunk index with min/max/sum); `other files` the WAL, CHECKPOINT and TABLES.
 */
async function columnBytes(dir) {
  const { SegmentReader } = require(path.join(ENGINE_PATH, 'segment'));
  const bytes = { time: 0 };
  const add = (key, n) => {
    bytes[key] = (bytes[key] ?? 0) + n;
  };
  let segments = 0;
  let chunks = 0;
  for (const file of segmentFiles(dir)) {
    const reader = await SegmentReader.open(file);
    try {
      let chunksEnd = 8;
      for (const series of reader.allSeries()) {
        for (const chunk of series.chunks) {
          chunks++;
          add('time', chunk.timeLength);
          add('chunk CRC', 4);
          for (const layout of chunk.columns) {
            const name = columnName(reader.fields[layout.field].name);
            add(name, layout.valuesLength);
            if (layout.bitmapOffset >= 0) add(`${name} presence bitmap`, Math.ceil(chunk.rows / 8));
          }
          chunksEnd = chunk.offset + chunk.length;
        }
      }
      add('footer (tags, chunk index, statistics)', reader.meta.bytes - chunksEnd - 20);
      add('header + trailer', 28);
      segments++;
    } finally {
      await reader.close();
    }
  }
  const segmentBytes = Object.values(bytes).reduce((a, b) => a + b, 0);
  add('other files (WAL, CHECKPOINT, TABLES)', dirSize(dir).bytes - segmentBytes);
  return { bytes, segments, chunks };
}

/** Opens the database the ingest left (cold), lets its compaction finish, and prepares queries. */
async function openForQueries({ dir }) {
  const { open } = require(ENGINE_PATH);
  const t0 = now();
  const db = await open(dir, OPTIONS);
  const openMs = now() - t0;
  // At rest, as the peers after theirs (SQLite's ANALYZE): no compaction runs beside the timed queries.
  await db.compact();
  const rows = (await db.query(`SELECT count(*) AS n FROM ${TABLE}`)).rows[0].n;
  return {
    info: { openMs, rows, disk: dirSize(dir) },
    prepare: (spec, params) => {
      const options = { maxRows: 1_000_000 };
      const post = spec.post ?? ((r) => r);
      return async () => post((await db.query(spec.sql, params, options)).rows);
    },
    close: () => db.close(),
  };
}

module.exports = { ingest, openForQueries, columnBytes };
