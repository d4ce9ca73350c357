/**
 * One JsSIP UA bound to one server of one line, over our own socket. It connects on demand, keeps
 * the Contact on the real local address, and runs client transactions with a silence budget: no
 * response within the budget means the server is unavailable, whatever JsSIP's 32 s Timer F would
 * say (SPEC "signal retry count"). A transaction that times out or is abandoned is cancelled for
 * good: no retransmission, no late challenge answered. Which REGISTER may be sent when is the
 * registration machine's business (one at a time per dialog); calls reuse the same UA (`ua`).
 */
import type { Socket } from 'jssip';
import { UA, URI } from 'jssip';
import type { LineConfig, ServerConfig } from '../../common/line-config';
import type { Clock, Random, TimerHandle } from './clock';
import type { IncomingResponse, OutgoingRequest, SentRequest } from './jssip-internals';
import { internalsOf, sendRequest } from './jssip-internals';
import { DigestCredentials, useDigest } from './jssip-digest';
import type { SipSocket, TraceRecord } from './transport/sip-socket';
import { createSipSocket } from './transport/sip-socket';

// JsSIP reads `window.RTCPeerConnection` on every incoming INVITE and throws inside the socket
// callback when `window` is missing (FIELD-NOTES). With it present and no RTCPeerConnection, an
// INVITE to a registration-only line is answered 488 instead of crashing the transport.
const globalWithWindow = globalThis as { window?: unknown };
globalWithWindow.window ??= globalThis;

export type TransactionResult =
  | { kind: 'response'; response: IncomingResponse; sentAt: number }
  | { kind: 'timeout'; reason: string }
  | { kind: 'transport-error'; reason: string };

export interface ServerLinkOptions {
  line: LineConfig;
  server: ServerConfig;
  clock: Clock;
  random: Random;
  userAgent: string;
  onTrace: (record: TraceRecord) => void;
  /**
   * The address to connect to when the server's host was located through DNS (RFC 3263): the
   * socket goes there while TLS and the WebSocket Host keep the configured name (RFC 5922 §4).
   * Absent: the configured host and port.
   */
  target?: { address: string; port: number };
  /** Contact user and `+sip.instance` to keep across links of one REGISTER dialog; fresh when absent. */
  contactUser?: string;
  instanceId?: string;
}

/** A token of `length` characters from [0-9a-z], from the injected randomness. */
export function randomToken(random: Random, length: number): string {
  let token = '';
  for (let i = 0; i < length; i++) token += Math.floor(random() * 36).toString(36);
  return token;
}

export function randomUuid(random: Random): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16));
  hex[12] = '4';
  hex[16] = ((parseInt(hex[16] as string, 16) & 0x3) | 0x8).toString(16);
  const s = hex.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

export class ServerLink {
  readonly ua: UA;
  readonly socket: SipSocket;
  /** User part of our Contact: unique per link, so the registrar keeps one binding per dialog. */
  readonly contactUser: string;
  readonly instanceId: string;
  /** A reliable connection dropped while nobody asked for it to close. */
  onConnectionLost: (() => void) | null = null;

  private started = false;
  private closed = false;
  private wasConnected = false;
  /** The public address learnt from a response's Via, and the local address it was learnt on. */
  private publicAddress: { local: string; address: string; port: number } | null = null;

  constructor(private readonly options: ServerLinkOptions) {
    const { line, server, random } = options;
    this.contactUser = options.contactUser ?? randomToken(random, 10);
    this.instanceId = options.instanceId ?? randomUuid(random);
    const target = options.target;
    this.socket = createSipSocket({
      host: target ? target.address : server.host,
      port: target ? target.port : server.port,
      ...(target && target.address !== server.host ? { serverName: server.host } : {}),
      transport: server.transport,
      path: server.path,
      tls: server.tls,
      clock: options.clock,
    });
    this.socket.ontrace = options.onTrace;
    const contactTransport = server.transport === 'wss' ? 'ws' : server.transport;
    this.ua = new UA({
      uri: `sip:${line.username}@${line.domain}`,
      sockets: [this.socket as unknown as Socket],
      authorization_user: line.authUsername ?? line.username,
      password: line.password,
      display_name: line.displayName,
      register: false,
      // The host and port are replaced by the real local address once connected.
      contact_uri: `sip:${this.contactUser}@127.0.0.1;transport=${contactTransport}`,
      user_agent: options.userAgent,
      instance_id: this.instanceId,
      // RFC 4028 for calls: JsSIP refreshes only when the far end negotiated a session timer.
      session_timers: true,
    });
    // Our digest answers every 401/407 of every request on this UA — REGISTER, OPTIONS, INVITE,
    // BYE… (RFC 3261 §22, RFC 7616, RFC 8760): every challenge read, the strongest answered per
    // realm, always from the clear password, so a realm change is just a new protection space.
    useDigest(this.ua, new DigestCredentials(line.authUsername ?? line.username, line.password));
    this.ua.on('connected', () => this.onConnected());
    this.ua.on('disconnected', (event: { error?: boolean }) => this.onDisconnected(Boolean(event.error)));
  }

  /** The server itself as a SIP URI (for OPTIONS). JsSIP needs a URI object: a string without a user part gets mangled. */
  serverUri(): URI {
    const { host, port, transport } = this.options.server;
    return new URI('sip', undefined as unknown as string, host, port, { transport: transport === 'wss' ? 'ws' : transport });
  }

  /**
   * Runs one client transaction built by `build` (called once connected). Resolves with the final
   * response, or a timeout when the server stays silent for `budgetMs` — counted from the start,
   * connection setup included, and afresh for the authenticated retry, which is a new transaction.
   */
  async transact(build: () => OutgoingRequest, budgetMs: number, onAuthenticated?: (request: OutgoingRequest) => void): Promise<TransactionResult> {
    const { clock } = this.options;
    const started = clock.now();
    const connected = await this.connect(budgetMs);
    if (!connected.ok) return { kind: 'transport-error', reason: connected.reason };
    return this.send(build, Math.max(1, budgetMs - (clock.now() - started)), onAuthenticated).result;
  }

  /**
   * Sends one request on the connected UA and runs its client transaction. No final response
   * within `budgetMs` of silence is a timeout; the transaction is then abandoned (no more
   * retransmissions, a late challenge never answered). A provisional response proves the server
   * alive: JsSIP's own Timer F bounds the rest. The authenticated retry gets a fresh budget.
   */
  send(build: () => OutgoingRequest, budgetMs: number, onAuthenticated?: (request: OutgoingRequest) => void): { result: Promise<TransactionResult>; abandon(): void } {
    const { clock } = this.options;
    let settled = false;
    let inFlight: SentRequest | null = null;
    let budget: TimerHandle | null = null;
    let resolveResult: (result: TransactionResult) => void = () => undefined;
    const result = new Promise<TransactionResult>((resolve) => (resolveResult = resolve));
    const finish = (value: TransactionResult): void => {
      if (settled) return;
      settled = true;
      clock.clearTimer(budget);
      resolveResult(value);
    };
    const cancel = (reason: string): void => {
      if (settled) return;
      inFlight?.abandon();
      const branch = inFlight?.branch();
      if (branch) this.socket.stopRetransmitting(branch);
      finish({ kind: 'timeout', reason });
    };
    const onSilence = (): void => cancel(`no response within ${formatMs(budgetMs)}`);
    budget = clock.setTimer(onSilence, budgetMs);
    let request: OutgoingRequest;
    try {
      request = build();
    } catch (error) {
      finish({ kind: 'transport-error', reason: `cannot build request: ${(error as Error).message}` });
      return { result, abandon: () => undefined };
    }
    const sentAt = clock.now();
    inFlight = sendRequest(this.ua, request, {
      onRequestTimeout: () => finish({ kind: 'timeout', reason: 'transaction timed out (408)' }),
      onTransportError: () => finish({ kind: 'transport-error', reason: this.socket.lastFailure?.message ?? 'transport error' }),
      onReceiveResponse: (response) => {
        if (settled) return;
        if (response.status_code < 200) {
          clock.clearTimer(budget);
          return;
        }
        finish({ kind: 'response', response, sentAt });
      },
      onAuthenticated: (authenticated) => {
        if (settled) return;
        onAuthenticated?.(authenticated);
        clock.clearTimer(budget);
        budget = clock.setTimer(onSilence, budgetMs);
      },
    });
    return { result, abandon: () => cancel('abandoned') };
  }

  /** Stops the UA and closes the socket. Sends nothing (unregistering is the channel's job). */
  close(): void {
    this.closed = true;
    if (this.started) this.ua.stop();
    this.socket.disconnect();
  }

  /** Connects (or reuses the connection); the Contact is on the real local address once this resolves ok. */
  connect(budgetMs: number): Promise<{ ok: true } | { ok: false; reason: string }> {
    if (this.closed) return Promise.resolve({ ok: false, reason: 'line closed' });
    if (this.ua.isConnected()) return Promise.resolve({ ok: true });
    const { clock } = this.options;
    return new Promise((resolve) => {
      const done = (result: { ok: true } | { ok: false; reason: string }): void => {
        clock.clearTimer(timer);
        this.ua.off('connected', onConnected);
        this.ua.off('disconnected', onDisconnected);
        resolve(result);
      };
      const onConnected = (): void => done({ ok: true });
      const onDisconnected = (): void => done({ ok: false, reason: this.socket.lastFailure?.message ?? 'connection failed' });
      const timer = clock.setTimer(() => done({ ok: false, reason: `connection timed out after ${formatMs(budgetMs)}` }), budgetMs);
      this.ua.on('connected', onConnected);
      this.ua.on('disconnected', onDisconnected);
      if (!this.started) {
        this.started = true;
        this.ua.start();
      } else if (!internalsOf(this.ua).transport.isConnecting()) {
        internalsOf(this.ua).transport.connect();
      }
    });
  }

  /**
   * RFC 3581 §4 / RFC 5626 §4.4: the address the registrar saw us at (Via `received`/`rport`) goes
   * into our Contact in place of the private one, until the next (re)connection. False when the
   * Contact already names it.
   */
  usePublicAddress(address: string, port: number): boolean {
    const { uri } = internalsOf(this.ua).contact;
    const host = address.includes(':') ? `[${address}]` : address;
    const local = this.socket.localAddress();
    if (local) this.publicAddress = { local: `${local.address}:${local.port}`, address: host, port };
    if (uri.host === host && uri.port === port) return false;
    uri.host = host;
    uri.port = port;
    return true;
  }

  /** The host and port our Contact names now (brackets stripped from IPv6). */
  contactAddress(): { address: string; port: number | null } {
    const { uri } = internalsOf(this.ua).contact;
    return { address: uri.host.replace(/^\[|\]$/g, ''), port: uri.port ?? null };
  }

  private onConnected(): void {
    const local = this.socket.localAddress();
    if (local) {
      // The Contact must name where we really are (SPEC; RFC 3261 §10.2.1): the URI object is
      // shared by the UA's configuration and Contact, so updating it updates both.
      const { uri } = internalsOf(this.ua).contact;
      // A public address stays true while we send from the same local address (UDP keeps its
      // port across JsSIP's reconnects); a new local address needs the NAT's answer anew.
      const kept = this.publicAddress?.local === `${local.address}:${local.port}` ? this.publicAddress : null;
      this.publicAddress = kept;
      uri.host = kept ? kept.address : local.address.includes(':') ? `[${local.address}]` : local.address;
      uri.port = kept ? kept.port : local.port;
    }
    this.wasConnected = true;
  }

  private onDisconnected(error: boolean): void {
    if (!error || this.closed) return;
    // JsSIP would now reconnect on its own at random 2–30 s intervals forever. We reconnect when we
    // next need the server instead, so an idle backup to a dead server costs nothing.
    internalsOf(this.ua).transport.disconnect();
    const lost = this.wasConnected;
    this.wasConnected = false;
    if (lost) this.onConnectionLost?.();
  }
}
