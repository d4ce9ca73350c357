import type { TransportFailure, TransportKind } from './sip-socket';

/** `127.0.0.1:5060/tcp`, `[::1]:5061/tls`: how every failure message names the far end. */
export function endpointLabel(host: string, port: number, transport: TransportKind): string {
  return `${hostForUri(host)}:${port}/${transport}`;
}

/** IPv6 literals are bracketed in URIs and host:port pairs (RFC 3261 §25.1, RFC 3986 §3.2.2). */
export function hostForUri(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** Where in a connection's life an error arrived: decides what an ambiguous error means. */
export type ConnectionPhase = 'connecting' | 'tls-handshake' | 'established';

const unreachableCodes = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'EADDRNOTAVAIL']);
const unresolvedCodes = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL']);
/** OpenSSL verification results (`DEPTH_ZERO_SELF_SIGNED_CERT`, …) and Node's TLS errors. */
const tlsCodes = /^ERR_(SSL|TLS)_|CERT|SIGNATURE|ISSUER|SELF_SIGNED/;
const resetCodes = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/** Maps a Node socket error to the cause a user can act on, with a sentence naming the far end. */
export function failureFromError(error: unknown, endpoint: string, phase: ConnectionPhase): TransportFailure {
  const code = errorCode(error);
  const detail = error instanceof Error ? error.message : String(error);
  if (code === 'ECONNREFUSED') return { cause: 'refused', message: `connection refused by ${endpoint}` };
  if (code === 'ETIMEDOUT') return { cause: 'timeout', message: `connection to ${endpoint} timed out` };
  if (unreachableCodes.has(code)) return { cause: 'unreachable', message: `${endpoint} is unreachable (${code})` };
  if (unresolvedCodes.has(code)) return { cause: 'unreachable', message: `cannot resolve the host of ${endpoint} (${code})` };
  // A reset in the middle of a handshake is how many servers refuse a TLS client.
  if (phase === 'tls-handshake' || tlsCodes.test(code)) return { cause: 'tls', message: `TLS handshake with ${endpoint} failed: ${detail}` };
  if (resetCodes.has(code)) return { cause: 'closed', message: `connection to ${endpoint} reset (${code})` };
  return { cause: 'error', message: `${endpoint}: ${detail}` };
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}
