/**
 * The mechanism to one server entry over a JsSIP UA (`ServerLink`): builds the REGISTER the
 * registration machine asks for (its Call-ID, CSeq, Contacts and expiries), runs it, and reads the
 * answer back into plain facts (code, CSeq, Retry-After, Min-Expires, the Contacts the registrar
 * lists and which of them are ours). It keeps no binding facts of its own: those are the machine's.
 *
 * Two things below the dialog live here too:
 * - RFC 3263 location: an entry whose host is a name without a port is located by NAPTR → SRV →
 *   A/AAAA (server-locator.ts); its targets are tried in order inside this entry (`nextTarget`),
 *   each over its own link (same Contact user and `+sip.instance`, so the dialog goes on). The
 *   targets are located again when the entry starts over or their TTL has passed.
 * - NAT (RFC 3581 §4, RFC 5626 §4.4): a response whose top Via `received`/`rport` differ from the
 *   address we sent from means a NAT; the public address then goes into our Contact (per
 *   `line.nat.rewriteContact`, `auto` = UDP only) and keepalives hold the pinhole open.
 */
import { isIP } from 'node:net';
import { URI } from 'jssip';
import type { LineConfig, ServerConfig } from '../../common/line-config';
import type { Clock, Random, TimerHandle } from './clock';
import type { IncomingResponse, OutgoingRequest } from './jssip-internals';
import { digestRefusalOf } from './jssip-digest';
import { buildRequest, cseqOf, internalsOf } from './jssip-internals';
import { parseRetryAfter } from './registration-schedule';
import type { ConnectResult, ListedContact, OptionsResult, RegisterRequest, RegisterResult, ServerChannel, Transaction } from './server-channel';
import type { TransactionResult } from './server-link';
import { randomToken, ServerLink } from './server-link';
import type { ServerLocator, ServerTarget } from './server-locator';
import { ServerLocationError, targetLabel } from './server-locator';
import type { TraceRecord } from './transport/sip-socket';

/** RFC 5626 §4.4.1 suggests keepalives well inside common NAT timeouts; SPEC default behind NAT. */
export const DEFAULT_NAT_KEEPALIVE_S = 30;
/** Contact rewrites allowed per connection: a NAT that maps every REGISTER anew must not loop us. */
const MAX_REWRITES_PER_CONNECTION = 3;

/** What the engine's resolver setting gives a channel. */
export interface ChannelDns {
  locator: ServerLocator;
  /** DNS servers were configured (split horizon): names with an explicit port are resolved by them too. */
  custom: boolean;
}

export interface JsSipChannelOptions {
  line: LineConfig;
  serverIndex: number;
  clock: Clock;
  random: Random;
  userAgent: string;
  onTrace: (record: TraceRecord) => void;
  /** The engine's current resolver setting; absent: hosts are resolved by the OS, no SRV. */
  dns?: () => ChannelDns;
  /** A new link replaced the one `link()` gave before (another located target): calls attach here. */
  onLink?: (link: ServerLink) => void;
  /**
   * Once per finished REGISTER or OPTIONS client transaction (a digest challenge ends one, its
   * authenticated retry is the next): the final code or what happened instead, and the round
   * trip in ms from sending the request (null without a response). Not called for an abandoned one.
   */
  onTransaction?: (outcome: ChannelTransactionOutcome) => void;
}

/** What `onTransaction` reports (the engine adds the line and server index). */
export interface ChannelTransactionOutcome {
  method: 'REGISTER' | 'OPTIONS';
  outcome: number | 'timeout' | 'transport-error';
  rttMs: number | null;
}

interface ParsedContact {
  getParam(name: string): string | undefined;
  uri: URI;
}

/** One spelling for a Contact URI, so what we sent and what the registrar lists compare equal. */
function canonicalContact(uri: { user?: string | null; host: string; port?: number | null; getParam(name: string): unknown }): string {
  const transport = uri.getParam('transport');
  const port = uri.port ? `:${uri.port}` : '';
  const user = uri.user ? `${uri.user}@` : '';
  return `sip:${user}${uri.host.toLowerCase()}${port}${typeof transport === 'string' ? `;transport=${transport.toLowerCase()}` : ''}`;
}

export class JsSipChannel implements ServerChannel {
  onConnectionLost: (() => void) | null = null;

  private serverLink: ServerLink;
  private readonly server: ServerConfig;
  /** Located targets of this entry (null: not located yet, or to be located again). */
  private targets: ServerTarget[] | null = null;
  private targetIndex = 0;
  /** The target the current link connects to (null: the configured host itself). */
  private linkTarget: ServerTarget | null = null;
  private natDetected = false;
  private rewrites = 0;
  private keepalive: TimerHandle | null = null;
  private keepaliveS = 0;
  private disposed = false;

  constructor(private readonly options: JsSipChannelOptions) {
    const server = options.line.servers[options.serverIndex];
    if (!server) throw new Error(`line ${options.line.id} has no server ${options.serverIndex}`);
    this.server = server;
    this.serverLink = this.newLink(null);
  }

  link(): ServerLink {
    return this.serverLink;
  }

  async connect(budgetMs: number): Promise<ConnectResult> {
    const { clock } = this.options;
    const started = clock.now();
    const located = await this.locate(budgetMs);
    // The machine connects only to send a REGISTER: not reaching the server ends that REGISTER.
    if (!located.ok) return this.reportFailedConnect(located);
    const connected = await this.serverLink.connect(Math.max(1, budgetMs - (clock.now() - started)));
    if (!connected.ok) return this.reportFailedConnect(connected);
    this.updateKeepalive();
    return { ok: true, contact: canonicalContact(internalsOf(this.serverLink.ua).contact.uri) };
  }

  /**
   * RFC 3263 §4.3: the next target of this entry after the current one proved unavailable. True
   * when there is one (the next connect goes there); false after the last, and the entry is
   * located afresh when it is tried again.
   */
  nextTarget(): boolean {
    if (this.targets === null) return false;
    const next = this.targets[this.targetIndex + 1];
    if (!next) {
      this.targets = null;
      this.targetIndex = 0;
      return false;
    }
    this.targetIndex += 1;
    this.useTarget(next);
    return true;
  }

  /** `sip.example.org → 127.0.0.7:5060/udp` while a located target is in use, else null. */
  describeTarget(): string | null {
    return this.linkTarget ? targetLabel(this.server.host, this.linkTarget) : null;
  }

  sendRegister(request: RegisterRequest, budgetMs: number, onAuthenticated: (cseq: number) => void): Transaction<RegisterResult> {
    // The digest retry (answered by jssip-digest.ts on the link's UA) is a new transaction with
    // CSeq + 1 on the same Call-ID: the machine keeps its CSeq past it.
    const { clock } = this.options;
    let sentAt = clock.now();
    const sent = this.serverLink.send(() => this.buildRegister(request), budgetMs, (authenticated) => {
      // RFC 3261 §22.2: the 401/407 ended one transaction; the authenticated retry starts the next.
      this.report('REGISTER', authenticated.hasHeader('Proxy-Authorization') ? 407 : 401, clock.now() - sentAt);
      sentAt = clock.now();
      onAuthenticated(cseqOf(authenticated));
    });
    const result = sent.result.then((r): RegisterResult => {
      this.reportResult('REGISTER', r, sentAt);
      if (r.kind !== 'response') return r;
      return this.readRegisterResponse(r.response, request.cseq);
    });
    return { result, abandon: () => sent.abandon() };
  }

  sendOptions(budgetMs: number): Transaction<OptionsResult> {
    const { clock } = this.options;
    let abandoned = false;
    let sent: { abandon(): void } | null = null;
    const result = (async (): Promise<OptionsResult> => {
      const started = clock.now();
      const connected = await this.serverLink.connect(budgetMs);
      if (!connected.ok) {
        if (!abandoned) this.report('OPTIONS', 'transport-error', null);
        return { kind: 'transport-error', reason: connected.reason };
      }
      if (abandoned) return { kind: 'timeout', reason: 'abandoned' };
      const transaction = this.serverLink.send(() => this.buildOptions(), Math.max(1, budgetMs - (clock.now() - started)));
      sent = transaction;
      const r = await transaction.result;
      this.reportResult('OPTIONS', r, r.kind === 'response' ? r.sentAt : 0);
      if (r.kind !== 'response') return r;
      const { response } = r;
      return {
        kind: 'response',
        code: response.status_code,
        reason: response.reason_phrase || '',
        rttMs: clock.now() - r.sentAt,
        retryAfterS: parseRetryAfter(response.hasHeader('Retry-After') ? response.getHeader('Retry-After') : null),
      };
    })();
    return {
      result,
      abandon: () => {
        abandoned = true;
        sent?.abandon();
      },
    };
  }

  private report(method: ChannelTransactionOutcome['method'], outcome: ChannelTransactionOutcome['outcome'], rttMs: number | null): void {
    try {
      this.options.onTransaction?.({ method, outcome, rttMs });
    } catch {
      // An observer's failure must never break a registration.
    }
  }

  private reportFailedConnect(failed: { ok: false; reason: string }): { ok: false; reason: string } {
    if (!this.disposed) this.report('REGISTER', 'transport-error', null);
    return failed;
  }

  private reportResult(method: ChannelTransactionOutcome['method'], r: TransactionResult, sentAt: number): void {
    if (r.kind === 'response') this.report(method, r.response.status_code, Math.max(0, this.options.clock.now() - sentAt));
    else if (r.reason !== 'abandoned') this.report(method, r.kind, null);
  }

  dispose(): void {
    this.disposed = true;
    this.options.clock.clearTimer(this.keepalive);
    this.keepalive = null;
    this.serverLink.close();
  }

  // ── RFC 3263 location ────────────────────────────────────────────────────────────────────

  /** Whether this entry is located through DNS, and how. */
  private dnsMode(): 'srv' | 'address' | null {
    const dns = this.options.dns;
    const host = this.server.host.replace(/^\[|\]$/g, '');
    if (!dns || isIP(host) !== 0) return null;
    // RFC 3263 §4.2: an explicit port means no NAPTR/SRV. Its A/AAAA then come from the
    // configured resolvers when there are some (split horizon), else from the OS as before.
    if (this.server.portGiven === false) return 'srv';
    return dns().custom ? 'address' : null;
  }

  private async locate(budgetMs: number): Promise<{ ok: true } | { ok: false; reason: string }> {
    const mode = this.dnsMode();
    if (mode === null || !this.options.dns) return { ok: true };
    const { clock } = this.options;
    const current = this.targets?.[this.targetIndex];
    if (current && current.expiresAt > clock.now()) return { ok: true };
    const { locator } = this.options.dns();
    const asked = { host: this.server.host, transport: this.server.transport, ...(mode === 'address' ? { port: this.server.port } : {}) };
    let timer: TimerHandle | null = null;
    const bound = new Promise<'timeout'>((resolve) => (timer = clock.setTimer(() => resolve('timeout'), budgetMs)));
    try {
      const targets = await Promise.race([locator.locate(asked), bound]);
      if (targets === 'timeout') return { ok: false, reason: `DNS: ${this.server.host} not located within ${budgetMs} ms` };
      if (this.disposed) return { ok: false, reason: 'line closed' };
      // RFC 3263 §4.3 with fresh data: keep the target in use when it is still listed.
      const same = (t: ServerTarget): boolean => this.linkTarget !== null && t.address === this.linkTarget.address && t.port === this.linkTarget.port && t.transport === this.linkTarget.transport;
      const keep = targets.findIndex(same);
      this.targets = targets;
      this.targetIndex = keep >= 0 ? keep : 0;
      this.useTarget(targets[this.targetIndex]!);
      return { ok: true };
    } catch (error) {
      const reason = error instanceof ServerLocationError ? error.message : `cannot locate ${this.server.host}: ${(error as Error).message}`;
      return { ok: false, reason: `DNS: ${reason}` };
    } finally {
      clock.clearTimer(timer);
    }
  }

  /** Points the link at `target`; a new link (same Contact user and instance) when it moves. */
  private useTarget(target: ServerTarget): void {
    const t = this.linkTarget;
    if (t && t.address === target.address && t.port === target.port && t.transport === target.transport) {
      this.linkTarget = target;
      return;
    }
    const old = this.serverLink;
    old.onConnectionLost = null;
    old.close();
    this.linkTarget = target;
    this.natDetected = false;
    this.serverLink = this.newLink(target);
    this.options.onLink?.(this.serverLink);
  }

  private newLink(target: ServerTarget | null): ServerLink {
    const previous = this.serverLink as ServerLink | undefined;
    const link = new ServerLink({
      line: this.options.line,
      server: target ? { ...this.server, transport: target.transport } : this.server,
      clock: this.options.clock,
      random: this.options.random,
      userAgent: this.options.userAgent,
      onTrace: this.options.onTrace,
      ...(target ? { target: { address: target.address, port: target.port } } : {}),
      ...(previous ? { contactUser: previous.contactUser, instanceId: previous.instanceId } : {}),
    });
    link.onConnectionLost = () => {
      this.rewrites = 0;
      this.onConnectionLost?.();
    };
    return link;
  }

  // ── NAT (RFC 3581, RFC 5626 §4.4) ────────────────────────────────────────────────────────

  /**
   * Reads the top Via of a response: `received`/`rport` differing from the address we sent from
   * means a NAT between us and the server. Returns true when our Contact now names the public
   * address instead (the machine then re-registers at once, removing the private Contact).
   */
  private noticeNat(response: IncomingResponse): boolean {
    const via = topVia((response as unknown as { data?: string }).data ?? '');
    const local = this.serverLink.socket.localAddress();
    if (!via || !local || (via.received === null && via.rport === null)) return false;
    const address = via.received ?? local.address;
    const port = via.rport ?? local.port;
    if (address === local.address && port === local.port) return false;
    if (!this.natDetected) {
      this.natDetected = true;
      this.updateKeepalive();
    }
    const mode = this.options.line.nat?.rewriteContact ?? 'auto';
    const rewrite = mode === 'on' || (mode === 'auto' && this.serverLink.socket.via_transport === 'UDP');
    if (!rewrite || this.rewrites >= MAX_REWRITES_PER_CONNECTION) return false;
    const changed = this.serverLink.usePublicAddress(address, port);
    if (changed) this.rewrites += 1;
    return changed;
  }

  /**
   * RFC 5626 §4.4.1: keepalives every `nat.keepaliveInterval` seconds when set (0 = never), else
   * every 30 s once a NAT was detected. They go on the connected link only: never a reconnect.
   */
  private updateKeepalive(): void {
    const configured = this.options.line.nat?.keepaliveInterval;
    const seconds = configured ?? (this.natDetected ? DEFAULT_NAT_KEEPALIVE_S : 0);
    if (this.disposed || seconds === this.keepaliveS) return;
    this.options.clock.clearTimer(this.keepalive);
    this.keepalive = null;
    this.keepaliveS = seconds;
    if (seconds <= 0) return;
    const tick = (): void => {
      if (this.disposed) return;
      this.serverLink.socket.sendKeepalive();
      this.keepalive = this.options.clock.setTimer(tick, seconds * 1000);
    };
    this.keepalive = this.options.clock.setTimer(tick, seconds * 1000);
  }

  private buildRegister(request: RegisterRequest): OutgoingRequest {
    const { line } = this.options;
    const instance = `+sip.instance="<urn:uuid:${this.serverLink.instanceId}>"`;
    // RFC 3261 §10.2.1/§10.2.2: our current Contact with the lifetime asked, every other Contact
    // of ours with expires=0 in the same request.
    const contacts = request.contacts.map((c, i) => `<${c.uri}>;expires=${c.expires}${i === 0 ? `;${instance}` : ''}`);
    const headers = [`Contact: ${contacts.join(', ')}`, `Expires: ${request.expires}`];
    if (line.privacy !== 'ignore') headers.push(`Privacy: ${line.privacy}`); // RFC 3323 §4.2
    // RFC 3261 §10.2: the Request-URI names the domain of the location service.
    const registrar = new URI('sip', undefined as unknown as string, line.domain);
    return buildRequest('REGISTER', registrar, this.serverLink.ua, {
      to_uri: internalsOf(this.serverLink.ua).configuration.uri,
      call_id: request.callId,
      cseq: request.cseq,
    }, headers);
  }

  private buildOptions(): OutgoingRequest {
    return buildRequest('OPTIONS', this.serverLink.serverUri(), this.serverLink.ua, { call_id: randomToken(this.options.random, 22) }, ['Accept: application/sdp']);
  }

  private readRegisterResponse(response: IncomingResponse, askedCseq: number): RegisterResult {
    const cseq = cseqOf(response);
    const header = (name: string): string | null => (response.hasHeader(name) ? response.getHeader(name) : null);
    const minExpires = Number(header('Min-Expires'));
    const expiresHeader = Number(header('Expires'));
    const contactChanged = this.noticeNat(response);
    return {
      kind: 'response',
      contactChanged,
      code: response.status_code,
      reason: this.reasonOf(response),
      cseq: Number.isFinite(cseq) ? cseq : askedCseq,
      retryAfterS: parseRetryAfter(header('Retry-After')),
      minExpires: header('Min-Expires') !== null && Number.isInteger(minExpires) ? minExpires : null,
      expiresHeader: header('Expires') !== null && Number.isFinite(expiresHeader) ? expiresHeader : null,
      contacts: response.status_code >= 200 && response.status_code < 300 ? this.listedContacts(response) : [],
    };
  }

  /** The reason phrase, and for a 401/407 our digest passed on unanswered, why (no secrets in it). */
  private reasonOf(response: IncomingResponse): string {
    const phrase = response.reason_phrase || '';
    const refusal = response.status_code === 401 || response.status_code === 407 ? digestRefusalOf(response) : undefined;
    return refusal ? `${phrase} (${refusal.reason})`.trim() : phrase;
  }

  /** RFC 3261 §10.3 step 8: every binding of the AOR; ours carry our Contact user or instance. */
  private listedContacts(response: IncomingResponse): ListedContact[] {
    const listed: ListedContact[] = [];
    const instance = `"<urn:uuid:${this.serverLink.instanceId}>"`;
    const headers = response.getHeaders('Contact').length;
    // JsSIP's parser splits comma-separated Contact values into one header entry each.
    for (let i = 0; i < headers; i++) {
      const parsed = response.parseHeader<ParsedContact>('Contact', i);
      if (!parsed) continue;
      const expires = Number(parsed.getParam('expires'));
      listed.push({
        uri: canonicalContact(parsed.uri),
        expires: parsed.getParam('expires') !== undefined && Number.isFinite(expires) ? expires : null,
        ours: parsed.uri.user === this.serverLink.contactUser || parsed.getParam('+sip.instance') === instance,
      });
    }
    return listed;
  }
}

/** RFC 3581 §4: `received` and `rport` of the top Via of a response (null when absent). */
export function topVia(message: string): { received: string | null; rport: number | null } | null {
  const end = message.indexOf('\r\n\r\n');
  const head = (end < 0 ? message : message.slice(0, end)).replace(/\r\n[ \t]+/g, ' ');
  const line = head.split('\r\n').find((l) => /^(via|v)[ \t]*:/i.test(l));
  if (!line) return null;
  const first = line.slice(line.indexOf(':') + 1).split(',')[0] ?? '';
  const received = /;\s*received\s*=\s*\[?([0-9A-Fa-f:.]+)\]?/i.exec(first)?.[1] ?? null;
  const rport = /;\s*rport\s*=\s*(\d+)/i.exec(first)?.[1];
  return { received, rport: rport === undefined ? null : Number(rport) };
}
