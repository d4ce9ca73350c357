/**
 * Quitting, whatever asked for it (menu, tray, OS shutdown, `before-quit`, SIGINT/SIGTERM): every
 * line sends REGISTER Expires:0 (bounded by the engine), then the app finishes quitting. It never
 * hangs: a hard limit exits the process even if unregistering or the normal quit path stalls.
 *
 * ```
 *            request(source)                 shutdown settled
 *  running ─────────────────► unregistering ─────────────────► finishing ──(app exits)
 *                                   │                              │
 *                                   │ hard limit       hard limit  │
 *                                   └──────────► exited ◄──────────┘
 *  force() from any state ──► exited
 * ```
 * `request` answers `hold` while the sequence runs (the caller keeps Electron from quitting, e.g.
 * `event.preventDefault()` in `before-quit`) and `proceed` once it has finished.
 */
import type { Clock, TimerHandle } from '../sip/clock';
import { DEFAULT_UNREGISTER_BOUND_MS } from '../sip/engine';

export type QuitState = 'running' | 'unregistering' | 'finishing' | 'exited';
export type QuitSource = 'menu' | 'tray' | 'before-quit' | 'os-shutdown' | 'signal' | 'update' | 'startup-failed';
export type QuitOutcome = 'clean' | 'engine-failed' | 'timed-out' | 'forced';

/** What the sequence needs from the engine: SipEngine satisfies it. */
export interface Unregisterer {
  shutdown(boundMs: number): Promise<void>;
}

export interface QuitSequenceDeps {
  clock: Clock;
  engine: Unregisterer;
  /** First thing when quitting starts: hide windows and the tray so the person sees the app go. */
  onStart(source: QuitSource): void;
  /** Unregistering is over: let the normal quit continue (`app.quit()`; `before-quit` now proceeds). */
  finish(outcome: QuitOutcome): void;
  /** Last resort: leave at once (`app.exit`). */
  exitNow(outcome: QuitOutcome): void;
  /** Passed to `engine.shutdown`. */
  unregisterBoundMs?: number;
  /** From the request to a forced exit, whatever happens; must exceed the unregister bound. */
  hardLimitMs?: number;
}

export class QuitSequence {
  private current: QuitState = 'running';
  private hardTimer: TimerHandle | null = null;
  private readonly boundMs: number;
  private readonly hardLimitMs: number;

  constructor(private readonly deps: QuitSequenceDeps) {
    this.boundMs = deps.unregisterBoundMs ?? DEFAULT_UNREGISTER_BOUND_MS;
    this.hardLimitMs = deps.hardLimitMs ?? this.boundMs + 2_000;
    if (this.hardLimitMs <= this.boundMs) throw new Error('the hard limit must exceed the unregister bound');
  }

  get state(): QuitState {
    return this.current;
  }

  /** Whether quitting has begun (windows close for real instead of hiding to the tray). */
  get quitting(): boolean {
    return this.current !== 'running';
  }

  /** Asks to quit. `hold`: keep the app alive, the sequence will finish it; `proceed`: let it go. */
  request(source: QuitSource): 'hold' | 'proceed' {
    if (this.current === 'finishing' || this.current === 'exited') return 'proceed';
    if (this.current === 'unregistering') return 'hold';
    this.current = 'unregistering';
    this.hardTimer = this.deps.clock.setTimer(() => this.exit('timed-out'), this.hardLimitMs);
    try {
      this.deps.onStart(source);
    } catch {
      // Hiding windows is cosmetic; it must never stop the unregister.
    }
    let shutdown: Promise<void>;
    try {
      shutdown = this.deps.engine.shutdown(this.boundMs);
    } catch (error) {
      shutdown = Promise.reject(error);
    }
    shutdown.then(
      () => this.settle('clean'),
      () => this.settle('engine-failed'),
    );
    return 'hold';
  }

  /** A second Ctrl-C, or anything that cannot wait: exit now. */
  force(): void {
    this.exit('forced');
  }

  private settle(outcome: QuitOutcome): void {
    if (this.current !== 'unregistering') return;
    this.current = 'finishing';
    // The hard timer stays armed: if the normal quit stalls (a window refusing to close), it exits.
    this.deps.finish(outcome);
  }

  private exit(outcome: QuitOutcome): void {
    if (this.current === 'exited') return;
    this.current = 'exited';
    this.deps.clock.clearTimer(this.hardTimer);
    this.deps.exitNow(outcome);
  }
}
