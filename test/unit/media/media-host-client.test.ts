/**
 * The parent's side of the protocol against a real child: validation errors name the field, a
 * killed child rejects what was pending and reports its exit, and nothing of it throws in the parent.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';
import type { MediaClientEvents } from '../../../main/media/media-host-client';
import { MediaHostClient } from '../../../main/media/media-host-client';
import { LOOPBACK, connect, openPair, startHost, tempDir, towards } from './media-test-kit';

// Real processes and sockets on a shared 2-core machine: generous bounds, never timing assertions.
vi.setConfig({ testTimeout: 20_000, hookTimeout: 20_000 });

const hosts: MediaHostClient[] = [];

async function host(): Promise<MediaHostClient> {
  const h = await startHost();
  hosts.push(h);
  return h;
}

afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.stop()));
});

it('bad requests are answered with errors naming the field', async () => {
  const h = await host();
  await expect(h.open({ session: 'x', localAddress: 'not-an-ip', portMin: 30000, portMax: 30010 })).rejects.toThrow(/localAddress: must be an IPv4 or IPv6 address/);
  await expect(h.open({ session: 'x', localAddress: LOOPBACK, portMin: 30010, portMax: 30000 })).rejects.toThrow(/portMax: must be greater than portMin/);
  await expect(h.configure(towards('missing', 30000))).rejects.toThrow(/session: "missing" is not open/);
  const pair = await openPair(h);
  await expect(h.configure(towards(pair.a.session, 30000, { codec: 'G729' as never }))).rejects.toThrow(/codec: must be one of PCMU, PCMA/);
  await expect(h.configure(towards(pair.a.session, 30000, { ptimeMs: 25 }))).rejects.toThrow(/ptimeMs/);
  await expect(h.setSource(pair.a.session, { kind: 'tone', frequencyHz: 5000, dBFS: -10 })).rejects.toThrow(/source\.frequencyHz/);
  await expect(h.open({ session: pair.a.session, localAddress: LOOPBACK, portMin: 30000, portMax: 30100 })).rejects.toThrow(/already open/);
  // A failing file operation is that request's error; the session and the host carry on.
  await expect(h.record(pair.a.session, '/nonexistent-dir/x.wav')).rejects.toThrow(/ENOENT/);
  await expect(h.stats(pair.a.session)).resolves.toMatchObject({ session: pair.a.session });
  expect(h.running).toBe(true);
});

it('a port range with one free pair serves one session; the next open fails clearly', async () => {
  const h = await host();
  const base = 20000 + (process.pid % 5000) * 2;
  const first = await h.open({ session: 'one', localAddress: LOOPBACK, portMin: base, portMax: base + 1 });
  expect(first).toEqual({ rtpPort: base, rtcpPort: base + 1 });
  await expect(h.open({ session: 'two', localAddress: LOOPBACK, portMin: base, portMax: base + 1 })).rejects.toThrow(/no free RTP\/RTCP port pair/);
  await h.close('one');
  await expect(h.open({ session: 'two', localAddress: LOOPBACK, portMin: base, portMax: base + 1 })).resolves.toEqual({ rtpPort: base, rtcpPort: base + 1 });
});

it('killing the child rejects pending requests and reports the exit', async () => {
  const h = await host();
  const pair = await openPair(h);
  await connect(h, pair);
  const exits: MediaClientEvents['exit'][] = [];
  h.on('exit', (e) => exits.push(e));
  // A listener that throws must not disturb the client.
  h.on('exit', () => {
    throw new Error('listener bug');
  });
  const pending = h.sendDtmf(pair.a.session, '123456789', { durationMs: 200 });
  process.kill(h.pid!, 'SIGKILL');
  await expect(pending).rejects.toThrow(/media host killed by SIGKILL before answering dtmf/);
  expect(exits).toEqual([{ code: null, signal: 'SIGKILL', reason: 'media host killed by SIGKILL' }]);
  expect(h.running).toBe(false);
  await expect(h.stats(pair.a.session)).rejects.toThrow(/media host is not running/);
});

it('stats events arrive every second while a session is open, and stop after close', async () => {
  const h = await host();
  const pair = await openPair(h);
  const seen: string[] = [];
  const off = h.on('stats', (s) => seen.push(s.session));
  await new Promise((resolve) => setTimeout(resolve, 2300));
  expect(seen.filter((s) => s === pair.a.session).length).toBeGreaterThanOrEqual(2);
  await h.close(pair.a.session);
  await h.close(pair.b.session);
  const count = seen.length;
  await new Promise((resolve) => setTimeout(resolve, 1200));
  expect(seen.length).toBe(count);
  off();
});

it('stop() lets the child finalise recordings before it exits', async () => {
  const h = await host();
  const dir = tempDir();
  try {
    const pair = await openPair(h);
    const file = join(dir.path, 'stopped.wav');
    await h.setSource(pair.a.session, { kind: 'tone', frequencyHz: 800, dBFS: -20 });
    await h.record(pair.b.session, file);
    await connect(h, pair);
    await new Promise((resolve) => setTimeout(resolve, 800));
    await h.stop();
    const header = readFileSync(file);
    expect(header.readUInt32LE(40)).toBe(header.length - 44);
    expect(header.length - 44).toBeGreaterThan(8000);
  } finally {
    dir.remove();
  }
});

it('a host that cannot start, or never says ready, fails start() clearly', async () => {
  await expect(MediaHostClient.start({ entry: '/nonexistent/media-host-main.js' })).rejects.toThrow(/media host exited while starting \(code 1/);
  const dir = tempDir();
  try {
    const silent = join(dir.path, 'silent.js');
    writeFileSync(silent, 'setInterval(() => {}, 1000);\n');
    await expect(MediaHostClient.start({ entry: silent, startTimeoutMs: 500 })).rejects.toThrow(/did not start within 500 ms/);
  } finally {
    dir.remove();
  }
});
