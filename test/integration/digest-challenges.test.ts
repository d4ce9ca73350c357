/**
 * Digest challenges beyond one MD5 header (issue 9, kind 4), at the JsSIP UA level: a real JsSIP
 * UA over the project's own socket, its requests sent through JsSIP's RequestSender (as the
 * engine does), against the scripted registrar over real loopback UDP/TCP. The registrar checks
 * every answer with its own implementation of the formula, so a wrong answer fails the test.
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'jssip';
import { UA, URI } from 'jssip';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../main/sip/clock';
import { DigestCredentials, digestRefusalOf, useDigest } from '../../main/sip/jssip-digest';
import type { IncomingResponse, OutgoingRequest } from '../../main/sip/jssip-internals';
import type { SipSocket, TraceRecord } from '../../main/sip/transport/sip-socket';
import { createSipSocket } from '../../main/sip/transport/sip-socket';
import type { AuthPolicy, RecordedRequest, ScriptedRegistrarOptions } from '../harness/scripted-registrar';
import { startScriptedRegistrar, type ScriptedRegistrar } from '../harness/scripted-registrar';

/* eslint-disable @typescript-eslint/no-require-imports -- JsSIP internals ship without types */
const SIPMessage = require('jssip/lib/SIPMessage') as {
  OutgoingRequest: new (method: string, ruri: URI, ua: UA, params: object, extraHeaders: string[], body?: string) => OutgoingRequest;
};
const Parser = require('jssip/lib/Parser') as { parseMessage(data: string, ua: UA): IncomingResponse };
const Dialog = require('jssip/lib/Dialog') as new (owner: { _ua: UA }, message: IncomingResponse, type: 'UAC') => {
  local_seqnum: number;
  sendRequest(method: string, options: { eventHandlers: Record<string, (response?: IncomingResponse) => void> }): void;
};
const RequestSender = require('jssip/lib/RequestSender') as new (ua: UA, request: OutgoingRequest, handlers: object) => { send(): void; abandoned?: boolean };
/* eslint-enable @typescript-eslint/no-require-imports */

// JsSIP reads `window` on incoming INVITEs (FIELD-NOTES); server-link.ts sets it the same way.
(globalThis as { window?: unknown }).window ??= globalThis;

const DOMAIN = 'trunkline.test';
const PASSWORD = 's3cret';

interface Client {
  ua: UA;
  socket: SipSocket;
  trace: TraceRecord[];
  callId: string;
  cseq: number;
}

interface Outcome {
  final: IncomingResponse;
  authenticated: number;
}

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function registrarWith(options: Partial<ScriptedRegistrarOptions> & { auth?: AuthPolicy[] }): Promise<ScriptedRegistrar> {
  const registrar = await startScriptedRegistrar({ users: { alice: PASSWORD }, ...options });
  cleanups.push(() => registrar.close());
  return registrar;
}

async function clientOf(registrar: ScriptedRegistrar, { password = PASSWORD, digest = true } = {}): Promise<Client> {
  const socket = createSipSocket({ host: '127.0.0.1', port: registrar.port, transport: registrar.transport, clock: systemClock });
  const trace: TraceRecord[] = [];
  socket.ontrace = (record) => trace.push(record);
  const ua = new UA({
    uri: `sip:alice@${DOMAIN}`,
    sockets: [socket as unknown as Socket],
    authorization_user: 'alice',
    password,
    register: false,
    contact_uri: `sip:alice-contact@127.0.0.1;transport=${registrar.transport}`,
    user_agent: 'trunkline-digest-test',
    session_timers: false,
  });
  if (digest) useDigest(ua, new DigestCredentials('alice', password));
  await new Promise<void>((resolve) => {
    ua.once('connected', () => resolve());
    ua.start();
  });
  cleanups.unshift(() => {
    ua.stop();
    socket.disconnect();
  });
  return { ua, socket, trace, callId: `digest-${Math.random().toString(36).slice(2)}`, cseq: 0 };
}

function register(client: Client, expires = 300): OutgoingRequest {
  return new SIPMessage.OutgoingRequest('REGISTER', new URI('sip', undefined as unknown as string, DOMAIN), client.ua, { to_uri: new URI('sip', 'alice', DOMAIN), call_id: client.callId, cseq: ++client.cseq }, [
    `Contact: <sip:alice-contact@127.0.0.1;transport=udp>;expires=${expires}`,
    `Expires: ${expires}`,
  ]);
}

/** Runs one request chain through JsSIP's RequestSender, as the engine does; resolves on the final response. */
function transact(client: Client, request: OutgoingRequest): Promise<Outcome> & { sender: { abandoned?: boolean } } {
  let authenticated = 0;
  let sender!: { send(): void; abandoned?: boolean };
  const promise = new Promise<Outcome>((resolve, reject) => {
    sender = new RequestSender(client.ua, request, {
      onRequestTimeout: () => reject(new Error('request timeout')),
      onTransportError: () => reject(new Error('transport error')),
      onAuthenticated: (r: OutgoingRequest) => {
        authenticated++;
        client.cseq = Math.max(client.cseq, Number((r as unknown as { cseq: number }).cseq));
      },
      onReceiveResponse: (response: IncomingResponse) => {
        if (response.status_code >= 200) resolve({ final: response, authenticated });
      },
    });
    sender.send();
  });
  return Object.assign(promise, { sender });
}

const realmsOf = (r: RecordedRequest) => r.authorizations.map((a) => `${a.header}:${a.params.realm}`);
const fieldOf = (r: RecordedRequest, name: string) => r.authorizations.map((a) => a.params[name]);

describe('digest challenges at the JsSIP UA level (scripted registrar, real UDP)', () => {
  it('401 with an MD5 and a SHA-256 WWW-Authenticate → answered once with SHA-256 → 200', async () => {
    const registrar = await registrarWith({ auth: [{ kind: 'www', realm: DOMAIN, offers: [{ algorithm: 'MD5', qop: 'auth' }, { algorithm: 'SHA-256', qop: 'auth' }] }] });
    const client = await clientOf(registrar);
    const { final, authenticated } = await transact(client, register(client));
    expect(final.status_code).toBe(200);
    expect(authenticated).toBe(1);
    const registers = registrar.requests('REGISTER');
    expect(registers.map((r) => [r.cseq, r.answered, fieldOf(r, 'algorithm')])).toEqual([
      [1, 401, []],
      [2, 200, ['SHA-256']],
    ]);
    expect(new Set(registers.map((r) => r.callId)).size).toBe(1);
  });

  it('only SHA-256 offered → 200; the refresh carries credentials at once (one round trip, nc 2)', async () => {
    const registrar = await registrarWith({ auth: [{ kind: 'www', realm: DOMAIN, offers: [{ algorithm: 'SHA-256', qop: 'auth' }] }] });
    const client = await clientOf(registrar);
    expect((await transact(client, register(client))).final.status_code).toBe(200);
    const refresh = await transact(client, register(client));
    expect([refresh.final.status_code, refresh.authenticated]).toEqual([200, 0]);
    expect(registrar.requests('REGISTER').map((r) => [r.cseq, r.answered, fieldOf(r, 'nc')])).toEqual([
      [1, 401, []],
      [2, 200, ['00000001']],
      [3, 200, ['00000002']],
    ]);
  });

  it('the realm changes after the first success → the refresh is answered for the new realm → 200, then the new realm is sent unasked', async () => {
    const registrar = await registrarWith({
      auth: [{ kind: 'www', realm: 'old.test', offers: [{ qop: 'auth' }] }],
      onRegistered: (_r, reg) => {
        if (reg.successes === 1) reg.auth = [{ kind: 'www', realm: 'new.test', offers: [{ algorithm: 'SHA-256', qop: 'auth' }] }];
      },
    });
    const client = await clientOf(registrar);
    expect((await transact(client, register(client))).final.status_code).toBe(200);
    const refresh = await transact(client, register(client));
    expect([refresh.final.status_code, refresh.authenticated]).toEqual([200, 1]);
    const again = await transact(client, register(client));
    expect([again.final.status_code, again.authenticated]).toEqual([200, 0]);
    expect(registrar.requests('REGISTER').map((r) => [r.cseq, r.answered, realmsOf(r)])).toEqual([
      [1, 401, []],
      [2, 200, ['Authorization:old.test']],
      [3, 401, ['Authorization:old.test']],
      [4, 200, ['Authorization:new.test']],
      [5, 200, ['Authorization:new.test']],
    ]);
  });

  it.each([
    ['SHA-512-256', { algorithm: 'SHA-512-256', qop: 'auth' }],
    ['SHA-256-sess', { algorithm: 'SHA-256-sess', qop: 'auth' }],
    ['MD5-sess', { algorithm: 'MD5-sess', qop: 'auth' }],
    ['qop=auth-int only', { algorithm: 'SHA-256', qop: 'auth-int' }],
    ['no qop (RFC 2069 form) with opaque', { opaque: 'opaque-value' }],
    ['userhash=true', { algorithm: 'SHA-256', qop: 'auth', userhash: true }],
  ])('%s → answered and verified → 200, refresh in one round trip', async (_name, offer) => {
    const registrar = await registrarWith({ auth: [{ kind: 'www', realm: DOMAIN, offers: [offer] }] });
    const client = await clientOf(registrar);
    expect((await transact(client, register(client))).final.status_code).toBe(200);
    const refresh = await transact(client, register(client));
    expect([refresh.final.status_code, refresh.authenticated]).toEqual([200, 0]);
    expect(registrar.requests('REGISTER').map((r) => r.verdict)).toEqual([`no Authorization for realm ${DOMAIN}`, 'ok', 'ok']);
  });

  it('several challenges in one header value, beside a Bearer challenge (RFC 7235 §4.1) → answered with the strongest', async () => {
    const registrar = await registrarWith({
      auth: [{ kind: 'www', realm: DOMAIN, oneHeader: true, extraChallenges: ['Bearer realm="oauth"'], offers: [{ algorithm: 'MD5', qop: 'auth' }, { algorithm: 'SHA-512-256', qop: 'auth' }] }],
    });
    const client = await clientOf(registrar);
    expect((await transact(client, register(client))).final.status_code).toBe(200);
    expect(registrar.requests('REGISTER').map((r) => fieldOf(r, 'algorithm'))).toEqual([[], ['SHA-512-256']]);
  });

  it('stale=true right after our answer → answered once more with the new nonce, not a failure', async () => {
    let staled = false;
    const registrar = await registrarWith({
      auth: [{ kind: 'www', realm: DOMAIN, offers: [{ algorithm: 'SHA-256', qop: 'auth' }] }],
      onRequest: (request, reg) => {
        if (!staled && request.authorizations.length > 0) {
          staled = true;
          reg.expireNonces();
        }
        return undefined;
      },
    });
    const client = await clientOf(registrar);
    const { final, authenticated } = await transact(client, register(client));
    expect([final.status_code, authenticated]).toEqual([200, 2]);
    const registers = registrar.requests('REGISTER');
    expect(registers.map((r) => [r.cseq, r.answered, r.verdict])).toEqual([
      [1, 401, `no Authorization for realm ${DOMAIN}`],
      [2, 401, 'stale nonce'],
      [3, 200, 'ok'],
    ]);
    expect(fieldOf(registers[1]!, 'nonce')).not.toEqual(fieldOf(registers[2]!, 'nonce'));
  });

  it('wrong password → the second 401 is the final answer (authentication failure), exactly one answer sent', async () => {
    const registrar = await registrarWith({ auth: [{ kind: 'www', realm: DOMAIN, offers: [{ algorithm: 'SHA-256', qop: 'auth' }] }] });
    const client = await clientOf(registrar, { password: 'not-the-password' });
    const { final, authenticated } = await transact(client, register(client));
    expect([final.status_code, authenticated]).toEqual([401, 1]);
    expect(digestRefusalOf(final)).toEqual({ cause: 'rejected', reason: `realm "${DOMAIN}" refused the credentials` });
    expect(registrar.requests('REGISTER').map((r) => [r.cseq, r.verdict])).toEqual([
      [1, `no Authorization for realm ${DOMAIN}`],
      [2, 'wrong response'],
    ]);
  });

  it('only an unsupported algorithm (AKAv1-MD5) → the 401 is passed on unanswered, with the reason', async () => {
    const registrar = await registrarWith({ auth: [{ kind: 'www', realm: DOMAIN, offers: [{ algorithm: 'AKAv1-MD5', qop: 'auth' }] }] });
    const client = await clientOf(registrar);
    const { final, authenticated } = await transact(client, register(client));
    expect([final.status_code, authenticated]).toEqual([401, 0]);
    expect(digestRefusalOf(final)?.cause).toBe('unsupported');
    expect(registrar.requests('REGISTER')).toHaveLength(1);
  });

  it('a 407 from a proxy realm, then a 401 from the registrar realm → both answered → 200; the refresh carries both', async () => {
    const registrar = await registrarWith({
      auth: [
        { kind: 'proxy', realm: 'proxy.test', offers: [{ algorithm: 'SHA-256', qop: 'auth' }] },
        { kind: 'www', realm: DOMAIN, offers: [{ algorithm: 'MD5', qop: 'auth' }] },
      ],
    });
    const client = await clientOf(registrar);
    const first = await transact(client, register(client));
    expect([first.final.status_code, first.authenticated]).toEqual([200, 2]);
    const refresh = await transact(client, register(client));
    expect([refresh.final.status_code, refresh.authenticated]).toEqual([200, 0]);
    expect(registrar.requests('REGISTER').map((r) => [r.cseq, r.answered, realmsOf(r).sort()])).toEqual([
      [1, 407, []],
      [2, 401, ['Proxy-Authorization:proxy.test']],
      [3, 200, ['Authorization:trunkline.test', 'Proxy-Authorization:proxy.test']],
      [4, 200, ['Authorization:trunkline.test', 'Proxy-Authorization:proxy.test']],
    ]);
  });

  it('Authentication-Info nextnonce → the next request uses it from nc 1, in one round trip', async () => {
    const registrar = await registrarWith({ auth: [{ kind: 'www', realm: DOMAIN, nextnonce: true, offers: [{ algorithm: 'SHA-256', qop: 'auth' }] }] });
    const client = await clientOf(registrar);
    expect((await transact(client, register(client))).final.status_code).toBe(200);
    const refresh = await transact(client, register(client));
    expect([refresh.final.status_code, refresh.authenticated]).toEqual([200, 0]);
    const [, second, third] = registrar.requests('REGISTER');
    expect(fieldOf(third!, 'nonce')).not.toEqual(fieldOf(second!, 'nonce'));
    expect(fieldOf(third!, 'nc')).toEqual(['00000001']);
  });

  it('an abandoned sender never answers a late 401: nothing more is sent', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const registrar = await registrarWith({
      auth: [{ kind: 'www', realm: DOMAIN, methods: ['REGISTER'], offers: [{ algorithm: 'SHA-256', qop: 'auth' }] }],
      onRequest: async (request) => {
        if (request.method === 'REGISTER' && request.cseq === 1) await held;
        return undefined;
      },
    });
    const client = await clientOf(registrar);
    let delivered = 0;
    const sender = new RequestSender(client.ua, register(client), { onReceiveResponse: () => delivered++, onAuthenticated: () => delivered++ });
    sender.send();
    await until(() => registrar.requests('REGISTER').length === 1);
    sender.abandoned = true;
    release();
    await until(() => client.trace.some((t) => t.direction === 'received' && t.text.startsWith('SIP/2.0 401')));
    // Anything the late 401 triggered was sent while it was handled; an OPTIONS after it marks the end.
    const options = new SIPMessage.OutgoingRequest('OPTIONS', new URI('sip', undefined as unknown as string, '127.0.0.1', registrar.port), client.ua, {}, []);
    expect((await transact(client, options)).final.status_code).toBe(200);
    expect(registrar.requests().map((r) => [r.method, r.cseq])).toEqual([
      ['REGISTER', 1],
      ['OPTIONS', expect.any(Number)],
    ]);
    expect(delivered).toBe(0);
  });

  it('OPTIONS and an INVITE with SDP are challenged too: OPTIONS 401 → 200; INVITE 407 with qop=auth-int over the body → 486', async () => {
    const registrar = await registrarWith({
      auth: [
        { kind: 'www', realm: DOMAIN, methods: ['OPTIONS'], offers: [{ algorithm: 'SHA-256', qop: 'auth' }] },
        { kind: 'proxy', realm: 'calls.test', methods: ['INVITE'], offers: [{ algorithm: 'SHA-256', qop: 'auth-int' }] },
      ],
    });
    const client = await clientOf(registrar);
    const options = new SIPMessage.OutgoingRequest('OPTIONS', new URI('sip', undefined as unknown as string, '127.0.0.1', registrar.port), client.ua, {}, []);
    expect((await transact(client, options)).final.status_code).toBe(200);
    const sdp = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
    const invite = new SIPMessage.OutgoingRequest('INVITE', new URI('sip', 'bob', DOMAIN), client.ua, {}, ['Content-Type: application/sdp', 'Contact: <sip:alice-contact@127.0.0.1;transport=udp>'], sdp);
    const { final, authenticated } = await transact(client, invite);
    expect([final.status_code, authenticated]).toEqual([486, 1]);
    const invites = registrar.requests('INVITE');
    const proxyQop = (r: RecordedRequest) => r.authorizations.filter((a) => a.header === 'Proxy-Authorization').map((a) => a.params.qop);
    expect(invites.map((r) => [r.answered, r.verdict, proxyQop(r)])).toEqual([
      [407, 'no Proxy-Authorization for realm calls.test', []],
      [486, 'ok', ['auth-int']],
    ]);
    // The OPTIONS' space is known by then: the INVITE carries its credentials unasked too.
    expect(realmsOf(invites[0]!)).toEqual([`Authorization:${DOMAIN}`]);
    // The transaction layer acknowledged both non-2xx final answers (RFC 3261 §17.1.1.3).
    await until(() => registrar.received.filter((r) => r.method === 'ACK').length === 2);
    expect(registrar.received.filter((r) => r.method === 'ACK').map((r) => r.cseq)).toEqual(invites.map((r) => r.cseq));
  });

  it('an in-dialog BYE (JsSIP Dialog → DialogRequestSender) challenged with 401 → answered, the dialog CSeq follows → 200', async () => {
    const registrar = await registrarWith({ auth: [{ kind: 'www', realm: DOMAIN, methods: ['BYE'], offers: [{ algorithm: 'SHA-256', qop: 'auth' }] }] });
    const client = await clientOf(registrar);
    // The dialog as an answered INVITE would have left it (RFC 3261 §12.1.2), without media.
    const ok = Parser.parseMessage(
      [
        'SIP/2.0 200 OK',
        'Via: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKinvite',
        `From: <sip:alice@${DOMAIN}>;tag=local1`,
        `To: <sip:bob@${DOMAIN}>;tag=remote1`,
        'Call-ID: dialog-call-1',
        'CSeq: 10 INVITE',
        `Contact: <sip:bob@127.0.0.1:${registrar.port}>`,
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
      client.ua,
    );
    const dialog = new Dialog({ _ua: client.ua }, ok, 'UAC');
    const final = await new Promise<IncomingResponse | undefined>((resolve) =>
      dialog.sendRequest('BYE', { eventHandlers: { onSuccessResponse: resolve, onErrorResponse: resolve, onRequestTimeout: () => resolve(undefined), onTransportError: () => resolve(undefined) } }),
    );
    expect(final?.status_code).toBe(200);
    expect(registrar.requests('BYE').map((r) => [r.cseq, r.callId, r.answered, r.verdict])).toEqual([
      [11, 'dialog-call-1', 401, `no Authorization for realm ${DOMAIN}`],
      [12, 'dialog-call-1', 200, 'ok'],
    ]);
    expect(dialog.local_seqnum).toBe(12);
  });

  it('a UA without useDigest keeps JsSIP behaviour (MD5 answered by JsSIP itself)', async () => {
    const registrar = await registrarWith({ auth: [{ kind: 'www', realm: DOMAIN, offers: [{ algorithm: 'MD5', qop: 'auth' }] }] });
    const client = await clientOf(registrar, { digest: false });
    const { final, authenticated } = await transact(client, register(client));
    expect([final.status_code, authenticated]).toEqual([200, 1]);
  });
});

describe('digest against Kamailio 5.6 auth configured for SHA-256', () => {
  it('REGISTER → 401 SHA-256 → answered with SHA-256 → 200; refresh in one round trip; wrong password → 401 passed on', async () => {
    const kamailio = await startSha256Kamailio();
    cleanups.push(() => kamailio.stop());
    const registrar = { port: kamailio.port, transport: 'udp' as const } as ScriptedRegistrar;
    const client = await clientOf(registrar);
    const first = await transact(client, register(client));
    expect([first.final.status_code, first.authenticated]).toEqual([200, 1]);
    const refresh = await transact(client, register(client));
    expect([refresh.final.status_code, refresh.authenticated]).toEqual([200, 0]);
    const sentRegisters = client.trace.filter((t) => t.direction === 'sent' && !t.retransmission && t.text.startsWith('REGISTER '));
    const algorithms = sentRegisters.map((t) => /^Authorization:.*\balgorithm=([\w-]+)/im.exec(t.text)?.[1] ?? null);
    expect(algorithms).toEqual([null, 'SHA-256', 'SHA-256']);
    const challenge = client.trace.find((t) => t.direction === 'received' && t.text.startsWith('SIP/2.0 401'));
    expect(challenge?.text).toMatch(/^WWW-Authenticate:.*algorithm=SHA-256/im);

    const wrong = await clientOf(registrar, { password: 'not-the-password' });
    const refused = await transact(wrong, register(wrong));
    expect([refused.final.status_code, refused.authenticated]).toEqual([401, 1]);
    expect(digestRefusalOf(refused.final)?.cause).toBe('rejected');
  });
});

describe('digest challenges over TCP, and the scripted registrar itself', () => {
  it('TCP: two WWW-Authenticate headers → SHA-256 answer → 200', async () => {
    const registrar = await registrarWith({ transport: 'tcp', auth: [{ kind: 'www', realm: DOMAIN, offers: [{ algorithm: 'MD5', qop: 'auth' }, { algorithm: 'SHA-256', qop: 'auth' }] }] });
    const client = await clientOf(registrar);
    expect((await transact(client, register(client))).final.status_code).toBe(200);
    expect(registrar.requests('REGISTER').map((r) => fieldOf(r, 'algorithm'))).toEqual([[], ['SHA-256']]);
  });

  it('grants shrink as scripted, and a scripted 503 carries Retry-After', async () => {
    let registers = 0;
    const registrar = await registrarWith({
      grants: [300, 200],
      onRequest: (request) => (request.method === 'REGISTER' && ++registers === 3 ? { code: 503, reason: 'Service Unavailable', headers: ['Retry-After: 60'] } : undefined),
    });
    const client = await clientOf(registrar);
    const contactExpires = (r: IncomingResponse) => /;expires=(\d+)/.exec(r.getHeader('Contact') ?? '')?.[1];
    expect(contactExpires((await transact(client, register(client))).final)).toBe('300');
    expect(contactExpires((await transact(client, register(client))).final)).toBe('200');
    const failed = (await transact(client, register(client))).final;
    expect([failed.status_code, failed.getHeader('Retry-After')]).toEqual([503, '60']);
  });
});

/**
 * A minimal Kamailio 5.6 registrar whose auth module challenges with SHA-256 (FIELD-NOTES:
 * `modparam("auth", "algorithm", "SHA-256")`), qop=auth, stale=true on an expired nonce. Its own
 * process group on 127.0.0.1 and a free UDP port; `stop()` kills that group only.
 */
async function startSha256Kamailio(): Promise<{ port: number; stop(): Promise<void> }> {
  const port = await freeUdpPort();
  const dir = await mkdtemp(join(tmpdir(), 'trunkline-digest-kamailio-'));
  const config = [
    '#!KAMAILIO',
    'debug=2',
    'log_stderror=yes',
    'fork=yes',
    'children=1',
    'auto_aliases=no',
    'dns=no',
    'rev_dns=no',
    `listen=udp:127.0.0.1:${port}`,
    ...['tm', 'sl', 'pv', 'xlog', 'textops', 'htable', 'auth', 'usrloc', 'registrar'].map((m) => `loadmodule "${m}.so"`),
    'modparam("htable", "htable", "users=>size=4;")',
    'modparam("usrloc", "db_mode", 0)',
    'modparam("registrar", "min_expires", 10)',
    'modparam("auth", "algorithm", "SHA-256")',
    'event_route[htable:mod-init] {',
    `\t$sht(users=>alice) = "${PASSWORD}";`,
    '}',
    'request_route {',
    '\tif (is_method("OPTIONS")) { sl_send_reply("200", "OK"); exit; }',
    '\tif (!is_method("REGISTER")) { sl_send_reply("405", "Method Not Allowed"); exit; }',
    `\tif (!is_present_hf("Authorization") || $sht(users=>$au) == $null) { www_challenge("${DOMAIN}", "1"); exit; }`,
    `\tif (!pv_www_authenticate("${DOMAIN}", "$sht(users=>$au)", "0")) {`,
    `\t\tif ($rc == -4) { www_challenge("${DOMAIN}", "17"); } else { www_challenge("${DOMAIN}", "1"); }`,
    '\t\texit;',
    '\t}',
    '\tif (!save("location")) sl_reply_error();',
    '\texit;',
    '}',
    '',
  ].join('\n');
  await writeFile(join(dir, 'kamailio.cfg'), config);
  const args = ['-f', join(dir, 'kamailio.cfg'), '-DD', '-E', '-M', '16', '-m', '64', '-Y', dir, '-P', join(dir, 'kamailio.pid')];
  // detached = its own process group (Kamailio forks), so stop() reaches every fork and nothing else.
  const child = spawn('/usr/sbin/kamailio', args, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.pid && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await until(() => child.exitCode === null, 100);
    await waitForOptions(port, () => child.exitCode !== null);
  } catch (error) {
    await stop();
    throw new Error(`kamailio did not start: ${(error as Error).message}\n${log}`);
  }
  return { port, stop };
}

async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** Polls with OPTIONS until the server answers (bounded to 10 s). */
async function waitForOptions(port: number, gone: () => boolean): Promise<void> {
  const socket = createSocket('udp4');
  let answered = false;
  socket.on('message', () => (answered = true));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const local = socket.address().port;
  try {
    for (let i = 0; i < 100 && !answered; i++) {
      if (gone()) throw new Error('kamailio exited');
      const probe = [
        `OPTIONS sip:127.0.0.1:${port} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK-probe-${i}`,
        'Max-Forwards: 70',
        `From: <sip:probe@127.0.0.1>;tag=p${i}`,
        `To: <sip:127.0.0.1:${port}>`,
        `Call-ID: probe-${i}@127.0.0.1`,
        `CSeq: ${i + 1} OPTIONS`,
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      socket.send(probe, port, '127.0.0.1');
      await new Promise((r) => setTimeout(r, 100));
    }
    if (!answered) throw new Error('no answer to OPTIONS within 10 s');
  } finally {
    socket.close();
  }
}

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
