import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KamailioInstance } from '../harness/kamailio';
import { account, eventually, lineConfig, newEngine, registeredOn, serverOf, startPair, waitForLine } from './engine-fixture';

let primary: KamailioInstance;
let backup: KamailioInstance;

beforeAll(async () => {
  ({ primary, backup } = await startPair('unregister'));
});

afterAll(async () => {
  primary?.thaw();
  await Promise.all([primary?.stop(), backup?.stop()]);
});

describe('unregister', () => {
  it('shutdown sends Expires:0 to every server holding a binding, in parallel, and waits for the answers', async () => {
    const e = newEngine();
    // Line b registers while the primary refuses, so it lives on the backup; line a on the primary.
    await primary.setRegisterReply(503);
    e.addLine(lineConfig({ id: 'b', ...account('1031'), servers: [serverOf(primary), serverOf(backup)] }));
    await waitForLine(e, 'b', registeredOn(1), 5_000, 'b on backup');
    await primary.setRegisterReply(null);
    e.addLine(lineConfig({ id: 'a', ...account('1032'), servers: [serverOf(primary, 'tcp'), serverOf(backup, 'tcp')] }));
    await waitForLine(e, 'a', registeredOn(0), 5_000, 'a on primary');
    expect(await backup.bindings('1031')).toHaveLength(1);
    expect(await primary.bindings('1032')).toHaveLength(1);

    await e.shutdown(3_000);
    // Bindings are gone when shutdown resolves: it waited for the 200 OKs.
    expect(await backup.bindings('1031')).toHaveLength(0);
    expect(await primary.bindings('1032')).toHaveLength(0);
    expect(e.snapshots().map((s) => s.state)).toEqual(['unregistered', 'unregistered']);
    await backup.waitForWire((r) => r.fromUser === '1031' && r.expiresHeader === '0', 2_000);
  });

  it('a line with sendUnregister off leaves its binding alone', async () => {
    const e = newEngine();
    e.addLine(lineConfig({ id: 'keep', ...account('1033'), sendUnregister: false, servers: [serverOf(backup)] }));
    await waitForLine(e, 'keep', registeredOn(0), 5_000, 'registered');
    await e.shutdown(3_000);
    expect(await backup.bindings('1033')).toHaveLength(1);
  });

  it('disabling a line sends Expires:0 and shows disabled; enabling registers again', async () => {
    const e = newEngine();
    e.addLine(lineConfig({ id: 'toggle', ...account('1034'), servers: [serverOf(backup)] }));
    await waitForLine(e, 'toggle', registeredOn(0), 5_000, 'registered');
    await e.setLineEnabled('toggle', false);
    expect(e.snapshot('toggle').state).toBe('disabled');
    expect(await backup.bindings('1034')).toHaveLength(0);
    await e.setLineEnabled('toggle', true);
    await waitForLine(e, 'toggle', registeredOn(0), 5_000, 'registered again');
    await e.removeLine('toggle');
    expect(await backup.bindings('1034')).toHaveLength(0);
  });

  it('quitting is bounded when a server is silent', async () => {
    const e = newEngine();
    e.addLine(lineConfig({ id: 'frozen', ...account('1035'), servers: [serverOf(primary)] }));
    await waitForLine(e, 'frozen', registeredOn(0), 5_000, 'registered');
    primary.freeze();
    try {
      const started = Date.now();
      await e.shutdown(3_000);
      const took = Date.now() - started;
      // It waited for the silent server up to the bound, not for a 32 s transaction timeout.
      expect(took).toBeGreaterThanOrEqual(2_900);
      expect(took).toBeLessThan(10_000);
      expect(e.snapshot('frozen').state).toBe('unregistered');
    } finally {
      primary.thaw();
    }
  });

  it('50 lines unregister together within the bound', async () => {
    const e = newEngine();
    const users = Array.from({ length: 50 }, (_, i) => `${1040 + i}`);
    for (const user of users) e.addLine(lineConfig({ id: `n${user}`, ...account(user), servers: [serverOf(backup)] }));
    await eventually(() => e.snapshots().every((s) => s.state === 'registered'), 10_000, 'all 50 registered');
    await e.shutdown(3_000);
    const left = await backup.bindings();
    expect(left.filter((b) => users.includes(b.aor))).toHaveLength(0);
  });
});
