/** Measurement plumbing shared by the benchmark's parent and child processes. */

const fs = require('node:fs');
const path = require('node:path');
const { performance } = require('node:perf_hooks');

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

module.exports = {
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
