#!/usr/bin/env node
// `npm start`: Node-RED on http://127.0.0.1:1880 with this package installed and the demo flow
// (scripts/demo-flow.json) deployed. Everything it writes lives in .demo-data/ (git-ignored);
// delete that folder to start again. HELIOS_DEMO_PORT chooses another port. A simulated PLC
// (three Modbus units behind 127.0.0.1:5020, test/support/modbus-plc.js) runs beside it, so the
// manufacturing-line example answers once imported.
const path = require('node:path');
const { startPlc } = require('../test/support/modbus-plc');
const { prepareUserDir, startNodeRed } = require('./node-red-runner');

const userDir = path.join(__dirname, '..', '.demo-data');
const port = Number(process.env.HELIOS_DEMO_PORT ?? 1880);

async function main() {
  const plc = await startPlc({ port: 5020 }).catch((err) => {
    console.warn(`The simulated PLC could not start on 127.0.0.1:5020 (${err.message}); the demo runs without it.`);
    return null;
  });
  if (plc) console.log('Simulated PLC (Modbus units 1-3) on 127.0.0.1:5020: import the manufacturing-line example.');
  prepareUserDir(userDir, { flows: require('./demo-flow.json'), keepFlows: true });
  const runtime = await startNodeRed(userDir, { port, inherit: true });
  console.log(`\nHelios demo: open ${runtime.url} and the debug sidebar. Data in ${userDir}. Ctrl-C stops.\n`);
  const stop = async () => {
    process.exitCode = (await runtime.stop()) ?? 0;
    await plc?.close();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  runtime.child.once('exit', (code) => {
    process.exitCode = code ?? 0;
    plc?.close();
  });
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
