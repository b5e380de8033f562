/**
 * The Prometheus metrics of this Node-RED's Helios databases, through prom-client. Values are read
 * from each open database's stats() when scraped (nothing is counted twice); query latency is a
 * histogram fed by each database's 'query' event; Node.js' own metrics (event-loop lag, memory,
 * CPU) are prom-client's defaults. The sync and alarm nodes' figures come from node-metrics.ts;
 * other sidebar panels may add gauges through PanelSource.metrics. The names are listed in
 * docs/metrics.md.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Database } from '../../../engine/index';
import { type PanelRegistry, panels as processPanels } from '../admin/panels';
import {
  type DatabaseRegistry,
  databases as processDatabases,
  type RegisteredDatabase,
} from '../admin/registry';
import { type NodeMetricSources, registerNodeMetrics } from './node-metrics';

const DB = ['db_id', 'db'] as const;
const TABLE = ['db_id', 'db', 'table'] as const;
const DEVICE = ['db_id', 'db', 'device'] as const;
type SyncEdgeStats = ReturnType<Database['stats']>['syncEdges'][number];

export class HeliosMetrics {
  readonly registry = new Registry();
  private readonly queryLatency: Histogram<(typeof DB)[number]>;
  private readonly watched = new WeakSet<Database>();
  private readonly controllers = new WeakSet<object>();
  private readonly panelGauges = new Map<string, Gauge<string>>();

  constructor(
    private readonly databases: DatabaseRegistry = processDatabases,
    private readonly panels: PanelRegistry = processPanels,
    nodeSources?: NodeMetricSources,
  ) {
    collectDefaultMetrics({ register: this.registry });
    // the latency histogram listens to each database from the moment it opens
    const watchAll = () => {
      for (const entry of this.databases.list()) {
        if (this.controllers.has(entry.controller)) continue;
        this.controllers.add(entry.controller);
        entry.controller.watch((state) => {
          if (state.kind === 'open') this.openDatabases();
        });
      }
      this.openDatabases();
    };
    this.databases.on('change', watchAll);
    watchAll();
    const self = this;
    const open = () => this.openDatabases();
    const perDb = (name: string, help: string, value: (s: ReturnType<Database['stats']>) => number) =>
      new Gauge({
        name,
        help,
        labelNames: DB,
        registers: [this.registry],
        collect() {
          this.reset();
          for (const { entry, db } of open()) this.set(labelsOf(entry), value(db.stats()));
        },
      });
    const counterPerDb = (name: string, help: string, value: (s: ReturnType<Database['stats']>) => number) =>
      new Counter({
        name,
        help,
        labelNames: DB,
        registers: [this.registry],
        collect() {
          this.reset();
          for (const { entry, db } of open()) this.inc(labelsOf(entry), value(db.stats()));
        },
      });
    const perTable = (name: string, help: string, key: 'rows' | 'bytes' | 'series' | 'partitions') =>
      new Gauge({
        name,
        help,
        labelNames: TABLE,
        registers: [this.registry],
        collect() {
          this.reset();
          for (const { entry, db } of open()) {
            for (const [table, t] of Object.entries(db.stats().tables))
              this.set({ ...labelsOf(entry), table }, t[key]);
          }
        },
      });
    const perEdge = (name: string, help: string, value: (e: SyncEdgeStats) => number) =>
      new Gauge({
        name,
        help,
        labelNames: DEVICE,
        registers: [this.registry],
        collect() {
          this.reset();
          for (const { entry, db } of open())
            for (const e of db.stats().syncEdges)
              this.set({ ...labelsOf(entry), device: e.deviceId }, value(e));
        },
      });
    new Gauge({
      name: 'helios_database_up',
      help: '1 when the database is open, 0 when it is opening, closing or failed to open',
      labelNames: DB,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const entry of self.databases.list())
          this.set(labelsOf(entry), entry.controller.state.kind === 'open' ? 1 : 0);
      },
    });
    counterPerDb(
      'helios_readings_written_total',
      'Readings written to the WAL since the database opened',
      (s) => s.work.readingsWritten,
    );
    perTable(
      'helios_table_rows',
      'Rows stored per table (a row written again counts until compaction)',
      'rows',
    );
    perTable('helios_table_bytes', "Bytes of the table's segment files", 'bytes');
    perTable('helios_table_series', 'Series per table', 'series');
    perTable('helios_table_partitions', 'Time partitions per table', 'partitions');
    perDb('helios_wal_bytes', 'Bytes of the write-ahead log', (s) => s.walBytes);
    perDb('helios_head_rows', 'Rows in memory, not yet flushed to segments', (s) => s.headRows);
    perDb('helios_cache_bytes', 'Bytes of recently read chunks kept in memory', (s) => s.cache.bytes);
    perDb(
      'helios_quarantined_segments',
      'Segment files found corrupt and left out',
      (s) => s.quarantined.length,
    );
    counterPerDb('helios_flushes_total', 'Flushes of the head to segments since open', (s) => s.work.flushes);
    counterPerDb(
      'helios_flush_seconds_total',
      'Seconds spent flushing since open',
      (s) => s.work.flushSeconds,
    );
    counterPerDb('helios_compactions_total', 'Compactions since open', (s) => s.work.compactions);
    counterPerDb(
      'helios_compaction_seconds_total',
      'Seconds spent compacting since open',
      (s) => s.work.compactionSeconds,
    );
    // the edge's backlog, lost rows and quarantine are per node (node-metrics.ts); the log is the database's
    perEdge('helios_sync_log_bytes', 'Bytes of write-ahead log kept for a sync edge', (e) => e.logBytes);
    perEdge(
      'helios_sync_max_log_bytes',
      'The limit of helios_sync_log_bytes (max_log_bytes; +Inf: none)',
      (e) => e.maxLogBytes,
    );
    this.queryLatency = new Histogram({
      name: 'helios_query_duration_seconds',
      help: 'Time of SQL queries that succeeded (helios-query nodes, the sidebar console)',
      labelNames: DB,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
    registerNodeMetrics(this.registry, this.databases, open, nodeSources);
  }

  /** The exposition text (Prometheus text format 0.0.4). */
  async text(): Promise<string> {
    this.openDatabases();
    this.collectPanels();
    return spellNaN(await this.registry.metrics());
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Starts listening to databases that opened since the last call (for the latency histogram). */
  openDatabases(): Array<{ entry: RegisteredDatabase; db: Database }> {
    const out: Array<{ entry: RegisteredDatabase; db: Database }> = [];
    for (const entry of this.databases.list()) {
      const db = entry.controller.database;
      if (!db || entry.controller.state.kind !== 'open') continue;
      if (!this.watched.has(db)) {
        this.watched.add(db);
        db.on('query', (ms: number) => this.queryLatency.observe(labelsOf(entry), ms / 1000));
      }
      out.push({ entry, db });
    }
    return out;
  }

  private collectPanels(): void {
    for (const gauge of this.panelGauges.values()) gauge.reset();
    for (const id of this.panels.ids()) {
      const source = this.panels.get(id);
      for (const m of source?.metrics?.() ?? []) {
        const labels = m.labels ?? {};
        let gauge = this.panelGauges.get(m.name);
        if (!gauge) {
          gauge = new Gauge({
            name: m.name,
            help: m.help,
            labelNames: Object.keys(labels),
            registers: [this.registry],
          });
          this.panelGauges.set(m.name, gauge);
        }
        gauge.set(labels, m.value);
      }
    }
  }
}

/**
 * prom-client 15 writes a NaN value as "Nan" (the event-loop lag's mean and stddev when two scrapes
 * come closer than the monitor's resolution); the format spells it "NaN". Only sample lines end so.
 */
function spellNaN(text: string): string {
  return text.replace(/^([^#\n].*) Nan$/gm, '$1 NaN');
}

function labelsOf(entry: RegisteredDatabase): { db_id: string; db: string } {
  return { db_id: entry.id, db: entry.label };
}
