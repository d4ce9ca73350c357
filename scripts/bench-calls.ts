/**
 * `npm run bench:calls`: call figures on loopback against a harness Kamailio pair. Figures, not
 * assertions — the machine is shared and noisy; read them against the targets printed beside them.
 *
 * 1. Call setup, 20 calls each: Trunkline → baresip, and baresip → the same baresip callee through
 *    the same Kamailio. Three views: INVITE → ACK as Kamailio logged them (the same yardstick for
 *    both callers), our `setupMs` (first INVITE sent → 200 OK), and baresip's ctrl_tcp dial →
 *    CALL_ESTABLISHED (includes ctrl_tcp's own delays).
 * 2. INVITE failover: time to a connected call through the backup after the primary answers 503,
 *    is killed, or is frozen (SIGSTOP) — from `dial()` and from the `failover` event.
 * 3. Our RTP sender's inter-packet interval p50/p99/max, measured where the packets arrive: a plain
 *    UDP far end in this process (a minimal SIP UAS registered to Kamailio that echoes RTP back),
 *    during a call alone and while the same engine registers 1,000 lines.
 * 4. CPU and RSS of the media host child for 1, 10 and 50 concurrent calls, each sending a tone and
 *    recording what comes back (the far end echoes).
 *
 *   npm run bench:calls [-- --quick] [-- --only 1,4]
 *   --quick: 5 calls per setup series, 1 and 10 concurrent calls; --only: just those sections
 */
import { createHash, randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import type { CallEvent, CallSnapshot } from '../common/call-status';
import { parseLineConfig, type LineConfig } from '../common/line-config';
import { MediaHostClient } from '../main/media/media-host-client';
import { CallManager } from '../main/sip/calls/call-manager';
import { SipEngine } from '../main/sip/engine';
import { silenceBudgetMs } from '../main/sip/registration-schedule';
import { startBaresip } from '../test/harness/baresip';
import { pickLoopbackIp, startKamailio, type KamailioInstance } from '../test/harness/kamailio';

const DOMAIN = 'trunkline.test';
const quick = process.argv.includes('--quick');
const SETUP_CALLS = quick ? 5 : 20;
const CONCURRENCY = quick ? [1, 10] : [1, 10, 50];
const SCALE_LINES = 1_000;
const onlyArg = process.argv[process.argv.indexOf('--only') + 1];
const sections = new Set(process.argv.includes('--only') && onlyArg ? onlyArg.split(',').map(Number) : [1, 2, 3, 4]);
const CLOCK_TICKS = 100; // USER_HZ on Linux

/** c1…c99 for calls, s0…s999 for the 1,000-line registration load, mini UAS users m*. */
const users: Record<string, string> = {
  ...Object.fromEntries(Array.from({ length: 99 }, (_, i) => [`c${i + 1}`, `call-pw-${i + 1}`])),
  ...Object.fromEntries(Array.from({ length: SCALE_LINES }, (_, i) => [`s${i}`, `scale-pw-${i}`])),
  m1: 'mini-pw-1',
};

function line(id: string, user: string, servers: KamailioInstance[], extra: Record<string, unknown> = {}): LineConfig {
  const parsed = parseLineConfig({
    id, username: user, password: users[user], domain: DOMAIN,
    servers: servers.map((k) => ({ host: k.ip, port: k.ports.udp, transport: 'udp' })),
    liveness: { interval: 0 },
    calls: { rtpPortMin: 30000, rtpPortMax: 39999 },
    ...extra,
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.value;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function stats(samples: number[]): string {
  if (samples.length === 0) return 'no samples';
  const s = [...samples].sort((a, b) => a - b);
  return `p50 ${percentile(s, 50).toFixed(1)} ms, p95 ${percentile(s, 95).toFixed(1)} ms, max ${s[s.length - 1]!.toFixed(1)} ms (n=${s.length})`;
}

function report(name: string, value: string, target?: string): void {
  console.log(`${name.padEnd(58)} ${value}${target ? `   [target: ${target}]` : ''}`);
}

function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}

function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0) / 1024;
}

/** An engine and a call manager whose media host pid we know. */
class Rig {
  readonly engine = new SipEngine({ userAgent: 'Trunkline-bench' });
  readonly calls: CallManager;
  mediaPid: number | null = null;
  host: MediaHostClient | null = null;
  private readonly events: CallEvent[] = [];

  constructor(noAnswerTimeoutMs = 30_000) {
    this.calls = new CallManager(this.engine, {
      noAnswerTimeoutMs,
      mediaHost: async () => {
        // A loaded machine can take a while to start a tsx child: a generous bound, the figures start after it.
        const host = await MediaHostClient.start({ requestTimeoutMs: 10_000, startTimeoutMs: 60_000 });
        this.mediaPid = host.pid ?? null;
        this.host = host;
        return host;
      },
    });
    this.calls.on('event', (e) => this.events.push(e));
  }

  async addLine(config: LineConfig, timeoutMs = 10_000): Promise<void> {
    this.engine.addLine(config);
    await this.engine.whenRegistered(config.id, timeoutMs);
  }

  /** Resolves with the first event of `kind` for `call`. */
  event(call: string, kind: CallEvent['event'], timeoutMs = 20_000): Promise<CallEvent> {
    const seen = this.events.find((e) => e.call === call && e.event === kind);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`call ${call}: no ${kind} within ${timeoutMs} ms (${this.events.filter((e) => e.call === call).map((e) => `${e.event} ${e.code ?? ''} ${e.reason ?? ''}`).join(', ')})`));
      }, timeoutMs);
      const off = this.calls.on('event', (e) => {
        if (e.call !== call || e.event !== kind) return;
        clearTimeout(timer);
        off();
        resolve(e);
      });
    });
  }

  /** Waits until `call` is answered; rejects with its end when it ended first. */
  async answered(call: string, timeoutMs = 20_000): Promise<CallEvent> {
    const ended = this.event(call, 'ended', timeoutMs).then((e) => Promise.reject(new Error(`call ended ${e.code} ${e.reason}`)));
    ended.catch(() => undefined);
    return Promise.race([this.event(call, 'answered', timeoutMs), ended]);
  }

  async hangupAll(): Promise<CallSnapshot[]> {
    return Promise.all(this.calls.calls().map((c) => this.calls.hangup(c.id)));
  }

  async close(): Promise<void> {
    await this.calls.shutdown(3_000);
    await this.engine.shutdown(3_000);
  }
}

// ── a plain UDP far end: minimal SIP UAS + RTP echo with arrival timestamps ─────────────────────

interface MiniCall {
  callId: string;
  rtp: Socket;
  rtcp: Socket;
  /** performance.now() of every RTP packet (in-process echo). */
  arrivals: number[];
  /** With `rtpInWorker`: the worker that owns the RTP socket instead. */
  sink: WorkerRtpSink | null;
}

/**
 * The far end's RTP socket in a worker thread: its own event loop timestamps arrivals (epoch ms,
 * sub-millisecond), so the engine's work in the main thread (1,000 registrations) does not show
 * up as late packets. It still shares the two CPU cores with everything else.
 */
class WorkerRtpSink {
  private constructor(private readonly worker: Worker, readonly port: number) {}

  static async open(ip: string, port: number): Promise<WorkerRtpSink | null> {
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const dgram = require('node:dgram');
      const { performance } = require('node:perf_hooks');
      const socket = dgram.createSocket('udp4');
      const arrivals = [];
      socket.on('message', (msg, rinfo) => {
        arrivals.push(performance.timeOrigin + performance.now());
        socket.send(msg, rinfo.port, rinfo.address);
      });
      socket.on('error', (e) => parentPort.postMessage({ error: e.message }));
      socket.bind(workerData.port, workerData.ip, () => parentPort.postMessage({ bound: true }));
      parentPort.on('message', (m) => {
        if (m === 'arrivals') parentPort.postMessage({ arrivals });
        if (m === 'close') socket.close(() => parentPort.close());
      });`;
    const worker = new Worker(code, { eval: true, workerData: { ip, port } });
    const first = await new Promise<{ bound?: boolean; error?: string }>((resolve) => worker.once('message', resolve));
    if (!first.bound) {
      await worker.terminate();
      return null;
    }
    return new WorkerRtpSink(worker, port);
  }

  /** Arrival times, epoch ms. */
  arrivals(): Promise<number[]> {
    return new Promise((resolve) => {
      const on = (m: { arrivals?: number[] }): void => {
        if (!m.arrivals) return;
        this.worker.off('message', on);
        resolve(m.arrivals);
      };
      this.worker.on('message', on);
      this.worker.postMessage('arrivals');
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

/**
 * Registers `user` on a Kamailio (digest MD5, RFC 2617) and answers every INVITE 200 with a PCMU
 * offer-answer; every RTP packet is timestamped on arrival and echoed to its source (symmetric RTP).
 */
class MiniUas {
  readonly calls = new Map<string, MiniCall>();
  private readonly sip = createSocket('udp4');
  private nextRtpPort = 42_000;
  private waiting: ((msg: string) => void) | null = null;

  constructor(private readonly ip: string, private readonly rtpInWorker = false) {}

  get port(): number {
    return this.sip.address().port;
  }

  async start(): Promise<void> {
    this.sip.on('message', (buf, rinfo) => void this.onMessage(buf.toString(), rinfo.address, rinfo.port));
    await new Promise<void>((resolve) => this.sip.bind(0, this.ip, resolve));
  }

  async register(k: KamailioInstance, user: string, password: string): Promise<void> {
    const callId = randomBytes(8).toString('hex');
    const build = (cseq: number, auth: string): string =>
      [
        `REGISTER sip:${DOMAIN} SIP/2.0`,
        `Via: SIP/2.0/UDP ${this.ip}:${this.port};rport;branch=z9hG4bK${randomBytes(6).toString('hex')}`,
        'Max-Forwards: 70',
        `From: <sip:${user}@${DOMAIN}>;tag=${randomBytes(4).toString('hex')}`,
        `To: <sip:${user}@${DOMAIN}>`,
        `Call-ID: ${callId}`,
        `CSeq: ${cseq} REGISTER`,
        `Contact: <sip:${user}@${this.ip}:${this.port}>;expires=3600`,
        ...(auth ? [auth] : []),
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
    const first = await this.request(build(1, ''), k);
    const challenge = /WWW-Authenticate:\s*Digest\s+(.*)/i.exec(first)?.[1] ?? '';
    const param = (name: string): string => new RegExp(`${name}="([^"]*)"`).exec(challenge)?.[1] ?? '';
    const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
    const realm = param('realm');
    const nonce = param('nonce');
    const uri = `sip:${DOMAIN}`;
    const qop = /qop="?auth/.test(challenge);
    const cnonce = randomBytes(4).toString('hex');
    const ha1 = md5(`${user}:${realm}:${password}`);
    const ha2 = md5(`REGISTER:${uri}`);
    const response = qop ? md5(`${ha1}:${nonce}:00000001:${cnonce}:auth:${ha2}`) : md5(`${ha1}:${nonce}:${ha2}`);
    const auth = `Authorization: Digest username="${user}", realm="${realm}", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=MD5${qop ? `, qop=auth, nc=00000001, cnonce="${cnonce}"` : ''}`;
    const second = await this.request(build(2, auth), k);
    if (!/^SIP\/2\.0 200 /.test(second)) throw new Error(`mini UAS: REGISTER failed: ${second.split('\r\n')[0]}`);
  }

  /** Sends and retransmits every 500 ms (RFC 3261 §17.1.2.2, simplified) until a final answer, at most 15 s. */
  private request(text: string, k: KamailioInstance): Promise<string> {
    return new Promise((resolve, reject) => {
      const send = (): void => this.sip.send(text, k.ports.udp, k.ip);
      const resend = setInterval(send, 500);
      const timer = setTimeout(() => {
        clearInterval(resend);
        reject(new Error('mini UAS: no answer to REGISTER within 15 s'));
      }, 15_000);
      const cseq = /^CSeq: (\d+)/m.exec(text)?.[1];
      this.waiting = (msg) => {
        // A late answer to a retransmission of the previous request is not ours.
        if (/^CSeq: (\d+)/m.exec(msg)?.[1] !== cseq) return;
        clearTimeout(timer);
        clearInterval(resend);
        this.waiting = null;
        resolve(msg);
      };
      send();
    });
  }

  private async onMessage(text: string, address: string, port: number): Promise<void> {
    if (text.startsWith('SIP/2.0 ')) {
      if (!/^SIP\/2\.0 1\d\d /.test(text)) this.waiting?.(text);
      return;
    }
    const [head = ''] = text.split('\r\n\r\n');
    const lines = head.split('\r\n');
    const method = lines[0]!.split(' ')[0]!;
    const all = (name: string): string[] => lines.filter((l) => new RegExp(`^(${name}):`, 'i').test(l));
    const one = (name: string): string => all(name)[0]?.replace(/^[^:]+:\s*/, '') ?? '';
    const callId = one('Call-ID|i');
    if (method === 'ACK') return;
    let sdp = '';
    let toTag = '';
    if (method === 'INVITE') {
      let call = this.calls.get(callId);
      if (!call) {
        call = await this.openMedia(callId);
        this.calls.set(callId, call);
      }
      sdp = [
        'v=0', `o=mini 1 1 IN IP4 ${this.ip}`, 's=-', `c=IN IP4 ${this.ip}`, 't=0 0',
        `m=audio ${call.sink?.port ?? call.rtp.address().port} RTP/AVP 0 101`, 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-15', 'a=ptime:20', 'a=sendrecv', '',
      ].join('\r\n');
      toTag = callId.slice(0, 8).replace(/[^A-Za-z0-9]/g, 'x');
    }
    if (method === 'BYE') {
      const call = this.calls.get(callId);
      if (call) closeCall(call);
    }
    const to = one('To|t');
    const reply = [
      'SIP/2.0 200 OK',
      ...all('Via|v'),
      ...(method === 'INVITE' ? all('Record-Route') : []),
      `From: ${one('From|f')}`,
      `To: ${to}${toTag && !/;tag=/.test(to) ? `;tag=${toTag}` : ''}`,
      `Call-ID: ${callId}`,
      `CSeq: ${one('CSeq')}`,
      ...(method === 'INVITE' ? [`Contact: <sip:m1@${this.ip}:${this.port}>`, 'Content-Type: application/sdp'] : []),
      `Content-Length: ${Buffer.byteLength(sdp)}`,
      '',
      sdp,
    ].join('\r\n');
    this.sip.send(reply, port, address);
  }

  private async openMedia(callId: string): Promise<MiniCall> {
    for (;;) {
      const port = this.nextRtpPort;
      this.nextRtpPort += 2;
      const rtp = createSocket('udp4');
      const rtcp = createSocket('udp4');
      // In worker mode the main-thread "rtp" socket only holds a port nobody uses (RTP goes to the sink).
      const ok = await Promise.all([bind(rtp, this.ip, this.rtpInWorker ? 0 : port), bind(rtcp, this.ip, port + 1)]);
      const sink = ok.every(Boolean) && this.rtpInWorker ? await WorkerRtpSink.open(this.ip, port) : null;
      if (!ok.every(Boolean) || (this.rtpInWorker && !sink)) {
        rtp.close();
        rtcp.close();
        continue;
      }
      const call: MiniCall = { callId, rtp, rtcp, arrivals: [], sink };
      rtp.on('message', (msg, rinfo) => {
        call.arrivals.push(performance.now());
        rtp.send(msg, rinfo.port, rinfo.address);
      });
      rtcp.on('message', () => undefined);
      return call;
    }
  }

  close(): void {
    for (const call of this.calls.values()) closeCall(call);
    this.sip.close();
  }
}

function closeCall(call: MiniCall): void {
  for (const s of [call.rtp, call.rtcp]) {
    try {
      s.close();
    } catch {
      // already closed by a BYE
    }
  }
  void call.sink?.close();
}

function bind(socket: Socket, ip: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    socket.once('error', () => resolve(false));
    socket.bind(port, ip, () => resolve(true));
  });
}

function intervals(arrivals: number[], from: number, to: number): number[] {
  const inWindow = arrivals.filter((t) => t >= from && t <= to);
  return inWindow.slice(1).map((t, i) => t - inWindow[i]!);
}

function intervalStats(samples: number[]): string {
  if (samples.length === 0) return 'no packets';
  const s = [...samples].sort((a, b) => a - b);
  return `p50 ${percentile(s, 50).toFixed(2)} ms, p99 ${percentile(s, 99).toFixed(2)} ms, max ${s[s.length - 1]!.toFixed(1)} ms (n=${s.length})`;
}

// ── 1. setup time ───────────────────────────────────────────────────────────────────────────────

async function setupTimes(primary: KamailioInstance): Promise<void> {
  const callee = await startBaresip({ name: 'bcallee', user: 'c2', password: users.c2!, registrar: { ip: primary.ip, port: primary.ports.udp, transport: 'udp' }, domain: DOMAIN, answerMode: 'auto', record: false });
  const caller = await startBaresip({ name: 'bcaller', user: 'c3', password: users.c3!, registrar: { ip: primary.ip, port: primary.ports.udp, transport: 'udp' }, domain: DOMAIN, answerMode: 'auto', record: false });
  const rig = new Rig();
  try {
    await rig.calls.prepareMedia();
    await rig.addLine(line('setup', 'c1', [primary]));
    // One warm-up call each (media host fork, JIT, baresip's first call).
    const ours = { wire: [] as number[], setupMs: [] as number[], wall: [] as number[], okToAck: [] as number[] };
    const theirs = { wire: [] as number[], ctrl: [] as number[] };
    for (let i = 0; i <= SETUP_CALLS; i++) {
      primary.clearWire();
      const t0 = performance.now();
      const call = await rig.calls.dial('setup', 'c2', { source: { kind: 'tone', frequencyHz: 1000, dBFS: -12 } });
      const answered = await rig.answered(call.id);
      const wall = performance.now() - t0;
      const invite = await primary.waitForWire((r) => r.method === 'INVITE' && r.fromUser === 'c1', 3_000);
      const ack = await primary.waitForWire((r) => r.method === 'ACK' && r.callId === invite.callId, 3_000);
      await rig.calls.hangup(call.id);
      await callee.waitForEvent('CALL_CLOSED', () => true, 5_000, Date.now() - 5_000).catch(() => undefined);
      await delay(100);
      if (i === 0) continue;
      ours.wire.push(ack.time - invite.time);
      // Our own share: the 200 OK received → the ACK sent (engine trace of the line).
      const ofCall = rig.engine.trace('setup').filter((t) => t.text.includes(`Call-ID: ${invite.callId}`) || t.text.includes(`i: ${invite.callId}`));
      const ok = ofCall.find((t) => t.direction === 'received' && /^SIP\/2\.0 200 /.test(t.text) && /CSeq: \d+ INVITE/.test(t.text));
      const sentAck = ofCall.find((t) => t.direction === 'sent' && t.text.startsWith('ACK '));
      if (ok && sentAck) ours.okToAck.push(sentAck.time - ok.time);
      ours.setupMs.push(answered.setupMs ?? NaN);
      ours.wall.push(wall);
    }
    for (let i = 0; i <= SETUP_CALLS; i++) {
      primary.clearWire();
      const since = Date.now();
      const t0 = performance.now();
      await caller.dial(`sip:c2@${DOMAIN}`);
      await caller.waitForEvent('CALL_ESTABLISHED', () => true, 10_000, since);
      const ctrl = performance.now() - t0;
      const invite = await primary.waitForWire((r) => r.method === 'INVITE' && r.fromUser === 'c3', 3_000);
      const ack = await primary.waitForWire((r) => r.method === 'ACK' && r.callId === invite.callId, 3_000);
      const closedSince = Date.now();
      await caller.hangup();
      await callee.waitForEvent('CALL_CLOSED', () => true, 5_000, closedSince).catch(() => undefined);
      await delay(100);
      if (i === 0) continue;
      theirs.wire.push(ack.time - invite.time);
      theirs.ctrl.push(ctrl);
    }
    console.log(`\n1. Call setup, ${SETUP_CALLS} calls each, to the same baresip callee through the same Kamailio (UDP)`);
    report('Trunkline: INVITE → ACK at Kamailio', stats(ours.wire), 'no slower than baresip');
    report('baresip:   INVITE → ACK at Kamailio', stats(theirs.wire));
    report('Trunkline: setupMs (first INVITE sent → 200 OK)', stats(ours.setupMs));
    report('Trunkline: dial() → answered event', stats(ours.wall));
    report('Trunkline: 200 OK received → ACK sent (engine trace)', stats(ours.okToAck));
    report('baresip:   ctrl_tcp dial → CALL_ESTABLISHED', stats(theirs.ctrl));
  } finally {
    await rig.close();
    await Promise.all([callee.stop(), caller.stop()]);
  }
}

// ── 2. INVITE failover ──────────────────────────────────────────────────────────────────────────

type Fault = '503' | 'kill' | 'freeze';

async function failoverOnce(rig: Rig, primary: KamailioInstance, backup: KamailioInstance, fault: Fault, n: number): Promise<{ fromDial: number; fromFailover: number; budget: number }> {
  const callee = await startBaresip({
    name: `bfo${n}`, user: 'c5', password: users.c5!, registrar: { ip: primary.ip, port: primary.ports.udp, transport: 'udp' }, domain: DOMAIN, answerMode: 'auto', record: false,
    extraAccounts: [{ user: 'c5', password: users.c5!, registrar: { ip: backup.ip, port: backup.ports.udp, transport: 'udp' } }],
  });
  const config = line(`fo${n}`, 'c4', [primary, backup]);
  try {
    await rig.addLine(config);
    // The media host starts with the first call: start it before the fault so the figure is the failover alone.
    const warm = await rig.calls.dial(config.id, 'c5');
    await rig.answered(warm.id);
    await rig.calls.hangup(warm.id);
    await delay(200);
    if (fault === '503') await primary.setInviteReply(503);
    if (fault === 'kill') await primary.kill();
    if (fault === 'freeze') primary.freeze();
    const t0 = Date.now();
    const call = await rig.calls.dial(config.id, 'c5', { source: { kind: 'tone', frequencyHz: 1000, dBFS: -12 } });
    const answered = await rig.answered(call.id, 30_000);
    const failover = await rig.event(call.id, 'failover', 1_000);
    await rig.calls.hangup(call.id);
    return { fromDial: answered.time - t0, fromFailover: answered.time - failover.time, budget: silenceBudgetMs(config.signalRetryCount, false) };
  } finally {
    if (fault === '503') await primary.setInviteReply(null);
    if (fault === 'kill') await primary.start();
    if (fault === 'freeze') primary.thaw();
    await rig.engine.removeLine(config.id, 2_000).catch(() => undefined);
    await callee.stop();
  }
}

async function failoverTimes(primary: KamailioInstance, backup: KamailioInstance): Promise<void> {
  console.log('\n2. INVITE failover: time to a connected call through the backup');
  const runs: [Fault, number, string][] = [['503', quick ? 2 : 5, 'well under 100 ms'], ['kill', quick ? 2 : 3, 'well under 100 ms'], ['freeze', quick ? 1 : 2, 'signal-retry budget + 100 ms']];
  let n = 0;
  // One engine and media host for every run; each run has its own line.
  const rig = new Rig();
  await rig.calls.prepareMedia();
  try {
    for (const [fault, count, target] of runs) {
      const fromDial: number[] = [];
      const fromFailover: number[] = [];
      let budget = 0;
      for (let i = 0; i < count; i++) {
        const r = await failoverOnce(rig, primary, backup, fault, n++);
        fromDial.push(r.fromDial);
        fromFailover.push(r.fromFailover);
        budget = r.budget;
      }
      const label = fault === '503' ? 'primary answers 503' : fault === 'kill' ? 'primary killed (UDP, ICMP)' : `primary frozen (budget ${budget} ms)`;
      report(`${label}: dial → answered`, stats(fromDial), fault === 'freeze' ? `≤ ${budget + 100} ms` : target);
      report(`${label}: failover → answered (REGISTER + INVITE)`, stats(fromFailover));
    }
  } finally {
    await rig.close();
  }
}

// ── 3. RTP sender pacing, alone and under 1,000 registrations ──────────────────────────────────

async function rtpPacing(primary: KamailioInstance, backup: KamailioInstance): Promise<void> {
  const far = new MiniUas(await pickLoopbackIp(), true);
  await far.start();
  await far.register(primary, 'm1', users.m1!);
  const rig = new Rig();
  try {
    await rig.calls.prepareMedia();
    await rig.addLine(line('pace', 'c6', [primary]));
    const call = await rig.calls.dial('pace', 'm1', { source: { kind: 'tone', frequencyHz: 1000, dBFS: -12 } });
    await rig.answered(call.id);
    const sink = [...far.calls.values()][0]?.sink;
    if (!sink) throw new Error('the mini UAS got no call');
    const now = (): number => performance.timeOrigin + performance.now();
    await delay(1_000);
    const a0 = now();
    await delay(5_000);
    const a1 = now();
    const senderAlone = (await rig.host?.stats(call.id).catch(() => null))?.sendIntervalMs;
    const l0 = now();
    const w0 = Date.now();
    for (let i = 0; i < SCALE_LINES; i++) rig.engine.addLine(line(`s${i}`, `s${i}`, [primary, backup]));
    for (;;) {
      const registered = rig.engine.snapshots().filter((s) => s.state === 'registered').length;
      if (registered >= SCALE_LINES + 1 || Date.now() - w0 > 180_000) break;
      await delay(20);
    }
    const took = Date.now() - w0;
    // At least 5 s of samples even when registering was quicker.
    if (now() - l0 < 5_000) await delay(5_000 - (now() - l0));
    const arrivals = await sink.arrivals();
    const senderAll = (await rig.host?.stats(call.id).catch(() => null))?.sendIntervalMs;
    const issued = (x: typeof senderAll): string => (x ? `p50 ${x.p50.toFixed(2)} ms, p99 ${x.p99.toFixed(2)} ms, max ${x.max.toFixed(1)} ms (n=${x.count})` : 'not reported');
    const alone = intervals(arrivals, a0, a1);
    const loaded = intervals(arrivals, l0, now());
    console.log(`\n3. Our RTP sender's inter-packet interval (PCMU, 20 ms), at a plain UDP far end (worker thread of this process)`);
    report('a call alone, 5 s', intervalStats(alone), 'p99 ≤ 22 ms');
    report(`while the engine registers ${SCALE_LINES} lines (${took} ms)`, intervalStats(loaded), 'p99 ≤ 22 ms');
    report('as the media host issued them: first 6 s', issued(senderAlone));
    report('as the media host issued them: whole call', issued(senderAll));
    await rig.calls.hangup(call.id);
  } finally {
    await rig.close();
    far.close();
  }
}

// ── 4. media host CPU and RSS ───────────────────────────────────────────────────────────────────

async function mediaLoad(primary: KamailioInstance, count: number, dir: string): Promise<void> {
  const far = new MiniUas(await pickLoopbackIp());
  await far.start();
  await far.register(primary, 'm1', users.m1!);
  const rig = new Rig();
  try {
    await rig.calls.prepareMedia();
    await rig.addLine(line(`load${count}`, 'c7', [primary]));
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const call = await rig.calls.dial(`load${count}`, 'm1', { source: { kind: 'tone', frequencyHz: 400 + i * 10, dBFS: -12 }, recordPath: join(dir, `load${count}-${i}.wav`) });
      ids.push(call.id);
    }
    await Promise.all(ids.map((id) => rig.answered(id, 30_000)));
    const pid = rig.mediaPid;
    if (!pid) throw new Error('no media host pid');
    await delay(1_000);
    const cpu0 = cpuTicks(pid);
    const t0 = performance.now();
    const seconds = quick ? 5 : 10;
    await delay(seconds * 1_000);
    const cpuShare = (cpuTicks(pid) - cpu0) / CLOCK_TICKS / ((performance.now() - t0) / 1000);
    const received = [...far.calls.values()].reduce((sum, c) => sum + c.arrivals.length, 0);
    const stillUp = rig.calls.calls().filter((c) => c.state === 'connected').length;
    report(`${String(count).padStart(2)} concurrent calls (tone + recording)`, `media host CPU ${(cpuShare * 100).toFixed(1)} % of one core, RSS ${rssMb(pid).toFixed(0)} MB; ${stillUp}/${count} connected, ${received} packets at the far end`);
    await rig.hangupAll();
  } finally {
    await rig.close();
    far.close();
  }
}

async function main(): Promise<void> {
  const primaryIp = await pickLoopbackIp();
  const backupIp = await pickLoopbackIp();
  const [primary, backup] = await Promise.all([
    startKamailio({ name: 'bench-calls-primary', users, domain: DOMAIN, ip: primaryIp, peerIp: backupIp }),
    startKamailio({ name: 'bench-calls-backup', users, domain: DOMAIN, ip: backupIp, peerIp: primaryIp }),
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'tl-bench-calls-'));
  try {
    console.log(`Trunkline calls benchmark — node ${process.version}, ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}, loopback Kamailio ${primary.ip} / ${backup.ip}${quick ? ' (quick)' : ''}`);
    if (sections.has(1)) await setupTimes(primary);
    if (sections.has(2)) await failoverTimes(primary, backup);
    if (sections.has(3)) await rtpPacing(primary, backup);
    if (sections.has(4)) {
      console.log('\n4. Media host process (one child for all calls): CPU and RSS, far end echoes RTP');
      for (const count of CONCURRENCY) await mediaLoad(primary, count, dir);
    }
    console.log(`\nload average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await Promise.all([primary.stop(), backup.stop()]);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
