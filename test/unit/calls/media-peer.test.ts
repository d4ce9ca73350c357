/**
 * MediaPeer on its own (no JsSIP): the signalling state machine refuses what a browser's
 * RTCPeerConnection refuses, the media port is opened once and closed even when close() races
 * open(), DTMF needs a negotiated telephone-event stream, inactivity becomes iceConnectionState
 * "failed". Media ports are the real UDP test ports.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CallMedia } from '../../../main/sip/calls/call-media';
import type { MediaPeer } from '../../../main/sip/calls/media-peer';
import { MediaPeer as MediaPeerClass } from '../../../main/sip/calls/media-peer';
import { installRtcGlobals, SessionDescription } from '../../../main/sip/calls/rtc-globals';
import { UdpTestMediaPort } from './udp-test-media-port';
import { waitFor } from './jssip-pair';

const ports: UdpTestMediaPort[] = [];

afterEach(async () => {
  for (const port of ports.splice(0)) await port.close();
});

function newPeer(overrides: Partial<ConstructorParameters<typeof CallMedia>[0]> = {}, portOptions = {}): { peer: MediaPeer; port: UdpTestMediaPort; media: CallMedia } {
  const port = new UdpTestMediaPort(portOptions);
  ports.push(port);
  const media = new CallMedia({ mediaPort: port, localAddress: '127.0.0.1', portRange: { min: 10000, max: 20000 }, codecs: ['PCMU', 'PCMA'], srtp: 'off', dtmfMode: 'rfc4733', ...overrides });
  const options = media.jssipOptions();
  const peer = new MediaPeerClass(options.pcConfig, options.rtcConstraints);
  for (const track of options.mediaStream.getTracks()) peer.addTrack(track, options.mediaStream);
  return { peer, port, media };
}

async function negotiate(offerer: MediaPeer, answerer: MediaPeer): Promise<void> {
  const offer = await offerer.createOffer();
  await offerer.setLocalDescription(offer);
  await answerer.setRemoteDescription(new SessionDescription(offer));
  const answer = await answerer.createAnswer();
  await answerer.setLocalDescription(answer);
  await offerer.setRemoteDescription(new SessionDescription(answer));
}

describe('MediaPeer', () => {
  it('needs rtcConstraints.trunkline, naming it', () => {
    expect(() => new MediaPeerClass({}, null)).toThrow(/MediaPeer needs rtcConstraints\.trunkline/);
  });

  it('offer/answer between two peers: signalling states, gathering complete at once, both ports configured', async () => {
    const a = newPeer();
    const b = newPeer({ codecs: ['PCMA'] });
    const offer = await a.peer.createOffer();
    expect(a.peer.signalingState).toBe('stable');
    const set = a.peer.setLocalDescription(offer);
    // JsSIP reads this right after the promise resolves (RTCSession.js:1424): no ICE to gather.
    expect(a.peer.iceGatheringState).toBe('complete');
    expect(a.peer.signalingState).toBe('have-local-offer');
    await set;
    await b.peer.setRemoteDescription(offer);
    expect(b.peer.signalingState).toBe('have-remote-offer');
    const answer = await b.peer.createAnswer();
    await b.peer.setLocalDescription(answer);
    await a.peer.setRemoteDescription(answer);
    expect([a.peer.signalingState, b.peer.signalingState]).toEqual(['stable', 'stable']);
    expect(a.port.config).toMatchObject({ remotePort: b.port.port, codec: 'PCMA', payloadType: 8 });
    expect(b.port.config).toMatchObject({ remotePort: a.port.port, codec: 'PCMA', payloadType: 8 });
    expect([a.peer.iceConnectionState, b.peer.iceConnectionState]).toEqual(['connected', 'connected']);
    expect(a.media.plan?.codec).toBe('PCMA');
  });

  it('the answer is set without waiting for the media process (JsSIP ACKs then); a configure that fails ends the media as "failed"', async () => {
    const errors: string[] = [];
    const a = newPeer({ onError: (e: Error, op: string) => errors.push(`${op}: ${e.message}`) } as never);
    const b = newPeer();
    let reject: (error: Error) => void = () => undefined;
    a.port.configure = () => new Promise<void>((_resolve, fail) => (reject = fail));
    const offer = await a.peer.createOffer();
    await a.peer.setLocalDescription(offer);
    await b.peer.setRemoteDescription(offer);
    const answer = await b.peer.createAnswer();
    await b.peer.setLocalDescription(answer);
    const states: string[] = [];
    a.peer.addEventListener('iceconnectionstatechange', () => states.push(a.peer.iceConnectionState));
    // Resolves although the port has not answered (and never will, until rejected below).
    await a.peer.setRemoteDescription(answer);
    expect(a.peer.iceConnectionState).toBe('connected');
    reject(new Error('media host gone'));
    await waitFor('ice failed', () => a.peer.iceConnectionState === 'failed', 2_000);
    expect(states.at(-1)).toBe('failed');
    expect(errors).toEqual(['configure: media host gone']);
  });

  it('a later answer to the same offer (a second 18x with SDP) re-targets the media; a remote re-offer with a new port too', async () => {
    const a = newPeer();
    const b = newPeer();
    const c = newPeer();
    const offer = await a.peer.createOffer();
    await a.peer.setLocalDescription(offer);
    for (const answerer of [b.peer, c.peer]) await answerer.setRemoteDescription(offer);
    await a.peer.setRemoteDescription(await b.peer.createAnswer());
    expect(a.port.config?.remotePort).toBe(b.port.port);
    const later = await c.peer.createAnswer();
    await a.peer.setRemoteDescription(later);
    expect(a.port.config?.remotePort).toBe(c.port.port);
    expect(a.peer.signalingState).toBe('stable');

    const d = newPeer();
    await negotiate(d.peer, a.peer);
    expect(a.port.config?.remotePort).toBe(d.port.port);
    // Having answered, a stray answer is refused (no outstanding offer of ours).
    await expect(a.peer.setRemoteDescription(later)).rejects.toThrow(/InvalidStateError: a remote answer in signalingState "stable"/);
  });

  it('refuses moves a browser refuses, with InvalidStateError', async () => {
    const { peer } = newPeer();
    await expect(peer.createAnswer()).rejects.toThrow(/InvalidStateError: createAnswer needs a remote offer \(signalingState is "stable"\)/);
    await expect(peer.setLocalDescription({ type: 'offer', sdp: 'v=0' })).rejects.toThrow(/before createOffer/);
    const offer = await peer.createOffer();
    await expect(peer.setRemoteDescription({ type: 'answer', sdp: offer.sdp })).rejects.toThrow(/a remote answer in signalingState "stable"/);
    await peer.setLocalDescription(offer);
    const other = newPeer();
    const theirs = await other.peer.createOffer();
    await expect(peer.setRemoteDescription(theirs)).rejects.toThrow(/a remote offer in signalingState "have-local-offer"/);
    await expect(peer.setRemoteDescription({ type: 'pranswer', sdp: theirs.sdp })).rejects.toThrow(/InvalidAccessError/);
    peer.close();
    expect(peer.signalingState).toBe('closed');
    await expect(peer.createOffer()).rejects.toThrow(/the peer is closed/);
  });

  it('a bad remote offer leaves the state unchanged and says what is wrong', async () => {
    const { peer } = newPeer();
    await expect(peer.setRemoteDescription({ type: 'offer', sdp: 'v=0\r\ns=-\r\n' })).rejects.toThrow(/SDP o=: is missing/);
    expect(peer.signalingState).toBe('stable');
  });

  it('opens the media port once per call and re-offers on the same port', async () => {
    const log: string[] = [];
    const { peer } = newPeer({}, { log });
    const first = await peer.createOffer();
    const second = await peer.createOffer();
    expect(second.sdp).toBe(first.sdp);
    expect(log.filter((l) => l.startsWith('open'))).toEqual(['open 127.0.0.1']);
  });

  it('close() while the port is opening closes the port once it is open', async () => {
    const { peer, port } = newPeer();
    const offering = peer.createOffer();
    peer.close();
    await expect(offering).rejects.toThrow(/closed while its media port was opening/);
    await waitFor('port closed', () => port.closed);
  });

  it('a port kept for a next session is closed by CallMedia.close() when none adopts it', async () => {
    const { peer, port, media } = newPeer();
    await peer.setLocalDescription(await peer.createOffer());
    media.keepMediaForNextSession();
    peer.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(port.closed).toBe(false);
    await media.close();
    expect(port.closed).toBe(true);
  });

  it('DTMF: refused before negotiation and without telephone-event; validated tones go to the port', async () => {
    const a = newPeer();
    const sender = a.peer.getSenders()[0];
    expect(sender?.track?.kind).toBe('audio');
    expect(sender?.dtmf.canInsertDTMF).toBe(false);
    expect(() => sender?.dtmf.insertDTMF('1')).toThrow(/InvalidStateError/);
    const b = newPeer();
    await negotiate(a.peer, b.peer);
    expect(sender?.dtmf.canInsertDTMF).toBe(true);
    expect(() => sender?.dtmf.insertDTMF('12x')).toThrow(/InvalidCharacterError/);
    sender?.dtmf.insertDTMF('1a#', 10, 5);
    expect(a.port.dtmfSent).toEqual([{ digits: '1A#', durationMs: 40, gapMs: 30 }]);
    expect(sender?.dtmf.toneBuffer).toBe('');

    const c = newPeer();
    const offer = await c.peer.createOffer();
    await c.peer.setLocalDescription(offer);
    await c.peer.setRemoteDescription({ type: 'answer', sdp: offer.sdp.replace(/ 101\r\n/, '\r\n').replace(/a=(rtpmap|fmtp):101 .*\r\n/g, '') });
    expect(c.peer.getSenders()[0]?.dtmf.canInsertDTMF).toBe(false);
    expect(c.media.dtmfTransportType()).toBe('INFO');
  });

  it('mute follows the track: disabling it mutes the port, enabling it resumes', async () => {
    const a = newPeer();
    const b = newPeer();
    const track = a.media.stream.getAudioTracks()[0];
    if (!track) throw new Error('no track');
    track.enabled = false; // before negotiation: applied when the port is configured
    await negotiate(a.peer, b.peer);
    expect(a.port.muted).toBe(true);
    track.enabled = true;
    await waitFor('unmuted', () => !a.port.muted);
  });

  it('inactivity after configure: iceConnectionState "failed" with one event; ignored before configure', async () => {
    const a = newPeer({}, { inactivityMs: 100 });
    const b = newPeer();
    const states: string[] = [];
    a.peer.addEventListener('iceconnectionstatechange', () => states.push(a.peer.iceConnectionState));
    await negotiate(a.peer, b.peer);
    b.port.stopSending();
    await waitFor('failed', () => states.includes('failed'));
    expect(states).toEqual(['connected', 'failed']);
  });

  it('installRtcGlobals is idempotent and refuses to replace a foreign RTCPeerConnection', () => {
    const g = globalThis as { RTCPeerConnection?: unknown; RTCSessionDescription?: unknown };
    const saved = g.RTCPeerConnection;
    try {
      installRtcGlobals();
      installRtcGlobals();
      expect(g.RTCPeerConnection).toBe(MediaPeerClass);
      expect(g.RTCSessionDescription).toBe(SessionDescription);
      g.RTCPeerConnection = class Foreign {};
      expect(() => installRtcGlobals()).toThrow(/a different RTCPeerConnection is already installed/);
    } finally {
      g.RTCPeerConnection = saved;
    }
    expect(() => new SessionDescription({ type: 'bogus' as 'offer' })).toThrow(/type must be offer, answer/);
  });
});
