/**
 * MediaHostPort: MediaPeer's MediaPort contract served by a real media host child.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { MediaHostClient } from '../../../main/media/media-host-client';
import { MediaHostPort } from '../../../main/media/media-host-port';
import type { MediaConfiguration } from '../../../main/sip/calls/media-port';
import { LOOPBACK, sleep, startHost, waitFor } from './media-test-kit';

vi.setConfig({ testTimeout: 20_000, hookTimeout: 20_000 });

let host: MediaHostClient;

beforeAll(async () => {
  host = await startHost();
});

afterAll(async () => {
  await host.stop();
});

const range = (offset: number): { min: number; max: number } => {
  // Even, so a two-port range holds exactly one RTP/RTCP pair.
  const min = 36000 + 2 * ((process.pid * 11) % 10000) + offset;
  return { min, max: min + 19 };
};

function config(remotePort: number, keys: { send: string; receive: string } | null): MediaConfiguration {
  return {
    remoteAddress: LOOPBACK, remotePort, remoteRtcpPort: remotePort + 1, payloadType: 8, codec: 'PCMA', telephoneEventPt: 101, direction: 'sendrecv',
    ...(keys ? { srtp: { suite: 'AES_CM_128_HMAC_SHA1_80', sendKeyBase64: keys.send, receiveKeyBase64: keys.receive } } : {}),
  };
}

it('two ports talk SRTP/PCMA, DTMF goes across, close returns the final statistics', async () => {
  const alice = new MediaHostPort(host, { session: 'alice', source: { kind: 'tone', frequencyHz: 1000, dBFS: -20 } });
  const bob = new MediaHostPort(host, { session: 'bob' });
  const k1 = randomBytes(30).toString('base64');
  const k2 = randomBytes(30).toString('base64');
  const { port: a } = await alice.open({ localAddress: LOOPBACK, portRange: range(0) });
  const { port: b } = await bob.open({ localAddress: LOOPBACK, portRange: range(20) });
  const digits: string[] = [];
  const off = bob.onDtmf((d) => digits.push(d));
  await alice.configure(config(b, { send: k1, receive: k2 }));
  await bob.configure(config(a, { send: k2, receive: k1 }));
  await alice.sendDtmf('42', 80, 60);
  await waitFor('two digits at bob', () => digits.length === 2);
  expect(digits).toEqual(['4', '2']);
  off();
  const live = await bob.stats();
  expect(live.packetsReceived).toBeGreaterThan(5);
  expect(live.rmsDbfs!).toBeGreaterThan(-30);
  await bob.close();
  await bob.close();
  expect(bob.closedStats?.codec).toBe('PCMA');
  expect(bob.closedStats?.undecryptable).toBe(0);
  await alice.close();
});

it('close while open is still pending closes right after, and frees the port', async () => {
  const port = new MediaHostPort(host, { session: 'early' });
  const opening = port.open({ localAddress: LOOPBACK, portRange: { min: range(40).min, max: range(40).min + 1 } });
  const closing = port.close();
  await opening;
  await closing;
  await sleep(50);
  const again = new MediaHostPort(host, { session: 'early' });
  await expect(again.open({ localAddress: LOOPBACK, portRange: { min: range(40).min, max: range(40).min + 1 } })).resolves.toEqual({ port: range(40).min });
  await again.close();
  await expect(port.open({ localAddress: LOOPBACK, portRange: range(60) })).rejects.toThrow(/already closed/);
});

it('inactivity reaches onInactive of that port only', async () => {
  const quiet = new MediaHostPort(host, { session: 'quiet', inactivityTimeoutMs: 300 });
  const other = new MediaHostPort(host, { session: 'other', inactivityTimeoutMs: 0 });
  await quiet.open({ localAddress: LOOPBACK, portRange: range(80) });
  await other.open({ localAddress: LOOPBACK, portRange: range(100) });
  let quietInactive = 0;
  let otherInactive = 0;
  quiet.onInactive(() => quietInactive++);
  other.onInactive(() => otherInactive++);
  // Each sends to a port nobody listens on, so neither receives anything.
  await quiet.configure(config(range(120).min, null));
  await other.configure(config(range(120).min + 2, null));
  await waitFor('quiet inactive', () => quietInactive === 1, 3000);
  expect(otherInactive).toBe(0);
  await quiet.close();
  await other.close();
});
