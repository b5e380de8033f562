/**
 * The benchmark's deterministic factory workload: 500 sensors on 50 machines on 5 lines, each sampled
 * once a second (with a few ms of jitter, or perfectly regular), values a mean-reverting random walk
 * quantized like real sensors report them. Same seed, same readings, in every process.
 */

/** Epoch ms where the workload starts: 2025-11-24T16:00:00Z. */
const START_TIME = 1764000000000;
const SAMPLE_INTERVAL_MS = 1000;
/** Jitter is uniform in [-JITTER_MS, +JITTER_MS] (integer ms). */
const JITTER_MS = 4;

/**
 * The sensor kinds: `scale` is 1 / quantum (temperature reads in 0.01 degC, pressure in 0.1 kPa...),
 * `low`/`high` bound the long-run mean, `step` is the random walk's standard deviation per sample.
 */
const SENSOR_TYPES = [
  { type: 'temperature', prefix: 'TEMP', scale: 100, low: 20, high: 85, step: 0.02 },
  { type: 'pressure', prefix: 'PRES', scale: 10, low: 100, high: 600, step: 0.15 },
  { type: 'vibration', prefix: 'VIB', scale: 100, low: 0.5, high: 6, step: 0.02 },
  { type: 'humidity', prefix: 'HUM', scale: 10, low: 30, high: 70, step: 0.05 },
  { type: 'current', prefix: 'CUR', scale: 100, low: 4, high: 32, step: 0.03 },
];
const MACHINE_KINDS = ['CNC-MILL', 'LATHE', 'PRESS', 'ROBOT', 'PUMP'];

/** sfc32 seeded through splitmix32: small, fast, and identical on every platform. */
function createRandom(seed) {
  let s = seed >>> 0;
  const splitmix = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  return () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

/** Standard normal deviates (Box-Muller), from a uniform source. */
function createGaussian(random) {
  let spare = null;
  return () => {
    if (spare !== null) {
      const v = spare;
      spare = null;
      return v;
    }
    const u = 1 - random();
    const r = Math.sqrt(-2 * Math.log(u));
    const theta = 2 * Math.PI * random();
    spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  };
}

function pad(n, width) {
  return String(n).padStart(width, '0');
}

/**
 * The sensor fleet: `lines` lines, `machines` machines spread evenly over them, and `count` sensors
 * spread evenly over the machines, cycling through the sensor kinds.
 * @returns {{ tags: { sensor_id: string, sensor_type: string, machine_id: string, line_id: string },
 *   kind: object, mean: number, phase: number }[]}
 */
function createSensors({ count = 500, machines = 50, lines = 5, seed = 42 } = {}) {
  const random = createRandom(seed ^ 0x5e45);
  const sensors = [];
  const perKind = new Map();
  for (let i = 0; i < count; i++) {
    const machine = Math.floor((i * machines) / count);
    const line = Math.floor((machine * lines) / machines);
    const kind = SENSOR_TYPES[i % SENSOR_TYPES.length];
    const n = (perKind.get(kind.prefix) ?? 0) + 1;
    perKind.set(kind.prefix, n);
    sensors.push({
      tags: {
        sensor_id: `${kind.prefix}-${pad(n, 3)}`,
        sensor_type: kind.type,
        machine_id: `${MACHINE_KINDS[machine % MACHINE_KINDS.length]}-${pad(machine + 1, 2)}`,
        line_id: `LINE-${line + 1}`,
      },
      kind,
      mean: kind.low + random() * (kind.high - kind.low),
      phase: Math.floor(random() * SAMPLE_INTERVAL_MS),
    });
  }
  return sensors;
}

/**
 * An endless, deterministic stream of readings in arrival order: tick by tick (one second), every
 * sensor once per tick. Each series' timestamps strictly increase.
 */
class Workload {
  /**
   * @param {{ sensors?: number, machines?: number, lines?: number, seed?: number, regular?: boolean,
   *   start?: number }} [options] regular: timestamps exactly 1 s apart per sensor (no jitter)
   */
  constructor(options = {}) {
    const seed = options.seed ?? 42;
    this.sensors = createSensors({ ...options, seed });
    this.regular = options.regular === true;
    this.start = options.start ?? START_TIME;
    this.random = createRandom(seed);
    this.gaussian = createGaussian(this.random);
    this.level = this.sensors.map((s) => s.mean);
    this.tick = 0;
    this.next = 0;
  }

  /**
   * The next `size` readings as columns (sensor index, time, value), ready for either engine.
   * @returns {{ count: number, sensor: Uint16Array, time: Float64Array, value: Float64Array }}
   */
  nextBatch(size) {
    const sensor = new Uint16Array(size);
    const time = new Float64Array(size);
    const value = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      const s = this.next;
      sensor[i] = s;
      time[i] = this.timeOf(s);
      value[i] = this.valueOf(s);
      if (++this.next === this.sensors.length) {
        this.next = 0;
        this.tick++;
      }
    }
    return { count: size, sensor, time, value };
  }

  timeOf(s) {
    const base = this.start + this.tick * SAMPLE_INTERVAL_MS + this.sensors[s].phase;
    if (this.regular) return base;
    return base + Math.floor(this.random() * (2 * JITTER_MS + 1)) - JITTER_MS;
  }

  /** One random-walk step, pulled gently back to the sensor's mean, then quantized. */
  valueOf(s) {
    const { kind, mean } = this.sensors[s];
    const x = this.level[s] + (mean - this.level[s]) * 0.001 + kind.step * this.gaussian();
    this.level[s] = x;
    // k / scale is the double nearest the decimal k * quantum, as a sensor's text output would parse.
    return Math.round(x * kind.scale) / kind.scale;
  }
}

/** A column batch as Helios readings `{ time, tags, fields: { value } }` (tags objects are shared). */
function toReadings(batch, sensors) {
  const readings = new Array(batch.count);
  for (let i = 0; i < batch.count; i++) {
    readings[i] = {
      time: batch.time[i],
      tags: sensors[batch.sensor[i]].tags,
      fields: { value: batch.value[i] },
    };
  }
  return readings;
}

module.exports = { Workload, createRandom, createSensors, toReadings, SENSOR_TYPES, START_TIME };
