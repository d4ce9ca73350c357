/**
 * RFC 3263 server location through the engine (issue 9, kind 6), with a real DNS server (dnsmasq
 * on loopback) and two Kamailio: `voip.test` has SRV records for A (priority 10) and B (priority
 * 20). The SRV targets are failover candidates inside the one server entry: A first, B when A is
 * unavailable — the line stays on server 0 and the snapshot names the target in use.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SipEngine } from '../../main/sip/engine';
import type { DnsmasqInstance } from '../harness/dnsmasq';
import { startDnsmasq } from '../harness/dnsmasq';
import type { KamailioInstance } from '../harness/kamailio';
import { account, dialogViolations, eventually, lineConfig, registerDialogs, registeredOn, startPair, waitForLine } from './engine-fixture';

let a: KamailioInstance;
let b: KamailioInstance;
let dns: DnsmasqInstance;

beforeAll(async () => {
  ({ primary: a, backup: b } = await startPair('dns'));
  dns = await startDnsmasq({
    name: 'dns-failover',
    srv: [
      { name: '_sip._udp.voip.test', target: 'a.voip.test', port: a.ports.udp, priority: 10, weight: 0 },
      { name: '_sip._udp.voip.test', target: 'b.voip.test', port: b.ports.udp, priority: 20, weight: 0 },
      { name: '_sip._udp.short.test', target: 'ttl2.short.test', port: a.ports.udp, priority: 10, weight: 0 },
    ],
    hosts: [
      { name: 'a.voip.test', addresses: [a.ip] },
      { name: 'b.voip.test', addresses: [b.ip] },
      { name: 'ttl2.short.test', addresses: [a.ip], ttl: 2 },
      // The name itself (used when a port is given: A/AAAA only, RFC 3263 §4.2).
      { name: 'voip.test', addresses: [b.ip] },
    ],
  });
}, 40_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop(), dns?.stop()]);
});

function engineWithDns(): SipEngine {
  return new SipEngine({ userAgent: 'Trunkline-test', dns: { servers: [dns.server] } });
}

describe('RFC 3263 location of a server entry', () => {
  it('registers on the priority-10 target; when it answers 503 the line moves to the priority-20 target inside the same entry', async () => {
    const engine = engineWithDns();
    const user = '1051';
    try {
      engine.addLine(lineConfig({ id: 'srv', ...account(user), servers: [{ host: 'voip.test', expires: 60 }], liveness: { interval: 0 }, retryDelay: 30 }));
      const first = await waitForLine(engine, 'srv', registeredOn(0), 10_000, 'registered on A');
      expect(first.serverTarget).toBe(`voip.test → ${a.ip}:${a.ports.udp}/udp`);
      expect(await a.bindings(user)).toHaveLength(1);
      expect(await b.bindings(user)).toHaveLength(0);
      expect(dns.queries({ type: 'SRV', name: '_sip._udp.voip.test' }).length).toBeGreaterThanOrEqual(1);

      await a.setRegisterReply(503, 'Service Unavailable');
      engine.reRegisterAll('test: refresh now');
      const moved = await waitForLine(engine, 'srv', (s) => s.state === 'registered' && s.serverTarget === `voip.test → ${b.ip}:${b.ports.udp}/udp`, 10_000, 'registered on B');
      expect(moved.server).toBe(0);
      expect(await eventually(async () => ((await b.bindings(user)).length === 1 ? true : undefined), 5_000, 'binding on B')).toBe(true);
      // Inside the entry: never a failover to another server entry, never a retry-wait.
      expect(engine.history('srv').map((h) => h.event.kind)).not.toContain('failover');
      expect(engine.history('srv').map((h) => h.to)).not.toContain('retry-wait');
      for (const dialog of registerDialogs(engine, 'srv').values()) expect(dialogViolations(dialog)).toEqual([]);
    } finally {
      await a.setRegisterReply(null);
      await engine.shutdown(2_000);
    }
    expect(await b.bindings(user)).toHaveLength(0);
  }, 40_000);

  it('an explicit port skips NAPTR and SRV: only A/AAAA of the name', async () => {
    dns.clearQueries();
    const engine = engineWithDns();
    const user = '1052';
    try {
      engine.addLine(lineConfig({ id: 'port', ...account(user), servers: [{ host: 'voip.test', port: b.ports.udp, expires: 60 }], liveness: { interval: 0 } }));
      const s = await waitForLine(engine, 'port', registeredOn(0), 10_000, 'registered on B');
      expect(s.serverTarget).toBe(`voip.test → ${b.ip}:${b.ports.udp}/udp`);
      expect(await b.bindings(user)).toHaveLength(1);
      await dns.waitForQueries({ type: 'A', name: 'voip.test' }, 1, 3_000);
      expect(dns.queries({ type: 'SRV' })).toEqual([]);
      expect(dns.queries({ type: 'NAPTR' })).toEqual([]);
    } finally {
      await engine.shutdown(2_000);
    }
    expect(await b.bindings(user)).toHaveLength(0);
  }, 30_000);

  it('setDns (the desktop setting) points later locations at the given DNS server', async () => {
    const engine = new SipEngine({ userAgent: 'Trunkline-test' });
    const user = '1054';
    try {
      engine.setDns({ servers: [dns.server] });
      engine.addLine(lineConfig({ id: 'set', ...account(user), servers: [{ host: 'voip.test', expires: 60 }], liveness: { interval: 0 } }));
      const s = await waitForLine(engine, 'set', registeredOn(0), 10_000, 'registered on A');
      expect(s.serverTarget).toBe(`voip.test → ${a.ip}:${a.ports.udp}/udp`);
    } finally {
      await engine.shutdown(2_000);
    }
    expect(await a.bindings(user)).toHaveLength(0);
  }, 30_000);

  it('TTL honoured: a refresh after the answer expired locates the entry again and keeps the same target', async () => {
    const engine = engineWithDns();
    const user = '1055';
    try {
      engine.addLine(lineConfig({ id: 'ttl', ...account(user), servers: [{ host: 'short.test', expires: 20 }], liveness: { interval: 0 } }));
      await waitForLine(engine, 'ttl', registeredOn(0), 10_000, 'registered');
      const srvQueries = () => dns.queries({ type: 'SRV', name: '_sip._udp.short.test' }).length;
      await dns.waitForQueries({ type: 'SRV', name: '_sip._udp.short.test' }, 1, 3_000);
      expect(srvQueries()).toBe(1);
      // The A record lives 2 s, the refresh comes at 10 s: located again before it.
      await dns.waitForQueries({ type: 'SRV', name: '_sip._udp.short.test' }, 2, 15_000);
      await eventually(() => [...registerDialogs(engine, 'ttl').values()].some((d) => d.filter((x) => x.code === 200).length >= 2), 5_000, 'refresh 200 OK');
      expect(engine.snapshot('ttl')).toMatchObject({ state: 'registered', serverTarget: `short.test → ${a.ip}:${a.ports.udp}/udp` });
      // Same target, same connection: one Call-ID, one binding.
      expect(registerDialogs(engine, 'ttl').size).toBe(1);
      expect(await a.bindings(user)).toHaveLength(1);
    } finally {
      await engine.shutdown(2_000);
    }
    expect(await a.bindings(user)).toHaveLength(0);
  }, 40_000);

  it('a name that does not resolve is a failed registration naming DNS and the host', async () => {
    const engine = engineWithDns();
    try {
      engine.addLine(lineConfig({ id: 'nx', ...account('1053'), servers: [{ host: 'nothere.test' }], liveness: { interval: 0 } }));
      const s = await waitForLine(engine, 'nx', (x) => x.state === 'retry-wait', 15_000, 'retry-wait');
      expect(s.reason).toMatch(/^DNS: .*nothere\.test/);
    } finally {
      await engine.shutdown(500);
    }
  }, 30_000);
});
