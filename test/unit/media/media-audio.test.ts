/**
 * Two sessions in one real media host send each other tones over 127.0.0.1; the recordings are
 * measured with sox: each side must hold the other's frequency.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { MediaHostClient } from '../../../main/media/media-host-client';
import type { G711Codec, MediaEvents } from '../../../main/media/media-protocol';
import { connect, openPair, sleep, soxStat, startHost, tempDir } from './media-test-kit';

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

describe.each<[G711Codec, number]>([['PCMU', 0], ['PCMA', 8]])('%s', (codec, payloadType) => {
  it('1000 Hz one way and 440 Hz the other: each recording holds the other side\'s tone', async () => {
    const pair = await openPair(host);
    const started: MediaEvents['rtp-started'][] = [];
    const off = host.on('rtp-started', (e) => started.push(e));
    const fileA = join(dir.path, `a-${codec}.wav`);
    const fileB = join(dir.path, `b-${codec}.wav`);
    await host.setSource(pair.a.session, { kind: 'tone', frequencyHz: 1000, dBFS: -20 });
    await host.setSource(pair.b.session, { kind: 'tone', frequencyHz: 440, dBFS: -20 });
    await host.record(pair.a.session, fileA);
    await host.record(pair.b.session, fileB);
    await connect(host, pair, { codec, payloadType }, { codec, payloadType });
    await sleep(1500);
    const statsA = await host.close(pair.a.session);
    const statsB = await host.close(pair.b.session);
    off();

    const heardByB = soxStat(fileB);
    const heardByA = soxStat(fileA);
    expect(Math.abs(heardByB.roughFrequency - 1000)).toBeLessThan(50);
    expect(Math.abs(heardByA.roughFrequency - 440)).toBeLessThan(25);
    // −20 dBFS peak sine → RMS amplitude 0.1 × 0.707 ≈ 0.0707.
    expect(heardByB.rmsAmplitude).toBeGreaterThan(0.05);
    expect(heardByB.rmsAmplitude).toBeLessThan(0.09);
    expect(heardByB.lengthSeconds).toBeGreaterThan(1);
    for (const s of [statsA, statsB]) {
      expect(s.codec).toBe(codec);
      expect(s.packetsSent).toBeGreaterThan(50);
      expect(s.packetsReceived).toBeGreaterThan(50);
      expect(s.bytesReceived).toBe(s.packetsReceived * 160);
      expect(s.packetsLost).toBe(0);
      expect(s.rmsDbfs!).toBeGreaterThan(-25);
      expect(s.rmsDbfs!).toBeLessThan(-21);
      expect(s.mos!).toBeGreaterThan(4.2);
    }
    expect(started.filter((e) => e.session === pair.a.session)).toHaveLength(1);
    expect(started.filter((e) => e.session === pair.b.session)).toHaveLength(1);
    expect(started.every((e) => e.payloadType === payloadType && !e.latched)).toBe(true);
  });
});

it('a 44.1 kHz stereo WAV file is sent resampled to 8 kHz', async () => {
  const source = join(dir.path, 'tone-44k-stereo.wav');
  const made = spawnSync('sox', ['-n', '-r', '44100', '-c', '2', '-b', '16', source, 'synth', '2', 'sine', '700', 'vol', '0.3'], { timeout: 10_000 });
  expect(made.status).toBe(0);
  const pair = await openPair(host);
  const file = join(dir.path, 'wav-heard.wav');
  await host.setSource(pair.a.session, { kind: 'wav', path: source });
  await host.record(pair.b.session, file);
  await connect(host, pair);
  await sleep(1200);
  await host.close(pair.a.session);
  await host.close(pair.b.session);
  const heard = soxStat(file);
  expect(Math.abs(heard.roughFrequency - 700)).toBeLessThan(35);
  // 0.3 peak → RMS ≈ 0.21.
  expect(heard.rmsAmplitude).toBeGreaterThan(0.17);
  expect(heard.rmsAmplitude).toBeLessThan(0.25);
});

it('a missing WAV file is refused with its path named', async () => {
  const pair = await openPair(host);
  await expect(host.setSource(pair.a.session, { kind: 'wav', path: join(dir.path, 'nope.wav') })).rejects.toThrow(/nope\.wav/);
  await host.close(pair.a.session);
  await host.close(pair.b.session);
});
