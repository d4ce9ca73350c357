/** A throwaway self-signed certificate for 127.0.0.1, made by openssl in a temp dir. */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export interface SelfSignedCert {
  key: string;
  cert: string;
  /** `AB:CD:…`, as `fingerprintSha256` expects. */
  fingerprint256: string;
}

/** `subjectAltName` decides which host Node accepts it for; the default suits 127.0.0.1. */
export async function selfSignedCert(subjectAltName = 'IP:127.0.0.1'): Promise<SelfSignedCert> {
  const dir = await mkdtemp(join(tmpdir(), 'trunkline-tls-'));
  try {
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    // EC keys generate in milliseconds; the IP SAN is what Node checks for an IP host.
    await promisify(execFile)('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', '/CN=trunkline-test',
      '-addext', `subjectAltName=${subjectAltName}`,
    ]);
    const [key, cert] = await Promise.all([readFile(keyPath, 'utf8'), readFile(certPath, 'utf8')]);
    return { key, cert, fingerprint256: new X509Certificate(cert).fingerprint256 };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
