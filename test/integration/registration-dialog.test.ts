/**
 * The REGISTER dialog against a real Kamailio: one transaction at a time with CSeq strictly
 * increasing per Call-ID (RFC 3261 §10.2), Retry-After honoured (§20.33), no stale binding after a
 * reconnect (§10.2.2), and no binding of ours left after a quit in any of these scenarios.
 */
import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SipEngine } from '../../main/sip/engine';
import type { KamailioInstance } from '../harness/kamailio';
import { startKamailio } from '../harness/kamailio';
import { account, dialogViolations, DOMAIN, eventually, lineConfig, newEngine, registerDialogs, registeredOn, serverOf, USERS, waitForLine } from './engine-fixture';

let primary: KamailioInstance;
let backup: KamailioInstance;
const engines: SipEngine[] = [];

function engine(): SipEngine {
  const e = newEngine();
  engines.push(e);
  return e;
}

beforeAll(async () => {
  // maxExpires 20: every grant is 20 s, so refreshes come every 10 s.
  [primary, backup] = await Promise.all([
    startKamailio({ name: 'dialog-primary', users: USERS, domain: DOMAIN, maxExpires: 20 }),
    startKamailio({ name: 'dialog-backup', users: USERS, domain: DOMAIN, maxExpires: 20 }),
  ]);
});

afterAll(async () => {
  primary?.thaw();
  await Promise.all(engines.map((e) => e.shutdown(1000)));
  await Promise.all([primary?.stop(), backup?.stop()]);
});

async function noBindingsLeft(user: string): Promise<void> {
  // Kamailio may log/commit a moment after it answered.
  await eventually(async () => (await primary.bindings(user)).length === 0 && (await backup.bindings(user)).length === 0, 3_000, `no binding of ${user} left`);
}

describe('one REGISTER transaction at a time per dialog', () => {
  it('refreshes, a failback and a quit: CSeq strictly increasing per Call-ID on the wire, no overlapping transactions, no binding left', async () => {
    await primary.setRegisterReply(503);
    try {
      const e = engine();
      e.addLine(lineConfig({ id: 'dialog', ...account('1061'), failback: { interval: 30 }, liveness: { interval: 0 }, servers: [serverOf(primary), serverOf(backup)] }));
      await waitForLine(e, 'dialog', registeredOn(1), 5_000, 'on backup');
      await primary.setRegisterReply(null);
      await waitForLine(e, 'dialog', registeredOn(0), 40_000, 'failback to primary');
      // One more refresh on the primary, then quit.
      await backup.waitForWire((r) => r.fromUser === '1061' && r.expiresHeader === '0', 5_000);
      await e.shutdown(3_000);
      await noBindingsLeft('1061');

      for (const k of [primary, backup]) {
        const byCallId = new Map<string, number[]>();
        for (const r of k.wire({ method: 'REGISTER', fromUser: '1061' })) byCallId.set(r.callId, [...(byCallId.get(r.callId) ?? []), Number.parseInt(r.cseq, 10)]);
        for (const [callId, cseqs] of byCallId) {
          expect(cseqs.every((c, i) => i === 0 || c > cseqs[i - 1]!), `${k.name} ${callId}: ${cseqs.join(',')}`).toBe(true);
        }
      }
      const dialogs = registerDialogs(e, 'dialog');
      expect(dialogs.size).toBe(2);
      for (const [callId, exchanges] of dialogs) {
        expect(dialogViolations(exchanges), callId).toEqual([]);
        // The last REGISTER of each dialog is its Expires:0.
        expect(exchanges.filter((x) => x.direction === 'sent').at(-1)!.expires).toBe('0');
      }
      // The backup dialog saw at least two refreshes before the failback removed it.
      const backupDialog = [...dialogs.values()].find((x) => x.length >= 6);
      expect(backupDialog).toBeDefined();
    } finally {
      await primary.setRegisterReply(null);
    }
  }, 60_000);

  it('quit while a refresh is stuck at a frozen registrar: the Expires:0 goes after it, with a higher CSeq, and is the last REGISTER the registrar sees', async () => {
    const e = engine();
    // TCP: one connection is read in order by one Kamailio worker. Over UDP, copies of the stuck
    // refresh already in the socket buffer may be handled by another worker after the Expires:0.
    e.addLine(lineConfig({ id: 'stuck', ...account('1062'), liveness: { interval: 0 }, servers: [serverOf(primary, 'tcp')] }));
    const s = await waitForLine(e, 'stuck', registeredOn(0), 5_000, 'registered');
    const refreshAt = s.nextRefreshAt!;
    await new Promise((r) => setTimeout(r, Math.max(0, refreshAt - Date.now() - 300)));
    primary.freeze();
    let thawed = false;
    try {
      // The refresh goes out into the frozen registrar's socket buffer.
      await eventually(() => e.trace('stuck').some((t) => t.direction === 'sent' && t.time >= refreshAt - 50 && t.text.startsWith('REGISTER')), 3_000, 'refresh sent');
      const quitting = e.shutdown(3_000);
      // The machine waits for the refresh up to half the bound, abandons it, then sends Expires:0.
      await new Promise((r) => setTimeout(r, 2_000));
      primary.thaw();
      thawed = true;
      await quitting;
    } finally {
      if (!thawed) primary.thaw();
    }
    await noBindingsLeft('1062');
    const registers = primary.wire({ method: 'REGISTER', fromUser: '1062' });
    const last = registers.at(-1)!;
    expect(last.expiresHeader).toBe('0');
    const cseqs = registers.map((r) => Number.parseInt(r.cseq, 10));
    expect(cseqs.every((c, i) => i === 0 || c >= cseqs[i - 1]!), cseqs.join(',')).toBe(true);
    expect(cseqs.filter((c) => c === cseqs.at(-1))).toHaveLength(1);
    expect(new Set(registers.map((r) => r.callId)).size).toBe(1);
    // Nothing from us after the Expires:0, not even an answer to a late challenge.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(primary.wire({ method: 'REGISTER', fromUser: '1062' }).at(-1)).toEqual(last);
    const [exchanges] = [...registerDialogs(e, 'stuck').values()];
    const refresh = exchanges!.filter((x) => x.direction === 'sent').at(-2)!;
    expect(dialogViolations(exchanges!, [refresh.cseq])).toEqual([]);
  }, 30_000);
});

describe('Retry-After (RFC 3261 §20.33)', () => {
  it('503 with Retry-After: 35 and retry delay 30 → nothing to the server before 35 s, then registered; the panel shows the real time', async () => {
    await backup.setRegisterReply(503, 'Service Unavailable', 35);
    try {
      const e = engine();
      e.addLine(lineConfig({ id: 'later', ...account('1063'), retryDelay: 30, liveness: { interval: 0 }, servers: [serverOf(backup)] }));
      const waiting = await waitForLine(e, 'later', (s) => s.state === 'retry-wait', 5_000, 'retry-wait');
      const first = await backup.waitForWire((r) => r.fromUser === '1063', 2_000);
      expect(waiting.nextRetryAt! - first.time).toBeGreaterThan(34_000);
      expect(waiting.nextRetryAt! - first.time).toBeLessThan(36_000);
      expect(e.trace('later').some((t) => t.direction === 'received' && /\r\nRetry-After: 35\r\n/i.test(t.text))).toBe(true);
      await new Promise((r) => setTimeout(r, 31_000));
      // The retry delay (30 s) has passed, Retry-After (35 s) has not: nothing was sent.
      expect(backup.wire({ method: 'REGISTER', fromUser: '1063' })).toHaveLength(1);
      await backup.setRegisterReply(null);
      await waitForLine(e, 'later', registeredOn(0), 10_000, 'registered after Retry-After');
      const second = backup.wire({ method: 'REGISTER', fromUser: '1063' })[1]!;
      expect(second.time - first.time).toBeGreaterThanOrEqual(34_500);
      await e.shutdown(3_000);
      await noBindingsLeft('1063');
    } finally {
      await backup.setRegisterReply(null);
    }
  }, 60_000);
  it('primary 503 with Retry-After: 40 → the backup at once; the failback probe (interval 30) waits for Retry-After, then fails back', async () => {
    await primary.setRegisterReply(503, 'Service Unavailable', 40);
    try {
      const e = engine();
      e.addLine(lineConfig({ id: 'probe-later', ...account('1066'), failback: { interval: 30 }, liveness: { interval: 0 }, servers: [serverOf(primary), serverOf(backup)] }));
      const onBackup = await waitForLine(e, 'probe-later', registeredOn(1), 5_000, 'on backup');
      const refused = await primary.waitForWire((r) => r.fromUser === '1066', 2_000);
      const backupFirst = await backup.waitForWire((r) => r.fromUser === '1066', 2_000);
      // Failover stays immediate: the backup is asked within moments of the 503.
      expect(backupFirst.time - refused.time).toBeLessThan(1_000);
      expect(onBackup.nextFailbackAt! - refused.time).toBeGreaterThan(39_000);
      expect(onBackup.nextFailbackAt! - refused.time).toBeLessThan(41_000);
      await new Promise((r) => setTimeout(r, 35_000));
      // The failback interval (30 s) has passed, Retry-After (40 s) has not: no probe yet.
      expect(primary.wire({ method: 'REGISTER', fromUser: '1066' })).toHaveLength(1);
      await primary.setRegisterReply(null);
      await waitForLine(e, 'probe-later', registeredOn(0), 10_000, 'failback after Retry-After');
      const probe = primary.wire({ method: 'REGISTER', fromUser: '1066' })[1]!;
      expect(probe.time - refused.time).toBeGreaterThanOrEqual(39_500);
      await e.shutdown(3_000);
      await noBindingsLeft('1066');
    } finally {
      await primary.setRegisterReply(null);
    }
  }, 70_000);
});

describe('no stale bindings after a reconnect (RFC 3261 §10.2.2)', () => {
  it('the registrar closes the TCP connection once: re-registered from a new port, the old Contact removed, exactly one binding; none after quit', async () => {
    const e = engine();
    await backup.closeAfterNextRegister();
    e.addLine(lineConfig({ id: 'reconnect', ...account('1064'), liveness: { interval: 0 }, servers: [serverOf(backup, 'tcp')] }));
    await waitForLine(e, 'reconnect', registeredOn(0), 5_000, 'registered');
    // The close makes the engine re-register at once over a new connection.
    await eventually(() => new Set(backup.wire({ method: 'REGISTER', fromUser: '1064' }).map((r) => r.srcPort)).size >= 2, 5_000, 'REGISTER from a new port');
    await waitForLine(e, 'reconnect', registeredOn(0), 5_000, 'registered again');
    const registers = backup.wire({ method: 'REGISTER', fromUser: '1064' });
    const ports = [...new Set(registers.map((r) => r.srcPort))];
    const again = registers.filter((r) => r.srcPort === ports[1]).at(-1)!;
    // Same REGISTER: the new Contact, and the old one with expires=0.
    expect(again.contact).toContain(`:${ports[0]};transport=tcp>;expires=0`);
    await eventually(async () => (await backup.bindings('1064')).length === 1, 3_000, 'one binding');
    const [binding] = await backup.bindings('1064');
    expect(binding!.contact).toContain(`:${ports[1]};transport=tcp`);
    expect(new Set(registers.map((r) => r.callId)).size).toBe(1);
    await e.shutdown(3_000);
    await noBindingsLeft('1064');
  }, 30_000);
});

describe('harness: SHA-256 digest', () => {
  it('an instance with authAlgorithm SHA-256 challenges with algorithm=SHA-256', async () => {
    const k = await startKamailio({ name: 'dialog-sha256', users: USERS, domain: DOMAIN, authAlgorithm: 'SHA-256' });
    const socket = dgram.createSocket('udp4');
    try {
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
      const { port } = socket.address();
      const request = [
        `REGISTER sip:${DOMAIN} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-sha256-${Date.now()};rport`,
        'Max-Forwards: 70',
        `From: <sip:1065@${DOMAIN}>;tag=sha`,
        `To: <sip:1065@${DOMAIN}>`,
        'Call-ID: sha256-check',
        'CSeq: 1 REGISTER',
        `Contact: <sip:1065@127.0.0.1:${port}>`,
        'Expires: 60',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      const answer = new Promise<string>((resolve) => socket.once('message', (m) => resolve(m.toString())));
      socket.send(request, k.ports.udp, k.ip);
      const response = await answer;
      expect(response).toMatch(/^SIP\/2\.0 401 /);
      expect(response).toMatch(/WWW-Authenticate: Digest [^\r\n]*algorithm=SHA-256/i);
    } finally {
      socket.close();
      await k.stop();
    }
  });
});
