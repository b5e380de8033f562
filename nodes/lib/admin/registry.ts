/**
 * The helios-db config nodes running in this Node-RED, by id: what the sidebar lists, the admin
 * routes query and the health check and metrics read. A helios-db adds itself when created and
 * removes itself on close.
 */
import { EventEmitter } from 'node:events';
import type { DatabaseController } from '../db-controller';

export interface RegisteredDatabase {
  readonly id: string;
  /** the node's name, else its directory */
  readonly label: string;
  readonly controller: DatabaseController;
}

/** Emits 'change' when a database comes or goes. */
export class DatabaseRegistry extends EventEmitter {
  private readonly entries = new Map<string, RegisteredDatabase>();

  add(entry: RegisteredDatabase): void {
    this.entries.set(entry.id, entry);
    this.emit('change');
  }

  /** Removes `id` if it is still `entry` (a redeploy may have added the new node first). */
  remove(id: string, entry?: RegisteredDatabase): void {
    if (entry && this.entries.get(id) !== entry) return;
    if (this.entries.delete(id)) this.emit('change');
  }

  get(id: string): RegisteredDatabase | undefined {
    return this.entries.get(id);
  }

  list(): RegisteredDatabase[] {
    return [...this.entries.values()].sort(
      (a, b) => a.label.localeCompare(b.label) || a.id.localeCompare(b.id),
    );
  }
}

/** The one registry of this Node-RED process (every node file loads this module once). */
export const databases = new DatabaseRegistry();
