import { promises as fsp } from 'node:fs';
import type { TlsFiles } from './config';

export interface TlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/** Reads the PEM files named in the settings; a missing file is a sentence naming it. */
export async function readTls(files: TlsFiles): Promise<TlsMaterial> {
  const out: TlsMaterial = {};
  const read = async (file: string, what: string): Promise<Buffer> => {
    try {
      return await fsp.readFile(file);
    } catch (err) {
      throw new Error(
        `Cannot read the ${what} file ${file} (${(err as NodeJS.ErrnoException).code ?? err}). ` +
          'Check [sync] ca_file / cert_file / key_file (or the node fields).',
      );
    }
  };
  if (files.caFile) out.ca = await read(files.caFile, 'CA certificate');
  if (files.certFile) out.cert = await read(files.certFile, 'certificate');
  if (files.keyFile) out.key = await read(files.keyFile, 'private key');
  return out;
}

const CERT_CODES: Readonly<Record<string, string>> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'it is self-signed and not signed by the configured CA',
  SELF_SIGNED_CERT_IN_CHAIN: 'its chain ends in a self-signed CA that is not the configured one',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'it is not signed by the configured CA',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'its issuer is not the configured CA',
  CERT_HAS_EXPIRED: 'it has expired',
  CERT_NOT_YET_VALID: 'it is not valid yet',
  ERR_TLS_CERT_ALTNAME_INVALID: 'it was issued for another host name',
};

/** A TLS failure as a sentence ("the hub's certificate was refused: ..."), or null if `err` is not one. */
export function certificateProblem(err: unknown, endpoint: string): string | null {
  const code = (err as { code?: string } | null)?.code;
  if (!code) return null;
  const why = CERT_CODES[code];
  if (!why) return null;
  return (
    `The certificate of ${endpoint} was refused: ${why} (${code}). ` +
    'Set [sync] ca_file to the CA that signed it, or fix the server certificate.'
  );
}
