/**
 * One query timed as every query benchmark times it (bench/query-child.js, bench/plant-child.js):
 * the first run checksummed, warm-ups, timed runs within a budget, the last result checked against
 * the first.
 */
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
    firstMs: first.ms,
    warmups: warmupsDone,
    samplesMs: samples,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
  };
}

module.exports = { measureQuery, percentile };
