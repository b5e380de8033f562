/**
 * Panels the sidebar shows beside the databases, added by other parts of the package (the sync
 * and alarm nodes): each has an id, reads its current state as plain JSON, may take actions
 * (retry, acknowledge ...) and says when its state changed, which is pushed to the editor over
 * RED.comms. The sidebar's panel registry (nodes/sidebar/helios-sidebar.js) draws each id's
 * state. docs/sidebar.md, "Adding a panel".
 */
import { EventEmitter } from 'node:events';

export interface PanelSource {
  /** a stable id, e.g. 'sync' or 'alarms'; also the name of the editor-side renderer */
  readonly id: string;
  /** its current state, plain JSON (what GET /helios/panels/:id returns and comms push) */
  read(): unknown;
  /** actions by name, called by POST /helios/panels/:id/:action with the request body (needs helios.write) */
  readonly actions?: Readonly<Record<string, (body: unknown) => Promise<unknown>>>;
  /** gauges for the Prometheus endpoint, read at each scrape (e.g. helios_sync_backlog_rows) */
  metrics?(): Array<{ name: string; help: string; labels?: Record<string, string>; value: number }>;
}

export interface PanelHandle {
  /** the state changed: the editor gets it (coalesced, a few per second at most) */
  changed(): void;
  remove(): void;
}

/** Emits 'changed' (id) and 'list' when panels come or go. */
export class PanelRegistry extends EventEmitter {
  private readonly sources = new Map<string, PanelSource>();

  register(source: PanelSource): PanelHandle {
    this.sources.set(source.id, source);
    this.emit('list');
    return {
      changed: () => {
        if (this.sources.get(source.id) === source) this.emit('changed', source.id);
      },
      remove: () => {
        if (this.sources.get(source.id) !== source) return;
        this.sources.delete(source.id);
        this.emit('list');
      },
    };
  }

  get(id: string): PanelSource | undefined {
    return this.sources.get(id);
  }

  ids(): string[] {
    return [...this.sources.keys()].sort();
  }
}

/** The one panel registry of this Node-RED process. */
export const panels = new PanelRegistry();
