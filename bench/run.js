/**
 * Helios vs SQLite ingest/storage benchmark (`npm run bench`). Every measurement runs in a fresh child
 * process (bench/child.js), one at a time. Prints Markdown tables with ratios and PASS/MISS against
 * the team's targets, and writes the raw numbers to bench/.data/results-<time>.json (and latest.json).
 *
 *   node bench/run.js [--quick] [--sizes 1M,10M] [--single 200k] [--single-seconds 60]
 *                     [--open-runs 5] [--replay 1M] [--replay-runs 3] [--batch 10000]
 *                     [--engines helios,sqlite] [--no-regular] [--no-nab] [--no-queries] [--no-policies]
 *                     [--no-identity] [--no-plant] [--plant-sizes 500k,5M]
 *
 * Then runs the query benchmark (bench/query-bench.js) on the same sizes, unless --no-queries, and
 * the retention/downsampling benchmark (bench/policy-bench.js) at the largest size, unless --no-policies,
 * and the row identity benchmark (bench/identity-bench.js: append ingest without tags, UPDATE of
 * 10,000 rows in a table of the largest size), unless --no-identity, and last the plant benchmark
 * (bench/plant-bench.js: issue #13's workload at --plant-sizes, default 500k and 5M), unless --no-plant.
 */

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { runChild, killActiveChild, attempt } = require('./child-runner');
const { median } = require('./measure');
const { parseCount, tryCommand, describeMachine: machineOf, heliosAvailability } = require('./common');
const { formatReport, evaluateTargets } = require('./report');

const DATA_ROOT = path.join(__dirname, '.data');
const CHILD = path.join(__dirname, 'child.js');

function parseArgs(argv) {
  const opts = {
    sizes: [1e6, 1e7],
    single: 200_000,
    singleSeconds: 60,
    openRuns: 5,
    replay: 1e6,
    replayRuns: 3,
    batch: 10_000,
    engines: ['helios', 'sqlite'],
    regular: true,
    nab: true,
    queries: true,
    policies: true,
    identity: true,
    plant: true,
    plantSizes: [5e5, 5e6],
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${arg} needs a value`);
      return argv[++i];
    };
    if (arg === '--quick') opts.sizes = [1e6];
    else if (arg === '--sizes') opts.sizes = value().split(',').map(parseCount);
    else if (arg === '--single') opts.single = parseCount(value());
    else if (arg === '--single-seconds') opts.singleSeconds = Number(value());
    else if (arg === '--open-runs') opts.openRuns = parseCount(value());
    else if (arg === '--replay') opts.replay = parseCount(value());
    else if (arg === '--replay-runs') opts.replayRuns = parseCount(value());
    else if (arg === '--batch') opts.batch = parseCount(value());
    else if (arg === '--engines') opts.engines = value().split(',');
    else if (arg === '--no-regular') opts.regular = false;
    else if (arg === '--no-nab') opts.nab = false;
    else if (arg === '--no-queries') opts.queries = false;
    else if (arg === '--no-policies') opts.policies = false;
    else if (arg === '--no-identity') opts.identity = false;
    else if (arg === '--no-plant') opts.plant = false;
    else if (arg === '--plant-sizes') opts.plantSizes = value().split(',').map(parseCount);
    else throw new Error(`unknown option ${arg}`);
  }
  return opts;
}

function describeMachine() {
  return machineOf(DATA_ROOT);
}

/** The commit the engine was built from, and whether engine/ had uncommitted changes (read-only git). */
function engineRevision() {
  const root = path.join(__dirname, '..');
  const commit = tryCommand('git', ['-C', root, 'rev-parse', '--short', 'HEAD']);
  const changes = tryCommand('git', ['-C', root, 'status', '--porcelain', '--', 'engine']);
  return { commit, engineDirty: changes === null ? null : changes.length > 0 };
}

function freshDir(runDir, name) {
  const dir = path.join(runDir, name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

async function coldOpens(engine, dir, runs) {
  const samples = [];
  for (let i = 0; i < runs; i++) samples.push(await runChild(CHILD, { engine, op: 'coldOpen', dir }));
  return {
    runsMs: samples.map((s) => s.openMs),
    medianMs: median(samples.map((s) => s.openMs)),
    last: samples.at(-1),
  };
}

async function measureIngest(opts, runDir, engines) {
  const rows = [];
  const variants = opts.regular ? ['jittered', 'regular'] : ['jittered'];
  for (const readings of opts.sizes) {
    for (const variant of variants) {
      for (const engine of engines) {
        const label = `${engine} ingest ${readings.toLocaleString('en-US')} ${variant}`;
        const dir = freshDir(runDir, `${engine}-${variant}-${readings}`);
        const task = {
          engine,
          op: 'ingest',
          dir,
          readings,
          batchSize: opts.batch,
          regular: variant === 'regular',
        };
        const row = { engine, readings, variant, ...(await attempt(label, () => runChild(CHILD, task))) };
        if (variant === 'jittered' && !row.error && opts.openRuns > 0) {
          row.coldOpen = await attempt(`${engine} cold open x${opts.openRuns}`, () =>
            coldOpens(engine, dir, opts.openRuns),
          );
        }
        fs.rmSync(dir, { recursive: true, force: true });
        rows.push(row);
      }
    }
    const task = { engine: 'harness', op: 'ingest', readings, batchSize: opts.batch, regular: false };
    const label = `harness alone ${readings.toLocaleString('en-US')}`;
    rows.push({
      engine: 'harness',
      readings,
      variant: 'jittered',
      ...(await attempt(label, () => runChild(CHILD, task))),
    });
  }
  return rows;
}

async function measureOnePerCall(opts, runDir, engines) {
  const out = {};
  for (const engine of engines) {
    const dir = freshDir(runDir, `${engine}-single`);
    const task = { engine, op: 'onePerCall', dir, readings: opts.single, maxSeconds: opts.singleSeconds };
    out[engine] = await attempt(`${engine} one write per reading`, () => runChild(CHILD, task));
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

/** Helios only: `replay` unflushed readings, SIGKILL, then time `open` (replay) in fresh processes. */
async function measureWalReplay(opts, runDir) {
  const dir = freshDir(runDir, 'helios-replay');
  const fillTask = {
    engine: 'helios',
    op: 'fillUnflushed',
    dir,
    readings: opts.replay,
    batchSize: opts.batch,
  };
  const fill = await attempt(`helios fill ${opts.replay.toLocaleString('en-US')} unflushed, SIGKILL`, () =>
    runChild(CHILD, fillTask, 'ready'),
  );
  if (fill.error) return { readings: opts.replay, fill };
  const runs = [];
  for (let i = 0; i < opts.replayRuns; i++) {
    const task = { engine: 'helios', op: 'coldOpen', dir, unflushed: true, holdOpen: true };
    runs.push(await attempt(`helios replay open #${i + 1}, SIGKILL`, () => runChild(CHILD, task, 'result')));
  }
  fs.rmSync(dir, { recursive: true, force: true });
  const ok = runs.filter((r) => !r.error);
  return {
    readings: opts.replay,
    fill,
    runs,
    medianMs: ok.length ? median(ok.map((r) => r.openMs)) : null,
  };
}

async function measureNab(runDir, engines) {
  const out = {};
  for (const engine of engines) {
    const dir = freshDir(runDir, `${engine}-nab`);
    out[engine] = await attempt(`${engine} NAB fixtures`, () =>
      runChild(CHILD, { engine, op: 'nabSize', dir }),
    );
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

/** The query benchmark in its own process, on the same sizes; its exit code becomes ours. */
/** Runs another benchmark command in a child process, its output inline. */
function runBenchScript(title, script, args) {
  process.stderr.write(`\n${title} (bench/${script}):\n`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(__dirname, script), ...args], { stdio: 'inherit' });
    child.on('exit', (code, signal) => {
      if (code !== 0) process.exitCode = code ?? 1;
      if (signal) process.stderr.write(`${script} ended by ${signal}\n`);
      resolve();
    });
  });
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  fs.mkdirSync(DATA_ROOT, { recursive: true });
  const runDir = fs.mkdtempSync(path.join(DATA_ROOT, 'run-'));
  const cleanup = () => fs.rmSync(runDir, { recursive: true, force: true });
  process.on('SIGINT', () => {
    killActiveChild();
    cleanup();
    process.exit(130);
  });
  const helios = heliosAvailability();
  const engines = opts.engines.filter((e) => e !== 'helios' || helios.available);
  if (!helios.available) process.stderr.write(`Helios skipped: ${helios.reason}\n`);
  const results = {
    startedAt: new Date().toISOString(),
    command: `node bench/run.js ${process.argv.slice(2).join(' ')}`.trim(),
    machine: describeMachine(),
    options: opts,
    helios: { ...helios, ...engineRevision() },
    loadAverage: { start: os.loadavg() },
  };
  try {
    results.ingest = await measureIngest(opts, runDir, engines);
    results.onePerCall = opts.single > 0 ? await measureOnePerCall(opts, runDir, engines) : {};
    results.walReplay =
      engines.includes('helios') && opts.replay > 0 ? await measureWalReplay(opts, runDir) : null;
    results.nab = opts.nab ? await measureNab(runDir, engines) : {};
  } finally {
    cleanup();
  }
  results.finishedAt = new Date().toISOString();
  results.loadAverage.end = os.loadavg();
  results.targets = evaluateTargets(results);
  const stamp = results.startedAt.replace(/[:.]/g, '-');
  const json = JSON.stringify(results, null, 2);
  fs.writeFileSync(path.join(DATA_ROOT, `results-${stamp}.json`), json);
  fs.writeFileSync(path.join(DATA_ROOT, 'latest.json'), json);
  process.stdout.write(formatReport(results));
  process.stderr.write(`\nJSON: bench/.data/results-${stamp}.json (and bench/.data/latest.json)\n`);
  if (opts.queries)
    await runBenchScript('Query benchmark', 'query-bench.js', ['--sizes', opts.sizes.join(',')]);
  if (opts.policies) {
    const largest = Math.max(...opts.sizes);
    await runBenchScript('Retention and downsampling', 'policy-bench.js', ['--readings', String(largest)]);
  }
  if (opts.identity) {
    const largest = Math.max(...opts.sizes);
    await runBenchScript('Row identity', 'identity-bench.js', ['--rows', String(largest)]);
  }
  if (opts.plant) {
    await runBenchScript('Plant workload', 'plant-bench.js', ['--sizes', opts.plantSizes.join(',')]);
  }
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
