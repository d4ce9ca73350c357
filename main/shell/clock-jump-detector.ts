/**
 * Notices that the machine slept (or its clock was changed) without help from the OS: `powerMonitor`
 * misses `resume` on some Linux desktops. Every tick compares how far the wall clock moved with how
 * far the monotonic clock moved:
 * - wall ahead of monotonic: the monotonic clock stood still while the wall clock ran — suspend on
 *   Linux and macOS, or the clock set forward;
 * - wall behind monotonic: the clock was set back;
 * - both far beyond the tick: the process did not run for that long (suspend where the monotonic
 *   clock keeps counting, e.g. Windows, or a stopped process).
 * Any of these can leave registrations expired at the server, so the caller re-registers.
 */
import type { Clock, TimerHandle } from '../sip/clock';

export interface ClockJump {
  kind: 'wall-ahead' | 'wall-behind' | 'stalled';
  /** How far the wall clock moved during the tick, ms. */
  wallDeltaMs: number;
  /** How far the monotonic clock moved during the tick, ms. */
  monotonicDeltaMs: number;
}

export interface ClockJumpDetectorOptions {
  /** Wall clock (`now`) and timers. */
  clock: Clock;
  /** Monotonic milliseconds (`performance.now()`). */
  monotonic: () => number;
  onJump(jump: ClockJump): void;
  /** Tick period. */
  intervalMs?: number;
  /** Wall and monotonic may disagree this much in one tick before it counts (NTP slews, jitter). */
  toleranceMs?: number;
  /** A tick this much later than due counts as the process having been stopped. */
  stallMs?: number;
}

/** Describes a jump for the line history ("resume or clock change: …"). */
export function describeJump(jump: ClockJump): string {
  const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;
  switch (jump.kind) {
    case 'wall-ahead': return `wall clock jumped ${seconds(jump.wallDeltaMs - jump.monotonicDeltaMs)} ahead (resume from sleep?)`;
    case 'wall-behind': return `wall clock was set back ${seconds(jump.monotonicDeltaMs - jump.wallDeltaMs)}`;
    case 'stalled': return `the app did not run for ${seconds(jump.monotonicDeltaMs)} (resume from sleep?)`;
  }
}

export class ClockJumpDetector {
  private timer: TimerHandle | null = null;
  private lastWall = 0;
  private lastMonotonic = 0;
  private readonly intervalMs: number;
  private readonly toleranceMs: number;
  private readonly stallMs: number;

  constructor(private readonly options: ClockJumpDetectorOptions) {
    this.intervalMs = options.intervalMs ?? 5_000;
    this.toleranceMs = options.toleranceMs ?? 5_000;
    this.stallMs = options.stallMs ?? 30_000;
  }

  start(): void {
    this.stop();
    this.lastWall = this.options.clock.now();
    this.lastMonotonic = this.options.monotonic();
    this.schedule();
  }

  stop(): void {
    this.options.clock.clearTimer(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    this.timer = this.options.clock.setTimer(() => this.tick(), this.intervalMs);
  }

  private tick(): void {
    const wall = this.options.clock.now();
    const monotonic = this.options.monotonic();
    const wallDeltaMs = wall - this.lastWall;
    const monotonicDeltaMs = monotonic - this.lastMonotonic;
    this.lastWall = wall;
    this.lastMonotonic = monotonic;
    this.schedule();
    const drift = wallDeltaMs - monotonicDeltaMs;
    if (drift > this.toleranceMs) this.options.onJump({ kind: 'wall-ahead', wallDeltaMs, monotonicDeltaMs });
    else if (drift < -this.toleranceMs) this.options.onJump({ kind: 'wall-behind', wallDeltaMs, monotonicDeltaMs });
    else if (monotonicDeltaMs > this.intervalMs + this.stallMs) this.options.onJump({ kind: 'stalled', wallDeltaMs, monotonicDeltaMs });
  }
}
