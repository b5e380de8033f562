// Fault tests' child processes: runs `script` with `args`, and once it prints "open" (its database
// is open) SIGKILLs it after `killAfterMs`. Resolves with its stdout lines and how it ended; a
// child that ends otherwise with an error rejects, with its stderr.
const { spawn } = require('node:child_process');

function runKilledAfterOpen(script, args, killAfterMs, { mayFinish = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args.map(String)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      if (!out.includes('open\n') && (out + d).includes('open\n'))
        setTimeout(() => child.kill('SIGKILL'), killAfterMs);
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

module.exports = { runKilledAfterOpen };
