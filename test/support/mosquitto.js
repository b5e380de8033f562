// A real Mosquitto broker for the sync tests, on a free loopback port, stopped by its PID.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const MOSQUITTO = process.env.MOSQUITTO ?? '/usr/sbin/mosquitto';

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

function waitForPort(port, timeoutMs = 5000) {
  const until = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const c = net.connect(port, '127.0.0.1');
      c.on('connect', () => {
        c.destroy();
        resolve();
      });
      c.on('error', () => {
        if (Date.now() > until) reject(new Error(`mosquitto did not listen on ${port}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

/**
 * Starts mosquitto on `port` (a free one when omitted), listening on 127.0.0.1 and on `hosts`
 * (more addresses, e.g. a veth's); resolves { port, url, stop, restart }.
 */
async function startBroker(port, hosts = []) {
  port = port ?? (await freePort());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'helios-mosq-'));
  const conf = path.join(dir, 'mosquitto.conf');
  fs.writeFileSync(
    conf,
    `${['127.0.0.1', ...hosts].map((h) => `listener ${port} ${h}\n`).join('')}` +
      'allow_anonymous true\npersistence false\nmax_queued_messages 10000\n',
  );
  let child = null;
  const launch = async () => {
    child = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.resume();
    await waitForPort(port);
  };
  await launch();
  const broker = {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    get pid() {
      return child?.pid;
    },
    /** SIGKILL by PID (a broker that dies), resolves when it is gone */
    stop() {
      const c = child;
      child = null;
      if (!c || c.exitCode !== null) return Promise.resolve();
      return new Promise((resolve) => {
        c.once('exit', () => resolve());
        process.kill(c.pid, 'SIGKILL');
      });
    },
    restart: launch,
    async close() {
      await broker.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return broker;
}

module.exports = { startBroker, freePort };
