/**
 * What helios-db calls: `installAdmin` once when the node type registers (the admin routes, live
 * updates), and `attachDatabase` per config node (the registry entry and its [monitoring] section),
 * whose result detaches it on close.
 */
import type { DatabaseController } from '../db-controller';
import { monitoring, monitoringSettingsOf } from '../metrics/monitoring';
import type { NodeAPI } from '../red';
import type { TomlSettings } from '../toml-config';
import { startLiveUpdates } from './live';
import type { AdminAPI } from './red-admin';
import { databases } from './registry';
import { installAdminRoutes } from './routes';

function adminOf(RED: NodeAPI): AdminAPI | null {
  const api = RED as unknown as Partial<AdminAPI>;
  // node-red-node-test-helper and embedded runtimes may lack parts; the nodes work without the sidebar
  return api.httpAdmin && api.auth && api.comms ? (api as AdminAPI) : null;
}

export function installAdmin(RED: NodeAPI): void {
  const admin = adminOf(RED);
  if (!admin) return;
  installAdminRoutes(admin);
  startLiveUpdates(admin);
}

export interface AttachedDatabase {
  /** the TOML file was read: apply its [monitoring]; returns a warning to show, if any */
  tomlRead(toml: TomlSettings): string | null;
  detach(): void;
}

export function attachDatabase(
  RED: NodeAPI,
  id: string,
  label: string,
  controller: DatabaseController,
): AttachedDatabase {
  const entry = { id, label, controller };
  databases.add(entry);
  const admin = adminOf(RED);
  return {
    tomlRead: (toml) =>
      admin && toml.monitoring
        ? monitoring.configure(admin, id, monitoringSettingsOf(toml.monitoring))
        : null,
    detach: () => {
      databases.remove(id, entry);
      monitoring.release(id);
    },
  };
}
