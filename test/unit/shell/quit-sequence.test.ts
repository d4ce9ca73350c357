import { describe, expect, it } from 'vitest';
import type { QuitOutcome, QuitSource, Unregisterer } from '../../../main/shell/quit-sequence';
import { QuitSequence } from '../../../main/shell/quit-sequence';
import { FakeClock } from '../../fake-clock';

type EngineBehaviour = { answersAfterMs: number } | 'silent' | 'rejects' | 'throws';

function setup(behaviour: EngineBehaviour) {
  const clock = new FakeClock();
  const start = clock.now();
  const shutdownCalls: number[] = [];
  const engine: Unregisterer = {
    shutdown(boundMs) {
      shutdownCalls.push(boundMs);
      if (behaviour === 'throws') throw new Error('engine broke');
      if (behaviour === 'rejects') return Promise.reject(new Error('engine broke'));
      if (behaviour === 'silent') return new Promise<void>(() => {});
      return new Promise<void>((resolve) => clock.setTimer(resolve, behaviour.answersAfterMs));
    },
  };
  const started: QuitSource[] = [];
  const finished: { at: number; outcome: QuitOutcome }[] = [];
  const exited: { at: number; outcome: QuitOutcome }[] = [];
  const quit = new QuitSequence({
    clock,
    engine,
    onStart: (source) => started.push(source),
    finish: (outcome) => finished.push({ at: clock.now() - start, outcome }),
    exitNow: (outcome) => exited.push({ at: clock.now() - start, outcome }),
  });
  return { clock, quit, shutdownCalls, started, finished, exited };
}

describe('quit sequence', () => {
  it('quit from the tray: every line unregisters within the 3 s bound, then the app finishes quitting', async () => {
    const { clock, quit, shutdownCalls, started, finished, exited } = setup({ answersAfterMs: 200 });
    expect(quit.request('tray')).toBe('hold');
    expect(quit.quitting).toBe(true);
    expect(started).toEqual(['tray']);
    expect(shutdownCalls).toEqual([3_000]);
    await clock.advanceAsync(199);
    expect(finished).toEqual([]);
    await clock.advanceAsync(1);
    expect(finished).toEqual([{ at: 200, outcome: 'clean' }]);
    // app.quit() from `finish` emits before-quit again: now it may proceed.
    expect(quit.request('before-quit')).toBe('proceed');
    expect(exited).toEqual([]);
  });

  it('before-quit while lines are unregistering keeps holding and never starts a second unregister', async () => {
    const { clock, quit, shutdownCalls, finished } = setup({ answersAfterMs: 1_000 });
    expect(quit.request('before-quit')).toBe('hold');
    await clock.advanceAsync(500);
    expect(quit.request('before-quit')).toBe('hold');
    expect(quit.request('menu')).toBe('hold');
    expect(shutdownCalls).toHaveLength(1);
    await clock.advanceAsync(500);
    expect(finished).toHaveLength(1);
  });

  it('a silent server never holds quitting: the app exits at the 5 s hard limit', async () => {
    const { clock, quit, finished, exited } = setup('silent');
    quit.request('os-shutdown');
    await clock.advanceAsync(4_999);
    expect(exited).toEqual([]);
    await clock.advanceAsync(1);
    expect(exited).toEqual([{ at: 5_000, outcome: 'timed-out' }]);
    expect(finished).toEqual([]);
    expect(quit.state).toBe('exited');
  });

  it('a normal quit that stalls after unregistering (a window refusing to close) is ended by the hard limit', async () => {
    const { clock, quit, finished, exited } = setup({ answersAfterMs: 100 });
    quit.request('menu');
    await clock.advanceAsync(100);
    expect(finished).toHaveLength(1);
    await clock.advanceAsync(4_900);
    expect(exited).toEqual([{ at: 5_000, outcome: 'timed-out' }]);
  });

  it('an engine that fails, or throws, still lets the app quit at once', async () => {
    for (const behaviour of ['rejects', 'throws'] as const) {
      const { clock, quit, finished } = setup(behaviour);
      expect(quit.request('signal')).toBe('hold');
      await clock.advanceAsync(0);
      expect(finished).toEqual([{ at: 0, outcome: 'engine-failed' }]);
    }
  });

  it('a second Ctrl-C exits at once, and the late unregister answer changes nothing', async () => {
    const { clock, quit, finished, exited } = setup({ answersAfterMs: 2_000 });
    quit.request('signal');
    await clock.advanceAsync(300);
    quit.force();
    expect(exited).toEqual([{ at: 300, outcome: 'forced' }]);
    await clock.advanceAsync(10_000);
    expect(finished).toEqual([]);
    expect(exited).toHaveLength(1);
    expect(quit.request('before-quit')).toBe('proceed');
  });

  it('hiding the window failing does not stop the unregister', async () => {
    const clock = new FakeClock();
    const finished: QuitOutcome[] = [];
    const quit = new QuitSequence({
      clock,
      engine: { shutdown: () => Promise.resolve() },
      onStart: () => {
        throw new Error('window already destroyed');
      },
      finish: (outcome) => finished.push(outcome),
      exitNow: () => {},
    });
    quit.request('tray');
    await clock.advanceAsync(0);
    expect(finished).toEqual(['clean']);
  });

  it('refuses a hard limit that would cut the unregister bound short', () => {
    const clock = new FakeClock();
    const deps = { clock, engine: { shutdown: () => Promise.resolve() }, onStart: () => {}, finish: () => {}, exitNow: () => {} };
    expect(() => new QuitSequence({ ...deps, unregisterBoundMs: 3_000, hardLimitMs: 3_000 })).toThrow(/hard limit/);
  });
});
