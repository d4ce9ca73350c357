/**
 * "N of M lines registered", kept incrementally from the engine's snapshots (a full recount per
 * change would be quadratic with thousands of lines), and the level the tray icon shows.
 */
import type { LineSnapshot, LineState } from '../../common/line-status';

/** idle: no enabled line; ok: all enabled lines registered; partial: some; down: none. */
export type TrayLevel = 'idle' | 'ok' | 'partial' | 'down';

export interface TraySummary {
  registered: number;
  /** Lines that are meant to be registered (disabled lines are not counted). */
  total: number;
  level: TrayLevel;
  tooltip: string;
  /** Missed calls the person has not looked at yet. */
  missedCalls: number;
}

function counts(state: LineState): { total: boolean; registered: boolean } {
  return { total: state !== 'disabled', registered: state === 'registered' };
}

export class TrayStatus {
  private readonly states = new Map<string, LineState>();
  private registered = 0;
  private total = 0;
  private missed = 0;

  /** Missed calls not seen yet (CallService.missedUnseen); shown in the tooltip and the tray menu. */
  setMissedCalls(count: number): void {
    this.missed = Math.max(0, count);
  }

  observe(snapshot: LineSnapshot): void {
    this.remove(snapshot.id);
    this.states.set(snapshot.id, snapshot.state);
    const c = counts(snapshot.state);
    if (c.total) this.total++;
    if (c.registered) this.registered++;
  }

  remove(id: string): void {
    const previous = this.states.get(id);
    if (previous === undefined) return;
    const c = counts(previous);
    if (c.total) this.total--;
    if (c.registered) this.registered--;
    this.states.delete(id);
  }

  summary(): TraySummary {
    const { registered, total } = this;
    const level: TrayLevel = total === 0 ? 'idle' : registered === total ? 'ok' : registered === 0 ? 'down' : 'partial';
    const noun = total === 1 ? 'line' : 'lines';
    const lines = total === 0 ? 'Trunkline — no lines enabled' : `Trunkline — ${registered} of ${total} ${noun} registered`;
    const missed = this.missed === 0 ? '' : ` · ${this.missed} missed call${this.missed === 1 ? '' : 's'}`;
    return { registered, total, level, tooltip: `${lines}${missed}`, missedCalls: this.missed };
  }
}
