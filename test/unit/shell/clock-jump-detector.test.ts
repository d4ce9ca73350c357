import { describe, expect, it } from 'vitest';
import type { Clock } from '../../../main/sip/clock';
import type { ClockJump } from '../../../main/shell/clock-jump-detector';
import { ClockJumpDetector, describeJump } from '../../../main/shell/clock-jump-detector';
import { FakeClock } from '../../fake-clock';

/**
 * Timers run on a FakeClock; the wall clock and the monotonic clock both follow it, plus offsets
 * a test moves to play a suspend (wall moves, monotonic stands still) or a clock change.
 */
function setup() {
  const fake = new FakeClock();
  const start = fake.now();
  const offsets = { wall: 0, monotonic: 0 };
  const clock: Clock = {
    now: () => fake.now() + offsets.wall,
    setTimer: (callback, ms) => fake.setTimer(callback, ms),
    clearTimer: (handle) => fake.clearTimer(handle),
  };
  const jumps: ClockJump[] = [];
  const detector = new ClockJumpDetector({
    clock,
    monotonic: () => fake.now() - start + offsets.monotonic,
    onJump: (jump) => jumps.push(jump),
  });
  return { fake, offsets, jumps, detector };
}

describe('clock jump detector', () => {
  it('an hour of normal running reports nothing', () => {
    const { fake, jumps, detector } = setup();
    detector.start();
    fake.advance(3_600_000);
    expect(jumps).toEqual([]);
  });

  it('NTP-sized corrections (under the 5 s tolerance) report nothing', () => {
    const { fake, offsets, jumps, detector } = setup();
    detector.start();
    offsets.wall += 3_000;
    fake.advance(5_000);
    offsets.wall -= 2_000;
    fake.advance(5_000);
    expect(jumps).toEqual([]);
  });

  it('a Linux/macOS suspend (wall clock ran, monotonic clock stood still) is reported at the next tick', () => {
    const { fake, offsets, jumps, detector } = setup();
    detector.start();
    fake.advance(10_000);
    offsets.wall += 2 * 3_600_000; // two hours asleep
    fake.advance(5_000);
    expect(jumps).toEqual([{ kind: 'wall-ahead', wallDeltaMs: 7_205_000, monotonicDeltaMs: 5_000 }]);
    expect(describeJump(jumps[0]!)).toBe('wall clock jumped 7200 s ahead (resume from sleep?)');
    fake.advance(60_000);
    expect(jumps).toHaveLength(1);
  });

  it('a suspend where the monotonic clock keeps counting (Windows) shows as a stalled process', () => {
    const { fake, offsets, jumps, detector } = setup();
    detector.start();
    // The tick due at 5 s runs 10 minutes late: both clocks moved together.
    offsets.wall += 600_000;
    offsets.monotonic += 600_000;
    fake.advance(5_000);
    expect(jumps).toEqual([{ kind: 'stalled', wallDeltaMs: 605_000, monotonicDeltaMs: 605_000 }]);
    expect(describeJump(jumps[0]!)).toBe('the app did not run for 605 s (resume from sleep?)');
  });

  it('the clock set back is reported', () => {
    const { fake, offsets, jumps, detector } = setup();
    detector.start();
    offsets.wall -= 3_600_000;
    fake.advance(5_000);
    expect(jumps.map((j) => j.kind)).toEqual(['wall-behind']);
    expect(describeJump(jumps[0]!)).toBe('wall clock was set back 3600 s');
  });

  it('stop() leaves no timer behind', () => {
    const { fake, detector } = setup();
    detector.start();
    detector.stop();
    expect(fake.pendingDelays()).toEqual([]);
  });
});
