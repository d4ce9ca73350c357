import { createSocket } from 'node:dgram';
import type { Socket as DatagramSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { SipSocketOptions, SocketEndpoint, TransportFailure } from './sip-socket';
import { failureFromError } from './failure';
import { isKeepalive } from './message-head';
import { SocketBase } from './socket-base';
import { UdpReliability } from './udp-reliability';

/** Largest UDP payload over IPv4; anything bigger can never be sent. */
const MAX_DATAGRAM_BYTES = 65_507;

/** Errors that report an ICMP message about the peer: the socket itself is still fine. */
const icmpCodes = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN']);

/**
 * SIP over UDP (RFC 3261 §18) from one ephemeral port, *connected* to the server.
 *
 * Connecting the datagram socket makes the kernel route it (so `localAddress()` is the source
 * address the server sees), filter datagrams from anyone else, and report ICMP port unreachable:
 * Node 20 emits it as an 'error' event with code ECONNREFUSED (syscall `recvmsg`) right after the
 * send; the send callback itself succeeds. That fails the socket at once, so JsSIP fails its
 * transactions instead of waiting 32 s for Timer F.
 *
 * The port is kept across JsSIP's reconnects (only `disconnect()` closes it), so a Contact built
 * from `prepare()` stays true. Retransmissions and duplicate suppression: see UdpReliability.
 */
export class UdpSipSocket extends SocketBase {
  private socket: DatagramSocket | null = null;
  private binding: Promise<void> | null = null;
  private ready = false;
  /** Bumped on every close, so work started for an older socket recognises it is stale. */
  private generation = 0;
  private socketBroken = false;
  private readonly reliability: UdpReliability;

  constructor(options: SipSocketOptions) {
    super(options);
    this.reliability = new UdpReliability({
      clock: options.clock,
      t1Ms: options.t1Ms ?? 500,
      t2Ms: options.t2Ms ?? 4000,
      retransmit: (text) => this.resend(text),
    });
  }

  /**
   * Binds and connects the datagram socket now, before any JsSIP UA exists, and resolves the
   * local address the server will see: build `contact_uri` from it (JsSIP locks its config at
   * construction). A later `connect()` reuses this socket.
   */
  async prepare(): Promise<{ address: string; port: number }> {
    const binding = this.bind();
    try {
      await binding;
    } catch (error) {
      // A pending connect() reports this failure itself; otherwise release the socket here.
      if (this.binding === binding && !this.isConnecting()) this.closeSocket();
      throw error;
    }
    return this.boundAddress() as { address: string; port: number };
  }

  localAddress(): { address: string; port: number } | null {
    return this.boundAddress();
  }

  remoteAddress(): SocketEndpoint | null {
    if (!this.socket || !this.ready) return null;
    try {
      const { address, port } = this.socket.remoteAddress();
      return { address, port };
    } catch {
      return null; // ERR_SOCKET_DGRAM_NOT_CONNECTED: between a failure and the reconnect
    }
  }

  override stopRetransmitting(branch: string): void {
    this.reliability.stop(branch);
  }

  protected open(): void {
    if (this.socketBroken) this.closeSocket();
    const binding = this.bind();
    binding.then(
      () => {
        if (this.binding === binding) this.opened();
      },
      (error: unknown) => {
        if (this.binding === binding) this.fail(failureFromError(error, this.endpoint, 'connecting'));
      },
    );
  }

  protected transmit(text: string): boolean {
    const socket = this.socket;
    if (!socket || !this.ready || Buffer.byteLength(text) > MAX_DATAGRAM_BYTES) return false;
    socket.send(text, (error) => {
      if (error && socket === this.socket) this.socketError(error);
    });
    this.reliability.outgoing(text);
    return true;
  }

  /** The ping goes out as it is: it is no transaction, so nothing retransmits it. */
  protected override transmitKeepalive(): boolean {
    const socket = this.socket;
    if (!socket || !this.ready) return false;
    socket.send('\r\n\r\n', (error) => {
      if (error && socket === this.socket) this.socketError(error);
    });
    return true;
  }

  protected teardown(reason: 'failure' | 'disconnect'): void {
    this.reliability.dispose();
    if (reason === 'disconnect' || !this.ready || this.socketBroken) this.closeSocket();
  }

  private bind(): Promise<void> {
    this.binding ??= this.bindAndConnect();
    return this.binding;
  }

  private async bindAndConnect(): Promise<void> {
    const generation = this.generation;
    const { host, port } = this.options;
    const address = isIP(host) ? host : (await lookup(host)).address;
    if (generation !== this.generation) throw new Error('socket closed while resolving');
    const socket = createSocket(isIP(address) === 6 ? 'udp6' : 'udp4');
    this.socket = socket;
    this.socketBroken = false;
    socket.on('message', (datagram: Buffer) => {
      if (socket === this.socket) this.datagram(datagram);
    });
    socket.on('error', (error) => {
      if (socket === this.socket) this.socketError(error);
    });
    await new Promise<void>((resolve, reject) => {
      // Binds an ephemeral port on the routed interface and fixes the peer (connect(2) on UDP).
      socket.connect(port, address, (error?: Error) => (error ? reject(error) : resolve()));
    });
    if (socket !== this.socket) throw new Error('socket closed while connecting');
    this.ready = true;
  }

  private datagram(datagram: Buffer): void {
    if (!this.isConnected()) return;
    const text = datagram.toString('utf8');
    if (isKeepalive(text)) {
      // A CRLFCRLF ping goes to JsSIP, which answers CRLF; empty datagrams and pongs carry nothing.
      if (text === '\r\n\r\n') this.receive(text);
      return;
    }
    // RFC 3261 §7.5: CRLFs before the start line are ignored.
    const message = text.replace(/^[\r\n]+/, '');
    const verdict = this.reliability.incoming(message);
    if (verdict.kind === 'deliver') return this.receive(message);
    this.trace('received', message, true);
    if (verdict.reply !== null) this.resend(verdict.reply);
  }

  private socketError(error: Error): void {
    if (!this.ready) return; // setup errors arrive through the connect callback
    const code = (error as NodeJS.ErrnoException).code ?? '';
    this.socketBroken = !icmpCodes.has(code);
    this.fail(this.describe(error, code));
  }

  private describe(error: Error, code: string): TransportFailure {
    if (code === 'ECONNREFUSED') {
      return { cause: 'unreachable', message: `${this.endpoint} is unreachable: ICMP port unreachable, nothing listens there` };
    }
    return failureFromError(error, this.endpoint, 'established');
  }

  private resend(text: string): void {
    const socket = this.socket;
    if (!socket || !this.isConnected()) return;
    socket.send(text, (error) => {
      if (error && socket === this.socket) this.socketError(error);
    });
    this.trace('sent', text, true);
  }

  private boundAddress(): { address: string; port: number } | null {
    if (!this.socket || !this.ready) return null;
    const { address, port } = this.socket.address();
    return { address, port };
  }

  private closeSocket(): void {
    this.generation++;
    const socket = this.socket;
    this.socket = null;
    this.binding = null;
    this.ready = false;
    if (socket) {
      try {
        socket.close();
      } catch {
        // Already closed: nothing left to release.
      }
    }
  }
}
