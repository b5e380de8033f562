// Fault tests' child processes: runs `script` with `args`, and once it prints "open" (its database
// is open), or once it has printed `afterAcks` lines starting "ack " (so that a loaded machine
// still lets it get some work done), SIGKILLs it after `killAfterMs`. Resolves with its stdout lines and how it ended; a
// child that ends otherwise with an error rejects, with its stderr.
const { spawn } = require('node:child_process');

function runKilledAfterOpen(script, args, killAfterMs, { mayFinish = false, afterAcks = 0 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args.map(String)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      const before = marks(out, afterAcks);
      if (!before && marks(out + d, afterAcks)) setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('exit', (code, signal) => {
      const killed = signal === 'SIGKILL';
      if (!killed && !(mayFinish && code === 0)) {
        reject(new Error(`${script} exited with ${code}: ${err}`));
        return;
      }
      resolve({ lines: out.split('\n'), killed });
    });
  });
}

/** Whether `out` shows the open (and `acks` acknowledgements, when asked for). */
function marks(out, acks) {
  if (!out.includes('open\n')) return false;
  return acks === 0 || out.split('\nack ').length - 1 >= acks;
}

module.exports = { runKilledAfterOpen };
