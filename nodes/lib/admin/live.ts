/**
 * Live updates for the sidebar over RED.comms (the editor's websocket): no polling loop in the
 * browser. The databases' views are pushed on topic `helios/databases` when they changed, checked
 * once a second (so at most one message a second); a panel's state on `helios/panels/<id>` when
 * its source says it changed, at most four times a second per panel. Both are retained, so an
 * editor opened later gets the last state at once.
 */
import { viewOf } from './database-view';
import { type PanelRegistry, panels as processPanels } from './panels';
import type { AdminAPI } from './red-admin';
import { type DatabaseRegistry, databases as processDatabases } from './registry';

export const DATABASES_TOPIC = 'helios/databases';
export const PANELS_TOPIC = 'helios/panels';
const CHECK_MS = 1000;
const PANEL_MIN_MS = 250;

const started = new WeakSet<object>();

export function startLiveUpdates(
  RED: AdminAPI,
  databases: DatabaseRegistry = processDatabases,
  panels: PanelRegistry = processPanels,
): void {
  if (started.has(RED.comms)) return;
  started.add(RED.comms);
  let last = '';
  const publishDatabases = () => {
    const views = databases.list().map(viewOf);
    const text = JSON.stringify(views);
    if (text === last) return;
    last = text;
    RED.comms.publish(DATABASES_TOPIC, views, true);
  };
  setInterval(publishDatabases, CHECK_MS).unref();
  databases.on('change', publishDatabases);

  const pending = new Map<string, NodeJS.Timeout>();
  const lastSent = new Map<string, number>();
  panels.on('changed', (id: string) => {
    if (pending.has(id)) return;
    const wait = Math.max(0, (lastSent.get(id) ?? 0) + PANEL_MIN_MS - Date.now());
    const timer = setTimeout(() => {
      pending.delete(id);
      lastSent.set(id, Date.now());
      const source = panels.get(id);
      if (source) RED.comms.publish(`${PANELS_TOPIC}/${id}`, source.read(), true);
    }, wait);
    timer.unref();
    pending.set(id, timer);
  });
  panels.on('list', () => RED.comms.publish(PANELS_TOPIC, panels.ids(), true));
}
