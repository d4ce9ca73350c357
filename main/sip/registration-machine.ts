/**
 * One REGISTER dialog to one server (RFC 3261 §10.2): its Call-ID, its strictly increasing CSeq,
 * the one transaction in flight, its refresh timer, the Min-Expires learnt from a 423, the
 * Retry-After deadline, and every Contact of ours the registrar may still hold. It reports
 * outcomes — `ok`, `failed`, `lost` — to its subscribers; which server the line uses is decided
 * above it, in `line-controller.ts` (the policy only listens, like baresip's serreg).
 *
 * ```
 *              register()              2xx (refresh timer at 50 % of the grant)
 *     idle ───────────────► registering ─────────────► bound ◄─────────┐
 *      ▲ ▲                      │ failure ─► failed      │ timer        │ 2xx ─► ok
 *      │ └──────────────────────┘                        ▼              │
 *      │ ◄──── failure or connection lost ─► lost ── refreshing ───────┘
 *      │
 *      └──────────── unbinding ◄── unbind(), from any state, once the transaction
 *                                  in flight has ended (or was abandoned at half the bound)
 * ```
 *
 * Rules it guarantees:
 * - one transaction at a time on the Call-ID (RFC 3261 §10.2): an unbind waits for the one in
 *   flight — its digest retry included — and only abandons it (no retransmission, no late
 *   challenge answered) when half its bound has passed; the Expires:0 is therefore the last
 *   REGISTER the registrar sees, with the highest CSeq;
 * - every REGISTER asks for the configured lifetime, raised to Min-Expires after a 423 (§10.2.8);
 *   the grant only schedules the refresh;
 * - after a Retry-After (§20.33, §21.5.4) nothing goes to the server before it has passed;
 * - a Contact of ours that is not the current one (a reconnect changed our port, the 200 OK lists
 *   an old binding) is removed with `expires=0` in the next REGISTER (§10.2.2), and an unbind
 *   removes every Contact of ours the registrar may hold — never `Contact: *`, which would remove
 *   other devices' bindings too;
 * - an unavailable target of a server entry located through DNS (RFC 3263 §4.3) is followed at
 *   once by the entry's next target, in the same registration attempt; only when the last one is
 *   unavailable too does the machine report `failed`/`lost`;
 * - a 2xx that showed a NAT and changed our Contact to the public address (RFC 3581 §4) is
 *   followed at once by a REGISTER binding it and removing the private one.
 */
import type { Clock } from './clock';
import { TimerSet } from './clock';
import { refreshDelayMs, requestedExpires } from './registration-schedule';
import type { ContactExpiry, LivenessOutcome, RegisterResult, ServerChannel, Transaction } from './server-channel';
import { NO_RESPONSE } from './server-channel';

export type RegistrationState = 'idle' | 'registering' | 'bound' | 'refreshing' | 'unbinding';

const LEGAL: Record<RegistrationState, readonly RegistrationState[]> = {
  idle: ['registering', 'unbinding'],
  registering: ['bound', 'idle', 'unbinding'],
  bound: ['refreshing', 'idle', 'unbinding'],
  refreshing: ['bound', 'idle', 'unbinding'],
  unbinding: ['idle'],
};

/** Throws an Error naming both states unless `from → to` is a move of the diagram above. */
export function assertRegistrationTransition(from: RegistrationState, to: RegistrationState): void {
  if (!LEGAL[from].includes(to)) throw new Error(`illegal REGISTER dialog transition ${from} → ${to}`);
}

/** Why a REGISTER failed, in the policy's terms (SPEC "Registration behaviour"). */
export interface FailureCause {
  /** unavailable: 500/503, silence, connect failure; auth-failed: 403 or a repeated 401/407; rejected: any other final failure. */
  kind: 'unavailable' | 'auth-failed' | 'rejected';
  /** SIP status code, or 0 (NO_RESPONSE) for a local timeout or transport failure. */
  code: number;
  reason: string;
}

/** What the machine reports to its subscribers. */
export type RegistrationEvent =
  /** A 2xx granted `granted` seconds; `refreshed` when it renewed an existing binding. */
  | { kind: 'ok'; granted: number; code: number; reason: string; refreshed: boolean }
  /** A registration from idle failed; `retryAfterMs` is the server's Retry-After, if any. */
  | { kind: 'failed'; cause: FailureCause; retryAfterMs: number | null }
  /** A binding we relied on is gone: its refresh failed, or the connection carrying it dropped. */
  | { kind: 'lost'; cause: FailureCause; during: 'refresh' | 'connection' };

export type UnbindOutcome = { kind: 'removed' | 'failed'; code: number; reason: string };

export interface RegistrationMachineOptions {
  channel: ServerChannel;
  clock: Clock;
  /** RFC 3261 §10.2: one Call-ID for every REGISTER to this registrar. */
  callId: string;
  /** Configured registration lifetime, seconds. */
  ttl: number;
  /** Silence budget for every transaction to this server, ms. */
  budgetMs: number;
}

/** RFC 3261 §10.2.8: at most this many 423s in a row before giving up. */
const MAX_INTERVAL_TOO_BRIEF = 3;

interface Flight {
  transaction: Transaction<RegisterResult> | null;
  abandoned: boolean;
  done: Promise<void>;
  finish: () => void;
}

export class RegistrationMachine {
  private current: RegistrationState = 'idle';
  private cseq = 0;
  private flight: Flight | null = null;
  private readonly timers: TimerSet<'refresh' | 'report'>;
  private refreshAt: number | null = null;
  private minExpires: number | null = null;
  private retryNotBefore: number | null = null;
  private grantedSeconds: number | null = null;
  /** Contact URI → epoch ms until which the registrar may hold it. */
  private readonly held = new Map<string, number>();
  /** Every Contact this dialog has asked to bind: only these are ever removed as stale. */
  private readonly used = new Set<string>();
  private readonly listeners = new Set<(event: RegistrationEvent) => void>();
  private unbindPromise: Promise<UnbindOutcome> | null = null;
  private registerAfterUnbind = false;
  private liveness: Transaction<unknown> | null = null;
  private disposed = false;

  constructor(private readonly options: RegistrationMachineOptions) {
    this.timers = new TimerSet(options.clock);
    options.channel.onConnectionLost = () => this.connectionLost();
  }

  get state(): RegistrationState {
    return this.current;
  }

  /** The Call-ID of this dialog. */
  get callId(): string {
    return this.options.callId;
  }

  /** The last CSeq used on this dialog (0 before the first REGISTER). */
  get lastCseq(): number {
    return this.cseq;
  }

  /** Granted lifetime in seconds while bound (or refreshing), else null. */
  get granted(): number | null {
    return this.current === 'bound' || this.current === 'refreshing' ? this.grantedSeconds : null;
  }

  /** When the refresh timer fires (epoch ms), or null. */
  get nextRefreshAt(): number | null {
    return this.refreshAt;
  }

  /** The server's Retry-After deadline (epoch ms) while it lies in the future, else null. */
  get notBefore(): number | null {
    return this.retryNotBefore !== null && this.retryNotBefore > this.options.clock.now() ? this.retryNotBefore : null;
  }

  /** Contacts of ours the registrar may still hold, with the time each would expire (epoch ms). */
  heldContacts(): ContactExpiry[] {
    const now = this.options.clock.now();
    return [...this.held].filter(([, until]) => until > now).map(([uri, until]) => ({ uri, expires: Math.ceil((until - now) / 1000) }));
  }

  /** Whether the registrar may hold a binding of ours (granted, or a REGISTER whose fate we do not know). */
  hasBinding(): boolean {
    return this.heldContacts().length > 0 || (this.flight !== null && this.current !== 'unbinding');
  }

  /** The mechanism behind this dialog (its `link()` is the server's JsSIP UA, for calls). */
  get channel(): ServerChannel {
    return this.options.channel;
  }

  /** Subscribes to outcomes; returns the unsubscribe function. */
  subscribe(listener: (event: RegistrationEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Registers: from idle a new registration, when bound a refresh now; while a REGISTER is in
   * flight nothing new (its outcome will be reported); while an unbind is under way (or waits
   * for the transaction in flight), right after it.
   * Before a Retry-After has passed it reports `failed` (unavailable) without sending anything.
   */
  register(): void {
    if (this.disposed) return;
    if (this.unbindPromise) {
      // An unbind waits for the transaction in flight: registering again comes after it.
      this.registerAfterUnbind = true;
      return;
    }
    switch (this.current) {
      case 'registering':
      case 'refreshing':
        return;
      case 'unbinding':
        this.registerAfterUnbind = true;
        return;
      case 'bound':
        this.timers.clear('refresh');
        this.refreshAt = null;
        this.transition('refreshing');
        void this.run(true);
        return;
      case 'idle': {
        const notBefore = this.notBefore;
        if (notBefore !== null) {
          // RFC 3261 §21.5.4: the server asked us to wait; report it as unavailable, send nothing.
          const cause: FailureCause = { kind: 'unavailable', code: NO_RESPONSE, reason: `server asked to wait until ${new Date(notBefore).toISOString()} (Retry-After)` };
          this.timers.set('report', 0, () => this.emit({ kind: 'failed', cause, retryAfterMs: notBefore - this.options.clock.now() }));
          return;
        }
        this.transition('registering');
        void this.run(false);
        return;
      }
    }
  }

  /**
   * Removes every binding of ours with REGISTER Expires:0 on this Call-ID (RFC 3261 §10.2.2),
   * waiting first for the transaction in flight (at most half of `boundMs`, then it is abandoned).
   * Resolves within about `boundMs`; never rejects. Calls to it while one runs share its outcome.
   */
  unbind(boundMs: number): Promise<UnbindOutcome> {
    this.unbindPromise ??= this.runUnbind(boundMs).finally(() => {
      this.unbindPromise = null;
      if (this.registerAfterUnbind && !this.disposed) {
        this.registerAfterUnbind = false;
        this.register();
      }
    });
    return this.unbindPromise;
  }

  /**
   * The located target in use proved unavailable outside a REGISTER (an OPTIONS went unanswered):
   * while bound, moves to the entry's next target (RFC 3263 §4.3) and registers there now. False
   * when there is no next target (or the dialog is busy): the server entry is unavailable.
   */
  moveToNextTarget(): boolean {
    if (this.current !== 'bound' || this.flight !== null || !this.nextTarget()) return false;
    this.register();
    return true;
  }

  /** OPTIONS to the server (RFC 3261 §11): any final answer but a 5xx proves it alive. */
  async checkLiveness(): Promise<LivenessOutcome> {
    const notBefore = this.notBefore;
    if (notBefore !== null) return { kind: 'unavailable', code: NO_RESPONSE, reason: 'server asked to wait (Retry-After)' };
    const transaction = this.options.channel.sendOptions(this.options.budgetMs);
    this.liveness = transaction;
    const result = await transaction.result;
    if (this.liveness === transaction) this.liveness = null;
    if (result.kind !== 'response') return { kind: 'unavailable', code: NO_RESPONSE, reason: result.reason };
    this.noteRetryAfter(result.code, result.retryAfterS);
    if (result.code >= 500 && result.code < 600) return { kind: 'unavailable', code: result.code, reason: result.reason };
    return { kind: 'alive', rttMs: result.rttMs, code: result.code, reason: result.reason };
  }

  /**
   * Stops refreshing and abandons a transaction in flight, sending nothing more (a line that
   * quits without unregistering). Bindings stay recorded; `unbind` can still remove them.
   */
  halt(): void {
    if (this.unbindPromise) return;
    this.timers.dispose();
    this.refreshAt = null;
    this.abandonFlight();
    this.grantedSeconds = null;
    this.transition('idle');
  }

  /** Stops timers, abandons what is in flight and closes the channel. Sends nothing. */
  dispose(): void {
    this.disposed = true;
    this.timers.dispose();
    this.refreshAt = null;
    this.abandonFlight();
    this.liveness?.abandon();
    this.listeners.clear();
    this.options.channel.onConnectionLost = null;
    this.options.channel.dispose();
  }

  // ── the REGISTER path ────────────────────────────────────────────────────────────────────

  private async run(refresh: boolean): Promise<void> {
    let asked = requestedExpires(this.options.ttl, this.minExpires);
    for (let attempt = 0; ; attempt++) {
      const sent = await this.transact(asked);
      if (sent === null) return; // abandoned: whoever abandoned it owns the state now
      if (this.unbindPromise) return; // an unbind is waiting for exactly this moment
      const { result, contacts } = sent;
      if (result.kind !== 'response') {
        // RFC 3263 §4.3: the next target of this server entry before the line gives up on it.
        if (this.nextTarget()) continue;
        return this.fail(refresh, { kind: 'unavailable', code: NO_RESPONSE, reason: result.reason });
      }
      const { code, reason } = result;
      if (code >= 200 && code < 300) {
        const granted = this.grantedFrom(result, contacts[0]!.uri, asked);
        if (granted <= 0) return this.fail(refresh, { kind: 'rejected', code, reason: `${reason}, but no binding was granted` });
        return this.bound(granted, code, reason, refresh, new Set(contacts.map((c) => c.uri)), result.contactChanged === true);
      }
      // RFC 3261 §10.2.8: 423 Interval Too Brief → retry at once with the server's Min-Expires.
      if (code === 423 && attempt + 1 < MAX_INTERVAL_TOO_BRIEF && result.minExpires !== null && result.minExpires > asked) {
        this.minExpires = result.minExpires;
        asked = result.minExpires;
        continue;
      }
      const cause = classify(code, reason);
      if (cause.kind === 'unavailable' && this.nextTarget()) continue;
      this.noteRetryAfter(code, result.retryAfterS);
      return this.fail(refresh, cause);
    }
  }

  /**
   * Asks the channel for the next located target of this entry (RFC 3263 §4.3). The Contacts the
   * unavailable target may hold are its own registrar's business: a REGISTER to another target
   * cannot remove them (they expire there), and naming them would only confuse the new one.
   */
  private nextTarget(): boolean {
    if (this.disposed || this.unbindPromise !== null || !(this.options.channel.nextTarget?.() ?? false)) return false;
    this.held.clear();
    return true;
  }

  /**
   * Connects, then runs one REGISTER asking `expires` for our current Contact and 0 for every
   * other Contact of ours the registrar may hold. Keeps the CSeq and the held Contacts right
   * whatever the answer. Null when abandoned meanwhile.
   */
  private async transact(expires: number): Promise<{ result: RegisterResult; contacts: ContactExpiry[] } | null> {
    const { clock, channel, budgetMs } = this.options;
    const flight = this.startFlight();
    const started = clock.now();
    const connected = await channel.connect(budgetMs);
    if (flight.abandoned) return null;
    if (!connected.ok) {
      this.endFlight(flight);
      return { result: { kind: 'transport-error', reason: connected.reason }, contacts: [] };
    }
    const now = clock.now();
    const current = connected.contact;
    // RFC 3261 §10.2.2: an old Contact of ours (a reconnect changed our port or address) goes
    // with expires=0 in this same REGISTER, so no stale binding outlives the change.
    const contacts: ContactExpiry[] = [
      { uri: current, expires },
      ...this.heldContacts().filter((c) => c.uri !== current).map((c) => ({ uri: c.uri, expires: 0 })),
    ];
    const before = this.held.get(current);
    // A REGISTER whose answer we do not know may create the binding: count it as held.
    if (expires > 0) {
      this.held.set(current, Math.max(before ?? 0, now + expires * 1000));
      this.used.add(current);
    }
    this.cseq += 1;
    const request = { callId: this.options.callId, cseq: this.cseq, expires, contacts };
    const remaining = Math.max(1, budgetMs - (now - started));
    const transaction = channel.sendRegister(request, remaining, (cseq) => {
      // JsSIP answered a challenge with a new transaction: CSeq + 1 on the same Call-ID.
      this.cseq = Math.max(this.cseq, cseq);
    });
    flight.transaction = transaction;
    const result = await transaction.result;
    this.endFlight(flight);
    if (result.kind === 'response') {
      this.cseq = Math.max(this.cseq, result.cseq);
      if (result.code >= 200 && result.code < 300) this.recordBindings(result, contacts);
      else if (result.code >= 300) this.restore(current, before);
    } else if (result.kind === 'transport-error') {
      this.restore(current, before);
    }
    // A timeout keeps the "may be held" entry: a frozen server may still process it.
    return flight.abandoned ? null : { result, contacts };
  }

  /** RFC 3261 §10.3 step 8: a 2xx lists every binding of the AOR with its remaining lifetime. */
  private recordBindings(result: Extract<RegisterResult, { kind: 'response' }>, sent: ContactExpiry[]): void {
    const now = this.options.clock.now();
    const listed = new Map(result.contacts.filter((c) => c.ours).map((c) => [c.uri, c.expires]));
    for (const contact of sent) {
      const listedSeconds = listed.get(contact.uri);
      // A removal the registrar still lists is still held; an added Contact it does not list in
      // the same spelling (some registrars rewrite it) is trusted to be bound as asked.
      const seconds = contact.expires === 0 ? (listedSeconds ?? 0) : (listedSeconds ?? result.expiresHeader ?? contact.expires);
      if (seconds > 0) this.held.set(contact.uri, now + seconds * 1000);
      else this.held.delete(contact.uri);
    }
    // A Contact we used earlier, still listed though we thought it gone: removed by the next
    // REGISTER. A listed URI we never sent is the registrar's own spelling of one of ours (a
    // rewritten Contact): removing it would remove the binding we just made, so it stays.
    for (const [uri, seconds] of listed) {
      if (!sent.some((c) => c.uri === uri) && this.used.has(uri) && seconds !== null && seconds > 0) this.held.set(uri, now + seconds * 1000);
    }
  }

  private restore(uri: string, before: number | undefined): void {
    if (before === undefined) this.held.delete(uri);
    else this.held.set(uri, before);
  }

  private bound(granted: number, code: number, reason: string, refreshed: boolean, sent: Set<string>, contactChanged = false): void {
    this.grantedSeconds = granted;
    this.transition('bound');
    const current = [...sent][0];
    // A binding of ours we did not try to remove in this request (only the 200 OK told us of it):
    // refresh at once with it at expires=0 instead of leaving it until the registrar drops it.
    const unsent = this.heldContacts().some((c) => c.uri !== current && !sent.has(c.uri));
    // RFC 3581 §4 / RFC 5626 §4.4: behind a NAT our Contact now names the public address — bind
    // it at once; that REGISTER removes the private Contact just bound (expires=0, §10.2.2).
    const delay = unsent || contactChanged ? 0 : refreshDelayMs(granted);
    this.refreshAt = this.options.clock.now() + delay;
    this.timers.set('refresh', delay, () => {
      this.refreshAt = null;
      if (this.current !== 'bound') return;
      this.transition('refreshing');
      void this.run(true);
    });
    this.emit({ kind: 'ok', granted, code, reason, refreshed });
  }

  private fail(refresh: boolean, cause: FailureCause): void {
    this.grantedSeconds = null;
    this.transition('idle');
    if (refresh) this.emit({ kind: 'lost', cause, during: 'refresh' });
    else this.emit({ kind: 'failed', cause, retryAfterMs: this.notBefore === null ? null : this.notBefore - this.options.clock.now() });
  }

  private connectionLost(): void {
    if (this.disposed || this.current !== 'bound') return;
    // The binding may still be held (its Contact names the dead connection): it stays in `held`
    // so the next REGISTER removes it. A REGISTER in flight reports its own failure instead.
    this.timers.clear('refresh');
    this.refreshAt = null;
    this.grantedSeconds = null;
    this.transition('idle');
    this.emit({ kind: 'lost', cause: { kind: 'unavailable', code: NO_RESPONSE, reason: 'connection lost' }, during: 'connection' });
  }

  // ── unbinding ────────────────────────────────────────────────────────────────────────────

  private async runUnbind(boundMs: number): Promise<UnbindOutcome> {
    const { clock, channel } = this.options;
    const deadline = clock.now() + boundMs;
    this.timers.clear('refresh');
    this.refreshAt = null;
    const waiting = this.flight;
    if (waiting) {
      // RFC 3261 §10.2: no new REGISTER before the one in flight has its final response — the
      // digest retry included. Only when half the bound is gone do we give up on it.
      const finished = await this.within(waiting.done, boundMs / 2);
      if (!finished) this.abandonFlight();
    }
    if (this.disposed) return { kind: 'failed', code: NO_RESPONSE, reason: 'closed' };
    this.grantedSeconds = null;
    this.transition('unbinding');
    try {
      const targets = this.heldContacts();
      if (targets.length === 0) return { kind: 'removed', code: NO_RESPONSE, reason: 'no binding held' };
      if (this.notBefore !== null) return { kind: 'failed', code: NO_RESPONSE, reason: 'server asked to wait (Retry-After)' };
      const remaining = Math.max(1, deadline - clock.now());
      const flight = this.startFlight();
      const connected = await this.within(channel.connect(remaining), remaining);
      if (flight.abandoned || connected === false || !connected.ok) {
        this.endFlight(flight);
        return { kind: 'failed', code: NO_RESPONSE, reason: connected === false ? 'bound reached while connecting' : connected.ok ? 'closed' : connected.reason };
      }
      // Every Contact of ours the registrar may hold, and the current one: never `*` (§10.2.2),
      // which would take other devices' bindings of the same AOR with it.
      const uris = new Set([connected.contact, ...targets.map((c) => c.uri)]);
      const contacts = [...uris].map((uri) => ({ uri, expires: 0 }));
      this.cseq += 1;
      const transaction = channel.sendRegister({ callId: this.options.callId, cseq: this.cseq, expires: 0, contacts }, Math.max(1, deadline - clock.now()), (cseq) => {
        this.cseq = Math.max(this.cseq, cseq);
      });
      flight.transaction = transaction;
      const result = await transaction.result;
      this.endFlight(flight);
      if (result.kind !== 'response') return { kind: 'failed', code: NO_RESPONSE, reason: result.reason };
      this.cseq = Math.max(this.cseq, result.cseq);
      if (result.code < 200 || result.code >= 300) {
        this.noteRetryAfter(result.code, result.retryAfterS);
        return { kind: 'failed', code: result.code, reason: result.reason };
      }
      this.recordBindings(result, contacts);
      const left = this.heldContacts().length;
      return left === 0 ? { kind: 'removed', code: result.code, reason: result.reason } : { kind: 'failed', code: result.code, reason: `${result.reason}, but ${left} binding(s) still listed` };
    } finally {
      if (this.current === 'unbinding') this.transition('idle');
    }
  }

  // ── plumbing ─────────────────────────────────────────────────────────────────────────────

  private startFlight(): Flight {
    if (this.flight) throw new Error(`REGISTER dialog ${this.options.callId}: a transaction is already in flight`);
    let finish = (): void => undefined;
    const done = new Promise<void>((resolve) => (finish = resolve));
    const flight: Flight = { transaction: null, abandoned: false, done, finish };
    this.flight = flight;
    return flight;
  }

  private endFlight(flight: Flight): void {
    if (this.flight === flight) this.flight = null;
    flight.finish();
  }

  /** Cancels the transaction in flight: no retransmission, no late challenge answered, result ignored. */
  private abandonFlight(): void {
    const flight = this.flight;
    if (!flight) return;
    flight.abandoned = true;
    flight.transaction?.abandon();
    this.endFlight(flight);
  }

  /** RFC 3261 §20.33: Retry-After on a failure means nothing to this server before it passes. */
  private noteRetryAfter(code: number, retryAfterS: number | null): void {
    if (code < 300 || retryAfterS === null || retryAfterS <= 0) return;
    this.retryNotBefore = this.options.clock.now() + retryAfterS * 1000;
  }

  /** RFC 3261 §10.2.4: our Contact's `expires` in the 2xx, else its Expires header, else what we asked. */
  private grantedFrom(result: Extract<RegisterResult, { kind: 'response' }>, current: string, asked: number): number {
    const ours = result.contacts.find((c) => c.uri === current);
    return ours?.expires ?? result.expiresHeader ?? asked;
  }

  private within<T>(promise: Promise<T>, ms: number): Promise<T | false> {
    return new Promise((resolve) => {
      const timer = this.options.clock.setTimer(() => resolve(false), ms);
      void promise.then((value) => {
        this.options.clock.clearTimer(timer);
        resolve(value);
      });
    });
  }

  private transition(to: RegistrationState): void {
    if (this.current === to) return;
    assertRegistrationTransition(this.current, to);
    this.current = to;
  }

  private emit(event: RegistrationEvent): void {
    for (const listener of [...this.listeners]) listener(event);
  }
}

/** SPEC: 500/503 mean the server is unavailable; 403 and a repeated challenge are about us. */
function classify(code: number, reason: string): FailureCause {
  if (code === 500 || code === 503) return { kind: 'unavailable', code, reason };
  if (code === 401 || code === 407 || code === 403) return { kind: 'auth-failed', code, reason };
  return { kind: 'rejected', code, reason };
}

