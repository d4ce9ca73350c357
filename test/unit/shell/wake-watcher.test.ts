import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../../main/sip/clock';
import { ReRegisterTrigger } from '../../../main/shell/re-register-trigger';
import type { PowerEvents } from '../../../main/shell/wake-watcher';
import { watchForWake } from '../../../main/shell/wake-watcher';
import { FakeClock } from '../../fake-clock';

function setup() {
  const fake = new FakeClock();
  const start = fake.now();
  const offsets = { wall: 0 };
  const clock: Clock = { now: () => fake.now() + offsets.wall, setTimer: (c, ms) => fake.setTimer(c, ms), clearTimer: (h) => fake.clearTimer(h) };
  const reasons: string[] = [];
  const power = new EventEmitter();
  let addresses = ['192.168.1.20'];
  const stop = watchForWake({
    clock,
    monotonic: () => fake.now() - start,
    powerMonitor: power as unknown as PowerEvents,
    readAddresses: () => addresses,
    trigger: new ReRegisterTrigger({ clock, reRegisterAll: (reason) => reasons.push(reason) }),
  });
  return { fake, offsets, power, reasons, stop, setAddresses: (a: string[]) => (addresses = a) };
}

describe('re-registering after sleep and network changes', () => {
  it('powerMonitor resume re-registers every line at once', () => {
    const { power, reasons } = setup();
    power.emit('resume');
    expect(reasons).toEqual(['resumed from sleep']);
  });

  it('resume, unlock and the clock jump arriving together re-register once', () => {
    const { fake, offsets, power, reasons } = setup();
    fake.advance(4_000);
    offsets.wall += 3_600_000;
    power.emit('resume');
    power.emit('unlock-screen');
    fake.advance(1_000); // the jump detector's tick, in the same breath
    expect(reasons).toEqual(['resumed from sleep']);
  });

  it('when powerMonitor stays silent (some Linux desktops), the wall-clock jump alone re-registers', () => {
    const { fake, offsets, reasons } = setup();
    fake.advance(10_000);
    offsets.wall += 1_800_000;
    fake.advance(5_000);
    expect(reasons).toEqual(['wall clock jumped 1800 s ahead (resume from sleep?)']);
  });

  it('the network coming back after the resume re-registers again (outside the quiet window)', () => {
    const { fake, power, reasons, setAddresses } = setup();
    setAddresses([]); // woke up before DHCP
    power.emit('resume');
    fake.advance(5_000);
    setAddresses(['192.168.1.30']);
    fake.advance(5_000);
    expect(reasons).toEqual(['resumed from sleep', 'network address gone (192.168.1.20)', 'network came back (192.168.1.30)']);
  });

  it('triggers within the quiet window fold into one; a later one acts again', () => {
    const clock = new FakeClock();
    const reasons: string[] = [];
    const trigger = new ReRegisterTrigger({ clock, reRegisterAll: (r) => reasons.push(r) });
    expect(trigger.fire('a')).toBe(true);
    clock.advance(1_999);
    expect(trigger.fire('b')).toBe(false);
    clock.advance(1);
    expect(trigger.fire('c')).toBe(true);
    expect(reasons).toEqual(['a', 'c']);
  });

  it('stopping removes the powerMonitor listeners and every timer', () => {
    const { fake, power, reasons, stop } = setup();
    stop();
    power.emit('resume');
    expect(reasons).toEqual([]);
    expect(power.listenerCount('resume') + power.listenerCount('unlock-screen')).toBe(0);
    expect(fake.pendingDelays()).toEqual([]);
  });
});
