/**
 * One place that asks the engine to re-register every line. Resume, screen unlock, a clock jump
 * and a network change often arrive together; the first one acts at once and the others within
 * the quiet window are folded into it, so the history shows one reason and the servers see one
 * REGISTER per line rather than four.
 */
import type { Clock } from '../sip/clock';

export interface ReRegisterTriggerOptions {
  clock: Clock;
  /** `engine.reRegisterAll(reason)`. */
  reRegisterAll(reason: string): void;
  /** Triggers this soon after the last one that acted are folded into it. */
  quietMs?: number;
  log?(message: string): void;
}

export class ReRegisterTrigger {
  private lastAt: number | null = null;
  private readonly quietMs: number;

  constructor(private readonly options: ReRegisterTriggerOptions) {
    this.quietMs = options.quietMs ?? 2_000;
  }

  /** Asks for a re-registration; answers whether it acted (false: folded into a recent one). */
  fire(reason: string): boolean {
    const now = this.options.clock.now();
    // A negative gap means the wall clock went back: that is itself a reason to act.
    if (this.lastAt !== null && now - this.lastAt >= 0 && now - this.lastAt < this.quietMs) {
      this.options.log?.(`re-register folded into the previous one: ${reason}`);
      return false;
    }
    this.lastAt = now;
    this.options.log?.(`re-registering every line: ${reason}`);
    this.options.reRegisterAll(reason);
    return true;
  }
}
