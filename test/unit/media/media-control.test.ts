/**
 * Call control on real sockets: RFC 4733 digits, mute, directions, latching, inactivity.
 * A raw UDP socket stands in for a far end where the assertion is about what is on the wire.
 */
import type { Socket } from 'node:dgram';
import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { MediaHostClient } from '../../../main/media/media-host-client';
import type { MediaEvents } from '../../../main/media/media-protocol';
import { LOOPBACK, connect, openPair, sleep, startHost, towards, waitFor } from './media-test-kit';

// Real processes and sockets on a shared 2-core machine: generous bounds, never timing assertions.
vi.setConfig({ testTimeout: 20_000, hookTimeout: 20_000 });

let host: MediaHostClient;

beforeAll(async () => {
  host = await startHost();
});

afterAll(async () => {
  await host.stop();
});

async function closePair(pair: { a: { session: string }; b: { session: string } }): Promise<void> {
  await host.close(pair.a.session);
  await host.close(pair.b.session);
}

/** A UDP socket on loopback that counts RTP packets (and keeps their payload types). */
interface Seen {
  pt: number;
  marker: boolean;
  seq: number;
  ts: number;
  payload: Buffer;
}

async function listener(): Promise<{ socket: Socket; port: number; packets: Seen[] }> {
  const socket = createSocket('udp4');
  const packets: Seen[] = [];
  socket.on('message', (msg) => {
    if (msg[1]! >= 192 && msg[1]! <= 223) return; // RTCP
    packets.push({ pt: msg[1]! & 0x7f, marker: (msg[1]! & 0x80) !== 0, seq: msg.readUInt16BE(2), ts: msg.readUInt32BE(4), payload: msg.subarray(12) });
  });
  await new Promise<void>((resolve) => socket.bind(0, LOOPBACK, resolve));
  return { socket, port: socket.address().port, packets };
}

it('RFC 4733 digits "159#" arrive as dtmf events exactly once each, in order', async () => {
  const pair = await openPair(host);
  const digits: MediaEvents['dtmf'][] = [];
  const off = host.on('dtmf', (e) => {
    if (e.session === pair.b.session) digits.push(e);
  });
  await connect(host, pair);
  await sleep(100);
  const result = await host.sendDtmf(pair.a.session, '159#', { durationMs: 100, gapMs: 70 });
  expect(result.digits).toBe('159#');
  await sleep(300);
  off();
  expect(digits.map((d) => d.digit)).toEqual(['1', '5', '9', '#']);
  // 100 ms rounded up to whole 20 ms packets.
  for (const d of digits) expect(d.durationMs).toBe(100);
  await closePair(pair);
});

it('while muted only telephone-events go out, with the same timestamp per digit', async () => {
  const pair = await openPair(host);
  const far = await listener();
  try {
    await host.configure(towards(pair.a.session, far.port));
    await host.mute(pair.a.session, true);
    await host.sendDtmf(pair.a.session, '7', { durationMs: 60 });
    await sleep(150);
    // Datagrams queue in order: everything from the first event packet on was sent while muted.
    const seen = far.packets.slice(far.packets.findIndex((p) => p.pt === 101));
    // 60 ms at 20 ms: 2 growing packets + 3 end packets, all payload type 101, no audio.
    expect(seen.map((p) => p.pt)).toEqual([101, 101, 101, 101, 101]);
    expect(new Set(seen.map((p) => p.ts)).size).toBe(1);
    expect(seen.map((p) => p.marker)).toEqual([true, false, false, false, false]);
    // RFC 4733 §2.3: event 7, end bit on the last three, volume 10, duration in samples.
    expect(seen.map((p) => p.payload.toString('hex'))).toEqual(['070a00a0', '070a0140', '078a01e0', '078a01e0', '078a01e0']);
    // Each retransmission is a new RTP packet: consecutive sequence numbers.
    expect(seen.map((p) => (p.seq - seen[0]!.seq + 65536) % 65536)).toEqual([0, 1, 2, 3, 4]);
  } finally {
    far.socket.close();
    await closePair(pair);
  }
});

it('DTMF is refused when the far end did not negotiate telephone-event', async () => {
  const pair = await openPair(host);
  await connect(host, pair, { telephoneEventPayloadType: null });
  await expect(host.sendDtmf(pair.a.session, '1')).rejects.toThrow(/telephone-event/);
  await expect(host.sendDtmf(pair.a.session, '1x')).rejects.toThrow(/digits/);
  await closePair(pair);
});

it('mute stops RTP packets and unmute resumes them', async () => {
  const pair = await openPair(host);
  const far = await listener();
  try {
    await host.configure(towards(pair.a.session, far.port));
    await host.setSource(pair.a.session, { kind: 'tone', frequencyHz: 440, dBFS: -20 });
    await waitFor('packets before mute', () => far.packets.length > 5);
    await host.mute(pair.a.session, true);
    // Counted by the sender itself: the far end's socket may still hold packets sent before.
    const atMute = await host.stats(pair.a.session);
    await sleep(400);
    const later = await host.stats(pair.a.session);
    expect(later.packetsSent).toBe(atMute.packetsSent);
    expect(later.muted).toBe(true);
    const heard = far.packets.length;
    await host.mute(pair.a.session, false);
    await waitFor('packets after unmute', () => far.packets.length > heard + 5);
  } finally {
    far.socket.close();
    await closePair(pair);
  }
});

it('recvonly and inactive send no RTP; sendonly keeps sending', async () => {
  const pair = await openPair(host);
  const far = await listener();
  try {
    await host.configure(towards(pair.a.session, far.port, { direction: 'recvonly' }));
    await sleep(300);
    expect(far.packets).toHaveLength(0);
    expect((await host.stats(pair.a.session)).packetsSent).toBe(0);
    await host.configure(towards(pair.a.session, far.port, { direction: 'sendonly' }));
    await waitFor('packets while sendonly', () => far.packets.length > 5);
    await host.configure(towards(pair.a.session, far.port, { direction: 'inactive' }));
    const atInactive = (await host.stats(pair.a.session)).packetsSent;
    await sleep(400);
    expect((await host.stats(pair.a.session)).packetsSent).toBe(atInactive);
  } finally {
    far.socket.close();
    await closePair(pair);
  }
});

it('latches to the source actually seen when it differs from the SDP address (NAT)', async () => {
  const pair = await openPair(host);
  const decoy = await listener();
  const started: MediaEvents['rtp-started'][] = [];
  const off = host.on('rtp-started', (e) => started.push(e));
  try {
    // b believes a is at the decoy's port (a NAT rewrote it); a really sends from its own port.
    await host.configure(towards(pair.b.session, decoy.port));
    await host.configure(towards(pair.a.session, pair.b.rtpPort));
    await waitFor('a to receive b\'s RTP after latching', async () => (await host.stats(pair.a.session)).packetsReceived > 10);
    const b = await host.stats(pair.b.session);
    expect(b.latched).toBe(true);
    expect(b.remoteRtp).toEqual({ address: LOOPBACK, port: pair.a.rtpPort });
    expect(started.find((e) => e.session === pair.b.session)).toMatchObject({ latched: true, from: { address: LOOPBACK, port: pair.a.rtpPort } });
    const decoyCount = decoy.packets.length;
    await sleep(300);
    expect(decoy.packets.length).toBe(decoyCount);
  } finally {
    off();
    decoy.socket.close();
    await closePair(pair);
  }
});

it('reports inactivity once after the configured silence, and not while media flows', async () => {
  const pair = await openPair(host);
  const inactive: MediaEvents['inactive'][] = [];
  const off = host.on('inactive', (e) => inactive.push(e));
  try {
    await connect(host, pair, { inactivityTimeoutMs: 400 }, { inactivityTimeoutMs: 400 });
    await sleep(900);
    expect(inactive).toHaveLength(0);
    // a stops sending (hold from a's side: a recvonly): b hears nothing for 400 ms.
    await host.configure(towards(pair.a.session, pair.b.rtpPort, { direction: 'recvonly', inactivityTimeoutMs: 400, rtcpIntervalMs: 60_000 }));
    await waitFor('inactive event', () => inactive.length > 0, 3000);
    await sleep(1000);
    expect(inactive.map((e) => e.session)).toEqual([pair.b.session]);
    expect(inactive[0]!.timeoutMs).toBe(400);
  } finally {
    off();
    await closePair(pair);
  }
});

it('timeout 0 never reports inactivity', async () => {
  const pair = await openPair(host);
  const inactive: MediaEvents['inactive'][] = [];
  const off = host.on('inactive', (e) => inactive.push(e));
  await host.configure(towards(pair.b.session, pair.a.rtpPort, { inactivityTimeoutMs: 0 }));
  await sleep(500);
  off();
  expect(inactive).toHaveLength(0);
  await closePair(pair);
});

it('rtcp-mux: RTCP goes to the RTP port (RFC 5761), is demultiplexed on receipt and still yields a round trip', async () => {
  const pair = await openPair(host);
  const far = createSocket('udp4');
  const rtcpTypes: number[] = [];
  far.on('message', (msg) => {
    if (msg[1]! >= 192 && msg[1]! <= 223) rtcpTypes.push(msg[1]!);
  });
  await new Promise<void>((resolve) => far.bind(0, LOOPBACK, resolve));
  try {
    await host.configure(towards(pair.a.session, far.address().port, { rtcpMux: true, rtcpIntervalMs: 200 }));
    await waitFor('a muxed sender report', () => rtcpTypes.includes(200), 3000);
    await connect(host, pair, { rtcpMux: true, rtcpIntervalMs: 200 }, { rtcpMux: true, rtcpIntervalMs: 200 });
    await waitFor('round trip via muxed RTCP', async () => (await host.stats(pair.a.session)).rttMs !== null, 4000);
    const a = await host.stats(pair.a.session);
    // Muxed RTCP is not mistaken for RTP: no bogus loss, one source.
    expect(a.packetsLost).toBe(0);
    expect(a.remoteSsrc).toBe((await host.stats(pair.b.session)).localSsrc);
  } finally {
    far.close();
    await closePair(pair);
  }
});

it('IPv6: sessions bound on ::1 exchange RTP and RTCP', async () => {
  const base = 42000 + ((process.pid * 3) % 10000);
  await host.open({ session: 'v6a', localAddress: '::1', portMin: base, portMax: base + 9 });
  const b = await host.open({ session: 'v6b', localAddress: '::1', portMin: base + 10, portMax: base + 19 });
  const a = (await host.stats('v6a')).localRtp.port;
  await host.configure({ ...towards('v6a', b.rtpPort, { rtcpIntervalMs: 200 }), remoteAddress: '::1' });
  await host.configure({ ...towards('v6b', a, { rtcpIntervalMs: 200 }), remoteAddress: '::1' });
  await waitFor('RTP and a round trip over IPv6', async () => {
    const s = await host.stats('v6a');
    return s.packetsReceived > 10 && s.rttMs !== null;
  }, 4000);
  expect((await host.stats('v6b')).latched).toBe(false);
  await host.close('v6a');
  await host.close('v6b');
});

it('a re-configure (re-INVITE) keeps SSRC, sequence numbers and the timestamp running; the first packet after hold carries the marker', async () => {
  const pair = await openPair(host);
  const far = await listener();
  const ssrcs = new Set<number>();
  far.socket.on('message', (msg) => ssrcs.add(msg.readUInt32BE(8)));
  try {
    await host.configure(towards(pair.a.session, far.port));
    await waitFor('packets before hold', () => far.packets.length >= 10);
    await host.configure(towards(pair.a.session, far.port, { direction: 'recvonly' }));
    await sleep(200);
    const beforeResume = far.packets.length;
    await host.configure(towards(pair.a.session, far.port, { direction: 'sendrecv', codec: 'PCMA', payloadType: 8 }));
    await waitFor('packets after resume', () => far.packets.length >= beforeResume + 10);
    const audio = far.packets.filter((p) => p.pt === 0 || p.pt === 8);
    const firstAfter = audio.findIndex((p) => p.pt === 8);
    const last = audio[firstAfter - 1]!;
    const next = audio[firstAfter]!;
    expect((next.seq - last.seq + 65536) % 65536).toBe(1);
    // ≈ 200 ms of hold passed in timestamp units (8 samples per ms), not a restart.
    const tsStep = (next.ts - last.ts + 2 ** 32) % 2 ** 32;
    expect(tsStep).toBeGreaterThan(150 * 8);
    expect(tsStep).toBeLessThan(1000 * 8);
    expect(tsStep % 160).toBe(0);
    expect(next.marker).toBe(true);
    expect(audio.slice(1, firstAfter).every((p) => !p.marker)).toBe(true);
    expect(ssrcs.size).toBe(1);
  } finally {
    far.socket.close();
    await closePair(pair);
  }
});

it('ptime 30: 240-byte payloads, timestamps 240 apart', async () => {
  const pair = await openPair(host);
  const far = await listener();
  try {
    await host.configure(towards(pair.a.session, far.port, { ptimeMs: 30 }));
    await waitFor('packets', () => far.packets.length >= 6);
    const audio = far.packets.slice(0, 6);
    expect(audio.every((p) => p.payload.length === 240)).toBe(true);
    for (let i = 1; i < audio.length; i++) expect((audio[i]!.ts - audio[i - 1]!.ts + 2 ** 32) % 2 ** 32).toBe(240);
  } finally {
    far.socket.close();
    await closePair(pair);
  }
});
