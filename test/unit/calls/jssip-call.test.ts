/**
 * MediaPeer under real JsSIP 3.13.8: two UAs back to back, real UDP media on 127.0.0.1. Each test
 * asserts what is on the SIP wire and what the media ports did (packets moved, stopped, resumed).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { DTMF_TRANSPORT } from 'jssip/lib/Constants';
import type { EndEvent, RTCSession, ReferEvent } from 'jssip/lib/RTCSession';
import type { Party } from './jssip-pair';
import { bodyOf, sleep, startPair, stopPair, waitFor } from './jssip-pair';
import type { UdpTestMediaPort } from './udp-test-media-port';

let parties: Party[] = [];

afterEach(async () => {
  await stopPair(parties);
  parties = [];
});

async function pair(a: ConstructorParameters<typeof Party>[0] = { user: 'alice' }, b: ConstructorParameters<typeof Party>[0] = { user: 'bob' }): Promise<[Party, Party]> {
  parties = await startPair(a, b);
  return parties as [Party, Party];
}

/** Packets `port` receives during `ms`. */
async function receivedDuring(port: UdpTestMediaPort, ms: number): Promise<number> {
  const before = port.received;
  await sleep(ms);
  return port.received - before;
}

function sdpVersion(sdp: string): number {
  const match = /^o=\S+ \S+ (\d+) /m.exec(sdp);
  if (!match) throw new Error(`no o= line in ${sdp}`);
  return Number(match[1]);
}

/** Alice calls Bob, Bob answers after his 180: resolves once both sides are confirmed. */
async function connectedCall(alice: Party, bob: Party) {
  bob.onIncoming = (session) => {
    setTimeout(() => bob.answer(session), 20);
  };
  const events: string[] = [];
  const out = alice.call('sip:bob@test.invalid', {
    progress: () => events.push('progress'),
    confirmed: () => events.push('confirmed'),
    failed: () => events.push('failed'),
  });
  await waitFor('alice confirmed', () => events.includes('confirmed'));
  await waitFor('bob answered', () => bob.calls.length === 1 && bob.incoming[0]?.isEstablished() === true);
  const incoming = bob.calls[0] as { media: typeof out.media; port: UdpTestMediaPort };
  return { out, incoming, bobSession: bob.incoming[0] as RTCSession, events };
}

describe('MediaPeer with real JsSIP', () => {
  it('outgoing call → 180 → answered: each side configured with the other\'s port, RTP flows both ways', async () => {
    const [alice, bob] = await pair();
    const { out, incoming, events } = await connectedCall(alice, bob);
    expect(events.slice(0, 2)).toEqual(['progress', 'confirmed']);
    const invite = alice.sentMatching(/^INVITE /)[0] as string;
    expect(bodyOf(invite)).toMatch(new RegExp(`^m=audio ${out.port.port} RTP/AVP 0 8 101\r$`, 'm'));
    expect(bodyOf(invite)).toContain('c=IN IP4 127.0.0.1');
    expect(bob.sentMatching(/^SIP\/2\.0 180 /)).toHaveLength(1);
    expect(out.port.config).toMatchObject({ remoteAddress: '127.0.0.1', remotePort: incoming.port.port, payloadType: 0, codec: 'PCMU', telephoneEventPt: 101, direction: 'sendrecv' });
    expect(incoming.port.config).toMatchObject({ remoteAddress: '127.0.0.1', remotePort: out.port.port, payloadType: 0, codec: 'PCMU', telephoneEventPt: 101, direction: 'sendrecv' });
    expect(out.media.peer?.iceConnectionState).toBe('connected');
    await waitFor('packets both ways', () => out.port.received > 5 && incoming.port.received > 5);
    expect(alice.errors.concat(bob.errors)).toEqual([]);
  });

  it('hold(): re-INVITE a=sendonly with a new o= version, far end answers recvonly and sees remote hold; RTP from the holder stops; unhold() resumes it', async () => {
    const [alice, bob] = await pair();
    const { out, incoming, bobSession } = await connectedCall(alice, bob);
    await waitFor('bob hears alice', () => incoming.port.received > 5);
    const bobHolds: string[] = [];
    bobSession.on('hold', (e: { originator: string }) => bobHolds.push(`hold:${e.originator}`));
    bobSession.on('unhold', (e: { originator: string }) => bobHolds.push(`unhold:${e.originator}`));
    const initialVersion = sdpVersion(bodyOf(alice.sentMatching(/^INVITE /)[0] as string));

    let held = false;
    out.session.hold({}, () => (held = true));
    await waitFor('hold answered', () => held);
    const reinvite = alice.sentMatching(/^INVITE /)[1] as string;
    expect(bodyOf(reinvite)).toMatch(/^a=sendonly\r$/m);
    expect(sdpVersion(bodyOf(reinvite))).toBe(initialVersion + 1);
    // JsSIP's post-offer rewrite found nothing to change: what went out is what the peer wrote.
    expect(bodyOf(reinvite)).toBe(out.media.peer?.localDescription?.sdp);
    const holdAnswer = bob.sentMatching(/^SIP\/2\.0 200 /).map(bodyOf).filter((b) => b.includes('a=recvonly'));
    expect(holdAnswer).toHaveLength(1);
    expect(bobHolds).toEqual(['hold:remote']);
    expect(out.port.config?.direction).toBe('sendonly');
    expect(incoming.port.config?.direction).toBe('recvonly');
    await sleep(60); // packets already in flight
    expect(await receivedDuring(incoming.port, 300)).toBe(0);

    let resumed = false;
    out.session.unhold({}, () => (resumed = true));
    await waitFor('unhold answered', () => resumed);
    const resume = alice.sentMatching(/^INVITE /)[2] as string;
    expect(bodyOf(resume)).toMatch(/^a=sendrecv\r$/m);
    expect(sdpVersion(bodyOf(resume))).toBe(initialVersion + 2);
    expect(bobHolds).toEqual(['hold:remote', 'unhold:remote']);
    expect(await receivedDuring(incoming.port, 300)).toBeGreaterThan(3);
  });

  it('hold({useUpdate}) sends UPDATE with a=sendonly; unhold resumes', async () => {
    const [alice, bob] = await pair();
    const { out, incoming } = await connectedCall(alice, bob);
    let held = false;
    out.session.hold({ useUpdate: true }, () => (held = true));
    await waitFor('UPDATE answered', () => held);
    expect(bodyOf(alice.sentMatching(/^UPDATE /)[0] as string)).toMatch(/^a=sendonly\r$/m);
    expect(incoming.port.config?.direction).toBe('recvonly');
    let resumed = false;
    out.session.unhold({ useUpdate: true }, () => (resumed = true));
    await waitFor('UPDATE answered', () => resumed);
    expect(out.port.config?.direction).toBe('sendrecv');
    expect(await receivedDuring(incoming.port, 300)).toBeGreaterThan(3);
  });

  it('a session refresh re-offer without changes is byte-identical, same o= version (RFC 3264 §8)', async () => {
    const [alice, bob] = await pair();
    const { out } = await connectedCall(alice, bob);
    let done = false;
    out.session.renegotiate({}, () => (done = true));
    await waitFor('refresh answered', () => done);
    const [first, refresh] = alice.sentMatching(/^INVITE /).map(bodyOf);
    expect(refresh).toBe(first);
  });

  it('while we hold, a re-offer from the far end is answered sendonly (JsSIP never rewrites answers)', async () => {
    const [alice, bob] = await pair();
    const { out, bobSession } = await connectedCall(alice, bob);
    let held = false;
    out.session.hold({}, () => (held = true));
    await waitFor('hold answered', () => held);
    let refreshed = false;
    bobSession.renegotiate({}, () => (refreshed = true));
    await waitFor('bob refresh answered', () => refreshed);
    const answer = bodyOf(alice.sentMatching(/^SIP\/2\.0 200 /).filter((m) => /CSeq: \d+ INVITE/.test(m)).at(-1) as string);
    expect(answer).toMatch(/^a=sendonly\r$/m);
    expect(out.port.config?.direction).toBe('sendonly');
  });

  it('far end holds us: JsSIP reports remote hold, we answer recvonly and stop sending; both on hold → inactive', async () => {
    const [alice, bob] = await pair();
    const { out, incoming, bobSession } = await connectedCall(alice, bob);
    const aliceHolds: string[] = [];
    out.session.on('hold', (e: { originator: string }) => aliceHolds.push(e.originator));
    let held = false;
    bobSession.hold({}, () => (held = true));
    await waitFor('bob hold answered', () => held);
    expect(aliceHolds).toEqual(['remote']);
    expect(out.media.plan).toMatchObject({ direction: 'recvonly', remoteHold: true });
    await sleep(60);
    expect(await receivedDuring(incoming.port, 300)).toBe(0);
    // Our re-offer while held: JsSIP rewrites what we write (sendrecv) into recvonly, which is
    // exactly our last SDP (the recvonly answer to the hold), so it keeps that one's version.
    const holdAnswer = bodyOf(alice.sentMatching(/^SIP\/2\.0 200 /).filter((m) => /CSeq: \d+ INVITE/.test(m)).at(-1) as string);
    expect(holdAnswer).toMatch(/^a=recvonly\r$/m);
    let refreshed = false;
    out.session.renegotiate({}, () => (refreshed = true));
    await waitFor('re-offer answered', () => refreshed);
    const reoffer = bodyOf(alice.sentMatching(/^INVITE /).at(-1) as string);
    expect(reoffer).toMatch(/^a=recvonly\r$/m);
    expect(sdpVersion(reoffer)).toBe(sdpVersion(holdAnswer));
    expect(sdpVersion(holdAnswer)).toBe(sdpVersion(bodyOf(alice.sentMatching(/^INVITE /)[0] as string)) + 1);
    expect(out.port.config?.direction).toBe('recvonly');
    let both = false;
    out.session.hold({}, () => (both = true));
    await waitFor('alice hold answered', () => both);
    expect(bodyOf(alice.sentMatching(/^INVITE /).at(-1) as string)).toMatch(/^a=inactive\r$/m);
    expect(out.port.config?.direction).toBe('inactive');
  });

  it('DTMF RFC 4733: sendDTMF(…, RFC2833) reaches MediaPort.sendDtmf and the far end receives the events', async () => {
    const [alice, bob] = await pair();
    const { out, incoming } = await connectedCall(alice, bob);
    expect(out.media.dtmfTransportType()).toBe('RFC2833');
    out.session.sendDTMF('15#', { transportType: out.media.dtmfTransportType(), duration: 120, interToneGap: 80 });
    out.session.sendDTMF('9', { transportType: out.media.dtmfTransportType() });
    expect(out.port.dtmfSent).toEqual([{ digits: '15#', durationMs: 120, gapMs: 80 }, { digits: '9', durationMs: 100, gapMs: 500 }]);
    await waitFor('digits at bob', () => incoming.port.dtmfReceived.join('') === '15#9');
    expect(alice.sentMatching(/^INFO /)).toEqual([]);
  });

  it('DTMF SIP INFO arrives as newDTMF', async () => {
    const [alice, bob] = await pair();
    const { out, bobSession } = await connectedCall(alice, bob);
    const digits: string[] = [];
    bobSession.on('newDTMF', (e: { originator: string; dtmf: { tone: string } }) => digits.push(`${e.originator}:${e.dtmf.tone}`));
    out.session.sendDTMF('3', { transportType: 'INFO' as DTMF_TRANSPORT });
    await waitFor('INFO DTMF', () => digits.length === 1);
    expect(digits).toEqual(['remote:3']);
    expect(bodyOf(alice.sentMatching(/^INFO /)[0] as string)).toMatch(/^Signal=3\r\nDuration=100/);
  });

  it('mute stops our packets without any SIP; unmute resumes them', async () => {
    const [alice, bob] = await pair();
    const { out, incoming } = await connectedCall(alice, bob);
    const sentBefore = alice.socket.sent.length;
    out.session.mute({ audio: true });
    expect(out.port.muted).toBe(true);
    await sleep(60);
    expect(await receivedDuring(incoming.port, 300)).toBe(0);
    out.session.unmute({ audio: true });
    expect(await receivedDuring(incoming.port, 300)).toBeGreaterThan(3);
    expect(alice.socket.sent.length).toBe(sentBefore);
  });

  it('REFER sends Refer-To; NOTIFY progress and acceptance come back as the transfer target answers', async () => {
    const [alice, bob] = await pair();
    const { out, bobSession } = await connectedCall(alice, bob);
    // Bob follows the REFER with a new call of his own (to Alice's UA, which answers it).
    bobSession.on('refer', (e: ReferEvent) => {
      const { media } = bob.newMedia();
      e.accept(null, { ...media.jssipOptions() });
    });
    alice.onIncoming = (session) => setTimeout(() => alice.answer(session), 20);
    const progress: string[] = [];
    out.session.refer('sip:alice@test.invalid', {
      eventHandlers: {
        requestSucceeded: () => progress.push('202'),
        trying: () => progress.push('trying'),
        progress: (e: { status_line: { status_code: number } }) => progress.push(`progress ${e.status_line.status_code}`),
        accepted: () => progress.push('accepted'),
        failed: () => progress.push('failed'),
      },
    });
    await waitFor('transfer accepted', () => progress.includes('accepted'));
    expect(alice.sentMatching(/^REFER /)[0]).toMatch(/^Refer-To: <?sip:alice@test\.invalid>?\r$/im);
    expect(progress[0]).toBe('202');
    expect(progress).toContain('progress 180');
    expect(bob.sentMatching(/^NOTIFY /).map(bodyOf)).toEqual(expect.arrayContaining([expect.stringMatching(/^SIP\/2\.0 200/)]));
  });

  it('BYE closes both media ports', async () => {
    const [alice, bob] = await pair();
    const { out, incoming, bobSession } = await connectedCall(alice, bob);
    let ended = false;
    bobSession.on('ended', () => (ended = true));
    out.session.terminate();
    await waitFor('bob ended', () => ended);
    expect(alice.sentMatching(/^BYE /)).toHaveLength(1);
    await waitFor('ports closed', () => out.port.closed && incoming.port.closed);
    expect(out.media.peer?.signalingState).toBe('closed');
  });

  it.each([[486, 'Busy'], [603, 'Rejected']])('decline %i: the caller fails with that code and its media port closes', async (code, cause) => {
    const [alice, bob] = await pair();
    bob.onIncoming = (session) => setTimeout(() => session.terminate({ status_code: code }), 20);
    let failed: { cause: string } | null = null;
    const out = alice.call('sip:bob@test.invalid', { failed: (e: never) => (failed = e) });
    await waitFor('call failed', () => failed !== null);
    expect(failed).toMatchObject({ cause });
    expect(bob.sentMatching(new RegExp(`^SIP/2\\.0 ${code} `))).toHaveLength(1);
    await waitFor('port closed', () => out.port.closed);
  });

  it('CANCEL while ringing → 487 and the caller\'s media port closes', async () => {
    const [alice, bob] = await pair();
    let failed: { cause: string } | null = null;
    let ringing = false;
    const out = alice.call('sip:bob@test.invalid', { progress: () => (ringing = true), failed: (e: never) => (failed = e) });
    await waitFor('ringing', () => ringing);
    out.session.terminate();
    await waitFor('call failed', () => failed !== null);
    expect(failed).toMatchObject({ cause: 'Canceled' });
    expect(alice.sentMatching(/^CANCEL /)).toHaveLength(1);
    await waitFor('487 from the callee', () => bob.sentMatching(/^SIP\/2\.0 487 /).length === 1);
    await waitFor('port closed', () => out.port.closed);
  });

  it('RTP inactivity: the media port reports it, JsSIP sends BYE with Reason cause 408', async () => {
    const [alice, bob] = await pair({ user: 'alice', port: { inactivityMs: 300 } }, { user: 'bob' });
    const { out, incoming, bobSession } = await connectedCall(alice, bob);
    let ended: EndEvent | null = null;
    out.session.on('ended', (e) => (ended = e));
    let bobEnded = false;
    bobSession.on('ended', () => (bobEnded = true));
    await waitFor('alice hears bob', () => out.port.received > 3);
    incoming.port.stopSending();
    await waitFor('alice ends the call', () => ended !== null);
    expect(ended).toMatchObject({ cause: 'RTP Timeout' });
    const bye = alice.sentMatching(/^BYE /)[0] as string;
    expect(bye).toMatch(/^Reason: SIP ;cause=408; text="RTP Timeout"\r$/m);
    await waitFor('bob ended', () => bobEnded);
    expect(out.port.closed).toBe(true);
  });

  it('SRTP mandatory: RTP/SAVP offer answered with crypto; each side decrypts the other\'s packets', async () => {
    const [alice, bob] = await pair({ user: 'alice', media: { srtp: 'mandatory' } }, { user: 'bob', media: { srtp: 'mandatory' } });
    const { out, incoming } = await connectedCall(alice, bob);
    const offer = bodyOf(alice.sentMatching(/^INVITE /)[0] as string);
    expect(offer).toMatch(/^m=audio \d+ RTP\/SAVP 0 8 101\r$/m);
    expect(offer).toMatch(/^a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:[A-Za-z0-9+/]{40}\r$/m);
    const answer = bodyOf(bob.sentMatching(/^SIP\/2\.0 200 /)[0] as string);
    expect(answer).toMatch(/^m=audio \d+ RTP\/SAVP 0 8 101\r$/m);
    expect(answer).toMatch(/^a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:/m);
    expect(out.port.config?.srtp?.sendKeyBase64).toBe(incoming.port.config?.srtp?.receiveKeyBase64);
    expect(out.port.config?.srtp?.receiveKeyBase64).toBe(incoming.port.config?.srtp?.sendKeyBase64);
    await waitFor('SRTP both ways', () => out.port.received > 5 && incoming.port.received > 5);
    expect(out.port.rejected + incoming.port.rejected).toBe(0);
  });

  it.each([
    ['optional', 'off', false],
    ['optional', 'optional', true],
    ['off', 'optional', false],
    ['optional', 'mandatory', true],
  ] as const)('SRTP %s calling %s: best-effort SRTP on RTP/AVP (SRTP used: %s), media flows', async (aliceSrtp, bobSrtp, encrypted) => {
    const [alice, bob] = await pair({ user: 'alice', media: { srtp: aliceSrtp } }, { user: 'bob', media: { srtp: bobSrtp } });
    const { out, incoming } = await connectedCall(alice, bob);
    expect(bodyOf(alice.sentMatching(/^INVITE /)[0] as string)).toMatch(/^m=audio \d+ RTP\/AVP /m);
    expect(bodyOf(bob.sentMatching(/^SIP\/2\.0 200 /)[0] as string).includes('a=crypto:1 ')).toBe(encrypted);
    expect(out.port.config?.srtp !== undefined).toBe(encrypted);
    expect(incoming.port.config?.srtp !== undefined).toBe(encrypted);
    await waitFor('packets both ways', () => out.port.received > 5 && incoming.port.received > 5);
    expect(out.port.rejected + incoming.port.rejected).toBe(0);
  });

  it.each([
    ['no common codec', { codecs: ['PCMA'] as const }, { codecs: ['PCMU'] as const }],
    ['SRTP mandatory at the callee, none offered', {}, { srtp: 'mandatory' as const }],
  ])('%s → 488 and the call fails', async (_name, aliceMedia, bobMedia) => {
    const [alice, bob] = await pair({ user: 'alice', media: aliceMedia }, { user: 'bob', media: bobMedia });
    bob.onIncoming = (session) => setTimeout(() => bob.answer(session), 20);
    const failed: EndEvent[] = [];
    const out = alice.call('sip:bob@test.invalid', { failed: (e: never) => failed.push(e) });
    await waitFor('call failed', () => failed.length > 0);
    expect(bob.sentMatching(/^SIP\/2\.0 488 /)).toHaveLength(1);
    expect((failed[0]?.message as { status_code?: number } | null)?.status_code).toBe(488);
    await waitFor('ports closed', () => out.port.closed);
  });

  it('183 with SDP then 200: early media first, then JsSIP\'s second createOffer re-offers the same port and SDP', async () => {
    const [alice, bob] = await pair();
    // Stage a 183 carrying the answer before Bob's 200 (JsSIP as a UAS never sends one itself).
    let staged = false;
    bob.socket.rewrite = (message) => {
      if (!staged && /^SIP\/2\.0 200 /.test(message) && /CSeq: \d+ INVITE/.test(message)) {
        staged = true;
        return [{ message: message.replace(/^SIP\/2\.0 200 OK/, 'SIP/2.0 183 Session Progress') }, { message, delayMs: 150 }];
      }
      return [{ message }];
    };
    const events: string[] = [];
    bob.onIncoming = (session) => setTimeout(() => bob.answer(session), 20);
    const out = alice.call('sip:bob@test.invalid', {
      progress: (e: never) => events.push(`progress ${(e as { response: { status_code: number } }).response.status_code}`),
      confirmed: () => events.push('confirmed'),
    });
    await waitFor('early media configured', () => out.port.configurations.length === 1);
    expect(events).toEqual(['progress 180', 'progress 183']);
    await waitFor('confirmed', () => events.includes('confirmed'));
    expect(out.port.configurations).toHaveLength(2);
    expect(out.port.configurations[1]).toEqual(out.port.configurations[0]);
    expect(out.media.peer?.localDescription?.sdp).toBe(bodyOf(alice.sentMatching(/^INVITE /)[0] as string));
    expect(out.media.peer?.signalingState).toBe('stable');
  });

  it('INVITE without SDP (late offer): the callee offers in its 200 and takes the answer from the ACK', async () => {
    const [alice, bob] = await pair();
    let offer = '';
    alice.socket.rewrite = (message) => {
      if (/^INVITE /.test(message) && !offer) {
        offer = bodyOf(message);
        const head = message.slice(0, message.indexOf('\r\n\r\n')).replace(/\r\nContent-Type: application\/sdp/i, '').replace(/Content-Length: \d+/i, 'Content-Length: 0');
        return [{ message: `${head}\r\n\r\n` }];
      }
      if (/^ACK /.test(message) && offer) {
        const head = message.slice(0, message.indexOf('\r\n\r\n')).replace(/Content-Length: \d+/i, `Content-Length: ${Buffer.byteLength(offer)}`);
        return [{ message: `${head}\r\nContent-Type: application/sdp\r\n\r\n${offer}` }];
      }
      return [{ message }];
    };
    const { out, incoming } = await connectedCall(alice, bob);
    expect(bodyOf(bob.sentMatching(/^SIP\/2\.0 200 /)[0] as string)).toMatch(new RegExp(`^m=audio ${incoming.port.port} RTP/AVP 0 8 101\r$`, 'm'));
    await waitFor('bob configured from the ACK', () => incoming.port.config !== null);
    expect(incoming.port.config).toMatchObject({ remotePort: out.port.port, direction: 'sendrecv' });
    await waitFor('packets both ways', () => out.port.received > 5 && incoming.port.received > 5);
  });

  it('INVITE failover: a new session on the same CallMedia re-offers the same port, o= line and key; the port stays open', async () => {
    const [alice, bob] = await pair({ user: 'alice', media: { srtp: 'optional' }, port: { log: [] } }, { user: 'bob', media: { srtp: 'optional' } });
    // The first INVITE is lost (a silent server).
    let dropped = 0;
    alice.socket.rewrite = (message) => (/^INVITE /.test(message) && dropped++ === 0 ? [] : [{ message }]);
    bob.onIncoming = (session) => setTimeout(() => bob.answer(session), 20);
    const first = alice.call('sip:bob@test.invalid');
    await waitFor('first INVITE sent', () => alice.sentMatching(/^INVITE /).length === 1);
    first.media.keepMediaForNextSession();
    first.session.terminate();
    expect(first.port.closed).toBe(false);
    let confirmed = false;
    const retry = alice.ua.call('sip:bob@test.invalid', { ...first.media.jssipOptions(), eventHandlers: { confirmed: () => (confirmed = true) } } as unknown as Parameters<typeof alice.ua.call>[1]);
    first.media.bindSession(retry);
    await waitFor('retry confirmed', () => confirmed);
    const [lost, sent] = alice.sentMatching(/^INVITE /).map(bodyOf);
    expect(sent).toBe(lost);
    expect(first.port.closed).toBe(false);
    expect((alice.options.port?.log ?? []).filter((line) => line.startsWith('open'))).toHaveLength(1);
    await waitFor('media both ways', () => first.port.received > 5 && (bob.calls[0]?.port.received ?? 0) > 5);
    retry.terminate();
    await waitFor('port closed at hang-up', () => first.port.closed);
  });
});
