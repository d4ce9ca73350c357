/**
 * When a line's registration is lost or comes back, tell the person — without flooding the
 * desktop when a trunk flaps or a whole carrier goes down at once.
 *
 * - A line is **down** when it reaches `retry-wait` or `auth-failed` after having been registered,
 *   and **up** again at `registered`. `registering` is in between (a failover that succeeds says
 *   nothing); disable, remove and quit are the person's own doing and reset the line silently.
 * - Per line, at most one notification per cooldown; changes inside it are settled when it ends:
 *   if the line is back where it was last announced nothing is shown, else its current status is,
 *   with how often it changed.
 * - Globally, at most `maxPerWindow` notifications per window; the rest are folded into one
 *   summary ("3 more lines changed") when the window frees a slot.
 * - Switched off (AppSettings.notifications false): nothing is shown and nothing is saved up.
 */
import type { LineSnapshot } from '../../common/line-status';
import type { Clock, TimerHandle } from '../sip/clock';

/** What the desktop shows. */
export interface DesktopNotice {
  title: string;
  body: string;
  /** The line it is about; absent for a summary. */
  lineId?: string;
}

export interface NotificationPolicyOptions {
  clock: Clock;
  show(notice: DesktopNotice): void;
  enabled: boolean;
  /** Per-line quiet period after a notification. */
  lineCooldownMs?: number;
  maxPerWindow?: number;
  windowMs?: number;
}

type Status = 'up' | 'down';

interface Track {
  snapshot: LineSnapshot;
  everUp: boolean;
  status: Status | null;
  announced: Status | null;
  lastShownAt: number | null;
  flips: number;
  timer: TimerHandle | null;
}

function statusOf(snapshot: LineSnapshot): Status | null | 'reset' {
  switch (snapshot.state) {
    case 'registered': return 'up';
    case 'retry-wait':
    case 'auth-failed': return 'down';
    case 'registering': return null;
    default: return 'reset';
  }
}

function lineNotice(track: Track, status: Status): DesktopNotice {
  const s = track.snapshot;
  const flaps = track.flips > 1 ? ` (changed ${track.flips} times since the last alert)` : '';
  if (status === 'up') {
    const where = s.server === null ? '' : ` on ${s.server === 0 ? 'the primary' : `backup ${s.server}`}${s.serverLabel ? ` (${s.serverLabel})` : ''}`;
    return { lineId: s.id, title: `${s.name} is registered again`, body: `Registered${where}${flaps}.` };
  }
  const why = s.code === null ? '' : s.code === 0 ? `: ${s.reason ?? 'no answer'}` : `: ${s.code} ${s.reason ?? ''}`.trimEnd();
  const what = s.state === 'auth-failed' ? 'Authentication failed' : 'Not registered';
  return { lineId: s.id, title: `${s.name} lost its registration`, body: `${what}${why}${flaps}.` };
}

export class NotificationPolicy {
  private readonly lines = new Map<string, Track>();
  private readonly shownAt: number[] = [];
  private readonly overflow = new Set<string>();
  private summaryTimer: TimerHandle | null = null;
  private enabled: boolean;
  private readonly cooldownMs: number;
  private readonly maxPerWindow: number;
  private readonly windowMs: number;

  constructor(private readonly options: NotificationPolicyOptions) {
    this.enabled = options.enabled;
    this.cooldownMs = options.lineCooldownMs ?? 60_000;
    this.maxPerWindow = options.maxPerWindow ?? 4;
    this.windowMs = options.windowMs ?? 60_000;
  }

  /** Feeds every snapshot the engine publishes. */
  observe(snapshot: LineSnapshot): void {
    let track = this.lines.get(snapshot.id);
    if (!track) {
      track = { snapshot, everUp: false, status: null, announced: null, lastShownAt: null, flips: 0, timer: null };
      this.lines.set(snapshot.id, track);
    }
    track.snapshot = snapshot;
    const status = statusOf(snapshot);
    if (status === 'reset') return this.reset(track);
    if (status === null || (status === 'down' && !track.everUp)) return;
    if (status === 'up') track.everUp = true;
    // The first registration is the normal start, not news.
    if (track.announced === null) track.announced = 'up';
    if (status !== track.status) track.flips++;
    track.status = status;
    this.consider(track);
  }

  /** The line was removed. */
  forget(lineId: string): void {
    const track = this.lines.get(lineId);
    if (track) this.options.clock.clearTimer(track.timer);
    this.lines.delete(lineId);
    this.overflow.delete(lineId);
  }

  /** AppSettings.notifications changed. Turning off drops whatever was waiting. */
  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
    if (enabled) return;
    this.options.clock.clearTimer(this.summaryTimer);
    this.summaryTimer = null;
    this.overflow.clear();
    for (const track of this.lines.values()) this.settleSilently(track);
  }

  dispose(): void {
    this.options.clock.clearTimer(this.summaryTimer);
    for (const track of this.lines.values()) this.options.clock.clearTimer(track.timer);
    this.lines.clear();
    this.overflow.clear();
  }

  private reset(track: Track): void {
    this.options.clock.clearTimer(track.timer);
    this.overflow.delete(track.snapshot.id);
    Object.assign(track, { everUp: false, status: null, announced: null, flips: 0, timer: null });
  }

  private settleSilently(track: Track): void {
    this.options.clock.clearTimer(track.timer);
    track.timer = null;
    track.announced = track.status ?? track.announced;
    track.flips = 0;
  }

  private consider(track: Track): void {
    if (track.status === null || track.status === track.announced) {
      if (track.timer === null) track.flips = 0;
      return;
    }
    if (!this.enabled) return this.settleSilently(track);
    const now = this.options.clock.now();
    if (track.lastShownAt !== null && now - track.lastShownAt < this.cooldownMs) {
      if (track.timer === null) {
        track.timer = this.options.clock.setTimer(() => {
          track.timer = null;
          this.consider(track);
        }, track.lastShownAt + this.cooldownMs - now);
      }
      return;
    }
    if (this.slotsFree(now) > 0) {
      this.emit(lineNotice(track, track.status), now);
      this.markAnnounced(track, now);
      return;
    }
    this.overflow.add(track.snapshot.id);
    this.scheduleSummary(now);
  }

  private markAnnounced(track: Track, now: number): void {
    track.announced = track.status;
    track.lastShownAt = now;
    track.flips = 0;
  }

  private slotsFree(now: number): number {
    while (this.shownAt.length > 0 && now - this.shownAt[0]! >= this.windowMs) this.shownAt.shift();
    return this.maxPerWindow - this.shownAt.length;
  }

  private emit(notice: DesktopNotice, now: number): void {
    this.shownAt.push(now);
    this.options.show(notice);
  }

  private scheduleSummary(now: number): void {
    if (this.summaryTimer !== null) return;
    const oldest = this.shownAt[0] ?? now;
    this.summaryTimer = this.options.clock.setTimer(() => {
      this.summaryTimer = null;
      this.flushSummary();
    }, Math.max(0, oldest + this.windowMs - now));
  }

  private flushSummary(): void {
    const now = this.options.clock.now();
    const changed = [...this.overflow]
      .map((id) => this.lines.get(id))
      .filter((t): t is Track => t !== undefined && t.status !== null && t.status !== t.announced);
    this.overflow.clear();
    if (changed.length === 0 || !this.enabled) return;
    if (this.slotsFree(now) <= 0) {
      changed.forEach((t) => this.overflow.add(t.snapshot.id));
      return this.scheduleSummary(now);
    }
    if (changed.length === 1) {
      const track = changed[0]!;
      this.emit(lineNotice(track, track.status!), now);
      return this.markAnnounced(track, now);
    }
    const down = changed.filter((t) => t.status === 'down');
    const up = changed.filter((t) => t.status === 'up');
    const names = (list: Track[]) => list.slice(0, 3).map((t) => t.snapshot.name).join(', ') + (list.length > 3 ? ` and ${list.length - 3} more` : '');
    const parts = [down.length ? `${down.length} lost registration (${names(down)})` : '', up.length ? `${up.length} registered again (${names(up)})` : ''].filter(Boolean);
    this.emit({ title: `${changed.length} more lines changed`, body: `${parts.join('; ')}.` }, now);
    changed.forEach((t) => this.markAnnounced(t, now));
  }
}
