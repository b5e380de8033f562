/**
 * The general compressors a sync batch's body may use after the engine's column codecs: zstd where
 * `node:zlib` has it (Node 22.15+), else brotli; gzip for receivers that only know it; none. The
 * batch header names the one used (FORMAT.md), so any receiver decodes any batch it can inflate.
 */
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';

/** The compressors of the sync format, by name. */
export type SyncCompression = 'zstd' | 'brotli' | 'gzip' | 'none';

/** The code of each compressor in a batch header (FORMAT.md). */
export const COMPRESSION_CODES: Readonly<Record<SyncCompression, number>> = {
  none: 0,
  gzip: 1,
  brotli: 2,
  zstd: 3,
};
const BY_CODE: readonly SyncCompression[] = ['none', 'gzip', 'brotli', 'zstd'];

/** zlib's zstd functions where the runtime has them (typed loosely: @types/node 20 lacks them). */
const zstd = zlib as unknown as {
  zstdCompress?: (b: Uint8Array, o: object, cb: (e: Error | null, r: Buffer) => void) => void;
  zstdDecompressSync?: (b: Uint8Array) => Buffer;
  constants: Record<string, number>;
};

/** The compressors this runtime can write and read, best first. */
export function syncCompressions(): readonly SyncCompression[] {
  return zstd.zstdCompress && zstd.zstdDecompressSync
    ? ['zstd', 'brotli', 'gzip', 'none']
    : ['brotli', 'gzip', 'none'];
}

/** The default compressor: zstd when the runtime has it, else brotli. */
export function defaultCompression(): SyncCompression {
  return syncCompressions()[0]!;
}

/** The compressor of a header code, or undefined for a code this format does not define. */
export function compressionOfCode(code: number): SyncCompression | undefined {
  return BY_CODE[code];
}

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

/**
 * Compresses `body` (asynchronously: zlib works on its thread pool, so Node-RED's thread is not
 * held). `level`: the compressor's own scale (zstd 1-22, brotli 0-11, gzip 1-9); undefined picks
 * a level that suits a gateway's CPU (zstd 3, brotli 5, gzip 6).
 */
export async function compressBody(
  kind: SyncCompression,
  body: Uint8Array,
  level?: number,
): Promise<Uint8Array> {
  switch (kind) {
    case 'none':
      return body;
    case 'gzip':
      return gzip(body, { level: level ?? 6 });
    case 'brotli':
      return brotli(body, {
        params: {
          [zlib.constants.BROTLI_PARAM_QUALITY]: level ?? 5,
          [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length,
        },
      });
    case 'zstd': {
      const compress = zstd.zstdCompress;
      if (!compress) throw new Error('zstd is not available in this Node.js runtime');
      const params = { [zstd.constants.ZSTD_c_compressionLevel ?? 100]: level ?? 3 };
      return new Promise((resolve, reject) =>
        compress(body, { params }, (err, out) => (err ? reject(err) : resolve(out))),
      );
    }
  }
}

/** Inflates a body compressed with `kind`; throws (zlib's error) on bytes that are not such a stream. */
export function decompressBody(kind: SyncCompression, body: Uint8Array, maxBytes: number): Uint8Array {
  switch (kind) {
    case 'none':
      return body;
    case 'gzip':
      return zlib.gunzipSync(body, { maxOutputLength: Math.max(1, maxBytes) });
    case 'brotli':
      return zlib.brotliDecompressSync(body, { maxOutputLength: Math.max(1, maxBytes) });
    case 'zstd': {
      const inflate = zstd.zstdDecompressSync;
      if (!inflate) throw new Error('zstd is not available in this Node.js runtime');
      return inflate(body);
    }
  }
}
