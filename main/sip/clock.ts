/**
 * Time and randomness, injected so every schedule and state machine runs under a fake clock
 * in tests. Domain code never calls `setTimeout`, `Date.now` or `Math.random` directly.
 */
export interface Clock {
  /** Wall-clock epoch milliseconds (what events carry as absolute deadlines). */
  now(): number;
  /** Runs `callback` after `ms`; the handle is only meaningful to `clearTimer` of the same clock. */
  setTimer(callback: () => void, ms: number): TimerHandle;
  clearTimer(handle: TimerHandle | null | undefined): void;
}

export type TimerHandle = { readonly __timer: unique symbol } | number | object;

export type Random = () => number;

/** The real clock, for production and integration tests. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer: (callback, ms) => {
    const handle = setTimeout(callback, ms);
    // A pending SIP timer must never keep a quitting process alive on its own.
    handle.unref?.();
    return handle as unknown as TimerHandle;
  },
  clearTimer: (handle) => {
    if (handle != null) clearTimeout(handle as unknown as NodeJS.Timeout);
  },
};

export const systemRandom: Random = () => Math.random();

/**
 * A set of named timers with one owner: `set` replaces a timer of the same name, `dispose`
 * clears them all. Keeps "every timer has a named owner" true without bookkeeping at call sites.
 */
export class TimerSet<Name extends string> {
  private readonly handles = new Map<Name, TimerHandle>();

  constructor(private readonly clock: Clock) {}

  set(name: Name, ms: number, callback: () => void): void {
    this.clear(name);
    const handle = this.clock.setTimer(() => {
      this.handles.delete(name);
      callback();
    }, Math.max(0, ms));
    this.handles.set(name, handle);
  }

  clear(name: Name): void {
    const handle = this.handles.get(name);
    if (handle !== undefined) {
      this.clock.clearTimer(handle);
      this.handles.delete(name);
    }
  }

  has(name: Name): boolean {
    return this.handles.has(name);
  }

  dispose(): void {
    for (const handle of this.handles.values()) this.clock.clearTimer(handle);
    this.handles.clear();
  }
}
