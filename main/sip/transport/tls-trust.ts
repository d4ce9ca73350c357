import { isIP } from 'node:net';
import { checkServerIdentity, rootCertificates } from 'node:tls';
import type { ConnectionOptions, TLSSocket } from 'node:tls';
import type { TlsTrust } from './sip-socket';

/**
 * `tls.connect` options for a server and a trust policy.
 *
 * Verification stays on by default: Node checks the chain and then the host against the
 * certificate (`checkServerIdentity`: DNS SAN for names, IP SAN for an IP literal — RFC 5922 §7.2
 * for SIP). A pinned fingerprint replaces both with one exact comparison after the handshake.
 */
export function tlsConnectOptions(host: string, port: number, trust: TlsTrust | undefined, serverName?: string): ConnectionOptions {
  const options: ConnectionOptions = { host, port };
  // RFC 5922 §4: a server located through DNS is still checked against the name configured, not
  // the address connected to (Node checks `servername` when set, else `host`).
  const name = serverName ?? host;
  // SNI carries names only (RFC 6066 §3); Node still verifies an IP host against the IP SANs.
  if (isIP(name) === 0) options.servername = name;
  else if (name !== host) options.checkServerIdentity = (_host, cert) => checkServerIdentity(name, cert);
  if (trust?.fingerprintSha256) {
    options.rejectUnauthorized = false;
  } else {
    options.rejectUnauthorized = true;
    // `ca` replaces Node's default store; keep the system CAs so the option only adds trust.
    if (trust?.ca) options.ca = [...rootCertificates, trust.ca];
  }
  return options;
}

/** Why a connected socket breaks the pin, or null when it keeps it (or nothing is pinned). */
export function pinViolation(socket: TLSSocket, trust: TlsTrust | undefined): string | null {
  if (!trust?.fingerprintSha256) return null;
  const expected = normalizeFingerprint(trust.fingerprintSha256);
  const actual = socket.getPeerCertificate()?.fingerprint256;
  if (!actual) return 'the server presented no certificate';
  if (normalizeFingerprint(actual) === expected) return null;
  return `certificate fingerprint ${actual} does not match the pinned ${expected}`;
}

/** `ab:cd…`, `ABCD…` → `AB:CD:…`; null unless it is exactly 32 bytes of hex. */
export function normalizeFingerprint(fingerprint: string): string | null {
  const hex = fingerprint.replace(/[:\s]/g, '').toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) return null;
  return (hex.match(/../g) as string[]).join(':');
}
