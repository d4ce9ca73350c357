/**
 * A real Kamailio 5.6 per test file: registrar with digest auth, UDP/TCP/TLS/WS/WSS listeners on a
 * loopback address of its own, a log line per received request (the "wire"), and switches for fault
 * injection (fixed replies, black hole, freeze, kill and restart). See test/harness/kamailio.cfg.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { threadId } from 'node:worker_threads';
import { ensureSystemPackages } from './install';

const run = promisify(execFile);

/** How to start an instance. Every field but `name` has a default. */
export interface KamailioOptions {
  /** Used in the runtime dir name and in error messages. */
  name: string;
  /** Loopback IP to listen on; default: a fresh 127.x.y.z per instance, so ports can stay fixed. */
  ip?: string;
  /** username → password for digest auth (realm = domain). */
  users?: Record<string, string>;
  /** Realm and the domain Kamailio treats as itself; default 'trunkline.test'. */
  domain?: string;
  /** Registrar min_expires; default 10 (Kamailio's own 60 would silently raise short test expiries). */
  minExpires?: number;
  /** Registrar max_expires; default 7200. */
  maxExpires?: number;
  /** Registrar default_expires, used when a REGISTER names no expiry; default 3600. */
  defaultExpires?: number;
  /** Digest algorithm of the challenges (auth module `algorithm`); default MD5 (no parameter set). */
  authAlgorithm?: 'MD5' | 'SHA-256';
  /**
   * The other instance of a pair: its record-route addresses (`peerIp` on every listener port) are
   * aliases of this one, so a BYE whose Route names the peer is relayed here on its R-URI (BYE
   * failover through the backup). Default none. startPair() sets it both ways.
   */
  peerIp?: string;
}

/** One SIP request as Kamailio received it (logged from the top of request_route). */
export interface WireRecord {
  /** Epoch ms when the harness read the log line. */
  time: number;
  method: string;
  /** 'udp' | 'tcp' | 'tls' | 'ws' | 'wss' */
  proto: string;
  srcIp: string;
  srcPort: number;
  callId: string;
  /** The raw CSeq header, e.g. '2 REGISTER'. */
  cseq: string;
  /** From user part; '' when the From URI has none. */
  fromUser: string;
  expiresHeader: string | null;
  /** Every Contact header value, joined with ',' as Kamailio's `$hdr(Contact)[*]` does. */
  contact: string | null;
  privacy: string | null;
  /** Whether an Authorization header was present; its value is never logged. */
  authorization: boolean;
  /** The top Via, raw. */
  via: string;
}

/** One contact in the registrar's memory (from `ul.dump`). */
export interface Binding {
  /** usrloc AoR: the user part alone (usrloc use_domain = 0). */
  aor: string;
  contact: string;
  /** Seconds left; Infinity for a permanent contact. */
  expires: number;
  callId: string;
  cseq: number;
  /** Source address stored by fix_nated_register (NAT-ed and WebSocket clients), else null. */
  received: string | null;
  userAgent?: string;
}

/** A running (or killed, restartable) Kamailio. */
export interface KamailioInstance {
  readonly name: string;
  readonly ip: string;
  readonly ports: { udp: number; tcp: number; tls: number; ws: number; wss: number };
  readonly domain: string;
  /** Holds the generated config, certificate, pid file and ctl socket. */
  readonly runtimeDir: string;
  /** The self-signed certificate of the TLS and WSS listeners; SAN has IP:<ip> and DNS:localhost. */
  readonly caCertPem: string;
  /** 'AB:CD:…' like Node's X509Certificate.fingerprint256. */
  readonly certFingerprintSha256: string;
  /**
   * null: normal registrar; else answer every REGISTER with this code, before auth, with
   * `Retry-After: retryAfterSeconds` when given (RFC 3261 §20.33).
   */
  setRegisterReply(code: number | null, reason?: string, retryAfterSeconds?: number): Promise<void>;
  /**
   * null: INVITEs are routed to the callee; else every new INVITE (no To tag) is answered with this
   * code statelessly and relayed nowhere — e.g. 503 for INVITE failover. Re-INVITEs are not touched.
   */
  setInviteReply(code: number | null, reason?: string): Promise<void>;
  /**
   * Once: the next REGISTER that passes auth is answered and its TCP/TLS/WS connection closed right
   * after (Kamailio `set_reply_close()`); the switch then resets itself.
   */
  closeAfterNextRegister(): Promise<void>;
  /** null: OPTIONS to the server itself gets 200; else this code. */
  setOptionsReply(code: number | null): Promise<void>;
  /** REGISTER (after auth) asking for 0 < expiry < seconds → 423 with `Min-Expires: seconds`. */
  setIntervalTooBriefBelow(seconds: number | null): Promise<void>;
  /** On: every request is logged, then dropped without any reply — a black-holed server. */
  setDropAll(on: boolean): Promise<void>;
  /** SIGSTOP the whole process group; requests queue in the kernel until thaw(). */
  freeze(): void;
  /** SIGCONT the process group. */
  thaw(): void;
  /** SIGKILL the process group and wait until the ports are free. Bindings are lost (memory only). */
  kill(): Promise<void>;
  /** (Re)start with the same ip, ports, users and the current switches; resolves when kamcmd answers. */
  start(): Promise<void>;
  /** Current bindings, all or for one AoR ('user' or 'user@domain'). */
  bindings(aor?: string): Promise<Binding[]>;
  /**
   * Every request received since the instance was created or clearWire(), optionally filtered.
   * A request's log line can reach the harness a moment after its reply reached the client:
   * use waitForWire() before asserting on the latest request.
   */
  wire(filter?: Partial<Pick<WireRecord, 'method' | 'fromUser'>>): WireRecord[];
  /** Resolves with the first record (already received or arriving) matching pred; rejects after timeoutMs. */
  waitForWire(pred: (r: WireRecord) => boolean, timeoutMs: number): Promise<WireRecord>;
  /** How many contacts the registrar holds (usrloc statistics; works where ul.dump is too big). */
  contactCount(): Promise<number>;
  clearWire(): void;
  /** The last lines of Kamailio's stderr (default 50). */
  logTail(lines?: number): string;
  /** Kill and remove the runtime dir; idempotent. */
  stop(): Promise<void>;
}

const SYSTEM_PACKAGES = ['kamailio', 'kamailio-tls-modules', 'kamailio-websocket-modules', 'openssl'];
const PORTS = { udp: 5060, tcp: 5060, tls: 5061, ws: 8080, wss: 8443 } as const;
const RUNTIME_PREFIX = 'trunkline-kamailio-';
const TEMPLATE_PATH = join(__dirname, 'kamailio.cfg');
const START_TIMEOUT_MS = 15_000;
const KILL_TIMEOUT_MS = 5_000;
const RPC_TIMEOUT_MS = 3_000;
const POLL_MS = 50;
const LOG_LINES_KEPT = 5_000;
const WIRE_MARKER = 'WIRE|';
const REASONS: Record<number, string> = {
  200: 'OK', 403: 'Forbidden', 404: 'Not Found', 408: 'Request Timeout', 480: 'Temporarily Unavailable',
  486: 'Busy Here', 500: 'Server Internal Error', 502: 'Bad Gateway', 503: 'Service Unavailable',
  504: 'Server Time-out', 603: 'Decline',
};

interface Settings {
  name: string;
  ip: string;
  domain: string;
  users: Record<string, string>;
  minExpires: number;
  maxExpires: number;
  defaultExpires: number;
  authAlgorithm: 'MD5' | 'SHA-256';
  peerIp: string | null;
}

/** Mirrors the $shv switches in kamailio.cfg; rendered into the config so restarts keep them. */
interface Switches {
  dropAll: boolean;
  registerCode: number;
  registerReason: string;
  optionsCode: number;
  minExpires423: number;
  registerRetryAfter: number;
  inviteCode: number;
  inviteReason: string;
}

/**
 * Per-process state, kept on globalThis because a test runner may evaluate this module once per
 * test file in one process: one exit hook, one address counter, one sweep.
 */
interface ProcessState {
  /** Instances alive in this process, killed on exit so a crashed test leaves nothing behind. */
  live: Set<{ readonly ip: string; killNow(): void }>;
  instanceCounter: number;
  orphansSwept: boolean;
}
const STATE_KEY = Symbol.for('trunkline.test.kamailio');
const state: ProcessState = ((globalThis as Record<symbol, ProcessState | undefined>)[STATE_KEY] ??= (() => {
  const fresh: ProcessState = { live: new Set(), instanceCounter: 0, orphansSwept: false };
  process.once('exit', () => {
    for (const server of fresh.live) server.killNow();
  });
  return fresh;
})());

/** Starts a Kamailio and resolves once it answers on its ctl socket. */
export async function startKamailio(opts: KamailioOptions): Promise<KamailioInstance> {
  const settings = resolveSettings(opts);
  await ensureSystemPackages(SYSTEM_PACKAGES);
  if (!state.orphansSwept) {
    state.orphansSwept = true;
    await sweepOrphans();
  }
  const ip = opts.ip ?? (await pickLoopbackIp());
  if (opts.ip && !(await portsFree(ip))) throw new Error(`kamailio ${opts.name}: ports on ${ip} are in use`);
  const safeName = opts.name.replace(/[^A-Za-z0-9-]/g, '-').slice(0, 24);
  // The owner pid in the name lets a later run sweep instances of a crashed worker.
  const runtimeDir = await mkdtemp(join(tmpdir(), `${RUNTIME_PREFIX}${process.pid}-${safeName}-`));
  const server = new KamailioServer({ ...settings, ip }, runtimeDir);
  state.live.add(server);
  try {
    await server.init();
    await server.start();
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

class KamailioServer implements KamailioInstance {
  readonly ports = { ...PORTS };
  caCertPem = '';
  certFingerprintSha256 = '';
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private logLines: string[] = [];
  private records: WireRecord[] = [];
  private readonly events = new EventEmitter();
  private stopped = false;
  private switches: Switches = { dropAll: false, registerCode: 0, registerReason: 'OK', optionsCode: 0, minExpires423: 0, registerRetryAfter: 0, inviteCode: 0, inviteReason: 'OK' };

  constructor(
    private readonly settings: Settings,
    readonly runtimeDir: string,
  ) {}

  get name(): string {
    return this.settings.name;
  }
  get ip(): string {
    return this.settings.ip;
  }
  get domain(): string {
    return this.settings.domain;
  }
  private get ctlSocket(): string {
    return join(this.runtimeDir, 'ctl.sock');
  }
  private get configPath(): string {
    return join(this.runtimeDir, 'kamailio.cfg');
  }

  /** Certificate and TLS config: made once, kept across restarts. */
  async init(): Promise<void> {
    const cert = await makeCertificate(this.runtimeDir, this.ip);
    this.caCertPem = cert.pem;
    this.certFingerprintSha256 = cert.fingerprint256;
    const tlsConfig = [
      '[server:default]',
      'method = TLSv1.2+',
      'verify_certificate = no',
      'require_certificate = no',
      `private_key = ${join(this.runtimeDir, 'key.pem')}`,
      `certificate = ${join(this.runtimeDir, 'cert.pem')}`,
      '',
    ].join('\n');
    await writeFile(join(this.runtimeDir, 'tls.cfg'), tlsConfig);
  }

  async start(): Promise<void> {
    if (this.stopped) throw new Error(`kamailio ${this.name}: stopped, cannot start again`);
    if (this.child) return;
    await writeFile(this.configPath, renderConfig(this.settings, this.switches, this.runtimeDir));
    await unlink(this.ctlSocket).catch(() => undefined);
    // Private (pkg) memory grows with the users table, which is part of the config: 8 MB per 1,000 users, at least 16.
    const pkgMb = String(Math.max(16, Math.ceil(Object.keys(this.settings.users).length / 1000) * 8 + 8));
    // Shared memory holds the bindings: 5,000 lines on two instances fit easily in 256 MB.
    const args = ['-f', this.configPath, '-DD', '-E', '-M', pkgMb, '-m', '256', '-Y', this.runtimeDir, '-P', join(this.runtimeDir, 'kamailio.pid')];
    // detached = setsid: Kamailio and its ~11 forks share one process group that freeze/kill signal.
    this.log(`--- harness: kamailio ${args.join(' ')} ---`);
    const child = spawn('kamailio', args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.exited = new Promise((resolve) => {
      child.once('close', () => resolve());
      child.once('error', (error) => {
        this.log(`spawn failed: ${error.message}`);
        resolve();
      });
    });
    void this.exited.then(() => {
      if (this.child === child) this.child = null;
    });
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', (line) => this.onLine(line));
    }
    await this.waitUntilReady(child);
  }

  private async waitUntilReady(child: ChildProcess): Promise<void> {
    const deadline = Date.now() + START_TIMEOUT_MS;
    const exited = (): boolean => child.exitCode !== null || child.signalCode !== null || this.child !== child;
    for (let attempt = 0; attempt < START_TIMEOUT_MS / POLL_MS && Date.now() < deadline; attempt++) {
      if (exited()) break;
      try {
        await this.rpc(['core.version']);
        return;
      } catch {
        await delay(POLL_MS);
      }
    }
    const exitedEarly = exited();
    await this.kill();
    const check = await run('kamailio', ['-c', '-f', this.configPath]).then(
      () => 'config ok',
      (error: { stderr?: string }) => (error.stderr ?? String(error)).split('\n').filter((l) => /ERROR|CRITICAL/.test(l)).join('\n'),
    );
    throw new Error(
      `kamailio ${this.name} on ${this.ip} ${exitedEarly ? 'exited during startup' : `not ready within ${START_TIMEOUT_MS} ms`}\n` +
        `--- kamailio -c ---\n${check}\n--- log tail ---\n${this.logTail(30)}`,
    );
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child?.pid) return;
    await killGroup(child.pid);
    if (!(await settles(this.exited, KILL_TIMEOUT_MS))) throw new Error(`kamailio ${this.name}: still running after SIGKILL`);
    for (let attempt = 0; attempt < KILL_TIMEOUT_MS / POLL_MS; attempt++) {
      if (await portsFree(this.ip)) return;
      await delay(POLL_MS);
    }
    throw new Error(`kamailio ${this.name}: ports on ${this.ip} still busy ${KILL_TIMEOUT_MS} ms after kill`);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    try {
      await this.kill();
    } finally {
      state.live.delete(this);
      await rm(this.runtimeDir, { recursive: true, force: true });
    }
  }

  /** Synchronous last resort for process exit: no waiting, no port checks. */
  killNow(): void {
    if (this.child?.pid) signal(-this.child.pid, 'SIGKILL');
    rmSync(this.runtimeDir, { recursive: true, force: true });
  }

  freeze(): void {
    signal(-this.runningPid(), 'SIGSTOP');
  }

  thaw(): void {
    signal(-this.runningPid(), 'SIGCONT');
  }

  private runningPid(): number {
    if (!this.child?.pid) throw new Error(`kamailio ${this.name} is not running`);
    return this.child.pid;
  }

  async setRegisterReply(code: number | null, reason?: string, retryAfterSeconds?: number): Promise<void> {
    if (code !== null) checkStatusCode(code);
    if (retryAfterSeconds !== undefined && !(Number.isInteger(retryAfterSeconds) && retryAfterSeconds > 0)) {
      throw new Error(`bad retryAfterSeconds: ${retryAfterSeconds} (a positive whole number of seconds)`);
    }
    this.switches.registerRetryAfter = code === null ? 0 : (retryAfterSeconds ?? 0);
    await this.setShared('register_retry_after', this.switches.registerRetryAfter);
    const phrase = reason ?? (code === null ? 'OK' : (REASONS[code] ?? 'Test Switch'));
    checkConfigString(phrase, 'reason');
    this.switches.registerCode = code ?? 0;
    this.switches.registerReason = phrase;
    // Reason first: a request between the two calls must not pair the new code with an old reason.
    await this.setShared('register_reason', phrase);
    await this.setShared('register_code', this.switches.registerCode);
  }

  async setInviteReply(code: number | null, reason?: string): Promise<void> {
    if (code !== null) checkStatusCode(code);
    const phrase = reason ?? (code === null ? 'OK' : (REASONS[code] ?? 'Test Switch'));
    checkConfigString(phrase, 'reason');
    this.switches.inviteCode = code ?? 0;
    this.switches.inviteReason = phrase;
    await this.setShared('invite_reason', phrase);
    await this.setShared('invite_code', this.switches.inviteCode);
  }

  async closeAfterNextRegister(): Promise<void> {
    // Not rendered into the config: a once-only switch should not survive a restart.
    await this.setShared('close_after_register', 1);
  }

  async setOptionsReply(code: number | null): Promise<void> {
    if (code !== null) checkStatusCode(code);
    this.switches.optionsCode = code ?? 0;
    await this.setShared('options_code', this.switches.optionsCode);
  }

  async setIntervalTooBriefBelow(seconds: number | null): Promise<void> {
    if (seconds !== null && !(Number.isInteger(seconds) && seconds > 0)) throw new Error(`bad seconds: ${seconds}`);
    this.switches.minExpires423 = seconds ?? 0;
    await this.setShared('min_expires_423', this.switches.minExpires423);
  }

  async setDropAll(on: boolean): Promise<void> {
    this.switches.dropAll = on;
    await this.setShared('drop_all', on ? 1 : 0);
  }

  /** While killed the switch lives only in `switches`; start() renders it into the config. */
  private async setShared(name: string, value: number | string): Promise<void> {
    if (!this.child) return;
    // kamcmd guesses argument types; `s:` forces a string even for "503".
    const typed = typeof value === 'number' ? ['int', String(value)] : ['str', `s:${value}`];
    await this.rpc(['pv.shvSet', name, ...typed]);
  }

  async contactCount(): Promise<number> {
    const stats = await this.rpc(['stats.get_statistics', 'usrloc:']);
    const match = /location_contacts\s*=\s*(\d+)/.exec(stats);
    if (!match) throw new Error(`kamailio ${this.name}: no location_contacts in ${JSON.stringify(stats)}`);
    return Number(match[1]);
  }

  async bindings(aor?: string): Promise<Binding[]> {
    const all = parseUlDump(await this.rpc(['ul.dump']));
    if (aor === undefined) return all;
    const user = aor.split('@')[0];
    return all.filter((b) => b.aor === aor || b.aor === user);
  }

  wire(filter: Partial<Pick<WireRecord, 'method' | 'fromUser'>> = {}): WireRecord[] {
    return this.records.filter(
      (r) => (filter.method === undefined || r.method === filter.method) && (filter.fromUser === undefined || r.fromUser === filter.fromUser),
    );
  }

  waitForWire(pred: (r: WireRecord) => boolean, timeoutMs: number): Promise<WireRecord> {
    const seen = this.records.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const onRecord = (record: WireRecord): void => {
        if (!pred(record)) return;
        cleanup();
        resolve(record);
      };
      const timer = setTimeout(() => {
        cleanup();
        const methods = this.records.map((r) => r.method).join(' ') || 'nothing';
        reject(new Error(`kamailio ${this.name}: no matching request within ${timeoutMs} ms (received: ${methods})`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.events.off('wire', onRecord);
      };
      this.events.on('wire', onRecord);
    });
  }

  clearWire(): void {
    this.records = [];
  }

  logTail(lines = 50): string {
    return this.logLines.slice(-lines).join('\n');
  }

  private onLine(line: string): void {
    this.log(line);
    const record = parseWireLine(line, Date.now());
    if (!record) return;
    this.records.push(record);
    this.events.emit('wire', record);
  }

  private log(line: string): void {
    this.logLines.push(line);
    if (this.logLines.length > LOG_LINES_KEPT) this.logLines.splice(0, this.logLines.length - LOG_LINES_KEPT);
  }

  private async rpc(args: string[]): Promise<string> {
    let stdout: string;
    try {
      ({ stdout } = await run('kamcmd', ['-s', `unix:${this.ctlSocket}`, ...args], { timeout: RPC_TIMEOUT_MS }));
    } catch (error) {
      const { stderr, killed } = error as { stderr?: string; killed?: boolean };
      const hint = killed ? ' (timed out: frozen?)' : '';
      throw new Error(`kamcmd ${args[0]} on ${this.name} failed${hint}: ${(stderr || String(error)).trim()}`);
    }
    // kamcmd exits 0 even when the RPC itself fails; it then prints `error: <code> - <reason>`.
    if (stdout.startsWith('error:')) throw new Error(`kamcmd ${args.join(' ')} on ${this.name}: ${stdout.trim()}`);
    return stdout;
  }
}

function resolveSettings(opts: KamailioOptions): Omit<Settings, 'ip'> {
  if (opts.peerIp !== undefined && !/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(opts.peerIp)) throw new Error(`bad peerIp: ${opts.peerIp} (a 127.x.y.z loopback address)`);
  const domain = opts.domain ?? 'trunkline.test';
  if (opts.authAlgorithm !== undefined && opts.authAlgorithm !== 'MD5' && opts.authAlgorithm !== 'SHA-256') {
    throw new Error(`bad authAlgorithm: ${String(opts.authAlgorithm)} (MD5 or SHA-256)`);
  }
  if (!/^[A-Za-z0-9.-]+$/.test(domain)) throw new Error(`bad domain: ${domain}`);
  const users = opts.users ?? {};
  for (const [user, password] of Object.entries(users)) {
    // The user name becomes an htable key inside `$sht(users=>…)`: keep it to plain SIP user characters.
    if (!/^[A-Za-z0-9._~+-]+$/.test(user)) throw new Error(`bad user name: ${user}`);
    checkConfigString(password, `password of ${user}`, true);
  }
  return {
    name: opts.name,
    domain,
    users,
    minExpires: opts.minExpires ?? 10,
    maxExpires: opts.maxExpires ?? 7200,
    defaultExpires: opts.defaultExpires ?? 3600,
    authAlgorithm: opts.authAlgorithm ?? 'MD5',
    peerIp: opts.peerIp ?? null,
  };
}

function checkStatusCode(code: number): void {
  if (!Number.isInteger(code) || code < 100 || code > 699) throw new Error(`bad SIP status code: ${code}`);
}

/** Values end up in quoted config strings; `"` and `\` are escaped only where `escaped` is allowed. */
function checkConfigString(value: string, what: string, escaped = false): void {
  const bad = escaped ? /[\x00-\x1f\x7f]/ : /[\x00-\x1f\x7f"\\]/;
  if (bad.test(value)) throw new Error(`${what} has characters the Kamailio config cannot carry`);
}

function renderConfig(settings: Settings, switches: Switches, runtimeDir: string): string {
  const users = Object.entries(settings.users)
    .map(([user, password]) => `\t$sht(users=>${user}) = "${password.replace(/[\\"]/g, (c) => `\\${c}`)}";`)
    .join('\n');
  const values: Record<string, string | number> = {
    IP: settings.ip,
    UDP_PORT: PORTS.udp,
    TCP_PORT: PORTS.tcp,
    TLS_PORT: PORTS.tls,
    WS_PORT: PORTS.ws,
    WSS_PORT: PORTS.wss,
    DOMAIN: settings.domain,
    RUNTIME_DIR: runtimeDir,
    USERS: users,
    MIN_EXPIRES: settings.minExpires,
    MAX_EXPIRES: settings.maxExpires,
    DEFAULT_EXPIRES: settings.defaultExpires,
    DROP_ALL: switches.dropAll ? 1 : 0,
    REGISTER_CODE: switches.registerCode,
    REGISTER_REASON: switches.registerReason,
    OPTIONS_CODE: switches.optionsCode,
    MIN_EXPIRES_423: switches.minExpires423,
    REGISTER_RETRY_AFTER: switches.registerRetryAfter,
    CLOSE_AFTER_REGISTER: 0,
    INVITE_CODE: switches.inviteCode,
    INVITE_REASON: switches.inviteReason,
    // A TLS/WS client is record-routed twice (its listener and UDP/TCP), so every port is an alias.
    PEER_ALIASES: settings.peerIp === null ? '' : [...new Set(Object.values(PORTS))].map((port) => `alias=${settings.peerIp}:${port}`).join('\n'),
    // Kamailio 5.6 auth `algorithm`: unset means MD5 without an algorithm parameter (RFC 2617).
    AUTH_ALGORITHM: settings.authAlgorithm === 'SHA-256' ? 'modparam("auth", "algorithm", "SHA-256")' : '',
  };
  return readFileSync(TEMPLATE_PATH, 'utf8').replace(/\{\{([A-Z0-9_]+)\}\}/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`kamailio.cfg: no value for {{${key}}}`);
    return String(value);
  });
}

/** `WIRE|method|proto|ip|port|b64 call-id|b64 cseq|b64 from user|b64 expires|b64 contact|b64 privacy|0/1|b64 via`; '-' = absent. */
function parseWireLine(line: string, time: number): WireRecord | null {
  const at = line.indexOf(WIRE_MARKER);
  if (at < 0) return null;
  const fields = line.slice(at + WIRE_MARKER.length).trimEnd().split('|');
  if (fields.length !== 12) return null;
  const [method, proto, srcIp, srcPort, callId, cseq, fromUser, expires, contact, privacy, auth, via] = fields as [
    string, string, string, string, string, string, string, string, string, string, string, string,
  ];
  const decode = (value: string): string | null => (value === '-' ? null : Buffer.from(value, 'base64').toString('utf8'));
  return {
    time,
    method,
    proto,
    srcIp,
    srcPort: Number(srcPort),
    callId: decode(callId) ?? '',
    cseq: decode(cseq) ?? '',
    fromUser: decode(fromUser) ?? '',
    expiresHeader: decode(expires),
    contact: decode(contact),
    privacy: decode(privacy),
    authorization: auth === '1',
    via: decode(via) ?? '',
  };
}

/** kamcmd prints RPC structs as `Key: value` lines and `Key: {` … `}` blocks; repeated keys become arrays. */
interface RpcNode {
  [key: string]: (string | RpcNode)[];
}

function parseRpcTree(text: string): RpcNode {
  const root: RpcNode = {};
  const stack: RpcNode[] = [root];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line === '{') continue;
    if (line === '}') {
      if (stack.length > 1) stack.pop();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    const top = stack[stack.length - 1] as RpcNode;
    const list = (top[key] ??= []);
    if (value === '{') {
      const child: RpcNode = {};
      list.push(child);
      stack.push(child);
    } else {
      list.push(value);
    }
  }
  return root;
}

function* nodesWith(node: RpcNode, key: string): Generator<RpcNode> {
  if (key in node) yield node;
  for (const values of Object.values(node)) {
    for (const value of values) if (typeof value !== 'string') yield* nodesWith(value, key);
  }
}

const field = (node: RpcNode, key: string): string | undefined => {
  const value = node[key]?.[0];
  return typeof value === 'string' && value !== '[not set]' ? value : undefined;
};

/** Bindings from `kamcmd ul.dump`; contacts shown as expired or deleted are left out. */
function parseUlDump(dump: string): Binding[] {
  const bindings: Binding[] = [];
  for (const info of nodesWith(parseRpcTree(dump), 'AoR')) {
    const aor = field(info, 'AoR') ?? '';
    for (const contacts of info['Contacts'] ?? []) {
      if (typeof contacts === 'string') continue;
      for (const contact of contacts['Contact'] ?? []) {
        if (typeof contact === 'string') continue;
        const expiresText = field(contact, 'Expires') ?? '';
        const expires = expiresText === 'permanent' ? Infinity : Number(expiresText);
        if (!Number.isFinite(expires) && expires !== Infinity) continue;
        const userAgent = field(contact, 'User-Agent');
        bindings.push({
          aor,
          contact: field(contact, 'Address') ?? '',
          expires,
          callId: field(contact, 'Call-ID') ?? '',
          cseq: Number(field(contact, 'CSeq') ?? NaN),
          received: field(contact, 'Received') ?? null,
          ...(userAgent === undefined ? {} : { userAgent }),
        });
      }
    }
  }
  return bindings;
}

async function makeCertificate(dir: string, ip: string): Promise<{ pem: string; fingerprint256: string }> {
  // A server leaf (CA:FALSE) that is also its own trust anchor: Node accepts it through `ca`.
  const opensslConfig = [
    '[req]',
    'distinguished_name = dn',
    'x509_extensions = ext',
    'prompt = no',
    '[dn]',
    'CN = trunkline-test',
    '[ext]',
    'basicConstraints = critical, CA:FALSE',
    'keyUsage = critical, digitalSignature, keyEncipherment',
    'extendedKeyUsage = serverAuth',
    `subjectAltName = IP:${ip}, DNS:localhost`,
    '',
  ].join('\n');
  const configPath = join(dir, 'openssl.cnf');
  await writeFile(configPath, opensslConfig);
  const certPath = join(dir, 'cert.pem');
  await run('openssl', [
    'req', '-x509', '-config', configPath, '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
    '-nodes', '-days', '7', '-keyout', join(dir, 'key.pem'), '-out', certPath,
  ], { timeout: 10_000 });
  const pem = await readFile(certPath, 'utf8');
  return { pem, fingerprint256: new X509Certificate(pem).fingerprint256 };
}

/**
 * 127.<pid-derived>.<pid-derived>.<thread+counter>: test files run in separate processes (or
 * threads), so their instances never share an address and every port can stay at its default.
 * An address held by a live (maybe killed) instance, or busy with a leftover of another run, is skipped.
 * Exported for pairs whose instances must know each other's address before they start (`peerIp`).
 */
export async function pickLoopbackIp(): Promise<string> {
  const pid = process.pid;
  for (let attempt = 0; attempt < 20; attempt++) {
    const slot = (threadId % 16) * 15 + (state.instanceCounter++ % 15);
    const ip = `127.${1 + ((pid >> 8) % 254)}.${pid & 255}.${1 + slot}`;
    if ([...state.live].some((server) => server.ip === ip)) continue;
    if (await portsFree(ip)) return ip;
  }
  throw new Error('no free loopback address for kamailio after 20 tries');
}

async function portsFree(ip: string): Promise<boolean> {
  const tcpPorts = [...new Set([PORTS.tcp, PORTS.tls, PORTS.ws, PORTS.wss])];
  const results = await Promise.all([canBindUdp(ip, PORTS.udp), ...tcpPorts.map((port) => canBindTcp(ip, port))]);
  return results.every(Boolean);
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

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Pids in a process group, with their parent: read from /proc (Linux only, like Kamailio here). */
function groupMembers(pgid: number): { pid: number; ppid: number }[] {
  const members: { pid: number; ppid: number }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [, ppid, pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid) members.push({ pid: Number(entry), ppid: Number(ppid) });
    } catch {
      // the process ended while we looked
    }
  }
  return members;
}

/**
 * SIGKILL a Kamailio group, children first: while the main process lives it reaps them. Killed all
 * at once they are orphaned to PID 1, and a PID 1 that does not reap (some containers) collects
 * a dozen zombies per kill. SIGCONT lets a frozen main process do that reaping.
 */
async function killGroup(mainPid: number): Promise<void> {
  for (const { pid } of groupMembers(mainPid)) if (pid !== mainPid) signal(pid, 'SIGKILL');
  signal(mainPid, 'SIGCONT');
  for (let attempt = 0; attempt < 20; attempt++) {
    if (!groupMembers(mainPid).some((m) => m.ppid === mainPid)) break;
    await delay(25);
  }
  signal(-mainPid, 'SIGKILL');
}

function settles(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  return Promise.race([promise.then(() => true), timeout]).finally(() => clearTimeout(timer));
}

/** Kills instances left by a test worker that died without stop(); their dir names carry its pid. */
async function sweepOrphans(): Promise<void> {
  const pattern = new RegExp(`^${RUNTIME_PREFIX}(\\d+)-`);
  for (const entry of await readdir(tmpdir())) {
    const owner = Number(pattern.exec(entry)?.[1]);
    if (!owner || owner === process.pid || isAlive(owner)) continue;
    const dir = join(tmpdir(), entry);
    const pid = Number(await readFile(join(dir, 'kamailio.pid'), 'utf8').catch(() => ''));
    const comm = pid ? await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '') : '';
    if (comm.trim() === 'kamailio') await killGroup(pid);
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
