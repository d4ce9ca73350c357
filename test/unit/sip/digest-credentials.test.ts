import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AuthorizationHeader, ChallengeValues } from '../../../main/sip/digest-credentials';
import { DigestAttempt, DigestCredentials } from '../../../main/sip/digest-credentials';

const REGISTER = { method: 'REGISTER', uri: 'sip:example.org' };

/** The params of an Authorization value, by a parser written for the test (not the module's). */
function params(value: string | undefined): Record<string, string> {
  if (!value) return {};
  return Object.fromEntries([...value.matchAll(/([\w-]+)=(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g)].map((m) => [m[1]!, m[2] ?? m[3]!]));
}

/** An independent implementation of the formula, to check answers against. */
function expected(p: Record<string, string>, password: string, method: string, body = ''): string {
  const name = { MD5: 'md5', 'SHA-256': 'sha256', 'SHA-512-256': 'sha512-256' }[p.algorithm!.replace(/-sess$/i, '')]!;
  const H = (s: string) => createHash(name).update(s).digest('hex');
  let ha1 = H(`${p.username}:${p.realm}:${password}`);
  if (/-sess$/i.test(p.algorithm!)) ha1 = H(`${ha1}:${p.nonce}:${p.cnonce}`);
  const ha2 = p.qop === 'auth-int' ? H(`${method}:${p.uri}:${H(body)}`) : H(`${method}:${p.uri}`);
  return p.qop ? H(`${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:${p.qop}:${ha2}`) : H(`${ha1}:${p.nonce}:${ha2}`);
}

function counter(prefix = 'c'): () => string {
  let n = 0;
  return () => `${prefix}${++n}`;
}

function answerOf(credentials: DigestCredentials, values: ChallengeValues, attempt = new DigestAttempt(), request: { method: string; uri: string; body?: string } = REGISTER): AuthorizationHeader[] {
  const answer = credentials.answer(values, request, attempt);
  if (answer.kind !== 'answer') throw new Error(`refused: ${answer.reason}`);
  return answer.headers;
}

const www = (...values: string[]): ChallengeValues => ({ 'WWW-Authenticate': values });

describe('digest credentials', () => {
  it('401 with an MD5 and a SHA-256 header → one SHA-256 answer that checks out against the password', () => {
    const credentials = new DigestCredentials('alice', 's3cret', counter());
    const [header, ...rest] = answerOf(credentials, www('Digest realm="r", nonce="n1", algorithm=MD5, qop="auth"', 'Digest realm="r", nonce="n2", algorithm=SHA-256, qop="auth", opaque="o"'));
    expect(rest).toEqual([]);
    expect(header?.name).toBe('Authorization');
    const p = params(header?.value);
    expect(p).toMatchObject({ username: 'alice', realm: 'r', nonce: 'n2', uri: 'sip:example.org', algorithm: 'SHA-256', qop: 'auth', nc: '00000001', cnonce: 'c1', opaque: 'o' });
    expect(p.response).toBe(expected(p, 's3cret', 'REGISTER'));
  });

  it('reuses the nonce for later requests with nc + 1 and a new cnonce each time (preemptive, one round trip)', () => {
    const credentials = new DigestCredentials('alice', 's3cret', counter());
    expect(credentials.preemptive(REGISTER)).toEqual([]);
    answerOf(credentials, www('Digest realm="r", nonce="n", algorithm=SHA-512-256, qop=auth'));
    const second = params(credentials.preemptive(REGISTER)[0]?.value);
    const third = params(credentials.preemptive({ method: 'OPTIONS', uri: 'sip:example.org' })[0]?.value);
    expect([second.nc, second.cnonce, third.nc, third.cnonce]).toEqual(['00000002', 'c2', '00000003', 'c3']);
    expect(third.response).toBe(expected(third, 's3cret', 'OPTIONS'));
  });

  it('stale=true right after our answer is answered once more with the new nonce; a third challenge is a failure', () => {
    const credentials = new DigestCredentials('alice', 's3cret', counter());
    const attempt = new DigestAttempt();
    answerOf(credentials, www('Digest realm="r", nonce="n1", qop=auth'), attempt);
    const again = answerOf(credentials, www('Digest realm="r", nonce="n2", qop=auth, stale=true'), attempt);
    expect(params(again[0]?.value)).toMatchObject({ nonce: 'n2', nc: '00000001' });
    const third = credentials.answer(www('Digest realm="r", nonce="n3", qop=auth, stale=true'), REGISTER, attempt);
    expect(third).toMatchObject({ kind: 'refused', cause: 'rejected' });
  });

  it('a second challenge for the same realm right after our answer (not stale) is an authentication failure, and the space is dropped', () => {
    const credentials = new DigestCredentials('alice', 'wrong', counter());
    const attempt = new DigestAttempt();
    answerOf(credentials, www('Digest realm="r", nonce="n1"'), attempt);
    const refused = credentials.answer(www('Digest realm="r", nonce="n2"'), REGISTER, attempt);
    expect(refused).toEqual({ kind: 'refused', cause: 'rejected', reason: 'realm "r" refused the credentials' });
    expect(credentials.preemptive(REGISTER)).toEqual([]);
  });

  it('a challenge after credentials sent unasked (the nonce expired) is answered like a first one', () => {
    const credentials = new DigestCredentials('alice', 's3cret', counter());
    answerOf(credentials, www('Digest realm="r", nonce="n1"'));
    credentials.preemptive(REGISTER);
    const headers = answerOf(credentials, www('Digest realm="r", nonce="n2"'), new DigestAttempt());
    expect(params(headers[0]?.value).nonce).toBe('n2');
  });

  it('realm change: answered for the new realm from the password, the old realm is no longer sent', () => {
    const credentials = new DigestCredentials('alice', 's3cret', counter());
    answerOf(credentials, www('Digest realm="old", nonce="n1", qop=auth'));
    const headers = answerOf(credentials, www('Digest realm="new", nonce="n2", qop=auth, algorithm=SHA-256'), new DigestAttempt());
    expect(headers.map((h) => params(h.value).realm)).toEqual(['new']);
    const p = params(headers[0]?.value);
    expect(p.response).toBe(expected(p, 's3cret', 'REGISTER'));
    expect(credentials.preemptive(REGISTER).map((h) => params(h.value).realm)).toEqual(['new']);
  });

  it('a 407 from a proxy and then a 401 from the registrar: the re-sent request carries both, and so do later ones', () => {
    const credentials = new DigestCredentials('alice', 's3cret', counter());
    const attempt = new DigestAttempt();
    const first = answerOf(credentials, { 'Proxy-Authenticate': ['Digest realm="proxy", nonce="p1", qop=auth'] }, attempt);
    expect(first.map((h) => h.name)).toEqual(['Proxy-Authorization']);
    const second = answerOf(credentials, www('Digest realm="registrar", nonce="r1", qop=auth, algorithm=SHA-256'), attempt);
    expect(second.map((h) => [h.name, params(h.value).realm, params(h.value).nc])).toEqual([
      ['Proxy-Authorization', 'proxy', '00000002'],
      ['Authorization', 'registrar', '00000001'],
    ]);
    expect(credentials.preemptive(REGISTER).map((h) => h.name)).toEqual(['Proxy-Authorization', 'Authorization']);
  });

  it('auth-int hashes the body; with both offered it answers auth', () => {
    const credentials = new DigestCredentials('alice', 's3cret', counter());
    const invite = { method: 'INVITE', uri: 'sip:bob@example.org', body: 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n' };
    const [intHeader] = answerOf(credentials, www('Digest realm="r", nonce="n", qop="auth-int"'), new DigestAttempt(), invite);
    const p = params(intHeader?.value);
    expect(p.qop).toBe('auth-int');
    expect(p.response).toBe(expected(p, 's3cret', 'INVITE', invite.body));
    expect(p.response).not.toBe(expected(p, 's3cret', 'INVITE', ''));
    const [both] = answerOf(credentials, www('Digest realm="r", nonce="n", qop="auth-int,auth"'), new DigestAttempt(), invite);
    expect(params(both?.value).qop).toBe('auth');
  });

  it('-sess keeps the cnonce of its session key while the nonce lasts, and the answers check out', () => {
    const credentials = new DigestCredentials('alice', 's3cret', counter());
    const [first] = answerOf(credentials, www('Digest realm="r", nonce="n", qop=auth, algorithm=SHA-256-sess'));
    const [second] = credentials.preemptive(REGISTER);
    const a = params(first?.value);
    const b = params(second?.value);
    expect([a.algorithm, a.cnonce, b.cnonce, b.nc]).toEqual(['SHA-256-sess', 'c1', 'c1', '00000002']);
    expect(b.response).toBe(expected(b, 's3cret', 'REGISTER'));
  });

  it('Authentication-Info nextnonce is used for the next request, counting from 1 (RFC 7615 §3)', () => {
    const credentials = new DigestCredentials('alice', 's3cret', counter());
    answerOf(credentials, www('Digest realm="r", nonce="n1", qop=auth'));
    credentials.acceptAuthenticationInfo('Authentication-Info', 'nextnonce="n2", qop=auth, rspauth="x", cnonce="c1", nc=00000001', ['r']);
    expect(params(credentials.preemptive(REGISTER)[0]?.value)).toMatchObject({ nonce: 'n2', nc: '00000001' });
    // Without knowing which realm it belongs to, it is not guessed.
    credentials.acceptAuthenticationInfo('Authentication-Info', 'nextnonce="n3"', []);
    expect(params(credentials.preemptive(REGISTER)[0]?.value).nonce).toBe('n2');
  });

  it('refuses without a password, with only unknown algorithms, and for a 401 with no challenge', () => {
    expect(new DigestCredentials('alice', '').answer(www('Digest realm="r", nonce="n"'), REGISTER, new DigestAttempt())).toMatchObject({ cause: 'no-password' });
    const credentials = new DigestCredentials('alice', 's3cret');
    expect(credentials.answer(www('Digest realm="r", nonce="n", algorithm=AKAv1-MD5'), REGISTER, new DigestAttempt())).toEqual({
      kind: 'refused',
      cause: 'unsupported',
      reason: 'no supported digest challenge (offered: AKAV1-MD5)',
    });
    expect(credentials.answer({}, REGISTER, new DigestAttempt())).toMatchObject({ cause: 'no-challenge' });
  });

  it('userhash=true sends H(username:realm) as the username (RFC 7616 §3.4.4)', () => {
    const credentials = new DigestCredentials('alice', 's3cret', counter());
    const [header] = answerOf(credentials, www('Digest realm="r", nonce="n", qop=auth, algorithm=SHA-256, userhash=true'));
    const p = params(header?.value);
    expect(p.username).toBe(createHash('sha256').update('alice:r').digest('hex'));
    expect(p.userhash).toBe('true');
    expect(p.response).toBe(expected({ ...p, username: 'alice' }, 's3cret', 'REGISTER'));
  });

  it('no qop: the RFC 2069 form without cnonce and nc', () => {
    const credentials = new DigestCredentials('alice', 's3cret', counter());
    const [header] = answerOf(credentials, www('Digest realm="r", nonce="n", opaque="o"'));
    const p = params(header?.value);
    expect(p.cnonce).toBeUndefined();
    expect(p.nc).toBeUndefined();
    expect(p.response).toBe(expected(p, 's3cret', 'REGISTER'));
  });

  describe('compatibility with callers of authorize/remember', () => {
    it('computes the RFC 2617 §3.5 example response from a remembered header', () => {
      const credentials = new DigestCredentials('Mufasa', 'Circle Of Life', () => '0a4f113b');
      credentials.remember('Authorization', 'Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/x", qop=auth, nc=00000000, cnonce="x", response="r", opaque="5ccc069c403ebaf9f0171e9517f40e41"');
      const header = credentials.authorize('GET', '/dir/index.html');
      expect(header?.name).toBe('Authorization');
      expect(header?.value).toContain('response="6629fae49393a05397450978507c4ef1"');
      expect(header?.value).toContain('nc=00000001');
      expect(header?.value).toContain('opaque="5ccc069c403ebaf9f0171e9517f40e41"');
    });

    it('counts the nonce up on every reuse and sends nothing before a challenge or without a password', () => {
      const credentials = new DigestCredentials('u', 'p', () => 'c');
      expect(credentials.authorize('REGISTER', 'sip:example.org')).toBeNull();
      credentials.remember('Proxy-Authorization', 'Digest realm="r", nonce="n", qop=auth, nc=00000001');
      expect(credentials.authorize('REGISTER', 'sip:example.org')?.value).toContain('nc=00000002');
      expect(credentials.authorize('REGISTER', 'sip:example.org')?.value).toContain('nc=00000003');
      credentials.remember('Proxy-Authorization', 'Digest realm="r", nonce="n", qop=auth, nc=00000002');
      expect(credentials.authorize('REGISTER', 'sip:example.org')?.value).toContain('nc=00000004');
      expect(credentials.authorize('REGISTER', 'sip:example.org')?.name).toBe('Proxy-Authorization');
      expect(new DigestCredentials('u', '').authorize('REGISTER', 'sip:x')).toBeNull();
      credentials.forget();
      expect(credentials.authorize('REGISTER', 'sip:example.org')).toBeNull();
    });
  });
});
