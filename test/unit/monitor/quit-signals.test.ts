import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { DUPLICATE_WINDOW_MS, onQuitSignals } from '../../../main/monitor/quit-signals';

function setup() {
  const target = new EventEmitter() as unknown as Pick<NodeJS.Process, 'on' | 'off'> & EventEmitter;
  let time = 1_000;
  const calls: string[] = [];
  const off = onQuitSignals({ stop: (s) => calls.push(`stop ${s}`), again: (s) => calls.push(`again ${s}`), now: () => time }, target);
  return { target, calls, off, advance: (ms: number) => (time += ms) };
}

describe('quit signals', () => {
  it('Ctrl-C under npm run (the same SIGINT from the terminal and from npm) stops gracefully once', () => {
    const { target, calls } = setup();
    target.emit('SIGINT', 'SIGINT');
    target.emit('SIGINT', 'SIGINT');
    expect(calls).toEqual(['stop SIGINT']);
  });

  it('a second signal after the duplicate window quits at once', () => {
    const { target, calls, advance } = setup();
    target.emit('SIGTERM', 'SIGTERM');
    advance(DUPLICATE_WINDOW_MS);
    target.emit('SIGINT', 'SIGINT');
    expect(calls).toEqual(['stop SIGTERM', 'again SIGINT']);
  });

  it('removing the handlers leaves the process as it was', () => {
    const { target, off } = setup();
    off();
    expect(target.listenerCount('SIGINT') + target.listenerCount('SIGTERM')).toBe(0);
  });
});
