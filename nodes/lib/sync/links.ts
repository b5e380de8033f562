import type { SyncSettings } from './config';
import { ForeignHttpLink } from './foreign';
import { HttpEdgeLink } from './http-edge';
import { HttpHubLink } from './http-hub';
import { batchKey, type EdgeLink, type HubLink } from './link';
import { MqttEdgeLink } from './mqtt-edge';
import { MqttHubLink } from './mqtt-hub';
import type { SyncCodec } from './ports';
import type { TlsMaterial } from './tls';

/** The edge link the settings ask for: MQTT, HTTP to a Helios hub, or HTTP to another receiver. */
export function edgeLink(settings: SyncSettings, tls: TlsMaterial, codec: SyncCodec): EdgeLink {
  if (settings.protocol === 'mqtt' || settings.protocol === 'mqtts') {
    return new MqttEdgeLink(settings, tls, (answer) => {
      const ack = codec.decodeSyncAck(answer);
      return batchKey(ack.epoch, ack.seq);
    });
  }
  if (settings.format !== 'helios') return new ForeignHttpLink(settings, tls, codec);
  return new HttpEdgeLink(settings, tls);
}

export function hubLink(settings: SyncSettings, tls: TlsMaterial): HubLink {
  if (settings.protocol === 'mqtt' || settings.protocol === 'mqtts') return new MqttHubLink(settings, tls);
  return new HttpHubLink(settings, tls);
}
