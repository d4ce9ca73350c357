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
    // In parallel: the primary's Expires:0 went out while the backup's was still unanswered.
    const primaryRemoval = primary.calls.find((c) => c.kind === 'unregister')!;
    const backupRemoval = backup.calls.find((c) => c.kind === 'unregister')!;
    expect(primaryRemoval.time).toBeLessThan(backupRemoval.endedAt!);
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

describe('line controller: one REGISTER at a time per dialog', () => {
  it('failback succeeds during a backup refresh with a late challenge: the backup Expires:0 waits for the refresh, CSeqs increase, the line stays registered', async () => {
    const { clock, primary, backup, controller, history } = setup(line({
      failback: { interval: 60 }, liveness: { interval: 0 },
      servers: [{ host: '127.0.0.1', port: 5060, expires: 120 }, { host: '127.0.0.1', port: 5070, expires: 120 }],
    }));
    primary.behaviour = '503';
    controller.start();
    await clock.advanceAsync(100);
    expect(controller.snapshot()).toMatchObject({ state: 'registered', server: 1 });
    // The backup refreshes at 60 s; its 401 arrives 2 s later. The failback probe at 60 s succeeds.
    backup.challengeNext = 1;
    backup.challengeLatencyMs = 2_000;
    primary.behaviour = 'ok';
    await clock.advanceAsync(60_000);
    expect(controller.snapshot()).toMatchObject({ state: 'registered', server: 0 });
    await clock.advanceAsync(5_000);
    const refresh = backup.calls.find((c) => c.cseqs.length === 2)!;
    const removal = backup.calls.find((c) => c.kind === 'unregister')!;
    expect(removal.time).toBeGreaterThanOrEqual(refresh.endedAt!);
    expect(backup.overlapping()).toEqual([]);
    const cseqs = backup.wire.map((w) => w.cseq!);
    expect(cseqs.every((c, i) => i === 0 || c > cseqs[i - 1]!)).toBe(true);
    expect(backup.wire.at(-1)!.expires).toBe(0);
    expect(backup.hasBinding()).toBe(false);
    expect(primary.hasBinding()).toBe(true);
    const since = history.findIndex((h) => h.to === 'registered');
    expect(history.slice(since).every((h) => h.to === 'registered')).toBe(true);
    expect(history.some((h) => h.event.kind === 'failback')).toBe(true);
  });

  it('liveness failures: one arriving during a refresh defers to it; a later one fails over and the Expires:0 to the old server overlaps nothing', async () => {
    const { clock, primary, backup, controller } = setup(line({
      liveness: { interval: 10 }, failback: { enabled: false },
      servers: [{ host: '127.0.0.1', port: 5060, expires: 22 }, { host: '127.0.0.1', port: 5070 }],
    }));
    controller.start();
    await clock.advanceAsync(100);
    // OPTIONS at 10 s answers 503 after 3 s; the refresh at 11 s is in flight then (slow 401).
    primary.optionsBehaviour = '503';
    primary.optionsLatencyMs = 3_000;
    primary.challengeNext = 1;
    primary.challengeLatencyMs = 2_500;
    await clock.advanceAsync(13_000);
    expect(controller.snapshot()).toMatchObject({ state: 'registered', server: 0 });
    expect(backup.calls).toHaveLength(0);
    // The next OPTIONS (about 23 s) fails with no REGISTER in flight: failover, then Expires:0.
    primary.optionsLatencyMs = 20;
    await clock.advanceAsync(12_000);
    expect(controller.snapshot()).toMatchObject({ state: 'registered', server: 1 });
    await clock.advanceAsync(1_000);
    expect(primary.overlapping()).toEqual([]);
    expect(primary.wire.filter((w) => w.method === 'REGISTER').at(-1)!.expires).toBe(0);
    expect(primary.hasBinding()).toBe(false);
  });
});

describe('line controller: Retry-After (RFC 3261 §20.33, §21.5.4)', () => {
  it('503 + Retry-After: 60 with retryDelay 30 and one server → no REGISTER before 60 s, and the snapshot shows the real next retry', async () => {
    const { clock, primary, controller } = setup(line({ retryDelay: 30, servers: [{ host: '127.0.0.1' }] }));
    primary.behaviour = '503';
    primary.retryAfterS = 60;
    controller.start();
    await clock.advanceAsync(20);
    const failedAt = clock.now();
    expect(controller.snapshot()).toMatchObject({ state: 'retry-wait', nextRetryAt: failedAt + 60_000 });
    await clock.advanceAsync(59_999);
    expect(primary.wire).toHaveLength(1);
    primary.behaviour = 'ok';
    await clock.advanceAsync(100);
    expect(primary.wire[1]!.time).toBe(failedAt + 60_000);
    expect(controller.snapshot()).toMatchObject({ state: 'registered', server: 0 });
  });

  it('failover to another server stays immediate; failback probes wait for the primary\'s Retry-After', async () => {
    const { clock, primary, backup, controller } = setup(line({ failback: { interval: 30 }, liveness: { interval: 0 } }));
    primary.behaviour = '503';
    primary.retryAfterS = 90;
    controller.start();
    await clock.advanceAsync(40);
    expect(backup.calls[0]!.time - primary.calls[0]!.time).toBe(20);
    const s = controller.snapshot();
    expect(s).toMatchObject({ state: 'registered', server: 1 });
    expect(s.nextFailbackAt).toBe(primary.calls[0]!.time + 20 + 90_000);
    primary.behaviour = 'ok';
    await clock.advanceAsync(89_900);
    expect(primary.wire).toHaveLength(1);
    await clock.advanceAsync(200);
    expect(primary.wire).toHaveLength(2);
    expect(controller.snapshot()).toMatchObject({ state: 'registered', server: 0 });
  });

  it('every server down, only the primary asked to wait: the retry comes after the retry delay and goes straight to the backup', async () => {
    const { clock, primary, backup, controller } = setup(line({ retryDelay: 30 }));
    primary.behaviour = '503';
    primary.retryAfterS = 600;
    backup.behaviour = '503';
    controller.start();
    await clock.advanceAsync(40);
    expect(controller.snapshot().nextRetryAt).toBe(clock.now() + 30_000);
    backup.behaviour = 'ok';
    await clock.advanceAsync(30_100);
    expect(primary.wire).toHaveLength(1);
    expect(controller.snapshot()).toMatchObject({ state: 'registered', server: 1 });
  });
});

describe('line controller: stale bindings', () => {
  it('a dropped TCP connection: re-registered from a new port, the old Contact removed in the same REGISTER; after quit none of ours is left', async () => {
    const { clock, primary, controller } = setup(line({ servers: [{ host: '127.0.0.1', transport: 'tcp' }] }));
    controller.start();
    await clock.advanceAsync(100);
    primary.dropConnection();
    await clock.advanceAsync(100);
    expect(controller.snapshot()).toMatchObject({ state: 'registered', server: 0 });
    expect(primary.liveBindings()).toHaveLength(1);
    expect(primary.calls.at(-1)!.contacts.map((c) => c.expires)).toEqual([3600, 0]);
    await Promise.all([controller.stop('unregistered', 'quit', 3_000), clock.advanceAsync(100)]);
    expect(primary.liveBindings()).toHaveLength(0);
  });
});

describe('line controller: API for calls', () => {
  it('whenRegistered resolves with the active server, and a line in retry-wait tries at once', async () => {
    const { clock, primary, backup, controller } = setup(line({ retryDelay: 600 }));
    primary.behaviour = 'refused';
    backup.behaviour = 'refused';
    controller.start();
    await clock.advanceAsync(100);
    expect(controller.snapshot().state).toBe('retry-wait');
    expect(controller.activeServer()).toBeNull();
    backup.behaviour = 'ok';
    const registered = controller.whenRegistered(5_000);
    await clock.advanceAsync(100);
    await expect(registered).resolves.toBe(1);
    expect(controller.activeServer()).toBe(1);
    await expect(controller.whenRegistered(1)).resolves.toBe(1);
  });

  it('whenRegistered rejects with the reason when the attempt fails, and on timeout', async () => {
    const { clock, primary, controller } = setup(line({ servers: [{ host: '127.0.0.1' }] }));
    primary.behaviour = '403';
    controller.start();
    await clock.advanceAsync(100);
    const failed = controller.whenRegistered(5_000);
    const caught = failed.catch((e: Error) => e.message);
    await clock.advanceAsync(100);
    expect(await caught).toMatch(/auth-failed: 403 Forbidden/);
    primary.behaviour = 'silent';
    const timedOut = controller.whenRegistered(1_000).catch((e: Error) => e.message);
    await clock.advanceAsync(1_000);
    expect(await timedOut).toMatch(/not registered within 1000 ms/);
  });

  it('reportServerUnavailable fails over at once, exactly like a failed REGISTER', async () => {
    const { clock, backup, controller, history } = setup();
    controller.start();
    await clock.advanceAsync(100);
    controller.reportServerUnavailable(0, { code: 503, reason: 'Service Unavailable' });
    await clock.advanceAsync(40);
    expect(controller.snapshot()).toMatchObject({ state: 'registered', server: 1 });
    expect(backup.count('register')).toBe(1);
    expect(history.some((h) => h.event.kind === 'failover' && h.reason.includes('call: 503 Service Unavailable'))).toBe(true);
    expect(() => controller.reportServerUnavailable(5, 'x')).toThrow(RangeError);
    expect(controller.link(0)).toBeNull();
  });
});

describe('line controller: events and disposal', () => {
  it('several subscribers each get every event; unsubscribing stops only that one', async () => {
    const { clock, controller } = setup();
    const a: string[] = [];
    const b: string[] = [];
    const offA = controller.on('history', (h) => a.push(h.reason));
    controller.on('history', (h) => b.push(h.reason));
    controller.start();
    await clock.advanceAsync(100);
    offA();
    await Promise.all([controller.stop('disabled', 'disabled by user', 3_000), clock.advanceAsync(100)]);
    expect(a).toEqual(['line enabled', 'registered on primary 127.0.0.1:5060/udp']);
    expect(b.slice(0, 2)).toEqual(a);
    expect(b.length).toBeGreaterThan(2);
  });

  it('history sentences come from the typed event', async () => {
    const { clock, primary, controller, history } = setup();
    primary.behaviour = '503';
    controller.start();
    await clock.advanceAsync(100);
    const failover = history.find((h) => h.event.kind === 'failover')!;
    expect(failover.event).toMatchObject({ from: { index: 0 }, to: { index: 1 }, cause: { code: 503 } });
    expect(failover.reason).toBe('failover to backup 1 127.0.0.1:5070/udp: primary 127.0.0.1:5060/udp unavailable (503 Service Unavailable)');
  });

  it('dispose without stop: no timer left, nothing sent afterwards', async () => {
    const { clock, primary, backup, controller } = setup(line({ liveness: { interval: 10 } }));
    controller.start();
    await clock.advanceAsync(100);
    const sent = primary.wire.length;
    controller.dispose();
    controller.dispose();
    await clock.advanceAsync(3_600_000);
    expect(primary.wire).toHaveLength(sent);
    expect(backup.wire).toHaveLength(0);
    expect(clock.pendingDelays()).toEqual([]);
    expect(primary.disposed).toBe(true);
  });
});
