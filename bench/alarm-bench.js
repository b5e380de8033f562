#!/usr/bin/env node
/**
 * helios-alarm's speed (issue #15): from a reading arriving at the node's controller to its
 * transition message, p50/p99, with 1,000 rules at 500 readings/s; readings/s through the rules;
 * and the longest event-loop stall at 50,000 readings/s with the journal written to a database.
 * Prints figures only; no assertion (see bench/README.md).
 *
 *   node bench/alarm-bench.js [--rules 1000] [--seconds 10] [--durability batch]
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { monitorEventLoopDelay, performance } = require('node:perf_hooks');
const { AlarmEngine, checkRules, open } = require('../dist/engine');
const { AlarmController } = require('../dist/nodes/lib/alarm/alarm-controller');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : process.argv[i + 1];
}
const RULES = Number(arg('rules', 1000));
const SECONDS = Number(arg('seconds', 10));
const DURABILITY = arg('durability', 'batch');
/** --no-journal: the journal writes go nowhere (to tell the engine's write path from the alarms') */
const JOURNAL = !process.argv.includes('--no-journal');

/** Rule i watches sources PT-i-*, with hh/h/l/ll limits, a deadband and a stale timer. */
function rules(n) {
  const out = [];
  for (let i = 0; i < n; i++) {
    out.push({
      id: `R${i}`,
      match: `PT-${i}-*`,
      limits: {
        hh: { value: 95, priority: 900 },
        h: { value: 80, priority: 600 },
        l: 20,
        ll: { value: 10, priority: 800 },
      },
      deadband: 1,
      stale: { after: '1h' },
    });
  }
  return out;
}

/**
 * Reading k: source PT-(k mod rules)-(k mod 3). With `every` = 2 each round of a source crosses the
 * h limit one way or the other (a transition per reading, the worst case); with `every` = 100 a
 * source alarms in one round of 100 and returns in the next (2% of readings are transitions).
 */
function reading(k, every = 2) {
  const rule = k % RULES;
  const round = Math.floor(k / RULES);
  return { topic: `PT-${rule}-${round % 3}`, payload: round % every === 0 ? 85 : 50 };
}

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

const fakeDb = {
  alarmJournal: () => ({
    prepare: async () => undefined,
    write: async () => undefined,
    readStates: async () => [],
  }),
  schema: () => undefined,
};

async function withController(fn) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'helios-alarm-bench-'));
  const db = await open(dir, { durability: DURABILITY });
  let sent = 0;
  let onSend = null;
  const controller = new AlarmController({
    rules: rules(RULES),
    engine: {},
    table: '',
    repeatEveryMs: 0,
    useDb: JOURNAL ? (f) => f(db) : (f) => f(fakeDb),
    send: (transition) => {
      if (transition) {
        sent++;
        onSend?.();
      }
    },
  });
  await controller.start();
  try {
    return await fn(controller, {
      sent: () => sent,
      onSend: (f) => {
        onSend = f;
      },
    });
  } finally {
    await controller.idle();
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Paced at `rate` readings/s: time from handle() to the transition message, for readings that alarm. */
async function latency(rate) {
  return withController(async (controller, sink) => {
    const latencies = [];
    const decisions = [];
    const cpuTimes = [];
    const total = rate * SECONDS;
    let k = 0;
    const started = performance.now();
    while (k < total) {
      const due = started + (k * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      let t1 = null;
      sink.onSend(() => {
        t1 ??= performance.now();
      });
      const done = controller.handle(reading(k++));
      const decided = performance.now();
      const cpu = process.cpuUsage(cpu0);
      if (t1 !== null) {
        latencies.push(t1 - t0);
        cpuTimes.push((cpu.user + cpu.system) / 1000);
      }
      decisions.push(decided - t0);
      await done;
    }
    latencies.sort((a, b) => a - b);
    decisions.sort((a, b) => a - b);
    cpuTimes.sort((a, b) => a - b);
    return {
      readings: total,
      transitions: latencies.length,
      p50: quantile(latencies, 0.5),
      p99: quantile(latencies, 0.99),
      max: latencies.at(-1),
      allP99: quantile(decisions, 0.99),
      cpuP50: quantile(cpuTimes, 0.5),
      cpuP99: quantile(cpuTimes, 0.99),
    };
  });
}

/** Readings/s through the rules: the engine alone, then the controller with its journal. */
function engineThroughput(every) {
  const engine = new AlarmEngine(checkRules(rules(RULES)));
  const n = 1_000_000;
  const t0 = performance.now();
  let events = 0;
  for (let k = 0; k < n; k++) {
    const r = reading(k, every);
    events += engine.reading({ source: r.topic, time: k, fields: { value: r.payload } }, k).events.length;
  }
  const s = (performance.now() - t0) / 1000;
  return { readings: n, events, perSecond: n / s };
}

async function controllerThroughput() {
  return withController(async (controller, sink) => {
    const n = 200_000;
    const t0 = performance.now();
    const pending = [];
    for (let k = 0; k < n; k++) {
      pending.push(controller.handle(reading(k, 100)));
      if (pending.length === 1000) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
    const s = (performance.now() - t0) / 1000;
    return { readings: n, transitions: sink.sent(), perSecond: n / s };
  });
}

/** 50,000 readings/s in batches every 10 ms, journal on: the event loop's longest stall. */
async function stall(rate) {
  return withController(async (controller, sink) => {
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    const perTick = rate / 100;
    let k = 0;
    const started = performance.now();
    let longest = 0;
    let coldLongest = 0;
    let coldLoop = 0;
    let warm = false;
    while (performance.now() - started < SECONDS * 1000) {
      // the first second meets every source for the first time and runs unoptimised code
      if (!warm && performance.now() - started > 1000) {
        warm = true;
        coldLoop = h.max / 1e6;
        coldLongest = longest;
        longest = 0;
        h.reset();
      }
      const t0 = performance.now();
      const batch = [];
      for (let i = 0; i < perTick; i++) batch.push(controller.handle(reading(k++, 100)));
      longest = Math.max(longest, performance.now() - t0);
      await new Promise((r) => setTimeout(r, 10));
      await Promise.all(batch);
    }
    h.disable();
    const seconds = (performance.now() - started) / 1000;
    return {
      readings: k,
      perSecond: k / seconds,
      transitions: sink.sent(),
      maxLoopDelayMs: h.max / 1e6,
      longestBatchMs: longest,
      coldLoopDelayMs: coldLoop,
      coldBatchMs: coldLongest,
    };
  });
}

async function main() {
  const f = (x, d = 3) => x.toFixed(d);
  console.log(
    `helios-alarm bench: ${RULES} rules, ${SECONDS} s runs, durability ${DURABILITY}${JOURNAL ? '' : ' (journal off)'}, node ${process.version}, ` +
      `${os.cpus().length} x ${os.cpus()[0]?.model}, load average ${os.loadavg()[0].toFixed(1)}`,
  );
  const lat = await latency(500);
  console.log(
    `latency reading -> transition message at 500 readings/s: p50 ${f(lat.p50)} ms, p99 ${f(lat.p99)} ms, max ${f(lat.max)} ms ` +
      `(${lat.transitions} transitions of ${lat.readings} readings)`,
  );
  console.log(`  every reading decided (alarm or not): p99 ${f(lat.allP99)} ms`);
  console.log(
    `  CPU time of the process over the same stretch (wall time minus being descheduled): ` +
      `p50 ${f(lat.cpuP50)} ms, p99 ${f(lat.cpuP99)} ms`,
  );
  for (const every of [2, 100]) {
    const eng = engineThroughput(every);
    console.log(
      `engine alone, ${every === 2 ? 'every reading a transition' : '2% transitions'}: ` +
        `${Math.round(eng.perSecond).toLocaleString('en')} readings/s (${eng.readings} readings, ${eng.events} events)`,
    );
  }
  const ctl = await controllerThroughput();
  console.log(
    `controller with journal, 2% transitions: ${Math.round(ctl.perSecond).toLocaleString('en')} readings/s (${ctl.readings} readings, ${ctl.transitions} transitions)`,
  );
  const st = await stall(50_000);
  console.log(
    `at 50,000 readings/s asked (${Math.round(st.perSecond).toLocaleString('en')}/s done, ${st.transitions} transitions): ` +
      `after the first second, longest event-loop delay ${f(st.maxLoopDelayMs, 1)} ms, longest batch of 500 ` +
      `${f(st.longestBatchMs, 1)} ms; in the first second (every source new, code cold) ${f(st.coldLoopDelayMs, 1)} ms ` +
      `and ${f(st.coldBatchMs, 1)} ms`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
