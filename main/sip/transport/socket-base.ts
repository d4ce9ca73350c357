import type { Clock } from '../clock';
import { TimerSet } from '../clock';
import type { SipSocket, SipSocketOptions, SocketEndpoint, TraceRecord, TransportFailure } from './sip-socket';
import { endpointLabel, hostForUri } from './failure';
import { isKeepalive } from './message-head';
import { rewriteTopVia } from './via';

/**
 * Connection state shared by every transport:
 *
 * ```
 * disconnected ──connect()──► connecting ──opened()──► connected
 *      ▲                          │                        │
 *      └───────── fail() / disconnect() ◄──────────────────┘
 * ```
 */
export type SocketState = 'disconnected' | 'connecting' | 'connected';

const legalMoves: Record<SocketState, readonly SocketState[]> = {
  disconnected: ['connecting'],
  connecting: ['connected', 'disconnected'],
  connected: ['disconnected'],
};

const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

/**
 * What every transport shares: JsSIP's callbacks, the state machine, the connect timeout, the Via
 * rewrite on send, tracing and failure reporting. Subclasses supply the I/O.
 */
export abstract class SocketBase implements SipSocket {
  onconnect: () => void = () => {};
  ondisconnect: (error: boolean, code?: number, reason?: string) => void = () => {};
  ondata: (message: string) => void = () => {};
  ontrace: ((record: TraceRecord) => void) | null = null;

  readonly via_transport: string;
  readonly url: string;
  readonly sip_uri: string;

  protected readonly clock: Clock;
  /** `host:port/transport`, for failure messages. */
  protected readonly endpoint: string;
  private readonly setupTimers: TimerSet<'connect'>;
  private state: SocketState = 'disconnected';
  private failure: TransportFailure | null = null;

  constructor(protected readonly options: SipSocketOptions) {
    const { host, port, transport } = options;
    this.clock = options.clock;
    this.setupTimers = new TimerSet(options.clock);
    this.endpoint = endpointLabel(host, port, transport);
    this.via_transport = transport.toUpperCase();
    const hostPort = `${hostForUri(host)}:${port}`;
    const secureWs = transport === 'wss';
    // The WebSocket URL gives the upgrade its Host header: the configured name, not the located
    // address (the connection itself goes to `host`, see ws-socket.ts).
    const urlHostPort = `${hostForUri(options.serverName ?? host)}:${port}`;
    this.url = transport === 'ws' || secureWs ? `${transport}://${urlHostPort}${wsPath(options.path)}` : `${transport}:${hostPort}`;
    // RFC 7118 §5.2 defines one transport parameter, `ws`, for both ws and wss.
    this.sip_uri = `sip:${hostPort};transport=${secureWs ? 'ws' : transport}`;
  }

  get lastFailure(): TransportFailure | null {
    return this.failure;
  }

  isConnected(): boolean {
    return this.state === 'connected';
  }

  isConnecting(): boolean {
    return this.state === 'connecting';
  }

  connect(): void {
    if (this.state !== 'disconnected') return;
    this.transition('connecting');
    const timeoutMs = this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.setupTimers.set('connect', timeoutMs, () =>
      this.fail({ cause: 'timeout', message: `no connection to ${this.endpoint} within ${timeoutMs} ms` }),
    );
    this.open();
  }

  disconnect(): void {
    this.setupTimers.dispose();
    if (this.state !== 'disconnected') this.transition('disconnected');
    this.teardown('disconnect');
  }

  send(message: string): boolean {
    if (this.state !== 'connected') return false;
    const local = this.localAddress();
    const text = local === null ? message : rewriteTopVia(message, local.port, local.address);
    if (!this.transmit(text)) return false;
    this.trace('sent', text, false);
    return true;
  }

  sendKeepalive(): boolean {
    if (this.state !== 'connected') return false;
    return this.transmitKeepalive();
  }

  /** RFC 5626 §4.4.1: a CRLFCRLF ping; subclasses with another keepalive override this. */
  protected transmitKeepalive(): boolean {
    return this.transmit('\r\n\r\n');
  }

  stopRetransmitting(_branch: string): void {
    // Reliable transports never retransmit (RFC 3261 §17.1.1.2: Timer A only on unreliable ones).
  }

  abstract localAddress(): { address: string; port: number } | null;

  /** The peer's resolved address and port; null when not connected. Traced with every message. */
  abstract remoteAddress(): SocketEndpoint | null;

  /** Starts connection setup; report with `opened()` or `fail()`. */
  protected abstract open(): void;
  /** Hands one message to the OS; false when it cannot be sent at all. */
  protected abstract transmit(text: string): boolean;
  /** Releases I/O: after a failure, or because the user disconnected. */
  protected abstract teardown(reason: 'failure' | 'disconnect'): void;

  protected opened(): void {
    if (this.state !== 'connecting') return;
    this.setupTimers.clear('connect');
    this.failure = null;
    this.transition('connected');
    this.onconnect();
  }

  /** Records why, releases I/O and tells JsSIP, which fails its transactions and reconnects. */
  protected fail(failure: TransportFailure, code?: number): void {
    if (this.state === 'disconnected') return;
    this.setupTimers.dispose();
    this.failure = failure;
    this.transition('disconnected');
    this.teardown('failure');
    this.ondisconnect(true, code, failure.message);
  }

  /** Passes one complete message (or a `\r\n\r\n` ping) to JsSIP. */
  protected receive(text: string): void {
    if (this.state !== 'connected') return;
    this.trace('received', text, false);
    try {
      this.ondata(text);
    } catch {
      // A message from the network that JsSIP chokes on (RFC 4475 torture, a hostile peer) is
      // dropped: it must never take the whole process down. It is in the trace already.
      this.droppedMessages++;
    }
  }

  /** Messages JsSIP threw on; they were dropped. */
  droppedMessages = 0;

  protected trace(direction: TraceRecord['direction'], text: string, retransmission: boolean): void {
    if (this.ontrace && !isKeepalive(text)) {
      this.ontrace({ direction, text, retransmission, time: this.clock.now(), transport: this.options.transport, local: this.localAddress(), remote: this.remoteAddress() });
    }
  }

  private transition(next: SocketState): void {
    if (!legalMoves[this.state].includes(next)) throw new Error(`SIP socket cannot go from ${this.state} to ${next}`);
    this.state = next;
  }
}

function wsPath(path: string | undefined): string {
  if (!path) return '/';
  return path.startsWith('/') ? path : `/${path}`;
}
