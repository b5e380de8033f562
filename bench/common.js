/**
 * Helpers shared by the benchmark commands (run.js, query-bench.js, policy-bench.js): counts such
 * as "10M", read-only shell look-ups, the machine description, and whether the engine is built.
 */
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

/** "200k", "1M", "10M" or a plain number, as a count. */
function parseCount(text) {
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(String(text).trim());
  if (!m) throw new Error(`not a count: ${text} (use e.g. 200k, 1M, 10M)`);
  const unit = { '': 1, k: 1e3, K: 1e3, m: 1e6, M: 1e6 }[m[2]];
  return Math.round(Number(m[1]) * unit);
}

/** A command's output, or null when it is missing or fails. */
function tryCommand(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

function sqliteVersion() {
  try {
    const Database = require('better-sqlite3');
    const db = new Database(':memory:');
    const version = db.prepare('SELECT sqlite_version() AS v').get().v;
    db.close();
    return version;
  } catch {
    return null;
  }
}

/** CPU, cores, memory, kernel, Node and SQLite versions, and the commit; `dataDir`'s disk if given. */
function describeMachine(dataDir = null) {
  const lscpu = tryCommand('lscpu', []) ?? '';
  const machine = {
    cpuModel: /^Model name:\s*(.+)$/m.exec(lscpu)?.[1] ?? os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryBytes: os.totalmem(),
    kernel: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    betterSqlite3: require('better-sqlite3/package.json').version,
    sqlite: sqliteVersion(),
    commit: tryCommand('git', ['-C', path.join(__dirname, '..'), 'rev-parse', '--short', 'HEAD']),
  };
  if (dataDir) {
    const df = tryCommand('df', ['-PT', dataDir])?.split('\n')[1]?.split(/\s+/) ?? [];
    machine.disk = df.length ? { device: df[0], fsType: df[1], sizeKB: Number(df[2]) } : null;
    machine.blockDevices = tryCommand('lsblk', ['-d', '-n', '-o', 'NAME,ROTA,SIZE,MODEL']);
  }
  return machine;
}

/** Whether dist/engine exports `open` (built by `npm run build`). */
function heliosAvailability() {
  try {
    const engine = require(path.join(__dirname, '..', 'dist', 'engine'));
    if (typeof engine.open === 'function') return { available: true };
    return { available: false, reason: 'dist/engine does not export open() yet' };
  } catch (err) {
    return { available: false, reason: `dist/engine cannot be loaded: ${err.message.split('\n')[0]}` };
  }
}

module.exports = { parseCount, tryCommand, describeMachine, heliosAvailability };
