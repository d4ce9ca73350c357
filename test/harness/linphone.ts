/**
 * A real Linphone console phone (`linphonec` 5.1.65, Debian `linphone-cli`) per test: registered to
 * a harness Kamailio, auto-answering, playing a tone file into calls and recording what it receives.
 *
 * Facts (checked 2026-11-30):
 * - linphonec needs a pseudo-terminal: it runs under util-linux `script -qfc` (node-pty is not
 *   installed). Commands go to its stdin; its console lines ("Receiving new incoming call from …",
 *   "Call 1 with … connected.", "Receiving tone 5 from …", "Call 1 with … ended (…)") come out on
 *   stdout with CR/LF and bracketed-paste escapes.
 * - It needs a writable HOME with `~/.local/share/linphone` (its sqlite db), and `[sip]
 *   auto_net_state_mon=0`: without it the core never creates a listening point in this container
 *   ("No listening point matching for [udp://…]", no REGISTER is sent).
 * - `sip_port=-1` disables UDP (it does not mean "random"): the harness picks a free port. SIP binds
 *   to [::0]:port (every address); the Contact says 127.0.0.1.
 * - No sound card here: `soundcard use files`, then `play <wav>` (sent in calls; 8 kHz mono is
 *   fine) and `record <wav>` (one file per core, rewritten for each call, 8 kHz mono 16-bit).
 * - Registration, call states and received DTMF are in its log file (`-l`, `-d 6`): "moving from
 *   state [LinphoneRegistrationProgress] to [LinphoneRegistrationOk]", "Receiving dtmf 4.".
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { makeToneWav } from './audio';
import { ensureSystemPackages } from './install';

export interface LinphoneOptions {
  /** Used in the temp dir name and in error messages. */
  name: string;
  user: string;
  password: string;
  registrar: { ip: string; port: number; transport: 'udp' | 'tcp' };
  domain: string;
  /** Answer incoming calls by itself (linphonec -a); default true. */
  autoAnswer?: boolean;
  /** Tone played into calls (a WAV made with sox); default 440 Hz. */
  tone?: { frequencyHz: number };
  /** Record received audio of the current call to `recordingPath`. */
  record: boolean;
}

/** A running linphonec. */
export interface LinphoneInstance {
  readonly name: string;
  readonly aor: string;
  readonly sipPort: number;
  readonly dir: string;
  /** Where received audio is recorded (exists once a call ran; complete after the call ended). */
  readonly recordingPath: string;
  /** Resolves when the log says LinphoneRegistrationOk. */
  registered(timeoutMs?: number): Promise<void>;
  /** Sends one console command line (e.g. 'call sip:1001@trunkline.test', 'answer', 'terminate'). */
  command(line: string): void;
  call(uri: string): void;
  answer(): void;
  /** Ends the current call. */
  hangup(): void;
  /** Console lines (ANSI and CR stripped) so far. */
  output(): string[];
  /** Resolves with the first console line (already printed or coming) matching `re` after `since` (index into output()). */
  waitForOutput(re: RegExp, timeoutMs?: number, since?: number): Promise<string>;
  /**
   * SIP messages linphonec sent and received, from its log, oldest first; each block's first line
   * is `sent to <addr>` or `received from <addr>`, then the message.
   */
  sipLog(): Promise<string[]>;
  /** DTMF digits it received, from its log, in order. */
  dtmfReceived(): Promise<string[]>;
  /** The log file's text (liblinphone, belle-sip, mediastreamer at level 6). */
  log(): Promise<string>;
  /** quit, then kill (bounded); removes the temp dir unless keepFiles. Idempotent. */
  stop(opts?: { keepFiles?: boolean }): Promise<void>;
}

const REGISTER_TIMEOUT_MS = 10_000;
const DEFAULT_WAIT_MS = 10_000;
const QUIT_GRACE_MS = 2_000;
const DIR_PREFIX = 'tl-linphone-';
const TONE_SECONDS = 120;

interface ProcessState {
  live: Set<{ killNow(): void }>;
  counter: number;
  swept: boolean;
}
const STATE_KEY = Symbol.for('trunkline.test.linphone');
const state: ProcessState = ((globalThis as Record<symbol, ProcessState | undefined>)[STATE_KEY] ??= (() => {
  const fresh: ProcessState = { live: new Set(), counter: 0, swept: false };
  process.once('exit', () => {
    for (const phone of fresh.live) phone.killNow();
  });
  return fresh;
})());

/** Starts linphonec under a pseudo-terminal and resolves once it is registered. */
export async function startLinphone(opts: LinphoneOptions): Promise<LinphoneInstance> {
  if (!/^[A-Za-z0-9._~+-]+$/.test(opts.user)) throw new Error(`linphone ${opts.name}: user must be plain SIP user characters, got ${JSON.stringify(opts.user)}`);
  if (/[\r\n]/.test(opts.password)) throw new Error(`linphone ${opts.name}: password must be one line`);
  await ensureSystemPackages(['linphone-cli', 'sox', 'bsdutils']);
  if (!state.swept) {
    state.swept = true;
    await sweepOrphans();
  }
  const safeName = opts.name.replace(/[^A-Za-z0-9-]/g, '-').slice(0, 12);
  const dir = await mkdtemp(join(tmpdir(), `${DIR_PREFIX}${process.pid}-${safeName}-`));
  const phone = new LinphonePhone(opts, dir, await freeSipPort(opts.registrar.transport));
  state.live.add(phone);
  try {
    await phone.start();
  } catch (error) {
    await phone.stop();
    throw error;
  }
  return phone;
}

class LinphonePhone implements LinphoneInstance {
  readonly aor: string;
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private readonly lines: string[] = [];
  private partial = '';
  private readonly emitter = new EventEmitter();
  private stopped = false;

  constructor(
    private readonly opts: LinphoneOptions,
    readonly dir: string,
    readonly sipPort: number,
  ) {
    this.aor = `sip:${opts.user}@${opts.domain}`;
  }

  get name(): string {
    return this.opts.name;
  }
  get recordingPath(): string {
    return join(this.dir, 'received.wav');
  }
  private get logPath(): string {
    return join(this.dir, 'linphone.log');
  }

  async start(): Promise<void> {
    const home = join(this.dir, 'home');
    await mkdir(join(home, '.local', 'share', 'linphone'), { recursive: true });
    const tonePath = join(this.dir, 'tone.wav');
    await makeToneWav(tonePath, { frequencyHz: this.opts.tone?.frequencyHz ?? 440, seconds: TONE_SECONDS, sampleRate: 8000, channels: 1 });
    const { registrar, user, password, domain } = this.opts;
    // RTP in its own random 200-port block, so parallel phones rarely try the same port first.
    const rtpBase = 20_000 + ((process.pid * 7 + state.counter++ * 211) % 200) * 200;
    const rc = [
      '[sip]',
      `sip_port=${registrar.transport === 'udp' ? this.sipPort : 0}`,
      `sip_tcp_port=${registrar.transport === 'tcp' ? this.sipPort : 0}`,
      'sip_tls_port=0',
      'default_proxy=0',
      'register_only_when_network_is_up=0',
      'auto_net_state_mon=0',
      'ping_with_options=0',
      '[rtp]',
      `audio_rtp_port=${rtpBase}-${rtpBase + 199}`,
      '[sound]',
      'echocancellation=0',
      '[proxy_0]',
      `reg_proxy=<sip:${registrar.ip}:${registrar.port};transport=${registrar.transport}>`,
      `reg_identity=sip:${user}@${domain}`,
      'reg_expires=600',
      'reg_sendregister=1',
      'publish=0',
      '[auth_info_0]',
      `username=${user}`,
      `passwd=${password}`,
      `realm=${domain}`,
      `domain=${domain}`,
      '',
    ].join('\n');
    const rcPath = join(this.dir, 'linphonerc');
    await writeFile(rcPath, rc, { mode: 0o600 });
    const pidPath = join(this.dir, 'linphonec.pid');
    const flags = [`-c ${rcPath}`, `-d 6`, `-l ${this.logPath}`, ...(this.opts.autoAnswer === false ? [] : ['-a'])].join(' ');
    // The inner shell writes its pid, then becomes linphonec: the harness can kill it directly
    // (script puts it in a session of its own, out of reach of a process-group kill).
    const inner = `echo $$ > ${pidPath}; exec linphonec ${flags}`;
    const child = spawn('script', ['-qfec', inner, '/dev/null'], {
      env: { ...process.env, HOME: home, TERM: 'dumb' },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    this.child = child;
    this.exited = new Promise((resolve) => {
      child.once('close', () => resolve());
      child.once('error', () => resolve());
    });
    child.stdout?.on('data', (chunk: Buffer) => this.onOutput(chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => this.onOutput(chunk.toString('utf8')));
    child.stdin?.on('error', () => undefined);
    await this.waitForOutput(/linphonec>/, 10_000).catch((error: Error) => {
      throw new Error(`${error.message}\n${this.output().slice(-20).join('\n')}`);
    });
    this.command('soundcard use files');
    this.command(`play ${tonePath}`);
    if (this.opts.record) this.command(`record ${this.recordingPath}`);
    await this.registered(REGISTER_TIMEOUT_MS);
  }

  private onOutput(text: string): void {
    const clean = (this.partial + text).replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
    const parts = clean.split('\n');
    this.partial = parts.pop() ?? '';
    // The prompt has no newline: surface it as a line of its own so waits can see it.
    if (/linphonec> ?$/.test(this.partial)) {
      parts.push(this.partial);
      this.partial = '';
    }
    for (const line of parts) {
      if (line.trim() === '') continue;
      this.lines.push(line);
      this.emitter.emit('line', this.lines.length - 1);
    }
  }

  async registered(timeoutMs = REGISTER_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const log = await this.log();
      if (/to \[LinphoneRegistrationOk\]/.test(log)) return;
      if (Date.now() > deadline) {
        const failed = /to \[LinphoneRegistrationFailed\]/.test(log);
        const errors = log.split('\n').filter((l) => /-error-/.test(l) && !/alsa|soundcard|database|bctbx_file_open/.test(l)).slice(-8).join('\n');
        throw new Error(`linphone ${this.name}: not registered within ${timeoutMs} ms${failed ? ' (RegistrationFailed)' : ''}\n${errors}`);
      }
      await delay(100);
    }
  }

  command(line: string): void {
    if (/[\r\n]/.test(line)) throw new Error(`linphone ${this.name}: a command is one line`);
    if (!this.child?.stdin?.writable) throw new Error(`linphone ${this.name}: not running`);
    this.child.stdin.write(`${line}\n`);
  }
  call(uri: string): void {
    this.command(`call ${uri}`);
  }
  answer(): void {
    this.command('answer');
  }
  hangup(): void {
    this.command('terminate');
  }

  output(): string[] {
    return [...this.lines];
  }

  waitForOutput(re: RegExp, timeoutMs = DEFAULT_WAIT_MS, since = 0): Promise<string> {
    const seen = this.lines.slice(since).find((l) => re.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const on = (index: number): void => {
        const line = this.lines[index] as string;
        if (index < since || !re.test(line)) return;
        cleanup();
        resolve(line);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`linphone ${this.name}: no output matching ${re} within ${timeoutMs} ms; last lines:\n${this.lines.slice(-10).join('\n')}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.emitter.off('line', on);
      };
      this.emitter.on('line', on);
    });
  }

  async sipLog(): Promise<string[]> {
    const blocks: string[] = [];
    let current: string[] | null = null;
    const timestamped = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d:\d{3} /;
    for (const raw of (await this.log()).split('\n')) {
      const line = raw.replace(/\r$/, '');
      if (timestamped.test(line)) {
        if (current) blocks.push(current.join('\n').trimEnd());
        current = null;
        const received = /belle-sip-message-channel \[[^\]]*\]: received \[\d+\] new bytes from \[([^\]]+)\]/.exec(line);
        const sent = /belle-sip-message-channel \[[^\]]*\]: message sent to \[([^\]]+)\]/.exec(line);
        if (received) current = [`received from ${received[1]}`];
        else if (sent) current = [`sent to ${sent[1]}`];
        continue;
      }
      current?.push(line);
    }
    if (current) blocks.push(current.join('\n').trimEnd());
    return blocks.filter((b) => /\nSIP\/2\.0 \d{3}|\n[A-Z]+ \S+ SIP\/2\.0/.test(b));
  }

  async dtmfReceived(): Promise<string[]> {
    return [...(await this.log()).matchAll(/Receiving dtmf ([0-9*#A-D])\./g)].map((m) => m[1] as string);
  }

  log(): Promise<string> {
    return readFile(this.logPath, 'utf8').catch(() => '');
  }

  async stop(opts: { keepFiles?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    try {
      const child = this.child;
      if (child && child.exitCode === null && child.signalCode === null) {
        if (child.stdin?.writable) child.stdin.write('quit\n');
        if (!(await settles(this.exited, QUIT_GRACE_MS))) {
          this.killNow(false);
          await settles(this.exited, QUIT_GRACE_MS);
        }
      }
      // linphonec may outlive script briefly; make sure it is gone.
      const pid = await this.linphonePid();
      if (pid) signal(pid, 'SIGKILL');
    } finally {
      state.live.delete(this);
      if (!opts.keepFiles) await rm(this.dir, { recursive: true, force: true });
    }
  }

  private async linphonePid(): Promise<number | null> {
    const pid = Number(await readFile(join(this.dir, 'linphonec.pid'), 'utf8').catch(() => ''));
    if (!pid) return null;
    const comm = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '');
    return comm.trim() === 'linphonec' ? pid : null;
  }

  killNow(removeDir = true): void {
    const pidPath = join(this.dir, 'linphonec.pid');
    if (existsSync(pidPath)) {
      try {
        const pid = Number(readFileSync(pidPath, 'utf8'));
        if (pid) signal(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (this.child?.pid) signal(-this.child.pid, 'SIGKILL');
    if (removeDir) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A port free for UDP and TCP on every address (linphonec binds [::0]). */
async function freeSipPort(transport: 'udp' | 'tcp'): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen({ port: 0, exclusive: true }, () => {
        const { port: chosen } = server.address() as net.AddressInfo;
        server.close(() => resolve(chosen));
      });
    });
    if (transport === 'tcp') return port;
    const free = await new Promise<boolean>((resolve) => {
      const socket = dgram.createSocket({ type: 'udp6' });
      socket.once('error', () => {
        socket.close();
        resolve(false);
      });
      socket.bind(port, '::', () => socket.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free SIP port for linphonec after 20 tries');
}

/** Kills linphonecs left by a test worker that died without stop(); their dir names carry its pid. */
async function sweepOrphans(): Promise<void> {
  const pattern = new RegExp(`^${DIR_PREFIX}(\\d+)-`);
  for (const entry of await readdir(tmpdir())) {
    const owner = Number(pattern.exec(entry)?.[1]);
    if (!owner || owner === process.pid || isAlive(owner)) continue;
    const dir = join(tmpdir(), entry);
    const pid = Number(await readFile(join(dir, 'linphonec.pid'), 'utf8').catch(() => ''));
    const comm = pid ? await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '') : '';
    if (comm.trim() === 'linphonec') signal(pid, 'SIGKILL');
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
