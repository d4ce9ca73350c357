import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SipEngine } from '../../main/sip/engine';
import type { KamailioInstance } from '../harness/kamailio';
import { account, eventually, lineConfig, newEngine, registeredOn, serverOf, startPair, waitForLine } from './engine-fixture';

let primary: KamailioInstance;
let backup: KamailioInstance;
let e: SipEngine | undefined;

beforeAll(async () => {
  ({ primary, backup } = await startPair('failback'));
});

afterAll(async () => {
  await e?.shutdown(1000);
  await Promise.all([primary?.stop(), backup?.stop()]);
});

describe('failback', () => {
  it('probes the primary with its own dialog every interval; when it answers, the primary is active and the backup binding is gone — never unregistered in between', async () => {
    await primary.setRegisterReply(503, 'Service Unavailable');
    e = newEngine();
    e.addLine(lineConfig({ id: 'l', ...account('1021'), failback: { enabled: true, interval: 30 }, liveness: { interval: 0 }, servers: [serverOf(primary), serverOf(backup)] }));
    const onBackup = await waitForLine(e, 'l', registeredOn(1), 5_000, 'registered on backup');
    const firstProbeAt = onBackup.nextFailbackAt!;
    expect(firstProbeAt - Date.now()).toBeGreaterThan(29_000);

    // First probe: the primary still answers 503 → stay on the backup, probe again an interval later.
    const probe1 = await primary.waitForWire((r) => r.fromUser === '1021' && r.time > firstProbeAt - 1_000, 33_000);
    expect(probe1.time - firstProbeAt).toBeLessThan(5_000);
    const stayed = await waitForLine(e, 'l', (s) => s.nextFailbackAt !== null && s.nextFailbackAt > firstProbeAt + 29_000, 3_000, 'next probe scheduled');
    expect(stayed).toMatchObject({ state: 'registered', server: 1 });

    await primary.setRegisterReply(null);
    await waitForLine(e, 'l', registeredOn(0), 33_000, 'registered on primary');

    await primary.waitForWire((r) => r.fromUser === '1021' && r.authorization && r.time > firstProbeAt + 20_000, 2_000);
    const backupDialog = backup.wire({ method: 'REGISTER', fromUser: '1021' })[0]!;
    const probe2 = primary.wire({ method: 'REGISTER', fromUser: '1021' }).at(-1)!;
    // An independent dialog: its own Call-ID, its own Contact.
    expect(probe2.callId).not.toBe(backupDialog.callId);
    expect(probe2.contact).not.toBe(backupDialog.contact);

    await eventually(async () => (await backup.bindings('1021')).length === 0, 3_000, 'backup binding removed');
    const unregister = await backup.waitForWire((r) => r.fromUser === '1021' && r.expiresHeader === '0', 2_000);
    expect(unregister?.callId).toBe(backupDialog.callId);
    expect(await primary.bindings('1021')).toHaveLength(1);

    const history = e.history('l');
    const firstRegistered = history.findIndex((h) => h.to === 'registered');
    expect(history.slice(firstRegistered).every((h) => h.to === 'registered')).toBe(true);
    expect(history.some((h) => h.reason.startsWith('failback to primary'))).toBe(true);
    expect(e.snapshot('l').nextFailbackAt).toBeNull();
  });
});
