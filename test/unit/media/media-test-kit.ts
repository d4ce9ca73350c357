/**
 * Helpers for media host tests: a real host child, session pairs on 127.0.0.1, sox measurements of
 * recordings, bounded waiting. Everything real: sockets, the child process, sox.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MediaHostClient } from '../../../main/media/media-host-client';
import type { ConfigureParams, MediaStats } from '../../../main/media/media-protocol';

export const LOOPBACK = '127.0.0.1';

export function tempDir(): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), 'trunkline-media-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 20 ms until it returns a truthy value or `timeoutMs` passes (then throws). */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 5000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

export interface Pair {
  a: { session: string; rtpPort: number };
  b: { session: string; rtpPort: number };
}

let counter = 0;

/** Opens two sessions on one host, each on its own port range slice. */
export async function openPair(host: MediaHostClient): Promise<Pair> {
  const n = counter++;
  const base = 30000 + ((process.pid * 7 + n * 40) % 30000);
  const a = `a${n}`;
  const b = `b${n}`;
  const pa = await host.open({ session: a, localAddress: LOOPBACK, portMin: base, portMax: base + 19 });
  const pb = await host.open({ session: b, localAddress: LOOPBACK, portMin: base + 20, portMax: base + 39 });
  return { a: { session: a, rtpPort: pa.rtpPort }, b: { session: b, rtpPort: pb.rtpPort } };
}

/** configure() parameters toward `remotePort` on loopback, PCMU/0 with telephone-event 101. */
export function towards(session: string, remotePort: number, extra: Partial<ConfigureParams> = {}): ConfigureParams {
  return {
    session, remoteAddress: LOOPBACK, remoteRtpPort: remotePort, codec: 'PCMU', payloadType: 0,
    telephoneEventPayloadType: 101, direction: 'sendrecv', ...extra,
  };
}

/** Connects a and b to each other. */
export async function connect(host: MediaHostClient, pair: Pair, extraA: Partial<ConfigureParams> = {}, extraB: Partial<ConfigureParams> = {}): Promise<void> {
  await host.configure(towards(pair.a.session, pair.b.rtpPort, extraA));
  await host.configure(towards(pair.b.session, pair.a.rtpPort, extraB));
}

export interface SoxFigures {
  lengthSeconds: number;
  rmsAmplitude: number;
  roughFrequency: number;
}

/** `sox file -n stat` (skipping the first 0.2 s): length, RMS amplitude (0–1), rough frequency. */
export function soxStat(path: string, trimStart = 0.2): SoxFigures {
  // sox writes `stat` to stderr.
  const run = spawnSync('sox', [path, '-n', 'trim', String(trimStart), 'stat'], { encoding: 'utf8', timeout: 10_000 });
  if (run.status !== 0) throw new Error(`sox failed on ${path}: ${run.stderr}`);
  const text = run.stderr;
  const field = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(-?[0-9.e+-]+)`, 'm').exec(text);
    if (!match) throw new Error(`sox stat has no "${name}": ${text}`);
    return Number(match[1]);
  };
  return { lengthSeconds: field('Length \\(seconds\\)'), rmsAmplitude: field('RMS\\s+amplitude'), roughFrequency: field('Rough\\s+frequency') };
}

/** Current stats of a session. */
export function stats(host: MediaHostClient, session: string): Promise<MediaStats> {
  return host.stats(session);
}

export async function startHost(): Promise<MediaHostClient> {
  return MediaHostClient.start({ requestTimeoutMs: 5000 });
}
