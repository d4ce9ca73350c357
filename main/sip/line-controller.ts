/**
 * One line's failover policy: which server is active, when to fail over, wait and retry, probe
 * the primary (failback) and check liveness. It owns no REGISTER mechanism: each server has a
 * `RegistrationMachine` (its dialog, CSeq, refresh timer, bindings, Retry-After) and this class
 * only listens to their outcomes and decides — as baresip's serreg module does.
 *
 * The rules (SPEC "Registration behaviour"):
 * - register on the primary; a server that is unavailable (500/503, silence past the budget,
 *   connect refused, ICMP unreachable, a Retry-After still running) moves the line to the next
 *   server at once;
 * - when the last server is unavailable too: `retry-wait` for the retry delay — longer when the
 *   servers asked for it with Retry-After (RFC 3261 §21.5.4) — then the primary again;
 * - 403 / repeated 401: `auth-failed`, retried after the retry delay, never a failover;
 * - the machine refreshes at half the grant; a failed refresh (`lost`) is a failed registration;
 *   a dropped connection re-registers at once;
 * - while a backup is active, the primary's own machine (its own Call-ID and Contact) probes it
 *   every failback interval; on 200 OK the primary becomes active and the backup binding is
 *   removed — the line shows `registered` throughout;
 * - OPTIONS to the active server every liveness interval; silence or 5xx is unavailability;
 * - stop: Expires:0 to every server that may hold a binding, in parallel, bounded.
 */
import type { LineConfig } from '../../common/line-config';
import { serverLabel } from '../../common/line-config';
import type { EventCause, LineEvent, LineHistoryEntry, LineSnapshot, LineState, ServerRef } from '../../common/line-status';
import { describeLineEvent } from '../../common/line-status';
import type { Clock, Random } from './clock';
import { systemRandom, TimerSet } from './clock';
import { Emitter } from './line-events';
import { assertTransition } from './line-state';
import type { FailureCause, RegistrationEvent } from './registration-machine';
import { RegistrationMachine } from './registration-machine';
import { nextFailbackAt, nextRetryAt, silenceBudgetMs, T1_MS } from './registration-schedule';
import type { ServerChannel } from './server-channel';
import { NO_RESPONSE } from './server-channel';
import type { ServerLink } from './server-link';

type TimerName = 'retry' | 'failback' | 'liveness';

export interface LineControllerDeps {
  clock: Clock;
  /** Builds the mechanism to server `index` of this line (called at most once per index). */
  createChannel(index: number): ServerChannel;
  /** For the Call-ID of each server's REGISTER dialog. */
  random?: Random;
  t1Ms?: number;
}

/** What a LineController tells its subscribers. */
export interface LineControllerEvents {
  /** After every change of the snapshot (state, server, timers, last response…). */
  change: LineSnapshot;
  /** Every state transition and notable event (failover, failback, binding removed). */
  history: LineHistoryEntry;
}

export class LineController {
  private readonly events = new Emitter<LineControllerEvents>();
  private state: LineState = 'disabled';
  private since: number;
  /** Server holding the registration we rely on. */
  private active: number | null = null;
  /** Server the line is registering on or last failed on (shown while registering / auth-failed). */
  private trying: number | null = null;
  /** Server whose registration outcome the path waits for (initial, failover, retry). */
  private path: number | null = null;
  private code: number | null = null;
  private reason: string | null = null;
  private consecutiveFailures = 0;
  private livenessRttMs: number | null = null;
  private readonly deadlines: Record<TimerName, number | null> = { retry: null, failback: null, liveness: null };
  private readonly timers: TimerSet<TimerName>;
  private readonly machines = new Map<number, RegistrationMachine>();
  private stopped = false;
  private disposed = false;

  constructor(
    private readonly config: LineConfig,
    private readonly deps: LineControllerDeps,
  ) {
    this.timers = new TimerSet(deps.clock);
    this.since = deps.clock.now();
  }

  get id(): string {
    return this.config.id;
  }

  /** Subscribes to `change` or `history`; returns the unsubscribe function. Any number of subscribers. */
  on<K extends keyof LineControllerEvents>(event: K, listener: (value: LineControllerEvents[K]) => void): () => void {
    return this.events.on(event, listener);
  }

  /** Starts registering, or shows `disabled` when the line is configured off. */
  start(): void {
    this.stopped = false;
    if (!this.config.enabled) {
      this.emitChange();
      return;
    }
    this.attemptRegister(0, { kind: 'enabled' });
  }

  /**
   * Re-registers promptly (network change, resume from sleep): a registered line refreshes now,
   * a waiting line retries now.
   */
  reRegisterNow(why: string): void {
    if (this.stopped || this.path !== null) return;
    if (this.state === 'registered' && this.active !== null) this.machine(this.active).register();
    else if (this.state === 'retry-wait' || this.state === 'auth-failed') this.attemptRegister(0, { kind: 're-register', server: null, why });
  }

  /**
   * The JsSIP UA of server `index` (0 = primary), for calls through that server. Created on first
   * use. Null when the line runs on scripted channels. Throws RangeError for an index the line
   * does not have.
   */
  link(index: number): ServerLink | null {
    this.serverRef(index);
    return this.machine(index).channel.link();
  }

  /** Index of the server holding the registration the line relies on, or null when not registered. */
  activeServer(): number | null {
    return this.state === 'registered' ? this.active : null;
  }

  /**
   * Resolves with the active server's index once the line is registered (at once when it is).
   * A line in `retry-wait` or `auth-failed` starts an attempt now instead of waiting for its
   * timer. Rejects with an Error naming the state and reason when the attempt fails (the line
   * enters `retry-wait`/`auth-failed`), the line stops, or `timeoutMs` passes.
   */
  whenRegistered(timeoutMs: number): Promise<number> {
    if (this.state === 'registered' && this.active !== null) return Promise.resolve(this.active);
    if (this.stopped || this.disposed || this.state === 'disabled' || this.state === 'unregistering' || this.state === 'unregistered') {
      return Promise.reject(new Error(`line ${this.config.id} is ${this.state}`));
    }
    if (this.state === 'retry-wait' || this.state === 'auth-failed') this.attemptRegister(0, { kind: 're-register', server: null, why: 'registration needed now' });
    return new Promise((resolve, reject) => {
      const done = (): void => {
        this.deps.clock.clearTimer(timer);
        off();
      };
      const timer = this.deps.clock.setTimer(() => {
        done();
        reject(new Error(`line ${this.config.id} not registered within ${timeoutMs} ms (${this.state}${this.reason ? `: ${this.reason}` : ''})`));
      }, timeoutMs);
      const off = this.events.on('change', (s) => {
        if (s.state === 'registered' && s.server !== null) {
          done();
          resolve(s.server);
        } else if (s.state !== 'registering') {
          done();
          reject(new Error(`line ${this.config.id} is ${s.state}${s.reason ? `: ${s.code ? `${s.code} ` : ''}${s.reason}` : ''}`));
        }
      });
    });
  }

  /**
   * Tells the policy that server `index` is unavailable (an INVITE drew no answer within the
   * budget, a 500/503, a refused connection): exactly as if its REGISTER had failed that way —
   * the next server at once, or `retry-wait` after the last. Ignored for a server the line does
   * not use now.
   */
  reportServerUnavailable(index: number, cause: string | { code: number; reason: string }): void {
    this.serverRef(index);
    if (this.stopped) return;
    const failure: EventCause = typeof cause === 'string' ? { code: NO_RESPONSE, reason: cause, during: 'call' } : { ...cause, during: 'call' };
    if (index !== this.active && index !== this.path) return;
    this.path = null;
    this.consecutiveFailures++;
    this.record(failure.code, failure.reason);
    this.serverUnavailable(index, failure);
  }

  /**
   * Stops the line: timers cleared, outcomes ignored, and REGISTER Expires:0 to every server that
   * may hold a binding (when `sendUnregister`), in parallel, waiting at most `boundMs`. Each
   * machine first waits for its transaction in flight, so the Expires:0 is the last REGISTER.
   */
  async stop(final: 'disabled' | 'unregistered', why: string, boundMs: number): Promise<void> {
    this.stopped = true;
    this.path = null;
    this.timers.dispose();
    for (const name of Object.keys(this.deadlines) as TimerName[]) this.deadlines[name] = null;
    const machines = [...this.machines.values()];
    const holders = this.config.sendUnregister ? machines.filter((m) => m.hasBinding()) : [];
    for (const m of machines) if (!holders.includes(m)) m.halt();
    if (holders.length > 0) {
      this.transition('unregistering', { kind: 'stopped', why });
      const all = Promise.allSettled(holders.map((m) => m.unbind(boundMs)));
      await new Promise<void>((resolve) => {
        const bound = this.deps.clock.setTimer(resolve, boundMs);
        void all.then(() => {
          this.deps.clock.clearTimer(bound);
          resolve();
        });
      });
    }
    this.active = null;
    this.trying = null;
    if (this.state !== final) this.transition(final, { kind: 'stopped', why });
    else this.emitChange();
  }

  /** Closes every server's machine and channel and drops subscribers. Sends nothing; safe without `stop()`. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.stopped = true;
    this.path = null;
    this.timers.dispose();
    for (const machine of this.machines.values()) machine.dispose();
    this.machines.clear();
    this.events.clear();
  }

  snapshot(): LineSnapshot {
    const server = this.state === 'registered' ? this.active : this.state === 'registering' || this.state === 'auth-failed' ? this.trying : null;
    const bindings = [...this.machines.entries()].filter(([, m]) => m.hasBinding()).map(([i]) => i).sort((a, b) => a - b);
    const serverConfig = server === null ? undefined : this.config.servers[server];
    const activeMachine = this.state === 'registered' && this.active !== null ? this.machines.get(this.active) : undefined;
    return {
      id: this.config.id,
      name: this.config.name,
      state: this.state,
      server,
      serverLabel: serverConfig ? serverLabel(serverConfig) : null,
      serverTarget: server === null ? null : (this.machines.get(server)?.channel.describeTarget?.() ?? null),
      code: this.code,
      reason: this.reason,
      expires: activeMachine?.granted ?? null,
      nextRefreshAt: activeMachine?.nextRefreshAt ?? null,
      nextRetryAt: this.deadlines.retry,
      nextFailbackAt: this.deadlines.failback,
      nextLivenessAt: this.deadlines.liveness,
      consecutiveFailures: this.consecutiveFailures,
      livenessRttMs: this.livenessRttMs,
      since: this.since,
      bindings,
    };
  }

  // ── the registration path ────────────────────────────────────────────────────────────────

  private attemptRegister(index: number, event: LineEvent, keepRegistered = false): void {
    this.path = index;
    this.trying = index;
    this.cancel('retry');
    if (!keepRegistered) {
      if (this.state !== 'registering') this.transition('registering', event, index);
      else this.note(event, index);
    } else {
      this.emitChange();
    }
    // A server still inside its Retry-After answers `failed` at once without sending anything,
    // so the failover below stays immediate.
    this.machine(index).register();
  }

  private onMachineEvent(index: number, event: RegistrationEvent): void {
    if (this.stopped) return;
    switch (event.kind) {
      case 'ok':
        this.record(event.code, event.reason);
        if (index === this.active && this.path === null) return this.emitChange();
        if (index === this.path) return this.becomeActive(index, { kind: 'registered', server: this.serverRef(index) });
        // The primary's own dialog answered a failback probe.
        if (index === 0 && this.active !== null && this.active !== 0) return this.becomeActive(0, { kind: 'failback', server: this.serverRef(0) });
        // A binding nobody uses any more (the path moved on meanwhile): never leave it behind.
        return this.removeBinding(index);
      case 'failed':
        if (index === this.path) return this.pathFailed(index, event.cause);
        if (index === 0 && this.active !== null && this.active !== 0) {
          this.scheduleFailbackProbe();
          return this.note({ kind: 'failback-failed', server: this.serverRef(0), cause: causeOf(event.cause) }, this.active);
        }
        return;
      case 'lost':
        if (index !== this.active && index !== this.path) return;
        if (event.during === 'connection') {
          // A TCP/TLS/WS connection to the active server dropped: re-register at once (a new
          // connection, a new Contact — the machine removes the old one in the same REGISTER).
          return this.attemptRegister(index, { kind: 'connection-lost', server: this.serverRef(index) });
        }
        return this.pathFailed(index, event.cause, 'refresh');
    }
  }

  private pathFailed(index: number, cause: FailureCause, during: EventCause['during'] = 'register'): void {
    this.path = null;
    this.consecutiveFailures++;
    this.record(cause.code, cause.reason);
    const eventCause: EventCause = during === 'register' ? causeOf(cause) : { ...causeOf(cause), during };
    switch (cause.kind) {
      case 'unavailable':
        return this.serverUnavailable(index, eventCause);
      case 'auth-failed':
        this.dropActive(index);
        return this.waitThenRetry('auth-failed', { kind: 'auth-failed', server: this.serverRef(index), cause: eventCause }, index);
      case 'rejected':
        this.dropActive(index);
        return this.waitThenRetry('retry-wait', { kind: 'rejected', server: this.serverRef(index), cause: eventCause });
    }
  }

  /** The server at `index` cannot be used: next server at once, or wait when it was the last. */
  private serverUnavailable(index: number, cause: EventCause): void {
    this.dropActive(index);
    const next = index + 1;
    if (next < this.config.servers.length) {
      this.attemptRegister(next, { kind: 'failover', from: this.serverRef(index), to: this.serverRef(next), cause });
    } else {
      this.waitThenRetry('retry-wait', { kind: 'unavailable', server: this.serverRef(index), every: this.config.servers.length > 1, cause });
    }
  }

  private waitThenRetry(state: 'retry-wait' | 'auth-failed', event: LineEvent, server: number | null = null): void {
    this.trying = server;
    const now = this.deps.clock.now();
    // RFC 3261 §21.5.4: a server's Retry-After can only make the wait longer, never shorter.
    const at = nextRetryAt(now, this.config.retryDelay, this.config.servers.map((_, i) => this.machines.get(i)?.notBefore ?? null));
    const afterSeconds = Math.round((at - now) / 1000);
    this.schedule('retry', at - now, () => this.attemptRegister(0, { kind: 'retry', afterSeconds }));
    if (this.state !== state) this.transition(state, event, server);
    else this.note(event, server);
  }

  private becomeActive(index: number, event: LineEvent): void {
    const previous = this.active;
    this.active = index;
    this.trying = index;
    this.path = null;
    this.consecutiveFailures = 0;
    this.cancel('retry');
    if (this.config.liveness.interval > 0 && (previous !== index || this.deadlines.liveness === null)) {
      this.schedule('liveness', this.config.liveness.interval * 1000, () => this.checkLiveness());
    }
    if (index === 0) this.cancel('failback');
    else if (this.config.failback.enabled && this.deadlines.failback === null) this.scheduleFailbackProbe();
    if (this.state !== 'registered') this.transition('registered', event, index);
    else if (previous !== index) this.note(event, index);
    else this.emitChange();
    // Every other server that may still hold a binding of ours — the one we left (a failover drops
    // `active` before the next server answers), a path that moved on — is unbound (its machine first lets its transaction in flight finish). A failback
    // probe in flight is left alone: its answer decides.
    for (const [other, machine] of this.machines) {
      const probing = other === 0 && index !== 0 && machine.state === 'registering';
      if (other !== index && !probing) this.removeBinding(other);
    }
  }

  /** The active server is gone: its timers go with it. */
  private dropActive(index: number): void {
    if (this.active !== index) return;
    this.active = null;
    this.cancel('liveness');
    this.cancel('failback');
  }

  /** Expires:0 for a server we no longer use; its machine first waits for what it has in flight. */
  private removeBinding(index: number): void {
    const machine = this.machines.get(index);
    if (!machine || !machine.hasBinding()) return;
    void machine.unbind(this.budget(index)).then((outcome) => {
      if (this.stopped) return;
      this.note({ kind: 'binding-removed', server: this.serverRef(index), removed: outcome.kind === 'removed', cause: { code: outcome.code, reason: outcome.reason } }, this.active);
    });
  }

  // ── failback: an independent dialog to the primary ───────────────────────────────────────

  private scheduleFailbackProbe(): void {
    const now = this.deps.clock.now();
    // The primary's Retry-After holds the probe back too (RFC 3261 §21.5.4).
    const at = nextFailbackAt(now, this.config.failback.interval, this.machines.get(0)?.notBefore ?? null);
    this.schedule('failback', at - now, () => this.probePrimary());
  }

  private probePrimary(): void {
    if (this.stopped || this.active === null || this.active === 0) return;
    const primary = this.machine(0);
    // Still removing an old binding of its own: probe again an interval later.
    if (primary.state !== 'idle') return this.scheduleFailbackProbe();
    this.emitChange();
    primary.register();
  }

  // ── liveness (OPTIONS) ───────────────────────────────────────────────────────────────────

  private checkLiveness(): void {
    const index = this.active;
    if (this.stopped || index === null || this.state !== 'registered') return;
    const machine = this.machine(index);
    const next = (): void => this.schedule('liveness', this.config.liveness.interval * 1000, () => this.checkLiveness());
    // A REGISTER in flight will tell about the server itself.
    if (machine.state !== 'bound') return next();
    void machine.checkLiveness().then((outcome) => {
      // A failover, failback or stop happened meanwhile: it knows better than this probe.
      if (this.stopped || this.active !== index) return;
      if (outcome.kind === 'alive') {
        this.livenessRttMs = outcome.rttMs;
        next();
        this.emitChange();
        return;
      }
      if (machine.state !== 'bound') return next();
      this.consecutiveFailures++;
      this.record(outcome.code, outcome.reason);
      // RFC 3263 §4.3: a server entry located through DNS has further targets to try first; the
      // REGISTER there reports its outcome like any refresh (a `lost` when every target failed).
      if (machine.moveToNextTarget()) {
        next();
        return this.emitChange();
      }
      this.serverUnavailable(index, { code: outcome.code, reason: outcome.reason, during: 'liveness' });
    });
  }

  // ── plumbing ─────────────────────────────────────────────────────────────────────────────

  private machine(index: number): RegistrationMachine {
    let machine = this.machines.get(index);
    if (!machine) {
      const server = this.config.servers[index];
      if (!server) throw new RangeError(`line ${this.config.id} has no server ${index}`);
      machine = new RegistrationMachine({
        channel: this.deps.createChannel(index),
        clock: this.deps.clock,
        callId: callIdFrom(this.deps.random ?? systemRandom),
        ttl: server.expires,
        budgetMs: this.budget(index),
      });
      machine.subscribe((event) => this.onMachineEvent(index, event));
      this.machines.set(index, machine);
    }
    return machine;
  }

  private budget(index: number): number {
    return silenceBudgetMs(this.config.signalRetryCount, index === this.config.servers.length - 1, this.deps.t1Ms ?? T1_MS);
  }

  private serverRef(index: number): ServerRef {
    const server = this.config.servers[index];
    if (!server) throw new RangeError(`line ${this.config.id} has no server ${index} (it has ${this.config.servers.length})`);
    return { index, label: serverLabel(server) };
  }

  private record(code: number, reason: string): void {
    this.code = code;
    this.reason = reason;
  }

  private schedule(name: TimerName, delayMs: number, callback: () => void): void {
    this.deadlines[name] = this.deps.clock.now() + delayMs;
    this.timers.set(name, delayMs, () => {
      this.deadlines[name] = null;
      callback();
    });
  }

  private cancel(name: TimerName): void {
    this.timers.clear(name);
    this.deadlines[name] = null;
  }

  private transition(to: LineState, event: LineEvent, server: number | null = this.active): void {
    assertTransition(this.state, to);
    const from = this.state;
    this.state = to;
    this.since = this.deps.clock.now();
    this.events.emit('history', { time: this.since, line: this.config.id, from, to, server, reason: describeLineEvent(event), event });
    this.emitChange();
  }

  /** A notable event that does not change the state (failover to the next backup, failback). */
  private note(event: LineEvent, server: number | null): void {
    this.events.emit('history', { time: this.deps.clock.now(), line: this.config.id, from: this.state, to: this.state, server, reason: describeLineEvent(event), event });
    this.emitChange();
  }

  private emitChange(): void {
    this.events.emit('change', this.snapshot());
  }
}

function causeOf(cause: FailureCause): EventCause {
  return { code: cause.code, reason: cause.reason };
}

/** RFC 3261 §8.1.1.4: a Call-ID unique in space and time; 22 characters of [0-9a-z]. */
function callIdFrom(random: Random): string {
  let token = '';
  for (let i = 0; i < 22; i++) token += Math.floor(random() * 36).toString(36);
  return token;
}
