/**
 * RFC 3263 §4 (client usage): turns one configured server entry — host, optional port, transport —
 * into an ordered list of targets (IP address, port, transport) to try one after another.
 *
 *   host is an IP literal ──────────────► that address; given or default port; no DNS
 *   explicit port ──────────────────────► A/AAAA of the host (§4.2), no NAPTR/SRV
 *   name without port ─► NAPTR (§4.1) ──► SRV of each usable record's replacement
 *                          │ none usable
 *                          ▼
 *                        SRV _sip._udp / _sip._tcp / _sips._tcp / _sip._ws / _sips._ws (§4.1)
 *                          │ none                        │ found
 *                          ▼                             ▼
 *                        A/AAAA of the host,           A/AAAA of every SRV target (§4.2),
 *                        default port (§4.2)           RFC 2782 order (§4.3)
 *
 * DNS is Node's `dns.promises.Resolver` (c-ares): no DNS packets of our own. Results are cached
 * until the smallest TTL of the records used runs out. Node reports TTLs for A/AAAA only
 * (`resolve4/resolve6` with `{ ttl: true }`; `resolveNaptr`, `resolveSrv` and `resolveAny` carry
 * none for NAPTR/SRV), so a NAPTR or SRV record counts with `unknownTtlSeconds` (default 300 s,
 * a common zone TTL). Failures are not cached: the line's retry schedule decides when to ask again.
 *
 * Failure policy: "absent" answers (NXDOMAIN, NODATA) move the walk to its next step. A NAPTR or
 * SRV query that fails otherwise (timeout, REFUSED, SERVFAIL — home forwarders do this to record
 * types they do not know) is stepped over too, so the A/AAAA fallback still gets its chance; an
 * address query that fails ends the location. Every location is bounded by `deadlineMs`.
 */
import { isIP } from 'node:net';
import { Resolver } from 'node:dns/promises';
import type { TransportKind } from '../../common/line-config';
import { DEFAULT_PORTS } from '../../common/line-config';
import type { Clock, Random } from './clock';
import { systemClock, systemRandom } from './clock';
import { orderSrv } from './dns-srv-order';

/** A server entry as the locator needs it (a subset of the line's server configuration). */
export interface ServerToLocate {
  /** DNS name, IPv4 literal or bracketed IPv6 literal ("[2001:db8::1]"). A trailing dot is allowed. */
  host: string;
  /**
   * The port only when the user gave one: an explicit port means "no SRV" (RFC 3263 §4.2).
   * Pass `undefined` when the configuration fell back to the default port.
   */
  port?: number;
  /**
   * The configured transport: only NAPTR/SRV records of this transport are used. `undefined`
   * lets NAPTR (or, without NAPTR, the first transport with SRV records) choose.
   */
  transport?: TransportKind;
}

/** How a target was found, for traces and the panel. */
export type TargetSource = 'ip-literal' | 'a-aaaa' | 'srv' | 'naptr-srv';

/** One place to send SIP to: a failover candidate inside one server entry. */
export interface ServerTarget {
  /** IPv4 or IPv6 address, without brackets. */
  address: string;
  /** UDP/TCP port. */
  port: number;
  transport: TransportKind;
  /** The name the address belongs to: the SRV target, or the configured host when SRV was not used. */
  host: string;
  /** SRV priority (lower first); 0 when SRV was not used. */
  priority: number;
  /** SRV weight; 0 when SRV was not used. */
  weight: number;
  /** Epoch ms after which the DNS data behind this target is stale; `Infinity` for an IP literal. */
  expiresAt: number;
  source: TargetSource;
}

/** Why a server could not be located. */
export type LocationFailureKind =
  | 'nxdomain' // the name does not exist
  | 'no-records' // the name exists but has none of the records asked for
  | 'declined' // RFC 2782: the only SRV target is "." — the service is decidedly not offered
  | 'timeout' // no answer within the resolver's tries, or the overall deadline passed
  | 'refused' // the DNS server refused to answer (e.g. not its zone and no recursion)
  | 'server-failure' // SERVFAIL
  | 'unreachable' // no DNS server reachable (port unreachable, no route)
  | 'bad-response'; // malformed or unexpected answer

/** A failed location. `message` names the host and the cause, ready for a person. */
export class ServerLocationError extends Error {
  override readonly name = 'ServerLocationError';

  constructor(
    /** The configured host that could not be located. */
    readonly host: string,
    readonly kind: LocationFailureKind,
    message: string,
    /** The c-ares code behind it (e.g. "ENOTFOUND"), when there was one. */
    readonly dnsCode?: string,
  ) {
    super(message);
  }
}

/** Node's NAPTR and SRV shapes, restated so a test resolver need not import node:dns. */
export interface NaptrAnswer {
  flags: string;
  service: string;
  regexp: string;
  replacement: string;
  order: number;
  preference: number;
}
export interface SrvAnswer {
  name: string;
  port: number;
  priority: number;
  weight: number;
}
export interface AddressAnswer {
  address: string;
  /** Seconds. */
  ttl: number;
}

/** The part of `dns.promises.Resolver` the locator uses. Errors carry c-ares codes in `code`. */
export interface DnsResolver {
  resolveNaptr(name: string): Promise<NaptrAnswer[]>;
  resolveSrv(name: string): Promise<SrvAnswer[]>;
  resolve4(name: string, options: { ttl: true }): Promise<AddressAnswer[]>;
  resolve6(name: string, options: { ttl: true }): Promise<AddressAnswer[]>;
  /** Rejects every outstanding query with ECANCELLED. */
  cancel(): void;
}

export interface ServerLocatorOptions {
  /**
   * DNS servers as in common/dns-config.ts (`"127.0.0.1:5353"`, `"[::1]:53"`); empty or absent:
   * the system's resolvers.
   */
  servers?: readonly string[];
  /** Per-try wait for an answer, ms (c-ares lengthens later tries). Default 2000. */
  timeoutMs?: number;
  /** Tries per query and server. Default 2. */
  tries?: number;
  /** Hard bound on one whole location (all queries of all steps), ms. Default 10 000. */
  deadlineMs?: number;
  /** TTL assumed for NAPTR and SRV records, whose TTL Node does not report; seconds. Default 300. */
  unknownTtlSeconds?: number;
  /** Which address family of a target is tried first. Default 'ipv4first'. */
  addressOrder?: 'ipv4first' | 'ipv6first';
  clock?: Clock;
  /** For the RFC 2782 weighted draw; [0, 1). */
  random?: Random;
  /** Makes the resolver for one location; default: Node's, set to `servers`. For unit tests. */
  createResolver?: (settings: { servers: readonly string[]; timeoutMs: number; tries: number }) => DnsResolver;
}

/** RFC 3263 §4.1 and RFC 7118 §5: NAPTR service field → transport. */
const NAPTR_SERVICES: Readonly<Record<string, TransportKind>> = {
  'SIP+D2U': 'udp',
  'SIP+D2T': 'tcp',
  'SIPS+D2T': 'tls',
  'SIP+D2W': 'ws',
  'SIPS+D2W': 'wss',
};

/** RFC 3263 §4.1 SRV service/protocol labels per transport (RFC 7118 §5 for WebSocket). */
const SRV_PREFIXES: Readonly<Record<TransportKind, string>> = {
  udp: '_sip._udp',
  tcp: '_sip._tcp',
  tls: '_sips._tcp',
  ws: '_sip._ws',
  wss: '_sips._ws',
};

/** Without NAPTR and without a fixed transport, SRV names are tried in this order of preference. */
const TRANSPORT_PREFERENCE: readonly TransportKind[] = ['udp', 'tcp', 'tls', 'ws', 'wss'];

const DEFAULTS = { timeoutMs: 2000, tries: 2, deadlineMs: 10_000, unknownTtlSeconds: 300 } as const;

/** Query outcomes the walk continues past (the next step may still find something). */
const ABSENT_CODES = new Set(['ENODATA', 'ENOTFOUND']);

interface CacheEntry {
  targets: ServerTarget[];
  expiresAt: number;
}

/** One SRV target (or the bare host) with its addresses, before ordering. */
interface Candidate {
  host: string;
  /** `host` again, under the name orderSrv sorts by. */
  name: string;
  port: number;
  transport: TransportKind;
  priority: number;
  weight: number;
  addresses: string[];
  source: TargetSource;
}

/**
 * Locates servers and caches the answers per (host, port, transport) until their TTL runs out.
 * One instance per resolver setting; share it between lines so one name is asked once.
 */
export class ServerLocator {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly inFlight = new Map<string, Promise<CacheEntry>>();
  /** Bumped by clear(): an answer asked for before it must not enter the cache after it. */
  private generation = 0;
  private readonly servers: readonly string[];
  private readonly timeoutMs: number;
  private readonly tries: number;
  private readonly deadlineMs: number;
  private readonly unknownTtlSeconds: number;
  private readonly ipv6First: boolean;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly createResolver: NonNullable<ServerLocatorOptions['createResolver']>;

  constructor(options: ServerLocatorOptions = {}) {
    this.servers = [...(options.servers ?? [])];
    this.timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
    this.tries = options.tries ?? DEFAULTS.tries;
    this.deadlineMs = options.deadlineMs ?? DEFAULTS.deadlineMs;
    this.unknownTtlSeconds = options.unknownTtlSeconds ?? DEFAULTS.unknownTtlSeconds;
    this.ipv6First = options.addressOrder === 'ipv6first';
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? systemRandom;
    this.createResolver = options.createResolver ?? nodeResolver;
  }

  /**
   * The targets of one server entry, in the order to try them: NAPTR order/preference, then SRV
   * priority ascending with RFC 2782 weighted order inside a priority, then every address of a
   * target (IPv4 first unless `addressOrder` says otherwise). Never empty.
   *
   * The order is drawn once per DNS answer and kept while the answer is cached, so calling again
   * within the TTL gives the same list: walk it, don't re-ask after each failure.
   *
   * @throws ServerLocationError naming the host and why (NXDOMAIN, no records, timeout, …).
   */
  async locate(server: ServerToLocate): Promise<ServerTarget[]> {
    const literal = ipLiteral(server.host);
    if (literal !== null) {
      // RFC 3263 §4.1/§4.2: a numeric IP needs no DNS; UDP and the default port unless given.
      const transport = server.transport ?? 'udp';
      return [{
        address: literal, port: server.port ?? DEFAULT_PORTS[transport], transport, host: server.host,
        priority: 0, weight: 0, expiresAt: Infinity, source: 'ip-literal',
      }];
    }
    const key = cacheKey(server);
    const cached = this.cache.get(key);
    if (cached && cached.expiresAt > this.clock.now()) return cached.targets.map((t) => ({ ...t }));
    let pending = this.inFlight.get(key);
    if (!pending) {
      const generation = this.generation;
      const started = this.resolve(server);
      pending = started;
      this.inFlight.set(key, started);
      void started.then((entry) => {
        if (generation === this.generation && entry.expiresAt > this.clock.now()) this.cache.set(key, entry);
      }, () => undefined).finally(() => {
        if (this.inFlight.get(key) === started) this.inFlight.delete(key);
      });
    }
    const entry = await pending;
    return entry.targets.map((t) => ({ ...t }));
  }

  /** Forgets every cached answer, e.g. after a network change (split-horizon DNS may now differ). */
  clear(): void {
    this.generation++;
    this.cache.clear();
    this.inFlight.clear();
  }

  private async resolve(server: ServerToLocate): Promise<CacheEntry> {
    const resolver = this.createResolver({ servers: this.servers, timeoutMs: this.timeoutMs, tries: this.tries });
    const walk = new Walk(resolver, server, this.servers, this.clock.now());
    let deadlinePassed = false;
    const deadline = this.clock.setTimer(() => {
      deadlinePassed = true;
      resolver.cancel();
    }, this.deadlineMs);
    try {
      const candidates = await walk.run();
      const expiresAt = walk.startedAt + walk.minTtlSeconds(this.unknownTtlSeconds) * 1000;
      return { targets: this.order(candidates, expiresAt), expiresAt };
    } catch (error) {
      if (deadlinePassed) {
        throw new ServerLocationError(server.host, 'timeout', `DNS gave no answer locating ${bare(server.host)} within ${this.deadlineMs / 1000} s (${serversText(this.servers)})`, 'ECANCELLED');
      }
      throw error;
    } finally {
      this.clock.clearTimer(deadline);
      // Queries still out after a failure elsewhere (side-by-side SRV lookups) stop here.
      resolver.cancel();
    }
  }

  private order(candidates: Candidate[][], expiresAt: number): ServerTarget[] {
    const targets: ServerTarget[] = [];
    const seen = new Set<string>();
    for (const group of candidates) {
      // RFC 3263 §4.3 → RFC 2782: priority first, then the weighted draw.
      for (const c of orderSrv(group, this.random)) {
        const addresses = this.ipv6First
          ? [...c.addresses.filter((a) => isIP(a) === 6), ...c.addresses.filter((a) => isIP(a) !== 6)]
          : [...c.addresses.filter((a) => isIP(a) !== 6), ...c.addresses.filter((a) => isIP(a) === 6)];
        for (const address of addresses) {
          // The same address reached by two NAPTR/SRV paths is one candidate: trying it twice
          // would only repeat the same failure.
          const id = `${address}|${c.port}|${c.transport}`;
          if (seen.has(id)) continue;
          seen.add(id);
          targets.push({ address, port: c.port, transport: c.transport, host: c.host, priority: c.priority, weight: c.weight, expiresAt, source: c.source });
        }
      }
    }
    return targets;
  }
}

/**
 * One location's DNS walk: asks, remembers the TTLs it saw, the names that do not exist and the
 * NAPTR/SRV failures it stepped over, for the error message. Lives for one `resolve` only.
 */
class Walk {
  private readonly ttls: number[] = [];
  private usedUnknownTtl = false;
  /** Names that answered NXDOMAIN, lower-case: the error then says "does not exist". */
  private readonly nxdomain = new Set<string>();
  /** The first NAPTR/SRV query that failed and was skipped; told in a "no records" error. */
  private skipped: ServerLocationError | undefined;

  constructor(
    private readonly resolver: DnsResolver,
    private readonly server: ServerToLocate,
    private readonly servers: readonly string[],
    readonly startedAt: number,
  ) {}

  minTtlSeconds(unknownTtlSeconds: number): number {
    const all = this.usedUnknownTtl ? [...this.ttls, unknownTtlSeconds] : this.ttls;
    return all.length ? Math.max(0, Math.min(...all)) : 0;
  }

  async run(): Promise<Candidate[][]> {
    const host = bare(this.server.host);
    const fixed = this.server.transport;
    if (this.server.port !== undefined) {
      // RFC 3263 §4.2: "If the TARGET was not a numeric IP address, but a port is present in the
      // URI, the client performs an A or AAAA record lookup" — no SRV.
      const addresses = await this.addresses(host, 'host');
      return [[{ host, name: host, port: this.server.port, transport: fixed ?? 'udp', priority: 0, weight: 0, addresses, source: 'a-aaaa' }]];
    }

    // RFC 3263 §4.1: NAPTR first. With a fixed transport RFC 3263 would go straight to SRV; we
    // still read NAPTR and keep only records of that transport, because a NAPTR replacement may
    // name an SRV owner other than `_sip._udp.<host>`. Without such a record, the SRV name of the
    // transport is asked directly below, which is the RFC's own path.
    const naptr = (await this.query(() => this.resolver.resolveNaptr(host), host, 'naptr-srv')) ?? [];
    const usable = naptr
      // RFC 3263 §4.1: only "S" records (then SRV) with a SIP D2x service we speak.
      .filter((r) => r.flags.toUpperCase() === 'S' && r.replacement !== '' && r.replacement !== '.')
      .map((r) => ({ record: r, transport: NAPTR_SERVICES[r.service.toUpperCase()] }))
      .filter((r): r is { record: NaptrAnswer; transport: TransportKind } => r.transport !== undefined && (fixed === undefined || r.transport === fixed))
      // RFC 3403 §4.1: lowest order first, then lowest preference.
      .sort((a, b) => a.record.order - b.record.order || a.record.preference - b.record.preference);
    if (usable.length) this.usedUnknownTtl = true;

    const groups: Candidate[][] = [];
    let declined = false;
    for (const { record, transport } of usable) {
      const found = await this.srvCandidates(bare(record.replacement), transport, 'naptr-srv');
      if (found === 'declined') declined = true;
      else if (found.length) groups.push(found);
    }

    if (!groups.length && !declined) {
      // RFC 3263 §4.1: no usable NAPTR → SRV for the transports we may use; a fixed transport
      // asks only its own name. Asked side by side: the answers are independent.
      const transports = fixed ? [fixed] : TRANSPORT_PREFERENCE;
      const found = await Promise.all(transports.map((t) => this.srvCandidates(`${SRV_PREFIXES[t]}.${host}`, t, 'srv')));
      for (const f of found) {
        if (f === 'declined') declined = true;
        else if (f.length) groups.push(f);
      }
      // Without a fixed transport any one transport the server offers will do (RFC 3263 §4.1
      // "The client MAY use any transport protocol it desires which is supported by the server").
    }

    if (groups.length) return groups;
    if (declined) {
      throw new ServerLocationError(this.server.host, 'declined', `${host} declines SIP service (its SRV target is ".")`);
    }

    // RFC 3263 §4.2: no SRV → A/AAAA of the host itself, default port of the transport.
    const transport = fixed ?? 'udp';
    const addresses = await this.addresses(host, 'fallback');
    return [[{ host, name: host, port: DEFAULT_PORTS[transport], transport, priority: 0, weight: 0, addresses, source: 'a-aaaa' }]];
  }

  /** The candidates of one SRV owner name; [] when it has no SRV records; 'declined' for ".". */
  private async srvCandidates(owner: string, transport: TransportKind, source: TargetSource): Promise<Candidate[] | 'declined'> {
    const records = await this.query(() => this.resolver.resolveSrv(owner), owner, 'naptr-srv');
    if (!records?.length) return [];
    this.usedUnknownTtl = true;
    // RFC 2782: "A Target of '.' means that the service is decidedly not available at this domain."
    const real = records.filter((r) => r.name !== '' && r.name !== '.');
    if (!real.length) return 'declined';
    // One dead SRV target must not hide the others (RFC 3263 §4.3: they are alternatives).
    const resolved = await Promise.allSettled(real.map((r) => this.addresses(bare(r.name), 'srv-target')));
    const candidates: Candidate[] = [];
    const failures: ServerLocationError[] = [];
    resolved.forEach((outcome, i) => {
      const r = real[i] as SrvAnswer;
      if (outcome.status === 'fulfilled') {
        candidates.push({ host: bare(r.name), name: bare(r.name), port: r.port, transport, priority: r.priority, weight: r.weight, addresses: outcome.value, source });
      } else if (outcome.reason instanceof ServerLocationError) {
        failures.push(outcome.reason);
      } else {
        throw outcome.reason;
      }
    });
    if (candidates.length) return candidates;
    // Every target failed: a DNS failure (timeout, …) says more than the absent ones.
    const hard = failures.find((f) => f.kind !== 'nxdomain' && f.kind !== 'no-records');
    if (hard) throw hard;
    const names = real.map((r, i) => `${bare(r.name)} (${failures[i]?.kind === 'nxdomain' ? 'NXDOMAIN' : 'no A/AAAA'})`);
    throw new ServerLocationError(this.server.host, 'no-records', `no A/AAAA records for the SRV targets of ${owner}: ${names.join(', ')}`);
  }

  /**
   * A and AAAA of one name, with TTLs. `why` shapes the error: the host asked directly with its
   * port, the host as the last resort after NAPTR/SRV, or an SRV target.
   */
  private async addresses(name: string, why: 'host' | 'fallback' | 'srv-target'): Promise<string[]> {
    const settled = await Promise.allSettled([
      this.query(() => this.resolver.resolve4(name, { ttl: true }), name, 'address'),
      this.query(() => this.resolver.resolve6(name, { ttl: true }), name, 'address'),
    ]);
    const answers = settled.flatMap((s) => (s.status === 'fulfilled' && s.value) || []);
    if (answers.length) {
      // One family is enough: a forwarder that drops or fails AAAA queries must not hide the
      // A records (and the other way round).
      for (const a of answers) this.ttls.push(a.ttl);
      return answers.map((a) => a.address);
    }
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    const host = why === 'srv-target' ? name : bare(this.server.host);
    if (this.nxdomain.has(name.toLowerCase())) {
      throw new ServerLocationError(this.server.host, 'nxdomain', `${host} does not exist (NXDOMAIN; ${serversText(this.servers)})`, 'ENOTFOUND');
    }
    const skipped = this.skipped ? `; ${this.skipped.message}` : '';
    const what = why === 'fallback'
      ? `no SRV or A/AAAA records for ${host}${this.server.transport ? ` (transport ${this.server.transport})` : ''}${skipped}`
      : `no A/AAAA records for ${host}`;
    throw new ServerLocationError(this.server.host, 'no-records', what, 'ENODATA');
  }

  /**
   * One query: the answers, or null when the name or the record type is absent (the walk goes
   * on). A NAPTR or SRV query that fails otherwise is skipped too — home routers and old
   * forwarders drop, refuse or SERVFAIL record types they do not know, and the A/AAAA fallback
   * may still work — except when no DNS server is listening at all or the deadline has passed.
   * A failed address query ends the location with a reason naming the host.
   */
  private async query<T>(ask: () => Promise<T[]>, name: string, kind: 'naptr-srv' | 'address'): Promise<T[] | null> {
    try {
      return await ask();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
      if (ABSENT_CODES.has(code)) {
        if (code === 'ENOTFOUND') this.nxdomain.add(name.toLowerCase());
        return null;
      }
      const reason = failure(this.server.host, name, code, this.servers);
      if (kind === 'naptr-srv' && code !== 'ECONNREFUSED' && code !== 'ECANCELLED') {
        this.skipped ??= reason;
        return null;
      }
      throw reason;
    }
  }
}

/** Node's resolver with the configured servers, bounded per query by timeout and tries. */
function nodeResolver(settings: { servers: readonly string[]; timeoutMs: number; tries: number }): DnsResolver {
  const resolver = new Resolver({ timeout: settings.timeoutMs, tries: settings.tries });
  if (settings.servers.length) resolver.setServers([...settings.servers]);
  return resolver;
}

function failure(host: string, name: string, code: string, servers: readonly string[]): ServerLocationError {
  const asked = serversText(servers);
  const subject = name.toLowerCase() === bare(host).toLowerCase() ? bare(host) : `${bare(host)} (asking ${name})`;
  switch (code) {
    case 'ETIMEOUT':
    case 'ECANCELLED':
      return new ServerLocationError(host, 'timeout', `DNS timeout locating ${subject} (${asked})`, code);
    case 'EREFUSED':
      return new ServerLocationError(host, 'refused', `DNS server refused to resolve ${subject} (${asked})`, code);
    case 'ESERVFAIL':
      return new ServerLocationError(host, 'server-failure', `DNS server failure resolving ${subject} (${asked})`, code);
    case 'ECONNREFUSED':
    case 'ENETUNREACH':
    case 'EHOSTUNREACH':
      return new ServerLocationError(host, 'unreachable', `no DNS server reachable to locate ${subject} (${asked})`, code);
    default:
      return new ServerLocationError(host, 'bad-response', `DNS error ${code} locating ${subject} (${asked})`, code);
  }
}

/** "asked 127.0.0.1:5353" or "asked the system resolvers", for error messages. */
function serversText(servers: readonly string[]): string {
  return `asked ${servers.length ? servers.join(', ') : 'the system resolvers'}`;
}

/** The address inside an IP literal host ("[::1]" → "::1"), or null for a DNS name. */
function ipLiteral(host: string): string | null {
  const inner = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return isIP(inner) ? inner : null;
}

/** A DNS name without its root dot, as Node's resolver wants it and a person reads it. */
function bare(name: string): string {
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

function cacheKey(server: ServerToLocate): string {
  return `${bare(server.host).toLowerCase()}|${server.port ?? ''}|${server.transport ?? ''}`;
}

/**
 * How a target is named to a person, with the configured host it came from:
 * `sip.example.org → 127.0.0.7:5060/udp` (IPv6 in brackets). An IP literal shows as itself.
 */
export function targetLabel(configuredHost: string, target: Pick<ServerTarget, 'address' | 'port' | 'transport'>): string {
  const address = isIP(target.address) === 6 ? `[${target.address}]` : target.address;
  const endpoint = `${address}:${target.port}/${target.transport}`;
  return ipLiteral(configuredHost) !== null ? endpoint : `${bare(configuredHost)} → ${endpoint}`;
}

/**
 * One-shot location without a shared cache: a new locator per call. Lines should share one
 * `ServerLocator` instead, so TTLs save queries.
 */
export function locateServer(server: ServerToLocate, options: ServerLocatorOptions = {}): Promise<ServerTarget[]> {
  return new ServerLocator(options).locate(server);
}
