/**
 * One line's registration policy: which server is active, when to refresh, fail over, retry,
 * probe the primary (failback) and check liveness. It only sees `ServerChannel`s and a `Clock`,
 * so every rule runs under a fake clock in unit tests; the SIP itself is behind the channels.
 *
 * The rules (SPEC "Registration behaviour"):
 * - register on the primary; a server that is unavailable (500/503, silence past the budget,
 *   connect refused, ICMP unreachable) moves the line to the next server at once;
 * - when the last server is unavailable too: `retry-wait` for the retry delay, then the primary;
 * - 403 / repeated 401: `auth-failed`, retried after the retry delay, never a failover;
 * - refresh at half the granted lifetime on the same dialog; a failed refresh is a failed
 *   registration;
 * - while a backup is active, the primary's own channel (its own Call-ID and Contact) probes it
 *   every failback interval; on 200 OK the primary becomes active and the backup binding is
 *   removed — the line shows `registered` throughout;
 * - OPTIONS to the active server every liveness interval; silence or 5xx is unavailability;
 * - stop: Expires:0 to every server that may hold a binding, in parallel, bounded.
 */
import type { LineConfig } from '../../common/line-config';
import { serverLabel } from '../../common/line-config';
import type { LineHistoryEntry, LineSnapshot, LineState } from '../../common/line-status';
import type { Clock } from './clock';
import { TimerSet } from './clock';
import { assertTransition } from './line-state';
import { refreshDelayMs, requestedExpires, retryDelayMs, silenceBudgetMs, T1_MS } from './registration-schedule';
import type { LivenessOutcome, RegisterOutcome, ServerChannel } from './server-channel';
import { describeResponse } from './server-channel';

type TimerName = 'refresh' | 'retry' | 'failback' | 'liveness';

export interface LineControllerDeps {
  clock: Clock;
  /** Builds the channel to server `index` of this line (called at most once per index). */
  createChannel(index: number): ServerChannel;
  t1Ms?: number;
}

export class LineController {
  /** Called after every change of the snapshot (state, server, timers, last response…). */
  onChange: ((snapshot: LineSnapshot) => void) | null = null;
  /** Called for every state transition and notable event (failover, failback). */
  onHistory: ((entry: LineHistoryEntry) => void) | null = null;

  private state: LineState = 'disabled';
  private since: number;
  /** Server holding the registration we rely on. */
  private active: number | null = null;
  /** Server the line is registering on (shown while `registering`). */
  private trying: number | null = null;
  private code: number | null = null;
  private reason: string | null = null;
  private consecutiveFailures = 0;
  private livenessRttMs: number | null = null;
  private readonly granted: (number | null)[];
  private readonly deadlines: Record<TimerName, number | null> = { refresh: null, retry: null, failback: null, liveness: null };
  private readonly timers: TimerSet<TimerName>;
  private readonly channels = new Map<number, ServerChannel>();
  /** Bumped whenever in-flight registration-path results must be ignored. */
  private pathToken = 0;
  private pathBusy = false;
  private probeBusy = false;
  private livenessBusy = false;
  private stopped = false;

  constructor(
    private readonly config: LineConfig,
    private readonly deps: LineControllerDeps,
  ) {
    this.timers = new TimerSet(deps.clock);
    this.since = deps.clock.now();
    this.granted = config.servers.map(() => null);
  }

  get id(): string {
    return this.config.id;
  }

  /** Starts registering, or shows `disabled` when the line is configured off. */
  start(): void {
    this.stopped = false;
    if (!this.config.enabled) {
      this.emitChange();
      return;
    }
    this.attemptRegister(0, 'line enabled');
  }

  /**
   * Re-registers promptly (network change, resume from sleep): a registered line refreshes now,
   * a waiting line retries now.
   */
  reRegisterNow(reason: string): void {
    if (this.stopped || this.state === 'disabled' || this.pathBusy) return;
    if (this.state === 'registered' && this.active !== null) this.attemptRegister(this.active, reason, true);
    else if (this.state === 'retry-wait' || this.state === 'auth-failed') this.attemptRegister(0, reason);
  }

  /**
   * Stops the line: every timer cleared, in-flight results ignored, and REGISTER Expires:0 to every
   * server that may hold a binding (when `sendUnregister`), in parallel, waiting at most `boundMs`.
   */
  async stop(final: 'disabled' | 'unregistered', reason: string, boundMs: number): Promise<void> {
    this.stopped = true;
    this.pathToken++;
    this.pathBusy = false;
    this.timers.dispose();
    for (const name of Object.keys(this.deadlines) as TimerName[]) this.deadlines[name] = null;
    const holders = [...this.channels.values()].filter((c) => c.hasBinding());
    if (this.config.sendUnregister && holders.length > 0) {
      this.transition('unregistering', reason);
      const all = Promise.allSettled(holders.map((c) => c.unregister(boundMs)));
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
    if (this.state !== final) this.transition(final, reason);
    else this.emitChange();
  }

  /** Closes every channel. Sends nothing: call `stop` first for a clean unregister. */
  dispose(): void {
    this.stopped = true;
    this.timers.dispose();
    for (const channel of this.channels.values()) channel.dispose();
    this.channels.clear();
  }

  snapshot(): LineSnapshot {
    const server = this.state === 'registered' ? this.active : this.state === 'registering' || this.state === 'auth-failed' ? this.trying : null;
    const bindings = [...this.channels.entries()].filter(([, c]) => c.hasBinding()).map(([i]) => i).sort((a, b) => a - b);
    const serverConfig = server === null ? undefined : this.config.servers[server];
    return {
      id: this.config.id,
      name: this.config.name,
      state: this.state,
      server,
      serverLabel: serverConfig ? serverLabel(serverConfig) : null,
      code: this.code,
      reason: this.reason,
      expires: this.state === 'registered' && this.active !== null ? this.granted[this.active] ?? null : null,
      nextRefreshAt: this.deadlines.refresh,
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

  private attemptRegister(index: number, reason: string, keepRegistered = false): void {
    const token = ++this.pathToken;
    this.pathBusy = true;
    this.trying = index;
    this.cancel('retry');
    if (!keepRegistered) {
      if (this.state !== 'registering') this.transition('registering', reason, index);
      else this.note(reason, index);
    } else {
      this.emitChange();
    }
    const channel = this.channel(index);
    void channel
      .register(this.requestedExpires(index), this.budget(index))
      .then((outcome) => this.onRegisterOutcome(token, index, outcome));
  }

  private onRegisterOutcome(token: number, index: number, outcome: RegisterOutcome): void {
    if (token !== this.pathToken) {
      // A result nobody waits for any more: never leave a binding behind that we do not use.
      if (outcome.kind === 'registered' && index !== this.active) this.removeStaleBinding(index);
      return;
    }
    this.pathBusy = false;
    this.record(outcome.code, outcome.reason);
    switch (outcome.kind) {
      case 'registered':
        this.becomeActive(index, outcome.granted, `registered on ${this.describe(index)}`);
        return;
      case 'unavailable':
        this.consecutiveFailures++;
        this.serverUnavailable(index, describeResponse(outcome));
        return;
      case 'auth-failed':
        this.consecutiveFailures++;
        this.dropActive(index);
        this.waitThenRetry('auth-failed', `authentication failed on ${this.describe(index)}: ${describeResponse(outcome)}`, index);
        return;
      case 'rejected':
        this.consecutiveFailures++;
        this.dropActive(index);
        this.waitThenRetry('retry-wait', `registration rejected by ${this.describe(index)}: ${describeResponse(outcome)}`);
        return;
    }
  }

  /** The server at `index` cannot be used: next server at once, or wait when it was the last. */
  private serverUnavailable(index: number, reason: string): void {
    this.dropActive(index);
    const next = index + 1;
    if (next < this.config.servers.length) {
      this.attemptRegister(next, `failover to ${this.describe(next)}: ${this.describe(index)} unavailable (${reason})`);
    } else {
      const all = this.config.servers.length > 1 ? 'every server unavailable' : `${this.describe(index)} unavailable`;
      this.waitThenRetry('retry-wait', `${all} (${reason})`);
    }
  }

  private waitThenRetry(state: 'retry-wait' | 'auth-failed', reason: string, server: number | null = null): void {
    this.trying = server;
    const delay = retryDelayMs(this.config.retryDelay);
    this.schedule('retry', delay, () => this.attemptRegister(0, `retry after ${this.config.retryDelay} s`));
    if (this.state !== state) this.transition(state, reason, server);
    else this.note(reason, server);
  }

  private becomeActive(index: number, granted: number, reason: string): void {
    const previous = this.active;
    this.active = index;
    this.trying = index;
    this.granted[index] = granted;
    this.consecutiveFailures = 0;
    this.schedule('refresh', refreshDelayMs(granted), () => this.refresh());
    if (this.config.liveness.interval > 0 && (previous !== index || this.deadlines.liveness === null)) {
      this.schedule('liveness', this.config.liveness.interval * 1000, () => this.checkLiveness());
    }
    if (index === 0) this.cancel('failback');
    else if (this.config.failback.enabled && this.deadlines.failback === null) this.scheduleFailbackProbe();
    if (this.state !== 'registered') this.transition('registered', reason, index);
    else if (previous !== index) this.note(reason, index);
    else this.emitChange();
    if (previous !== null && previous !== index) this.removeStaleBinding(previous);
  }

  private refresh(): void {
    if (this.active === null || this.pathBusy) return;
    this.attemptRegister(this.active, 'refresh', true);
  }

  /** The active server is gone: its timers go with it. */
  private dropActive(index: number): void {
    if (this.active !== index) return;
    this.active = null;
    this.cancel('refresh');
    this.cancel('liveness');
    this.cancel('failback');
  }

  // ── failback: an independent dialog to the primary ───────────────────────────────────────

  private scheduleFailbackProbe(): void {
    this.schedule('failback', this.config.failback.interval * 1000, () => this.probePrimary());
  }

  private probePrimary(): void {
    if (this.stopped || this.active === null || this.active === 0) return;
    if (this.probeBusy) return this.scheduleFailbackProbe();
    this.probeBusy = true;
    this.emitChange();
    void this.channel(0)
      .register(this.requestedExpires(0), this.budget(0))
      .then((outcome) => this.onProbeOutcome(outcome));
  }

  private onProbeOutcome(outcome: RegisterOutcome): void {
    this.probeBusy = false;
    if (this.stopped) {
      if (outcome.kind === 'registered') this.removeStaleBinding(0);
      return;
    }
    if (outcome.kind === 'registered') {
      if (this.active === 0) return;
      // The primary took us back: whatever the backup path was doing no longer matters.
      this.pathToken++;
      this.pathBusy = false;
      this.record(outcome.code, outcome.reason);
      this.becomeActive(0, outcome.granted, `failback to ${this.describe(0)}`);
      return;
    }
    if (this.active !== null && this.active !== 0 && this.config.failback.enabled) this.scheduleFailbackProbe();
    this.note(`failback probe to ${this.describe(0)} failed: ${describeResponse(outcome)}`, this.active);
  }

  // ── liveness (OPTIONS) ───────────────────────────────────────────────────────────────────

  private checkLiveness(): void {
    const index = this.active;
    if (this.stopped || index === null || this.state !== 'registered') return;
    const next = (): void => this.schedule('liveness', this.config.liveness.interval * 1000, () => this.checkLiveness());
    if (this.livenessBusy || this.pathBusy) return next();
    this.livenessBusy = true;
    const token = this.pathToken;
    void this.channel(index)
      .checkLiveness(this.budget(index))
      .then((outcome) => this.onLivenessOutcome(token, index, outcome, next));
  }

  private onLivenessOutcome(token: number, index: number, outcome: LivenessOutcome, next: () => void): void {
    this.livenessBusy = false;
    // A refresh, failover or stop happened meanwhile: it knows better than this probe.
    if (this.stopped || token !== this.pathToken || this.pathBusy || this.active !== index) return;
    if (outcome.kind === 'alive') {
      this.livenessRttMs = outcome.rttMs;
      next();
      this.emitChange();
      return;
    }
    this.consecutiveFailures++;
    this.record(outcome.code, outcome.reason);
    this.serverUnavailable(index, `liveness check: ${describeResponse(outcome)}`);
  }

  // ── plumbing ─────────────────────────────────────────────────────────────────────────────

  private channel(index: number): ServerChannel {
    let channel = this.channels.get(index);
    if (!channel) {
      channel = this.deps.createChannel(index);
      channel.onConnectionLost = () => this.connectionLost(index);
      this.channels.set(index, channel);
    }
    return channel;
  }

  /** A TCP/TLS/WS connection to the active server dropped: re-register at once instead of waiting. */
  private connectionLost(index: number): void {
    if (this.stopped || index !== this.active || this.pathBusy) return;
    this.attemptRegister(index, `connection to ${this.describe(index)} lost`);
  }

  private removeStaleBinding(index: number): void {
    const channel = this.channels.get(index);
    if (!channel || !channel.hasBinding()) return;
    void channel.unregister(this.budget(index)).then((outcome) => {
      this.note(`binding on ${this.describe(index)} ${outcome.kind === 'removed' ? 'removed' : 'not removed'}: ${describeResponse(outcome)}`, this.active);
    });
  }

  private requestedExpires(index: number): number {
    const server = this.config.servers[index];
    if (!server) throw new Error(`line ${this.config.id} has no server ${index}`);
    return requestedExpires(this.config.expiryMode, server.expires, this.granted[index] ?? null, null);
  }

  private budget(index: number): number {
    return silenceBudgetMs(this.config.signalRetryCount, index === this.config.servers.length - 1, this.deps.t1Ms ?? T1_MS);
  }

  private describe(index: number): string {
    const server = this.config.servers[index];
    const role = index === 0 ? 'primary' : `backup ${index}`;
    return server ? `${role} ${serverLabel(server)}` : role;
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

  private transition(to: LineState, reason: string, server: number | null = this.active): void {
    assertTransition(this.state, to);
    const from = this.state;
    this.state = to;
    this.since = this.deps.clock.now();
    this.onHistory?.({ time: this.since, line: this.config.id, from, to, server, reason });
    this.emitChange();
  }

  /** A notable event that does not change the state (failover to the next backup, failback). */
  private note(reason: string, server: number | null): void {
    this.onHistory?.({ time: this.deps.clock.now(), line: this.config.id, from: this.state, to: this.state, server, reason });
    this.emitChange();
  }

  private emitChange(): void {
    this.onChange?.(this.snapshot());
  }
}
