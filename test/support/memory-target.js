// A small in-memory QueryTarget for SQL tests: tables of readings, schema on write, scans that
// honour from/to/tags and return columnar SeriesRows sorted by time, last write wins.

function typeOf(v) {
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'bigint') return 'int';
  return 'float';
}

function seriesKey(tags) {
  return Object.keys(tags)
    .sort()
    .map((k) => `${k}=${tags[k]}`)
    .join(',');
}

class MemoryTarget {
  /** `types` optionally declares field types per table: { t: { value: 'int' } } */
  constructor(types = {}) {
    this.data = new Map(); // table -> { tagKeys: [], fields: Map(name -> type), series: Map(key -> {tags, rows: Map(time -> fields)}) }
    this.types = types;
    this.lsn = 0;
    this.scans = [];
  }

  table(name) {
    let t = this.data.get(name);
    if (!t) {
      t = { tagKeys: [], fields: new Map(), series: new Map() };
      this.data.set(name, t);
    }
    return t;
  }

  tables() {
    return [...this.data.keys()];
  }

  schema(name) {
    const t = this.data.get(name);
    if (!t) return undefined;
    const fields = [...t.fields].map(([n, type]) => ({ name: n, type }));
    return { name, tagKeys: [...t.tagKeys], fields, ...(t.sqlite ? { sqlite: t.sqlite } : {}) };
  }

  async write(table, readings) {
    const t = this.table(table);
    const declared = this.types[table] ?? {};
    for (const r of readings) {
      const tags = r.tags ?? {};
      for (const k of Object.keys(tags)) if (!t.tagKeys.includes(k)) t.tagKeys.push(k);
      const fields = {};
      for (const [k, v] of Object.entries(r.fields)) {
        if (v === null || v === undefined) continue;
        const type = declared[k] ?? t.fields.get(k) ?? typeOf(v);
        if (!t.fields.has(k)) t.fields.set(k, type);
        fields[k] = typeof v === 'bigint' ? Number(v) : v;
      }
      const key = seriesKey(tags);
      let s = t.series.get(key);
      if (!s) {
        s = { tags: { ...tags }, rows: new Map() };
        t.series.set(key, s);
      }
      const time = typeof r.time === 'string' ? Date.parse(r.time) : Number(r.time);
      s.rows.set(time, fields);
    }
    this.lsn++;
    return { count: readings.length, lsn: this.lsn };
  }

  /** Rows per SeriesRows batch: small, so tests cross batch boundaries. */
  async *scan(table, options = {}) {
    this.scans.push({ table, options });
    const t = this.data.get(table);
    if (!t) return;
    const keys = [...t.series.keys()].sort();
    for (const key of keys) {
      const s = t.series.get(key);
      if (options.tags && Object.entries(options.tags).some(([k, v]) => s.tags[k] !== v)) continue;
      const times = [...s.rows.keys()]
        .filter(
          (x) =>
            (options.from === undefined || x >= options.from) &&
            (options.to === undefined || x <= options.to),
        )
        .sort((a, b) => a - b);
      for (let start = 0; start < times.length; start += this.chunkRows ?? 3) {
        const part = times.slice(start, start + (this.chunkRows ?? 3));
        yield this.toSeriesRows(t, s, part);
      }
    }
  }

  /** One part per series (the whole matching range), never with statistics, as rows in a head. */
  async *scanParts(table, options = {}, counters) {
    this.scans.push({ table, options });
    const t = this.data.get(table);
    if (!t) return;
    for (const key of [...t.series.keys()].sort()) {
      const s = t.series.get(key);
      if (options.tags && Object.entries(options.tags).some(([k, v]) => s.tags[k] !== v)) continue;
      const times = this.timesIn(s, options);
      if (times.length === 0) continue;
      if (counters) counters.series++;
      const part = {
        minTime: times[0],
        maxTime: times[times.length - 1],
        rows: times.length,
        stats: null,
        load: async () => this.toSeriesRows(t, s, times),
      };
      yield { key, tags: s.tags, parts: [part] };
    }
  }

  timesIn(s, options) {
    return [...s.rows.keys()]
      .filter(
        (x) =>
          (options.from === undefined || x >= options.from) && (options.to === undefined || x <= options.to),
      )
      .sort((a, b) => a - b);
  }

  async deleteRows(table, options = {}) {
    const t = this.data.get(table);
    if (t) {
      for (const s of t.series.values()) {
        if (options.tags && Object.entries(options.tags).some(([k, v]) => s.tags[k] !== v)) continue;
        for (const time of this.timesIn(s, options)) s.rows.delete(time);
      }
    }
    this.lsn++;
    return { lsn: this.lsn };
  }

  /** Rows written again by identity (UPDATE's new versions, DELETE's markers); rows here are identified by series and time. */
  async writeStored(table, readings) {
    const t = this.table(table);
    for (const r of readings) {
      const s = t.series.get(seriesKey(r.tags ?? {}));
      if (r.deleted) {
        s?.rows.delete(r.time);
        continue;
      }
      await this.write(table, [{ time: r.time, tags: r.tags, fields: r.fields }]);
      this.lsn--;
    }
    this.lsn++;
    return { count: readings.length, lsn: this.lsn };
  }

  /** A transaction for BEGIN in scripts: a copy of the data, put in place by commit. */
  begin() {
    const copy = new MemoryTarget(this.types);
    copy.chunkRows = this.chunkRows;
    copy.inTransaction = true;
    copy.dropTable = async (table) => {
      throw new Error(`DROP TABLE "${table}" cannot run inside a transaction: run it after COMMIT.`);
    };
    for (const [name, t] of this.data) {
      const series = new Map();
      for (const [key, s] of t.series) series.set(key, { tags: s.tags, rows: new Map(s.rows) });
      copy.data.set(name, { ...t, tagKeys: [...t.tagKeys], fields: new Map(t.fields), series });
    }
    return {
      target: () => copy,
      commit: async () => {
        this.data = copy.data;
        this.lsn++;
      },
      rollback: () => {},
    };
  }

  async dropTable(table) {
    this.data.delete(table);
    this.lsn++;
    return { lsn: this.lsn };
  }

  async createTable(name, def, options = {}) {
    if (options.redeclare) {
      // CREATE / DROP INDEX: the SQLite shape of a declared table changes
      this.table(name).sqlite = def.sqlite;
      return;
    }
    if (this.data.has(name)) {
      if (options.ifNotExists) return;
      const err = new Error(`Table "${name}" already exists.`);
      err.code = 'HELIOS_TABLE_EXISTS';
      throw err;
    }
    const t = this.table(name);
    t.tagKeys.push(...(def.tags ?? []));
    for (const [f, type] of Object.entries(def.fields ?? {})) t.fields.set(f, type);
    if (def.sqlite) t.sqlite = def.sqlite;
  }

  toSeriesRows(t, s, times) {
    const fields = new Map();
    for (const [name, type] of t.fields) {
      const n = times.length;
      const values =
        type === 'string' ? new Array(n).fill('') : type === 'bool' ? new Uint8Array(n) : new Float64Array(n);
      const present = new Uint8Array(n);
      let any = false;
      times.forEach((time, i) => {
        const v = s.rows.get(time)[name];
        if (v === undefined) return;
        any = true;
        present[i] = 1;
        values[i] = type === 'bool' ? (v ? 1 : 0) : v;
      });
      if (any) fields.set(name, { type, values, present: present.every((p) => p === 1) ? null : present });
    }
    return { tags: s.tags, count: times.length, times: Float64Array.from(times), fields };
  }
}

module.exports = { MemoryTarget };
