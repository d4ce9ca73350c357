/**
 * SDES-SRTP both ways, a wrong key, and statistics through a lossy/jittery relay on loopback.
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:dgram';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { MediaHostClient } from '../../../main/media/media-host-client';
import type { SrtpKeys } from '../../../main/media/media-protocol';
import { LOOPBACK, connect, openPair, sleep, soxStat, startHost, tempDir, towards, waitFor } from './media-test-kit';

// Real processes and sockets on a shared 2-core machine: generous bounds, never timing assertions.
vi.setConfig({ testTimeout: 20_000, hookTimeout: 20_000 });

let host: MediaHostClient;
const dir = tempDir();

beforeAll(async () => {
  host = await startHost();
});

afterAll(async () => {
  await host.stop();
  dir.remove();
});

const key = (): string => randomBytes(30).toString('base64');

it('SRTP with SDES keys carries audio both ways, SRTCP too', async () => {
  const pair = await openPair(host);
  const keyA = key();
  const keyB = key();
  const srtpA: SrtpKeys = { suite: 'AES_CM_128_HMAC_SHA1_80', sendKey: keyA, receiveKey: keyB };
  const srtpB: SrtpKeys = { suite: 'AES_CM_128_HMAC_SHA1_80', sendKey: keyB, receiveKey: keyA };
  const fileA = join(dir.path, 'srtp-a.wav');
  const fileB = join(dir.path, 'srtp-b.wav');
  await host.setSource(pair.a.session, { kind: 'tone', frequencyHz: 1000, dBFS: -20 });
  await host.setSource(pair.b.session, { kind: 'tone', frequencyHz: 440, dBFS: -20 });
  await host.record(pair.a.session, fileA);
  await host.record(pair.b.session, fileB);
  await connect(host, pair, { srtp: srtpA, rtcpIntervalMs: 300 }, { srtp: srtpB, rtcpIntervalMs: 300 });
  await sleep(1500);
  const a = await host.close(pair.a.session);
  const b = await host.close(pair.b.session);
  expect(Math.abs(soxStat(fileB).roughFrequency - 1000)).toBeLessThan(50);
  expect(Math.abs(soxStat(fileA).roughFrequency - 440)).toBeLessThan(25);
  for (const s of [a, b]) {
    expect(s.undecryptable).toBe(0);
    expect(s.packetsReceived).toBeGreaterThan(50);
    // SRTCP worked too: the round trip needs our SR to come back in the far end's report.
    expect(s.rttMs).not.toBeNull();
  }
});

it('on the wire: each SRTP packet carries an 80-bit tag and no plain G.711 silence', async () => {
  const pair = await openPair(host);
  const far = createSocket('udp4');
  const packets: Buffer[] = [];
  far.on('message', (msg) => {
    if (!(msg[1]! >= 192 && msg[1]! <= 223)) packets.push(msg);
  });
  await new Promise<void>((resolve) => far.bind(0, LOOPBACK, resolve));
  try {
    // Silence in PCMU is 160 × 0xFF: plain RTP would show it verbatim.
    await host.configure(towards(pair.a.session, far.address().port, { srtp: { suite: 'AES_CM_128_HMAC_SHA1_80', sendKey: key(), receiveKey: key() } }));
    await waitFor('SRTP packets', () => packets.length >= 5);
    for (const p of packets) {
      expect(p.length).toBe(12 + 160 + 10);
      expect(p.subarray(12, 172).every((b) => b === 0xff)).toBe(false);
    }
  } finally {
    far.close();
    await host.close(pair.a.session);
    await host.close(pair.b.session);
  }
});

it('a wrong SRTP key: no audio accepted, packets counted as undecryptable', async () => {
  const pair = await openPair(host);
  const keyA = key();
  await connect(host, pair,
    { srtp: { suite: 'AES_CM_128_HMAC_SHA1_80', sendKey: keyA, receiveKey: key() } },
    { srtp: { suite: 'AES_CM_128_HMAC_SHA1_80', sendKey: key(), receiveKey: key() } });
  await sleep(600);
  const b = await host.close(pair.b.session);
  await host.close(pair.a.session);
  expect(b.packetsReceived).toBe(0);
  expect(b.rmsDbfs).toBeNull();
  expect(b.undecryptable).toBeGreaterThan(10);
});

it('a malformed SRTP key is refused naming the field', async () => {
  const pair = await openPair(host);
  await expect(host.configure(towards(pair.a.session, pair.b.rtpPort, {
    srtp: { suite: 'AES_CM_128_HMAC_SHA1_80', sendKey: 'c2hvcnQ=', receiveKey: key() },
  }))).rejects.toThrow(/srtp\.sendKey/);
  await host.close(pair.a.session);
  await host.close(pair.b.session);
});

/**
 * A relay between a (which sends to the relay) and b: a→b drops every `dropEvery`-th packet and
 * delays every other packet by `delayMs`; b sends to the relay's other side, which passes it on.
 */
async function relay(bPort: number, aPort: number, dropEvery: number, delayMs: number): Promise<{ port: number; portB: number; close: () => void }> {
  const facingA: Socket = createSocket('udp4');
  const facingB: Socket = createSocket('udp4');
  await Promise.all([facingA, facingB].map((s) => new Promise<void>((resolve) => s.bind(0, LOOPBACK, resolve))));
  let n = 0;
  const timers = new Set<NodeJS.Timeout>();
  facingA.on('message', (msg) => {
    n++;
    if (n % dropEvery === 0) return;
    if (n % 2 === 0 && delayMs > 0) {
      const t = setTimeout(() => {
        timers.delete(t);
        facingB.send(msg, bPort, LOOPBACK);
      }, delayMs);
      timers.add(t);
    } else {
      facingB.send(msg, bPort, LOOPBACK);
    }
  });
  facingB.on('message', (msg) => facingA.send(msg, aPort, LOOPBACK));
  return {
    port: facingA.address().port,
    portB: facingB.address().port,
    close: () => {
      for (const t of timers) clearTimeout(t);
      facingA.close();
      facingB.close();
    },
  };
}

it('loss through a relay dropping every 10th packet is counted (RFC 3550 A.3), jitter is plausible', async () => {
  const pair = await openPair(host);
  const r = await relay(pair.b.rtpPort, pair.a.rtpPort, 10, 10);
  try {
    // a sends to the relay; RTCP goes direct (explicit RTCP ports), so only RTP is impaired.
    await host.configure(towards(pair.a.session, r.port, { remoteRtcpPort: pair.b.rtpPort + 1, rtcpIntervalMs: 300 }));
    await host.configure(towards(pair.b.session, r.portB, { remoteRtcpPort: pair.a.rtpPort + 1, rtcpIntervalMs: 300 }));
    await waitFor('100 packets at b', async () => (await host.stats(pair.b.session)).packetsReceived >= 100, 5000);
    // Pause a so nothing is in flight, then compare.
    await host.configure(towards(pair.a.session, r.port, { remoteRtcpPort: pair.b.rtpPort + 1, direction: 'recvonly', rtcpIntervalMs: 300 }));
    await sleep(100);
    const b = await host.stats(pair.b.session);
    const a = await host.stats(pair.a.session);
    const expected = b.packetsReceived + b.packetsLost;
    // Every 10th datagram (a's RTCP goes direct, so the relay only sees RTP) is lost; the last drop may be after the highest seq.
    expect(b.packetsLost).toBeGreaterThanOrEqual(Math.floor(a.packetsSent / 10) - 1);
    expect(b.packetsLost).toBeLessThanOrEqual(Math.ceil(a.packetsSent / 10));
    expect(expected).toBeLessThanOrEqual(a.packetsSent);
    expect(b.lossFraction).toBeGreaterThan(0.08);
    expect(b.lossFraction).toBeLessThan(0.12);
    // Alternate packets delayed by 10 ms: |D| ≈ 10 ms each time, so J settles near 10 ms.
    expect(b.jitterMs).toBeGreaterThan(5);
    expect(b.jitterMs).toBeLessThan(30); // room for a loaded machine's own scheduling noise
    // 10 % random loss costs the E-model ≈ 27 points of R: MOS well below a clean call's 4.4.
    expect(b.mos!).toBeLessThan(3.9);
    expect(b.mos!).toBeGreaterThan(2.5);
    // a learns about its loss from b's RTCP report block.
    await waitFor('b\'s report about a', async () => (await host.stats(pair.a.session)).remoteReport?.packetsLost, 3000);
  } finally {
    r.close();
    await host.close(pair.a.session);
    await host.close(pair.b.session);
  }
});
