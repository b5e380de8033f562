/**
 * The sync and alarm metrics: one family per figure of sources.ts, read from every running
 * helios-sync and helios-alarm node at each scrape (labels db_id, db, node_id, node), and the alarm
 * journal's size per database. The names are listed in docs/metrics.md.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { type Database, JOURNAL_TABLE } from '../../../engine/index';
import type { DatabaseRegistry, RegisteredDatabase } from '../admin/registry';
import {
  type AlarmFigures,
  alarmFigures,
  type EdgeFigures,
  type FigureSource,
  type FigureSources,
  type HubFigures,
  type SyncFigures,
  syncFigures,
} from './sources';

type Labels = Record<string, string>;
type Sample = readonly [Labels, number];

const NODE = ['db_id', 'db', 'node_id', 'node'] as const;

/** A gauge or counter whose samples are all read at scrape time (nothing kept between scrapes). */
function family(
  registry: Registry,
  kind: 'gauge' | 'counter',
  name: string,
  help: string,
  labelNames: readonly string[],
  samples: () => Iterable<Sample>,
): void {
  if (kind === 'gauge') {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const [labels, value] of samples()) this.set(labels, value);
      },
    });
  } else {
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const [labels, value] of samples()) this.inc(labels, value);
      },
    });
  }
}

export interface NodeMetricSources {
  readonly sync: FigureSources<SyncFigures>;
  readonly alarms: FigureSources<AlarmFigures>;
}

/** Registers the sync and alarm families in `registry`. */
export function registerNodeMetrics(
  registry: Registry,
  databases: DatabaseRegistry,
  open: () => Array<{ entry: RegisteredDatabase; db: Database }>,
  sources: NodeMetricSources = { sync: syncFigures, alarms: alarmFigures },
  now: () => number = Date.now,
): void {
  const labelsOf = (s: FigureSource<unknown>): Labels => ({
    db_id: s.dbId,
    db: databases.get(s.dbId)?.label ?? s.dbId,
    node_id: s.nodeId,
    node: s.nodeName,
  });
  /** [labels, figures] of every running node of `list` whose figures `pick` accepts */
  function* running<T, F>(list: FigureSources<T>, pick: (f: T) => F | null): Generator<[Labels, F]> {
    for (const source of list.list()) {
      const f = source.read();
      const picked = f === null ? null : pick(f);
      if (picked !== null) yield [labelsOf(source), picked];
    }
  }
  const edges = () => running(sources.sync, (f) => (f.role === 'edge' ? f : null));
  const hubs = () => running(sources.sync, (f) => (f.role === 'hub' ? f : null));
  const edge = (
    kind: 'gauge' | 'counter',
    name: string,
    help: string,
    value: (f: EdgeFigures) => number | null,
  ) =>
    family(registry, kind, name, help, NODE, function* () {
      for (const [labels, f] of edges()) {
        const v = value(f);
        if (v !== null) yield [labels, v];
      }
    });
  const hub = (kind: 'gauge' | 'counter', name: string, help: string, value: (f: HubFigures) => number) =>
    family(registry, kind, name, help, NODE, function* () {
      for (const [labels, f] of hubs()) yield [labels, value(f)];
    });

  family(
    registry,
    'gauge',
    'helios_sync_link_up',
    "1 when the helios-sync node's link is connected (edge: to its hub; hub: its broker or port), else 0",
    [...NODE, 'role'],
    function* () {
      for (const [labels, f] of running(sources.sync, (x) => x))
        yield [{ ...labels, role: f.role }, f.connected ? 1 : 0];
    },
  );
  edge(
    'counter',
    'helios_sync_sent_rows_total',
    'Rows sent and acknowledged by the hub since the node started',
    (f) => f.sentRows,
  );
  edge(
    'counter',
    'helios_sync_sent_bytes_total',
    'Bytes of the batches the hub acknowledged since the node started',
    (f) => f.sentBytes,
  );
  edge(
    'counter',
    'helios_sync_acked_batches_total',
    'Batches the hub acknowledged since the node started',
    (f) => f.ackedBatches,
  );
  edge(
    'gauge',
    'helios_sync_backlog_rows',
    'Rows waiting to be sent (an estimate that never says more than is there)',
    (f) => f.backlogRows,
  );
  edge(
    'gauge',
    'helios_sync_backlog_bytes',
    'Bytes waiting to be sent (same estimate)',
    (f) => f.backlogBytes,
  );
  edge(
    'gauge',
    'helios_sync_last_ack_age_seconds',
    'Seconds since the last acknowledgement (absent before the first)',
    (f) => (f.lastAckAt === null ? null : Math.max(0, now() - f.lastAckAt) / 1000),
  );
  edge(
    'gauge',
    'helios_sync_quarantined_batches',
    'Batches the hub refused, set aside for retry, export or drop',
    (f) => f.quarantinedBatches,
  );
  edge(
    'counter',
    'helios_sync_lost_rows_total',
    'Rows dropped before they were sent (the hub was told of the gap)',
    (f) => f.lostRows,
  );
  edge(
    'gauge',
    'helios_sync_consecutive_failures',
    'Sends that failed in a row (0 after a success)',
    (f) => f.failures,
  );
  hub(
    'counter',
    'helios_sync_applied_rows_total',
    'Rows the hub applied since the node started',
    (f) => f.appliedRows,
  );
  hub(
    'counter',
    'helios_sync_applied_batches_total',
    'Batches the hub applied since the node started',
    (f) => f.appliedBatches,
  );
  hub('gauge', 'helios_sync_devices', 'Devices the hub has had batches from', (f) => f.devices);

  const alarms = () => running(sources.alarms, (f) => f);
  const alarm = (name: string, help: string, value: (f: AlarmFigures) => number) =>
    family(registry, 'gauge', name, help, NODE, function* () {
      for (const [labels, f] of alarms()) yield [labels, value(f)];
    });
  alarm('helios_alarms_active', 'Alarms whose condition is active now', (f) => f.active);
  alarm('helios_alarms_unacked', 'Alarms not acknowledged (active or returned)', (f) => f.unacked);
  family(
    registry,
    'gauge',
    'helios_alarms_by_priority',
    'Alarms active or unacknowledged, by priority band (urgent 751-1000, high 501-750, medium 251-500, low 1-250)',
    [...NODE, 'priority'],
    function* () {
      for (const [labels, f] of alarms())
        for (const [priority, n] of Object.entries(f.byPriority)) yield [{ ...labels, priority }, n];
    },
  );
  family(
    registry,
    'gauge',
    'helios_alarms_hidden',
    'Alarms kept from the operator, by reason (shelved, suppressed, out_of_service)',
    [...NODE, 'reason'],
    function* () {
      for (const [labels, f] of alarms()) {
        yield [{ ...labels, reason: 'shelved' }, f.shelved];
        yield [{ ...labels, reason: 'suppressed' }, f.suppressed];
        yield [{ ...labels, reason: 'out_of_service' }, f.outOfService];
      }
    },
  );
  alarm('helios_alarms_flood', '1 while more alarms came in the flood window than its limit, else 0', (f) =>
    f.flood ? 1 : 0,
  );
  alarm('helios_alarms_chattering', 'Alarms flagged as chattering', (f) => f.chattering);
  family(
    registry,
    'counter',
    'helios_alarm_transitions_total',
    'Alarm transitions decided since the node started, by event (alarm, return, ack, shelve ...)',
    [...NODE, 'event'],
    function* () {
      for (const [labels, f] of alarms())
        for (const [event, n] of Object.entries(f.transitions)) yield [{ ...labels, event }, n];
    },
  );
  const journal = (name: string, help: string, key: 'rows' | 'bytes') =>
    family(registry, 'gauge', name, help, ['db_id', 'db'], function* () {
      for (const { entry, db } of open()) {
        const t = db.stats().tables[JOURNAL_TABLE];
        if (t) yield [{ db_id: entry.id, db: entry.label }, t[key]];
      }
    });
  journal(
    'helios_alarm_journal_rows',
    `Rows of the alarm journal (${JOURNAL_TABLE}), one per transition kept`,
    'rows',
  );
  journal(
    'helios_alarm_journal_bytes',
    `Bytes of the alarm journal's segment files (rows not yet flushed are not counted)`,
    'bytes',
  );
}
