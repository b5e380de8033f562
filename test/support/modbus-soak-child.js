// Runs bench/modbus-bench.js's soak (1,000 registers at 10 Hz, unit 7 dead, unit 3 late every 5 s,
// the server restarted) for argv[2] seconds and prints its figures as one JSON line. Run with
// node --expose-gc: the heap is sampled after a forced GC.
const { soak } = require('../../bench/modbus-bench');

const [seconds, sampleMs, restartMs] = process.argv.slice(2).map(Number);
if (!global.gc) throw new Error('run with node --expose-gc');
soak(seconds, { sampleMs, restartMs }).then(
  (r) => {
    process.stdout.write(`${JSON.stringify({ ...r, byUnit: Object.fromEntries(r.byUnit) })}\n`);
    process.exit(0);
  },
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
