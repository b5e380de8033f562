// Shared test helpers: temp directories and small reading generators.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const created = [];

/** A fresh empty directory under the OS temp dir, removed after the run. */
function tempDir(prefix = 'helios-test-') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  created.push(dir);
  return dir;
}

process.on('exit', () => {
  for (const dir of created) fs.rmSync(dir, { recursive: true, force: true });
});

/** `n` readings of one sensor every `stepMs`, values a 0.01-quantized walk. */
function sensorReadings(n, { start = 1764000000000, stepMs = 1000, sensor = 'S-1', machine = 'M-1' } = {}) {
  const out = [];
  let v = 20;
  for (let i = 0; i < n; i++) {
    v = Math.round((v + Math.sin(i / 7) * 0.05) * 100) / 100;
    out.push({
      time: start + i * stepMs,
      tags: { sensor_id: sensor, machine_id: machine },
      fields: { value: v },
    });
  }
  return out;
}

/**
 * Applies one step of a random model-test history to table `r`: `{ kind: 'flush' }`,
 * `{ kind: 'delete', from, len }` (a time range, ms after `t0`) or `{ kind: 'write', rows }`, each
 * row turned into a reading by `toReading`.
 */
function applyStep(db, step, t0, toReading) {
  if (step.kind === 'flush') return db.flush();
  if (step.kind === 'delete') {
    return db.query('DELETE FROM r WHERE time >= ?1 AND time <= ?2', [
      t0 + step.from,
      t0 + step.from + step.len,
    ]);
  }
  return db.write('r', step.rows.map(toReading));
}

module.exports = { tempDir, sensorReadings, applyStep };
