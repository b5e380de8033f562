import { connect, type IPublishPacket, type MqttClient } from 'mqtt';
import type { SyncSettings } from './config';
import type { HubHandler, HubLink, LinkEvents } from './link';
import { mqttOptions, mqttProblem } from './mqtt-edge';
import { syncTopics } from './mqtt-topics';
import type { TlsMaterial } from './tls';

/**
 * The hub end over MQTT. Subscribes to every device's batches (`$share/<group>/helios/+/batch`
 * when a group is set, so several hub instances share a fleet), applies each one through the
 * handler, and only then answers: to the MQTT 5 response topic with the correlation data, or to
 * `helios/<device>/ack` for 3.1.1 edges. The broker's PUBACK to the hub is also held back until
 * the batch is applied, so a hub that dies mid-apply gets the batch again from a persistent session.
 */
export class MqttHubLink implements HubLink {
  private client: MqttClient | null = null;
  private readonly topics;
  /** one batch applied at a time, in arrival order */
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly settings: SyncSettings,
    private readonly tls: TlsMaterial,
  ) {
    this.topics = syncTopics(settings.topicPrefix);
  }

  get connected(): boolean {
    return this.client?.connected === true;
  }

  start(handler: HubHandler, events: LinkEvents): void {
    // A persistent session for a named hub: batches published while it restarts wait at the broker.
    const client = connect(this.settings.endpoint, mqttOptions(this.settings, this.tls, false));
    this.client = client;
    const group = this.settings.shareGroup;
    client.handleMessage = (packet, done) => {
      this.chain = this.chain
        .then(() => this.receive(handler, packet))
        .then(
          () => done(),
          () => done(),
        );
    };
    client.on('connect', () => {
      client.subscribe([this.topics.hubBatches(group), this.topics.hubDownAcks(group)], { qos: 1 }, (err) => {
        if (err) events.state(false, mqttProblem(err, this.settings.endpoint));
        else events.state(true);
      });
    });
    client.on('error', (err) => events.state(false, mqttProblem(err, this.settings.endpoint)));
    client.on('close', () => events.state(false));
  }

  pushDown(device: string, bytes: Uint8Array): void {
    if (this.client?.connected) this.client.publish(this.topics.down(device), Buffer.from(bytes), { qos: 1 });
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = null;
    if (client) await new Promise<void>((resolve) => client.end(true, {}, () => resolve()));
  }

  private async receive(handler: HubHandler, packet: IPublishPacket): Promise<void> {
    const topic = packet.topic;
    const device = this.topics.deviceOf(topic);
    const client = this.client;
    if (!device || !client) return;
    const payload = packet.payload as Buffer;
    if (topic === this.topics.downAck(device)) {
      await handler.downAck(device, new Uint8Array(payload));
      return;
    }
    if (topic !== this.topics.batch(device)) return;
    const answer = await handler.batch(device, new Uint8Array(payload));
    const responseTopic = packet.properties?.responseTopic ?? this.topics.ack(device);
    const correlationData = packet.properties?.correlationData;
    const options =
      this.settings.mqttVersion === 5 && correlationData
        ? { qos: 1 as const, properties: { correlationData } }
        : { qos: 1 as const };
    client.publish(responseTopic, Buffer.from(answer), options);
    const down = handler.pendingDown(device);
    if (down) this.pushDown(device, down);
  }
}
