/**
 * Two real JsSIP 3.13.8 UAs back to back over an in-memory socket pair (JsSIP's Socket interface,
 * FIELD-NOTES "JsSIP in plain Node"), each call with its own CallMedia over a real UDP
 * {@link UdpTestMediaPort}. Every SIP message each side sends is kept for assertions, and a test can
 * rewrite what crosses the wire (to stage a 183 with SDP, or an INVITE without SDP).
 */
import type { RTCSession } from 'jssip/lib/RTCSession';
import { UA } from 'jssip';
import type { Socket } from 'jssip';
import { CallMedia } from '../../../main/sip/calls/call-media';
import type { CallMediaSettings } from '../../../main/sip/calls/call-media';
import { installRtcGlobals } from '../../../main/sip/calls/rtc-globals';
import { UdpTestMediaPort } from './udp-test-media-port';
import type { UdpTestMediaPortOptions } from './udp-test-media-port';

/** Delivers one side's messages to the other, asynchronously, as a network would. */
export class MemorySocket {
  readonly via_transport = 'TCP';
  readonly url: string;
  readonly sip_uri: string;
  readonly sent: string[] = [];
  peer: MemorySocket | null = null;
  /** Rewrites an outgoing message into what reaches the peer (none, one or several, with delays). */
  rewrite: ((message: string) => { message: string; delayMs?: number }[]) | null = null;
  onconnect: () => void = () => {};
  ondisconnect: (error: boolean, code?: number, reason?: string) => void = () => {};
  ondata: (data: string) => void = () => {};

  constructor(readonly host: string) {
    this.url = `tcp://${host}:5060`;
    this.sip_uri = `sip:${host}:5060;transport=tcp`;
  }

  connect(): void {
    setImmediate(() => this.onconnect());
  }

  disconnect(): void {}

  isConnected(): boolean {
    return true;
  }

  isConnecting(): boolean {
    return false;
  }

  send(message: string): boolean {
    this.sent.push(message);
    const peer = this.peer;
    const deliveries = this.rewrite ? this.rewrite(message) : [{ message }];
    for (const delivery of deliveries) {
      const deliver = () => this.peer === peer && peer?.ondata(delivery.message);
      if (delivery.delayMs) setTimeout(deliver, delivery.delayMs);
      else setImmediate(deliver);
    }
    return true;
  }
}

export interface PartyOptions {
  user: string;
  media?: Partial<Omit<CallMediaSettings, 'mediaPort'>>;
  port?: UdpTestMediaPortOptions;
}

/** One side: a UA, and per call its CallMedia and real UDP media port. */
export class Party {
  readonly ua: UA;
  readonly socket: MemorySocket;
  readonly calls: { media: CallMedia; port: UdpTestMediaPort }[] = [];
  readonly incoming: RTCSession[] = [];
  readonly errors: Error[] = [];
  onIncoming: ((session: RTCSession) => void) | null = null;

  constructor(readonly options: PartyOptions) {
    this.socket = new MemorySocket(`${options.user}.test.invalid`);
    this.ua = new UA({
      sockets: [this.socket as unknown as Socket],
      uri: `sip:${options.user}@test.invalid`,
      register: false,
      session_timers: false,
      user_agent: `trunkline-test-${options.user}`,
    });
    this.ua.on('newRTCSession', ({ originator, session }: { originator: string; session: RTCSession }) => {
      if (originator !== 'remote') return;
      this.incoming.push(session);
      this.onIncoming?.(session);
    });
  }

  /** A fresh CallMedia over a fresh UDP media port, remembered for assertions. */
  newMedia(): { media: CallMedia; port: UdpTestMediaPort } {
    const port = new UdpTestMediaPort(this.options.port);
    const media = new CallMedia({
      mediaPort: port,
      localAddress: '127.0.0.1',
      portRange: { min: 10000, max: 20000 },
      codecs: ['PCMU', 'PCMA'],
      srtp: 'off',
      dtmfMode: 'rfc4733',
      onError: (error) => this.errors.push(error),
      ...this.options.media,
    });
    const call = { media, port };
    this.calls.push(call);
    return call;
  }

  /** Places a call the way a call manager does. */
  call(target: string, eventHandlers: Record<string, (...args: never[]) => void> = {}): { session: RTCSession; media: CallMedia; port: UdpTestMediaPort } {
    const { media, port } = this.newMedia();
    const session = this.ua.call(target, { ...media.jssipOptions(), eventHandlers } as unknown as Parameters<UA['call']>[1]);
    media.bindSession(session);
    return { session, media, port };
  }

  /** Answers an incoming session the way a call manager does. */
  answer(session: RTCSession): { media: CallMedia; port: UdpTestMediaPort } {
    const call = this.newMedia();
    call.media.bindSession(session);
    session.answer({ ...call.media.jssipOptions() } as unknown as Parameters<RTCSession['answer']>[0]);
    return call;
  }

  /** Messages this side sent whose first line matches. */
  sentMatching(startLine: RegExp): string[] {
    return this.socket.sent.filter((m) => startLine.test(m.split('\r\n', 1)[0] ?? ''));
  }
}

/** Two started, connected parties wired to each other. */
export async function startPair(a: PartyOptions, b: PartyOptions): Promise<[Party, Party]> {
  installRtcGlobals();
  const left = new Party(a);
  const right = new Party(b);
  left.socket.peer = right.socket;
  right.socket.peer = left.socket;
  const connected = (party: Party) => new Promise<void>((resolve) => party.ua.once('connected', () => resolve()));
  const both = Promise.all([connected(left), connected(right)]);
  left.ua.start();
  right.ua.start();
  await both;
  return [left, right];
}

export async function stopPair(parties: Party[]): Promise<void> {
  for (const party of parties) {
    party.ua.stop();
    for (const call of party.calls) await call.port.close();
  }
}

/** Polls `predicate` every 10 ms; fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, predicate: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The SDP body of a SIP message ("" when none). */
export function bodyOf(message: string): string {
  const at = message.indexOf('\r\n\r\n');
  return at < 0 ? '' : message.slice(at + 4);
}
