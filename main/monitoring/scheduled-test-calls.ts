/**
 * The monitor's scheduled test calls: for every line with a `testCall` in the config, dial `to`
 * with a tone through the engine's CallManager when `test-call-schedule.ts` says it is due, hang
 * up `duration` seconds after the answer, and report what happened — post-dial delay (first
 * INVITE → 200 OK), the final code, RTP loss and jitter (RFC 3550 §6.4.1) and the estimated MOS
 * of what came back. One call per line at a time; every timer is owned here and cleared by `sync`
 * (a line removed or changed on reload) and `dispose` (shutdown).
 */
import { isDeepStrictEqual } from 'node:util';
import type { CallEvent } from '../../common/call-status';
import type { LineConfig } from '../../common/line-config';
import type { LineSnapshot } from '../../common/line-status';
import type { Clock, TimerHandle } from '../sip/clock';
import type { CallAudioOptions } from '../sip/calls/call-manager';
import type { TestCallResult } from './monitor-metrics';
import type { TestCallScheduleState } from './test-call-schedule';
import { testCallAction } from './test-call-schedule';

/** The tone's level: the same −12 dBFS as `npm run call -- --tone`. */
export const TEST_CALL_TONE_DBFS = -12;
/**
 * A test call that has not ended this long after its answer is due to end (or, unanswered, after
 * the CallManager's own 60 s no-answer timeout) is hung up: a stuck call must not stop the schedule.
 */
const WATCHDOG_MARGIN_MS = 90_000;

/** One finished (or skipped) test call: the metrics' figures plus what a person reads. */
export interface TestCallReport extends TestCallResult {
  line: string;
  /** Why it failed, or how it ended ("hung up after 10 s"). */
  reason: string;
  /** RTP packets lost (RFC 3550 A.3, cumulative); null when unmeasured. */
  lost: number | null;
}

/** The parts of SipEngine the schedule reads. */
export interface TestCallLines {
  snapshot(id: string): LineSnapshot;
  onLine(listener: (snapshot: LineSnapshot) => void): () => void;
}

/** The parts of CallManager the schedule drives. */
export interface TestCallDialer {
  dial(lineId: string, target: string, audio?: CallAudioOptions): Promise<{ id: string }>;
  hangup(id: string, reason?: string): Promise<unknown>;
  on(kind: 'event', listener: (event: CallEvent) => void): () => void;
}

export interface ScheduledTestCallsOptions {
  clock: Clock;
  lines: TestCallLines;
  calls: TestCallDialer;
  /** Every finished or skipped test call (metrics, JSON event, log). */
  onResult(report: TestCallReport): void;
  /** How long `sync` and `dispose` wait for stopped calls to end (their BYE answered); default 3000 ms. */
  hangupBoundMs?: number;
}

interface Schedule {
  config: LineConfig;
  testCall: NonNullable<LineConfig['testCall']>;
  state: TestCallScheduleState;
  timer: TimerHandle | null;
  /** Set while a call runs. */
  call: RunningCall | null;
  stopped: boolean;
}

interface RunningCall {
  /** Null until the CallManager announced the call (its `dialing` event). */
  id: string | null;
  setupMs: number | null;
  answered: boolean;
  timers: TimerHandle[];
}

export class ScheduledTestCalls {
  private readonly schedules = new Map<string, Schedule>();
  private readonly offs: (() => void)[];

  constructor(private readonly options: ScheduledTestCallsOptions) {
    this.offs = [
      options.lines.onLine((s) => this.onLineChange(s)),
      options.calls.on('event', (e) => this.onCallEvent(e)),
    ];
  }

  /** Line ids with a schedule. */
  lineIds(): string[] {
    return [...this.schedules.keys()];
  }

  /**
   * Brings the schedules in line with `lines` (start, and every reload): a line without
   * `testCall`, removed, or whose config changed in any way loses its schedule (a running call is
   * hung up and not reported); a new or changed one starts afresh. Untouched lines keep their
   * schedule and cadence. Resolves once the hang-ups were sent.
   */
  async sync(lines: readonly LineConfig[]): Promise<void> {
    const wanted = new Map(lines.filter((l) => l.testCall).map((l) => [l.id, l]));
    const stopping: Promise<unknown>[] = [];
    for (const [id, schedule] of this.schedules) {
      const next = wanted.get(id);
      if (next && isDeepStrictEqual(next, schedule.config)) continue;
      stopping.push(this.stop(schedule));
      this.schedules.delete(id);
    }
    for (const [id, config] of wanted) {
      if (this.schedules.has(id)) continue;
      const schedule: Schedule = {
        config,
        testCall: config.testCall!,
        state: { everyS: config.testCall!.every, startedAt: this.options.clock.now(), firstRegisteredAt: null, lastStartedAt: null, running: false },
        timer: null,
        call: null,
        stopped: false,
      };
      this.schedules.set(id, schedule);
      const current = this.lineState(id);
      if (current === 'registered') schedule.state.firstRegisteredAt = this.options.clock.now();
      this.arm(schedule);
    }
    await this.bounded(stopping);
  }

  /** Shutdown: every timer cleared, running test calls hung up (not reported). */
  async dispose(): Promise<void> {
    this.offs.splice(0).forEach((off) => off());
    const all = [...this.schedules.values()];
    this.schedules.clear();
    await this.bounded(all.map((s) => this.stop(s)));
  }

  /** Waits for `hangups`, at most `hangupBoundMs`: a far end that never answers our BYE must not hold a reload or a quit. */
  private bounded(hangups: Promise<unknown>[]): Promise<void> {
    if (hangups.length === 0) return Promise.resolve();
    const { clock } = this.options;
    return new Promise<void>((resolve) => {
      const timer = clock.setTimer(resolve, this.options.hangupBoundMs ?? 3_000);
      void Promise.allSettled(hangups).then(() => {
        clock.clearTimer(timer);
        resolve();
      });
    });
  }

  private stop(schedule: Schedule): Promise<unknown> {
    const { clock, calls } = this.options;
    schedule.stopped = true;
    clock.clearTimer(schedule.timer);
    schedule.timer = null;
    const call = schedule.call;
    schedule.call = null;
    if (!call) return Promise.resolve();
    call.timers.forEach((t) => clock.clearTimer(t));
    return call.id ? calls.hangup(call.id, 'test call schedule stopped').catch(() => undefined) : Promise.resolve();
  }

  private lineState(id: string): string {
    try {
      return this.options.lines.snapshot(id).state;
    } catch {
      return 'removed';
    }
  }

  /**
   * Before its first call, a schedule waits for the line to be registered: a line that goes down
   * meanwhile (a reload re-registering it with a changed config) is waited for again, so the first
   * call never lands on a registration in progress.
   */
  private onLineChange(s: LineSnapshot): void {
    const schedule = this.schedules.get(s.id);
    if (!schedule || schedule.state.running) return;
    const registered = s.state === 'registered';
    if (registered && schedule.state.firstRegisteredAt === null) schedule.state.firstRegisteredAt = this.options.clock.now();
    else if (!registered && schedule.state.firstRegisteredAt !== null && schedule.state.lastStartedAt === null) schedule.state.firstRegisteredAt = null;
    else return;
    this.arm(schedule);
  }

  /** Acts on the schedule now, or sets the one timer for when it next must. */
  private arm(schedule: Schedule): void {
    const { clock } = this.options;
    clock.clearTimer(schedule.timer);
    schedule.timer = null;
    if (schedule.stopped) return;
    const now = clock.now();
    const action = testCallAction(schedule.state, now, this.lineState(schedule.config.id));
    if (action.kind === 'wait') {
      if (action.at !== null) schedule.timer = clock.setTimer(() => this.arm(schedule), action.at - now);
      return;
    }
    schedule.state.lastStartedAt = now;
    if (action.kind === 'skip') {
      this.report(schedule, { result: 'failed', code: 0, reason: action.reason, setupMs: null, mos: null, jitterMs: null, packetsLostRatio: null, lost: null });
      this.arm(schedule);
      return;
    }
    void this.dial(schedule);
  }

  private async dial(schedule: Schedule): Promise<void> {
    const { clock, calls } = this.options;
    const { testCall, config } = schedule;
    const call: RunningCall = { id: null, setupMs: null, answered: false, timers: [] };
    schedule.call = call;
    schedule.state.running = true;
    // Hangs up a call that outlives any plausible end (see WATCHDOG_MARGIN_MS).
    call.timers.push(clock.setTimer(() => {
      if (call.id) void calls.hangup(call.id, 'test call watchdog').catch(() => undefined);
    }, testCall.duration * 1000 + WATCHDOG_MARGIN_MS));
    try {
      const snapshot = await calls.dial(config.id, testCall.to, { source: { kind: 'tone', frequencyHz: testCall.tone, dBFS: TEST_CALL_TONE_DBFS } });
      call.id ??= snapshot.id;
    } catch (error) {
      if (schedule.call !== call) return;
      this.finishCall(schedule, call, { result: 'failed', code: 0, reason: `cannot dial: ${(error as Error).message}`, setupMs: null, mos: null, jitterMs: null, packetsLostRatio: null, lost: null });
    }
  }

  private onCallEvent(e: CallEvent): void {
    const schedule = this.schedules.get(e.line);
    const call = schedule?.call;
    if (!schedule || !call) return;
    // The monitor places no other calls on the line: the `dialing` event while a test call is
    // being placed is ours (it comes before dial() returns).
    if (call.id === null && e.event === 'dialing') call.id = e.call;
    if (e.call !== call.id) return;
    if (e.event === 'answered') {
      call.answered = true;
      call.setupMs = e.setupMs ?? null;
      call.timers.push(this.options.clock.setTimer(() => {
        void this.options.calls.hangup(e.call, `hung up after ${schedule.testCall.duration} s`).catch(() => undefined);
      }, schedule.testCall.duration * 1000));
    } else if (e.event === 'ended') {
      const stats = e.stats ?? null;
      const media = stats !== null && stats.packetsReceived > 0;
      const expected = stats ? stats.packetsReceived + stats.packetsLost : 0;
      const figures = {
        setupMs: call.setupMs,
        mos: media ? stats.mos : null,
        jitterMs: media ? stats.jitterMs : null,
        packetsLostRatio: media && expected > 0 ? stats.packetsLost / expected : null,
        lost: media ? stats.packetsLost : null,
      };
      if (call.answered && media) this.finishCall(schedule, call, { result: 'answered', code: 200, reason: e.reason ?? 'ended', ...figures });
      else if (call.answered) this.finishCall(schedule, call, { result: 'failed', code: 200, reason: 'answered, but no RTP came back', ...figures });
      else this.finishCall(schedule, call, { result: 'failed', code: e.code ?? 0, reason: e.reason ?? 'no answer', ...figures });
    }
  }

  private finishCall(schedule: Schedule, call: RunningCall, report: Omit<TestCallReport, 'line' | 'time'>): void {
    call.timers.forEach((t) => this.options.clock.clearTimer(t));
    if (schedule.call !== call) return;
    schedule.call = null;
    schedule.state.running = false;
    this.report(schedule, report);
    this.arm(schedule);
  }

  private report(schedule: Schedule, report: Omit<TestCallReport, 'line' | 'time'>): void {
    try {
      this.options.onResult({ ...report, line: schedule.config.id, time: this.options.clock.now() });
    } catch {
      // A failing consumer must not stop the schedule.
    }
  }
}
