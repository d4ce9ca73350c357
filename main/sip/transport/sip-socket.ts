import type { Clock } from '../clock';
import { normalizeFingerprint } from './tls-trust';
import { StreamSipSocket } from './stream-socket';
import { UdpSipSocket } from './udp-socket';
import { WsSipSocket } from './ws-socket';

import type { TransportKind } from '../../../common/line-config';

export type { TransportKind };

/**
 * Which server certificates to accept on tls/wss. Certificates are verified against the system
 * CAs and the host (DNS name or IP SAN) by default.
 */
export interface TlsTrust {
  /** A PEM CA (or self-signed certificate) trusted in addition to the system CAs. */
  ca?: string;
  /**
   * SHA-256 fingerprint `AB:CD:…` (colons optional) pinning the server certificate: exactly that
   * certificate is accepted, even self-signed or issued for another name, and nothing else.
   */
  fingerprintSha256?: string;
}

/** Where and how a {@link SipSocket} connects. */
export interface SipSocketOptions {
  /** Where to connect: an IP address (a located target) or a name the OS resolves. */
  host: string;
  port: number;
  /**
   * The configured server name when `host` is an address located from it (RFC 3263): TLS SNI and
   * the certificate check use it (RFC 5922 §4), and so does the WebSocket Host header. Absent:
   * `host` itself.
   */
  serverName?: string;
  transport: TransportKind;
  /** HTTP path of the WebSocket upgrade for ws/wss; default `/`. */
  path?: string;
  tls?: TlsTrust;
  /** Bound on connection setup (TCP connect, TLS handshake, WebSocket upgrade); default 5000. */
  connectTimeoutMs?: number;
  /** RFC 3261 §17.1.1.1 T1 (RTT estimate) for UDP retransmission; default 500. */
  t1Ms?: number;
  /** RFC 3261 §17.1.2.2 T2 (cap of the non-INVITE retransmit interval); default 4000. */
  t2Ms?: number;
  clock: Clock;
}

/** Why a socket failed, in terms a user can act on. */
export type TransportFailureCause = 'refused' | 'unreachable' | 'timeout' | 'closed' | 'tls' | 'error';

/** A failure with a sentence naming the far end, e.g. "connection refused by 127.0.0.1:5060/tcp". */
export interface TransportFailure {
  cause: TransportFailureCause;
  message: string;
}

/** One SIP message on the wire. Keepalives are not traced. */
export interface TraceRecord {
  direction: 'sent' | 'received';
  text: string;
  /** A retransmission we sent, or a duplicate we received and kept from JsSIP (UDP only). */
  retransmission: boolean;
  /** Clock time, epoch ms. */
  time: number;
  /** How the message travelled (for HEP export and captures); absent from records made up by tests. */
  transport?: TransportKind;
  /** Our end of the socket when the message passed; null when not known (not connected). */
  local?: SocketEndpoint | null;
  /** The server's end (the resolved address, not the configured host name); null when not known. */
  remote?: SocketEndpoint | null;
}

/** An IP address (v4 dotted, v6 without brackets) and a port. */
export interface SocketEndpoint {
  address: string;
  port: number;
}

/**
 * A JsSIP socket (structurally `JsSIP.Socket`; see jssip/lib/Socket.js `isSocket`). JsSIP assigns
 * `onconnect`, `ondisconnect` and `ondata` before each `connect()`. `ondata` receives exactly one
 * complete SIP message per call, or `"\r\n\r\n"` for a keepalive ping that JsSIP answers.
 * `disconnect()` never calls `ondisconnect`: JsSIP's Transport reports that itself.
 */
export interface SipSocket {
  /** `UDP`, `TCP`, `TLS`, `WS` or `WSS`: what JsSIP writes in Via. */
  readonly via_transport: string;
  /** `udp:127.0.0.1:5060`, `tls:…`, `ws://127.0.0.1:8080/`. */
  readonly url: string;
  /** `sip:127.0.0.1:5060;transport=udp` (`transport=ws` for ws and wss, RFC 7118 §5.2). */
  readonly sip_uri: string;
  connect(): void;
  disconnect(): void;
  /**
   * Sends one message, rewriting the top Via of requests (see via.ts). True once the message is
   * handed to the OS or queued; false when it cannot be sent at all (not connected, too large).
   */
  send(message: string): boolean;
  isConnected(): boolean;
  isConnecting(): boolean;
  /**
   * Sends one keepalive to keep a NAT binding open (RFC 5626 §4.4.1 double CRLF on TCP/TLS and,
   * as many servers accept, on UDP; a WebSocket ping frame on ws/wss). Not traced. False when not
   * connected.
   */
  sendKeepalive(): boolean;
  onconnect: () => void;
  ondisconnect: (error: boolean, code?: number, reason?: string) => void;
  ondata: (message: string) => void;
  /**
   * Local address actually used; null until connected. UDP also knows it after
   * `UdpSipSocket.prepare()` and keeps it (same port) while JsSIP reconnects after a failure.
   */
  localAddress(): { address: string; port: number } | null;
  /** Why the socket last failed; cleared by the next successful connect. */
  readonly lastFailure: TransportFailure | null;
  /** Stops UDP retransmissions of the request with this Via branch (no-op on reliable transports). */
  stopRetransmitting(branch: string): void;
  ontrace: ((record: TraceRecord) => void) | null;
}

/** Creates the socket for `options.transport`. Throws TypeError on options that can never work. */
export function createSipSocket(options: SipSocketOptions): SipSocket {
  validate(options);
  switch (options.transport) {
    case 'udp':
      return new UdpSipSocket(options);
    case 'tcp':
    case 'tls':
      return new StreamSipSocket(options);
    case 'ws':
    case 'wss':
      return new WsSipSocket(options);
  }
}

function validate(options: SipSocketOptions): void {
  const { host, port, transport, tls, t1Ms, t2Ms, connectTimeoutMs, serverName } = options;
  if (!['udp', 'tcp', 'tls', 'ws', 'wss'].includes(transport)) throw new TypeError(`unknown transport ${transport}`);
  if (!host || /[\s/]/.test(host)) throw new TypeError(`invalid host "${host}"`);
  if (serverName !== undefined && (!serverName || /[\s/]/.test(serverName))) throw new TypeError(`invalid serverName "${serverName}"`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new TypeError(`invalid port ${port}`);
  for (const [name, value] of Object.entries({ t1Ms, t2Ms, connectTimeoutMs })) {
    if (value !== undefined && !(value > 0)) throw new TypeError(`${name} must be positive`);
  }
  if (tls?.fingerprintSha256 !== undefined && normalizeFingerprint(tls.fingerprintSha256) === null) {
    throw new TypeError('tls.fingerprintSha256 must be 32 bytes of hex, e.g. "AB:CD:…"');
  }
}
