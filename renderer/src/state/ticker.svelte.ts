import type { Schedule } from './scheduler';
import { windowSchedule } from './scheduler';

/**
 * The one shared clock of the UI: `now` changes once per second, on the second, and every
 * countdown on screen is computed from it and the absolute deadlines in the snapshots. There is
 * never a timer per row.
 */
export class Ticker {
  now = $state(Date.now());
  #cancel: (() => void) | null = null;
  readonly #schedule: Schedule;
  readonly #read: () => number;

  constructor(schedule: Schedule = windowSchedule, read: () => number = () => Date.now()) {
    this.#schedule = schedule;
    this.#read = read;
  }

  start(): void {
    if (this.#cancel) return;
    const step = (): void => {
      this.now = this.#read();
      // Land just after the next whole second, so every countdown steps together.
      this.#cancel = this.#schedule(step, 1000 - (this.now % 1000) + 5);
    };
    step();
  }

  /**
   * New deadlines just arrived: read the clock now, so a fresh 30 s deadline shows 30s rather
   * than 31s until the next tick. The once-per-second schedule is unchanged.
   */
  sync(): void {
    this.now = this.#read();
  }

  destroy(): void {
    this.#cancel?.();
    this.#cancel = null;
  }
}
