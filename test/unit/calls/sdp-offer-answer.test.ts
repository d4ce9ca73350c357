import { describe, expect, it } from 'vitest';
import type { LocalMediaPolicy } from '../../../main/sip/calls/sdp-offer-answer';
import { acceptOffer, buildAnswer, buildOffer, readAnswer, SdpError, SdpNotAcceptableError, SdpOrigin } from '../../../main/sip/calls/sdp-offer-answer';

const KEY_A = Buffer.alloc(30, 1).toString('base64');
const KEY_B = Buffer.alloc(30, 2).toString('base64');
const plain: LocalMediaPolicy = { codecs: ['PCMU', 'PCMA'], srtp: 'off' };
const local = { address: '192.0.2.10', port: 20000, srtpKeyBase64: null };

function sdp(lines: string[]): string {
  return `${lines.join('\r\n')}\r\n`;
}

function remoteOffer(media: string[], session: string[] = ['c=IN IP4 198.51.100.7']): string {
  return sdp(['v=0', 'o=far 42 7 IN IP4 198.51.100.7', 's=call', ...session, 't=0 0', ...media]);
}

const audioOffer = (extra: string[] = [], m = 'm=audio 4000 RTP/AVP 8 0 96 18'): string[] => [
  m, 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:96 telephone-event/8000', 'a=fmtp:96 0-15', 'a=rtpmap:18 G729/8000', ...extra,
];

describe('offer', () => {
  it('lists our codecs in line order then telephone-event 101, with ptime, direction and c=', () => {
    const offer = buildOffer(new SdpOrigin('123456789012'), { ...local, direction: 'sendrecv' }, { codecs: ['PCMA', 'PCMU'], srtp: 'off' });
    expect(offer).toBe(sdp([
      'v=0', 'o=- 123456789012 1 IN IP4 192.0.2.10', 's=-', 'c=IN IP4 192.0.2.10', 't=0 0',
      'm=audio 20000 RTP/AVP 8 0 101', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000',
      'a=fmtp:101 0-16', 'a=ptime:20', 'a=sendrecv',
    ]));
  });

  it('keeps o= version for an identical re-offer (RFC 3264 §8) and bumps it by one on a change', () => {
    const origin = new SdpOrigin('1');
    const first = buildOffer(origin, { ...local, direction: 'sendrecv' }, plain);
    expect(buildOffer(origin, { ...local, direction: 'sendrecv' }, plain)).toBe(first);
    const hold = buildOffer(origin, { ...local, direction: 'sendonly' }, plain);
    expect(hold).toContain('o=- 1 2 IN IP4');
    expect(hold).toContain('a=sendonly');
    expect(buildOffer(origin, { ...local, direction: 'sendonly' }, plain)).toBe(hold);
    expect(buildOffer(origin, { ...local, direction: 'sendrecv' }, plain)).toContain('o=- 1 3 IN IP4');
  });

  it('stamps the version over the direction the wire will carry, not the one written', () => {
    const origin = new SdpOrigin('1');
    buildOffer(origin, { ...local, direction: 'sendrecv' }, plain);
    const written = buildOffer(origin, { ...local, direction: 'sendrecv' }, plain, 'recvonly');
    expect(written).toContain('a=sendrecv');
    expect(written).toContain('o=- 1 2 IN IP4');
  });

  it('SRTP mandatory: RTP/SAVP with one AES_CM_128_HMAC_SHA1_80 inline key; optional: RTP/AVP with the key', () => {
    const mandatory = buildOffer(new SdpOrigin('1'), { ...local, direction: 'sendrecv', srtpKeyBase64: KEY_A }, { ...plain, srtp: 'mandatory' });
    expect(mandatory).toContain('m=audio 20000 RTP/SAVP 0 8 101');
    expect(mandatory).toContain(`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY_A}`);
    const optional = buildOffer(new SdpOrigin('1'), { ...local, direction: 'sendrecv', srtpKeyBase64: KEY_A }, { ...plain, srtp: 'optional' });
    expect(optional).toContain('m=audio 20000 RTP/AVP 0 8 101');
    expect(optional).toContain(`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY_A}`);
    expect(buildOffer(new SdpOrigin('1'), { ...local, direction: 'sendrecv' }, plain)).not.toContain('a=crypto');
  });

  it('refuses bad local input with the field named', () => {
    expect(() => buildOffer(new SdpOrigin('1'), { ...local, address: 'pbx.local', direction: 'sendrecv' }, plain)).toThrow(/local address must be an IPv4/);
    expect(() => buildOffer(new SdpOrigin('1'), { ...local, direction: 'sendrecv' }, { codecs: [], srtp: 'off' })).toThrow(/codecs must name/);
    expect(() => buildOffer(new SdpOrigin('1'), { ...local, direction: 'sendrecv' }, { ...plain, srtp: 'mandatory' })).toThrow(/30-byte master key/);
    expect(() => new SdpOrigin('12ab')).toThrow(/sessionId/);
  });
});

describe('answer to a remote offer', () => {
  it('intersects codecs in the offer order restricted to ours, keeps the offer PTs and its telephone-event PT', () => {
    const offer = acceptOffer(remoteOffer(audioOffer()), { codecs: ['PCMU', 'PCMA'], srtp: 'off' });
    const { sdp: answer, plan } = buildAnswer(new SdpOrigin('5'), offer, local, plain, 'sendrecv');
    expect(answer).toContain('m=audio 20000 RTP/AVP 8 0 96\r\n');
    expect(answer).toContain('a=rtpmap:96 telephone-event/8000');
    expect(answer).not.toContain('G729');
    expect(plan).toEqual({ remoteAddress: '198.51.100.7', remotePort: 4000, remoteRtcpPort: 4001, payloadType: 8, codec: 'PCMA', telephoneEventPt: 96, direction: 'sendrecv', remoteHold: false });
  });

  it('restricts to the line codecs and accepts a dynamic PT named PCMU, answered under that PT', () => {
    const offer = acceptOffer(remoteOffer(['m=audio 4000 RTP/AVP 8 97', 'a=rtpmap:97 PCMU/8000']), { codecs: ['PCMU'], srtp: 'off' });
    expect(offer.codecs).toEqual([{ payloadType: 97, codec: 'PCMU' }]);
    expect(buildAnswer(new SdpOrigin('5'), offer, local, { codecs: ['PCMU'], srtp: 'off' }, 'sendrecv').sdp).toContain('m=audio 20000 RTP/AVP 97\r\n');
  });

  it.each([
    ['sendrecv', 'sendrecv', 'sendrecv'],
    ['sendonly', 'sendrecv', 'recvonly'],
    ['recvonly', 'sendrecv', 'sendonly'],
    ['inactive', 'sendrecv', 'inactive'],
    ['sendrecv', 'sendonly', 'sendonly'],
    ['sendonly', 'sendonly', 'inactive'],
    ['recvonly', 'sendonly', 'sendonly'],
    ['inactive', 'sendonly', 'inactive'],
  ] as const)('offer %s, we want %s → answer %s (RFC 3264 §6.1)', (offered, wanted, answered) => {
    const offer = acceptOffer(remoteOffer(audioOffer([`a=${offered}`])), plain);
    const { sdp: answer, plan } = buildAnswer(new SdpOrigin('5'), offer, local, plain, wanted);
    expect(answer).toContain(`a=${answered}`);
    expect(plan.direction).toBe(answered);
    expect(plan.remoteHold).toBe(offered === 'sendonly' || offered === 'inactive');
  });

  it('reads the session-level direction and c=, media-level c= wins, a=rtcp gives the RTCP port', () => {
    const offer = acceptOffer(remoteOffer(audioOffer(['c=IN IP4 203.0.113.9', 'a=rtcp:5000']), ['c=IN IP4 198.51.100.7', 'a=sendonly']), plain);
    expect(offer).toMatchObject({ remoteAddress: '203.0.113.9', remoteRtcpPort: 5000, offerDirection: 'sendonly', remoteHold: true });
  });

  it('legacy hold c=0.0.0.0 (RFC 3264 §8.4): never send there, remote hold', () => {
    const offer = acceptOffer(remoteOffer(audioOffer(), ['c=IN IP4 0.0.0.0']), plain);
    const { plan } = buildAnswer(new SdpOrigin('5'), offer, local, plain, 'sendrecv');
    expect(plan).toMatchObject({ direction: 'recvonly', remoteHold: true });
  });

  it('rejects other m-lines with port 0, same count and order (RFC 3264 §6)', () => {
    const offer = acceptOffer(remoteOffer(['m=video 5000 RTP/AVP 96', 'a=rtpmap:96 VP8/90000', ...audioOffer()]), plain);
    const answer = buildAnswer(new SdpOrigin('5'), offer, local, plain, 'sendrecv').sdp;
    expect(answer.split('\r\n').filter((l) => l.startsWith('m='))).toEqual(['m=video 0 RTP/AVP 96', 'm=audio 20000 RTP/AVP 8 0 96']);
  });

  it('no common codec → not acceptable (488) with the reason', () => {
    const attempt = () => acceptOffer(remoteOffer(['m=audio 4000 RTP/AVP 18 9', 'a=rtpmap:18 G729/8000']), plain);
    expect(attempt).toThrow(SdpNotAcceptableError);
    expect(attempt).toThrow(/no common codec \(offer: 18 9; we accept PCMU, PCMA\)/);
  });

  it('answers SRTP with our key under the accepted tag, skipping unsupported suites and MKI lines', () => {
    const offer = acceptOffer(remoteOffer(audioOffer([
      `a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:${KEY_B}`,
      `a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:${KEY_B}|2^20|1:4`,
      `a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:${KEY_B}|2^31`,
    ], 'm=audio 4000 RTP/SAVP 0 8 96')), { ...plain, srtp: 'mandatory' });
    const { sdp: answer, plan } = buildAnswer(new SdpOrigin('5'), offer, { ...local, srtpKeyBase64: KEY_A }, { ...plain, srtp: 'mandatory' }, 'sendrecv');
    expect(answer).toContain('m=audio 20000 RTP/SAVP');
    expect(answer).toContain(`a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:${KEY_A}\r\n`);
    expect(answer.match(/a=crypto/g)).toHaveLength(1);
    expect(plan.srtp).toEqual({ suite: 'AES_CM_128_HMAC_SHA1_80', sendKeyBase64: KEY_A, receiveKeyBase64: KEY_B });
  });

  it('SRTP modes against offers: off refuses SAVP, optional falls back to plain RTP, mandatory refuses plain', () => {
    const savp = remoteOffer(audioOffer([`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY_B}`], 'm=audio 4000 RTP/SAVP 0 96'));
    const avpWithCrypto = remoteOffer(audioOffer([`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY_B}`]));
    const avp = remoteOffer(audioOffer());
    expect(() => acceptOffer(savp, plain)).toThrow(/RTP\/SAVP but SRTP is off/);
    expect(acceptOffer(avpWithCrypto, plain).crypto).toBeNull();
    expect(acceptOffer(avp, { ...plain, srtp: 'optional' }).crypto).toBeNull();
    expect(acceptOffer(avpWithCrypto, { ...plain, srtp: 'optional' }).crypto?.tag).toBe(1);
    expect(() => acceptOffer(avp, { ...plain, srtp: 'mandatory' })).toThrow(/SRTP is mandatory on this line and the offer has no usable a=crypto/);
    expect(acceptOffer(avpWithCrypto, { ...plain, srtp: 'mandatory' }).crypto?.keyBase64).toBe(KEY_B);
  });

  it('bad or partial SDP → SdpError naming the line', () => {
    expect(() => acceptOffer('', plain)).toThrow(/SDP body: is empty/);
    expect(() => acceptOffer('o=x 1 1 IN IP4 1.2.3.4\r\n', plain)).toThrow(/SDP v=: the first line must be "v=0"/);
    expect(() => acceptOffer(sdp(['v=0', 's=-', 'c=IN IP4 1.2.3.4', 't=0 0', ...audioOffer()]), plain)).toThrow(/SDP o=: is missing/);
    expect(() => acceptOffer(sdp(['v=0', 'o=x 1 1 IN IP4 1.2.3.4', 's=-', 't=0 0']), plain)).toThrow(/SDP m=: no media description/);
    expect(() => acceptOffer(remoteOffer(audioOffer(), []), plain)).toThrow(/SDP c= \(m-line 0\): missing at session and media level/);
    expect(() => acceptOffer(remoteOffer(audioOffer(), ['c=IN IP6 2001:db8::1']), plain)).toThrow(/IPv6 media is not supported/);
    expect(() => acceptOffer(remoteOffer(['m=audio 4000 RTP/AVP']), plain)).toThrow(SdpError);
    expect(() => acceptOffer(remoteOffer(['m=audio 4000 UDP/TLS/RTP/SAVPF 111']), plain)).toThrow(/transport "UDP\/TLS\/RTP\/SAVPF" is not RTP\/AVP or RTP\/SAVP/);
  });
});

describe('reading the answer to our offer', () => {
  const answer = (media: string[]): string => sdp(['v=0', 'o=far 9 9 IN IP4 198.51.100.7', 's=-', 'c=IN IP4 198.51.100.7', 't=0 0', ...media]);

  it('takes its first codec of ours, its telephone-event PT and narrows our direction', () => {
    const plan = readAnswer(answer(['m=audio 6000 RTP/AVP 8 101', 'a=rtpmap:101 telephone-event/8000', 'a=recvonly']), { direction: 'sendonly', policy: plain, srtpKeyBase64: null });
    expect(plan).toEqual({ remoteAddress: '198.51.100.7', remotePort: 6000, remoteRtcpPort: 6001, payloadType: 8, codec: 'PCMA', telephoneEventPt: 101, direction: 'sendonly', remoteHold: false });
    expect(readAnswer(answer(['m=audio 6000 RTP/AVP 0', 'a=sendonly']), { direction: 'sendrecv', policy: plain, srtpKeyBase64: null })).toMatchObject({ direction: 'recvonly', telephoneEventPt: null });
  });

  it('a rejected stream or a foreign codec is not acceptable (→ 488)', () => {
    const offered = { direction: 'sendrecv' as const, policy: plain, srtpKeyBase64: null };
    expect(() => readAnswer(answer(['m=audio 0 RTP/AVP 0']), offered)).toThrow(/rejected the audio stream \(port 0\)/);
    expect(() => readAnswer(answer(['m=audio 6000 RTP/AVP 18', 'a=rtpmap:18 G729/8000']), offered)).toThrow(/chose no codec we offered/);
  });

  it('SRTP: keys from the answer under our tag; mandatory without crypto is refused; optional falls back', () => {
    const withCrypto = answer(['m=audio 6000 RTP/SAVP 0', `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY_B}`]);
    expect(readAnswer(withCrypto, { direction: 'sendrecv', policy: { ...plain, srtp: 'mandatory' }, srtpKeyBase64: KEY_A }).srtp)
      .toEqual({ suite: 'AES_CM_128_HMAC_SHA1_80', sendKeyBase64: KEY_A, receiveKeyBase64: KEY_B });
    expect(() => readAnswer(answer(['m=audio 6000 RTP/AVP 0']), { direction: 'sendrecv', policy: { ...plain, srtp: 'mandatory' }, srtpKeyBase64: KEY_A }))
      .toThrow(/SRTP is mandatory and the answer accepted no crypto line of ours/);
    expect(readAnswer(answer(['m=audio 6000 RTP/AVP 0']), { direction: 'sendrecv', policy: { ...plain, srtp: 'optional' }, srtpKeyBase64: KEY_A }).srtp).toBeUndefined();
  });
});
