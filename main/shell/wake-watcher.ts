/**
 * Everything that says "registrations may be stale now": `powerMonitor` resume and unlock, the
 * clock-jump detector (for when powerMonitor stays silent) and the network-change detector, all
 * feeding one ReRegisterTrigger. Typed structurally, so tests drive it with a plain EventEmitter.
 */
import type { Clock } from '../sip/clock';
import { ClockJumpDetector, describeJump } from './clock-jump-detector';
import { describeNetworkChange, NetworkChangeDetector } from './network-change-detector';
import type { ReRegisterTrigger } from './re-register-trigger';

/** The part of Electron's `powerMonitor` used here. */
export interface PowerEvents {
  on(event: 'resume' | 'unlock-screen', listener: () => void): unknown;
  removeListener(event: 'resume' | 'unlock-screen', listener: () => void): unknown;
}

export interface WakeWatcherOptions {
  clock: Clock;
  monotonic: () => number;
  powerMonitor: PowerEvents;
  readAddresses(): string[];
  trigger: ReRegisterTrigger;
  pollIntervalMs?: number;
}

/** Starts watching; returns a function that stops everything it started. */
export function watchForWake(options: WakeWatcherOptions): () => void {
  const onResume = () => options.trigger.fire('resumed from sleep');
  const onUnlock = () => options.trigger.fire('screen unlocked');
  options.powerMonitor.on('resume', onResume);
  options.powerMonitor.on('unlock-screen', onUnlock);
  const jumps = new ClockJumpDetector({
    clock: options.clock,
    monotonic: options.monotonic,
    intervalMs: options.pollIntervalMs,
    onJump: (jump) => options.trigger.fire(describeJump(jump)),
  });
  const network = new NetworkChangeDetector({
    clock: options.clock,
    readAddresses: options.readAddresses,
    intervalMs: options.pollIntervalMs,
    onChange: (change) => options.trigger.fire(describeNetworkChange(change)),
  });
  jumps.start();
  network.start();
  return () => {
    options.powerMonitor.removeListener('resume', onResume);
    options.powerMonitor.removeListener('unlock-screen', onUnlock);
    jumps.stop();
    network.stop();
  };
}
