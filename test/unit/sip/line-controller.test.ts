import { describe, expect, it } from 'vitest';
import type { LineConfig } from '../../../common/line-config';
import { parseLineConfig } from '../../../common/line-config';
import type { LineHistoryEntry, LineSnapshot } from '../../../common/line-status';
import { LineController } from '../../../main/sip/line-controller';
import { FakeClock } from '../../fake-clock';
import { ScriptedChannel } from './scripted-channel';

function line(overrides: Record<string, unknown> = {}): LineConfig {
  const parsed = parseLineConfig({
    id: 'carrier-a',
    username: '1001',
    password: 'secret',
    domain: 'example.org',
    servers: [{ host: '127.0.0.1', port: 5060 }, { host: '127.0.0.1', port: 5070 }],
    ...overrides,
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.value;
}

function setup(config: LineConfig = line()) {
  const clock = new FakeClock();
  const channels = config.servers.map(() => new ScriptedChannel(clock));
  const controller = new LineController(config, { clock, createChannel: (i) => channels[i]! });
  const history: LineHistoryEntry[] = [];
  const snapshots: LineSnapshot[] = [];
  controller.on('history', (e) => history.push(e));
  controller.on('change', (s) => snapshots.push(s));
  const [primary, backup] = channels as [ScriptedChannel, ScriptedChannel];
  return { clock, channels, primary, backup, controller, history, snapshots, t0: clock.now() };
}

describe('line controller: registration and refresh', () => {
  it('registers on the primary and refreshes at half the granted lifetime, asking for the configured TTL again', async () => {
    const { clock, primary, controller } = setup(line({ servers: [{ host: '127.0.0.1', expires: 3600 }] }));
    primary.grant = 600;
    controller.start();
    await clock.advanceAsync(100);
    const s = controller.snapshot();
    expect(s.state).toBe('registered');
    expect(s.server).toBe(0);
    expect(s.expires).toBe(600);
    expect(s.nextRefreshAt).toBe(primary.calls[0]!.time + 20 + 300_000);
    await clock.advanceAsync(300_000);
    expect(primary.calls.filter((c) => c.kind === 'register').map((c) => c.expires)).toEqual([3600, 3600]);
    expect(controller.snapshot().state).toBe('registered');
  });

  it('fixed expiry mode always asks for the configured lifetime', async () => {
    const { clock, primary, controller } = setup(line({ expiryMode: 'fixed', servers: [{ host: '127.0.0.1', expires: 120 }] }));
    primary.grant = 100;
    controller.start();
    await clock.advanceAsync(100);
    await clock.advanceAsync(50_000);
    expect(primary.calls.filter((c) => c.kind === 'register').map((c) => c.expires)).toEqual([120, 120]);
  });

  it('a disabled line sends nothing and shows disabled', async () => {
    const { clock, primary, controller } = setup(line({ enabled: false }));
    controller.start();
    await clock.advanceAsync(10_000);
    expect(primary.calls).toEqual([]);
    expect(controller.snapshot().state).toBe('disabled');
  });
});

describe('line controller: failover', () => {
  it('primary answers 503 → registered on backup within one round trip', async () => {
    const { clock, primary, backup, controller } = setup();
    primary.behaviour = '503';
    controller.start();
    await clock.advanceAsync(40);
    const s = controller.snapshot();
    expect(s.state).toBe('registered');
    expect(s.server).toBe(1);
    expect(backup.calls[0]!.time - primary.calls[0]!.time).toBe(20);
  });

  it('primary silent → unavailable after (2^(N+1) − 1)·T1 = 7.5 s for N = 3; the last server gets 32 s', async () => {
    const { clock, primary, backup, controller } = setup();
    primary.behaviour = 'silent';
    backup.behaviour = 'silent';
    controller.start();
    await clock.advanceAsync(7_499);
    expect(backup.calls).toHaveLength(0);
    await clock.advanceAsync(1);
    expect(backup.calls).toHaveLength(1);
    expect(primary.calls[0]!.budgetMs).toBe(7_500);
    expect(backup.calls[0]!.budgetMs).toBe(32_000);
    await clock.advanceAsync(32_000);
    expect(controller.snapshot().state).toBe('retry-wait');
  });

  it('signal retry count 0 gives a non-last server one T1 (0.5 s)', async () => {
    const { clock, primary, backup, controller } = setup(line({ signalRetryCount: 0 }));
    primary.behaviour = 'silent';
    controller.start();
    await clock.advanceAsync(500);
    expect(backup.calls).toHaveLength(1);
  });

  it('every server down → retry-wait for the retry delay, then again from the primary, with no backoff', async () => {
    const { clock, primary, backup, controller, history } = setup(line({ retryDelay: 30 }));
    primary.behaviour = 'refused';
    backup.behaviour = 'refused';
    controller.start();
    await clock.advanceAsync(100);
    const s = controller.snapshot();
    expect(s.state).toBe('retry-wait');
    expect(s.nextRetryAt).toBe(clock.now() - 60 + 30_000);
    expect(s.consecutiveFailures).toBe(2);
    await clock.advanceAsync(90_000);
    const starts = primary.calls.map((c) => c.time - primary.calls[0]!.time);
    expect(starts).toEqual([0, 30_040, 60_080, 90_120].filter((t) => t <= 90_100));
    expect(history.filter((h) => h.to === 'retry-wait').length).toBeGreaterThanOrEqual(1);
    primary.behaviour = 'ok';
    await clock.advanceAsync(30_000);
    expect(controller.snapshot()).toMatchObject({ state: 'registered', server: 0, consecutiveFailures: 0 });
  });

  it('a failed refresh is a failed registration: the backup takes over', async () => {
    const { clock, primary, backup, controller } = setup(line({ servers: [{ host: '127.0.0.1', expires: 60 }, { host: '127.0.0.1', port: 5070 }] }));
    controller.start();
    await clock.advanceAsync(100);
    primary.behaviour = '503';
    await clock.advanceAsync(30_000);
    expect(controller.snapshot()).toMatchObject({ state: 'registered', server: 1 });
    expect(backup.count('register')).toBe(1);
  });
});

describe('line controller: authentication failure', () => {
  it('403 → auth-failed, no failover, retried no faster than the retry delay', async () => {
    const { clock, primary, backup, controller } = setup(line({ retryDelay: 45 }));
    primary.behaviour = '403';
    controller.start();
    await clock.advanceAsync(100);
    expect(controller.snapshot()).toMatchObject({ state: 'auth-failed', server: 0, code: 403 });
    await clock.advanceAsync(45_000 * 3);
    expect(backup.calls).toHaveLength(0);
    const gaps = primary.calls.slice(1).map((c, i) => c.time - primary.calls[i]!.time);
    expect(gaps.every((g) => g >= 45_000)).toBe(true);
    expect(primary.calls).toHaveLength(4);
  });
});

describe('line controller: failback', () => {
  it('probes the primary every interval; on 200 OK the primary is active and the backup binding removed, never leaving registered', async () => {
    const { clock, primary, backup, controller, history } = setup(line({ failback: { interval: 30 }, liveness: { interval: 0 } }));
    primary.behaviour = '503';
    controller.start();
    await clock.advanceAsync(100);
    expect(controller.snapshot()).toMatchObject({ state: 'registered', server: 1 });
    const failbackAt = controller.snapshot().nextFailbackAt!;
    expect(failbackAt).toBe(backup.calls[0]!.time + 20 + 30_000);
    await clock.advanceAsync(30_000);
    expect(primary.count('register')).toBe(2);
    expect(controller.snapshot().server).toBe(1);
    primary.behaviour = 'ok';
    await clock.advanceAsync(30_000);
    const s = controller.snapshot();
    expect(s).toMatchObject({ state: 'registered', server: 0, nextFailbackAt: null });
    expect(backup.count('unregister')).toBe(1);
    expect(backup.hasBinding()).toBe(false);
    const since = history.findIndex((h) => h.to === 'registered');
    expect(history.slice(since + 1).every((h) => h.to === 'registered')).toBe(true);
    expect(history.some((h) => h.reason.startsWith('failback to primary'))).toBe(true);
  });

  it('failback off: stays on the backup and never probes', async () => {
    const { clock, primary, controller } = setup(line({ failback: { enabled: false } }));
    primary.behaviour = '503';
    controller.start();
    await clock.advanceAsync(3_600_000);
    expect(primary.count('register')).toBe(1);
    expect(controller.snapshot().nextFailbackAt).toBeNull();
  });
});

describe('line controller: liveness', () => {
  it('sends OPTIONS every interval and records the round trip', async () => {
    const { clock, primary, controller } = setup(line({ liveness: { interval: 10 } }));
    controller.start();
    await clock.advanceAsync(35_000);
    expect(primary.count('options')).toBe(3);
    expect(controller.snapshot().livenessRttMs).toBe(20);
  });

  it('liveness timeout → failover to the backup', async () => {
    const { clock, primary, backup, controller } = setup(line({ liveness: { interval: 10 } }));
    controller.start();
    await clock.advanceAsync(100);
    primary.behaviour = 'silent';
    await clock.advanceAsync(10_000 + 7_500);
    expect(backup.count('register')).toBe(1);
    await clock.advanceAsync(100);
    expect(controller.snapshot()).toMatchObject({ state: 'registered', server: 1 });
  });

  it('liveness 0 = off', async () => {
    const { clock, primary, controller } = setup(line({ liveness: { interval: 0 } }));
    controller.start();
    await clock.advanceAsync(600_000);
    expect(primary.count('options')).toBe(0);
    expect(controller.snapshot().nextLivenessAt).toBeNull();
  });
});

describe('line controller: connection loss and stop', () => {
  it('a dropped connection to the active server re-registers at once and fails over when refused', async () => {
    const { clock, primary, controller } = setup();
    controller.start();
    await clock.advanceAsync(100);
    primary.behaviour = 'refused';
    primary.onConnectionLost?.();
    await clock.advanceAsync(50);
    expect(controller.snapshot()).toMatchObject({ state: 'registered', server: 1 });
  });

  it('stop sends Expires:0 to every server holding a binding, in parallel, and ends unregistered', async () => {
    const { clock, primary, backup, controller } = setup(line({ failback: { interval: 30 }, liveness: { interval: 0 } }));
    primary.behaviour = '503';
    controller.start();
    await clock.advanceAsync(100);
    primary.behaviour = 'ok';
    // The probe succeeds; the backup's removal is slow, so both hold a binding when the line stops.
    backup.latencyMs = 2_000;
    await clock.advanceAsync(30_000);
    expect(primary.hasBinding() && backup.hasBinding()).toBe(true);
    const done = controller.stop('unregistered', 'quit', 3_000);
    expect(controller.snapshot().state).toBe('unregistering');
    await clock.advanceAsync(2_500);
    await done;
    expect(primary.count('unregister')).toBe(1);
    expect(backup.count('unregister')).toBe(1);
    expect(primary.hasBinding() || backup.hasBinding()).toBe(false);
    expect(controller.snapshot().state).toBe('unregistered');
  });

  it('stop is bounded when a server is silent', async () => {
    const { clock, primary, controller } = setup();
    controller.start();
    await clock.advanceAsync(100);
    primary.behaviour = 'silent';
    const started = clock.now();
    let finished = 0;
    void controller.stop('unregistered', 'quit', 3_000).then(() => (finished = clock.now()));
    await clock.advanceAsync(10_000);
    expect(finished - started).toBe(3_000);
  });

  it('disable without bindings goes straight to disabled and sends nothing', async () => {
    const { clock, primary, backup, controller } = setup();
    primary.behaviour = 'refused';
    backup.behaviour = 'refused';
    controller.start();
    await clock.advanceAsync(100);
    await controller.stop('disabled', 'disabled by user', 3_000);
    expect(controller.snapshot().state).toBe('disabled');
    expect(primary.count('unregister') + backup.count('unregister')).toBe(0);
    await clock.advanceAsync(600_000);
    expect(primary.count('register')).toBe(1);
  });
});
