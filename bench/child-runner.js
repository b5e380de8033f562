/**
 * Every measurement runs in a fresh child process (so /proc/self/io, peak RSS and cold start belong
 * to one engine alone): `runChild` forks one, `attempt` turns a failure into `{ error }` so that one
 * broken measurement spares the rest. Shared by bench/run.js, query-bench.js and plant-bench.js.
 */
const { fork } = require('node:child_process');

const CHILD_TIMEOUT_MS = 60 * 60 * 1000;

/** The measurement child running now, killed if the run is interrupted (killActiveChild). */
let activeChild = null;

/**
 * Runs `task` in a fresh `childPath` and resolves with its 'result' message. `killOn` ('ready' or
 * 'result'): SIGKILL the child as soon as it sends that message (a simulated crash), and resolve
 * with the message's payload.
 */
function runChild(childPath, task, killOn = null) {
  return new Promise((resolve, reject) => {
    const child = fork(childPath, [JSON.stringify(task)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    activeChild = child;
    let outcome = null;
    const timer = setTimeout(() => {
      outcome ??= { error: `timed out after ${CHILD_TIMEOUT_MS / 60000} min` };
      child.kill('SIGKILL');
    }, CHILD_TIMEOUT_MS);
    child.on('message', (message) => {
      if (message.type === 'error') outcome = { error: message.message };
      else if (message.type === killOn) {
        outcome = { value: message.info ?? message.result };
        child.kill('SIGKILL');
      } else if (message.type === 'result') outcome = { value: message.result };
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      activeChild = null;
      if (outcome && 'value' in outcome) resolve(outcome.value);
      else {
        const what = [task.engine, task.op].filter(Boolean).join('.');
        reject(new Error(`${what}: ${outcome?.error ?? `exited with ${code ?? signal}`}`));
      }
    });
  });
}

function killActiveChild() {
  activeChild?.kill('SIGKILL');
}

/** Runs `fn`, turning a failure into `{ error }` so that one broken measurement spares the rest. */
async function attempt(label, fn) {
  const t0 = Date.now();
  process.stderr.write(`  ${label} ... `);
  try {
    const value = await fn();
    process.stderr.write(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    return value;
  } catch (err) {
    process.stderr.write(`FAILED\n${err.message}\n`);
    return { error: err.message };
  }
}

module.exports = { runChild, attempt, killActiveChild };
