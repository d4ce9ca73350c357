import type { LivenessOutcome, RegisterOutcome, ServerChannel, UnregisterOutcome } from '../../../main/sip/server-channel';
import type { FakeClock } from '../../fake-clock';

/** How a scripted server behaves right now. */
export type ServerBehaviour = 'ok' | '503' | 'silent' | 'refused' | '403' | '404';

export interface ChannelCall {
  time: number;
  kind: 'register' | 'unregister' | 'options';
  expires?: number;
  budgetMs: number;
}

/**
 * A ServerChannel that answers as a scripted server would, in virtual time: `latencyMs` for an
 * answer, the whole silence budget for a silent server. It keeps the binding it granted, like a
 * registrar would, so tests can assert what is left behind.
 */
export class ScriptedChannel implements ServerChannel {
  behaviour: ServerBehaviour = 'ok';
  /** What the registrar grants; null = what was asked. */
  grant: number | null = null;
  latencyMs = 20;
  readonly calls: ChannelCall[] = [];
  onConnectionLost: (() => void) | null = null;
  bindingUntil: number | null = null;
  disposed = false;

  constructor(private readonly clock: FakeClock) {}

  register(expires: number, budgetMs: number): Promise<RegisterOutcome> {
    this.calls.push({ time: this.clock.now(), kind: 'register', expires, budgetMs });
    return this.answer(budgetMs, (): RegisterOutcome => {
      switch (this.behaviour) {
        case 'ok': {
          const granted = this.grant ?? expires;
          this.bindingUntil = this.clock.now() + granted * 1000;
          return { kind: 'registered', granted, code: 200, reason: 'OK' };
        }
        case '503': return { kind: 'unavailable', code: 503, reason: 'Service Unavailable' };
        case 'refused': return { kind: 'unavailable', code: 0, reason: 'connection refused' };
        case '403': return { kind: 'auth-failed', code: 403, reason: 'Forbidden' };
        case '404': return { kind: 'rejected', code: 404, reason: 'Not Found' };
        case 'silent': return { kind: 'unavailable', code: 0, reason: 'no response' };
      }
    });
  }

  unregister(budgetMs: number): Promise<UnregisterOutcome> {
    this.calls.push({ time: this.clock.now(), kind: 'unregister', budgetMs });
    return this.answer(budgetMs, (): UnregisterOutcome => {
      if (this.behaviour !== 'ok') return { kind: 'failed', code: 503, reason: 'Service Unavailable' };
      this.bindingUntil = null;
      return { kind: 'removed', code: 200, reason: 'OK' };
    }, { kind: 'failed', code: 0, reason: 'no response' });
  }

  checkLiveness(budgetMs: number): Promise<LivenessOutcome> {
    this.calls.push({ time: this.clock.now(), kind: 'options', budgetMs });
    return this.answer(budgetMs, (): LivenessOutcome =>
      this.behaviour === '503'
        ? { kind: 'unavailable', code: 503, reason: 'Service Unavailable' }
        : this.behaviour === 'ok' || this.behaviour === '403' || this.behaviour === '404'
          ? { kind: 'alive', rttMs: this.latencyMs, code: 200, reason: 'OK' }
          : { kind: 'unavailable', code: 0, reason: 'no response' },
    );
  }

  hasBinding(): boolean {
    return this.bindingUntil !== null && this.bindingUntil > this.clock.now();
  }

  dispose(): void {
    this.disposed = true;
  }

  count(kind: ChannelCall['kind']): number {
    return this.calls.filter((c) => c.kind === kind).length;
  }

  private answer<T>(budgetMs: number, outcome: () => T, silentOutcome?: T): Promise<T> {
    const silent = this.behaviour === 'silent';
    return new Promise((resolve) => {
      this.clock.setTimer(() => resolve(silent && silentOutcome ? silentOutcome : outcome()), silent ? budgetMs : this.latencyMs);
    });
  }
}
