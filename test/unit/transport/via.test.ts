import { describe, expect, it } from 'vitest';
import {
  cseqMethod,
  isKeepalive,
  isResponse,
  requestMethod,
  responseStatus,
  topViaBranch,
} from '../../../main/sip/transport/message-head';
import { rewriteTopVia } from '../../../main/sip/transport/via';
import { sipRequest, sipResponse } from './sip-samples';

const viaLine = (message: string): string | undefined => message.split('\r\n').find((line) => /^(via|v)\s*:/i.test(line));

describe('rewriteTopVia', () => {
  it('adds the real local port and rport to the Via JsSIP writes', () => {
    const request = sipRequest('REGISTER', { host: '127.0.0.1', branch: 'z9hG4bK5531' });
    expect(viaLine(rewriteTopVia(request, 40312))).toBe('Via: SIP/2.0/UDP 127.0.0.1:40312;rport;branch=z9hG4bK5531');
  });

  it('keeps a ws host JsSIP invented and replaces a port already there', () => {
    const request = sipRequest('OPTIONS').replace(/^Via: .*$/m, 'Via: SIP/2.0/WSS k3x9.invalid:9;branch=z9hG4bK7');
    expect(viaLine(rewriteTopVia(request, 51000))).toBe('Via: SIP/2.0/WSS k3x9.invalid:51000;rport;branch=z9hG4bK7');
  });

  it('puts the address we really send from in place of the host JsSIP configured', () => {
    const request = sipRequest('REGISTER', { host: '127.0.0.1', branch: 'z9hG4bK1' });
    expect(viaLine(rewriteTopVia(request, 5062, '192.0.2.7'))).toBe('Via: SIP/2.0/UDP 192.0.2.7:5062;rport;branch=z9hG4bK1');
    expect(viaLine(rewriteTopVia(request, 5062, '2001:db8::7'))).toBe('Via: SIP/2.0/UDP [2001:db8::7]:5062;rport;branch=z9hG4bK1');
  });

  it('does not add rport twice', () => {
    const request = sipRequest('OPTIONS').replace(/^Via: .*$/m, 'Via: SIP/2.0/TCP 10.0.0.1;rport;branch=z9hG4bK7');
    expect(viaLine(rewriteTopVia(request, 5))).toBe('Via: SIP/2.0/TCP 10.0.0.1:5;rport;branch=z9hG4bK7');
  });

  it('handles compact form, IPv6 and only the first of several Vias', () => {
    const request = sipRequest('OPTIONS').replace(
      /^Via: .*$/m,
      'v: SIP/2.0/UDP [2001:db8::1];branch=z9hG4bKa, SIP/2.0/UDP proxy.example;branch=z9hG4bKb\r\nVia: SIP/2.0/UDP other;branch=z9hG4bKc',
    );
    const rewritten = rewriteTopVia(request, 6000);
    expect(viaLine(rewritten)).toBe('v: SIP/2.0/UDP [2001:db8::1]:6000;rport;branch=z9hG4bKa, SIP/2.0/UDP proxy.example;branch=z9hG4bKb');
    expect(rewritten).toContain('\r\nVia: SIP/2.0/UDP other;branch=z9hG4bKc\r\n');
  });

  it('leaves responses, keepalives and the body alone', () => {
    const request = sipRequest('MESSAGE', { body: 'Via: SIP/2.0/UDP body;branch=x' });
    const response = sipResponse(request, 200);
    expect(rewriteTopVia(response, 1234)).toBe(response);
    expect(rewriteTopVia('\r\n', 1234)).toBe('\r\n');
    expect(rewriteTopVia(request, 1234).endsWith('\r\n\r\nVia: SIP/2.0/UDP body;branch=x')).toBe(true);
  });
});

describe('message head parsing', () => {
  const request = sipRequest('invite', { branch: 'z9hG4bKabc', cseq: 7 });
  const response = sipResponse(sipRequest('INVITE', { branch: 'z9hG4bKabc' }), 180, 'Ringing');

  it('reads a request', () => {
    expect(isResponse(request)).toBe(false);
    expect(requestMethod(request)).toBe('INVITE');
    expect(responseStatus(request)).toBeNull();
    expect(topViaBranch(request)).toBe('z9hG4bKabc');
    expect(cseqMethod(request)).toBe('INVITE');
  });

  it('reads a response', () => {
    expect(isResponse(response)).toBe(true);
    expect(responseStatus(response)).toBe(180);
    expect(requestMethod(response)).toBeNull();
    expect(topViaBranch(response)).toBe('z9hG4bKabc');
    expect(cseqMethod(response)).toBe('INVITE');
  });

  it('recognises keepalives', () => {
    expect(isKeepalive('\r\n\r\n')).toBe(true);
    expect(isKeepalive('\r\n')).toBe(true);
    expect(isKeepalive('')).toBe(true);
    expect(isKeepalive(request)).toBe(false);
  });
});
