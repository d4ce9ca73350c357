import { describe, expect, it } from 'vitest';
import type { CallSnapshot } from '../../../common/call-status';
import type { IncomingNotice, NotificationPort } from '../../../main/shell/call-notifier';
import { CallNotifier, incomingNotice } from '../../../main/shell/call-notifier';

const ringing = (over: Partial<CallSnapshot> = {}) => ({
  id: 'in-1', line: 'desk', direction: 'incoming', state: 'ringing', remote: { uri: 'sip:3000@x', user: '3000', displayName: 'Carol' }, ...over,
}) as CallSnapshot;

function fakeNotification() {
  const handlers = new Map<string, (...args: never[]) => void>();
  const port: NotificationPort & { fire(event: string, ...args: unknown[]): void; shown: boolean; closed: boolean } = {
    shown: false,
    closed: false,
    on: ((event: string, listener: (...args: never[]) => void) => handlers.set(event, listener)) as NotificationPort['on'],
    show() {
      this.shown = true;
    },
    close() {
      this.closed = true;
      handlers.get('close')?.();
    },
    fire: (event, ...args) => (handlers.get(event) as ((...a: unknown[]) => void) | undefined)?.(...args),
  };
  return port;
}

describe('incoming call notification', () => {
  it('names the caller and the number, with Answer and Decline where the platform has actions', () => {
    expect(incomingNotice(ringing(), 'Desk line', 'darwin')).toEqual({ title: 'Incoming call: Carol', body: '3000 · on Desk line', actions: ['Answer', 'Decline'] });
    expect(incomingNotice(ringing({ remote: { uri: 'sip:3000@x', user: '3000', displayName: null } }), 'Desk line', 'linux')).toEqual({ title: 'Incoming call: 3000', body: 'on Desk line', actions: [] });
  });

  it('Answer brings the window up and answers; Decline declines; a call that stops ringing loses its notification', () => {
    const made: { notice: IncomingNotice; port: ReturnType<typeof fakeNotification> }[] = [];
    const did: string[] = [];
    const notifier = new CallNotifier({
      platform: 'win32',
      create: (notice) => {
        const port = fakeNotification();
        made.push({ notice, port });
        return port;
      },
      lineName: (id) => id.toUpperCase(),
      answer: (id) => did.push(`answer ${id}`),
      decline: (id) => did.push(`decline ${id}`),
      showWindow: () => did.push('show'),
    });
    notifier.ringing(ringing());
    notifier.ringing(ringing());
    expect(made).toHaveLength(1);
    expect(made[0]!.port.shown).toBe(true);
    made[0]!.port.fire('action', {}, 0);
    expect(did).toEqual(['show', 'answer in-1']);
    notifier.changed(ringing({ state: 'connected' }));
    expect(made[0]!.port.closed).toBe(true);

    notifier.ringing(ringing({ id: 'in-2' }));
    made[1]!.port.fire('action', {}, 1);
    made[1]!.port.fire('click');
    expect(did.slice(2)).toEqual(['decline in-2', 'show']);
    notifier.dispose();
    expect(made[1]!.port.closed).toBe(true);
  });
});
