/**
 * RFC 3263 server location against a real DNS server: dnsmasq on loopback serving NAPTR, SRV and
 * A/AAAA records. Assertions are on the targets returned and on the queries dnsmasq received.
 */
import dgram from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServerLocationError, ServerLocator, targetLabel, type ServerLocatorOptions, type ServerTarget } from '../../main/sip/server-locator';
import { startDnsmasq, type DnsmasqInstance } from '../harness/dnsmasq';

const LOG_WAIT_MS = 3_000;

let dns: DnsmasqInstance;

beforeAll(async () => {
  dns = await startDnsmasq({
    name: 'server-locator',
    localTtl: 60,
    naptr: [
      // A SIP domain offering UDP (preferred) and TCP, through non-standard SRV owners so a test
      // can tell that the NAPTR replacement was followed.
      { name: 'example.test', order: 10, preference: 50, flags: 'S', service: 'SIP+D2U', replacement: '_sip._udp.pool.example.test' },
      { name: 'example.test', order: 20, preference: 50, flags: 'S', service: 'SIP+D2T', replacement: '_sip._tcp.pool.example.test' },
      // Records a SIP client must skip: another application, and a non-terminal flag.
      { name: 'example.test', order: 5, preference: 10, flags: 'S', service: 'E2U+sip', replacement: '_sip._udp.trap.example.test' },
      { name: 'example.test', order: 5, preference: 20, flags: 'U', service: 'SIP+D2U', regexp: '!^.*$!sip:trap@example.test!', replacement: '.' },
      // NAPTR that points nowhere: the walk falls through to A/AAAA of the name itself.
      { name: 'broken.test', order: 10, preference: 10, flags: 'S', service: 'SIP+D2U', replacement: '_sip._udp.missing.broken.test' },
      // A name whose only record is a NAPTR for another transport.
      { name: 'naptronly.test', order: 10, preference: 10, flags: 'S', service: 'SIP+D2T', replacement: '_sip._tcp.naptronly.test' },
    ],
    srv: [
      { name: '_sip._udp.pool.example.test', target: 'a.example.test', port: 5070, priority: 10, weight: 60 },
      { name: '_sip._udp.pool.example.test', target: 'b.example.test', port: 5071, priority: 10, weight: 40 },
      { name: '_sip._udp.pool.example.test', target: 'c.example.test', port: 5072, priority: 20, weight: 0 },
      { name: '_sip._tcp.pool.example.test', target: 'a.example.test', port: 5080, priority: 10, weight: 0 },
      { name: '_sip._tcp.srvonly.test', target: 'a.example.test', port: 5090, priority: 1, weight: 0 },
      { name: '_sip._udp.ttl.test', target: 'short.ttl.test', port: 5099, priority: 1, weight: 0 },
      { name: '_sip._udp.deadtarget.test', target: 'ghost.deadtarget.test', port: 5060, priority: 1, weight: 0 },
    ],
    hosts: [
      { name: 'example.test', addresses: ['127.0.0.99'] },
      { name: 'a.example.test', addresses: ['127.0.0.7'] },
      { name: 'b.example.test', addresses: ['127.0.0.8', '127.0.0.9', '::1'] },
      { name: 'c.example.test', addresses: ['127.0.0.10'] },
      { name: 'aonly.test', addresses: ['127.0.0.20'] },
      { name: 'short.ttl.test', addresses: ['127.0.0.30'], ttl: 2 },
      { name: 'broken.test', addresses: ['::1'] },
      { name: 'marker.test', addresses: ['127.0.0.1'] },
    ],
  });
});

afterAll(async () => {
  await dns?.stop();
});

function locator(options: Partial<ServerLocatorOptions> = {}): ServerLocator {
  return new ServerLocator({ servers: [dns.server], timeoutMs: 1000, tries: 2, ...options });
}

/** Sends one query of our own and waits until dnsmasq has logged it: every query before it is logged too. */
async function logBarrier(): Promise<void> {
  const before = dns.queries({ name: 'marker.test' }).length;
  const resolver = new Resolver({ timeout: 1000, tries: 1 });
  resolver.setServers([dns.server]);
  await resolver.resolve4('marker.test');
  await dns.waitForQueries({ name: 'marker.test' }, before + 1, LOG_WAIT_MS);
}

/**
 * Targets grouped per SRV target, addresses sorted: a DNS server may rotate the A records of one
 * name (dnsmasq does), and the locator keeps the order it was given.
 */
function perTarget(targets: ServerTarget[]): string[] {
  const out: { key: string; addresses: string[] }[] = [];
  for (const t of targets) {
    const key = `${t.host}:${t.port}/${t.transport} p${t.priority} w${t.weight}`;
    const last = out[out.length - 1];
    if (last?.key === key) last.addresses.push(t.address);
    else out.push({ key, addresses: [t.address] });
  }
  return out.map((g) => `${g.key} ${g.addresses.sort().join(' ')}`);
}

const brief = (t: { address: string; port: number; transport: string; host: string; priority: number; weight: number }) =>
  `${t.host} ${t.address}:${t.port}/${t.transport} p${t.priority} w${t.weight}`;

describe('RFC 3263 server location against dnsmasq', () => {
  it('NAPTR → SRV → A: priorities ascending, weighted order within a priority, every address of a target', async () => {
    // Draw 0 of 0..100 → the first record of the priority, a (weight 60).
    const first = await locator({ random: () => 0 }).locate({ host: 'example.test', transport: 'udp' });
    expect(perTarget(first)).toEqual([
      'a.example.test:5070/udp p10 w60 127.0.0.7',
      'b.example.test:5071/udp p10 w40 127.0.0.8 127.0.0.9 ::1',
      'c.example.test:5072/udp p20 w0 127.0.0.10',
    ]);
    // IPv4 before IPv6 within a target (addressOrder 'ipv4first').
    expect(first.filter((t) => t.host === 'b.example.test').map((t) => t.address)[2]).toBe('::1');
    expect(first.every((t) => t.source === 'naptr-srv')).toBe(true);
    // Draw 90 of 0..100 → past a's running sum 60 → b (running sum 100) comes first.
    const second = await locator({ random: () => 0.9 }).locate({ host: 'example.test', transport: 'udp' });
    expect(perTarget(second).map((g) => g.split(':')[0])).toEqual(['b.example.test', 'a.example.test', 'c.example.test']);
    await logBarrier();
    expect(dns.queries({ type: 'NAPTR', name: 'example.test' }).length).toBeGreaterThanOrEqual(1);
    expect(dns.queries({ type: 'SRV', name: '_sip._udp.pool.example.test' }).length).toBeGreaterThanOrEqual(1);
    // The trap records (wrong service, wrong flag) were never followed.
    expect(dns.queries({ name: '_sip._udp.trap.example.test' })).toEqual([]);
    expect(targetLabel('example.test', first[0]!)).toBe('example.test → 127.0.0.7:5070/udp');
    expect(targetLabel('example.test', first[3]!)).toBe('example.test → [::1]:5071/udp');
    expect(first[3]!.address).toBe('::1');
  });

  it('without a fixed transport every usable NAPTR record is a candidate, in NAPTR order', async () => {
    const targets = await locator({ random: () => 0 }).locate({ host: 'example.test' });
    expect(perTarget(targets)).toEqual([
      'a.example.test:5070/udp p10 w60 127.0.0.7',
      'b.example.test:5071/udp p10 w40 127.0.0.8 127.0.0.9 ::1',
      'c.example.test:5072/udp p20 w0 127.0.0.10',
      'a.example.test:5080/tcp p10 w0 127.0.0.7',
    ]);
  });

  it('a fixed transport keeps only NAPTR records of that transport and follows their replacement', async () => {
    dns.clearQueries();
    const targets = await locator().locate({ host: 'example.test', transport: 'tcp' });
    expect(targets.map(brief)).toEqual(['a.example.test 127.0.0.7:5080/tcp p10 w0']);
    await logBarrier();
    expect(dns.queries({ type: 'SRV', name: '_sip._tcp.pool.example.test' })).toHaveLength(1);
    expect(dns.queries({ type: 'SRV', name: '_sip._udp.pool.example.test' })).toEqual([]);
  });

  it('no NAPTR: the SRV name of the configured transport is asked directly', async () => {
    dns.clearQueries();
    const targets = await locator().locate({ host: 'srvonly.test', transport: 'tcp' });
    expect(targets.map(brief)).toEqual(['a.example.test 127.0.0.7:5090/tcp p1 w0']);
    expect(targets[0]!.source).toBe('srv');
    await logBarrier();
    const asked = dns.queries().filter((q) => q.name !== 'marker.test').map((q) => `${q.type} ${q.name}`);
    expect(asked).toEqual(expect.arrayContaining(['NAPTR srvonly.test', 'SRV _sip._tcp.srvonly.test', 'A a.example.test']));
    // A fixed transport asks only its own SRV name.
    expect(asked.filter((q) => q.startsWith('SRV'))).toEqual(['SRV _sip._tcp.srvonly.test']);
  });

  it('no NAPTR and no SRV: A/AAAA of the host with the default port of the transport', async () => {
    const udp = await locator().locate({ host: 'aonly.test' });
    expect(udp.map(brief)).toEqual(['aonly.test 127.0.0.20:5060/udp p0 w0']);
    await logBarrier();
    dns.clearQueries();
    const tls = await locator().locate({ host: 'aonly.test', transport: 'tls' });
    expect(tls.map(brief)).toEqual(['aonly.test 127.0.0.20:5061/tls p0 w0']);
    await logBarrier();
    expect(dns.queries({ type: 'SRV', name: '_sips._tcp.aonly.test' })).toHaveLength(1);
  });

  it('an explicit port skips NAPTR and SRV (RFC 3263 §4.2)', async () => {
    dns.clearQueries();
    const targets = await locator().locate({ host: 'example.test', port: 5555, transport: 'udp' });
    expect(targets.map(brief)).toEqual(['example.test 127.0.0.99:5555/udp p0 w0']);
    await logBarrier();
    const asked = dns.queries().filter((q) => q.name !== 'marker.test').map((q) => q.type).sort();
    expect(asked).toEqual(['A', 'AAAA']);
  });

  it('an IP literal asks no DNS at all', async () => {
    dns.clearQueries();
    const v4 = await locator().locate({ host: '127.0.0.5', transport: 'tcp' });
    const v6 = await locator().locate({ host: '[::1]', port: 5070 });
    expect(v4.map(brief)).toEqual(['127.0.0.5 127.0.0.5:5060/tcp p0 w0']);
    expect(v6.map(brief)).toEqual(['[::1] ::1:5070/udp p0 w0']);
    expect(v4[0]!.expiresAt).toBe(Infinity);
    await logBarrier();
    expect(dns.queries().filter((q) => q.name !== 'marker.test')).toEqual([]);
  });

  it('NXDOMAIN → a reason naming the host', async () => {
    const error = await locator().locate({ host: 'nope.example.test', transport: 'udp' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerLocationError);
    expect((error as ServerLocationError).kind).toBe('nxdomain');
    expect((error as Error).message).toBe(`nope.example.test does not exist (NXDOMAIN; asked ${dns.server})`);
  });

  it('a NAPTR record leading nowhere falls through to A/AAAA of the name', async () => {
    const targets = await locator().locate({ host: 'broken.test', transport: 'udp' });
    expect(targets.map(brief)).toEqual(['broken.test ::1:5060/udp p0 w0']);
    await logBarrier();
    expect(dns.queries({ type: 'SRV', name: '_sip._udp.missing.broken.test' })).toHaveLength(1);
  });

  it('a name with no usable records → "no SRV or A/AAAA records for <host>"', async () => {
    const error = await locator().locate({ host: 'naptronly.test', transport: 'udp' }).catch((e: unknown) => e);
    expect((error as ServerLocationError).kind).toBe('no-records');
    expect((error as Error).message).toBe('no SRV or A/AAAA records for naptronly.test (transport udp)');
    const withPort = await locator().locate({ host: 'naptronly.test', port: 5060 }).catch((e: unknown) => e);
    expect((withPort as Error).message).toBe('no A/AAAA records for naptronly.test');
  });

  it('SRV targets without addresses → a reason naming the targets', async () => {
    const error = await locator().locate({ host: 'deadtarget.test', transport: 'udp' }).catch((e: unknown) => e);
    expect((error as ServerLocationError).kind).toBe('no-records');
    expect((error as Error).message).toBe('no A/AAAA records for the SRV targets of _sip._udp.deadtarget.test: ghost.deadtarget.test (NXDOMAIN)');
  });

  it('a silent DNS server → timeout naming the host, within the resolver bound', async () => {
    const silent = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    try {
      const server = `127.0.0.1:${silent.address().port}`;
      const error = await new ServerLocator({ servers: [server], timeoutMs: 200, tries: 1 })
        .locate({ host: 'sip.example.org', transport: 'udp' }).catch((e: unknown) => e);
      expect((error as ServerLocationError).kind).toBe('timeout');
      expect((error as Error).message).toBe(`DNS timeout locating sip.example.org (asked ${server})`);
    } finally {
      silent.close();
    }
  });

  it('TTL honoured: cached until the smallest TTL runs out, then asked again', async () => {
    const shared = locator();
    dns.clearQueries();
    const first = await shared.locate({ host: 'ttl.test', transport: 'udp' });
    expect(first.map(brief)).toEqual(['short.ttl.test 127.0.0.30:5099/udp p1 w0']);
    // The A record's 2 s TTL is the smallest (SRV counts with the 300 s default).
    const lifetime = first[0]!.expiresAt - Date.now();
    expect(lifetime).toBeGreaterThan(0);
    expect(lifetime).toBeLessThanOrEqual(2000);

    const again = await shared.locate({ host: 'ttl.test', transport: 'udp' });
    expect(again).toEqual(first);
    await logBarrier();
    expect(dns.queries({ type: 'SRV', name: '_sip._udp.ttl.test' })).toHaveLength(1);
    expect(dns.queries({ type: 'A', name: 'short.ttl.test' })).toHaveLength(1);

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, first[0]!.expiresAt - Date.now()) + 50));
    const later = await shared.locate({ host: 'ttl.test', transport: 'udp' });
    expect(later.map(brief)).toEqual(first.map(brief));
    expect(later[0]!.expiresAt).toBeGreaterThan(first[0]!.expiresAt);
    await dns.waitForQueries({ type: 'SRV', name: '_sip._udp.ttl.test' }, 2, LOG_WAIT_MS);
    await dns.waitForQueries({ type: 'A', name: 'short.ttl.test' }, 2, LOG_WAIT_MS);
  });
});

describe('dnsmasq harness', () => {
  it('answers only after start, records each query, and is gone after stop()', async () => {
    const own = await startDnsmasq({ name: 'harness-check', hosts: [{ name: 'one.check.test', addresses: ['127.0.0.1'] }] });
    const resolver = new Resolver({ timeout: 500, tries: 1 });
    resolver.setServers([own.server]);
    expect(await resolver.resolve4('one.check.test')).toEqual(['127.0.0.1']);
    // --local=/test/ (from the record names): an unknown name in the zone is NXDOMAIN, not REFUSED.
    await expect(resolver.resolve4('two.check.test')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await own.waitForQueries({ type: 'A' }, 2, LOG_WAIT_MS);
    expect(own.queries({ type: 'A' }).map((q) => q.name)).toEqual(['one.check.test', 'two.check.test']);
    await own.stop();
    await expect(resolver.resolve4('one.check.test')).rejects.toMatchObject({ code: expect.stringMatching(/^E(CONNREFUSED|TIMEOUT)$/) });
    await own.stop();
  });
});
