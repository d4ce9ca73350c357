/**
 * Proves the Kamailio harness itself with hand-built SIP: no SIP engine involved, so a failure here
 * is the harness (or Kamailio), never the code under test elsewhere.
 */
import { createHash, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startKamailio, type KamailioInstance } from '../harness/kamailio';

const SILENCE_MS = 1_000;

interface SipResponse {
  status: number;
  reason: string;
  raw: string;
  header(name: string): string | undefined;
}

function parseMessage(raw: string): SipResponse {
  const [head = ''] = raw.split('\r\n\r\n');
  const [start = '', ...lines] = head.split('\r\n');
  const match = /^SIP\/2\.0 (\d{3}) (.*)$/.exec(start);
  return {
    status: match ? Number(match[1]) : 0,
    reason: match?.[2] ?? '',
    raw,
    header: (name) => {
      const line = lines.find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
      return line?.slice(line.indexOf(':') + 1).trim();
    },
  };
}

const token = (): string => randomBytes(6).toString('hex');
const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

interface RequestSpec {
  method: 'REGISTER' | 'OPTIONS' | 'MESSAGE';
  uri: string;
  transport: 'UDP' | 'TCP' | 'TLS' | 'WS';
  via: string; // host:port put in Via and Contact
  user: string;
  domain: string;
  callId: string;
  cseq: number;
  to?: string;
  expires?: number;
  contact?: string;
  extra?: string[];
  body?: string;
}

function buildRequest(spec: RequestSpec): string {
  const body = spec.body ?? '';
  const lines = [
    `${spec.method} ${spec.uri} SIP/2.0`,
    `Via: SIP/2.0/${spec.transport} ${spec.via};branch=z9hG4bK${token()};rport`,
    'Max-Forwards: 70',
    `From: <sip:${spec.user}@${spec.domain}>;tag=${token()}`,
    `To: <${spec.to ?? `sip:${spec.user}@${spec.domain}`}>`,
    `Call-ID: ${spec.callId}`,
    `CSeq: ${spec.cseq} ${spec.method}`,
    ...(spec.contact ? [`Contact: ${spec.contact}`] : []),
    ...(spec.expires === undefined ? [] : [`Expires: ${spec.expires}`]),
    ...(spec.extra ?? []),
    'User-Agent: harness-test',
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ];
  return lines.join('\r\n');
}

/** RFC 2617 §3.2.2 digest with qop=auth (Kamailio challenges with qop="auth"). */
function authorization(challenge: string, user: string, password: string, method: string, uri: string): string {
  const param = (name: string): string => new RegExp(`${name}="?([^",]+)"?`).exec(challenge)?.[1] ?? '';
  const realm = param('realm');
  const nonce = param('nonce');
  const cnonce = token();
  const ha1 = md5(`${user}:${realm}:${password}`);
  const ha2 = md5(`${method}:${uri}`);
  const response = md5(`${ha1}:${nonce}:00000001:${cnonce}:auth:${ha2}`);
  return `Authorization: Digest username="${user}", realm="${realm}", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=MD5, qop=auth, nc=00000001, cnonce="${cnonce}"`;
}

/** A SIP UA over one UDP socket on 127.0.0.1. */
class UdpUa {
  private waiting: ((message: string) => void)[] = [];
  private inbox: string[] = [];
  private cseq = 1;
  readonly callId = `${token()}@harness`;

  private constructor(
    private readonly socket: dgram.Socket,
    readonly user: string,
    private readonly password: string,
  ) {
    socket.on('message', (data) => {
      const waiter = this.waiting.shift();
      if (waiter) waiter(data.toString());
      else this.inbox.push(data.toString());
    });
  }

  static async open(user = 'alice', password = ''): Promise<UdpUa> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new UdpUa(socket, user, password);
  }

  get address(): string {
    return `127.0.0.1:${this.socket.address().port}`;
  }

  get contact(): string {
    return `<sip:${this.user}@${this.address};transport=udp>`;
  }

  /** The next message received, or null after timeoutMs. */
  next(timeoutMs: number): Promise<SipResponse | null> {
    const queued = this.inbox.shift();
    if (queued) return Promise.resolve(parseMessage(queued));
    return new Promise((resolve) => {
      const waiter = (message: string): void => {
        clearTimeout(timer);
        resolve(parseMessage(message));
      };
      const timer = setTimeout(() => {
        this.waiting = this.waiting.filter((w) => w !== waiter);
        resolve(null);
      }, timeoutMs);
      this.waiting.push(waiter);
    });
  }

  async send(kam: KamailioInstance, spec: Partial<RequestSpec> & Pick<RequestSpec, 'method'>, timeoutMs = 3_000): Promise<SipResponse | null> {
    const message = buildRequest({
      uri: `sip:${kam.domain}`,
      transport: 'UDP',
      via: this.address,
      user: this.user,
      domain: kam.domain,
      callId: this.callId,
      cseq: this.cseq++,
      ...spec,
    });
    this.socket.send(message, kam.ports.udp, kam.ip);
    return this.next(timeoutMs);
  }

  /** REGISTER the way a client does: unauthenticated first, then answer the 401. */
  async register(kam: KamailioInstance, expires: number, extra: string[] = []): Promise<SipResponse | null> {
    const spec = { method: 'REGISTER' as const, expires, contact: `${this.contact};expires=${expires}`, extra };
    const first = await this.send(kam, spec);
    if (first?.status !== 401) return first;
    const auth = authorization(first.header('WWW-Authenticate') ?? '', this.user, this.password, 'REGISTER', `sip:${kam.domain}`);
    return this.send(kam, { ...spec, extra: [...extra, auth] });
  }

  close(): void {
    this.socket.close();
  }
}

/** Reads one Content-Length-framed SIP message from a TCP or TLS stream. */
function readStreamMessage(socket: Duplex, timeoutMs: number): Promise<SipResponse> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error('no SIP message on the stream')), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const end = buffer.indexOf('\r\n\r\n');
      const length = Number(/content-length:\s*(\d+)/i.exec(buffer)?.[1] ?? NaN);
      if (end >= 0 && buffer.length >= end + 4 + length) {
        clearTimeout(timer);
        resolve(parseMessage(buffer.slice(0, end + 4 + length)));
      }
    });
  });
}

function optionsOver(transport: 'TCP' | 'TLS' | 'WS', kam: KamailioInstance, callId: string): string {
  return buildRequest({
    method: 'OPTIONS', uri: `sip:${kam.ip}`, transport, via: 'harness.invalid', user: 'alice',
    domain: kam.domain, callId, cseq: 1,
  });
}

describe('Kamailio harness', () => {
  let kam: KamailioInstance;
  let other: KamailioInstance;
  const uas: UdpUa[] = [];
  const ua = async (user = 'alice', password = 'alice-secret'): Promise<UdpUa> => {
    const opened = await UdpUa.open(user, password);
    uas.push(opened);
    return opened;
  };

  beforeAll(async () => {
    const started = Date.now();
    [kam, other] = await Promise.all([
      startKamailio({ name: 'harness-a', users: { alice: 'alice-secret', bob: 'bob "quoted" $\\secret' } }),
      startKamailio({ name: 'harness-b', users: { carol: 'carol-secret' }, minExpires: 2 }),
    ]);
    console.log(`two Kamailio instances ready in ${Date.now() - started} ms`);
  });

  afterEach(async () => {
    for (const opened of uas.splice(0)) opened.close();
    for (const instance of [kam, other]) {
      await instance.setRegisterReply(null);
      await instance.setOptionsReply(null);
      await instance.setIntervalTooBriefBelow(null);
      await instance.setDropAll(false);
      instance.clearWire();
    }
  });

  afterAll(async () => {
    await Promise.all([kam?.stop(), other?.stop()]);
  });

  it('unauthenticated REGISTER → 401 digest challenge for the domain realm', async () => {
    const alice = await ua();
    const reply = await alice.send(kam, { method: 'REGISTER', expires: 60, contact: alice.contact });
    expect(reply?.status).toBe(401);
    expect(reply?.header('WWW-Authenticate')).toMatch(/^Digest realm="trunkline\.test", nonce="[^"]+", qop="auth"/);
  });

  it('digest REGISTER → 200, binding with the granted expiry, request on the wire', async () => {
    const alice = await ua();
    const contact = `${alice.contact};expires=30;+sip.instance="<urn:uuid:${token()}>";reg-id=1`;
    const first = await alice.send(kam, { method: 'REGISTER', expires: 30, contact, extra: ['Privacy: id'] });
    const auth = authorization(first?.header('WWW-Authenticate') ?? '', 'alice', 'alice-secret', 'REGISTER', `sip:${kam.domain}`);
    const reply = await alice.send(kam, { method: 'REGISTER', expires: 30, contact, extra: ['Privacy: id', auth] });

    expect(reply?.status).toBe(200);
    expect(reply?.header('Contact')).toMatch(/;expires=30/);
    const binding = (await kam.bindings('alice@trunkline.test')).find((b) => b.callId === alice.callId);
    expect(binding).toMatchObject({ aor: 'alice', contact: `sip:alice@${alice.address};transport=udp`, callId: alice.callId, cseq: 2 });
    expect(binding?.expires).toBeGreaterThanOrEqual(28);
    expect(binding?.expires).toBeLessThanOrEqual(30);

    // The log line can trail the reply: wait for it before reading the whole wire.
    await kam.waitForWire((r) => r.callId === alice.callId && r.cseq === '2 REGISTER', 2_000);
    const registers = kam.wire({ method: 'REGISTER', fromUser: 'alice' });
    expect(registers.map((r) => r.authorization)).toEqual([false, true]);
    expect(registers[1]).toMatchObject({ proto: 'udp', srcIp: '127.0.0.1', callId: alice.callId, cseq: '2 REGISTER', expiresHeader: '30', contact, privacy: 'id' });
    expect(registers[1]?.via).toMatch(/^SIP\/2\.0\/UDP 127\.0\.0\.1:\d+;branch=z9hG4bK/);
    expect(kam.logTail(500)).not.toContain('alice-secret');
  });

  it('passwords with quotes, $ and backslash survive the generated config', async () => {
    const bob = await ua('bob', 'bob "quoted" $\\secret');
    expect((await bob.register(kam, 60))?.status).toBe(200);
  });

  it('wrong password → challenged again, no binding', async () => {
    const mallory = await ua('alice', 'wrong');
    expect((await mallory.register(kam, 60))?.status).toBe(401);
    expect((await kam.bindings('alice')).some((b) => b.callId === mallory.callId)).toBe(false);
  });

  it('REGISTER with expires=0 removes the binding', async () => {
    const alice = await ua();
    expect((await alice.register(kam, 60))?.status).toBe(200);
    expect((await kam.bindings('alice')).some((b) => b.callId === alice.callId)).toBe(true);
    expect((await alice.register(kam, 0))?.status).toBe(200);
    expect((await kam.bindings('alice')).some((b) => b.callId === alice.callId)).toBe(false);
  });

  it('a short binding (minExpires 2) disappears by itself within the usrloc timer', async () => {
    const carol = await ua('carol', 'carol-secret');
    const reply = await carol.register(other, 2);
    expect(reply?.header('Contact')).toMatch(/;expires=2\b/);
    expect(await other.bindings('carol')).toHaveLength(1);
    let left = 1;
    for (let attempt = 0; attempt < 40 && left > 0; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      left = (await other.bindings('carol')).length;
    }
    expect(left).toBe(0);
  });

  it('setRegisterReply(503) answers every REGISTER 503 before auth; null restores the challenge', async () => {
    const alice = await ua();
    await kam.setRegisterReply(503);
    const reply = await alice.send(kam, { method: 'REGISTER', expires: 60, contact: alice.contact });
    expect([reply?.status, reply?.reason]).toEqual([503, 'Service Unavailable']);
    await kam.setRegisterReply(403, 'Go Away');
    expect((await alice.send(kam, { method: 'REGISTER', expires: 60, contact: alice.contact }))?.reason).toBe('Go Away');
    await kam.setRegisterReply(null);
    expect((await alice.register(kam, 60))?.status).toBe(200);
  });

  it('setDropAll(true) → no reply at all, yet the request is on the wire', async () => {
    const alice = await ua();
    await kam.setDropAll(true);
    expect(await alice.send(kam, { method: 'OPTIONS', uri: `sip:${kam.ip}` }, SILENCE_MS)).toBeNull();
    expect(await alice.send(kam, { method: 'REGISTER', expires: 60, contact: alice.contact }, SILENCE_MS)).toBeNull();
    await kam.waitForWire((r) => r.method === 'REGISTER' && r.callId === alice.callId, 2_000);
    await kam.setDropAll(false);
    expect((await alice.send(kam, { method: 'OPTIONS', uri: `sip:${kam.ip}` }))?.status).toBe(200);
  });

  it('OPTIONS to the server → 200 (by IP or domain); setOptionsReply(500) → 500', async () => {
    const alice = await ua();
    expect((await alice.send(kam, { method: 'OPTIONS', uri: `sip:${kam.ip}` }))?.status).toBe(200);
    expect((await alice.send(kam, { method: 'OPTIONS', uri: `sip:${kam.domain}` }))?.status).toBe(200);
    await kam.setOptionsReply(500);
    expect((await alice.send(kam, { method: 'OPTIONS', uri: `sip:${kam.ip}` }))?.status).toBe(500);
  });

  it('setIntervalTooBriefBelow(60) → 423 with Min-Expires: 60; 60 itself and unregister pass', async () => {
    const alice = await ua();
    await kam.setIntervalTooBriefBelow(60);
    const reply = await alice.register(kam, 30);
    expect(reply?.status).toBe(423);
    expect(reply?.header('Min-Expires')).toBe('60');
    expect((await alice.register(kam, 60))?.status).toBe(200);
    expect((await alice.register(kam, 0))?.status).toBe(200);
  });

  it('freeze() → silent; thaw() → the queued request is answered', async () => {
    const alice = await ua();
    kam.freeze();
    try {
      expect(await alice.send(kam, { method: 'OPTIONS', uri: `sip:${kam.ip}` }, SILENCE_MS)).toBeNull();
    } finally {
      kam.thaw();
    }
    expect((await alice.next(3_000))?.status).toBe(200);
  });

  it('kill() → silent; start() → fresh registrar (no bindings) that keeps the switches', async () => {
    const alice = await ua();
    expect((await alice.register(kam, 60))?.status).toBe(200);
    await kam.setOptionsReply(503);
    await kam.kill();
    expect(await alice.send(kam, { method: 'OPTIONS', uri: `sip:${kam.ip}` }, SILENCE_MS)).toBeNull();
    const started = Date.now();
    await kam.start();
    console.log(`restart took ${Date.now() - started} ms`);
    expect(await kam.bindings('alice')).toEqual([]);
    expect((await alice.send(kam, { method: 'OPTIONS', uri: `sip:${kam.ip}` }))?.status).toBe(503);
    expect((await alice.register(kam, 60))?.status).toBe(200);
  });

  it('TLS listener presents a certificate that verifies against caCertPem for the IP', async () => {
    const socket = tlsConnect({ host: kam.ip, port: kam.ports.tls, ca: kam.caCertPem });
    try {
      await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
      expect(socket.authorized).toBe(true);
      expect(socket.getPeerX509Certificate()?.fingerprint256).toBe(kam.certFingerprintSha256);
      const callId = `${token()}@tls`;
      socket.write(optionsOver('TLS', kam, callId));
      expect((await readStreamMessage(socket, 3_000)).status).toBe(200);
      expect((await kam.waitForWire((r) => r.callId === callId, 2_000)).proto).toBe('tls');
    } finally {
      socket.destroy();
    }
  });

  it('TCP listener answers OPTIONS', async () => {
    const socket = net.connect(kam.ports.tcp, kam.ip);
    try {
      await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
      const callId = `${token()}@tcp`;
      socket.write(optionsOver('TCP', kam, callId));
      expect((await readStreamMessage(socket, 3_000)).status).toBe(200);
      expect((await kam.waitForWire((r) => r.callId === callId, 2_000)).proto).toBe('tcp');
    } finally {
      socket.destroy();
    }
  });

  it.each([
    ['ws', 'ws'],
    ['wss', 'wss'],
  ] as const)('%s listener accepts the "sip" subprotocol and answers OPTIONS', async (scheme, proto) => {
    const port = scheme === 'ws' ? kam.ports.ws : kam.ports.wss;
    const socket = new WebSocket(`${scheme}://${kam.ip}:${port}`, 'sip', { ca: kam.caCertPem });
    try {
      await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
      expect(socket.protocol).toBe('sip');
      const callId = `${token()}@${scheme}`;
      const reply = new Promise<SipResponse>((resolve) => socket.once('message', (data) => resolve(parseMessage(String(data)))));
      socket.send(optionsOver('WS', kam, callId));
      expect((await reply).status).toBe(200);
      expect((await kam.waitForWire((r) => r.callId === callId, 2_000)).proto).toBe(proto);
    } finally {
      socket.close();
    }
  });

  it('a WebSocket REGISTER is stored with its received address (fix_nated_register)', async () => {
    const socket = new WebSocket(`ws://${kam.ip}:${kam.ports.ws}`, 'sip');
    const messages: string[] = [];
    const nextMessage = async (): Promise<SipResponse> => {
      for (let attempt = 0; attempt < 60 && messages.length === 0; attempt++) await new Promise((r) => setTimeout(r, 50));
      return parseMessage(messages.shift() ?? '');
    };
    socket.on('message', (data) => messages.push(String(data)));
    try {
      await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
      const spec: RequestSpec = {
        method: 'REGISTER', uri: `sip:${kam.domain}`, transport: 'WS', via: 'df7jal23ls0d.invalid', user: 'alice',
        domain: kam.domain, callId: `${token()}@ws`, cseq: 1, expires: 60, contact: '<sip:alice@df7jal23ls0d.invalid;transport=ws>',
      };
      socket.send(buildRequest(spec));
      const challenge = (await nextMessage()).header('WWW-Authenticate') ?? '';
      socket.send(buildRequest({ ...spec, cseq: 2, extra: [authorization(challenge, 'alice', 'alice-secret', 'REGISTER', spec.uri)] }));
      expect((await nextMessage()).status).toBe(200);
      const binding = (await kam.bindings('alice')).find((b) => b.callId === spec.callId);
      expect(binding?.received).toMatch(/^sip:127\.0\.0\.1:\d+;transport=ws$/);
    } finally {
      socket.close();
    }
  });

  it('MESSAGE to a registered user is relayed to its contact', async () => {
    const alice = await ua();
    const bob = await ua('bob', 'bob "quoted" $\\secret');
    expect((await bob.register(kam, 60))?.status).toBe(200);
    const relayed = bob.next(3_000);
    await alice.send(kam, { method: 'MESSAGE', uri: `sip:bob@${kam.domain}`, to: `sip:bob@${kam.domain}`, body: 'hi', extra: ['Content-Type: text/plain'] }, 1);
    const request = await relayed;
    expect(request?.raw).toMatch(/^MESSAGE sip:bob@127\.0\.0\.1:\d+;transport=udp SIP\/2\.0/);
  });

  it('two instances run side by side with their own address, users and bindings', async () => {
    expect(other.ip).not.toBe(kam.ip);
    const carol = await ua('carol', 'carol-secret');
    expect((await carol.register(other, 60))?.status).toBe(200);
    expect((await carol.register(kam, 60))?.status).toBe(401);
    expect(await other.bindings('carol')).toHaveLength(1);
    expect(await kam.bindings('carol')).toEqual([]);
    await other.waitForWire((r) => r.callId === carol.callId && r.authorization, 2_000);
    expect(other.wire({ fromUser: 'carol' })).toHaveLength(2);
  });

  it('start() refuses an address whose ports are taken, and says why', async () => {
    await expect(startKamailio({ name: 'clash', ip: kam.ip })).rejects.toThrow(/ports on .* are in use/);
    await other.kill();
    // Something else grabs the TLS port while the server is down: Kamailio cannot bind and exits.
    const squatter = net.createServer().listen(other.ports.tls, other.ip);
    await new Promise((resolve) => squatter.once('listening', resolve));
    try {
      await expect(other.start()).rejects.toThrow(/exited during startup[\s\S]*Address already in use/);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
    await other.start();
    const carol = await ua('carol', 'carol-secret');
    expect((await carol.send(other, { method: 'OPTIONS', uri: `sip:${other.ip}` }))?.status).toBe(200);
  });
});
