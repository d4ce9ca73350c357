import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SipEngine } from '../../main/sip/engine';
import type { KamailioInstance } from '../harness/kamailio';
import { account, eventually, lineConfig, newEngine, registeredOn, serverOf, startPair, waitForLine } from './engine-fixture';

let primary: KamailioInstance;
let backup: KamailioInstance;
let e: SipEngine;

beforeAll(async () => {
  ({ primary, backup } = await startPair('failover'));
});

afterEach(async () => {
  await e?.shutdown(1000);
  primary.thaw();
  await primary.setRegisterReply(null);
  await primary.setDropAll(false);
  await backup.setRegisterReply(null);
});

afterAll(async () => {
  await Promise.all([primary?.stop(), backup?.stop()]);
});

describe('failover', () => {
  it('primary answers 503 → registered on the backup within one round trip', async () => {
    await primary.setRegisterReply(503, 'Service Unavailable');
    e = newEngine();
    e.addLine(lineConfig({ id: 'l', ...account('1011'), servers: [serverOf(primary), serverOf(backup)] }));
    const s = await waitForLine(e, 'l', registeredOn(1), 5_000, 'registered on backup');
    expect(s.serverLabel).toBe(`${backup.ip}:${backup.ports.udp}/udp`);
    await backup.waitForWire((r) => r.fromUser === '1011', 2_000);
    const rejected = primary.wire({ method: 'REGISTER', fromUser: '1011' });
    expect(rejected).toHaveLength(1);
    const onBackup = backup.wire({ method: 'REGISTER', fromUser: '1011' });
    // At once: the backup is asked right after the 503 (how fast is measured by `npm run bench`).
    expect(onBackup[0]!.time).toBeGreaterThanOrEqual(rejected[0]!.time);
    expect(onBackup[0]!.time - rejected[0]!.time).toBeLessThan(5_000);
    expect(await backup.bindings('1011')).toHaveLength(1);
    expect(await primary.bindings('1011')).toHaveLength(0);
  });

  it('primary silent (SIGSTOP) → given up after (2^(N+1) − 1)·T1 with N retransmissions, then the backup', async () => {
    primary.freeze();
    e = newEngine();
    const started = Date.now();
    e.addLine(lineConfig({ id: 'l', ...account('1012'), signalRetryCount: 3, servers: [serverOf(primary), serverOf(backup)] }));
    await waitForLine(e, 'l', registeredOn(1), 15_000, 'registered on backup');
    const firstOnBackup = await backup.waitForWire((r) => r.method === 'REGISTER' && r.fromUser === '1012', 2_000);
    // Not before the 7.5 s budget, and long before the 32 s a last server would get.
    expect(firstOnBackup.time - started).toBeGreaterThanOrEqual(7_400);
    expect(firstOnBackup.time - started).toBeLessThan(20_000);
    const toPrimary = e.trace('l').filter((t) => t.server === 0 && t.direction === 'sent');
    // Sent at 0, retransmitted at 0.5, 1.5 and 3.5 s (RFC 3261 Timer E), then nothing more.
    expect(toPrimary.map((t) => t.retransmission)).toEqual([false, true, true, true]);
    const offsets = toPrimary.map((t) => t.time - toPrimary[0]!.time);
    // Each copy no earlier than its timer, and in order (late is the machine, early is a bug).
    [0, 500, 1500, 3500].forEach((want, i) => expect(offsets[i]!).toBeGreaterThanOrEqual(want - 20));
    expect(offsets.slice(1).every((t, i) => t > offsets[i]!)).toBe(true);
  });

  it('primary killed (UDP) → ICMP unreachable at the next liveness check → backup', async () => {
    e = newEngine();
    e.addLine(lineConfig({ id: 'l', ...account('1013'), liveness: { interval: 5 }, servers: [serverOf(primary), serverOf(backup)] }));
    await waitForLine(e, 'l', registeredOn(0), 5_000, 'registered on primary');
    await primary.kill();
    const killed = Date.now();
    try {
      await waitForLine(e, 'l', registeredOn(1), 8_000, 'registered on backup');
      // The next liveness check (5 s) finds it, not a refresh half an hour away.
      expect(Date.now() - killed).toBeLessThan(5_000 + 10_000);
      expect(e.history('l').some((h) => /unreachable|refused/i.test(h.reason))).toBe(true);
    } finally {
      await primary.start();
    }
  });

  it('primary killed (TCP) → the dropped connection triggers failover at once', async () => {
    e = newEngine();
    e.addLine(lineConfig({ id: 'l', ...account('1014'), liveness: { interval: 60 }, servers: [serverOf(primary, 'tcp'), serverOf(backup, 'tcp')] }));
    await waitForLine(e, 'l', registeredOn(0), 5_000, 'registered on primary');
    await primary.kill();
    const killed = Date.now();
    try {
      await waitForLine(e, 'l', registeredOn(1), 5_000, 'registered on backup');
      // The dropped connection, not the liveness check 60 s away, moved the line.
      expect(Date.now() - killed).toBeLessThan(30_000);
      expect(await backup.bindings('1014')).toHaveLength(1);
    } finally {
      await primary.start();
    }
  });

  it('liveness timeout (server black-holed) → failover to the backup', async () => {
    e = newEngine();
    e.addLine(lineConfig({ id: 'l', ...account('1015'), liveness: { interval: 5 }, signalRetryCount: 2, servers: [serverOf(primary), serverOf(backup)] }));
    await waitForLine(e, 'l', registeredOn(0), 5_000, 'registered on primary');
    const alive = await waitForLine(e, 'l', (s) => s.livenessRttMs !== null, 7_000, 'a liveness round trip');
    expect(alive.livenessRttMs).toBeGreaterThanOrEqual(0);
    await primary.waitForWire((r) => r.method === 'OPTIONS' && r.fromUser === '1015', 2_000);
    await primary.setDropAll(true);
    // Next liveness check (≤ 5 s) + silence budget for N = 2 (3.5 s), with room for a busy machine.
    await waitForLine(e, 'l', registeredOn(1), 5_000 + 3_500 + 10_000, 'registered on backup');
    expect(e.history('l').some((h) => h.reason.includes('liveness check'))).toBe(true);
  });

  it('every server down → retry-wait for the retry delay, then again from the primary', async () => {
    await primary.setRegisterReply(503);
    await backup.setRegisterReply(503);
    e = newEngine();
    e.addLine(lineConfig({ id: 'l', ...account('1016'), retryDelay: 30, servers: [serverOf(primary), serverOf(backup)] }));
    const waiting = await waitForLine(e, 'l', (s) => s.state === 'retry-wait', 5_000, 'retry-wait');
    expect(waiting.nextRetryAt! - Date.now()).toBeGreaterThan(29_000);
    expect(waiting.consecutiveFailures).toBe(2);
    await primary.setRegisterReply(null);
    await waitForLine(e, 'l', registeredOn(0), 35_000, 'registered on primary after the retry delay');
    await eventually(() => primary.wire({ method: 'REGISTER', fromUser: '1016' }).length >= 2, 2_000, 'second attempt logged');
    const attempts = primary.wire({ method: 'REGISTER', fromUser: '1016' });
    expect(attempts[1]!.time - attempts[0]!.time).toBeGreaterThan(29_500);
    expect(attempts[1]!.time - attempts[0]!.time).toBeLessThan(40_000);
    await eventually(async () => (await primary.bindings('1016')).length === 1, 3_000, 'binding on primary');
  });
});
