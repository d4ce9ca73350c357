import { describe, expect, it } from 'vitest';
import { BoundedLog, maskCredentials } from '../../../main/sip/sip-trace';

const register = [
  'REGISTER sip:example.org SIP/2.0',
  'Authorization: Digest algorithm=MD5, username="1001", realm="example.org", nonce="abc", uri="sip:example.org", response="0123456789abcdef", qop=auth, cnonce="x", nc=00000001',
  'Proxy-Authorization: Digest username="1001", realm="p", nonce="n", response="feedbeef"',
  'X-Note: s3cret-pass',
  '',
  '',
].join('\r\n');

describe('SIP trace masking', () => {
  it('masks digest responses and keeps what helps diagnosis', () => {
    const masked = maskCredentials(register, ['s3cret-pass']);
    expect(masked).not.toContain('0123456789abcdef');
    expect(masked).not.toContain('feedbeef');
    expect(masked).not.toContain('nonce="abc"');
    expect(masked).toContain('Authorization: Digest algorithm=MD5, username="1001", realm="example.org", uri="sip:example.org", qop=auth, response=<masked>');
    expect(masked).toContain('Proxy-Authorization: Digest username="1001", realm="p", response=<masked>');
    expect(masked).toContain('X-Note: <masked>');
    expect(masked.endsWith('\r\n\r\n')).toBe(true);
  });

  it('keeps the newest entries only', () => {
    const log = new BoundedLog<number>(3);
    for (let i = 0; i < 10; i++) log.push(i);
    expect(log.toArray()).toEqual([7, 8, 9]);
  });
});
