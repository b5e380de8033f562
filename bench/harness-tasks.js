/**
 * The harness alone: makes the same readings as the Helios side and drops them, with no engine. Its
 * peak RSS and CPU time are the part of each engine's figures that is Node plus the benchmark itself.
 */

const { Workload, toReadings } = require('./workload');
const { peakRssBytes, now } = require('./measure');

async function ingest({ readings, batchSize, regular }) {
  const workload = new Workload({ regular });
  const cpu0 = process.cpuUsage();
  const t0 = now();
  let made = 0;
  for (let done = 0; done < readings; done += batchSize) {
    made += toReadings(workload.nextBatch(Math.min(batchSize, readings - done)), workload.sensors).length;
    await new Promise(setImmediate);
  }
  const cpu = process.cpuUsage(cpu0);
  return {
    readings: made,
    generateMs: now() - t0,
    cpuMs: (cpu.user + cpu.system) / 1000,
    peakRssBytes: peakRssBytes(),
  };
}

module.exports = { ingest };
