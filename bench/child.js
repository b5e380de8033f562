/**
 * One benchmark measurement in its own process, so that /proc/self/io, peak RSS and cold start are
 * this engine's alone. Forked by bench/run.js with the task as JSON in argv[2]; answers over IPC with
 * { type: 'ready' | 'result' | 'error' }. A task that calls `ready` is then killed by the parent.
 */

const TASKS = {
  helios: () => require('./helios-tasks'),
  sqlite: () => require('./sqlite-tasks'),
  harness: () => require('./harness-tasks'),
};

function send(message) {
  return new Promise((resolve) => process.send(message, resolve));
}

async function main() {
  const task = JSON.parse(process.argv[2]);
  const run = TASKS[task.engine]?.()[task.op];
  if (typeof run !== 'function') throw new Error(`unknown task ${task.engine}.${task.op}`);
  const result = await run(task, { ready: (info) => send({ type: 'ready', info }) });
  await send({ type: 'result', result });
  if (!task.holdOpen) process.exit(0);
  setInterval(() => {}, 60_000); // the parent kills this process (simulated crash)
}

main().catch(async (err) => {
  await send({ type: 'error', message: err?.stack ?? String(err) });
  process.exit(1);
});
