/**
 * mediaMode "webrtc" without Chromium: two peers built the way JsSIP builds them (`new MediaPeer`
 * with `rtcConstraints.trunkline.webrtc`), each with its session and werift leg in a real media
 * host child, driven through offer/answer as RTCSession does. Asserts the SDP on the wire
 * (UDP/TLS/RTP/SAVPF, DTLS fingerprint, host candidates on the given address, G.711 first), audio
 * and RFC 4733 across DTLS-SRTP, the answer's direction while we hold, and the host's refusals.
 */
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { MediaHostClient } from '../../../main/media/media-host-client';
import { MediaHostPort } from '../../../main/media/media-host-port';
import { WebrtcHostNegotiator } from '../../../main/media/webrtc-host-negotiator';
import { MediaPeer } from '../../../main/sip/calls/media-peer';
import type { HoldState, MediaPeerOptions } from '../../../main/sip/calls/media-peer';
import { AudioTrackStub } from '../../../main/sip/calls/media-stream-stub';
import { WebrtcMediaPeer } from '../../../main/sip/calls/webrtc-media-peer';
import { LOOPBACK, startHost, waitFor } from '../media/media-test-kit';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 20_000 });

let host: MediaHostClient;

beforeAll(async () => {
  host = await startHost();
});

afterAll(async () => {
  await host.stop();
});

function peerFor(session: string, frequencyHz: number, hold: HoldState = { local: false, remote: false }): { peer: WebrtcMediaPeer; port: MediaHostPort } {
  const port = new MediaHostPort(host, { session, source: { kind: 'tone', frequencyHz, dBFS: -12 } });
  const options: MediaPeerOptions = {
    mediaPort: port, localAddress: LOOPBACK, portRange: { min: 40000, max: 49999 }, codecs: ['PCMU', 'PCMA'], srtp: 'off', dtmfMode: 'rfc4733',
    holdState: () => hold,
    webrtc: { negotiator: new WebrtcHostNegotiator(host, session), iceAddress: LOOPBACK },
  };
  const peer = new MediaPeer(undefined, { trunkline: options }) as unknown as WebrtcMediaPeer;
  peer.addTrack(new AudioTrackStub());
  return { peer, port };
}

it('offer/answer through two werift legs: SAVPF SDP, audio and DTMF across DTLS-SRTP', async () => {
  const a = peerFor('wa', 1000);
  const b = peerFor('wb', 440);
  expect(a.peer).toBeInstanceOf(WebrtcMediaPeer);

  const offer = await a.peer.createOffer();
  await a.peer.setLocalDescription(offer);
  expect(a.peer.iceGatheringState).toBe('complete');
  expect(offer.sdp).toMatch(/^m=audio \d+ UDP\/TLS\/RTP\/SAVPF 0 8 101/m);
  expect(offer.sdp).toMatch(/^a=fingerprint:sha-256 /m);
  expect(offer.sdp).toMatch(/^a=setup:actpass/m);
  const candidates = offer.sdp.split(/\r?\n/).filter((l) => l.startsWith('a=candidate:'));
  expect(candidates.length).toBeGreaterThan(0);
  for (const c of candidates) {
    expect(c.split(' ')[4]).toBe(LOOPBACK);
    // The line's RTP port range holds the ICE port too (firewall rules written for the range still hold).
    expect(Number(c.split(' ')[5])).toBeGreaterThanOrEqual(40000);
    expect(Number(c.split(' ')[5])).toBeLessThanOrEqual(49999);
  }
  expect(offer.sdp).not.toMatch(/a=crypto/);

  await b.peer.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
  const answer = await b.peer.createAnswer();
  await b.peer.setLocalDescription(answer);
  expect(answer.sdp).toMatch(/^a=setup:(active|passive)/m);
  await a.peer.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
  expect(a.peer.signalingState).toBe('stable');
  expect(a.peer.iceConnectionState).toBe('connected');
  expect(a.peer.mediaPlan).toMatchObject({ codec: 'PCMU', payloadType: 0, telephoneEventPt: 101, direction: 'sendrecv', remoteAddress: '127.0.0.1' });

  const digits: string[] = [];
  b.port.onDtmf((d) => digits.push(d));
  const bStats = await waitFor('audio at b', async () => {
    const s = await b.port.stats();
    return s.packetsReceived > 40 && s.rmsDbfs !== null ? s : null;
    // ICE + DTLS in pure TypeScript: seconds, not milliseconds, when every core is busy with other files.
  }, 30_000);
  expect(bStats.undecryptable).toBe(0);
  const aStats = await waitFor('audio at a', async () => {
    const s = await a.port.stats();
    return s.packetsReceived > 40 ? s : null;
  }, 30_000);
  expect(aStats.rmsDbfs!).toBeGreaterThan(-30);

  a.peer.getSenders()[0]!.dtmf.insertDTMF('15#', 100, 70);
  await waitFor('DTMF at b', () => (digits.join('') === '15#' ? true : null), 15_000);

  a.peer.close();
  b.peer.close();
  await Promise.all([a.port.close(), b.port.close()]);
  expect(a.port.closedStats?.packetsSent).toBeGreaterThan(40);
}, 90_000);

it('a sendonly re-offer is remote hold; while we hold too our answer is inactive', async () => {
  const hold = { local: false, remote: false };
  const a = peerFor('ha', 1000);
  const b = peerFor('hb', 440, hold);
  const offer = await a.peer.createOffer();
  await a.peer.setLocalDescription(offer);
  await b.peer.setRemoteDescription(offer);
  const answer = await b.peer.createAnswer();
  await b.peer.setLocalDescription(answer);
  await a.peer.setRemoteDescription(answer);

  // a holds: JsSIP would rewrite a=sendrecv → a=sendonly in the wire copy of the re-offer.
  const reoffer = await a.peer.createOffer();
  await a.peer.setLocalDescription(reoffer);
  hold.local = true;
  await b.peer.setRemoteDescription({ type: 'offer', sdp: reoffer.sdp.replace(/a=sendrecv/g, 'a=sendonly') });
  const held = await b.peer.createAnswer();
  await b.peer.setLocalDescription(held);
  // We hold too: the reverse of sendonly is recvonly, limited to sendonly → inactive (RFC 3264 §6.1, §8.4).
  expect(held.sdp).toMatch(/^a=inactive/m);
  expect(b.peer.mediaPlan).toMatchObject({ direction: 'inactive', remoteHold: true });
  a.peer.close();
  b.peer.close();
  await Promise.all([a.port.close(), b.port.close()]);
}, 60_000);

it('the media host refuses webrtc commands naming the field', async () => {
  await expect(host.webrtcAccept('nobody', 'v=0\r\n')).rejects.toThrow(/session: "nobody" is not open/);
  await host.open({ session: 'rx', localAddress: LOOPBACK, portMin: 40000, portMax: 49999 });
  await expect(host.webrtcAccept('rx', 'v=0\r\n')).rejects.toThrow(/session: "rx" has no webrtc leg/);
  await expect(host.webrtcOffer('rx', '::1')).rejects.toThrow(/iceAddress: must be an IPv4 address/);
  await expect(host.webrtcAnswer('rx', LOOPBACK, 'hello')).rejects.toThrow(/sdpOffer: must be an SDP body/);
  await expect(host.webrtcOffer('rx', LOOPBACK, { min: 41000, max: 40000 })).rejects.toThrow(/portMax: must be greater than portMin/);
  await host.close('rx');
});
