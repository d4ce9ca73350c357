/**
 * A real DNS server per test: Debian's dnsmasq on a loopback address and port of its own, serving
 * NAPTR, SRV and A/AAAA records given on its command line (nothing from /etc: no resolv.conf, no
 * hosts file, no config file, no upstream). Every query it receives is logged (`--log-queries` to
 * stderr), so a test can assert what reached the server — e.g. that a cached answer was asked for
 * again only after its TTL ran out.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { ensureSystemPackages } from './install';

const DNSMASQ = '/usr/sbin/dnsmasq';
/** dnsmasq-base has the binary without the system service that would grab port 53. */
const SYSTEM_PACKAGES = ['dnsmasq-base'];
const START_TIMEOUT_MS = 5_000;
const STOP_TIMEOUT_MS = 3_000;
const LOG_LINES_KEPT = 2_000;

/** `--naptr-record`: RFC 3403 fields. */
export interface NaptrRecordSpec {
  name: string;
  order: number;
  preference: number;
  /** "S" for SIP (then SRV). */
  flags: string;
  /** e.g. "SIP+D2U". */
  service: string;
  regexp?: string;
  /** The SRV owner name, e.g. "_sip._udp.example.test". */
  replacement: string;
}

/** `--srv-host`: one SRV record. */
export interface SrvRecordSpec {
  /** Owner name, e.g. "_sip._udp.example.test". */
  name: string;
  target: string;
  port: number;
  priority?: number;
  weight?: number;
}

/** `--host-record`: A/AAAA records of one name. */
export interface HostRecordSpec {
  name: string;
  /** IPv4 and/or IPv6 addresses; each becomes an A or AAAA record. */
  addresses: string[];
  /** Seconds; default: `localTtl`. */
  ttl?: number;
}

export interface DnsmasqOptions {
  /** For error messages. */
  name: string;
  naptr?: NaptrRecordSpec[];
  srv?: SrvRecordSpec[];
  hosts?: HostRecordSpec[];
  /**
   * TTL (seconds) of every answer from the command line that has no TTL of its own (`--local-ttl`).
   * dnsmasq's default is 0 ("do not cache"); default here 60.
   */
  localTtl?: number;
  /**
   * Zones answered from the command line only: an unknown name in them gets NXDOMAIN (instead of
   * REFUSED, dnsmasq's answer when it has no upstream). Default: the last label of every name given.
   */
  localZones?: string[];
}

/** One query as dnsmasq logged it. */
export interface DnsQueryRecord {
  /** Epoch ms when the harness read the line. */
  time: number;
  /** "A", "AAAA", "SRV", "NAPTR", … */
  type: string;
  name: string;
  from: string;
}

export interface DnsmasqInstance {
  readonly ip: string;
  readonly port: number;
  /** "ip:port", as the resolver setting (common/dns-config.ts) writes it. */
  readonly server: string;
  /** Queries received since start or clearQueries(), optionally filtered. */
  queries(filter?: Partial<Pick<DnsQueryRecord, 'type' | 'name'>>): DnsQueryRecord[];
  clearQueries(): void;
  /**
   * Resolves once `count` queries match the filter (dnsmasq logs a query a moment after answering
   * it); rejects after timeoutMs with the log tail.
   */
  waitForQueries(filter: Partial<Pick<DnsQueryRecord, 'type' | 'name'>>, count: number, timeoutMs: number): Promise<DnsQueryRecord[]>;
  /** The last lines dnsmasq wrote (default 40). */
  logTail(lines?: number): string;
  /** Kills dnsmasq and waits for it to exit; idempotent. */
  stop(): Promise<void>;
}

/** Every dnsmasq of this process, killed on exit so a crashed test leaves none behind. */
const live = new Set<ChildProcess>();
let exitHooked = false;
let counter = 0;

/** Starts dnsmasq and resolves once it has answered a query. */
export async function startDnsmasq(opts: DnsmasqOptions): Promise<DnsmasqInstance> {
  await ensureSystemPackages(SYSTEM_PACKAGES);
  if (!exitHooked) {
    exitHooked = true;
    process.once('exit', () => {
      for (const child of live) child.kill('SIGKILL');
    });
  }
  let lastError: unknown;
  // A port found free can be taken before dnsmasq binds it: try a few addresses.
  for (let attempt = 0; attempt < 5; attempt++) {
    const { ip, port } = await pickAddress();
    try {
      return await launch(opts, ip, port);
    } catch (error) {
      lastError = error;
      if (!String(error).includes('in use')) throw error;
    }
  }
  throw lastError;
}

async function launch(opts: DnsmasqOptions, ip: string, port: number): Promise<DnsmasqInstance> {
  const args = [
    '--no-daemon', '--no-resolv', '--no-hosts', '--conf-file=/dev/null', '--bind-interfaces',
    `--listen-address=${ip}`, `--port=${port}`, '--log-queries', '--log-facility=-',
    `--local-ttl=${opts.localTtl ?? 60}`,
    ...zones(opts).map((zone) => `--local=/${zone}/`),
    ...(opts.naptr ?? []).map((r) => `--naptr-record=${r.name},${r.order},${r.preference},${r.flags},${r.service},${r.regexp ?? ''},${r.replacement}`),
    ...(opts.srv ?? []).map((r) => `--srv-host=${r.name},${r.target},${r.port},${r.priority ?? 0},${r.weight ?? 0}`),
    ...(opts.hosts ?? []).flatMap((h) => h.addresses.map((a) => `--host-record=${h.name},${a}${h.ttl === undefined ? '' : `,${h.ttl}`}`)),
  ];
  const child = spawn(DNSMASQ, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  const lines: string[] = [];
  let records: DnsQueryRecord[] = [];
  const onLine = (line: string): void => {
    lines.push(line);
    if (lines.length > LOG_LINES_KEPT) lines.shift();
    const match = /query\[([A-Z0-9]+)\] (\S+) from (\S+)/.exec(line);
    if (match) records.push({ time: Date.now(), type: match[1] ?? '', name: match[2] ?? '', from: match[3] ?? '' });
  };
  createInterface({ input: child.stdout! }).on('line', onLine);
  createInterface({ input: child.stderr! }).on('line', onLine);
  const exited = new Promise<void>((resolve) => child.once('exit', () => {
    live.delete(child);
    resolve();
  }));
  let running = true;
  void exited.then(() => {
    running = false;
  });

  const stop = async (): Promise<void> => {
    if (!running) return;
    child.kill('SIGTERM');
    const done = await Promise.race([exited.then(() => true), delay(STOP_TIMEOUT_MS).then(() => false)]);
    if (!done) {
      child.kill('SIGKILL');
      await exited;
    }
  };

  try {
    await waitUntilAnswering(ip, port, () => running, () => lines.slice(-10).join('\n'), opts.name);
  } catch (error) {
    await stop();
    throw error;
  }
  // The readiness probe is not a query any test made.
  records = [];
  const server = `${ip}:${port}`;
  const queries = (filter: Partial<Pick<DnsQueryRecord, 'type' | 'name'>> = {}): DnsQueryRecord[] => records.filter((r) =>
    (filter.type === undefined || r.type === filter.type) && (filter.name === undefined || r.name.toLowerCase() === filter.name.toLowerCase()));
  return {
    ip,
    port,
    server,
    queries,
    waitForQueries: async (filter, count, timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = queries(filter);
        if (found.length >= count) return found;
        if (Date.now() > deadline) {
          throw new Error(`dnsmasq ${opts.name}: ${found.length} of ${count} queries ${JSON.stringify(filter)} after ${timeoutMs} ms:\n${lines.slice(-20).join('\n')}`);
        }
        await delay(20);
      }
    },
    clearQueries: () => {
      records = [];
    },
    logTail: (n = 40) => lines.slice(-n).join('\n'),
    stop,
  };
}

/** Zones to answer authoritatively: given, or the top-level label of every name in the records. */
function zones(opts: DnsmasqOptions): string[] {
  if (opts.localZones) return opts.localZones;
  const names = [
    ...(opts.naptr ?? []).flatMap((r) => [r.name, r.replacement]),
    ...(opts.srv ?? []).flatMap((r) => [r.name, r.target]),
    ...(opts.hosts ?? []).map((h) => h.name),
  ];
  return [...new Set(names.map((n) => n.replace(/\.$/, '').split('.').pop() ?? '').filter(Boolean))];
}

/** Polls with a real query until dnsmasq answers (any answer, NXDOMAIN included); bounded. */
async function waitUntilAnswering(ip: string, port: number, running: () => boolean, tail: () => string, name: string): Promise<void> {
  const resolver = new Resolver({ timeout: 200, tries: 1 });
  resolver.setServers([`${ip}:${port}`]);
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (!running()) throw new Error(`dnsmasq ${name} exited at start (${ip}:${port}):\n${tail()}`);
    try {
      await resolver.resolve4('harness-probe.invalid');
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Any DNS answer means it is listening; only silence or a closed port means "not yet".
      if (code !== 'ECONNREFUSED' && code !== 'ETIMEOUT') return;
    }
    await delay(50);
  }
  throw new Error(`dnsmasq ${name} did not answer on ${ip}:${port} within ${START_TIMEOUT_MS} ms:\n${tail()}`);
}

/** A fresh 127.53.x.y address and a port free for both UDP and TCP on it. */
async function pickAddress(): Promise<{ ip: string; port: number }> {
  const slot = counter++;
  const ip = `127.53.${(process.pid + Math.floor(slot / 250)) & 255}.${1 + (slot % 250)}`;
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await freeUdpPort(ip);
    if (await canBindTcp(ip, port)) return { ip, port };
  }
  throw new Error(`no port free for both UDP and TCP on ${ip}`);
}

function freeUdpPort(ip: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, ip, () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

function canBindTcp(ip: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: ip, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}
