/**
 * INVITE and BYE failover on a real Kamailio pair (SPEC "INVITE failover", "BYE failover"): the
 * primary answers 503, is killed or is frozen → the line registers on the backup and the same call
 * is answered through it; with stopFailoverAfterInviteTimeout a silent primary ends the call 408
 * and nothing reaches the backup; the callee's own answer never fails over; a BYE the frozen primary
 * swallows reaches the far end through the backup while our side ended at once.
 *
 * Callees are baresips registered on both instances (one account each), so either can reach them.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BaresipOptions } from '../harness/baresip';
import type { KamailioInstance, WireRecord } from '../harness/kamailio';
import {
  addRegisteredLine, callEvent, callLine, connected, DOMAIN, ended, eventually, farEnd, onBoth, startCallWorld, stopPhones, tone,
  waitForCall, type CallWorld,
} from './calls-fixture';
import { serverOf, startPair, waitForLine } from './engine-fixture';

let primary: KamailioInstance;
let backup: KamailioInstance;
let world: CallWorld;

beforeAll(async () => {
  ({ primary, backup } = await startPair('calls-failover'));
  world = await startCallWorld();
});

afterEach(async () => {
  await stopPhones();
  await Promise.all(world.engine.lineIds().map((id) => world.engine.removeLine(id, 2_000)));
  primary.clearWire();
  backup.clearWire();
});

afterAll(async () => {
  await world?.close();
  await Promise.all([primary?.stop(), backup?.stop()]);
});

/** Index of the first wire record of `method` from `user`, or -1. */
function indexOf(records: WireRecord[], method: string, user: string): number {
  return records.findIndex((r) => r.method === method && r.fromUser === user);
}

describe('harness: fixed INVITE reply', () => {
  it('setInviteReply(503) answers new INVITEs 503 and relays nothing; null routes again', async () => {
    const callee = await farEnd('1091', primary, { record: false });
    const caller = await farEnd('1092', primary, { record: false });
    await primary.setInviteReply(503);
    try {
      await caller.dial(`sip:1091@${DOMAIN}`);
      expect((await caller.waitForEvent('CALL_CLOSED')).sipCode).toBe(503);
      expect(callee.sipMessages(/^INVITE /)).toHaveLength(0);
    } finally {
      await primary.setInviteReply(null);
    }
    const since = Date.now();
    await caller.dial(`sip:1091@${DOMAIN}`);
    await caller.waitForEvent('CALL_ESTABLISHED', () => true, 5_000, since);
    await caller.hangup();
  });
});

/** Dials `callee` on a fresh two-server line registered on the primary; resolves with the call once connected. */
async function failoverCall(user: string, callee: string, extra: Record<string, unknown> = {}, phoneOpts: Partial<BaresipOptions> = {}) {
  await addRegisteredLine(world, callLine(`fo-${user}`, user, [serverOf(primary), serverOf(backup)], {}, { liveness: { interval: 0 }, ...extra }), 0);
  const phone = await farEnd(callee, primary, { ...onBoth(callee, primary, backup), record: false, ...phoneOpts });
  expect(await backup.bindings(callee)).toHaveLength(1);
  return { line: `fo-${user}`, phone };
}

/** What every successful INVITE failover shows: one failover 0 → 1, answered via the backup, REGISTER there before the INVITE. */
async function expectAnsweredViaBackup(callId: string, user: string): Promise<void> {
  const answered = await waitForCall(world, callId, connected, 15_000, 'connected via the backup');
  expect(answered).toMatchObject({ server: 1, failovers: 1 });
  const failover = await callEvent(world, callId, 'failover');
  expect(failover).toMatchObject({ from: 0, to: 1 });
  // The line registered on the backup first, then the INVITE went there (SPEC: register, then dial).
  // Kamailio's log line for a request can reach the harness after the call connected: wait for it.
  await backup.waitForWire((r) => r.method === 'INVITE' && r.fromUser === user, 5_000);
  const wire = backup.wire();
  const register = wire.findIndex((r) => r.method === 'REGISTER' && r.fromUser === user && r.authorization);
  const invite = indexOf(wire, 'INVITE', user);
  expect(register).toBeGreaterThanOrEqual(0);
  expect(invite).toBeGreaterThan(register);
  expect(wire.filter((r) => r.method === 'INVITE' && r.fromUser === user)).toHaveLength(1);
  // The answered event says which server took the call.
  expect((await callEvent(world, callId, 'answered')).server).toBe(1);
}

describe('INVITE failover', () => {
  it('primary answers 503 → registered on the backup, the same call answered through it', async () => {
    const { line, phone } = await failoverCall('1011', '1012');
    await primary.setInviteReply(503);
    try {
      const call = await world.calls.dial(line, '1012', { source: tone(1000) });
      await expectAnsweredViaBackup(call.id, '1011');
      expect(primary.wire({ method: 'INVITE', fromUser: '1011' })).toHaveLength(1);
      // The same call went out again: the offer to the backup carries the same local media (o= session and m= port).
      const invites = world.engine.trace(line).filter((t) => t.direction === 'sent' && !t.retransmission && t.text.startsWith('INVITE '));
      expect(invites.map((t) => t.server)).toEqual([0, 1]);
      const media = (text: string) => [/^o=.*$/m.exec(text)?.[0].split(' ').slice(0, 3).join(' '), /^m=audio.*$/m.exec(text)?.[0]];
      expect(media(invites[1]!.text)).toEqual(media(invites[0]!.text));
      expect(media(invites[0]!.text)[1]).toMatch(/^m=audio [1-9]\d* RTP\/AVP /);
      await phone.waitForEvent('CALL_ESTABLISHED');
      expect(phone.events('CALL_ESTABLISHED')).toHaveLength(1);
      await eventually(() => (world.snapshots.get(call.id)?.stats?.packetsReceived ?? 0) > 10, 3_000, 'RTP from the callee');
      await world.calls.hangup(call.id);
      await phone.waitForEvent('CALL_CLOSED');
      // The BYE went where the dialog is: the backup.
      await backup.waitForWire((r) => r.method === 'BYE' && r.fromUser === '1011', 3_000);
    } finally {
      await primary.setInviteReply(null);
    }
  });

  it('primary killed → ICMP/connection failure → answered through the backup', async () => {
    const { line, phone } = await failoverCall('1013', '1014');
    await primary.kill();
    try {
      const call = await world.calls.dial(line, '1014', { source: tone(1000) });
      await expectAnsweredViaBackup(call.id, '1013');
      await phone.waitForEvent('CALL_ESTABLISHED');
      await world.calls.hangup(call.id);
      await phone.waitForEvent('CALL_CLOSED');
    } finally {
      await primary.start();
    }
  });

  it('primary frozen (SIGSTOP) → no answer within the signal-retry budget → answered through the backup', async () => {
    const { line, phone } = await failoverCall('1015', '1016', { signalRetryCount: 2 });
    primary.freeze();
    try {
      const dialedAt = Date.now();
      const call = await world.calls.dial(line, '1016', { source: tone(1000) });
      await expectAnsweredViaBackup(call.id, '1015');
      // Not before the budget: the INVITE was retransmitted to the frozen primary first (0, 0.5, 1.5 s).
      const backupInvite = backup.wire().find((r) => r.method === 'INVITE' && r.fromUser === '1015')!;
      expect(backupInvite.time - dialedAt).toBeGreaterThanOrEqual(1_400);
      await phone.waitForEvent('CALL_ESTABLISHED');
      await world.calls.hangup(call.id);
      await phone.waitForEvent('CALL_CLOSED');
    } finally {
      primary.thaw();
    }
  });

  it('stopFailoverAfterInviteTimeout: primary frozen → the call ends 408 and no INVITE reaches the backup', async () => {
    const { line, phone } = await failoverCall('1017', '1018', { signalRetryCount: 2, stopFailoverAfterInviteTimeout: true });
    primary.freeze();
    try {
      const call = await world.calls.dial(line, '1018', { source: tone(1000) });
      const end = await waitForCall(world, call.id, ended, 15_000, 'ended');
      expect(end.code).toBe(408);
      expect(end.failovers).toBe(0);
      expect(world.events.filter((e) => e.call === call.id && e.event === 'failover')).toHaveLength(0);
      await delay(500);
      expect(backup.wire({ method: 'INVITE', fromUser: '1017' })).toHaveLength(0);
      expect(phone.events('CALL_ESTABLISHED')).toHaveLength(0);
    } finally {
      primary.thaw();
    }
  });

  it('primary killed with the line on TCP → answered through the backup', async () => {
    await addRegisteredLine(world, callLine('fo-tcp', '1025', [serverOf(primary, 'tcp'), serverOf(backup, 'tcp')], {}, { liveness: { interval: 0 } }), 0);
    const phone = await farEnd('1026', primary, { ...onBoth('1026', primary, backup), record: false });
    await primary.kill();
    try {
      const call = await world.calls.dial('fo-tcp', '1026', { source: tone(1000) });
      const answered = await waitForCall(world, call.id, connected, 15_000, 'connected via the backup');
      expect(answered.server).toBe(1);
      const invite = await backup.waitForWire((r) => r.method === 'INVITE' && r.fromUser === '1025', 1_000);
      expect(invite.proto).toBe('tcp');
      await phone.waitForEvent('CALL_ESTABLISHED');
      await world.calls.hangup(call.id);
      await phone.waitForEvent('CALL_CLOSED');
    } finally {
      await primary.start();
    }
  });

  it('never after a 1xx: the primary relayed 180, then froze → no INVITE to the backup, the call is still ours to cancel', async () => {
    const { line, phone } = await failoverCall('1027', '1028', { signalRetryCount: 1 }, { answerMode: 'manual' });
    const call = await world.calls.dial(line, '1028', { source: tone(1000) });
    await waitForCall(world, call.id, (s) => s.state === 'ringing', 5_000, 'ringing (180 through the primary)');
    await phone.waitForEvent('CALL_INCOMING');
    primary.freeze();
    try {
      // Well beyond the signal-retry budget of one retransmission (1.5 s).
      await delay(3_000);
      expect(backup.wire({ method: 'INVITE', fromUser: '1027' })).toHaveLength(0);
      expect(world.events.filter((e) => e.call === call.id && e.event === 'failover')).toHaveLength(0);
      expect(world.snapshots.get(call.id)?.state).toBe('ringing');
    } finally {
      primary.thaw();
    }
    await world.calls.hangup(call.id);
    const end = await waitForCall(world, call.id, ended, 5_000, 'cancelled');
    expect(end.failovers).toBe(0);
    await phone.waitForEvent('CALL_CLOSED');
  });

  it('a call placed while the line waits to retry registers first, then dials', async () => {
    await Promise.all([primary.setRegisterReply(503), backup.setRegisterReply(503)]);
    try {
      world.engine.addLine(callLine('rw', '1029', [serverOf(primary), serverOf(backup)], {}, { liveness: { interval: 0 }, retryDelay: 600 }));
      await waitForLine(world.engine, 'rw', (s) => s.state === 'retry-wait', 10_000, 'retry-wait');
    } finally {
      await Promise.all([primary.setRegisterReply(null), backup.setRegisterReply(null)]);
    }
    const phone = await farEnd('1030', primary, { ...onBoth('1030', primary, backup), record: false });
    primary.clearWire();
    const call = await world.calls.dial('rw', '1030', { source: tone(1000) });
    expect(call.state).toBe('dialing');
    const answered = await waitForCall(world, call.id, connected, 10_000, 'connected');
    const wire = primary.wire();
    const register = wire.findIndex((r) => r.method === 'REGISTER' && r.fromUser === '1029' && r.authorization);
    const invite = indexOf(wire, 'INVITE', '1029');
    expect(answered.server).toBe(0);
    expect(register).toBeGreaterThanOrEqual(0);
    expect(invite).toBeGreaterThan(register);
    await phone.waitForEvent('CALL_ESTABLISHED');
    await world.calls.hangup(call.id);
    await phone.waitForEvent('CALL_CLOSED');
  });

  it("the callee's own answer (486 busy) never fails over", async () => {
    const { line, phone: busy } = await failoverCall('1019', '1020', {}, { maxCalls: 1 });
    const other = await farEnd('1021', primary, { record: false });
    await other.dial(`sip:1020@${DOMAIN}`);
    await busy.waitForEvent('CALL_ESTABLISHED');
    const call = await world.calls.dial(line, '1020', { source: tone(1000) });
    const end = await waitForCall(world, call.id, ended, 5_000, 'ended');
    expect(end).toMatchObject({ code: 486, failovers: 0, server: 0 });
    expect(backup.wire({ method: 'INVITE', fromUser: '1019' })).toHaveLength(0);
    expect(world.engine.snapshot(line).server).toBe(0);
    await other.hangup();
  });
});

describe('BYE failover', () => {
  it('primary frozen after the answer → hang up → our side ends at once, the far end gets the BYE through the backup', async () => {
    const { line, phone } = await failoverCall('1023', '1024', { signalRetryCount: 2 });
    const call = await world.calls.dial(line, '1024', { source: tone(1000) });
    await waitForCall(world, call.id, connected, 5_000, 'connected via the primary');
    expect(world.snapshots.get(call.id)?.server).toBe(0);
    await phone.waitForEvent('CALL_ESTABLISHED');
    primary.freeze();
    try {
      await world.calls.hangup(call.id);
      const end = await waitForCall(world, call.id, ended, 2_000, 'ended at once');
      expect(end.endedBy).toBe('local');
      const bye = await backup.waitForWire((r) => r.method === 'BYE' && r.fromUser === '1023', 10_000);
      // Ended for the person before the BYE went anywhere but the frozen primary.
      expect(end.endedAt!).toBeLessThanOrEqual(bye.time);
      const closed = await phone.waitForEvent('CALL_CLOSED', () => true, 5_000);
      expect(closed.time).toBeGreaterThanOrEqual(bye.time - 50);
      // The BYE at the phone came through the backup (the Route naming the primary was consumed there).
      await eventually(() => phone.sipMessages(/^BYE /).length > 0, 3_000, 'BYE in the phone\'s log');
      const byes = phone.sipMessages(/^BYE /);
      expect(byes).toHaveLength(1);
      expect(byes[0]!.split('\n')[0]).toContain(`${backup.ip}:`);
      // Same dialog as the first try: Call-ID of the call.
      expect(bye.callId).toBe(primary.wire({ method: 'INVITE', fromUser: '1023' })[0]?.callId);
    } finally {
      primary.thaw();
    }
  });
});
