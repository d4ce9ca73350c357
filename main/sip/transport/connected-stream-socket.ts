import type { Socket } from 'node:net';
import type { SipSocketOptions, SocketEndpoint } from './sip-socket';
import { SocketBase } from './socket-base';
import { connectStream } from './stream-connect';

/**
 * A socket that rides one TCP or TLS connection (SIP over TCP/TLS, and WebSocket after its
 * upgrade): opens and verifies the connection, ignores late reports from a connection it already
 * dropped, and knows the local address. Subclasses say what happens once the stream is up.
 */
export abstract class ConnectedStreamSocket extends SocketBase {
  protected connection: Socket | null = null;

  constructor(options: SipSocketOptions, private readonly secure: boolean) {
    super(options);
  }

  localAddress(): { address: string; port: number } | null {
    const socket = this.connection;
    if (!socket || !this.isConnected() || socket.localAddress === undefined || socket.localPort === undefined) return null;
    return { address: socket.localAddress, port: socket.localPort };
  }

  remoteAddress(): SocketEndpoint | null {
    const socket = this.connection;
    if (!socket || !this.isConnected() || socket.remoteAddress === undefined || socket.remotePort === undefined) return null;
    return { address: socket.remoteAddress, port: socket.remotePort };
  }

  protected open(): void {
    const { host, port, tls, serverName } = this.options;
    const socket: Socket = connectStream(
      { host, port, serverName, secure: this.secure, tls, endpoint: this.endpoint },
      {
        ready: () => {
          if (socket === this.connection) this.streamReady(socket);
        },
        // A socket we already dropped (timeout, disconnect) may still report; it is not ours.
        failed: (failure) => {
          if (socket === this.connection) this.fail(failure);
        },
      },
    );
    this.connection = socket;
  }

  /** The connection (and TLS handshake) is up: start speaking SIP, then call `opened()`. */
  protected abstract streamReady(socket: Socket): void;
}
