import { connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { TLSSocket } from 'node:tls';
import type { TlsTrust, TransportFailure } from './sip-socket';
import { failureFromError } from './failure';
import type { ConnectionPhase } from './failure';
import { pinViolation, tlsConnectOptions } from './tls-trust';

/** A TCP or TLS connection to open. */
export interface StreamTarget {
  host: string;
  port: number;
  /** The configured name behind a located `host` address: SNI and certificate check (RFC 5922 §4). */
  serverName?: string;
  secure: boolean;
  tls?: TlsTrust;
  /** `host:port/transport`, for failure messages. */
  endpoint: string;
}

/** Exactly one of these is called, unless the caller destroys the socket first. */
export interface StreamSetupHandlers {
  ready(socket: Socket): void;
  failed(failure: TransportFailure): void;
}

/**
 * Opens a TCP connection, or TLS with the trust policy applied, and reports once: ready (TLS
 * verified and pin checked) or failed with a mapped cause. Shared by SIP over TCP/TLS and the
 * connection under a WebSocket, so every transport fails the same way. The bound on setup time is
 * the caller's (it owns the clock). Returns the socket so the caller can destroy it at any time.
 */
export function connectStream(target: StreamTarget, handlers: StreamSetupHandlers): Socket {
  const { host, port, secure, tls, endpoint, serverName } = target;
  let settled = false;
  let phase: ConnectionPhase = 'connecting';
  const settle = (report: () => void): void => {
    if (settled) return;
    settled = true;
    report();
  };

  const socket: Socket = secure ? tlsConnect(tlsConnectOptions(host, port, tls, serverName)) : netConnect({ host, port });
  socket.setNoDelay(true);
  // Stays attached for the socket's whole life so a late error is never an unhandled 'error'.
  socket.on('error', (error) => settle(() => handlers.failed(failureFromError(error, endpoint, phase))));
  socket.once('close', () =>
    settle(() =>
      handlers.failed(
        phase === 'tls-handshake'
          ? { cause: 'tls', message: `${endpoint} closed the connection during the TLS handshake` }
          : { cause: 'closed', message: `${endpoint} closed the connection during setup` },
      ),
    ),
  );
  socket.once('connect', () => {
    if (!secure) return settle(() => handlers.ready(socket));
    phase = 'tls-handshake';
  });
  if (secure) {
    socket.once('secureConnect', () => {
      const violation = pinViolation(socket as TLSSocket, tls);
      if (violation === null) return settle(() => handlers.ready(socket));
      settle(() => handlers.failed({ cause: 'tls', message: `TLS with ${endpoint} rejected: ${violation}` }));
      socket.destroy();
    });
  }
  return socket;
}
