import type { Socket } from 'node:net';
import WebSocket from 'ws';
import type { SipSocketOptions, TransportFailure } from './sip-socket';
import { failureFromError } from './failure';
import { ConnectedStreamSocket } from './connected-stream-socket';

/**
 * SIP over WebSocket (RFC 7118): each WebSocket message is exactly one SIP message, so there is
 * no framing and no retransmission.
 *
 * The TCP/TLS connection is opened and verified by the same code as SIP over TCP/TLS and only
 * then handed to `ws` for the upgrade: a refused port, a timeout or a bad certificate surface
 * with their real cause instead of the bare close code 1006 a WebSocket would report.
 */
export class WsSipSocket extends ConnectedStreamSocket {
  private ws: WebSocket | null = null;

  constructor(options: SipSocketOptions) {
    super(options, options.transport === 'wss');
  }

  protected transmit(text: string): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(text);
    return true;
  }

  /** RFC 7118 defines no CRLF keepalive: a WebSocket ping frame (RFC 6455 §5.5.2) does the job. */
  protected override transmitKeepalive(): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.ping();
    return true;
  }

  protected teardown(reason: 'failure' | 'disconnect'): void {
    const ws = this.ws;
    this.ws = null;
    if (ws && reason === 'disconnect' && ws.readyState === WebSocket.OPEN) {
      ws.close(1000); // RFC 6455 §7.1.2: a clean close; ws destroys the socket when answered.
    } else {
      ws?.terminate();
      this.connection?.destroy();
    }
    this.connection = null;
  }

  protected streamReady(socket: Socket): void {
    let socketFailure: TransportFailure | null = null;
    let handshakeError: Error | null = null;
    // After the upgrade `ws` swallows socket errors and reports only 1006; keep the cause.
    socket.on('error', (error) => {
      socketFailure ??= failureFromError(error, this.endpoint, 'established');
    });
    // RFC 7118 §4.1: the client offers, and the server must select, the "sip" subprotocol.
    const ws = new WebSocket(this.url, 'sip', {
      createConnection: () => socket,
      perMessageDeflate: false,
    });
    this.ws = ws;
    ws.on('open', () => {
      if (ws === this.ws) this.opened();
    });
    ws.on('message', (data) => {
      if (ws === this.ws) this.receive(rawToText(data));
    });
    ws.on('error', (error) => {
      handshakeError ??= error;
    });
    ws.on('close', (code, reason) => {
      if (ws !== this.ws) return;
      const failure: TransportFailure =
        socketFailure ??
        (this.isConnected()
          ? { cause: 'closed', message: `${this.endpoint} closed the WebSocket (${code}${reason.length ? ` ${reason.toString()}` : ''})` }
          : { cause: 'error', message: `WebSocket upgrade at ${this.url} failed: ${handshakeError?.message ?? `close code ${code}`}` });
      this.fail(failure, code);
    });
  }
}

function rawToText(data: WebSocket.RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
