// Issue #16: memory stays flat while 1,000 registers are polled at 10 Hz with faults injected (unit 7
// never answers, unit 3 answers after its timeout every 5 s, the server is stopped and started again),
// and the other units keep being read. The poll runs in a child process with --expose-gc (the test
// runner's heap would add its own garbage); the heap is sampled after a forced GC. CI runs 60 s
// (a restart every 15 s, a sample every 5 s); HELIOS_SOAK_LONG=1 runs the 10 minutes.
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const path = require('node:path');

const LONG = process.env.HELIOS_SOAK_LONG === '1';
const SECONDS = LONG ? 600 : 60;
const SAMPLE_MS = LONG ? 10_000 : 5_000;
const RESTART_MS = LONG ? 30_000 : 15_000;
/** samples taken before the heap counts as warm (the database's head, caches and the JIT fill up) */
const WARM_UP_MS = 20_000;
/** MiB the heap after GC may grow past its warm level: a leak of one poll's readings (~1,000 values
 * of ~100 bytes) per second would pass it within the short run */
const GROWTH_BOUND_MIB = 4;

describe(`Modbus soak: ${SECONDS} s of polling with faults (HELIOS_SOAK_LONG=1: 10 min)`, function () {
  this.timeout((SECONDS + 120) * 1000);

  it('the heap after GC stays within a bound of its warm level, and the live units keep their values', async () => {
    const child = path.join(__dirname, 'support', 'modbus-soak-child.js');
    const out = await new Promise((resolve, reject) =>
      execFile(
        process.execPath,
        ['--expose-gc', child, String(SECONDS), String(SAMPLE_MS), String(RESTART_MS)],
        { maxBuffer: 1 << 24 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      ),
    );
    const r = JSON.parse(out.trim().split('\n').pop());
    const warm = r.heap.slice(Math.ceil(WARM_UP_MS / SAMPLE_MS));
    assert.ok(warm.length >= 6, `${r.heap.length} heap samples`);
    const base = Math.min(...warm.slice(0, 2));
    const most = Math.max(...warm);
    assert.ok(
      most - base <= GROWTH_BOUND_MIB,
      `heap after GC grew from ${base.toFixed(1)} to ${most.toFixed(1)} MiB: ${r.heap.map((h) => h.toFixed(1)).join(' ')}`,
    );
    // the faults happened: the server went away and came back, late replies were dropped
    const restarts = Math.floor((SECONDS * 1000 - 100) / RESTART_MS);
    assert.ok(r.connects >= restarts + 1, `${r.connects} connects for ${restarts} restarts`);
    assert.ok(r.lateReplies >= 1, 'late replies dropped');
    assert.equal(r.byUnit['7'] ?? 0, 0, 'the dead unit gave nothing');
    // every other unit kept being read: none fell under a tenth of the best one's values
    const live = ['1', '2', '3', '4', '5', '6', '8', '9', '10'];
    const best = Math.max(...live.map((u) => r.byUnit[u] ?? 0));
    for (const unit of live)
      assert.ok(r.byUnit[unit] >= best / 10, `unit ${unit}: ${r.byUnit[unit]} of ${best}`);
    console.log(
      `      heap after GC (MiB): ${r.heap.map((h) => h.toFixed(1)).join(' ')}; connects ${r.connects}, late replies ${r.lateReplies}, polls/s ${r.pollsPerSecond.toFixed(2)}, values per unit ${JSON.stringify(r.byUnit)}`,
    );
  });
});
