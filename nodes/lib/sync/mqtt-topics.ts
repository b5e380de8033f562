/** The MQTT topics of helios-sync, under a prefix (default `helios`). */
export interface SyncTopics {
  batch(device: string): string;
  ack(device: string): string;
  down(device: string): string;
  downAck(device: string): string;
  /** the hub's subscriptions (shared when a group is set) */
  hubBatches(group: string): string;
  hubDownAcks(group: string): string;
  /** the device a topic names, or null */
  deviceOf(topic: string): string | null;
}

export function syncTopics(prefix: string): SyncTopics {
  const shared = (group: string, topic: string) => (group ? `$share/${group}/${topic}` : topic);
  return {
    batch: (d) => `${prefix}/${d}/batch`,
    ack: (d) => `${prefix}/${d}/ack`,
    down: (d) => `${prefix}/${d}/down`,
    downAck: (d) => `${prefix}/${d}/downack`,
    hubBatches: (g) => shared(g, `${prefix}/+/batch`),
    hubDownAcks: (g) => shared(g, `${prefix}/+/downack`),
    deviceOf(topic) {
      if (!topic.startsWith(`${prefix}/`)) return null;
      const device = topic.slice(prefix.length + 1).split('/')[0];
      return device ? device : null;
    },
  };
}
