/**
 * Shared setup for the call scenarios: an engine with a call manager (its own media host child) on
 * the real clock, baresip far ends registered to the harness Kamailio pair, waits on what the call
 * manager shows, and the audio checks on recordings (ours and the far end's).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { CallEvent, CallEventKind, CallSnapshot } from '../../common/call-status';
import type { LineConfig, TransportKind } from '../../common/line-config';
import { CallManager, type CallManagerOptions } from '../../main/sip/calls/call-manager';
import type { SipEngine } from '../../main/sip/engine';
import { readWavMono, toneMargin, toneShare } from '../harness/audio';
import { startBaresip, type BaresipInstance, type BaresipOptions, type Recording, type RegistrarAddress } from '../harness/baresip';
import type { KamailioInstance } from '../harness/kamailio';
import { account, lineConfig, newEngine, registeredOn, serverOf, USERS, DOMAIN, waitForLine } from './engine-fixture';

export { DOMAIN, USERS };

/** How much louder the band around the expected tone must be than a band where nothing was sent. */
export const MIN_MARGIN_DB = 30;

/** An engine, its call manager, every call event and snapshot it emitted, and a temp dir. */
export interface CallWorld {
  engine: SipEngine;
  calls: CallManager;
  events: CallEvent[];
  /** Latest snapshot of every call seen. */
  snapshots: Map<string, CallSnapshot>;
  /** Incoming calls as announced, oldest first. */
  incoming: CallSnapshot[];
  dir: string;
  close(): Promise<void>;
}

/** Starts an engine and a call manager (which forks its media host) and records what they emit. */
export async function startCallWorld(opts: CallManagerOptions = {}): Promise<CallWorld> {
  const engine = newEngine();
  const calls = new CallManager(engine, opts);
  const dir = await mkdtemp(join(tmpdir(), 'tl-calls-'));
  const world: CallWorld = {
    engine,
    calls,
    events: [],
    snapshots: new Map(),
    incoming: [],
    dir,
    close: async () => {
      await calls.shutdown(3_000).catch(() => undefined);
      await engine.shutdown(2_000).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
  // The media host child starts now, as the app and the test call do, not inside the first call.
  await calls.prepareMedia();
  calls.on('event', (e) => world.events.push(e));
  calls.on('call', (s) => world.snapshots.set(s.id, s));
  calls.on('incoming', (s) => {
    world.incoming.push(s);
    world.snapshots.set(s.id, s);
  });
  return world;
}

/** A line with call settings; `calls` fields over the defaults, other line fields in `extra`. */
export function callLine(id: string, user: string, servers: ReturnType<typeof serverOf>[], calls: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): LineConfig {
  return lineConfig({ id, ...account(user), servers, calls: { rtpPortMin: 30000, rtpPortMax: 39999, ...calls }, ...extra });
}

/** Adds the line and waits until it is registered on server `server` (default 0). */
export async function addRegisteredLine(world: CallWorld, config: LineConfig, server = 0): Promise<void> {
  world.engine.addLine(config);
  await waitForLine(world.engine, config.id, registeredOn(server), 10_000, `registered on server ${server}`);
}

/** Resolves with the first event (already emitted or coming) matching `pred`. */
export function waitForEvent(world: CallWorld, pred: (e: CallEvent) => boolean, timeoutMs: number, what: string): Promise<CallEvent> {
  const seen = world.events.find(pred);
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve, reject) => {
    const on = (e: CallEvent): void => {
      if (!pred(e)) return;
      clearTimeout(timer);
      off();
      resolve(e);
    };
    const timer = setTimeout(() => {
      off();
      reject(new Error(`${what} not seen within ${timeoutMs} ms; events: ${world.events.map((e) => `${e.event}${e.code ? ` ${e.code}` : ''}${e.reason ? ` (${e.reason})` : ''}`).join(', ') || 'none'}`));
    }, timeoutMs);
    const off = world.calls.on('event', on);
  });
}

/** The first event of `kind` for call `id`. */
export function callEvent(world: CallWorld, id: string, kind: CallEventKind, timeoutMs = 10_000): Promise<CallEvent> {
  return waitForEvent(world, (e) => e.call === id && e.event === kind, timeoutMs, `call ${id}: ${kind}`);
}

/** Resolves with the first snapshot of call `id` matching `pred` (the latest one included). */
export function waitForCall(world: CallWorld, id: string, pred: (s: CallSnapshot) => boolean, timeoutMs: number, what: string): Promise<CallSnapshot> {
  const now = world.snapshots.get(id);
  if (now && pred(now)) return Promise.resolve(now);
  return new Promise((resolve, reject) => {
    const on = (s: CallSnapshot): void => {
      if (s.id !== id || !pred(s)) return;
      clearTimeout(timer);
      off();
      resolve(s);
    };
    const timer = setTimeout(() => {
      off();
      reject(new Error(`call ${id}: ${what} not reached within ${timeoutMs} ms; now ${JSON.stringify(world.snapshots.get(id))}`));
    }, timeoutMs);
    const off = world.calls.on('call', on);
  });
}

/** The next incoming call (already announced or coming). */
export async function nextIncoming(world: CallWorld, timeoutMs = 10_000, after = 0): Promise<CallSnapshot> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const call = world.incoming[after];
    if (call) return call;
    if (Date.now() > end) throw new Error(`no incoming call #${after + 1} within ${timeoutMs} ms; events: ${world.events.map((e) => e.event).join(', ')}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function ended(s: CallSnapshot): boolean {
  return s.state === 'ended';
}

export function connected(s: CallSnapshot): boolean {
  return s.state === 'connected';
}

/** A tone source for dial/answer (the media host's `AudioSourceSpec`). */
export function tone(frequencyHz: number): { kind: 'tone'; frequencyHz: number; dBFS: number } {
  return { kind: 'tone', frequencyHz, dBFS: -12 };
}

export function registrarOf(k: KamailioInstance, transport: 'udp' | 'tcp' | 'tls' = 'udp'): RegistrarAddress {
  return { ip: k.ip, port: k.ports[transport], transport };
}

/** Phones of one test file, stopped by stopPhones() (afterEach). */
const phones: BaresipInstance[] = [];

/** A baresip far end registered as `user` on `k` (UDP unless said otherwise), auto-answering, recording. */
export async function farEnd(user: string, k: KamailioInstance, opts: Partial<BaresipOptions> = {}): Promise<BaresipInstance> {
  const phone = await startBaresip({
    name: `p${user}`,
    user,
    password: USERS[user]!,
    registrar: registrarOf(k),
    domain: DOMAIN,
    answerMode: 'auto',
    record: true,
    ...opts,
  });
  phones.push(phone);
  return phone;
}

/** The same user registered on both instances of the pair (for failover: the callee is reachable via either). */
export function onBoth(user: string, primary: KamailioInstance, backup: KamailioInstance): Partial<BaresipOptions> {
  return { registrar: registrarOf(primary), extraAccounts: [{ user, password: USERS[user]!, registrar: registrarOf(backup) }] };
}

export async function stopPhones(): Promise<void> {
  await Promise.all(phones.splice(0).map((p) => p.stop()));
}

/** The last recording of a phone; fails clearly when sndfile wrote none. */
export async function lastRecording(p: BaresipInstance): Promise<Recording & { received: string; sent: string }> {
  const recordings = await p.recordings();
  const last = recordings[recordings.length - 1];
  if (!last?.received || !last.sent) throw new Error(`${p.name}: no complete recording: ${JSON.stringify(recordings)}`);
  return last as Recording & { received: string; sent: string };
}

/** The WAV at `path` holds a tone at `frequencyHz` (sox band margin and, as a second opinion, Goertzel). */
export async function expectTone(path: string, frequencyHz: number, from = 0.3): Promise<void> {
  const margin = await toneMargin(path, frequencyHz, { from });
  expect(margin.marginDb, `${path} @${frequencyHz} Hz: ${JSON.stringify(margin)}`).toBeGreaterThan(MIN_MARGIN_DB);
  expect(margin.inBandDb, `${path} @${frequencyHz} Hz: ${JSON.stringify(margin)}`).toBeGreaterThan(-35);
  expect(toneShare(await readWavMono(path), frequencyHz, from)).toBeGreaterThan(0.5);
}

/** Lines of a SIP message (as a baresip trace block) or the body lines. */
export function sdpOf(message: string): string {
  const at = message.indexOf('\nv=0');
  return at < 0 ? '' : message.slice(at + 1);
}

export function transportServers(primary: KamailioInstance, backup: KamailioInstance | null, transport: TransportKind = 'udp'): ReturnType<typeof serverOf>[] {
  return backup ? [serverOf(primary, transport), serverOf(backup, transport)] : [serverOf(primary, transport)];
}

export async function eventually<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`${what} not seen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
