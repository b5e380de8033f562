// Runs a real Node-RED (the CLI, red.js) with this package installed in a user directory: used by
// `npm start` (the demo), the packaging test and the Node-RED benchmark.
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');

const PACKAGE_ROOT = path.join(__dirname, '..');
const PACKAGE_NAME = require('../package.json').name;

/**
 * Makes `userDir` a Node-RED user directory with this package linked into its node_modules (as
 * `npm install <path>` would), a settings file, and `flows` written as flows.json (when given and,
 * with keepFlows, only when there is none yet).
 */
function prepareUserDir(userDir, { flows, keepFlows = false, settings = {} } = {}) {
  const link = path.join(userDir, 'node_modules', ...PACKAGE_NAME.split('/'));
  fs.mkdirSync(path.dirname(link), { recursive: true });
  fs.rmSync(link, { recursive: true, force: true });
  fs.symlinkSync(PACKAGE_ROOT, link, 'dir');
  fs.writeFileSync(
    path.join(userDir, 'package.json'),
    JSON.stringify({ name: 'helios-node-red-user', private: true, dependencies: { [PACKAGE_NAME]: `file:${PACKAGE_ROOT}` } }, null, 2),
  );
  const all = {
    flowFile: 'flows.json',
    credentialSecret: false,
    uiHost: '127.0.0.1',
    diagnostics: { enabled: false, ui: false },
    telemetry: { enabled: false, updateNotification: false },
    editorTheme: { tours: false, projects: { enabled: false } },
    externalModules: { palette: { allowInstall: false } },
    logging: { console: { level: 'info', metrics: false, audit: false } },
    ...settings,
  };
  fs.writeFileSync(path.join(userDir, 'settings.js'), `module.exports = ${JSON.stringify(all, null, 2)};\n`);
  const flowFile = path.join(userDir, 'flows.json');
  if (flows && !(keepFlows && fs.existsSync(flowFile))) {
    fs.writeFileSync(flowFile, JSON.stringify(flows, null, 2));
  }
}

/**
 * Starts Node-RED on `host:port` (port 0: any free port) for `userDir`. Resolves with
 * { url, child, log, stop } once it listens. `nodeRedDir` (default: $HELIOS_NODE_RED_DIR, else the
 * devDependency) and `nodeBinary` (default: this Node.js) choose another Node-RED and Node.js, as the
 * Node-RED 5 / Node 24 CI line does. `inherit` passes its output through.
 */
function startNodeRed(userDir, { port = 0, host = '127.0.0.1', nodeRedDir, nodeBinary, inherit = false } = {}) {
  const dir = nodeRedDir ?? process.env.HELIOS_NODE_RED_DIR ?? path.dirname(require.resolve('node-red/package.json'));
  const red = path.join(dir, 'red.js');
  const child = spawn(
    nodeBinary ?? process.execPath,
    [red, '--userDir', userDir, '--settings', path.join(userDir, 'settings.js'), '--port', String(port)],
    { cwd: userDir, env: { ...process.env, NODE_RED_HOST: host }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const log = [];
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve(child.exitCode);
      child.once('exit', resolve);
      child.kill('SIGINT');
    });
  return new Promise((resolve, reject) => {
    let buffer = '';
    const onData = (chunk) => {
      const text = chunk.toString();
      if (inherit) process.stdout.write(text);
      buffer += text;
      const lines = buffer.split('\n');
      buffer = lines.pop();
      for (const line of lines) {
        log.push(line);
        const m = /Server now running at (http:\/\/\S+?)\/?$/.exec(line.trim());
        if (m) resolve({ url: m[1].replace('://localhost', '://127.0.0.1'), child, log, stop });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`Node-RED exited with ${code} before listening:\n${log.join('\n')}`)));
  });
}

module.exports = { prepareUserDir, startNodeRed, PACKAGE_NAME, PACKAGE_ROOT };
