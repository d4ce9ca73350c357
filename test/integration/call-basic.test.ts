/**
 * Calls end to end on loopback: the engine's CallManager through a real Kamailio to a real baresip,
 * audio asserted on the recordings of both sides; and `npm run call` as a user runs it.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CallEvent, CallSnapshot } from '../../common/call-status';
import { MediaHostClient } from '../../main/media/media-host-client';
import { CallManager } from '../../main/sip/calls/call-manager';
import type { SipEngine } from '../../main/sip/engine';
import { toneMargin } from '../harness/audio';
import type { BaresipInstance } from '../harness/baresip';
import { startBaresip } from '../harness/baresip';
import type { KamailioInstance } from '../harness/kamailio';
import { account, DOMAIN, lineConfig, newEngine, registeredOn, serverOf, startPair, USERS, waitForLine } from './engine-fixture';

const MIN_MARGIN_DB = 20;

let primary: KamailioInstance;
let backup: KamailioInstance;
let dir: string;
const phones: BaresipInstance[] = [];
const cleanups: (() => Promise<void>)[] = [];

/** One media host for the file's engines (a cold child start is the slowest part of a call test). */
let mediaHost: MediaHostClient;

beforeAll(async () => {
  [{ primary, backup }, mediaHost] = await Promise.all([startPair('call-basic'), MediaHostClient.start({ startTimeoutMs: 60_000 })]);
  dir = await mkdtemp(join(tmpdir(), 'tl-call-basic-'));
});

afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c().catch(() => undefined)));
  await Promise.all(phones.splice(0).map((p) => p.stop()));
});

afterAll(async () => {
  await Promise.all([primary?.stop(), backup?.stop(), mediaHost?.stop()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function phone(user: string, opts: { answerMode: 'auto' | 'manual'; tone?: number; onBoth?: boolean }): Promise<BaresipInstance> {
  const p = await startBaresip({
    name: `p${user}`,
    user,
    password: USERS[user]!,
    registrar: { ip: primary.ip, port: primary.ports.udp, transport: 'udp' },
    domain: DOMAIN,
    answerMode: opts.answerMode,
    record: true,
    ...(opts.tone ? { tone: { frequencyHz: opts.tone } } : {}),
    // Reachable through either server (failover): the same user registered on the backup too.
    ...(opts.onBoth ? { extraAccounts: [{ user, password: USERS[user]!, registrar: { ip: backup.ip, port: backup.ports.udp, transport: 'udp' as const } }] } : {}),
  });
  phones.push(p);
  await p.registered();
  return p;
}

interface World {
  engine: SipEngine;
  calls: CallManager;
  events: CallEvent[];
}

async function world(user: string, calls: Record<string, unknown> = {}, extra: Record<string, unknown> = {}, managerAfterLine = false): Promise<World> {
  const engine = newEngine();
  if (managerAfterLine) {
    engine.addLine(lineConfig({ id: 'line', ...account(user), servers: [serverOf(primary), serverOf(backup)], calls: { rtpPortMin: 40000, rtpPortMax: 40999, ...calls }, ...extra }));
    await waitForLine(engine, 'line', registeredOn(0), 10_000, 'registered');
  }
  // The file's one host outlives each manager: its shutdown must not stop it.
  const shared = new Proxy(mediaHost, {
    get: (target, key) => {
      if (key === 'stop') return async () => undefined;
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  const manager = new CallManager(engine, { mediaHost: async () => shared });
  const events: CallEvent[] = [];
  manager.on('event', (e) => events.push(e));
  cleanups.push(async () => {
    await manager.shutdown(2_000);
    await engine.shutdown(2_000);
  });
  if (!managerAfterLine) {
    engine.addLine(lineConfig({ id: 'line', ...account(user), servers: [serverOf(primary), serverOf(backup)], calls: { rtpPortMin: 40000, rtpPortMax: 40999, ...calls }, ...extra }));
    await waitForLine(engine, 'line', registeredOn(0), 10_000, 'registered');
  }
  return { engine, calls: manager, events };
}

function waitForEvent(w: World, pred: (e: CallEvent) => boolean, timeoutMs: number, what: string): Promise<CallEvent> {
  const seen = w.events.find(pred);
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`${what} not seen within ${timeoutMs} ms; events ${w.events.map((e) => `${e.event}:${e.code ?? ''}:${e.reason ?? ''}`).join(', ')}`));
    }, timeoutMs);
    const off = w.calls.on('event', (e) => {
      if (!pred(e)) return;
      clearTimeout(timer);
      off();
      resolve(e);
    });
  });
}

async function eventually(probe: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > end) throw new Error(`${what} not seen within ${timeoutMs} ms`);
    await delay(50);
  }
}

function waitForCall(w: World, id: string, pred: (s: CallSnapshot) => boolean, timeoutMs: number, what: string): Promise<CallSnapshot> {
  return new Promise((resolve, reject) => {
    const check = (s: CallSnapshot | null): boolean => {
      if (!s || s.id !== id || !pred(s)) return false;
      clearTimeout(timer);
      off();
      resolve(s);
      return true;
    };
    const timer = setTimeout(() => {
      off();
      reject(new Error(`call ${id}: ${what} not reached within ${timeoutMs} ms; now ${JSON.stringify(w.calls.call(id))}; events ${w.events.map((e) => `${e.event}:${e.code ?? ''}:${e.reason ?? ''}`).join(', ')}`));
    }, timeoutMs);
    const off = w.calls.on('call', (s) => void check(s));
    check(w.calls.call(id));
  });
}

async function lastRecording(p: BaresipInstance): Promise<{ received: string; sent: string }> {
  const recordings = await p.recordings();
  const last = recordings[recordings.length - 1];
  if (!last?.received || !last.sent) throw new Error(`${p.name}: no complete recording: ${JSON.stringify(recordings)}`);
  return last as { received: string; sent: string };
}

async function expectTone(path: string, hz: number): Promise<void> {
  const margin = await toneMargin(path, hz, { from: 0.3 });
  expect(margin.marginDb, `${path} @${hz} Hz: ${JSON.stringify(margin)}`).toBeGreaterThan(MIN_MARGIN_DB);
}

describe('calls through Kamailio to baresip', () => {
  it('outgoing UDP call: our 1000 Hz reaches baresip, its 440 Hz reaches our recording; events in order; BYE ends both', async () => {
    const far = await phone('1062', { answerMode: 'auto', tone: 440 });
    const w = await world('1061');
    const recordPath = join(dir, 'outgoing.wav');
    const call = await w.calls.dial('line', '1062', { source: { kind: 'tone', frequencyHz: 1000, dBFS: -12 }, recordPath });
    expect(call).toMatchObject({ state: 'dialing', direction: 'outgoing', line: 'line', remote: { uri: `sip:1062@${DOMAIN}`, user: '1062' } });
    const up = await waitForCall(w, call.id, (s) => s.state === 'connected', 20_000, 'connected');
    expect(up).toMatchObject({ server: 0, failovers: 0, code: 200 });
    expect(up.setupMs).toBeGreaterThan(0);
    await far.waitForEvent('CALL_ESTABLISHED');
    await delay(1_000);
    await far.sendDtmf('7#');
    await waitForEvent(w, (e) => e.call === call.id && e.event === 'dtmf' && e.digit === '#', 3_000, 'DTMF # from the far end');
    expect(w.events.filter((e) => e.event === 'dtmf').map((e) => e.digit)).toEqual(['7', '#']);
    const held = await w.calls.hold(call.id);
    expect(held).toMatchObject({ state: 'held', localHold: true });
    await eventually(() => far.sipMessages(/^INVITE /).some((m) => /^a=sendonly/m.test(m)), 3_000, 're-INVITE a=sendonly at the far end');
    const resumed = await w.calls.resume(call.id);
    expect(resumed).toMatchObject({ state: 'connected', localHold: false });
    expect(w.events.filter((e) => e.event === 'held' || e.event === 'resumed').map((e) => `${e.event}:${e.by}`)).toEqual(['held:local', 'resumed:local']);
    await delay(500);
    const live = w.calls.call(call.id)!;
    expect(live.stats?.packetsReceived).toBeGreaterThan(20);
    const ended = await w.calls.hangup(call.id);
    expect(ended).toMatchObject({ state: 'ended', endedBy: 'local', code: 200 });
    await far.waitForEvent('CALL_CLOSED');
    expect(ended.stats?.packetsSent).toBeGreaterThan(50);
    expect(ended.stats?.packetsReceived).toBeGreaterThan(50);
    const kinds = w.events.filter((e) => e.call === call.id).map((e) => e.event);
    expect(kinds[0]).toBe('dialing');
    expect(kinds[1]).toBe('trying');
    expect(kinds.indexOf('answered')).toBeGreaterThan(1);
    expect(kinds.at(-1)).toBe('ended');
    expect(w.events.find((e) => e.event === 'answered')?.setupMs).toBe(up.setupMs);
    expect(w.calls.history().map((h) => h.id)).toEqual([call.id]);
    await far.stop({ keepFiles: true });
    await expectTone((await lastRecording(far)).received, 1000);
    await expectTone(recordPath, 440);
  });

  it('incoming call from baresip: caller shown, answered with a tone, far end hangs up → ended by remote', async () => {
    const w = await world('1063');
    const caller = await phone('1064', { answerMode: 'manual', tone: 440 });
    const incoming = new Promise<CallSnapshot>((resolve) => w.calls.on('incoming', resolve));
    await caller.dial(`sip:1063@${DOMAIN}`);
    const ringing = await incoming;
    expect(ringing).toMatchObject({ direction: 'incoming', state: 'ringing', server: 0, remote: { user: '1064' } });
    await caller.waitForEvent('CALL_RINGING');
    const recordPath = join(dir, 'incoming.wav');
    await w.calls.answer(ringing.id, { source: { kind: 'tone', frequencyHz: 1000, dBFS: -12 }, recordPath });
    await waitForCall(w, ringing.id, (s) => s.state === 'connected', 5_000, 'connected');
    await caller.waitForEvent('CALL_ESTABLISHED');
    await delay(1_200);
    await caller.hangup();
    const ended = await waitForCall(w, ringing.id, (s) => s.state === 'ended', 5_000, 'ended');
    expect(ended).toMatchObject({ endedBy: 'remote', code: 200 });
    await expectTone(recordPath, 440);
  });

  it('auto-answer after calls.autoAnswerMs; decline 603 reaches the caller', async () => {
    const w = await world('1077', { autoAnswerMs: 300 });
    const caller = await phone('1078', { answerMode: 'manual' });
    await caller.dial(`sip:1077@${DOMAIN}`);
    const first = await waitForEvent(w, (e) => e.event === 'answered', 15_000, 'auto-answered');
    expect(first.time - w.events.find((e) => e.event === 'incoming')!.time).toBeGreaterThanOrEqual(290);
    await caller.waitForEvent('CALL_ESTABLISHED');
    await w.calls.hangup(first.call);
    await caller.waitForEvent('CALL_CLOSED');

    // A manager created after the line was registered still takes its calls.
    const manual = await world('1079', {}, {}, true);
    const incoming = new Promise<CallSnapshot>((resolve) => manual.calls.on('incoming', resolve));
    const since = Date.now();
    await caller.dial(`sip:1079@${DOMAIN}`);
    const ringing = await incoming;
    const declined = await manual.calls.decline(ringing.id, 603);
    expect(declined).toMatchObject({ state: 'ended', code: 603, endedBy: 'local' });
    await caller.waitForEvent('CALL_CLOSED', undefined, 5_000, since);
    await eventually(() => caller.sipMessages(/^SIP\/2\.0 603 /).length > 0, 3_000, '603 at the caller');
  });

  it('RTP inactivity: the far end goes silent → BYE with a Reason, the call ends "no RTP for 5 s"', async () => {
    const far = await phone('1080', { answerMode: 'auto', tone: 440 });
    const w = await world('1081', { rtpTimeout: 5 });
    const call = await w.calls.dial('line', '1080');
    await waitForCall(w, call.id, (s) => s.state === 'connected', 20_000, 'connected');
    await delay(300);
    far.freeze();
    cleanups.push(async () => far.thaw());
    const ended = await waitForCall(w, call.id, (s) => s.state === 'ended', 9_000, 'ended by inactivity');
    expect(ended).toMatchObject({ code: 408, reason: 'no RTP for 5 s', endedBy: 'local' });
    const bye = w.engine.trace('line').find((t) => t.direction === 'sent' && /^BYE /.test(t.text));
    expect(bye?.text).toMatch(/^Reason: SIP ;cause=408 ;text="no RTP for 5 s"\r$/m);
    far.thaw();
  });

  it('a registration-only line (calls.enabled false) answers 486', async () => {
    await world('1065', { enabled: false });
    const caller = await phone('1066', { answerMode: 'manual' });
    await caller.dial(`sip:1065@${DOMAIN}`);
    const closed = await caller.waitForEvent('CALL_CLOSED');
    expect(JSON.stringify(closed.raw)).toMatch(/486/);
  });
});

describe('failover', () => {
  it('INVITE failover: the primary answers 503 → the line registers on the backup and the same call is answered there', async () => {
    const far = await phone('1070', { answerMode: 'auto', tone: 440, onBoth: true });
    const w = await world('1069');
    await primary.setInviteReply(503, 'Service Unavailable');
    cleanups.push(() => primary.setInviteReply(null));
    const call = await w.calls.dial('line', '1070');
    const up = await waitForCall(w, call.id, (s) => s.state === 'connected', 20_000, 'connected through the backup');
    expect(up).toMatchObject({ server: 1, failovers: 1, code: 200 });
    const failover = w.events.find((e) => e.event === 'failover');
    expect(failover).toMatchObject({ call: call.id, from: 0, to: 1, reason: '503 Service Unavailable' });
    // One call for the person: one dialing, one answered, the same id throughout.
    expect(w.events.filter((e) => e.event === 'dialing' || e.event === 'answered').map((e) => `${e.event}:${e.call}`)).toEqual([`dialing:${call.id}`, `answered:${call.id}`]);
    expect(w.engine.activeServer('line')).toBe(1);
    await far.waitForEvent('CALL_ESTABLISHED');
    // Same local media on both servers: the two INVITEs carry the same SDP.
    const offers = [...primary.wire({ method: 'INVITE', fromUser: '1069' }), ...backup.wire({ method: 'INVITE', fromUser: '1069' })];
    expect(offers.length).toBeGreaterThanOrEqual(2);
    await w.calls.hangup(call.id);
    await far.waitForEvent('CALL_CLOSED');
  });

  it('INVITE failover: a frozen primary draws no answer within the budget → the INVITE goes out on the backup; retransmissions stop', async () => {
    const far = await phone('1074', { answerMode: 'auto', onBoth: true });
    const w = await world('1073', {}, { signalRetryCount: 1 });
    primary.freeze();
    cleanups.push(async () => primary.thaw());
    const call = await w.calls.dial('line', '1074');
    const up = await waitForCall(w, call.id, (s) => s.state === 'connected', 20_000, 'connected through the backup');
    expect(up).toMatchObject({ server: 1, failovers: 1 });
    expect(w.events.find((e) => e.event === 'failover')).toMatchObject({ from: 0, to: 1, reason: 'no response to INVITE within the signal-retry budget' });
    // signalRetryCount 1 over UDP: the INVITE and one retransmission (0, 0.5 s), nothing after the 1.5 s budget.
    const sentToPrimary = w.engine.trace('line').filter((t) => t.server === 0 && t.direction === 'sent' && /^INVITE /.test(t.text));
    expect(sentToPrimary.length).toBeLessThanOrEqual(2);
    await far.waitForEvent('CALL_ESTABLISHED');
    // The thawed primary now relays the abandoned INVITE: whatever comes back for it (a late 2xx
    // is ACKed and BYEd by JsSIP) never becomes a second call for the person.
    primary.thaw();
    await delay(1_500);
    expect(w.calls.calls().map((c) => c.id)).toEqual([call.id]);
    expect(w.events.filter((e) => e.event === 'answered' || e.event === 'incoming' || e.event === 'dialing')).toHaveLength(2);
    expect(w.calls.call(call.id)).toMatchObject({ state: 'connected', server: 1 });
    await w.calls.hangup(call.id);
  });

  it('INVITE failover: a killed primary (ICMP port unreachable) → the same call goes out on the backup at once', async () => {
    const far = await phone('1085', { answerMode: 'auto', onBoth: true });
    const w = await world('1084', {}, { stopFailoverAfterInviteTimeout: true });
    await primary.kill();
    cleanups.push(() => primary.start());
    const call = await w.calls.dial('line', '1085');
    const up = await waitForCall(w, call.id, (s) => s.state === 'connected', 15_000, 'connected through the backup');
    expect(up).toMatchObject({ server: 1, failovers: 1 });
    // The ICMP error moved it, not the silence budget (whose reason reads "no response …"), and
    // stopFailoverAfterInviteTimeout, which only concerns silence, did not stop it.
    expect(w.events.find((e) => e.event === 'failover')?.reason).toMatch(/unreachable/i);
    await far.waitForEvent('CALL_ESTABLISHED');
    await w.calls.hangup(call.id);
  });

  it('stopFailoverAfterInviteTimeout: a frozen primary ends the call 408 and no INVITE reaches the backup', async () => {
    await phone('1076', { answerMode: 'auto', onBoth: true });
    const w = await world('1075', {}, { signalRetryCount: 1, stopFailoverAfterInviteTimeout: true });
    primary.freeze();
    cleanups.push(async () => primary.thaw());
    const call = await w.calls.dial('line', '1076');
    const ended = await waitForCall(w, call.id, (s) => s.state === 'ended', 10_000, 'ended');
    expect(ended).toMatchObject({ code: 408, failovers: 0, endedBy: 'local' });
    await delay(500);
    expect(backup.wire({ method: 'INVITE', fromUser: '1075' })).toEqual([]);
    primary.thaw();
  });

  it('BYE failover: primary frozen after the answer → hang-up ends at once, the same BYE reaches the far end through the backup', async () => {
    const far = await phone('1072', { answerMode: 'auto', onBoth: true });
    const w = await world('1071', {}, { signalRetryCount: 1 });
    const call = await w.calls.dial('line', '1072');
    await waitForCall(w, call.id, (s) => s.state === 'connected', 20_000, 'connected');
    await far.waitForEvent('CALL_ESTABLISHED');
    primary.freeze();
    cleanups.push(async () => primary.thaw());
    const ended = await w.calls.hangup(call.id);
    expect(ended).toMatchObject({ state: 'ended', endedBy: 'local' });
    // Ended for the person first; the far end hears the BYE only after the primary's budget ran out.
    expect(w.calls.byeServers(call.id)).toEqual([0]);
    const closed = await far.waitForEvent('CALL_CLOSED', undefined, 10_000);
    expect(closed.time).toBeGreaterThan(ended.endedAt!);
    expect(w.calls.byeServers(call.id)).toEqual([0, 1]);
    // The same BYE (Call-ID, tags, CSeq, Route, Request-URI) with a new branch (RFC 3263 §4.3).
    const sent = w.engine.trace('line').filter((t) => t.direction === 'sent' && !t.retransmission && /^BYE /.test(t.text));
    expect(sent.map((t) => t.server)).toEqual([0, 1]);
    const header = (text: string, name: string) => new RegExp(`^${name}: (.*)\r$`, 'mi').exec(text)?.[1];
    for (const name of ['Call-ID', 'CSeq', 'From', 'To', 'Route']) expect(header(sent[1]!.text, name), name).toBe(header(sent[0]!.text, name));
    expect(header(sent[0]!.text, 'Route')).toMatch(/;lr/);
    expect(sent[1]!.text.split('\r\n')[0]).toBe(sent[0]!.text.split('\r\n')[0]);
    expect(header(sent[1]!.text, 'Via')).not.toBe(header(sent[0]!.text, 'Via'));
    const byes = far.sipMessages(/^BYE /);
    expect(byes).toHaveLength(1);
    primary.thaw();
  });
});

describe('npm run call', () => {
  it('dials with --json --record: exit 0, events in order, our recording holds the far end\'s tone', async () => {
    const far = await phone('1068', { answerMode: 'auto', tone: 440 });
    const config = join(dir, 'lines.json');
    await writeFile(config, JSON.stringify({ lines: [{ id: 'carrier-a', domain: DOMAIN, ...account('1067'), servers: [serverOf(primary), serverOf(backup)], calls: { rtpPortMin: 41000, rtpPortMax: 41999 } }] }));
    const recordPath = join(dir, 'cli.wav');
    const child = spawn('npm', ['run', '--silent', 'call', '--', '--config', config, '--line', 'carrier-a', '--to', '1068', '--tone', '1000', '--record', recordPath, '--dtmf', '15', '--duration', '2', '--json'], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, `stdout:\n${stdout}\nstderr:\n${stderr}`).toBe(0);
    const events = stdout.trim().split('\n').map((l) => JSON.parse(l) as CallEvent & { rtp?: { sent: number; received: number; lost: number; jitterMs: number; rms: number | null } });
    const kinds = events.map((e) => e.event);
    expect(kinds[0]).toBe('dialing');
    expect(kinds).toContain('answered');
    expect(kinds.at(-1)).toBe('ended');
    for (const e of events) expect(e).toMatchObject({ line: 'carrier-a', time: expect.any(Number), call: expect.any(String) });
    const end = events.at(-1)!;
    expect(end).toMatchObject({ by: 'local', code: 200 });
    expect(end.durationMs).toBeGreaterThanOrEqual(1_900);
    expect(end.rtp?.received).toBeGreaterThan(50);
    expect(events.find((e) => e.event === 'answered')?.setupMs).toBeGreaterThan(0);
    await expectTone(recordPath, 440);
    // --dtmf 15 went out once connected (RFC 4733: baresip reports each digit).
    expect(far.events('CALL_DTMF_START').map((e) => e.param)).toEqual(['1', '5']);
  });

  it('--answer takes one call; SIGINT during a call hangs up, unregisters and exits 0', async () => {
    const config = join(dir, 'answer.json');
    await writeFile(config, JSON.stringify({ lines: [{ id: 'desk', domain: DOMAIN, ...account('1082'), servers: [serverOf(primary)], calls: { rtpPortMin: 42000, rtpPortMax: 42999 } }] }));
    const child = spawn(process.execPath, ['--import', 'tsx', 'main/monitor/call-cli.ts', '--config', config, '--line', 'desk', '--answer', '--tone', '1000', '--duration', '60', '--json'], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
    cleanups.push(async () => void child.kill('SIGKILL'));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    // A cold `node --import tsx` start on a busy machine takes a while.
    const deadline = Date.now() + 30_000;
    while ((await primary.bindings('1082')).length === 0) {
      if (Date.now() > deadline) throw new Error(`the test call never registered; stderr: ${stderr}`);
      await delay(100);
    }
    const caller = await phone('1083', { answerMode: 'manual', tone: 440 });
    await caller.dial(`sip:1082@${DOMAIN}`);
    await caller.waitForEvent('CALL_ESTABLISHED');
    await eventually(() => stdout.includes('"event":"answered"'), 5_000, 'answered on stdout');
    await delay(500);
    child.kill('SIGINT');
    expect(await exited, `stdout:\n${stdout}\nstderr:\n${stderr}`).toBe(0);
    await caller.waitForEvent('CALL_CLOSED', undefined, 3_000);
    const kinds = stdout.trim().split('\n').map((l) => (JSON.parse(l) as CallEvent).event);
    expect(kinds).toEqual(['incoming', 'answered', 'ended']);
    expect(stdout).toMatch(/"by":"local"/);
    expect(await primary.bindings('1082')).toEqual([]);
  });

  it('bad arguments exit 2 naming the option', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'main/monitor/call-cli.ts', '--line', 'x', '--to', '1'], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toMatch(/--config/);
  });
});
