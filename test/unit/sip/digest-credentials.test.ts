import { describe, expect, it } from 'vitest';
import { DigestCredentials } from '../../../main/sip/digest-credentials';

describe('digest credentials sent before a challenge', () => {
  it('computes the RFC 2617 §3.5 example response', () => {
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
    expect(credentials.authorize('REGISTER', 'sip:example.org')?.name).toBe('Proxy-Authorization');
    expect(new DigestCredentials('u', '').authorize('REGISTER', 'sip:x')).toBeNull();
  });

  it('forgets a challenge it cannot answer (another algorithm)', () => {
    const credentials = new DigestCredentials('u', 'p');
    credentials.remember('Authorization', 'Digest realm="r", nonce="n", algorithm=SHA-256');
    expect(credentials.authorize('REGISTER', 'sip:x')).toBeNull();
  });
});
