// The Modbus server for bench/modbus-bench.js, in its own process so that its CPU is not counted
// as the client's: the raw-MBAP fault server of the tests, units 1-10 with changing float32 values.
// Prints the port on stdout; commands on stdin (one JSON a line): {"silent": 3}, {"heal": 3},
// {"late": 1, "ms": 300}, {"restart": true}.
const readline = require('node:readline');
const { FaultServer } = require('../test/support/modbus-fault-server');

const UNITS = Array.from({ length: 10 }, (_, i) => i + 1);
let server;

function fill(s) {
  const b = Buffer.alloc(4);
  for (const u of UNITS) {
    const words = [];
    for (let i = 0; i < 250; i++) {
      b.writeFloatBE(20 + u + i / 100);
      words.push(b.readUInt16BE(0), b.readUInt16BE(2));
    }
    s.image(u).set('holding', 0, words);
  }
}

async function start(port = 0) {
  server = new FaultServer({ units: UNITS, port });
  fill(server);
  return server.start();
}

start().then((port) => {
  process.stdout.write(`${port}\n`);
  readline.createInterface({ input: process.stdin }).on('line', async (line) => {
    const cmd = JSON.parse(line);
    if (cmd.silent) server.silent.add(cmd.silent);
    if (cmd.heal) server.silent.delete(cmd.heal);
    if (cmd.late) server.faults.push({ kind: 'late', unit: cmd.late, ms: cmd.ms ?? 300 });
    if (cmd.restart) {
      const { port: p, silent } = server;
      await server.stop();
      await new Promise((r) => setTimeout(r, cmd.downMs ?? 2000));
      await start(p);
      for (const u of silent) server.silent.add(u);
    }
  });
});
