import type { Socket } from 'node:net';
import type { SipSocketOptions } from './sip-socket';
import { failureFromError } from './failure';
import { ConnectedStreamSocket } from './connected-stream-socket';
import { FramingError, StreamFramer } from './stream-framer';

/**
 * SIP over TCP or TLS (RFC 3261 §18): one connection per `connect()`, messages framed by
 * Content-Length. No retransmissions: the stream is reliable (RFC 3261 §17.1.1.2).
 */
export class StreamSipSocket extends ConnectedStreamSocket {
  private framer: StreamFramer | null = null;

  constructor(options: SipSocketOptions) {
    super(options, options.transport === 'tls');
  }

  protected transmit(text: string): boolean {
    if (!this.connection || this.connection.destroyed) return false;
    // write() returning false only means "buffered": the message is still queued in order.
    this.connection.write(text);
    return true;
  }

  protected teardown(): void {
    this.connection?.destroy();
    this.connection = null;
    this.framer = null;
  }

  protected streamReady(socket: Socket): void {
    const framer = (this.framer = new StreamFramer());
    socket.on('data', (chunk: Buffer) => {
      if (socket !== this.connection) return;
      framer.push(chunk);
      this.drain(socket, framer);
    });
    socket.on('error', (error) => {
      if (socket === this.connection) this.fail(failureFromError(error, this.endpoint, 'established'));
    });
    socket.on('close', () => {
      if (socket === this.connection) this.fail({ cause: 'closed', message: `${this.endpoint} closed the connection` });
    });
    this.opened();
  }

  private drain(socket: Socket, framer: StreamFramer): void {
    // JsSIP may disconnect from inside ondata: stop as soon as this connection is no longer ours.
    while (socket === this.connection) {
      let message: string | null;
      try {
        message = framer.next();
      } catch (error) {
        if (!(error instanceof FramingError)) throw error;
        this.fail({ cause: 'error', message: `cannot frame SIP from ${this.endpoint}: ${error.message}` });
        return;
      }
      if (message === null) return;
      // RFC 5626 §3.5.1: a pong needs nothing from JsSIP; the framer already consumed it.
      this.receive(message);
    }
  }
}
