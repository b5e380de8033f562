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
const { IngestMeter } = require('./measure');
const { measureQuery } = require('./query-measure');

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
