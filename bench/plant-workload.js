/**
 * The plant workload (issue #13): the data a Node-RED gateway on a shop floor really sends, seeded
 * and deterministic (same options, same readings, in every process). bench/workload.js (one float
 * per reading, every sensor once a second) stays as it is; this is the second workload.
 *
 * Table `sensor_readings`; tags `sensor_id`, `sensor_type`, `machine_id`, `line_id`; fields `value`
 * (float), `counter` (int), `state` (bool), `status` (string). Each reading carries only its kind's
 * fields (PLANT_TABLE declares the table with `counter` as an int column).
 *
 * Fleet (option `sensors`, default 300, in #13's "about 140-500"): machines of 10 sensors each
 * (the last one may have fewer), `machinesPerLine` (default 10) machines per line. Per machine, in
 * this order: 2 vibration, 1 temperature, 1 pressure, 1 spindle_speed, 1 setpoint, 1 stuck,
 * 1 counter, 1 door, 1 noisy, so nine kinds and 10% of the sensors noisy:
 *
 * | kind | fields | period | reports | values |
 * |---|---|---|---|---|
 * | vibration | value | 1 s | while running | random walk, quantum 0.01 (mm/s) |
 * | temperature | value, status | 5 s | always | random walk, quantum 0.1 (degC); status ok/warn/alarm/maint |
 * | pressure | value | 1 s | while running | random walk, quantum 0.1 (bar) |
 * | spindle_speed | value | 1 s | while running | random walk, quantum 1 (rpm) |
 * | setpoint | value | 60 s | always | steps between 4 values (changes with p 0.02 a sample) |
 * | stuck | value | 5 s | always | one constant value forever (quantum 0.1) |
 * | counter | counter | 5 s | always | integer parts count: +0..2 a sample while running, reset to 0 at each shift (06, 14, 22 h UTC) |
 * | door | state | 5 s | always | boolean, flips with p 0.002 a sample (about every 42 min) |
 * | noisy | value | 5 s | always | full-precision floats: mean + Gaussian noise, not rounded |
 *
 * Time: from 2025-11-24T16:00:00Z (START_TIME). Each sensor has a phase in [0, period) ms; sample k
 * is due at start + phase + k * period (its nominal time) and stamped with jitter uniform in
 * [-J, +J] ms, J = min(1% of the period, 50 ms) (10 ms at 1 s, 50 ms at 5 s and 60 s), rounded to
 * whole ms. Machines alternate running (20-120 min) and idle (5-40 min), the first state and its
 * length random; "while running" sensors send nothing while their machine idles.
 *
 * Faults, each drawn independently per sample (rates are options, defaults from #13):
 * - `missing` 1.3%: a due sample is never delivered (the sensor's value still evolves).
 * - `late` 3%: delivered min(5 min, 1.5 periods + an exponential delay of mean 30 s) after its time,
 *   so after readings of the same sensor with later times (out of order).
 * - `resent` 0.5%: delivered a second time 1-60 s after the first delivery, with the same sensor and
 *   time and a different value (value + one quantum, counter + 1, door flipped; noisy + 0.5).
 * - `nulls` 0.1%: the reading's main field (`value`, `counter` or `state`) is an explicit null; a
 *   temperature reading keeps its `status`, every other kind then has no value at all.
 *
 * Delivery: in arrival order. An on-time reading arrives 50 ms after its nominal time (never before
 * its timestamp); late and re-sent ones when their delay says. `nextBatch(1000)` is what a
 * coalescing store node hands the engine: 1,000 readings in arrival order, mixed across sensors.
 */

const { createRandom } = require('./workload');

/** Epoch ms where the workload starts: 2025-11-24T16:00:00Z (as bench/workload.js). */
const START_TIME = 1764000000000;
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
/** On-time readings arrive this long after their nominal time (the largest jitter). */
const ARRIVAL_LATENCY_MS = 50;
const MAX_JITTER_MS = 50;
const MAX_LATE_MS = 5 * MINUTE;
const LATE_MEAN_MS = 30 * SECOND;
const SHIFT_MS = 8 * HOUR;
/** Shifts start at 06:00, 14:00 and 22:00 UTC. */
const SHIFT_OFFSET_MS = 6 * HOUR;
const STATUSES = ['ok', 'warn', 'alarm', 'maint'];

const DEFAULTS = {
  seed: 13,
  sensors: 300,
  machinesPerLine: 10,
  start: START_TIME,
  missing: 0.013,
  late: 0.03,
  resent: 0.005,
  nulls: 0.001,
};

/**
 * The nine kinds: `period` ms, `runOnly` (reports only while its machine runs), `fields` (the
 * fields its readings carry, the main one first), `scale` (1 / quantum; null: not rounded), and the
 * range of the long-run mean and the random walk's step (standard deviation per sample).
 */
const KINDS = {
  vibration: {
    prefix: 'VIB',
    period: SECOND,
    runOnly: true,
    fields: ['value'],
    scale: 100,
    low: 0.5,
    high: 6,
    step: 0.02,
  },
  temperature: {
    prefix: 'TEMP',
    period: 5 * SECOND,
    runOnly: false,
    fields: ['value', 'status'],
    scale: 10,
    low: 30,
    high: 80,
    step: 0.1,
  },
  pressure: {
    prefix: 'PRES',
    period: SECOND,
    runOnly: true,
    fields: ['value'],
    scale: 10,
    low: 4,
    high: 12,
    step: 0.05,
  },
  spindle_speed: {
    prefix: 'SPDL',
    period: SECOND,
    runOnly: true,
    fields: ['value'],
    scale: 1,
    low: 800,
    high: 3000,
    step: 4,
  },
  setpoint: {
    prefix: 'SETP',
    period: MINUTE,
    runOnly: false,
    fields: ['value'],
    scale: 1,
    low: 150,
    high: 250,
    step: 0,
  },
  stuck: {
    prefix: 'STCK',
    period: 5 * SECOND,
    runOnly: false,
    fields: ['value'],
    scale: 10,
    low: 10,
    high: 40,
    step: 0,
  },
  counter: {
    prefix: 'CNT',
    period: 5 * SECOND,
    runOnly: false,
    fields: ['counter'],
    scale: 1,
    low: 0,
    high: 0,
    step: 0,
  },
  door: {
    prefix: 'DOOR',
    period: 5 * SECOND,
    runOnly: false,
    fields: ['state'],
    scale: null,
    low: 0,
    high: 0,
    step: 0,
  },
  noisy: {
    prefix: 'PWR',
    period: 5 * SECOND,
    runOnly: false,
    fields: ['value'],
    scale: null,
    low: 5,
    high: 40,
    step: 0.8,
  },
};
/** The sensors of one machine, in order. */
const MACHINE_TEMPLATE = [
  'vibration',
  'vibration',
  'temperature',
  'pressure',
  'spindle_speed',
  'setpoint',
  'stuck',
  'counter',
  'door',
  'noisy',
];
const MACHINE_KINDS = ['CNC-MILL', 'LATHE', 'PRESS', 'ROBOT', 'PUMP', 'OVEN'];

/** The table as the engine declares it: `db.createTable(PLANT_TABLE.name, PLANT_TABLE.definition)`. */
const PLANT_TABLE = {
  name: 'sensor_readings',
  definition: {
    tags: ['sensor_id', 'sensor_type', 'machine_id', 'line_id'],
    fields: { value: 'float', counter: 'int', state: 'bool', status: 'string' },
  },
};
/** The order of `toSqliteRow`'s values (SQLite's INSERT columns). */
const SQLITE_COLUMNS = [
  'time',
  'sensor_id',
  'sensor_type',
  'machine_id',
  'line_id',
  'value',
  'counter',
  'state',
  'status',
];

/** Standard normal deviates (Box-Muller) from a uniform source. */
function createGaussian(random) {
  let spare = null;
  return () => {
    if (spare !== null) {
      const v = spare;
      spare = null;
      return v;
    }
    const r = Math.sqrt(-2 * Math.log(1 - random()));
    const theta = 2 * Math.PI * random();
    spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  };
}

function pad(n, width) {
  return String(n).padStart(width, '0');
}

/** ± `J` ms for a period: 1% of it, at most 50 ms. */
function jitterBound(period) {
  return Math.min(period / 100, MAX_JITTER_MS);
}

function quantize(x, scale) {
  return scale === null ? x : Math.round(x * scale) / scale;
}

/**
 * The fleet: sensor i sits on machine floor(i / 10) as MACHINE_TEMPLATE[i % 10].
 * @returns {{ index: number, kind: string, spec: object, machine: number, period: number,
 *   phase: number, tags: object, mean: number, levels: number[] | null }[]}
 */
function createSensors({ sensors, machinesPerLine, seed }) {
  const random = createRandom(seed ^ 0x9a47);
  const perKind = new Map();
  const out = [];
  for (let i = 0; i < sensors; i++) {
    const machine = Math.floor(i / MACHINE_TEMPLATE.length);
    const kind = MACHINE_TEMPLATE[i % MACHINE_TEMPLATE.length];
    const spec = KINDS[kind];
    const n = (perKind.get(kind) ?? 0) + 1;
    perKind.set(kind, n);
    const mean = spec.low + random() * (spec.high - spec.low);
    out.push({
      index: i,
      kind,
      spec,
      machine,
      period: spec.period,
      phase: Math.floor(random() * spec.period),
      tags: {
        sensor_id: `${spec.prefix}-${pad(n, 3)}`,
        sensor_type: kind,
        machine_id: `${MACHINE_KINDS[machine % MACHINE_KINDS.length]}-${pad(machine + 1, 2)}`,
        line_id: `LINE-${Math.floor(machine / machinesPerLine) + 1}`,
      },
      mean: quantize(mean, spec.scale ?? 1e6),
      levels: kind === 'setpoint' ? [0, 0.1, 0.2, 0.25].map((f) => Math.round(mean * (1 + f))) : null,
    });
  }
  return out;
}

/** A binary min-heap of `{ key, seq }` items (ties by insertion order, so runs are deterministic). */
class MinHeap {
  constructor() {
    this.items = [];
  }
  get size() {
    return this.items.length;
  }
  peek() {
    return this.items[0];
  }
  static less(a, b) {
    return a.key < b.key || (a.key === b.key && a.seq < b.seq);
  }
  push(item) {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!MinHeap.less(items[i], items[parent])) break;
      [items[i], items[parent]] = [items[parent], items[i]];
      i = parent;
    }
  }
  pop() {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < items.length && MinHeap.less(items[l], items[m])) m = l;
        if (r < items.length && MinHeap.less(items[r], items[m])) m = r;
        if (m === i) break;
        [items[i], items[m]] = [items[m], items[i]];
        i = m;
      }
    }
    return top;
  }
}

/**
 * The endless stream of plant readings in arrival order. `nextBatch(n)` returns the next `n` as
 * engine readings `{ time, tags, fields }` (tags objects shared per sensor); `toSqliteRow` turns one
 * into SQLite's values. `counts` tallies what was generated (for reports; the test measures the
 * readings themselves).
 */
class PlantWorkload {
  /**
   * @param {{ seed?: number, sensors?: number, machinesPerLine?: number, start?: number,
   *   missing?: number, late?: number, resent?: number, nulls?: number }} [options]
   *   rates are shares of due samples (0..1); see the top of this file
   */
  constructor(options = {}) {
    this.options = { ...DEFAULTS, ...options };
    const { seed, start } = this.options;
    this.sensors = createSensors(this.options);
    this.random = createRandom(seed);
    this.gaussian = createGaussian(this.random);
    this.start = start;
    this.machines = this.createMachines();
    this.state = this.sensors.map((s) => this.initialState(s));
    this.due = new MinHeap();
    this.delayed = new MinHeap();
    this.seq = 0;
    for (const s of this.sensors) this.due.push({ key: start + s.phase, seq: s.index, sensor: s.index });
    this.counts = { due: 0, missing: 0, delivered: 0, late: 0, resent: 0, nulls: 0 };
  }

  createMachines() {
    const count = Math.ceil(this.sensors.length / MACHINE_TEMPLATE.length);
    return Array.from({ length: count }, () => {
      const running = this.random() < 0.75;
      return { running, until: this.start + Math.floor(this.random() * this.stateLength(running)) };
    });
  }

  /** How long a machine runs (20-120 min) or idles (5-40 min), in ms. */
  stateLength(running) {
    const [low, high] = running ? [20, 120] : [5, 40];
    return Math.floor((low + this.random() * (high - low)) * MINUTE);
  }

  /** Whether machine `m` runs at `t` (times asked never decrease). */
  isRunning(m, t) {
    const machine = this.machines[m];
    while (t >= machine.until) {
      machine.running = !machine.running;
      machine.until += this.stateLength(machine.running);
    }
    return machine.running;
  }

  initialState(s) {
    switch (s.kind) {
      case 'counter':
        return { count: 0, shift: null };
      case 'door':
        return { open: false };
      case 'setpoint':
        return { level: s.levels[0] };
      case 'temperature':
        return { level: s.mean, status: 'ok' };
      default:
        return { level: s.mean };
    }
  }

  /** One step of sensor `s` at nominal time `t`: its fields (main field first), as sent. */
  sample(s, t, running) {
    const st = this.state[s.index];
    const spec = s.spec;
    switch (s.kind) {
      case 'counter': {
        const shift = Math.floor((t - SHIFT_OFFSET_MS) / SHIFT_MS);
        if (shift !== st.shift) {
          st.shift = shift;
          st.count = 0;
        }
        if (running) st.count += Math.floor(this.random() * 3);
        return { counter: st.count };
      }
      case 'door':
        if (this.random() < 0.002) st.open = !st.open;
        return { state: st.open };
      case 'setpoint':
        if (this.random() < 0.02) st.level = s.levels[Math.floor(this.random() * s.levels.length)];
        return { value: st.level };
      case 'stuck':
        return { value: s.mean };
      case 'noisy':
        return { value: s.mean + spec.step * this.gaussian() };
      default: {
        st.level += (s.mean - st.level) * 0.002 + spec.step * this.gaussian();
        const value = quantize(st.level, spec.scale);
        if (s.kind !== 'temperature') return { value };
        st.status = this.nextStatus(st.status, running);
        return { value, status: st.status };
      }
    }
  }

  /** A sticky status: mostly ok, now and then warn, rarely alarm, maint while idle. */
  nextStatus(status, running) {
    const r = this.random();
    if (status === 'ok') return r < 0.01 ? 'warn' : !running && r > 0.99 ? 'maint' : 'ok';
    if (status === 'warn') return r < 0.1 ? 'ok' : r < 0.12 ? 'alarm' : 'warn';
    if (status === 'alarm') return r < 0.05 ? 'ok' : 'alarm';
    return running && r < 0.05 ? 'ok' : 'maint';
  }

  /** The same reading re-sent with a different main value. */
  resend(s, fields) {
    const out = { ...fields };
    if (out.counter !== undefined && out.counter !== null) out.counter += 1;
    else if (out.state !== undefined && out.state !== null) out.state = !out.state;
    else if (out.value !== undefined && out.value !== null) {
      const quantum = s.spec.scale === null ? 0.5 : 1 / s.spec.scale;
      out.value = quantize(out.value + quantum, s.spec.scale);
    }
    return out;
  }

  /** Generates the samples due next (one sensor's); pushes late and re-sent ones to `delayed`. */
  step(out) {
    const { sensor: index, key: nominal } = this.due.pop();
    const s = this.sensors[index];
    this.due.push({ key: nominal + s.period, seq: index, sensor: index });
    const running = this.isRunning(s.machine, nominal);
    if (s.spec.runOnly && !running) return;
    this.counts.due++;
    const fields = this.sample(s, nominal, running);
    const o = this.options;
    if (this.random() < o.missing) {
      this.counts.missing++;
      return;
    }
    const bound = jitterBound(s.period);
    const time = Math.round(nominal + (2 * this.random() - 1) * bound);
    if (this.random() < o.nulls) {
      fields[s.spec.fields[0]] = null;
      this.counts.nulls++;
    }
    const reading = { time, tags: s.tags, fields };
    let arrival = nominal + ARRIVAL_LATENCY_MS;
    // Everything due before this sample's arrival is delivered first (late and re-sent readings).
    while (this.delayed.size > 0 && this.delayed.peek().key <= arrival) out.push(this.delayed.pop().reading);
    if (this.random() < o.late) {
      const delay = 1.5 * s.period - LATE_MEAN_MS * Math.log(1 - this.random());
      arrival = time + Math.round(Math.min(MAX_LATE_MS, delay));
      this.delayed.push({ key: arrival, seq: this.seq++, reading });
      this.counts.late++;
    } else out.push(reading);
    if (this.random() < o.resent) {
      const again = { time, tags: s.tags, fields: this.resend(s, fields) };
      this.delayed.push({
        key: arrival + SECOND + Math.floor(this.random() * 59 * SECOND),
        seq: this.seq++,
        reading: again,
      });
      this.counts.resent++;
    }
  }

  /** The next `size` readings in arrival order. */
  nextBatch(size) {
    const out = this.pending ?? [];
    while (out.length < size) this.step(out);
    this.pending = out.length > size ? out.splice(size) : null;
    this.counts.delivered += out.length;
    return out;
  }
}

/** A reading as SQLite's values, in SQLITE_COLUMNS order (booleans as 1/0: SQLite has none). */
function toSqliteRow(reading) {
  const f = reading.fields;
  const t = reading.tags;
  const state = f.state === undefined || f.state === null ? null : f.state ? 1 : 0;
  return [
    reading.time,
    t.sensor_id,
    t.sensor_type,
    t.machine_id,
    t.line_id,
    f.value ?? null,
    f.counter ?? null,
    state,
    f.status ?? null,
  ];
}

module.exports = {
  PlantWorkload,
  PLANT_TABLE,
  SQLITE_COLUMNS,
  KINDS,
  MACHINE_TEMPLATE,
  DEFAULTS,
  START_TIME,
  STATUSES,
  ARRIVAL_LATENCY_MS,
  MAX_LATE_MS,
  jitterBound,
  toSqliteRow,
  createRandom,
};
