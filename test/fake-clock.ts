import type { Clock, TimerHandle } from '../main/sip/clock';

interface PendingTimer {
  id: number;
  at: number;
  callback: () => void;
}

/** A virtual clock: time moves only when a test calls `advance`. Timers fire in deadline order. */
export class FakeClock implements Clock {
  private time: number;
  private nextId = 1;
  private pending: PendingTimer[] = [];

  constructor(start = 1_700_000_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimer(callback: () => void, ms: number): TimerHandle {
    const timer = { id: this.nextId++, at: this.time + Math.max(0, ms), callback };
    this.pending.push(timer);
    return timer.id;
  }

  clearTimer(handle: TimerHandle | null | undefined): void {
    this.pending = this.pending.filter((t) => t.id !== handle);
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = this.pending.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.pending = this.pending.filter((t) => t !== due);
      this.time = due.at;
      due.callback();
    }
    this.time = end;
  }

  /**
   * Like `advance`, but lets promise callbacks run after every timer, so code that awaits between
   * timers (the line controller awaiting its channels) behaves as it would in real time.
   */
  async advanceAsync(ms: number): Promise<void> {
    const end = this.time + ms;
    await flush();
    for (;;) {
      const due = this.pending.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.pending = this.pending.filter((t) => t !== due);
      this.time = due.at;
      due.callback();
      await flush();
    }
    this.time = end;
  }

  /** Deadlines still pending, relative to now: handy for asserting a schedule. */
  pendingDelays(): number[] {
    return this.pending.map((t) => t.at - this.time).sort((a, b) => a - b);
  }
}

/** Lets every queued promise callback run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
