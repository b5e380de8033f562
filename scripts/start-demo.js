#!/usr/bin/env node
// `npm start`: Node-RED on http://127.0.0.1:1880 with this package installed and the demo flow
// (scripts/demo-flow.json) deployed. Everything it writes lives in .demo-data/ (git-ignored);
// delete that folder to start again. HELIOS_DEMO_PORT chooses another port.
const path = require('node:path');
const { prepareUserDir, startNodeRed } = require('./node-red-runner');

const userDir = path.join(__dirname, '..', '.demo-data');
const port = Number(process.env.HELIOS_DEMO_PORT ?? 1880);

async function main() {
  prepareUserDir(userDir, { flows: require('./demo-flow.json'), keepFlows: true });
  const runtime = await startNodeRed(userDir, { port, inherit: true });
  console.log(`\nHelios demo: open ${runtime.url} and the debug sidebar. Data in ${userDir}. Ctrl-C stops.\n`);
  const stop = async () => {
    process.exitCode = (await runtime.stop()) ?? 0;
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  runtime.child.once('exit', (code) => {
    process.exitCode = code ?? 0;
  });
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
