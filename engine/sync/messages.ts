/**
 * The small messages beside the batches (FORMAT.md, "Acks and downlink"): the hub's answer to a
 * batch, a downlink delivery, and the edge's answer to it. Each is a 4-byte magic, a version byte,
 * a JSON body and a CRC-32C, so a transport can carry them as opaque bytes and both sides refuse
 * what was cut or changed.
 */
import { crc32c } from '../util/crc32c';
import { SyncFormatError } from './batch-format';

/** The hub's answer to one batch. */
export interface SyncAck {
  readonly device: string;
  readonly epoch: string;
  readonly seq: number;
  readonly status: 'applied' | 'duplicate' | 'gap' | 'rejected';
  /** with 'gap': the seq the hub expects next */
  readonly expectSeq?: number;
  /** with 'rejected': why, as a sentence */
  readonly reason?: string;
  /**
   * true from a hub of a group (SyncHubOptions.group): the answer is for this seq alone, not for
   * every seq before it (another instance may have the earlier ones, or not yet)
   */
  readonly only?: boolean;
}

/** One downlink message as the edge hands it on. */
export interface DownMessage {
  readonly id: number;
  readonly payload: unknown;
}

/** A downlink delivery: a device's unacknowledged messages, oldest first. */
export interface DownDelivery {
  readonly device: string;
  readonly messages: readonly DownMessage[];
}

/** The edge's answer to a delivery: every message up to `upTo` is applied. */
export interface DownAck {
  readonly device: string;
  readonly upTo: number;
}

const ACK_MAGIC = 'HSYA';
const DOWN_MAGIC = 'HSYD';
const DOWN_ACK_MAGIC = 'HSYK';
const VERSION = 1;
const STATUSES = new Set(['applied', 'duplicate', 'gap', 'rejected']);

/** Encodes the hub's answer to a batch. */
export function encodeSyncAck(ack: SyncAck): Uint8Array {
  return encodeEnvelope(ACK_MAGIC, ack);
}

/** Decodes an answer encoded by encodeSyncAck; throws SyncFormatError. */
export function decodeSyncAck(bytes: Uint8Array): SyncAck {
  const ack = decodeEnvelope(ACK_MAGIC, 'sync ack', bytes) as Partial<SyncAck>;
  if (
    typeof ack.device !== 'string' ||
    typeof ack.epoch !== 'string' ||
    !isSeq(ack.seq) ||
    !STATUSES.has(ack.status as string)
  ) {
    throw new SyncFormatError('The sync ack lacks device, epoch, seq or a known status.');
  }
  if (ack.status === 'gap' && !isSeq(ack.expectSeq))
    throw new SyncFormatError("A 'gap' sync ack needs expectSeq.");
  return ack as SyncAck;
}

/** Encodes a downlink delivery. */
export function encodeDownDelivery(delivery: DownDelivery): Uint8Array {
  return encodeEnvelope(DOWN_MAGIC, delivery);
}

/** Decodes a downlink delivery; throws SyncFormatError. */
export function decodeDownDelivery(bytes: Uint8Array): DownDelivery {
  const d = decodeEnvelope(DOWN_MAGIC, 'downlink delivery', bytes) as Partial<DownDelivery>;
  const ok =
    typeof d.device === 'string' && Array.isArray(d.messages) && d.messages.every((m) => isSeq(m?.id));
  if (!ok) throw new SyncFormatError('The downlink delivery lacks device or messages with ids.');
  return d as DownDelivery;
}

/** Encodes the edge's answer to a delivery. */
export function encodeDownAck(ack: DownAck): Uint8Array {
  return encodeEnvelope(DOWN_ACK_MAGIC, ack);
}

/** Decodes the edge's answer to a delivery; throws SyncFormatError. */
export function decodeDownAck(bytes: Uint8Array): DownAck {
  const ack = decodeEnvelope(DOWN_ACK_MAGIC, 'downlink ack', bytes) as Partial<DownAck>;
  if (typeof ack.device !== 'string' || !(ack.upTo === 0 || isSeq(ack.upTo))) {
    throw new SyncFormatError('The downlink ack lacks device or upTo.');
  }
  return ack as DownAck;
}

function isSeq(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) > 0;
}

function encodeEnvelope(magic: string, body: unknown): Uint8Array {
  const json = Buffer.from(JSON.stringify(body), 'utf8');
  const out = Buffer.alloc(5 + json.length + 4);
  out.write(magic, 0, 'latin1');
  out[4] = VERSION;
  json.copy(out, 5);
  out.writeUInt32LE(crc32c(out, 0, 5 + json.length), 5 + json.length);
  return out;
}

function decodeEnvelope(magic: string, what: string, bytes: Uint8Array): unknown {
  if (!(bytes instanceof Uint8Array) || bytes.length < 9)
    throw new SyncFormatError(`A ${what} has at least 9 bytes.`);
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (buf.toString('latin1', 0, 4) !== magic)
    throw new SyncFormatError(`These bytes are not a Helios ${what} (wrong magic).`);
  if (buf[4] !== VERSION)
    throw new SyncFormatError(`The ${what} has format version ${buf[4]}; this Helios reads ${VERSION}.`);
  if (crc32c(buf, 0, buf.length - 4) !== buf.readUInt32LE(buf.length - 4)) {
    throw new SyncFormatError(`The ${what} is damaged or cut short (checksum mismatch).`);
  }
  try {
    return JSON.parse(buf.toString('utf8', 5, buf.length - 4));
  } catch {
    throw new SyncFormatError(`The ${what} does not hold JSON.`);
  }
}
