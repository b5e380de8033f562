/**
 * The query benchmark (issue 3): Helios against SQLite (typical and compact WITHOUT ROWID schemas)
 * and DuckDB on the same generated data, every engine in its own child process (query-child.js),
 * one at a time. Prints Markdown tables (p50/p99 per engine, Helios / fastest peer, PASS/MISS) and
 * writes the raw numbers to bench/.data/query-results-<time>.json (and query-latest.json).
 *
 *   node bench/query-bench.js [--quick] [--sizes 1M,10M] [--engines helios,helios-head,sqlite,...]
 *                             [--runs 100] [--warmups 200] [--min-runs 5] [--budget-seconds 20]
 *                             [--only recent-machine,...] [--batch 10000]
 *   node bench/query-bench.js --report bench/.data/query-latest.json   (print a saved run again)
 */

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { runChild, killActiveChild } = require('./child-runner');
const { duckdbAvailability, freshDir } = require('./query-engines');
const { parseCount, describeMachine: machineOf, heliosAvailability } = require('./common');
const { formatQueryReport, compareResults, evaluateQueryTargets } = require('./query-report');

const DATA_ROOT = path.join(__dirname, '.data');
const CHILD = path.join(__dirname, 'query-child.js');
const ALL_ENGINES = ['helios', 'helios-head', 'sqlite', 'sqlite-compact', 'duckdb'];

function parseArgs(argv) {
  const opts = {
    sizes: [1e6, 1e7],
    engines: ALL_ENGINES,
    runs: 100,
    warmups: 200,
    minRuns: 5,
    budgetSeconds: 20,
    batch: 10_000,
    only: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${arg} needs a value`);
      return argv[++i];
    };
    if (arg === '--quick') opts.sizes = [1e6];
    else if (arg === '--sizes') opts.sizes = value().split(',').map(parseCount);
    else if (arg === '--engines') opts.engines = value().split(',');
    else if (arg === '--runs') opts.runs = parseCount(value());
    else if (arg === '--warmups') opts.warmups = parseCount(value());
    else if (arg === '--min-runs') opts.minRuns = parseCount(value());
    else if (arg === '--budget-seconds') opts.budgetSeconds = Number(value());
    else if (arg === '--batch') opts.batch = parseCount(value());
    else if (arg === '--only') opts.only = value().split(',');
    else throw new Error(`unknown option ${arg}`);
  }
  for (const engine of opts.engines) {
    if (!ALL_ENGINES.includes(engine))
      throw new Error(`unknown engine ${engine} (${ALL_ENGINES.join(', ')})`);
  }
  return opts;
}

function describeMachine(duckdb) {
  return { ...machineOf(), duckdbNodeApi: duckdb.available ? duckdb.version : null };
}

/** Engines that can run here; prints one line for each that cannot, and why. */
function availableEngines(opts, helios, duckdb) {
  return opts.engines.filter((engine) => {
    if (engine.startsWith('helios') && !helios.available) {
      process.stderr.write(`${engine} skipped: ${helios.reason}\n`);
      return false;
    }
    if (engine === 'duckdb' && !duckdb.available) {
      process.stderr.write(
        'DuckDB skipped: @duckdb/node-api is not installed (npm install --no-save @duckdb/node-api)\n',
      );
      return false;
    }
    return true;
  });
}

async function measureSize(opts, runDir, engines, readings) {
  const results = {};
  for (const engine of engines) {
    const dir = path.join(runDir, `${engine}-${readings}`);
    freshDir(dir);
    const task = {
      engine,
      dir,
      readings,
      batchSize: opts.batch,
      warmups: opts.warmups,
      runs: opts.runs,
      minRuns: opts.minRuns,
      budgetMs: opts.budgetSeconds * 1000,
      only: opts.only,
    };
    const t0 = Date.now();
    process.stderr.write(`  ${engine} ${readings.toLocaleString('en-US')} readings: load + queries ... `);
    try {
      results[engine] = await runChild(CHILD, task);
      process.stderr.write(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    } catch (err) {
      process.stderr.write(`FAILED\n${err.message}\n`);
      results[engine] = { error: err.message };
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const comparison = compareResults(results);
  for (const result of Object.values(results)) for (const q of result.queries ?? []) delete q.full;
  return { readings, engines: results, comparison };
}

async function main() {
  const reportAt = process.argv.indexOf('--report');
  if (reportAt >= 0) {
    const saved = JSON.parse(fs.readFileSync(process.argv[reportAt + 1], 'utf8'));
    process.stdout.write(formatQueryReport(saved));
    return;
  }
  const opts = parseArgs(process.argv.slice(2));
  fs.mkdirSync(DATA_ROOT, { recursive: true });
  const runDir = fs.mkdtempSync(path.join(DATA_ROOT, 'query-run-'));
  const cleanup = () => fs.rmSync(runDir, { recursive: true, force: true });
  process.on('SIGINT', () => {
    killActiveChild();
    cleanup();
    process.exit(130);
  });
  const helios = heliosAvailability();
  const duckdb = duckdbAvailability();
  const engines = availableEngines(opts, helios, duckdb);
  const results = {
    startedAt: new Date().toISOString(),
    command: `node bench/query-bench.js ${process.argv.slice(2).join(' ')}`.trim(),
    machine: describeMachine(duckdb),
    options: opts,
    skipped: opts.engines.filter((e) => !engines.includes(e)),
    loadAverage: { start: os.loadavg() },
    sizes: [],
  };
  try {
    for (const readings of opts.sizes) results.sizes.push(await measureSize(opts, runDir, engines, readings));
  } finally {
    cleanup();
  }
  results.finishedAt = new Date().toISOString();
  results.loadAverage.end = os.loadavg();
  results.targets = evaluateQueryTargets(results);
  const stamp = results.startedAt.replace(/[:.]/g, '-');
  const json = JSON.stringify(results, null, 2);
  fs.writeFileSync(path.join(DATA_ROOT, `query-results-${stamp}.json`), json);
  fs.writeFileSync(path.join(DATA_ROOT, 'query-latest.json'), json);
  process.stdout.write(formatQueryReport(results));
  process.stderr.write(
    `\nJSON: bench/.data/query-results-${stamp}.json (and bench/.data/query-latest.json)\n`,
  );
  if (results.sizes.some((s) => s.comparison.mismatches.length > 0)) process.exitCode = 2;
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`${err.stack ?? err}\n`);
    process.exit(1);
  });
}

module.exports = { parseArgs };
