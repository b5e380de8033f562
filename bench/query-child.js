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
const { measureQuery } = require('./query-measure');

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
