/** Measurement plumbing shared by the benchmark's parent and child processes. */

const fs = require('node:fs');
const path = require('node:path');
const { monitorEventLoopDelay, performance } = require('node:perf_hooks');

const IO_KEYS = ['rchar', 'wchar', 'syscr', 'syscw', 'read_bytes', 'write_bytes', 'cancelled_write_bytes'];

/**
 * This process's I/O counters from /proc/self/io (Linux), or null where there is none.
 * write_bytes: bytes this process caused to be sent to the storage layer; wchar: bytes passed to
 * write()-like calls, cached or not.
 */
function readProcIo() {
  let text;
  try {
    text = fs.readFileSync('/proc/self/io', 'utf8');
  } catch {
    return null;
  }
  const io = {};
  for (const line of text.split('\n')) {
    const [key, value] = line.split(':');
    if (IO_KEYS.includes(key)) io[key] = Number(value);
  }
  return io;
}

/** Counter differences `after - before`, or null if either side is missing. */
function ioDelta(before, after) {
  if (!before || !after) return null;
  const delta = {};
  for (const key of IO_KEYS) delta[key] = after[key] - before[key];
  return delta;
}

/** Total apparent size (bytes) and allocated size (512-byte blocks) of every file under `dir`. */
function dirSize(dir) {
  let bytes = 0;
  let allocated = 0;
  let files = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const st = fs.statSync(path.join(entry.parentPath ?? entry.path, entry.name));
    bytes += st.size;
    allocated += st.blocks * 512;
    files++;
  }
  return { bytes, allocated, files };
}

/** Size of an SQLite database: the main file plus its -wal if one is left (-shm is an index, not data). */
function sqliteSize(dbFile) {
  let bytes = 0;
  let allocated = 0;
  let files = 0;
  for (const file of [dbFile, `${dbFile}-wal`]) {
    if (!fs.existsSync(file)) continue;
    const st = fs.statSync(file);
    bytes += st.size;
    allocated += st.blocks * 512;
    files++;
  }
  return { bytes, allocated, files };
}

/** Peak resident set size of this process so far, in bytes. */
function peakRssBytes() {
  return process.resourceUsage().maxRSS * 1024;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** A stopwatch that accumulates only the stretches it is running. */
class Stopwatch {
  constructor() {
    this.totalMs = 0;
    this.startedAt = null;
  }
  start() {
    this.startedAt = performance.now();
  }
  stop() {
    this.totalMs += performance.now() - this.startedAt;
    this.startedAt = null;
  }
}

/** The event-loop delay monitor samples every this many ms; its samples include this interval. */
const LOOP_RESOLUTION_MS = 1;

/** Resolves after the event loop has run timers again (so a loop-delay monitor catches up). */
function settleLoop() {
  return new Promise((resolve) => setTimeout(resolve, 25));
}

/**
 * What every engine's batched-ingest measurement shares: CPU and I/O counters from before open to
 * after close, the event-loop monitor over the write loop, and the write loop's wall time less the
 * time spent making the batches (so background work between writes still counts).
 */
class IngestMeter {
  constructor() {
    this.loopDelay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
    this.io0 = readProcIo();
    this.cpu0 = process.cpuUsage();
    this.generating = new Stopwatch();
  }

  /** Runs the write loop; `makeBatch(n)` is timed apart, `writeBatch(batch)` may be async. Returns writeMs. */
  async writeLoop(readings, batchSize, makeBatch, writeBatch) {
    this.loopDelay.enable();
    const loopStart = performance.now();
    for (let done = 0; done < readings; done += batchSize) {
      this.generating.start();
      const batch = makeBatch(Math.min(batchSize, readings - done));
      this.generating.stop();
      await writeBatch(batch);
      await new Promise(setImmediate); // a turn of the loop between batches, as with real inputs
    }
    const writeMs = performance.now() - loopStart - this.generating.totalMs;
    await settleLoop(); // a stall still in progress is recorded only when the monitor's timer fires
    this.loopDelay.disable();
    return writeMs;
  }

  /** The measurement, once the engine is closed. */
  result({ readings, requireMs, openMs, writeMs, closeMs, disk, stats }) {
    const cpu = process.cpuUsage(this.cpu0);
    return {
      readings,
      requireMs,
      openMs,
      writeMs,
      generateMs: this.generating.totalMs,
      closeMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
      peakRssBytes: peakRssBytes(),
      maxLoopStallMs: Math.max(0, this.loopDelay.max / 1e6 - LOOP_RESOLUTION_MS),
      io: ioDelta(this.io0, readProcIo()),
      disk,
      stats,
    };
  }
}

module.exports = {
  IngestMeter,
  LOOP_RESOLUTION_MS,
  settleLoop,
  readProcIo,
  ioDelta,
  dirSize,
  sqliteSize,
  peakRssBytes,
  median,
  Stopwatch,
  now: () => performance.now(),
};
