import { describe, expect, it } from 'vitest';
import type { CallEvent, CallStats } from '../../../common/call-status';
import type { LineConfig } from '../../../common/line-config';
import { parseLineConfig } from '../../../common/line-config';
import type { LineSnapshot } from '../../../common/line-status';
import type { TestCallReport } from '../../../main/monitoring/scheduled-test-calls';
import { ScheduledTestCalls } from '../../../main/monitoring/scheduled-test-calls';
import type { TestCallScheduleState } from '../../../main/monitoring/test-call-schedule';
import { FIRST_CALL_AFTER_REGISTER_MS, nextTestCallAt, testCallAction } from '../../../main/monitoring/test-call-schedule';
import { FakeClock } from '../../fake-clock';

const T0 = 1_700_000_000_000;
const state = (fields: Partial<TestCallScheduleState> = {}): TestCallScheduleState => ({ everyS: 60, startedAt: T0, firstRegisteredAt: null, lastStartedAt: null, running: false, ...fields });

describe('test call schedule (pure)', () => {
  it('first call shortly after the first registration, or `every` after the start, whichever is first', () => {
    expect(nextTestCallAt(state())).toBe(T0 + 60_000);
    expect(nextTestCallAt(state({ firstRegisteredAt: T0 + 500 }))).toBe(T0 + 500 + FIRST_CALL_AFTER_REGISTER_MS);
    expect(nextTestCallAt(state({ firstRegisteredAt: T0 + 59_000 }))).toBe(T0 + 60_000);
  });

  it('then a fixed cadence from the previous start; nothing while one runs', () => {
    expect(nextTestCallAt(state({ firstRegisteredAt: T0, lastStartedAt: T0 + 2_000 }))).toBe(T0 + 62_000);
    expect(nextTestCallAt(state({ lastStartedAt: T0, running: true }))).toBeNull();
    expect(testCallAction(state({ lastStartedAt: T0, running: true }), T0 + 600_000, 'registered')).toEqual({ kind: 'wait', at: null });
  });

  it('dials only a registered line; a due call on any other state is skipped with the reason', () => {
    expect(testCallAction(state(), T0 + 59_999, 'registered')).toEqual({ kind: 'wait', at: T0 + 60_000 });
    expect(testCallAction(state(), T0 + 60_000, 'registered')).toEqual({ kind: 'dial' });
    expect(testCallAction(state(), T0 + 60_000, 'waiting-to-retry')).toEqual({ kind: 'skip', reason: 'line not registered (waiting-to-retry): no test call placed' });
  });
});

function line(id: string, testCall: Record<string, unknown> | undefined, extra: Record<string, unknown> = {}): LineConfig {
  const parsed = parseLineConfig({ id, username: '1001', domain: 'example.net', servers: [{ host: '10.0.0.1' }], ...(testCall ? { testCall } : {}), ...extra });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.value;
}

const STATS: CallStats = { packetsSent: 500, packetsReceived: 495, packetsLost: 5, jitterMs: 1.5, rttMs: null, mos: 4.3, rmsDbfs: -12 };

/** A scripted engine (line states) and dialer under the fake clock: what the schedule does when. */
function setup() {
  const clock = new FakeClock(T0);
  const states = new Map<string, string>();
  const lineListeners = new Set<(s: LineSnapshot) => void>();
  const eventListeners = new Set<(e: CallEvent) => void>();
  const log: string[] = [];
  const reports: TestCallReport[] = [];
  let sequence = 0;
  const emit = (e: Partial<CallEvent> & Pick<CallEvent, 'call' | 'line' | 'event'>): void =>
    eventListeners.forEach((l) => l({ time: clock.now(), server: 0, code: null, reason: null, ...e }));
  const calls = {
    dial: async (lineId: string, target: string, audio?: unknown) => {
      const id = `c${++sequence}`;
      log.push(`${(clock.now() - T0) / 1000}s dial ${lineId} ${target} ${JSON.stringify(audio)}`);
      emit({ call: id, line: lineId, event: 'dialing' });
      return { id };
    },
    hangup: async (id: string, reason?: string) => void log.push(`${(clock.now() - T0) / 1000}s hangup ${id} ${reason ?? ''}`),
    on: (_kind: 'event', listener: (e: CallEvent) => void) => (eventListeners.add(listener), () => eventListeners.delete(listener)),
  };
  const lines = {
    snapshot: (id: string) => {
      const s = states.get(id);
      if (!s) throw new Error(`no line "${id}"`);
      return { id, state: s } as LineSnapshot;
    },
    onLine: (listener: (s: LineSnapshot) => void) => (lineListeners.add(listener), () => lineListeners.delete(listener)),
  };
  const setState = (id: string, s: string): void => {
    states.set(id, s);
    lineListeners.forEach((l) => l({ id, state: s } as LineSnapshot));
  };
  const scheduler = new ScheduledTestCalls({ clock, lines, calls, onResult: (r) => reports.push(r) });
  return { clock, scheduler, setState, emit, log, reports, pendingTimers: () => (clock as unknown as { pending: unknown[] }).pending.length };
}

describe('scheduled test calls under the fake clock', () => {
  it('dials shortly after registering, hangs up after duration, reports the figures, then keeps the cadence', async () => {
    const t = setup();
    await t.scheduler.sync([line('a', { to: '1002', every: 60, duration: 5, tone: 800 })]);
    t.setState('a', 'registering');
    await t.clock.advanceAsync(1_000);
    t.setState('a', 'registered');
    await t.clock.advanceAsync(FIRST_CALL_AFTER_REGISTER_MS);
    expect(t.log).toEqual(['3s dial a 1002 {"source":{"kind":"tone","frequencyHz":800,"dBFS":-12}}']);
    t.emit({ call: 'c1', line: 'a', event: 'answered', code: 200, setupMs: 120 });
    await t.clock.advanceAsync(4_999);
    expect(t.log).toHaveLength(1);
    await t.clock.advanceAsync(1);
    expect(t.log[1]).toBe('8s hangup c1 hung up after 5 s');
    t.emit({ call: 'c1', line: 'a', event: 'ended', code: 200, reason: 'hung up after 5 s', stats: STATS });
    expect(t.reports).toEqual([{ line: 'a', time: T0 + 8_000, result: 'answered', code: 200, reason: 'hung up after 5 s', setupMs: 120, mos: 4.3, jitterMs: 1.5, packetsLostRatio: 0.01, lost: 5 }]);
    // The next call 60 s after the first one started.
    await t.clock.advanceAsync(54_999);
    expect(t.log).toHaveLength(2);
    await t.clock.advanceAsync(1);
    expect(t.log[2]).toMatch(/^63s dial a 1002/);
  });

  it('a line that re-registers before its first call (a reload changed it) is waited for again', async () => {
    const t = setup();
    t.setState('a', 'registered');
    await t.scheduler.sync([line('a', { to: '1002', every: 60 })]);
    await t.clock.advanceAsync(1_000);
    t.setState('a', 'registering');
    await t.clock.advanceAsync(2_000);
    expect(t.log).toEqual([]);
    expect(t.reports).toEqual([]);
    t.setState('a', 'registered');
    await t.clock.advanceAsync(FIRST_CALL_AFTER_REGISTER_MS);
    expect(t.log.map((l) => l.replace(/ \{.*/, ''))).toEqual(['5s dial a 1002']);
  });

  it('never two calls of one line at once: a call still running delays the next to its end', async () => {
    const t = setup();
    t.setState('a', 'registered');
    await t.scheduler.sync([line('a', { to: '1002', every: 30 })]);
    await t.clock.advanceAsync(FIRST_CALL_AFTER_REGISTER_MS);
    expect(t.log).toHaveLength(1);
    await t.clock.advanceAsync(80_000); // ringing, nobody answers (the CallManager ends it at 60 s)
    expect(t.log).toHaveLength(1);
    t.emit({ call: 'c1', line: 'a', event: 'ended', code: 487, reason: 'Request Terminated', stats: null });
    expect(t.reports.at(-1)).toMatchObject({ result: 'failed', code: 487, reason: 'Request Terminated', setupMs: null, mos: null });
    // Overdue: the next call goes out at once.
    await t.clock.advanceAsync(0);
    expect(t.log).toHaveLength(2);
  });

  it('a due call on a line that is not registered is not dialled: a failed result names the state', async () => {
    const t = setup();
    t.setState('a', 'waiting-to-retry');
    await t.scheduler.sync([line('a', { to: '1002', every: 30 })]);
    await t.clock.advanceAsync(30_000);
    expect(t.log).toEqual([]);
    expect(t.reports).toEqual([{ line: 'a', time: T0 + 30_000, result: 'failed', code: 0, reason: 'line not registered (waiting-to-retry): no test call placed', setupMs: null, mos: null, jitterMs: null, packetsLostRatio: null, lost: null }]);
    await t.clock.advanceAsync(30_000);
    expect(t.reports).toHaveLength(2);
  });

  it('answered without RTP back is a failure; a 404 is a failure with its code', async () => {
    const t = setup();
    t.setState('a', 'registered');
    t.setState('b', 'registered');
    await t.scheduler.sync([line('a', { to: '1002', every: 30 }), line('b', { to: '9999', every: 30 })]);
    await t.clock.advanceAsync(FIRST_CALL_AFTER_REGISTER_MS);
    t.emit({ call: 'c1', line: 'a', event: 'answered', code: 200, setupMs: 50 });
    t.emit({ call: 'c1', line: 'a', event: 'ended', code: 200, reason: 'hung up by the far end', stats: { ...STATS, packetsReceived: 0, packetsLost: 0, mos: null } });
    t.emit({ call: 'c2', line: 'b', event: 'ended', code: 404, reason: 'Not Found', stats: null });
    expect(t.reports.map((r) => [r.line, r.result, r.code, r.reason, r.setupMs])).toEqual([
      ['a', 'failed', 200, 'answered, but no RTP came back', 50],
      ['b', 'failed', 404, 'Not Found', null],
    ]);
  });

  it('reload: an unchanged line keeps its cadence, a removed or changed one is stopped (its call hung up, not reported); dispose clears every timer', async () => {
    const t = setup();
    for (const id of ['keep', 'drop', 'edit']) t.setState(id, 'registered');
    const keep = line('keep', { to: '1002', every: 30 });
    await t.scheduler.sync([keep, line('drop', { to: '1002', every: 30 }), line('edit', { to: '1002', every: 30 })]);
    await t.clock.advanceAsync(FIRST_CALL_AFTER_REGISTER_MS);
    expect(t.log).toHaveLength(3);
    t.emit({ call: 'c1', line: 'keep', event: 'ended', code: 486, reason: 'Busy Here', stats: null });
    await t.scheduler.sync([structuredClone(keep), line('edit', { to: '1003', every: 30 }), line('none', undefined)]);
    expect(t.scheduler.lineIds().sort()).toEqual(['edit', 'keep']);
    expect(t.log.slice(3)).toEqual(['2s hangup c2 test call schedule stopped', '2s hangup c3 test call schedule stopped']);
    t.emit({ call: 'c2', line: 'drop', event: 'ended', code: 200, reason: 'x', stats: STATS });
    expect(t.reports.map((r) => r.line)).toEqual(['keep']);
    await t.clock.advanceAsync(30_000);
    // keep: 30 s after its first start; edit: started afresh (registered → first call 2 s later).
    expect(t.log.slice(5).map((l) => l.replace(/ \{.*/, ''))).toEqual(['4s dial edit 1003', '32s dial keep 1002']);
    await t.scheduler.dispose();
    expect(t.pendingTimers()).toBe(0);
  });
});

describe('stopping test calls is bounded', () => {
  it('dispose waits for a hang-up at most hangupBoundMs', async () => {
    const clock = new FakeClock(T0);
    let hangups = 0;
    const calls = {
      dial: async (lineId: string) => {
        listener?.({ time: clock.now(), call: 'c1', line: lineId, event: 'dialing', server: 0, code: null, reason: null });
        return { id: 'c1' };
      },
      // A far end that never answers our BYE: the hang-up never resolves.
      hangup: () => (hangups++, new Promise(() => undefined)),
      on: (_kind: 'event', l: (e: CallEvent) => void) => ((listener = l), () => (listener = null)),
    };
    let listener: ((e: CallEvent) => void) | null = null;
    const lines = { snapshot: (id: string) => ({ id, state: 'registered' }) as LineSnapshot, onLine: () => () => undefined };
    const scheduler = new ScheduledTestCalls({ clock, lines, calls, onResult: () => undefined, hangupBoundMs: 1_000 });
    await scheduler.sync([line('a', { to: '1002', every: 30 })]);
    await clock.advanceAsync(FIRST_CALL_AFTER_REGISTER_MS);
    let done = false;
    const disposing = scheduler.dispose().then(() => (done = true));
    await clock.advanceAsync(999);
    expect(hangups).toBe(1);
    expect(done).toBe(false);
    await clock.advanceAsync(1);
    await disposing;
    expect(done).toBe(true);
  });
});
