/**
 * One measurement of the plant benchmark in its own process (the pattern of bench/child.js):
 * `ingest` (write the plant workload, close, report) or `queries` (open what an ingest left, time
 * every query of plant-queries.js). Forked by bench/plant-bench.js with the task as JSON in
 * argv[2]; answers over IPC with { type: 'result' | 'error' }.
 *
 * Task: { engine: 'helios' | 'sqlite' | 'duckdb' | 'harness', op: 'ingest' | 'queries', dir,
 *   readings, batchSize, workload (PlantWorkload options), now, warmups, runs, minRuns, budgetMs }.
 */

const { PlantWorkload } = require('./plant-workload');
const { PLANT_QUERIES } = require('./plant-queries');
const { IngestMeter, now: clock } = require('./measure');
const { checksumRows, sameWithinTolerance } = require('./query-checksum');

const ENGINES = {
  helios: () => require('./plant-tasks-helios'),
  sqlite: () => require('./plant-tasks-sqlite'),
  duckdb: () => require('./plant-tasks-duckdb'),
  harness: () => ({ ingest: harnessIngest }),
};

/** The same readings made and dropped: the harness's own share of RSS and CPU. */
async function harnessIngest({ readings, batchSize, workload }) {
  const plant = new PlantWorkload(workload);
  const meter = new IngestMeter();
  const writeMs = await meter.writeLoop(
    readings,
    batchSize,
    (n) => plant.nextBatch(n),
    () => {},
  );
  return meter.result({ readings, requireMs: 0, openMs: 0, writeMs, closeMs: 0, disk: null, stats: null });
}

/** The p-th percentile by nearest rank (p99 of 100 runs is the second slowest). */
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
 * As bench/query-child.js: the first run checksummed, warm-ups (up to `warmups`, within a tenth of
 * the budget), then up to `runs` timed runs, stopping once `budgetMs` is spent (never before
 * `minRuns`); the last result must agree with the first.
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

async function queries(task) {
  const engine = await ENGINES[task.engine]().openForQueries(task);
  const out = [];
  for (const query of PLANT_QUERIES) {
    const spec = query[task.engine];
    try {
      const run = await engine.prepare(spec, query.params({ now: task.now }));
      out.push({ id: query.id, ...(await measureQuery(run, task)) });
    } catch (err) {
      out.push({ id: query.id, error: err?.message ?? String(err) });
    }
  }
  await engine.close();
  return { engine: task.engine, info: engine.info, queries: out };
}

async function main() {
  const task = JSON.parse(process.argv[2]);
  const tasks = ENGINES[task.engine]?.();
  if (!tasks) throw new Error(`unknown engine ${task.engine}`);
  if (task.op === 'queries') return queries(task);
  if (task.op === 'ingest') return tasks.ingest(task);
  throw new Error(`unknown op ${task.op}`);
}

function send(message) {
  return new Promise((resolve) => process.send(message, resolve));
}

main()
  .then(async (result) => {
    await send({ type: 'result', result });
    process.exit(0);
  })
  .catch(async (err) => {
    await send({ type: 'error', message: err?.stack ?? String(err) });
    process.exit(1);
  });
