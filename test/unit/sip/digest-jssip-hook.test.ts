import { describe, expect, it } from 'vitest';
import { installDigestHandling, PINNED_JSSIP_VERSION, rawHeaderValues } from '../../../main/sip/jssip-digest';

/* eslint-disable @typescript-eslint/no-require-imports -- JsSIP internals ship without types */
const Parser = require('jssip/lib/Parser') as { parseMessage(data: string, ua: unknown): { status_code: number; data: string; getHeaders(name: string): string[] } | undefined };
const JsSIP = require('jssip') as { version: string };
/* eslint-enable @typescript-eslint/no-require-imports */

const unauthorized = (...challenges: string[]) =>
  [
    'SIP/2.0 401 Unauthorized',
    'Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1',
    'From: <sip:alice@example.org>;tag=a',
    'To: <sip:alice@example.org>;tag=b',
    'Call-ID: c1',
    'CSeq: 1 REGISTER',
    ...challenges,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');

describe('the JsSIP digest hook', () => {
  it('is pinned to the installed JsSIP version (the hook refuses any other)', () => {
    expect(JsSIP.version).toBe(PINNED_JSSIP_VERSION);
    expect(() => installDigestHandling()).not.toThrow();
  });

  it('reads every challenge header from the raw text, folded lines unfolded, names in any case', () => {
    const raw = unauthorized('WWW-Authenticate: Digest realm="a", nonce="1",\r\n  algorithm=MD5', 'www-authenticate: Digest realm="a", nonce="2", algorithm=SHA-256', 'Proxy-Authenticate: Digest realm="p", nonce="3"');
    expect(rawHeaderValues(raw, 'WWW-Authenticate')).toEqual(['Digest realm="a", nonce="1", algorithm=MD5', 'Digest realm="a", nonce="2", algorithm=SHA-256']);
    expect(rawHeaderValues(raw, 'Proxy-Authenticate')).toEqual(['Digest realm="p", nonce="3"']);
  });

  it('a 401 whose challenge value JsSIP cannot parse (two challenges in one value) still reaches the UA, with its raw text', () => {
    installDigestHandling();
    const raw = unauthorized('WWW-Authenticate: Digest realm="a", nonce="1", algorithm=MD5, Digest realm="a", nonce="2", algorithm=SHA-256');
    const message = Parser.parseMessage(raw, null);
    expect(message?.status_code).toBe(401);
    expect(message?.data).toBe(raw);
    // JsSIP itself no longer sees the header it cannot read.
    expect(message?.getHeaders('WWW-Authenticate')).toEqual([]);
  });

  it('a message broken elsewhere is still dropped, as JsSIP does', () => {
    installDigestHandling();
    const raw = unauthorized('WWW-Authenticate: Digest realm="a", nonce="1", Digest realm="b", nonce="2"').replace('To: <sip:alice@example.org>;tag=b', 'To: <<not a uri');
    expect(Parser.parseMessage(raw, null)).toBeUndefined();
  });
});
