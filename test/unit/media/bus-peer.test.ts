/**
 * The audio bus end to end in Node: a real media host child answers a second werift peer standing
 * in for the renderer's RTCPeerConnection (ICE + DTLS-SRTP on 127.0.0.1), and a raw UDP socket is
 * the trunk's far end. What is asserted is what is on the wire: payload types, laws, SSRC,
 * sequence continuity, RFC 4733 events, mute.
 */
import type { Socket } from 'node:dgram';
import { createSocket } from 'node:dgram';
import { alaw, mulaw } from 'alawmulaw';
import { RTCPeerConnection, RTCRtpCodecParameters, RtpHeader, RtpPacket } from 'werift';
import type { RTCRtpTransceiver } from 'werift';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { MediaHostClient } from '../../../main/media/media-host-client';
import { keepCandidatesOn } from '../../../main/media/bus-peer';
import type { MediaEvents } from '../../../main/media/media-protocol';
import { LOOPBACK, sleep, startHost, waitFor } from './media-test-kit';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

let host: MediaHostClient;

beforeAll(async () => {
  host = await startHost();
});

afterAll(async () => {
  await host.stop();
});

interface Seen {
  pt: number;
  marker: boolean;
  seq: number;
  ts: number;
  ssrc: number;
  payload: Buffer;
}

/** The trunk's far end: a UDP socket that keeps every RTP packet and can send some. */
async function farEnd(): Promise<{ socket: Socket; port: number; packets: Seen[] }> {
  const socket = createSocket('udp4');
  const packets: Seen[] = [];
  socket.on('message', (msg) => {
    if (msg[1]! >= 192 && msg[1]! <= 223) return; // RTCP
    packets.push({ pt: msg[1]! & 0x7f, marker: (msg[1]! & 0x80) !== 0, seq: msg.readUInt16BE(2), ts: msg.readUInt32BE(4), ssrc: msg.readUInt32BE(8), payload: msg.subarray(12) });
  });
  await new Promise<void>((resolve) => socket.bind(0, LOOPBACK, resolve));
  return { socket, port: socket.address().port, packets };
}

/** The renderer's side of the bus, played by werift: offers `calls` sendrecv audio transceivers. */
async function renderer(calls: number): Promise<{ pc: RTCPeerConnection; transceivers: RTCRtpTransceiver[]; received: Map<string, RtpPacket[]> }> {
  const pc = new RTCPeerConnection({
    codecs: {
      audio: [
        new RTCRtpCodecParameters({ mimeType: 'audio/PCMU', clockRate: 8000, channels: 1, payloadType: 0 }),
        new RTCRtpCodecParameters({ mimeType: 'audio/telephone-event', clockRate: 8000, channels: 1, payloadType: 126 }),
      ],
      video: [],
    },
    iceAdditionalHostAddresses: [LOOPBACK],
    iceInterfaceAddresses: { udp4: LOOPBACK },
    iceUseIpv6: false,
  });
  const received = new Map<string, RtpPacket[]>();
  const transceivers = Array.from({ length: calls }, () => pc.addTransceiver('audio', { direction: 'sendrecv' }));
  pc.onTrack.subscribe((track) => {
    track.onReceiveRtp.subscribe((packet) => {
      const t = pc.getTransceivers().find((x) => x.receiver.tracks.includes(track));
      const mid = t?.mid ?? '?';
      if (!received.has(mid)) received.set(mid, []);
      received.get(mid)!.push(packet);
    });
  });
  await pc.setLocalDescription(await pc.createOffer());
  await waitFor('renderer ICE gathering', () => pc.iceGatheringState === 'complete');
  return { pc, transceivers, received };
}

async function connectBus(bus: string, r: Awaited<ReturnType<typeof renderer>>): Promise<string[]> {
  const { sdpAnswer, mids } = await host.openBus(bus, r.pc.localDescription!.sdp);
  await r.pc.setRemoteDescription({ type: 'answer', sdp: sdpAnswer });
  await waitFor('bus connected', () => r.pc.connectionState === 'connected', 10_000);
  return mids;
}

function rtp(pt: number, seq: number, ts: number, ssrc: number, payload: Buffer, marker = false): Buffer {
  return new RtpPacket(new RtpHeader({ payloadType: pt, sequenceNumber: seq, timestamp: ts, ssrc, marker }), payload).serialize();
}

let portBase = 41000 + (process.pid % 2000) * 4;

async function openTrunk(session: string, far: { port: number }, codec: 'PCMU' | 'PCMA', pt: number, te: number | null): Promise<number> {
  const { rtpPort } = await host.open({ session, localAddress: LOOPBACK, portMin: portBase, portMax: portBase + 19 });
  portBase += 20;
  await host.configure({ session, remoteAddress: LOOPBACK, remoteRtpPort: far.port, codec, payloadType: pt, telephoneEventPayloadType: te, direction: 'sendrecv' });
  return rtpPort;
}

it('answers with 127.0.0.1 candidates only and names the offered transceivers by mid', async () => {
  const r = await renderer(2);
  const { sdpAnswer, mids } = await host.openBus('mids', r.pc.localDescription!.sdp);
  expect(mids).toEqual(r.transceivers.map((t) => t.mid));
  const candidates = sdpAnswer.split(/\r?\n/).filter((l) => l.startsWith('a=candidate:'));
  expect(candidates.length).toBeGreaterThan(0);
  for (const line of candidates) expect(line.split(' ')[4]).toBe('127.0.0.1');
  await host.closeBus('mids');
  await r.pc.close();
});

it('keepCandidatesOn drops other hosts\' candidates and keeps every other line', () => {
  const sdp = ['v=0', 'a=candidate:1 1 udp 2 127.0.0.1 5000 typ host', 'a=candidate:2 1 udp 2 192.0.2.2 5002 typ host', 'a=mid:0', ''].join('\r\n');
  expect(keepCandidatesOn(sdp, '127.0.0.1')).toBe(['v=0', 'a=candidate:1 1 udp 2 127.0.0.1 5000 typ host', 'a=mid:0', ''].join('\r\n'));
});

it('relays a PCMA trunk to a PCMU bus and back: A↔µ-law, payload types and RFC 4733 mapped, our SSRC, continuous numbers, mute holds audio back', async () => {
  const far = await farEnd();
  const r = await renderer(1);
  const [mid] = await connectBus('relay', r);
  const rtpPort = await openTrunk('call-1', far, 'PCMA', 8, 96);
  await host.setSource('call-1', { kind: 'bus', bus: 'relay', mid: mid! });
  const dtmf: MediaEvents['dtmf'][] = [];
  const offDtmf = host.on('dtmf', (e) => dtmf.push(e));

  // Trunk → bus: 10 A-law packets of a −12 dBFS 1 kHz sine, one lost (seq 1004 missing), then an RFC 4733 event.
  const sine = Int16Array.from({ length: 160 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 1000 * i) / 8000)));
  const aPayload = Buffer.from(alaw.encode(sine));
  for (let i = 0; i < 10; i++) {
    if (i === 4) continue;
    far.socket.send(rtp(8, 1000 + i, 80_000 + i * 160, 0xabc, aPayload, i === 0), rtpPort, LOOPBACK);
    await sleep(20);
  }
  far.socket.send(rtp(96, 1010, 81_600, 0xabc, Buffer.from([7, 0x8a, 0, 160]), true), rtpPort, LOOPBACK);
  const got = await waitFor('10 packets on the bus', () => ((r.received.get(mid!)?.length ?? 0) >= 10 ? r.received.get(mid!)! : null));
  const audio = got.filter((p) => p.header.payloadType === 0);
  expect(audio.length).toBe(9);
  const decoded = mulaw.decode(new Uint8Array(audio[2]!.payload));
  expect(Math.abs(decoded[2]! - sine[2]!)).toBeLessThan(600); // transcoded, not passed raw
  // Loss shows as a sequence gap on the bus (NetEQ conceals it), timestamps keep 160 per packet.
  const seqs = audio.map((p) => p.header.sequenceNumber);
  expect((seqs[4]! - seqs[3]! + 0x10000) % 0x10000).toBe(2);
  expect((audio[1]!.header.timestamp - audio[0]!.header.timestamp + 2 ** 32) % 2 ** 32).toBe(160);
  const event = got.find((p) => p.header.payloadType === 126);
  expect(event?.payload).toEqual(Buffer.from([7, 0x8a, 0, 160]));
  await waitFor('the far end\'s digit reported', () => dtmf.find((e) => e.session === 'call-1' && e.digit === '7'));

  // Bus → trunk: µ-law from the "renderer" arrives as A-law with PT 8 and the session's SSRC; an event with PT 96.
  const stats = await host.stats('call-1');
  const uPayload = Buffer.from(mulaw.encode(sine));
  const sender = r.transceivers[0]!.sender;
  for (let i = 0; i < 10; i++) {
    await sender.sendRtp(new RtpPacket(new RtpHeader({ payloadType: 0, sequenceNumber: 500 + i, timestamp: 1000 + i * 160, ssrc: 1 }), uPayload));
    await sleep(20);
  }
  await (sender as unknown as { dtlsTransport: { sendRtp(p: Buffer, h: RtpHeader): Promise<number> } }).dtlsTransport
    .sendRtp(Buffer.from([5, 0x0a, 0, 160]), new RtpHeader({ payloadType: 126, sequenceNumber: 510, timestamp: 2600, ssrc: sender.ssrc, marker: true }));
  const fromBus = await waitFor('audio and an event at the far end', () => {
    const a = far.packets.filter((p) => p.pt === 8);
    const e = far.packets.filter((p) => p.pt === 96);
    return a.length >= 10 && e.length >= 1 ? { a, e } : null;
  });
  for (const p of [...fromBus.a, ...fromBus.e]) expect(p.ssrc).toBe(stats.localSsrc);
  expect(far.packets.some((p) => p.pt === 0 || p.pt === 126)).toBe(false);
  expect(Math.abs(alaw.decode(new Uint8Array(fromBus.a[3]!.payload))[2]! - sine[2]!)).toBeLessThan(600);
  const aSeqs = fromBus.a.map((p) => p.seq);
  for (let i = 1; i < aSeqs.length; i++) expect((aSeqs[i]! - aSeqs[i - 1]! + 0x10000) % 0x10000).toBe(1);
  expect(fromBus.a[0]!.marker).toBe(true); // the first audio after the bus took over
  expect(fromBus.e[0]!.payload).toEqual(Buffer.from([5, 0x0a, 0, 160]));
  expect(fromBus.e[0]!.seq).toBe((aSeqs[aSeqs.length - 1]! + 1) & 0xffff);

  // Mute (the call's): the bus keeps sending, nothing leaves toward the trunk.
  await host.mute('call-1', true);
  const before = far.packets.filter((p) => p.pt === 8).length;
  for (let i = 0; i < 10; i++) {
    await sender.sendRtp(new RtpPacket(new RtpHeader({ payloadType: 0, sequenceNumber: 520 + i, timestamp: 5000 + i * 160, ssrc: 1 }), uPayload));
    await sleep(20);
  }
  await sleep(200);
  expect(far.packets.filter((p) => p.pt === 8).length).toBe(before);
  await host.mute('call-1', false);
  await sender.sendRtp(new RtpPacket(new RtpHeader({ payloadType: 0, sequenceNumber: 530, timestamp: 6600, ssrc: 1 }), uPayload));
  const resumed = await waitFor('audio after unmute', () => far.packets.filter((p) => p.pt === 8).slice(before)[0]);
  expect(resumed.marker).toBe(true);

  // Back to a generated source: the relay stops both ways.
  await host.setSource('call-1', { kind: 'silence' });
  const onBus = r.received.get(mid!)!.length;
  far.socket.send(rtp(8, 1011, 81_760, 0xabc, aPayload), rtpPort, LOOPBACK);
  await sleep(200);
  expect(r.received.get(mid!)!.length).toBe(onBus);

  offDtmf();
  await host.close('call-1');
  await host.closeBus('relay');
  await r.pc.close();
  far.socket.close();
});

it('two calls on two transceivers of one bus stay apart; a new far-end SSRC is one continuous stream on the bus', async () => {
  const farA = await farEnd();
  const farB = await farEnd();
  const r = await renderer(2);
  const [m0, m1] = await connectBus('two', r);
  const portA = await openTrunk('call-a', farA, 'PCMU', 0, 101);
  const portB = await openTrunk('call-b', farB, 'PCMU', 0, null);
  await host.setSource('call-a', { kind: 'bus', bus: 'two', mid: m0! });
  await host.setSource('call-b', { kind: 'bus', bus: 'two', mid: m1! });
  await expect(host.setSource('call-b', { kind: 'bus', bus: 'two', mid: 'nope' })).rejects.toThrow(/source\.mid: bus "two" has no audio transceiver "nope"/);
  await expect(host.setSource('call-b', { kind: 'bus', bus: 'missing', mid: m1! })).rejects.toThrow(/source\.bus: "missing" is not open/);

  const payload = Buffer.alloc(160, 0xd5);
  for (let i = 0; i < 4; i++) {
    farA.socket.send(rtp(0, 10 + i, 1600 + i * 160, 0x1111, payload), portA, LOOPBACK);
    await sleep(20);
  }
  // Transfer: the far end's stream restarts with another SSRC and unrelated numbers.
  for (let i = 0; i < 4; i++) {
    farA.socket.send(rtp(0, 60_000 + i, 9_000_000 + i * 160, 0x2222, payload), portA, LOOPBACK);
    await sleep(20);
  }
  farB.socket.send(rtp(0, 1, 1, 0x3333, Buffer.alloc(160, 0xff)), portB, LOOPBACK);
  const onA = await waitFor('8 packets on transceiver 0', () => ((r.received.get(m0!)?.length ?? 0) >= 8 ? r.received.get(m0!)! : null));
  await waitFor('1 packet on transceiver 1', () => r.received.get(m1!)?.length);
  expect(r.received.get(m1!)!.every((p) => p.payload[0] === 0xff)).toBe(true);
  expect(onA.every((p) => p.payload[0] === 0xd5)).toBe(true);
  const seqs = onA.map((p) => p.header.sequenceNumber);
  for (let i = 1; i < seqs.length; i++) expect((seqs[i]! - seqs[i - 1]! + 0x10000) % 0x10000).toBe(1);
  expect(new Set(onA.map((p) => p.header.ssrc)).size).toBe(1);
  const step = (onA[4]!.header.timestamp - onA[3]!.header.timestamp + 2 ** 32) % 2 ** 32;
  expect(step).toBeGreaterThan(0);
  expect(step).toBeLessThan(8000); // bridged by elapsed time, not the new source's arbitrary timestamp
  expect(onA[4]!.header.marker).toBe(true);

  await host.closeBus('two'); // sessions fall back to silence, stay open
  await host.configure({ session: 'call-a', remoteAddress: LOOPBACK, remoteRtpPort: farA.port, codec: 'PCMU', payloadType: 0, telephoneEventPayloadType: 101, direction: 'sendrecv' });
  await host.close('call-a');
  await host.close('call-b');
  await r.pc.close();
  farA.socket.close();
  farB.socket.close();
});

it('refuses bad bus requests with the field named', async () => {
  await expect(host.openBus('x', 'not sdp')).rejects.toThrow(/sdpOffer: must be an SDP body/);
  await expect(host.closeBus('never')).rejects.toThrow(/bus: "never" is not open/);
  await expect(host.setSource('no-session', { kind: 'bus', bus: 'b', mid: '0' })).rejects.toThrow(/session: "no-session" is not open/);
});

it('sends the microphone only while the stream is sendrecv: our hold (sendonly) and theirs (recvonly) carry nothing from the bus', async () => {
  const far = await farEnd();
  const r = await renderer(1);
  const [mid] = await connectBus('hold', r);
  await openTrunk('call-h', far, 'PCMU', 0, 101);
  await host.setSource('call-h', { kind: 'bus', bus: 'hold', mid: mid! });
  const sender = r.transceivers[0]!.sender;
  let seq = 0;
  const burst = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      seq++;
      await sender.sendRtp(new RtpPacket(new RtpHeader({ payloadType: 0, sequenceNumber: seq, timestamp: seq * 160, ssrc: 1 }), Buffer.alloc(160, 0x55)));
      await sleep(20);
    }
    await sleep(150);
  };
  const fromBus = (): number => far.packets.filter((p) => p.payload[0] === 0x55).length;
  await burst(5);
  expect(fromBus()).toBe(5);
  for (const direction of ['sendonly', 'recvonly', 'inactive'] as const) {
    await host.configure({ session: 'call-h', remoteAddress: LOOPBACK, remoteRtpPort: far.port, codec: 'PCMU', payloadType: 0, telephoneEventPayloadType: 101, direction });
    await burst(5);
    expect(fromBus(), direction).toBe(5);
  }
  await host.configure({ session: 'call-h', remoteAddress: LOOPBACK, remoteRtpPort: far.port, codec: 'PCMU', payloadType: 0, telephoneEventPayloadType: 101, direction: 'sendrecv' });
  await burst(5);
  expect(fromBus()).toBe(10);
  const resumed = far.packets.filter((p) => p.payload[0] === 0x55)[5]!;
  expect(resumed.marker).toBe(true); // first audio after the hold
  await host.close('call-h');
  await host.closeBus('hold');
  await r.pc.close();
  far.socket.close();
});
