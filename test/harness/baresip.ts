/**
 * A real baresip phone per test: registered to a harness Kamailio, driven over `ctrl_tcp`, sending
 * a sine tone and recording each call's audio both ways.
 *
 * Facts about Debian 12's baresip 1.0.0 (package `baresip-core` 1.0.0-4+b3), checked 2026-11-30:
 * - /usr/lib/baresip/modules has: account alsa amr aptx aubridge aufile auloop ausine b2bua codec2
 *   cons contact ctrl_tcp debug_cmd directfb dtls_srtp ebuacip echo evdev fakevideo g711 g722 g726
 *   gsm httpd ice jack l16 menu mpa mqtt mwi natpmp opus opus_multistream oss plc portaudio presence
 *   rtcpsummary selfview snapshot sndfile sndio speex_pp srtp stdio stun syslog turn uuid v4l2
 *   v4l2_codec vidbridge vidloop vp8 vp9 vumeter. No `pulse`, no `zrtp`, no `serreg`.
 * - No audio player module is loaded at all: `audio_player alsa,null` spins a core. Calls still
 *   connect and `sndfile` still records.
 * - `ausine` only runs at 48 kHz stereo (`ausrc_srate 48000`, `ausrc_channels 2`); its device is
 *   the frequency in Hz (10…20000).
 * - `sndfile` names files `dump-YYYY-MM-DD-hh-mm-ss-{enc,dec}.wav` in `snd_path` (local time, one
 *   second resolution: two streams started in the same second overwrite each other) and writes the
 *   WAV header only when the stream ends — read recordings after CALL_CLOSED or stop(). `enc` is
 *   what baresip sent, `dec` what it received, at the codec's rate: 8 kHz mono 16-bit for G.711
 *   (not the 48 kHz stereo of the source). A re-INVITE starts no new file (see Hold).
 *   The path is limited to 128 characters: temp dirs are kept short.
 * - Account line addr-params (src/account.c, docs/examples/accounts at v1.0.0): `answermode=
 *   manual|early|auto`, `audio_codecs=pcmu,pcma`, `mediaenc=srtp|srtp-mand|srtp-mandf|dtls_srtp`,
 *   `auth_pass`, `outbound="sip:…"`, `regint` (0 = no REGISTER).
 * - SDP `c=` is the `net_interface` address (else the default-route address, eth0 here).
 *   `net_interface` takes an IP as well as an interface name (`lo` fails: "could not get IPv4
 *   address"), so each phone gets its own 127.0.x.y for SIP (`sip_listen`), SDP and ctrl_tcp.
 *   But RTP sockets bind 0.0.0.0: packets to 127.x leave from source 127.0.0.1, not from the `c=`
 *   address — a receiver that filters RTP by the SDP address drops them (latch on the source).
 * - Hold (1.0.0): `hold` sends a re-INVITE with a=sendonly, the peer answers a=recvonly, and
 *   BOTH sides stop sending RTP until `resume` (stream_send needs sendrecv); rtpStats() shows it.
 *   After any re-INVITE the rx pipeline loses the sndfile filter ("(play) <--- PCMU"): the
 *   received-audio recording stops at the first re-INVITE (the sent one goes on).
 * - `ctrl_tcp` runs `menu` commands (the `menu` module must be loaded): dial, accept, hangup, hold,
 *   resume, sndcode (DTMF, RFC 4733; all digits then a key release), transfer (REFER), reginfo.
 *   Commands act on the current UA / current call. With `answermode=auto` no CALL_INCOMING is
 *   emitted (the first event of an answered call is CALL_ESTABLISHED, direction incoming).
 *   Events: REGISTER_OK/FAIL, CALL_INCOMING, CALL_RINGING, CALL_PROGRESS, CALL_ESTABLISHED,
 *   CALL_CLOSED (param = reason: "486 Rejected", "404 Not Found"; a BYE from the peer gives
 *   "Connection reset by peer"), CALL_DTMF_START/END (param = digit), CALL_RTPESTAB, CALL_LOCAL_SDP/REMOTE_SDP, TRANSFER,
 *   TRANSFER_FAILED, CALL_MENC. DTMF by SIP INFO (`application/dtmf-relay`) raises the same
 *   CALL_DTMF_START; its body needs `Signal=` (0-9 * # a-d, lower case) AND `Duration=`, else 400.
 * - A call beyond `call_max_calls` is answered 486 "Max Calls" (a busy callee with maxCalls 1).
 * - TLS: `sip_cafile` is loaded, but 1.0.0 does NOT verify the server certificate (it registers
 *   over TLS without any CA as well); the TLS listener is at the `sip_listen` port + 1. Over
 *   TCP/TLS the Contact names the connection's local address (127.0.0.1:ephemeral), not sip_listen.
 * - REGISTER_OK often fires before ctrl_tcp is connected: registered() also asks `reginfo`.
 * - SIGTERM: BYE for open calls, un-REGISTER, WAV headers written, exit within tens of ms.
 * - Timings on loopback (2 cores, idle): start + register ≈ 0.1–0.3 s (TLS with a CA ≈ 0.5 s),
 *   INVITE to CALL_ESTABLISHED ≈ 40 ms.
 * - Debian's 1.0.0 ignores ICMP port unreachable on UDP and has no `prio`/`fbregint` failover.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { CtrlTcpClient, type CtrlMessage, type CtrlResponse } from './ctrl-tcp';
import { ensureSystemPackages } from './install';

/** Audio codecs as baresip names them in `audio_codecs`. */
export type BaresipCodec = 'PCMU' | 'PCMA' | 'G722' | 'opus';

/** Where and how to register. */
export interface RegistrarAddress {
  ip: string;
  port: number;
  transport: 'udp' | 'tcp' | 'tls';
}

/** One more account in the same baresip (a second line, e.g. on the backup Kamailio). */
export interface BaresipAccount {
  user: string;
  password: string;
  registrar: RegistrarAddress;
}

/** How to start a phone. */
export interface BaresipOptions {
  /** Used in the temp dir name and in error messages; keep it short (paths are limited to 128 chars). */
  name: string;
  /** SIP user; the AoR is sip:user@domain. */
  user: string;
  password: string;
  /** Registrar (and outbound proxy for calls); null: no REGISTER, the phone only listens. */
  registrar: RegistrarAddress | null;
  domain: string;
  /** 'auto': answers every call itself; 'manual': waits for accept(). */
  answerMode: 'auto' | 'manual';
  /** Sine tone sent in calls (ausine, 10…20000 Hz); default 440 Hz. */
  tone?: { frequencyHz: number };
  /** Record each call's sent and received audio (sndfile). */
  record: boolean;
  /** Offered/accepted codecs in order; default PCMU, PCMA. */
  codecs?: BaresipCodec[];
  /** 'optional' = `mediaenc=srtp` (SDES, RTP/AVP with crypto), 'mandatory' = `srtp-mand` (RTP/SAVP). Default off. */
  srtp?: 'off' | 'optional' | 'mandatory';
  /** More accounts in the same process (dial() uses the first unless `from` is given). */
  extraAccounts?: BaresipAccount[];
  /** Registration interval in seconds; default 600. */
  regint?: number;
  /** Concurrent calls before baresip answers 486 "Max Calls" (`call_max_calls`); default 4. Use 1 for a busy callee. */
  maxCalls?: number;
  /** PEM trusted for TLS registrars (`sip_cafile`), e.g. the harness Kamailio's `caCertPem`. */
  caCertPem?: string;
}

/** One ctrl_tcp event, with the fields baresip sets (src/event.c). */
export interface BaresipEvent {
  /** e.g. 'CALL_ESTABLISHED'. */
  type: string;
  /** 'call' | 'register' | 'application' | 'other' … */
  class: string;
  accountaor?: string;
  direction?: 'incoming' | 'outgoing';
  peeruri?: string;
  /** The call's id (the SIP Call-ID). */
  id?: string;
  /** Event parameter: CALL_CLOSED reason, DTMF digit, SDP, REGISTER_FAIL reason… */
  param?: string;
  /** For CALL_CLOSED: the SIP status code at the start of `param` ("486 Busy Here"), if any. */
  sipCode?: number;
  /** Epoch ms when the harness read the event. */
  time: number;
  raw: CtrlMessage;
}

/** Counters parsed from baresip's `audio_debug` output. */
export interface RtpStats {
  txPackets: number;
  /** Packets received from the peer; 0 before the first one. */
  rxPackets: number;
  /** 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive' */
  dir: string;
  /** Local RTP socket, e.g. '0.0.0.0:5426'. */
  local: string;
  /** Peer RTP address from its SDP, e.g. '127.0.146.2:4860'. */
  remote: string;
  raw: string;
}

/** The two recordings of one call (or one stream of it). */
export interface Recording {
  /** The sndfile timestamp part, e.g. '2026-11-30-07-12-59'. */
  stamp: string;
  /** Audio baresip received (decoded). */
  received: string | null;
  /** Audio baresip sent (before encoding). */
  sent: string | null;
}

/** A running baresip. Every command acts on the current call (baresip has one at a time here). */
export interface BaresipInstance {
  readonly name: string;
  /** sip:user@domain */
  readonly aor: string;
  /** Its own SIP address: 127.0.x.y, UDP and TCP on the same port. */
  readonly sipAddress: { ip: string; port: number };
  readonly dir: string;
  /** Dials `uri` (e.g. 'sip:1002@trunkline.test'); from another account of this phone with `from` (its AoR). */
  dial(uri: string, from?: string): Promise<CtrlResponse>;
  accept(): Promise<CtrlResponse>;
  hangup(): Promise<CtrlResponse>;
  hold(): Promise<CtrlResponse>;
  resume(): Promise<CtrlResponse>;
  /** DTMF over RFC 4733 (1.0.0 has no other mode); digits 0-9 * # A-D. */
  sendDtmf(digits: string): Promise<CtrlResponse>;
  /** Blind transfer of the current call (REFER to `uri`). */
  transfer(uri: string): Promise<CtrlResponse>;
  /**
   * RTP counters of the current call from `audio_debug`: packets sent, packets received from the
   * peer (RTCP member `rcvd`), the media direction and addresses. Rejects when there is no call.
   */
  rtpStats(): Promise<RtpStats>;
  /** Any menu command, raw. */
  command(command: string, params?: string): Promise<CtrlResponse>;
  /** Every event received so far. */
  events(type?: string): BaresipEvent[];
  /**
   * Resolves with the first event of `type` matching `pred` that arrives after `since` (epoch ms,
   * default 0 = also already received ones); rejects after `timeoutMs` with the events seen.
   */
  waitForEvent(type: string, pred?: (e: BaresipEvent) => boolean, timeoutMs?: number, since?: number): Promise<BaresipEvent>;
  /** Resolves once every account is registered (REGISTER_OK or `reginfo` says so). */
  registered(timeoutMs?: number): Promise<void>;
  /** Recordings so far, oldest first. Complete WAVs only after the call closed or stop(). */
  recordings(): Promise<Recording[]>;
  /**
   * SIP messages baresip printed (`-s` trace), oldest first. Each block: first line
   * `<PROTO> <src> -> <dst>`, then the message as on the wire (headers, blank line, body).
   */
  sipLog(): string[];
  /** The sipLog() blocks whose start line (request or status line) matches `startLine`, e.g. /^INVITE / or /^SIP\/2\.0 200 /. */
  sipMessages(startLine: RegExp): string[];
  /** The last lines of baresip's output (default 60). */
  logTail(lines?: number): string;
  /** SIGSTOP: the phone goes silent mid-call (no RTP, no SIP answers, no BYE) until thaw(). */
  freeze(): void;
  /** SIGCONT after freeze(). */
  thaw(): void;
  /**
   * Ends baresip (bounded) and, unless `keepFiles`, removes its temp dir. Idempotent. Default
   * `abrupt: false`: SIGTERM, so open calls get their BYE and recordings their WAV header;
   * `abrupt: true`: SIGKILL, the far end just vanishes.
   */
  stop(opts?: { keepFiles?: boolean; abrupt?: boolean }): Promise<void>;
}

const START_TIMEOUT_MS = 10_000;
const REGISTER_TIMEOUT_MS = 10_000;
const COMMAND_TIMEOUT_MS = 5_000;
const DEFAULT_EVENT_TIMEOUT_MS = 10_000;
const KILL_GRACE_MS = 1_500;
const LOG_LINES_KEPT = 20_000;
const DIR_PREFIX = 'tl-baresip-';
const MODULE_PATH = '/usr/lib/baresip/modules';

interface ProcessState {
  live: Set<{ killNow(): void }>;
  counter: number;
  swept: boolean;
}
const STATE_KEY = Symbol.for('trunkline.test.baresip');
const state: ProcessState = ((globalThis as Record<symbol, ProcessState | undefined>)[STATE_KEY] ??= (() => {
  const fresh: ProcessState = { live: new Set(), counter: 0, swept: false };
  process.once('exit', () => {
    for (const phone of fresh.live) phone.killNow();
  });
  return fresh;
})());

/** Starts baresip, waits until ctrl_tcp accepts and (with a registrar) every account is registered. */
export async function startBaresip(opts: BaresipOptions): Promise<BaresipInstance> {
  validate(opts);
  await ensureSystemPackages(['baresip-core', 'sox']);
  if (!state.swept) {
    state.swept = true;
    await sweepOrphans();
  }
  const ip = nextLoopbackIp();
  const sipPort = await freeUdpTcpPort(ip);
  const ctrlPort = await freeTcpPort(ip);
  const safeName = opts.name.replace(/[^A-Za-z0-9-]/g, '-').slice(0, 12);
  const dir = await mkdtemp(join(tmpdir(), `${DIR_PREFIX}${process.pid}-${safeName}-`));
  const phone = new BaresipPhone(opts, dir, { ip, port: sipPort }, ctrlPort);
  state.live.add(phone);
  try {
    await phone.start();
  } catch (error) {
    await phone.stop({ keepFiles: false });
    throw error;
  }
  return phone;
}

function validate(opts: BaresipOptions): void {
  const plain = /^[A-Za-z0-9._~+-]+$/;
  if (!plain.test(opts.user)) throw new Error(`baresip ${opts.name}: user must be plain SIP user characters, got ${JSON.stringify(opts.user)}`);
  if (!/^[A-Za-z0-9.-]+$/.test(opts.domain)) throw new Error(`baresip ${opts.name}: bad domain ${JSON.stringify(opts.domain)}`);
  for (const account of [opts, ...(opts.extraAccounts ?? [])]) {
    if (/[;"<>\s,]/.test(account.password)) throw new Error(`baresip ${opts.name}: password of ${account.user} has characters an account line cannot carry (; " < > , space)`);
  }
  if (opts.maxCalls !== undefined && !(Number.isInteger(opts.maxCalls) && opts.maxCalls >= 1)) throw new Error(`baresip ${opts.name}: maxCalls must be an integer ≥ 1, got ${opts.maxCalls}`);
  const freq = opts.tone?.frequencyHz ?? 440;
  if (!Number.isInteger(freq) || freq < 10 || freq > 20000) throw new Error(`baresip ${opts.name}: tone.frequencyHz must be an integer 10…20000, got ${freq}`);
}

const CODEC_NAMES: Record<BaresipCodec, string> = { PCMU: 'pcmu', PCMA: 'pcma', G722: 'g722', opus: 'opus/48000/2' };

function accountLine(account: BaresipAccount, opts: BaresipOptions): string {
  const params = [`auth_pass=${account.password}`, `answermode=${opts.answerMode}`];
  const codecs = opts.codecs ?? ['PCMU', 'PCMA'];
  params.push(`audio_codecs=${codecs.map((c) => CODEC_NAMES[c]).join(',')}`);
  if (opts.srtp === 'optional') params.push('mediaenc=srtp');
  if (opts.srtp === 'mandatory') params.push('mediaenc=srtp-mand');
  const reg = account.registrar;
  params.push(`regint=${reg ? (opts.regint ?? 600) : 0}`);
  if (reg) params.push(`outbound="sip:${reg.ip}:${reg.port};transport=${reg.transport}"`);
  params.push('mwi=no', 'call_transfer=yes');
  const transport = reg ? `;transport=${reg.transport}` : '';
  return `<sip:${account.user}@${opts.domain}${transport}>;${params.join(';')}`;
}

function renderConfig(opts: BaresipOptions, sip: { ip: string; port: number }, ctrlPort: number, recDir: string): string {
  const codecs = new Set(opts.codecs ?? ['PCMU', 'PCMA']);
  const lines = [
    'poll_method\t\tepoll',
    `sip_listen\t\t${sip.ip}:${sip.port}`,
    'call_local_timeout\t120',
    `call_max_calls\t\t${opts.maxCalls ?? 4}`,
    `audio_source\t\tausine,${opts.tone?.frequencyHz ?? 440}`,
    'ausrc_srate\t\t48000',
    'ausrc_channels\t\t2',
    'audio_path\t\t/usr/share/baresip',
    'rtp_tos\t\t\t0',
    'rtcp_mux\t\tno',
    'jitter_buffer_delay\t1-10',
    'rtp_stats\t\tno',
    `net_interface\t\t${sip.ip}`,
    `module_path\t\t${MODULE_PATH}`,
    'module\t\t\tg711.so',
    ...(codecs.has('G722') ? ['module\t\t\tg722.so'] : []),
    ...(codecs.has('opus') ? ['module\t\t\topus.so'] : []),
    'module\t\t\tausine.so',
    ...(opts.record ? ['module\t\t\tsndfile.so', `snd_path\t\t${recDir}`] : []),
    ...(opts.caCertPem ? [`sip_cafile\t\t${join(recDir, '..', 'ca.pem')}`] : []),
    ...(opts.srtp && opts.srtp !== 'off' ? ['module\t\t\tsrtp.so'] : []),
    'module_tmp\t\tuuid.so',
    'module_tmp\t\taccount.so',
    'module_app\t\tmenu.so',
    'module_app\t\tctrl_tcp.so',
    `ctrl_tcp_listen\t\t${sip.ip}:${ctrlPort}`,
    '',
  ];
  return lines.join('\n');
}

class BaresipPhone implements BaresipInstance {
  readonly aor: string;
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private ctrl: CtrlTcpClient | null = null;
  private readonly logLines: string[] = [];
  private readonly sipBlocks: string[] = [];
  private sipBlock: string[] | null = null;
  private readonly eventList: BaresipEvent[] = [];
  private readonly emitter = new EventEmitter();
  private stopped = false;

  constructor(
    private readonly opts: BaresipOptions,
    readonly dir: string,
    readonly sipAddress: { ip: string; port: number },
    private readonly ctrlPort: number,
  ) {
    this.aor = `sip:${opts.user}@${opts.domain}`;
    this.emitter.setMaxListeners(100);
  }

  get name(): string {
    return this.opts.name;
  }
  private get recDir(): string {
    return join(this.dir, 'rec');
  }

  async start(): Promise<void> {
    const accounts: BaresipAccount[] = [
      { user: this.opts.user, password: this.opts.password, registrar: this.opts.registrar as RegistrarAddress },
      ...(this.opts.extraAccounts ?? []),
    ];
    await mkdir(this.recDir);
    if (this.opts.caCertPem) await writeFile(join(this.dir, 'ca.pem'), this.opts.caCertPem);
    await writeFile(join(this.dir, 'config'), renderConfig(this.opts, this.sipAddress, this.ctrlPort, this.recDir));
    await writeFile(join(this.dir, 'accounts'), accounts.map((a) => accountLine(a, this.opts)).join('\n') + '\n');
    // No `contacts` file: baresip would create one with an example entry; an empty one is enough.
    await writeFile(join(this.dir, 'contacts'), '');
    this.log(`--- harness: baresip -f ${this.dir} -s ---`);
    const child = spawn('baresip', ['-f', this.dir, '-s'], { stdio: ['ignore', 'pipe', 'pipe'], cwd: this.dir });
    this.child = child;
    this.exited = new Promise((resolve) => {
      child.once('close', (code, sig) => {
        this.log(`--- harness: baresip exited code=${code} signal=${sig} ---`);
        resolve();
      });
      child.once('error', (error) => {
        this.log(`spawn failed: ${error.message}`);
        resolve();
      });
    });
    await writeFile(join(this.dir, 'baresip.pid'), String(child.pid ?? ''));
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', (line) => this.onLine(line));
    }
    const deadline = Date.now() + START_TIMEOUT_MS;
    let lastError: unknown = null;
    while (!this.ctrl) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`baresip ${this.name} exited during startup\n${this.logTail(40)}`);
      if (Date.now() > deadline) throw new Error(`baresip ${this.name}: ctrl_tcp not accepting within ${START_TIMEOUT_MS} ms (${String(lastError)})\n${this.logTail(40)}`);
      try {
        this.ctrl = await CtrlTcpClient.connect(this.sipAddress.ip, this.ctrlPort, 1_000);
      } catch (error) {
        lastError = error;
        await delay(50);
      }
    }
    this.ctrl.on('message', (m: CtrlMessage) => this.onCtrlMessage(m));
    if (this.opts.registrar) await this.registered(REGISTER_TIMEOUT_MS);
  }

  private onCtrlMessage(message: CtrlMessage): void {
    if (message['event'] !== true && message['event'] !== 'true') return;
    const text = (key: string): string | undefined => (typeof message[key] === 'string' ? (message[key] as string) : undefined);
    const type = text('type') ?? '?';
    const param = text('param');
    const event: BaresipEvent = {
      type,
      class: text('class') ?? '',
      time: Date.now(),
      raw: message,
      ...(text('accountaor') ? { accountaor: text('accountaor') } : {}),
      ...(text('direction') ? { direction: text('direction') as 'incoming' | 'outgoing' } : {}),
      ...(text('peeruri') ? { peeruri: text('peeruri') } : {}),
      ...(text('id') ? { id: text('id') } : {}),
      ...(param !== undefined ? { param } : {}),
    };
    const code = type === 'CALL_CLOSED' && param ? /^([1-6]\d\d)\b/.exec(param) : null;
    if (code) event.sipCode = Number(code[1]);
    this.log(`EVENT ${type}${param && type !== 'CALL_LOCAL_SDP' && type !== 'CALL_REMOTE_SDP' ? ` ${param}` : ''}`);
    this.eventList.push(event);
    this.emitter.emit('event', event);
  }

  async registered(timeoutMs = REGISTER_TIMEOUT_MS): Promise<void> {
    const aors = [this.opts, ...(this.opts.extraAccounts ?? [])].filter((a) => a.registrar).map((a) => `sip:${a.user}@${this.opts.domain}`);
    const deadline = Date.now() + timeoutMs;
    // REGISTER_OK may come before ctrl_tcp was connected: `reginfo` is the second source of truth.
    for (;;) {
      const okByEvent = new Set(this.eventList.filter((e) => e.type === 'REGISTER_OK').map((e) => e.accountaor));
      const missing = aors.filter((aor) => !okByEvent.has(aor));
      if (missing.length === 0) return;
      const info = await this.command('reginfo').catch(() => null);
      if (info && missing.every((aor) => registeredInReginfo(info.data, aor))) return;
      const failed = this.eventList.find((e) => e.type === 'REGISTER_FAIL');
      if (Date.now() > deadline) {
        throw new Error(`baresip ${this.name}: not registered within ${timeoutMs} ms (${missing.join(', ')})${failed ? `; REGISTER_FAIL ${failed.param ?? ''}` : ''}\nreginfo: ${info?.data ?? '-'}\n${this.logTail(30)}`);
      }
      await Promise.race([delay(200), this.nextEvent('REGISTER_OK')]);
    }
  }

  private nextEvent(type: string): Promise<void> {
    return new Promise((resolve) => {
      const on = (e: BaresipEvent): void => {
        if (e.type !== type) return;
        this.emitter.off('event', on);
        resolve();
      };
      this.emitter.on('event', on);
      setTimeout(() => {
        this.emitter.off('event', on);
        resolve();
      }, 1_000).unref();
    });
  }

  command(command: string, params?: string): Promise<CtrlResponse> {
    if (!this.ctrl) return Promise.reject(new Error(`baresip ${this.name}: not connected`));
    return this.ctrl.command(command, params, COMMAND_TIMEOUT_MS);
  }

  private async checked(command: string, params?: string): Promise<CtrlResponse> {
    const response = await this.command(command, params);
    if (!response.ok) throw new Error(`baresip ${this.name}: ${command}${params ? ` ${params}` : ''} failed: ${response.data}`);
    return response;
  }

  async dial(uri: string, from?: string): Promise<CtrlResponse> {
    if (/[\s"]/.test(uri)) throw new Error(`baresip ${this.name}: dial uri must not contain spaces or quotes: ${JSON.stringify(uri)}`);
    if (from) await this.checked('uafind', from);
    else if (this.opts.extraAccounts?.length) await this.checked('uafind', this.aor);
    return this.checked('dial', uri);
  }
  accept(): Promise<CtrlResponse> {
    return this.checked('accept');
  }
  hangup(): Promise<CtrlResponse> {
    return this.checked('hangup');
  }
  hold(): Promise<CtrlResponse> {
    return this.checked('hold');
  }
  resume(): Promise<CtrlResponse> {
    return this.checked('resume');
  }
  sendDtmf(digits: string): Promise<CtrlResponse> {
    if (!/^[0-9*#A-D]+$/.test(digits)) throw new Error(`baresip ${this.name}: DTMF digits must be 0-9 * # A-D, got ${JSON.stringify(digits)}`);
    return this.checked('sndcode', digits);
  }
  transfer(uri: string): Promise<CtrlResponse> {
    return this.checked('transfer', uri);
  }

  async rtpStats(): Promise<RtpStats> {
    const { data } = await this.checked('audio_debug');
    const tx = /TX: packets=(\d+)/.exec(data);
    if (!tx) throw new Error(`baresip ${this.name}: no call (audio_debug says: ${data.slice(0, 200)})`);
    const rcvd = [...data.matchAll(/rcvd=(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
    return {
      txPackets: Number(tx[1]),
      rxPackets: rcvd,
      dir: /audio dir=(\w+)/.exec(data)?.[1] ?? '',
      local: /local: (\S+),/.exec(data)?.[1] ?? '',
      remote: (/remote: ([^/\s]+)/.exec(data)?.[1] ?? '').trim(),
      raw: data,
    };
  }

  events(type?: string): BaresipEvent[] {
    return type ? this.eventList.filter((e) => e.type === type) : [...this.eventList];
  }

  waitForEvent(type: string, pred: (e: BaresipEvent) => boolean = () => true, timeoutMs = DEFAULT_EVENT_TIMEOUT_MS, since = 0): Promise<BaresipEvent> {
    const matches = (e: BaresipEvent): boolean => e.type === type && e.time >= since && pred(e);
    const seen = this.eventList.find(matches);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const on = (e: BaresipEvent): void => {
        if (!matches(e)) return;
        cleanup();
        resolve(e);
      };
      const timer = setTimeout(() => {
        cleanup();
        const types = this.eventList.map((e) => `${e.type}${e.type === 'CALL_CLOSED' || e.type.startsWith('CALL_DTMF') ? `(${e.param ?? ''})` : ''}`).join(' ') || 'none';
        reject(new Error(`baresip ${this.name}: no ${type} within ${timeoutMs} ms; events: ${types}\n${this.logTail(25)}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.emitter.off('event', on);
      };
      this.emitter.on('event', on);
    });
  }

  async recordings(): Promise<Recording[]> {
    const files = await readdir(this.recDir).catch(() => [] as string[]);
    const byStamp = new Map<string, Recording>();
    for (const file of files) {
      const match = /^dump-(.+)-(enc|dec)\.wav$/.exec(file);
      if (!match) continue;
      const stamp = match[1] as string;
      const entry = byStamp.get(stamp) ?? { stamp, received: null, sent: null };
      if (match[2] === 'dec') entry.received = join(this.recDir, file);
      else entry.sent = join(this.recDir, file);
      byStamp.set(stamp, entry);
    }
    return [...byStamp.values()].sort((a, b) => a.stamp.localeCompare(b.stamp));
  }

  sipLog(): string[] {
    return [...this.sipBlocks];
  }

  sipMessages(startLine: RegExp): string[] {
    return this.sipBlocks.filter((block) => startLine.test(block.split('\n')[1] ?? ''));
  }

  logTail(lines = 60): string {
    return this.logLines.slice(-lines).join('\n');
  }

  freeze(): void {
    signal(this.runningPid(), 'SIGSTOP');
  }

  thaw(): void {
    signal(this.runningPid(), 'SIGCONT');
  }

  private runningPid(): number {
    const child = this.child;
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) throw new Error(`baresip ${this.name} is not running`);
    return child.pid;
  }

  async stop(opts: { keepFiles?: boolean; abrupt?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    try {
      this.ctrl?.close();
      const child = this.child;
      if (child?.pid && child.exitCode === null && child.signalCode === null) {
        // SIGTERM lets sndfile close its WAVs (headers written); SIGKILL if it lingers. A frozen
        // phone must be thawed to act on SIGTERM.
        signal(child.pid, opts.abrupt ? 'SIGKILL' : 'SIGTERM');
        signal(child.pid, 'SIGCONT');
        if (!(await settles(this.exited, KILL_GRACE_MS))) {
          signal(child.pid, 'SIGKILL');
          if (!(await settles(this.exited, KILL_GRACE_MS))) throw new Error(`baresip ${this.name}: still running after SIGKILL`);
        }
      }
    } finally {
      state.live.delete(this);
      if (!opts.keepFiles) await rm(this.dir, { recursive: true, force: true });
    }
  }

  killNow(): void {
    if (this.child?.pid) signal(this.child.pid, 'SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }

  /**
   * baresip's `-s` trace prints each message as: a line `ESC[36;1m#`, a line `UDP src -> dst`, the
   * message (headers, blank line, body) and a line starting `ESC[;m`. Kept as raw blocks.
   */
  private onLine(raw: string): void {
    // The menu's once-a-second call status (`\r[0:00:08] audio=64000/64000 (bit/s)`) is noise here.
    const line = raw.replace(/\r?\[\d+:\d\d:\d\d\] audio=[^\r]*\r?/g, '');
    if (line.trim() === '' && raw.trim() !== '') return;
    this.log(line);
    if (this.sipBlock === null) {
      if (line.replace(/\x1b\[[0-9;]*m/g, '').trim() === '#' && line.includes('\x1b[36;1m')) this.sipBlock = [];
      return;
    }
    if (line.startsWith('\x1b[;m') || this.sipBlock.length > 500) {
      this.sipBlocks.push(this.sipBlock.join('\n').trimEnd());
      this.sipBlock = null;
      return;
    }
    this.sipBlock.push(line);
  }

  private log(line: string): void {
    this.logLines.push(line);
    if (this.logLines.length > LOG_LINES_KEPT) this.logLines.splice(0, this.logLines.length - LOG_LINES_KEPT);
  }
}

/** `reginfo` prints one line per UA: `<aor> … OK` when registered (`ERR`/`zzz` otherwise). */
function registeredInReginfo(text: string, aor: string): boolean {
  const plain = text.replace(/\x1b\[[0-9;]*m/g, '');
  return plain.split('\n').some((line) => line.includes(aor.replace(/^sip:/, '')) && /\bOK\b/.test(line));
}

/** 127.0.<pid-derived>.<counter>: never a harness Kamailio address (those have a second octet ≥ 1). */
function nextLoopbackIp(): string {
  const n = state.counter++;
  return `127.0.${1 + (process.pid % 250)}.${2 + (n % 250)}`;
}

function freeTcpPort(ip: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ host: ip, port: 0, exclusive: true }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function canBindUdp(ip: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind(port, ip, () => socket.close(() => resolve(true)));
  });
}

function canBindTcp(ip: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: ip, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * A port free for UDP and TCP on `ip`, with the next one free for TCP: one `sip_listen` makes
 * baresip listen on UDP and TCP at the port and on TLS at port + 1 (src/ua.c, v1.0.0).
 */
async function freeUdpTcpPort(ip: string): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await freeTcpPort(ip);
    if (port < 65535 && (await canBindUdp(ip, port)) && (await canBindTcp(ip, port + 1))) return port;
  }
  throw new Error(`no port free for UDP and TCP on ${ip} after 20 tries`);
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

function settles(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  return Promise.race([promise.then(() => true), timeout]).finally(() => clearTimeout(timer));
}

/** Kills phones left by a test worker that died without stop(); their dir names carry its pid. */
async function sweepOrphans(): Promise<void> {
  const pattern = new RegExp(`^${DIR_PREFIX}(\\d+)-`);
  for (const entry of await readdir(tmpdir())) {
    const owner = Number(pattern.exec(entry)?.[1]);
    if (!owner || owner === process.pid || isAlive(owner)) continue;
    const dir = join(tmpdir(), entry);
    const pid = Number(await readFile(join(dir, 'baresip.pid'), 'utf8').catch(() => ''));
    const comm = pid ? await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '') : '';
    if (comm.trim() === 'baresip') signal(pid, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
