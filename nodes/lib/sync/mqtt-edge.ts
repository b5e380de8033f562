import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { SyncSettings } from './config';
import { batchKey, type EdgeLink, LinkError, type LinkEvents } from './link';
import { syncTopics } from './mqtt-topics';
import type { SyncBatch } from './ports';
import type { TlsMaterial } from './tls';

interface Waiting {
  resolve(answer: Uint8Array): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/** MQTT.js options shared by both ends: no queue of our own in MQTT.js's store. */
export function mqttOptions(settings: SyncSettings, tls: TlsMaterial, clean: boolean): IClientOptions {
  const options: IClientOptions = {
    clientId: settings.clientId,
    protocolVersion: settings.mqttVersion,
    clean,
    // Never queue while offline: the database is the queue, MQTT.js's store holds only the window.
    queueQoSZero: false,
    reconnectPeriod: 2000,
    connectTimeout: 10_000,
    resubscribe: true,
  };
  if (settings.username) options.username = settings.username;
  if (settings.password) options.password = settings.password;
  if (tls.ca) options.ca = tls.ca;
  if (tls.cert) options.cert = tls.cert;
  if (tls.key) options.key = tls.key;
  return options;
}

/** An MQTT failure as a sentence for the status line and the log. */
export function mqttProblem(err: Error, endpoint: string): Error {
  const code = (err as { code?: string | number }).code;
  if (code === 'ECONNREFUSED')
    return new LinkError(`No MQTT broker answers at ${endpoint} (connection refused).`);
  if (code === 'ENOTFOUND') return new LinkError(`The MQTT broker's host in ${endpoint} is not known (DNS).`);
  if (code === 5 || code === 135 || code === 4 || code === 134) {
    return new LinkError(
      `The MQTT broker at ${endpoint} refused the user name or password.`,
      'HELIOS_SYNC_AUTH',
    );
  }
  return new LinkError(`MQTT ${endpoint}: ${err.message}`);
}

/**
 * The edge end over MQTT. Batches go QoS 1 to `helios/<device>/batch`; the hub's answer comes on
 * `helios/<device>/ack` (the MQTT 5 response topic, with the batch's key as correlation data; MQTT
 * 3.1.1 hubs answer on the same topic and the answer itself names the batch). A PUBACK only means the
 * broker has it; the send resolves on the hub's answer. Only the window of batches in flight is
 * ever in MQTT.js's store, and it is emptied when the connection goes.
 */
export class MqttEdgeLink implements EdgeLink {
  private client: MqttClient | null = null;
  private readonly waiting = new Map<string, Waiting>();
  private readonly topics;
  private downHandler: ((bytes: Uint8Array) => Promise<Uint8Array | null>) | null = null;

  constructor(
    private readonly settings: SyncSettings,
    private readonly tls: TlsMaterial,
    /** the key of an answer (epoch:seq), from the answer itself (decodeSyncAck) */
    private readonly keyOfAnswer: (answer: Uint8Array) => string,
  ) {
    this.topics = syncTopics(settings.topicPrefix);
  }

  get connected(): boolean {
    return this.client?.connected === true;
  }

  start(events: LinkEvents): void {
    const device = this.settings.deviceId;
    const client = connect(this.settings.endpoint, mqttOptions(this.settings, this.tls, true));
    this.client = client;
    client.on('connect', () => {
      client.subscribe([this.topics.ack(device), this.topics.down(device)], { qos: 1 }, (err) => {
        if (err) events.state(false, mqttProblem(err, this.settings.endpoint));
        else events.state(true);
      });
    });
    client.on('error', (err) => events.state(false, mqttProblem(err, this.settings.endpoint)));
    client.on('close', () => {
      this.dropWindow('The connection to the MQTT broker closed before the hub answered.');
      events.state(false);
    });
    client.on('message', (topic, payload, packet) => {
      if (topic === this.topics.ack(device)) this.answer(payload, packet.properties?.correlationData);
      else if (topic === this.topics.down(device)) this.down(payload);
    });
  }

  send(batch: SyncBatch): Promise<Uint8Array> {
    const client = this.client;
    if (!client?.connected) {
      return Promise.reject(new LinkError('Not connected to the MQTT broker.', 'HELIOS_SYNC_OFFLINE'));
    }
    const device = this.settings.deviceId;
    const key = batchKey(batch.meta.epoch, batch.meta.seq);
    return new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(key);
        reject(
          new LinkError(
            `The hub did not answer batch ${batch.meta.seq} within ${this.settings.ackTimeoutSecs} s.`,
            'HELIOS_SYNC_TIMEOUT',
          ),
        );
      }, this.settings.ackTimeoutSecs * 1000);
      this.waiting.get(key)?.reject(new LinkError('The batch was sent again.'));
      this.waiting.set(key, { resolve, reject, timer });
      const properties =
        this.settings.mqttVersion === 5
          ? { responseTopic: this.topics.ack(device), correlationData: Buffer.from(key) }
          : undefined;
      const options = properties ? { qos: 1 as const, properties } : { qos: 1 as const };
      client.publish(this.topics.batch(device), Buffer.from(batch.bytes), options, (err) => {
        if (err)
          this.settle(
            key,
            null,
            new LinkError(`The MQTT broker did not take batch ${batch.meta.seq}: ${err.message}`),
          );
      });
    });
  }

  onDown(handler: (bytes: Uint8Array) => Promise<Uint8Array | null>): void {
    this.downHandler = handler;
  }

  pollDown(): Promise<void> {
    return Promise.resolve();
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = null;
    this.dropWindow('helios-sync is closing.');
    if (client) await new Promise<void>((resolve) => client.end(true, {}, () => resolve()));
  }

  private answer(payload: Buffer, correlation: Buffer | undefined): void {
    let key: string;
    try {
      key = correlation ? correlation.toString() : this.keyOfAnswer(payload);
    } catch {
      return; // not an answer we can read; the batch times out and goes again
    }
    this.settle(key, new Uint8Array(payload), null);
  }

  private settle(key: string, answer: Uint8Array | null, err: Error | null): void {
    const w = this.waiting.get(key);
    if (!w) return;
    this.waiting.delete(key);
    clearTimeout(w.timer);
    if (answer) w.resolve(answer);
    else w.reject(err ?? new LinkError('No answer.'));
  }

  /** fails every batch waiting for an answer, and takes them out of MQTT.js's store */
  private dropWindow(reason: string): void {
    for (const key of [...this.waiting.keys()])
      this.settle(key, null, new LinkError(reason, 'HELIOS_SYNC_OFFLINE'));
    const client = this.client;
    const outgoing = (client as unknown as { outgoing?: Record<string, unknown> } | null)?.outgoing;
    if (client && outgoing) for (const id of Object.keys(outgoing)) client.removeOutgoingMessage(Number(id));
  }

  private down(payload: Buffer): void {
    const handler = this.downHandler;
    if (!handler) return;
    handler(new Uint8Array(payload)).then(
      (ack) => {
        if (ack && this.client?.connected) {
          this.client.publish(this.topics.downAck(this.settings.deviceId), Buffer.from(ack), { qos: 1 });
        }
      },
      () => undefined, // not applied: the hub sends it again
    );
  }
}
