/**
 * A small scripted SIP registrar on 127.0.0.1 (UDP or TCP) for inputs Kamailio cannot produce on
 * demand: several challenge headers in one 401, several challenges in one header value, a realm
 * that changes after the first success, SHA-512-256 / -sess / auth-int challenges, nonces that go
 * stale, grants that shrink, a 503 with Retry-After.
 *
 * It checks every Authorization / Proxy-Authorization against the users' passwords with its own
 * plain implementation of the digest formula (deliberately not the engine's), so a wrong answer
 * is challenged again exactly as a real registrar would. Every request is recorded (method, CSeq,
 * Call-ID, Contact, Expires, the credentials' parameters without the response value).
 *
 * Bounded: nothing is retried or scheduled by the registrar itself; `close()` ends every socket.
 */
import { createHash } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket as TcpSocket } from 'node:net';

/** One challenge a policy offers: becomes one `Digest …` challenge. */
export interface ChallengeOffer {
  /** Written as given (`SHA-256`, `MD5-sess`, `AKAv1-MD5`); omitted from the header when undefined (means MD5). */
  algorithm?: string;
  /** The qop value as written, e.g. `auth`, `auth-int`, `auth,auth-int`; no qop when undefined. */
  qop?: string;
  opaque?: string;
  userhash?: boolean;
}

/** Who challenges and how: a registrar (401, WWW-Authenticate) or a proxy (407, Proxy-Authenticate). */
export interface AuthPolicy {
  kind: 'www' | 'proxy';
  realm: string;
  /** One challenge per offer, in this order (the first is the server's preferred). */
  offers: ChallengeOffer[];
  /** Put every offer in one header value (RFC 7235 §4.1) instead of one header each. */
  oneHeader?: boolean;
  /** Extra challenge values added after ours (e.g. `Bearer realm="x"`), same header name. */
  extraChallenges?: string[];
  /** Methods this policy challenges; default REGISTER only. */
  methods?: string[];
  /** Send `Authentication-Info: nextnonce=…` on success (RFC 7615 §3). */
  nextnonce?: boolean;
}

export interface RecordedRequest {
  method: string;
  cseq: number;
  callId: string;
  branch: string;
  contact: string[];
  expires: string | null;
  /** Credentials carried, each as its parameters without `response`. */
  authorizations: Array<{ header: 'Authorization' | 'Proxy-Authorization'; params: Record<string, string> }>;
  body: string;
  /** Same branch and method seen before (a UDP retransmission). */
  retransmission: boolean;
  /** What the registrar made of the credentials: `ok`, or why it challenged. */
  verdict: string;
  /** Status code answered (null while held or when dropped). */
  answered: number | null;
}

export interface Reply {
  code: number;
  reason: string;
  headers?: string[];
}

/**
 * Per-request hook, run before the default behaviour. Return a Reply to answer with it, `'drop'`
 * to stay silent, or undefined for the default (challenge / verify / grant). May be async (to hold
 * an answer until the test releases it); retransmissions of a held request are not answered twice.
 */
export type RequestHook = (request: RecordedRequest, registrar: ScriptedRegistrar) => Reply | 'drop' | undefined | Promise<Reply | 'drop' | undefined>;

export interface ScriptedRegistrarOptions {
  transport?: 'udp' | 'tcp';
  /** username → clear password. */
  users: Record<string, string>;
  /** Checked in order; the first not satisfied challenges. Mutable later through `registrar.auth`. */
  auth?: AuthPolicy[];
  /** Expiry granted to the n-th successful REGISTER with Expires > 0; the last repeats. Default: as asked. */
  grants?: number[];
  onRequest?: RequestHook;
  /** After a successful REGISTER (Expires > 0), e.g. to change the realm. */
  onRegistered?: (request: RecordedRequest, registrar: ScriptedRegistrar) => void;
  /** Final answer to an authenticated INVITE; default 486 Busy Here (so no ACK/dialog is needed). */
  inviteReply?: Reply;
}

interface NonceState {
  realm: string;
  lastNc: number;
  stale: boolean;
}

const HASHES: Record<string, string> = { MD5: 'md5', 'SHA-256': 'sha256', 'SHA-512-256': 'sha512-256' };

/** Params of a Digest credentials value, by a regular expression kept apart from the engine's parser. */
function credentialParams(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of value.replace(/^\s*digest\s+/i, '').matchAll(/([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g)) {
    out[m[1]!.toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!;
  }
  return out;
}

/** RFC 7616 §3.4 / RFC 2617 §3.2.2, written out plainly. */
function expectedResponse(p: Record<string, string>, username: string, password: string, method: string, body: string): string | null {
  const base = (p.algorithm ?? 'MD5').toUpperCase().replace(/-SESS$/, '');
  const hash = HASHES[base];
  if (!hash) return null;
  const H = (s: string): string => createHash(hash).update(s, 'utf8').digest('hex');
  let ha1 = H(`${username}:${p.realm}:${password}`);
  if (/-sess$/i.test(p.algorithm ?? '')) ha1 = H(`${ha1}:${p.nonce}:${p.cnonce}`);
  const ha2 = p.qop === 'auth-int' ? H(`${method}:${p.uri}:${H(body)}`) : H(`${method}:${p.uri}`);
  return p.qop ? H(`${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:${p.qop}:${ha2}`) : H(`${ha1}:${p.nonce}:${ha2}`);
}

function headerValues(head: string[], ...names: string[]): string[] {
  const wanted = names.map((n) => n.toLowerCase());
  return head.flatMap((line) => {
    const colon = line.indexOf(':');
    return colon > 0 && wanted.includes(line.slice(0, colon).trim().toLowerCase()) ? [line.slice(colon + 1).trim()] : [];
  });
}

export class ScriptedRegistrar {
  readonly received: RecordedRequest[] = [];
  auth: AuthPolicy[];
  /** Successful REGISTERs with Expires > 0 so far. */
  successes = 0;
  port = 0;

  private readonly nonces = new Map<string, NonceState>();
  private nonceCounter = 0;
  private readonly answers = new Map<string, string | null>();
  private udp: UdpSocket | null = null;
  private tcp: Server | null = null;
  private readonly connections = new Set<TcpSocket>();

  constructor(private readonly options: ScriptedRegistrarOptions) {
    this.auth = options.auth ?? [];
  }

  get transport(): 'udp' | 'tcp' {
    return this.options.transport ?? 'udp';
  }

  /** Requests that were not retransmissions, optionally of one method. */
  requests(method?: string): RecordedRequest[] {
    return this.received.filter((r) => !r.retransmission && (!method || r.method === method));
  }

  /** Every nonce issued so far answers `stale=true` from now on (a nonce lifetime ran out). */
  expireNonces(): void {
    for (const state of this.nonces.values()) state.stale = true;
  }

  /** Closes every TCP connection (the client must reconnect). */
  dropConnections(): void {
    for (const c of this.connections) c.destroy();
    this.connections.clear();
  }

  async start(): Promise<this> {
    if (this.transport === 'udp') {
      const socket = createSocket('udp4');
      this.udp = socket;
      socket.on('message', (data, rinfo) => this.onMessage(data.toString('utf8'), (text) => socket.send(text, rinfo.port, rinfo.address)));
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
      this.port = socket.address().port;
    } else {
      const server = createServer((conn) => this.onConnection(conn));
      this.tcp = server;
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      this.port = (server.address() as { port: number }).port;
    }
    return this;
  }

  close(): void {
    this.udp?.close();
    this.udp = null;
    this.dropConnections();
    this.tcp?.close();
    this.tcp = null;
  }

  private onConnection(conn: TcpSocket): void {
    this.connections.add(conn);
    conn.on('close', () => this.connections.delete(conn));
    conn.on('error', () => conn.destroy());
    let buffer = Buffer.alloc(0);
    conn.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        // RFC 5626 §3.5.1 keepalive: CRLFCRLF ping, CRLF pong.
        if (buffer.subarray(0, 4).toString() === '\r\n\r\n') {
          conn.write('\r\n');
          buffer = buffer.subarray(4);
          continue;
        }
        while (buffer.length >= 2 && buffer.subarray(0, 2).toString() === '\r\n' && buffer.subarray(0, 4).toString() !== '\r\n\r\n') buffer = buffer.subarray(2);
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffer.subarray(0, end).toString('utf8');
        const length = Number(/^(?:content-length|l)\s*:\s*(\d+)/im.exec(head)?.[1] ?? 0);
        if (buffer.length < end + 4 + length) return;
        const text = buffer.subarray(0, end + 4 + length).toString('utf8');
        buffer = buffer.subarray(end + 4 + length);
        this.onMessage(text, (reply) => conn.write(reply));
      }
    });
  }

  private onMessage(text: string, send: (reply: string) => void): void {
    if (text.startsWith('SIP/2.0') || !text.includes('\r\n')) return;
    const end = text.indexOf('\r\n\r\n');
    const head = (end < 0 ? text : text.slice(0, end)).replace(/\r\n[ \t]+/g, ' ').split('\r\n');
    const body = end < 0 ? '' : text.slice(end + 4);
    const method = head[0]!.split(' ')[0]!;
    const cseqLine = headerValues(head, 'CSeq')[0] ?? '';
    const via = headerValues(head, 'Via', 'v')[0] ?? '';
    const branch = /branch=([^;,\s]+)/i.exec(via)?.[1] ?? '';
    const key = `${branch}:${method}`;
    const authorizations = (['Authorization', 'Proxy-Authorization'] as const).flatMap((header) =>
      headerValues(head, header).map((value) => {
        const params = credentialParams(value);
        delete params.response;
        return { header, params };
      }),
    );
    const request: RecordedRequest = {
      method,
      cseq: Number.parseInt(cseqLine, 10),
      callId: headerValues(head, 'Call-ID', 'i')[0] ?? '',
      branch,
      contact: headerValues(head, 'Contact', 'm'),
      expires: headerValues(head, 'Expires')[0] ?? null,
      authorizations,
      body,
      retransmission: this.answers.has(key),
      verdict: '',
      answered: null,
    };
    this.received.push(request);
    if (request.retransmission) {
      // RFC 3261 §17.2.2: a retransmission gets the last response again (none while held).
      const previous = this.answers.get(key);
      if (previous) send(previous);
      return;
    }
    if (method === 'ACK') return;
    this.answers.set(key, null);
    void this.answer(request, head, send, key);
  }

  private async answer(request: RecordedRequest, head: string[], send: (reply: string) => void, key: string): Promise<void> {
    const scripted = this.options.onRequest ? await this.options.onRequest(request, this) : undefined;
    if (scripted === 'drop') return;
    const reply = scripted ?? this.defaultReply(request, head);
    const text = this.format(head, reply);
    request.answered = reply.code;
    this.answers.set(key, text);
    if (this.udp || this.connections.size > 0) send(text);
  }

  private defaultReply(request: RecordedRequest, head: string[]): Reply {
    const info: string[] = [];
    for (const policy of this.auth) {
      if (!(policy.methods ?? ['REGISTER']).includes(request.method)) continue;
      const verdict = this.verify(policy, request, head);
      if (verdict.ok !== true) {
        request.verdict = verdict.why;
        return this.challenge(policy, verdict.stale);
      }
      if (policy.nextnonce) info.push(`${policy.kind === 'www' ? 'Authentication-Info' : 'Proxy-Authentication-Info'}: nextnonce="${this.issueNonce(policy.realm)}"`);
    }
    request.verdict = 'ok';
    if (request.method === 'REGISTER') {
      const asked = Number(/;\s*expires=(\d+)/i.exec(request.contact[0] ?? '')?.[1] ?? request.expires ?? 3600);
      if (asked === 0) return { code: 200, reason: 'OK', headers: info };
      const grants = this.options.grants;
      const granted = grants && grants.length > 0 ? (grants[Math.min(this.successes, grants.length - 1)] as number) : asked;
      this.successes++;
      this.options.onRegistered?.(request, this);
      const contacts = request.contact.map((c) => `Contact: ${c.replace(/;\s*expires=\d+/i, '')};expires=${granted}`);
      return { code: 200, reason: 'OK', headers: [...contacts, ...info] };
    }
    if (request.method === 'INVITE') return this.options.inviteReply ?? { code: 486, reason: 'Busy Here', headers: info };
    return { code: 200, reason: 'OK', headers: info };
  }

  private verify(policy: AuthPolicy, request: RecordedRequest, head: string[]): { ok: true } | { ok: false; stale: boolean; why: string } {
    const header = policy.kind === 'www' ? 'Authorization' : 'Proxy-Authorization';
    const values = headerValues(head, header).map(credentialParams).filter((p) => p.realm === policy.realm);
    if (values.length === 0) return { ok: false, stale: false, why: `no ${header} for realm ${policy.realm}` };
    const p = values[0] as Record<string, string>;
    const nonce = this.nonces.get(p.nonce ?? '');
    if (!nonce || nonce.realm !== policy.realm) return { ok: false, stale: false, why: 'unknown nonce' };
    const algorithm = (p.algorithm ?? 'MD5').toUpperCase();
    if (!policy.offers.some((o) => (o.algorithm ?? 'MD5').toUpperCase() === algorithm)) return { ok: false, stale: false, why: `algorithm ${algorithm} not offered` };
    const user = p.userhash === 'true' ? this.userByHash(p.username ?? '', policy.realm, algorithm) : p.username;
    const password = user === undefined ? undefined : this.options.users[user];
    if (password === undefined) return { ok: false, stale: false, why: 'unknown user' };
    const expected = expectedResponse(p, user as string, password, request.method, request.body);
    const response = credentialParams(headerValues(head, header).find((v) => credentialParams(v).realm === policy.realm) ?? '').response;
    if (!expected || response !== expected) return { ok: false, stale: false, why: 'wrong response' };
    // A right answer with an old nonce: RFC 7616 §3.3 stale=true.
    if (nonce.stale) return { ok: false, stale: true, why: 'stale nonce' };
    if (p.qop) {
      const nc = Number.parseInt(p.nc ?? '', 16);
      if (!(nc > nonce.lastNc)) return { ok: false, stale: false, why: `nonce count ${p.nc} replayed` };
      nonce.lastNc = nc;
    }
    return { ok: true };
  }

  private userByHash(hashed: string, realm: string, algorithm: string): string | undefined {
    const hash = HASHES[algorithm.replace(/-SESS$/, '')];
    if (!hash) return undefined;
    return Object.keys(this.options.users).find((u) => createHash(hash).update(`${u}:${realm}`).digest('hex') === hashed);
  }

  private issueNonce(realm: string): string {
    const nonce = `${realm.replace(/[^\w.-]/g, '')}-n${++this.nonceCounter}`;
    this.nonces.set(nonce, { realm, lastNc: 0, stale: false });
    return nonce;
  }

  private challenge(policy: AuthPolicy, stale: boolean): Reply {
    const name = policy.kind === 'www' ? 'WWW-Authenticate' : 'Proxy-Authenticate';
    const challenges = policy.offers.map((offer) => {
      const parts = [`realm="${policy.realm}"`, `nonce="${this.issueNonce(policy.realm)}"`];
      if (offer.algorithm !== undefined) parts.push(`algorithm=${offer.algorithm}`);
      if (offer.qop !== undefined) parts.push(`qop="${offer.qop}"`);
      if (offer.opaque !== undefined) parts.push(`opaque="${offer.opaque}"`);
      if (offer.userhash) parts.push('userhash=true');
      if (stale) parts.push('stale=true');
      return `Digest ${parts.join(', ')}`;
    });
    const all = [...challenges, ...(policy.extraChallenges ?? [])];
    const headers = policy.oneHeader ? [`${name}: ${all.join(', ')}`] : all.map((c) => `${name}: ${c}`);
    return policy.kind === 'www' ? { code: 401, reason: 'Unauthorized', headers } : { code: 407, reason: 'Proxy Authentication Required', headers };
  }

  private format(head: string[], reply: Reply): string {
    const copied = head.slice(1).filter((l) => /^(via|v|from|f|to|t|call-id|i|cseq)\s*:/i.test(l));
    const tagged = copied.map((l) => (/^(to|t)\s*:/i.test(l) && !/;\s*tag=/i.test(l) ? `${l};tag=scripted` : l));
    return [`SIP/2.0 ${reply.code} ${reply.reason}`, ...tagged, ...(reply.headers ?? []), 'Server: scripted-registrar', 'Content-Length: 0', '', ''].join('\r\n');
  }
}

/** Starts a registrar; `close()` it in `finally`. */
export function startScriptedRegistrar(options: ScriptedRegistrarOptions): Promise<ScriptedRegistrar> {
  return new ScriptedRegistrar(options).start();
}
