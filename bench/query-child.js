/**
 * One engine of the query benchmark in its own process (the pattern of bench/child.js): loads the
 * workload into a fresh database, then times every query of query-queries.js. Forked by
 * bench/query-bench.js with the task as JSON in argv[2]; answers over IPC with
 * { type: 'result' | 'error' }.
 *
 * Task: { engine, dir, readings, batchSize, warmups, runs, minRuns, budgetMs, only? }.
 */

const { ENGINES } = require('./query-engines');
const { QUERIES } = require('./query-queries');
const { now: clock } = require('./measure');
const { checksumRows, sameWithinTolerance } = require('./query-checksum');

/** The p-th percentile by nearest rank (p99 of 100 runs is the second slowest; of 30 or fewer, the slowest). */
function percentile(sortedMs, p) {
  const rank = Math.ceil((p / 100) * sortedMs.length);
  return sortedMs[Math.min(sortedMs.length, Math.max(1, rank)) - 1];
}

async function timeOnce(run) {
  const t0 = clock();
  const rows = await run();
  return { ms: clock() - t0, rows };
}

/**
 * Warm-ups (up to `warmups`, within a tenth of the time budget: enough for V8 to have compiled
 * Helios's hot paths, which the native peers do not need), then up to `runs` timed runs; slow
 * queries stop early once `budgetMs` of timed runs is spent (never before `minRuns`). The first
 * and the last results are checksummed: they must agree (within the float tolerance: DuckDB's
 * parallel sums may differ in the last bits from run to run).
 */
async function measureQuery(run, { warmups, runs, minRuns, budgetMs }) {
  const first = await timeOnce(run);
  const result = checksumRows(first.rows);
  let warmupsDone = 1;
  let warmupMs = first.ms;
  while (warmupsDone < warmups && warmupMs < budgetMs / 10) {
    warmupMs += (await timeOnce(run)).ms;
    warmupsDone++;
  }
  const samples = [];
  let spent = 0;
  let last = null;
  while (samples.length < runs && (samples.length < minRuns || spent < budgetMs)) {
    const { ms, rows } = await timeOnce(run);
    samples.push(ms);
    spent += ms;
    last = rows;
  }
  const lastResult = checksumRows(last);
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    ...result,
    stable: lastResult.checksum === result.checksum || sameWithinTolerance(lastResult.full, result.full),
    warmups: warmupsDone,
    samplesMs: samples,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
  };
}

async function main() {
  const task = JSON.parse(process.argv[2]);
  const spec = ENGINES[task.engine];
  if (!spec) throw new Error(`unknown engine ${task.engine}`);
  const engine = await spec.load(task);
  const queries = [];
  for (const query of QUERIES) {
    if (task.only && !task.only.includes(query.id)) continue;
    try {
      const run = await engine.prepare(query[spec.query]);
      queries.push({ id: query.id, ...(await measureQuery(run, task)) });
    } catch (err) {
      queries.push({ id: query.id, error: err?.message ?? String(err) });
    }
  }
  await engine.close();
  return { engine: task.engine, now: engine.now, load: engine.info, queries };
}

function send(message) {
  return new Promise((resolve) => process.send(message, resolve));
}

if (require.main === module) {
  main()
    .then(async (result) => {
      await send({ type: 'result', result });
      process.exit(0);
    })
    .catch(async (err) => {
      await send({ type: 'error', message: err?.stack ?? String(err) });
      process.exit(1);
    });
}

module.exports = { percentile };
