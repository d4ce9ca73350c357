import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TransportKind } from '../../common/line-config';
import type { SipEngine } from '../../main/sip/engine';
import type { KamailioInstance, WireRecord } from '../harness/kamailio';
import { startKamailio } from '../harness/kamailio';
import { DOMAIN, eventually, lineConfig, newEngine, registeredOn, serverOf, startPair, USERS, waitForLine } from './engine-fixture';

let primary: KamailioInstance;
let backup: KamailioInstance;
let stingy: KamailioInstance;
const engines: SipEngine[] = [];

function engine(): SipEngine {
  const e = newEngine();
  engines.push(e);
  return e;
}

beforeAll(async () => {
  ({ primary, backup } = await startPair('registration'));
  stingy = await startKamailio({ name: 'registration-stingy', users: USERS, domain: DOMAIN, maxExpires: 20 });
});

afterAll(async () => {
  await Promise.all(engines.map((e) => e.shutdown(1000)));
  await Promise.all([primary?.stop(), backup?.stop(), stingy?.stop()]);
});

describe('registration with digest over every transport', () => {
  it.each<[TransportKind, string]>([
    ['udp', '1001'],
    ['tcp', '1002'],
    ['tls', '1003'],
    ['ws', '1004'],
    ['wss', '1005'],
  ])('%s: challenged, authenticated, bound at the registrar with our real address; Expires:0 on shutdown removes it', async (transport, user) => {
    const e = engine();
    e.addLine(lineConfig({ id: `reg-${transport}`, username: user, password: USERS[user]!, servers: [serverOf(primary, transport)] }));
    const s = await waitForLine(e, `reg-${transport}`, registeredOn(0), 10_000, 'registered');
    expect(s.code).toBe(200);
    expect(s.expires).toBe(3600);

    // Kamailio may log a request a moment after it answered it.
    await primary.waitForWire((r) => r.method === 'REGISTER' && r.fromUser === user && r.authorization, 2_000);
    const registers = primary.wire({ method: 'REGISTER', fromUser: user });
    expect(registers.map((r) => r.authorization)).toEqual([false, true]);
    const [first, second] = registers as [typeof registers[0], typeof registers[0]];
    expect(second.callId).toBe(first.callId);
    expect(Number.parseInt(second.cseq, 10)).toBe(Number.parseInt(first.cseq, 10) + 1);
    expect(first.proto).toBe(transport);
    // RFC 3581: Via carries our real port and rport.
    expect(first.via).toMatch(new RegExp(`:${first.srcPort};rport`));

    const bindings = await primary.bindings(user);
    expect(bindings).toHaveLength(1);
    expect(bindings[0]!.callId).toBe(first.callId);
    expect(bindings[0]!.expires).toBeGreaterThan(3500);
    // The Contact is where we really are: our source address and port, our transport.
    expect(bindings[0]!.contact).toContain(`@${first.srcIp}:${first.srcPort}`);
    expect(bindings[0]!.contact).toContain(`transport=${transport === 'wss' ? 'ws' : transport}`);

    const trace = e.trace(`reg-${transport}`).map((t) => t.text).join('\n');
    expect(trace).toContain('REGISTER sip:trunkline.test SIP/2.0');
    expect(trace).not.toContain(USERS[user]!);
    expect(trace).toMatch(/Authorization: Digest [^\r\n]*response=<masked>/);

    await e.shutdown(3000);
    expect(e.snapshot(`reg-${transport}`).state).toBe('unregistered');
    const last = await primary.waitForWire((r) => r.method === 'REGISTER' && r.fromUser === user && r.expiresHeader === '0', 2_000);
    expect(last.expiresHeader).toBe('0');
    expect(last.callId).toBe(first.callId);
    // Credentials go with it at once (the nonce is reused): one round trip, not two.
    expect(last.authorization).toBe(true);
    expect(primary.wire({ method: 'REGISTER', fromUser: user }).filter((r) => r.expiresHeader === '0')).toHaveLength(1);
    await eventually(async () => (await primary.bindings(user)).length === 0, 3000, `binding of ${user} removed`);
  });
});

describe('expiry', () => {
  it('auto and fixed ask for the configured TTL every time and refresh at 50 % of the grant on the same Call-ID', async () => {
    const e = engine();
    e.addLine(lineConfig({ id: 'auto', username: '1006', password: USERS['1006']!, servers: [serverOf(stingy, 'udp', { expires: 3600 })], liveness: { interval: 0 } }));
    e.addLine(lineConfig({ id: 'fixed', username: '1007', password: USERS['1007']!, expiryMode: 'fixed', servers: [serverOf(stingy, 'udp', { expires: 3600 })], liveness: { interval: 0 } }));
    const auto = await waitForLine(e, 'auto', registeredOn(0), 10_000, 'registered');
    expect(auto.expires).toBe(20);
    expect(auto.nextRefreshAt! - Date.now()).toBeGreaterThan(8_000);
    expect(auto.nextRefreshAt! - Date.now()).toBeLessThanOrEqual(10_000);

    // Challenge, authenticated REGISTER, then the refresh.
    await eventually(() => stingy.wire({ method: 'REGISTER', fromUser: '1006' }).length >= 3, 15_000, 'auto-mode refresh');
    const [firstAuto, , refreshed] = stingy.wire({ method: 'REGISTER', fromUser: '1006' }) as [WireRecord, WireRecord, WireRecord];
    expect(refreshed.callId).toBe(firstAuto.callId);
    expect(refreshed.time - firstAuto.time).toBeGreaterThan(9_000);
    expect(refreshed.time - firstAuto.time).toBeLessThan(15_000);
    // RFC 3261 §10.2.1: the grant (20) only schedules the refresh; the request stays the TTL.
    expect(refreshed.expiresHeader).toBe('3600');
    // The refresh carries credentials at once: the registrar does not challenge it again.
    expect(refreshed.authorization).toBe(true);

    await eventually(() => stingy.wire({ method: 'REGISTER', fromUser: '1007' }).length >= 3, 15_000, 'fixed-mode refresh');
    for (const user of ['1006', '1007']) {
      expect(stingy.wire({ method: 'REGISTER', fromUser: user }).every((r) => r.expiresHeader === '3600')).toBe(true);
    }
    expect(e.snapshot('fixed').expires).toBe(20);
    await e.shutdown(3000);
  });

  it('423 Interval Too Brief → retried at once with Min-Expires', async () => {
    await backup.setIntervalTooBriefBelow(120);
    try {
      const e = engine();
      e.addLine(lineConfig({ id: 'brief', username: '1008', password: USERS['1008']!, servers: [serverOf(backup, 'udp', { expires: 60 })] }));
      const s = await waitForLine(e, 'brief', registeredOn(0), 10_000, 'registered');
      expect(s.expires).toBe(120);
      await backup.waitForWire((r) => r.fromUser === '1008' && r.expiresHeader === '120', 2_000);
      const asked = backup.wire({ method: 'REGISTER', fromUser: '1008' }).map((r) => r.expiresHeader);
      expect(asked[0]).toBe('60');
      expect(asked.at(-1)).toBe('120');
      const bindings = await backup.bindings('1008');
      expect(bindings[0]!.expires).toBeGreaterThan(100);
      await e.shutdown(3000);
    } finally {
      await backup.setIntervalTooBriefBelow(null);
    }
  });
});

describe('Privacy header', () => {
  it.each([
    ['ignore', null],
    ['id', 'id'],
    ['none', 'none'],
  ] as const)('privacy %s → Privacy header %s on REGISTER', async (privacy, header) => {
    const e = engine();
    const user = privacy === 'ignore' ? '1001' : privacy === 'id' ? '1002' : '1003';
    backup.clearWire();
    e.addLine(lineConfig({ id: `privacy-${privacy}`, username: user, password: USERS[user]!, privacy, servers: [serverOf(backup)] }));
    await waitForLine(e, `privacy-${privacy}`, registeredOn(0), 10_000, 'registered');
    await backup.waitForWire((r) => r.method === 'REGISTER' && r.fromUser === user && r.authorization, 2_000);
    const registers = backup.wire({ method: 'REGISTER', fromUser: user });
    expect(registers.length).toBeGreaterThan(0);
    expect(registers.every((r) => r.privacy === header)).toBe(true);
    await e.shutdown(3000);
  });
});

describe('authentication failure', () => {
  it('403 → auth-failed, no failover, not hammered', async () => {
    await primary.setRegisterReply(403, 'Forbidden');
    try {
      const e = engine();
      const line = lineConfig({ id: 'forbidden', username: '1009', password: USERS['1009']!, retryDelay: 30, servers: [serverOf(primary), serverOf(backup)] });
      e.addLine(line);
      const s = await waitForLine(e, 'forbidden', (x) => x.state === 'auth-failed', 10_000, 'auth-failed');
      expect(s).toMatchObject({ server: 0, code: 403 });
      expect(s.nextRetryAt! - Date.now()).toBeGreaterThan(28_000);
      await new Promise((r) => setTimeout(r, 5_000));
      expect(primary.wire({ method: 'REGISTER', fromUser: '1009' })).toHaveLength(1);
      expect(backup.wire({ method: 'REGISTER', fromUser: '1009' })).toHaveLength(0);
      await e.shutdown(1000);
    } finally {
      await primary.setRegisterReply(null);
    }
  });

  it('a wrong password → second 401 → auth-failed after exactly one authenticated attempt', async () => {
    const e = engine();
    primary.clearWire();
    e.addLine(lineConfig({ id: 'wrong-password', username: '1005', password: 'not-the-password', servers: [serverOf(primary), serverOf(backup)] }));
    const s = await waitForLine(e, 'wrong-password', (x) => x.state === 'auth-failed', 10_000, 'auth-failed');
    expect(s.code).toBe(401);
    await primary.waitForWire((r) => r.fromUser === '1005' && r.authorization, 2_000);
    expect(primary.wire({ method: 'REGISTER', fromUser: '1005' }).map((r) => r.authorization)).toEqual([false, true]);
    expect(e.trace('wrong-password').map((t) => t.text).join('\n')).not.toContain('not-the-password');
    await e.shutdown(1000);
  });
});
