import type { ConnectResult, ContactExpiry, ListedContact, OptionsResult, RegisterRequest, RegisterResult, ServerChannel, Transaction } from '../../../main/sip/server-channel';
import type { FakeClock } from '../../fake-clock';

/** How a scripted server behaves right now. */
export type ServerBehaviour = 'ok' | '503' | 'silent' | 'refused' | '403' | '404';

/** One client transaction the machine started (a digest retry belongs to the same entry). */
export interface ChannelCall {
  time: number;
  kind: 'register' | 'unregister' | 'options';
  expires?: number;
  budgetMs: number;
  callId?: string;
  /** CSeqs on the wire: the first, then the authenticated retry's. */
  cseqs: number[];
  contacts: ContactExpiry[];
  /** When its final response arrived, it timed out or was abandoned; null while in flight. */
  endedAt: number | null;
  abandoned: boolean;
}

/** A request as the scripted server received it (digest retries are separate entries). */
export interface WireRequest {
  time: number;
  method: 'REGISTER' | 'OPTIONS';
  callId?: string;
  cseq?: number;
  expires?: number;
  contacts: ContactExpiry[];
  authorized: boolean;
}

let nextId = 1;

/**
 * A ServerChannel backed by a scripted registrar, in virtual time: `latencyMs` for an answer, the
 * whole silence budget for a silent server. The registrar keeps the bindings it granted (per
 * Contact) and lists them in its 200 OK like RFC 3261 §10.3 says, so tests can assert what is
 * left behind; it records every request on the wire and every transaction's start and end.
 */
export class ScriptedChannel implements ServerChannel {
  behaviour: ServerBehaviour = 'ok';
  /** What the registrar grants: null = what was asked, or a function of the ask and the count of grants so far. */
  grant: number | null | ((asked: number, count: number) => number) = null;
  /** Added as Retry-After to failure responses (503, 404, 403). */
  retryAfterS: number | null = null;
  /** Answer the next N REGISTER transactions with a 401 first (JsSIP then retries with CSeq + 1). */
  challengeNext = 0;
  /** Latency of a challenge (a late challenge: longer than `latencyMs`). */
  challengeLatencyMs: number | null = null;
  /** 423 with this Min-Expires to any REGISTER asking less (but more than 0). */
  minExpires423: number | null = null;
  latencyMs = 20;
  /** OPTIONS answered as this behaviour instead of `behaviour`, after this latency. */
  optionsBehaviour: ServerBehaviour | null = null;
  optionsLatencyMs: number | null = null;
  /** Our local port: a reconnect changes it, and with it our Contact. */
  port = 40000;
  /** Bindings of other devices of the same AOR, listed in every 200 OK. */
  others: string[] = [];
  readonly calls: ChannelCall[] = [];
  readonly wire: WireRequest[] = [];
  /** Registrar side: Contact URI → epoch ms. */
  readonly bindings = new Map<string, number>();
  /** Late challenges that arrived after the transaction was abandoned (never answered). */
  lateChallengesIgnored = 0;
  onConnectionLost: (() => void) | null = null;
  disposed = false;
  private readonly user = `c${nextId++}`;
  private grants = 0;

  constructor(private readonly clock: FakeClock) {}

  /** Our Contact now. */
  contact(): string {
    return `sip:${this.user}@10.0.0.1:${this.port};transport=tcp`;
  }

  connect(): Promise<ConnectResult> {
    if (this.behaviour === 'refused') {
      this.calls.push({ time: this.clock.now(), kind: 'register', budgetMs: 0, cseqs: [], contacts: [], endedAt: this.clock.now() + this.latencyMs, abandoned: false });
      return new Promise((resolve) => this.clock.setTimer(() => resolve({ ok: false, reason: 'connection refused' }), this.latencyMs));
    }
    return Promise.resolve({ ok: true, contact: this.contact() });
  }

  sendRegister(request: RegisterRequest, budgetMs: number, onAuthenticated: (cseq: number) => void): Transaction<RegisterResult> {
    const call: ChannelCall = {
      time: this.clock.now(),
      kind: request.expires > 0 ? 'register' : 'unregister',
      expires: request.expires,
      budgetMs,
      callId: request.callId,
      cseqs: [request.cseq],
      contacts: request.contacts,
      endedAt: null,
      abandoned: false,
    };
    this.calls.push(call);
    let settled = false;
    let resolve: (r: RegisterResult) => void = () => undefined;
    const result = new Promise<RegisterResult>((r) => (resolve = r));
    const finish = (r: RegisterResult): void => {
      if (settled) return;
      settled = true;
      call.endedAt = this.clock.now();
      this.clock.clearTimer(budget);
      resolve(r);
    };
    const silence = (): void => finish({ kind: 'timeout', reason: `no response within ${budgetMs} ms` });
    let budget = this.clock.setTimer(silence, budgetMs);
    const receive = (cseq: number, authorized: boolean): void => {
      this.wire.push({ time: this.clock.now(), method: 'REGISTER', callId: request.callId, cseq, expires: request.expires, contacts: request.contacts, authorized });
    };
    receive(request.cseq, false);
    if (this.behaviour === 'silent') return { result, abandon: () => { call.abandoned = true; finish({ kind: 'timeout', reason: 'abandoned' }); } };
    if (this.challengeNext > 0) {
      this.challengeNext--;
      this.clock.setTimer(() => {
        // JsSIP's RequestSender answers the 401 itself — unless the request was abandoned.
        if (call.abandoned || settled) {
          this.lateChallengesIgnored++;
          return;
        }
        const retry = request.cseq + 1;
        call.cseqs.push(retry);
        onAuthenticated(retry);
        this.clock.clearTimer(budget);
        budget = this.clock.setTimer(silence, budgetMs);
        receive(retry, true);
        this.clock.setTimer(() => {
          const answer = this.answer(request, retry);
          if (!call.abandoned) finish(answer);
        }, this.latencyMs);
      }, this.challengeLatencyMs ?? this.latencyMs);
    } else {
      this.clock.setTimer(() => {
        const answer = this.answer(request, request.cseq);
        if (!call.abandoned) finish(answer);
      }, this.latencyMs);
    }
    return {
      result,
      abandon: () => {
        call.abandoned = true;
        finish({ kind: 'timeout', reason: 'abandoned' });
      },
    };
  }

  sendOptions(budgetMs: number): Transaction<OptionsResult> {
    this.calls.push({ time: this.clock.now(), kind: 'options', budgetMs, cseqs: [], contacts: [], endedAt: null, abandoned: false });
    this.wire.push({ time: this.clock.now(), method: 'OPTIONS', contacts: [], authorized: false });
    const behaviour = this.optionsBehaviour ?? this.behaviour;
    const silent = behaviour === 'silent';
    const result = new Promise<OptionsResult>((resolve) => {
      this.clock.setTimer(() => {
        if (silent) return resolve({ kind: 'timeout', reason: 'no response' });
        if (behaviour === 'refused') return resolve({ kind: 'transport-error', reason: 'connection refused' });
        if (behaviour === '503') return resolve({ kind: 'response', code: 503, reason: 'Service Unavailable', rttMs: this.latencyMs, retryAfterS: this.retryAfterS });
        resolve({ kind: 'response', code: 200, reason: 'OK', rttMs: this.latencyMs, retryAfterS: null });
      }, silent ? budgetMs : (this.optionsLatencyMs ?? this.latencyMs));
    });
    return { result, abandon: () => undefined };
  }

  link(): null {
    return null;
  }

  /** Whether the registrar still holds a binding of ours. */
  hasBinding(): boolean {
    return this.liveBindings().length > 0;
  }

  liveBindings(): string[] {
    const now = this.clock.now();
    return [...this.bindings].filter(([, until]) => until > now).map(([uri]) => uri);
  }

  /** The connection dropped: the next connect gets a new local port (and so a new Contact). */
  dropConnection(): void {
    this.port++;
    this.onConnectionLost?.();
  }

  dispose(): void {
    this.disposed = true;
  }

  count(kind: ChannelCall['kind']): number {
    return this.calls.filter((c) => c.kind === kind).length;
  }

  /** REGISTER transactions on one Call-ID that overlapped in time (RFC 3261 §10.2 forbids it). */
  overlapping(): ChannelCall[] {
    const registers = this.calls.filter((c) => c.kind !== 'options' && c.callId !== undefined);
    return registers.filter((c, i) => registers.slice(0, i).some((p) => p.callId === c.callId && (p.endedAt === null || p.endedAt > c.time)));
  }

  private answer(request: RegisterRequest, cseq: number): RegisterResult {
    const base = { cseq, retryAfterS: null, minExpires: null, expiresHeader: null, contacts: [] as ListedContact[] };
    switch (this.behaviour) {
      case '503': return { ...base, kind: 'response', code: 503, reason: 'Service Unavailable', retryAfterS: this.retryAfterS };
      case '403': return { ...base, kind: 'response', code: 403, reason: 'Forbidden', retryAfterS: this.retryAfterS };
      case '404': return { ...base, kind: 'response', code: 404, reason: 'Not Found', retryAfterS: this.retryAfterS };
      default: break;
    }
    if (this.minExpires423 !== null && request.expires > 0 && request.expires < this.minExpires423) {
      return { ...base, kind: 'response', code: 423, reason: 'Interval Too Brief', minExpires: this.minExpires423 };
    }
    const now = this.clock.now();
    for (const contact of request.contacts) {
      if (contact.expires === 0) {
        this.bindings.delete(contact.uri);
        continue;
      }
      const granted = typeof this.grant === 'function' ? this.grant(contact.expires, this.grants++) : (this.grant ?? contact.expires);
      this.bindings.set(contact.uri, now + granted * 1000);
    }
    const listed: ListedContact[] = this.liveBindings().map((uri) => ({ uri, expires: Math.round((this.bindings.get(uri)! - now) / 1000), ours: true }));
    for (const uri of this.others) listed.push({ uri, expires: 3600, ours: false });
    return { ...base, kind: 'response', code: 200, reason: 'OK', contacts: listed };
  }
}
