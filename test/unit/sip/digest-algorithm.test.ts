import { describe, expect, it } from 'vitest';
import { parseChallenges, readDigestChallenges } from '../../../main/sip/digest/challenge';
import { chooseQop, selectChallenges } from '../../../main/sip/digest/challenge-selection';
import type { DigestAlgorithm } from '../../../main/sip/digest/digest-algorithm';
import { digestAlgorithm, digestHash, digestResponse } from '../../../main/sip/digest/digest-algorithm';

const alg = (token: string): DigestAlgorithm => {
  const a = digestAlgorithm(token);
  if (!a) throw new Error(token);
  return a;
};

// RFC 7616 §3.9.1: the same request answered with MD5 and with SHA-256.
const rfc7616 = {
  username: 'Mufasa',
  realm: 'http-auth@example.org',
  password: 'Circle of Life',
  nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
  cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  nc: '00000001',
  qop: 'auth' as const,
  method: 'GET',
  uri: '/dir/index.html',
  body: '',
};

describe('digest response formula', () => {
  it('RFC 7616 §3.9.1: MD5 and SHA-256 examples', () => {
    expect(digestResponse({ ...rfc7616, algorithm: alg('MD5') })).toBe('8ca523f5e9506fed4657c9700eebdbec');
    expect(digestResponse({ ...rfc7616, algorithm: alg('SHA-256') })).toBe('753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
  });

  it('RFC 2617 §3.5 example (MD5, qop=auth)', () => {
    expect(
      digestResponse({
        algorithm: alg('MD5'),
        username: 'Mufasa',
        realm: 'testrealm@host.com',
        password: 'Circle Of Life',
        nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
        cnonce: '0a4f113b',
        nc: '00000001',
        qop: 'auth',
        method: 'GET',
        uri: '/dir/index.html',
        body: '',
      }),
    ).toBe('6629fae49393a05397450978507c4ef1');
  });

  it('SHA-512-256 is SHA-512/256 of FIPS 180-4 (its "abc" example), not SHA-512 cut short', () => {
    expect(digestHash(alg('SHA-512-256'), 'abc')).toBe('53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23');
  });

  it('-sess binds HA1 to nonce and cnonce, auth-int hashes the body, no qop is the RFC 2069 form', () => {
    const md5 = (s: string) => digestHash(alg('MD5'), s);
    const base = { ...rfc7616, algorithm: alg('MD5-sess') };
    const ha1 = md5(`${md5('Mufasa:http-auth@example.org:Circle of Life')}:${rfc7616.nonce}:${rfc7616.cnonce}`);
    expect(digestResponse(base)).toBe(md5(`${ha1}:${rfc7616.nonce}:00000001:${rfc7616.cnonce}:auth:${md5('GET:/dir/index.html')}`));
    const body = 'v=0\r\n';
    const ha2int = md5(`GET:/dir/index.html:${md5(body)}`);
    const plainHa1 = md5('Mufasa:http-auth@example.org:Circle of Life');
    expect(digestResponse({ ...rfc7616, algorithm: alg('MD5'), qop: 'auth-int', body })).toBe(md5(`${plainHa1}:${rfc7616.nonce}:00000001:${rfc7616.cnonce}:auth-int:${ha2int}`));
    expect(digestResponse({ ...rfc7616, algorithm: alg('MD5'), qop: null, cnonce: null })).toBe(md5(`${plainHa1}:${rfc7616.nonce}:${md5('GET:/dir/index.html')}`));
    expect(() => digestResponse({ ...base, cnonce: null })).toThrow(/cnonce/);
  });

  it('knows MD5, SHA-256, SHA-512-256 and their -sess forms, and nothing else', () => {
    expect(['md5', 'sha-256-SESS', 'SHA-512-256'].map((t) => digestAlgorithm(t)?.token)).toEqual(['MD5', 'SHA-256-sess', 'SHA-512-256']);
    expect(digestAlgorithm('AKAv1-MD5')).toBeNull();
    expect(digestAlgorithm('SHA-512')).toBeNull();
  });
});

describe('reading challenges', () => {
  it('reads several challenges in one value and other schemes beside Digest (RFC 7235 §4.1)', () => {
    const parsed = parseChallenges('Bearer realm="x", error="invalid", Digest realm="a, b", nonce="n\\"1", qop="auth,auth-int", algorithm=SHA-256, Digest realm=r2,nonce=m, Negotiate abc==');
    expect(parsed.map((c) => c.scheme)).toEqual(['Bearer', 'Digest', 'Digest', 'Negotiate']);
    expect(parsed[1]?.params.get('realm')).toBe('a, b');
    expect(parsed[1]?.params.get('nonce')).toBe('n"1');
    expect(parsed[2]?.params.get('nonce')).toBe('m');
  });

  it('keeps header order, defaults the algorithm to MD5, skips challenges without a nonce', () => {
    const read = readDigestChallenges({
      'WWW-Authenticate': ['Digest realm="a", nonce="1", algorithm=MD5', 'Digest realm="a", nonce="2", algorithm=sha-256, stale=TRUE, userhash=true'],
      'Proxy-Authenticate': ['Digest realm="p", nonce="3"', 'Digest realm="p"', 'Basic realm="p"'],
    });
    expect(read.digest.map((c) => [c.header, c.realm, c.nonce, c.algorithm, c.stale, c.userhash])).toEqual([
      ['WWW-Authenticate', 'a', '1', 'MD5', false, false],
      ['WWW-Authenticate', 'a', '2', 'SHA-256', true, true],
      ['Proxy-Authenticate', 'p', '3', 'MD5', false, false],
    ]);
    expect(read.ignored).toEqual(['Digest without realm or nonce', 'Basic']);
  });
});

describe('choosing the challenge to answer', () => {
  const challenges = (...values: string[]) => readDigestChallenges({ 'WWW-Authenticate': values }).digest;

  it('answers the strongest supported per realm: SHA-512-256 > SHA-256 > MD5, plain before -sess', () => {
    const pick = (...values: string[]) => selectChallenges(challenges(...values)).chosen.map((c) => c.algorithm.token);
    expect(pick('Digest realm="a", nonce="1", algorithm=MD5', 'Digest realm="a", nonce="2", algorithm=SHA-256')).toEqual(['SHA-256']);
    expect(pick('Digest realm="a", nonce="1", algorithm=SHA-256, qop=auth', 'Digest realm="a", nonce="2", algorithm=SHA-512-256, qop=auth', 'Digest realm="a", nonce="3"')).toEqual(['SHA-512-256']);
    expect(pick('Digest realm="a", nonce="1", algorithm=SHA-256-sess, qop=auth', 'Digest realm="a", nonce="2", algorithm=SHA-256, qop=auth')).toEqual(['SHA-256']);
    expect(pick('Digest realm="a", nonce="1", algorithm=SHA-256', 'Digest realm="b", nonce="2", algorithm=MD5')).toEqual(['SHA-256', 'MD5']);
  });

  it('skips what it cannot answer without failing the rest: AKAv1-MD5, an unknown qop, -sess without qop', () => {
    const selection = selectChallenges(
      challenges('Digest realm="a", nonce="1", algorithm=AKAv1-MD5, qop=auth', 'Digest realm="a", nonce="2", qop="auth-conf"', 'Digest realm="a", nonce="3", algorithm=MD5-sess', 'Digest realm="a", nonce="4", algorithm=MD5'),
    );
    expect(selection.chosen.map((c) => c.challenge.nonce)).toEqual(['4']);
    expect(selection.unsupported).toEqual(['AKAV1-MD5', 'qop=auth-conf', 'MD5-sess without qop']);
  });

  it('prefers qop=auth when both are offered, auth-int only when it is the only one', () => {
    expect(chooseQop(['auth-int', 'auth'])).toBe('auth');
    expect(chooseQop(['auth-int'])).toBe('auth-int');
    expect(chooseQop([])).toBeNull();
    expect(chooseQop(['auth-conf'])).toBeUndefined();
  });
});
