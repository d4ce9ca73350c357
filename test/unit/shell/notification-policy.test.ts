import { describe, expect, it } from 'vitest';
import type { LineSnapshot, LineState } from '../../../common/line-status';
import type { DesktopNotice } from '../../../main/shell/notification-policy';
import { NotificationPolicy } from '../../../main/shell/notification-policy';
import { FakeClock } from '../../fake-clock';

function snapshot(id: string, state: LineState, extra: Partial<LineSnapshot> = {}): LineSnapshot {
  return {
    id, name: `Carrier ${id.toUpperCase()}`, state, server: state === 'registered' ? 0 : null, serverLabel: state === 'registered' ? '10.0.0.1:5060/udp' : null,
    code: state === 'registered' ? 200 : 503, reason: state === 'registered' ? 'OK' : 'Service Unavailable', expires: null,
    nextRefreshAt: null, nextRetryAt: null, nextFailbackAt: null, nextLivenessAt: null, consecutiveFailures: 0, livenessRttMs: null, since: 0, bindings: [], ...extra,
  };
}

function setup(enabled = true) {
  const clock = new FakeClock();
  const shown: DesktopNotice[] = [];
  const policy = new NotificationPolicy({ clock, enabled, show: (n) => shown.push(n) });
  /** The line registers for the first time (the normal start: no notification). */
  const up = (...ids: string[]) => ids.forEach((id) => ['registering', 'registered'].forEach((s) => policy.observe(snapshot(id, s as LineState))));
  const down = (...ids: string[]) => ids.forEach((id) => ['registering', 'retry-wait'].forEach((s) => policy.observe(snapshot(id, s as LineState))));
  return { clock, shown, policy, up, down };
}

describe('desktop notifications when a line loses or regains its registration', () => {
  it('starting up and registering is not news; losing the registration and getting it back is', () => {
    const { clock, shown, up, down } = setup();
    up('a');
    expect(shown).toEqual([]);
    down('a');
    expect(shown).toEqual([{ lineId: 'a', title: 'Carrier A lost its registration', body: 'Not registered: 503 Service Unavailable.' }]);
    clock.advance(60_000);
    up('a');
    expect(shown[1]).toEqual({ lineId: 'a', title: 'Carrier A is registered again', body: 'Registered on the primary (10.0.0.1:5060/udp).' });
  });

  it('a failover that succeeds (registering, then registered on the backup) says nothing', () => {
    const { shown, policy, up } = setup();
    up('a');
    policy.observe(snapshot('a', 'registering'));
    policy.observe(snapshot('a', 'registered', { server: 1, serverLabel: '10.0.0.2:5060/udp' }));
    expect(shown).toEqual([]);
  });

  it('authentication failure is named as such', () => {
    const { shown, policy, up } = setup();
    up('a');
    policy.observe(snapshot('a', 'auth-failed', { code: 403, reason: 'Forbidden' }));
    expect(shown).toEqual([{ lineId: 'a', title: 'Carrier A lost its registration', body: 'Authentication failed: 403 Forbidden.' }]);
  });

  it('a line that never registered (server down at start) is not said to have lost anything', () => {
    const { shown, down } = setup();
    down('a');
    expect(shown).toEqual([]);
  });

  it("disabling, removing or quitting is the person's own doing: no notification, and the line starts afresh", () => {
    const { shown, policy, up } = setup();
    up('a');
    policy.observe(snapshot('a', 'unregistering'));
    policy.observe(snapshot('a', 'disabled'));
    policy.observe(snapshot('a', 'registering'));
    policy.observe(snapshot('a', 'retry-wait'));
    expect(shown).toEqual([]);
  });

  it('a flapping trunk: one alert, then at most one per minute, settled with its current state and how often it changed', () => {
    const { clock, shown, up, down } = setup();
    up('a');
    down('a'); // t = 0: alert
    for (let i = 0; i < 5; i++) {
      clock.advance(5_000);
      up('a');
      clock.advance(5_000);
      down('a');
    }
    clock.advance(5_000);
    up('a'); // t = 55 s: up again
    expect(shown).toHaveLength(1);
    clock.advance(5_000); // the cooldown ends at 60 s
    expect(shown).toHaveLength(2);
    expect(shown[1]).toMatchObject({ title: 'Carrier A is registered again', body: 'Registered on the primary (10.0.0.1:5060/udp) (changed 11 times since the last alert).' });
  });

  it('a flap that ends where it was last announced is absorbed silently', () => {
    const { clock, shown, up, down } = setup();
    up('a');
    down('a');
    clock.advance(10_000);
    up('a');
    clock.advance(10_000);
    down('a');
    clock.advance(60_000);
    expect(shown).toHaveLength(1);
  });

  it('a carrier outage taking 10 lines down shows 4 alerts, then one summary when the minute frees a slot', () => {
    const { clock, shown, up, down } = setup();
    const ids = 'abcdefghij'.split('');
    up(...ids);
    down(...ids);
    expect(shown.map((n) => n.lineId)).toEqual(['a', 'b', 'c', 'd']);
    clock.advance(59_999);
    expect(shown).toHaveLength(4);
    clock.advance(1);
    expect(shown[4]).toEqual({ title: '6 more lines changed', body: '6 lost registration (Carrier E, Carrier F, Carrier G and 3 more).' });
  });

  it('the summary only names lines still changed when it is shown', () => {
    const { clock, shown, up, down } = setup();
    up('a', 'b', 'c', 'd', 'e', 'f', 'g');
    down('a', 'b', 'c', 'd', 'e', 'f', 'g');
    clock.advance(30_000);
    up('e', 'f'); // back before the summary: nothing to say about them
    clock.advance(30_000);
    expect(shown[4]).toEqual({ lineId: 'g', title: 'Carrier G lost its registration', body: 'Not registered: 503 Service Unavailable.' });
    expect(shown).toHaveLength(5);
  });

  it('switched off: nothing is shown, and switching back on does not replay old changes', () => {
    const { clock, shown, policy, up, down } = setup(false);
    up('a');
    down('a');
    expect(shown).toEqual([]);
    policy.setEnabled(true);
    clock.advance(120_000);
    expect(shown).toEqual([]);
    up('a');
    expect(shown.map((n) => n.title)).toEqual(['Carrier A is registered again']);
  });

  it('switching off drops waiting alerts and summaries', () => {
    const { clock, shown, policy, up, down } = setup();
    const ids = 'abcdef'.split('');
    up(...ids);
    down(...ids);
    policy.setEnabled(false);
    clock.advance(120_000);
    expect(shown).toHaveLength(4);
    expect(clock.pendingDelays()).toEqual([]);
  });

  it('a removed line leaves no timer behind', () => {
    const { clock, policy, up, down } = setup();
    up('a');
    down('a');
    clock.advance(1_000);
    up('a'); // waits for the cooldown
    expect(clock.pendingDelays()).toHaveLength(1);
    policy.forget('a');
    expect(clock.pendingDelays()).toEqual([]);
  });
});
