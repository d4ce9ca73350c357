/**
 * The locator's rules under a fake clock with a scripted zone: RFC 2782 order, NAPTR selection,
 * fall-through, TTL cache, deadline, error reasons. The same paths against a real DNS server are
 * in test/integration/server-locator.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { orderSrv } from '../../../main/sip/dns-srv-order';
import {
  ServerLocationError, ServerLocator, targetLabel,
  type AddressAnswer, type DnsResolver, type NaptrAnswer, type ServerLocatorOptions, type SrvAnswer,
} from '../../../main/sip/server-locator';
import { FakeClock, flush } from '../../fake-clock';

/** A zone served from memory. Names not listed answer NXDOMAIN; `errors` forces a code per "TYPE name". */
interface Zone {
  naptr?: Record<string, NaptrAnswer[]>;
  srv?: Record<string, SrvAnswer[]>;
  a?: Record<string, AddressAnswer[]>;
  aaaa?: Record<string, AddressAnswer[]>;
  errors?: Record<string, string>;
  /** "TYPE name" queries that never answer until the resolver is cancelled. */
  silent?: string[];
}

class ScriptedResolver implements DnsResolver {
  readonly asked: string[] = [];
  private readonly waiting: ((error: Error) => void)[] = [];

  constructor(private readonly zone: Zone) {}

  private answer<T>(type: string, name: string, table: Record<string, T[]> | undefined): Promise<T[]> {
    const key = `${type} ${name}`;
    this.asked.push(key);
    if (this.zone.silent?.includes(key)) return new Promise<T[]>((_, reject) => this.waiting.push(reject));
    const forced = this.zone.errors?.[key];
    if (forced) return Promise.reject(Object.assign(new Error(`query ${forced} ${name}`), { code: forced }));
    const records = table?.[name];
    if (records?.length) return Promise.resolve(records);
    const exists = [this.zone.naptr, this.zone.srv, this.zone.a, this.zone.aaaa].some((t) => t && name in t);
    const code = exists ? 'ENODATA' : 'ENOTFOUND';
    return Promise.reject(Object.assign(new Error(`query ${code} ${name}`), { code }));
  }

  resolveNaptr(name: string): Promise<NaptrAnswer[]> {
    return this.answer('NAPTR', name, this.zone.naptr);
  }
  resolveSrv(name: string): Promise<SrvAnswer[]> {
    return this.answer('SRV', name, this.zone.srv);
  }
  resolve4(name: string): Promise<AddressAnswer[]> {
    return this.answer('A', name, this.zone.a);
  }
  resolve6(name: string): Promise<AddressAnswer[]> {
    return this.answer('AAAA', name, this.zone.aaaa);
  }
  cancel(): void {
    for (const reject of this.waiting.splice(0)) reject(Object.assign(new Error('cancelled'), { code: 'ECANCELLED' }));
  }
}

const naptr = (service: string, replacement: string, order = 10, preference = 10, flags = 'S'): NaptrAnswer =>
  ({ flags, service, regexp: '', replacement, order, preference });
const srv = (name: string, port: number, priority = 10, weight = 0): SrvAnswer => ({ name, port, priority, weight });
const a = (address: string, ttl = 3600): AddressAnswer => ({ address, ttl });

function setup(zone: Zone, options: Partial<ServerLocatorOptions> = {}) {
  const clock = new FakeClock();
  const resolver = new ScriptedResolver(zone);
  const locator = new ServerLocator({ servers: ['127.0.0.1:5353'], clock, random: () => 0, createResolver: () => resolver, ...options });
  return { clock, resolver, locator };
}

const endpoints = (targets: { address: string; port: number; transport: string }[]): string[] =>
  targets.map((t) => `${t.address}:${t.port}/${t.transport}`);

describe('RFC 2782 order (orderSrv)', () => {
  it('priorities ascending; every record once', () => {
    const records = [srv('c', 3, 20), srv('a', 1, 10, 5), srv('b', 2, 10, 5), srv('d', 4, 5)];
    const ordered = orderSrv(records, () => 0.5);
    expect(ordered.map((r) => r.priority)).toEqual([5, 10, 10, 20]);
    expect(new Set(ordered)).toEqual(new Set(records));
  });

  it('the draw picks the first record whose running weight sum reaches it', () => {
    const records = [srv('a', 1, 10, 60), srv('b', 2, 10, 40)];
    // Draws: floor(r × 101). 0..60 → a first; 61..100 → b first.
    expect(orderSrv(records, () => 60 / 101).map((r) => r.name)).toEqual(['a', 'b']);
    expect(orderSrv(records, () => 61 / 101).map((r) => r.name)).toEqual(['b', 'a']);
  });

  it('same draws, same order, whatever order the DNS answered in', () => {
    const records = [srv('a', 1, 10, 60), srv('b', 2, 10, 40)];
    expect(orderSrv([...records].reverse(), () => 0.9)).toEqual(orderSrv(records, () => 0.9));
  });

  it('a weight-0 record goes first only on a zero draw', () => {
    const records = [srv('heavy', 1, 10, 10), srv('zero', 2, 10, 0)];
    expect(orderSrv(records, () => 0).map((r) => r.name)).toEqual(['zero', 'heavy']);
    expect(orderSrv(records, () => 0.5).map((r) => r.name)).toEqual(['heavy', 'zero']);
  });

  it('first choices follow the weights over an even sweep of draws', () => {
    const records = [srv('a', 1, 10, 60), srv('b', 2, 10, 30), srv('c', 3, 10, 10)];
    const firsts: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 1000; i++) {
      const first = orderSrv(records, () => i / 1000)[0]!.name;
      firsts[first] = (firsts[first] ?? 0) + 1;
    }
    // Draw d ∈ 0..100: a for 0..60 (61 values), b for 61..90 (30), c for 91..100 (10).
    expect(firsts.a).toBeGreaterThan(595);
    expect(firsts.a).toBeLessThan(615);
    expect(firsts.b).toBeGreaterThan(290);
    expect(firsts.b).toBeLessThan(305);
    expect(firsts.c).toBeGreaterThan(90);
    expect(firsts.c).toBeLessThan(105);
  });
});

describe('server location (RFC 3263 §4)', () => {
  const domain: Zone = {
    naptr: {
      'sip.example.org': [
        naptr('SIPS+D2T', '_sips._tcp.sip.example.org', 20, 10),
        naptr('SIP+D2U', '_sip._udp.sip.example.org', 10, 20),
        naptr('SIP+D2T', '_sip._tcp.sip.example.org', 10, 10),
        naptr('SIP+D2U', 'ignored.example.org', 1, 1, 'A'),
        naptr('E2U+sip', '_sip._udp.enum.example.org', 1, 1),
      ],
    },
    srv: {
      '_sip._udp.sip.example.org': [srv('one.example.org', 5060, 10, 50), srv('two.example.org', 5062, 20)],
      '_sip._tcp.sip.example.org': [srv('one.example.org', 5070)],
      '_sips._tcp.sip.example.org': [srv('one.example.org', 5071)],
    },
    a: { 'one.example.org': [a('192.0.2.1', 600)], 'two.example.org': [a('192.0.2.2', 600)] },
    aaaa: { 'one.example.org': [a('2001:db8::1', 600)] },
  };

  it('NAPTR order then preference; only S records of SIP D2x services; SRV targets with every address', async () => {
    const { locator, resolver } = setup(domain);
    const targets = await locator.locate({ host: 'sip.example.org' });
    expect(endpoints(targets)).toEqual([
      '192.0.2.1:5070/tcp', '2001:db8::1:5070/tcp', // order 10 pref 10
      '192.0.2.1:5060/udp', '2001:db8::1:5060/udp', '192.0.2.2:5062/udp', // order 10 pref 20
      '192.0.2.1:5071/tls', '2001:db8::1:5071/tls', // order 20
    ]);
    expect(resolver.asked).not.toContain('SRV _sip._udp.enum.example.org');
    expect(resolver.asked.filter((q) => q.includes('ignored'))).toEqual([]);
    expect(targets[0]).toMatchObject({ host: 'one.example.org', priority: 10, weight: 0, source: 'naptr-srv' });
  });

  it('a fixed transport keeps only its NAPTR records', async () => {
    const { locator, resolver } = setup(domain);
    expect(endpoints(await locator.locate({ host: 'sip.example.org', transport: 'tls' }))).toEqual(['192.0.2.1:5071/tls', '2001:db8::1:5071/tls']);
    expect(resolver.asked.filter((q) => q.startsWith('SRV'))).toEqual(['SRV _sips._tcp.sip.example.org']);
  });

  it('ipv6first puts AAAA addresses of a target first', async () => {
    const { locator } = setup(domain, { addressOrder: 'ipv6first' });
    expect(endpoints(await locator.locate({ host: 'sip.example.org', transport: 'tcp' }))).toEqual(['2001:db8::1:5070/tcp', '192.0.2.1:5070/tcp']);
  });

  it('no NAPTR, transport free: SRV of every transport asked, found ones kept in preference order', async () => {
    const { locator, resolver } = setup({
      srv: { '_sip._tcp.pbx.example.org': [srv('pbx.example.org', 5080)], '_sips._ws.pbx.example.org': [srv('pbx.example.org', 8443)] },
      a: { 'pbx.example.org': [a('192.0.2.9')] },
    });
    expect(endpoints(await locator.locate({ host: 'pbx.example.org' }))).toEqual(['192.0.2.9:5080/tcp', '192.0.2.9:8443/wss']);
    expect(resolver.asked.filter((q) => q.startsWith('SRV')).sort()).toEqual([
      'SRV _sip._tcp.pbx.example.org', 'SRV _sip._udp.pbx.example.org', 'SRV _sip._ws.pbx.example.org',
      'SRV _sips._tcp.pbx.example.org', 'SRV _sips._ws.pbx.example.org',
    ]);
  });

  it('SERVFAIL on NAPTR does not block SRV and A; SERVFAIL on the addresses is final', async () => {
    const { locator } = setup({ a: { 'old.example.org': [a('192.0.2.3')] }, errors: { 'NAPTR old.example.org': 'ESERVFAIL', 'SRV _sip._udp.old.example.org': 'ESERVFAIL' } });
    expect(endpoints(await locator.locate({ host: 'old.example.org', transport: 'udp' }))).toEqual(['192.0.2.3:5060/udp']);
    const broken = setup({ errors: { 'A x.example.org': 'ESERVFAIL' }, aaaa: { 'x.example.org': [] } });
    const error = await broken.locator.locate({ host: 'x.example.org', port: 5060 }).catch((e: unknown) => e);
    expect((error as ServerLocationError).kind).toBe('server-failure');
    expect((error as Error).message).toBe('DNS server failure resolving x.example.org (asked 127.0.0.1:5353)');
  });

  it('a forwarder that drops NAPTR/SRV or AAAA queries does not hide the A records', async () => {
    const { locator } = setup({
      a: { 'home.example.org': [a('192.0.2.6')] },
      errors: { 'NAPTR home.example.org': 'ETIMEOUT', 'SRV _sip._udp.home.example.org': 'EREFUSED', 'AAAA home.example.org': 'ETIMEOUT' },
    });
    expect(endpoints(await locator.locate({ host: 'home.example.org', transport: 'udp' }))).toEqual(['192.0.2.6:5060/udp']);
  });

  it('a skipped SRV failure is told when nothing else is found either', async () => {
    const { locator } = setup({ aaaa: { 'gone.example.org': [] }, errors: { 'SRV _sip._tcp.gone.example.org': 'ETIMEOUT' } });
    await expect(locator.locate({ host: 'gone.example.org', transport: 'tcp' })).rejects.toMatchObject({
      kind: 'no-records',
      message: 'no SRV or A/AAAA records for gone.example.org (transport tcp); DNS timeout locating gone.example.org (asking _sip._tcp.gone.example.org) (asked 127.0.0.1:5353)',
    });
  });

  it('SRV targets that all time out → timeout, not "no records"', async () => {
    const { locator } = setup({ srv: { '_sip._udp.t.example.org': [srv('slow.example.org', 5060)] }, errors: { 'A slow.example.org': 'ETIMEOUT', 'AAAA slow.example.org': 'ETIMEOUT' } });
    await expect(locator.locate({ host: 't.example.org', transport: 'udp' })).rejects.toMatchObject({ kind: 'timeout' });
  });

  it('SRV target "." declines the service: no fallback to A (RFC 2782)', async () => {
    const { locator, resolver } = setup({ srv: { '_sip._udp.closed.example.org': [srv('.', 0)] }, a: { 'closed.example.org': [a('192.0.2.4')] } });
    const error = await locator.locate({ host: 'closed.example.org', transport: 'udp' }).catch((e: unknown) => e);
    expect((error as ServerLocationError).kind).toBe('declined');
    expect((error as Error).message).toBe('closed.example.org declines SIP service (its SRV target is ".")');
    expect(resolver.asked).not.toContain('A closed.example.org');
  });

  it('one SRV target without addresses is skipped, the others stay', async () => {
    const { locator } = setup({ srv: { '_sip._udp.half.example.org': [srv('dead.example.org', 5060, 1), srv('live.example.org', 5060, 2)] }, a: { 'live.example.org': [a('192.0.2.5')] } });
    expect(endpoints(await locator.locate({ host: 'half.example.org', transport: 'udp' }))).toEqual(['192.0.2.5:5060/udp']);
  });

  it('an IP literal or an explicit port skips NAPTR and SRV', async () => {
    const { locator, resolver } = setup(domain);
    expect(endpoints(await locator.locate({ host: '[2001:db8::7]', transport: 'tls' }))).toEqual(['2001:db8::7:5061/tls']);
    expect(resolver.asked).toEqual([]);
    expect(endpoints(await locator.locate({ host: 'one.example.org.', port: 5090 }))).toEqual(['192.0.2.1:5090/udp', '2001:db8::1:5090/udp']);
    expect(resolver.asked.sort()).toEqual(['A one.example.org', 'AAAA one.example.org']);
  });

  it('NXDOMAIN, timeout and refused each name the host', async () => {
    const nx = setup({});
    await expect(nx.locator.locate({ host: 'sip.example.org', transport: 'udp' })).rejects.toThrow('sip.example.org does not exist (NXDOMAIN; asked 127.0.0.1:5353)');
    const slow = setup({ errors: { 'A sip.example.org': 'ETIMEOUT' } });
    await expect(slow.locator.locate({ host: 'sip.example.org', transport: 'udp' })).rejects.toThrow('DNS timeout locating sip.example.org (asked 127.0.0.1:5353)');
    const closed = setup({ errors: { 'NAPTR sip.example.org': 'ECONNREFUSED' } });
    await expect(closed.locator.locate({ host: 'sip.example.org', transport: 'udp' })).rejects.toMatchObject({
      kind: 'unreachable', message: 'no DNS server reachable to locate sip.example.org (asked 127.0.0.1:5353)',
    });
    expect(closed.resolver.asked).toEqual(['NAPTR sip.example.org']);
    const refused = setup({ errors: { 'NAPTR sip.example.org': 'EREFUSED', 'A sip.example.org': 'EREFUSED', 'AAAA sip.example.org': 'EREFUSED' } }, { servers: [] });
    await expect(refused.locator.locate({ host: 'sip.example.org' })).rejects.toMatchObject({
      kind: 'refused', host: 'sip.example.org', message: 'DNS server refused to resolve sip.example.org (asked the system resolvers)',
    });
  });

  it('the whole location is bounded by the deadline, whatever the per-query timeouts', async () => {
    const { locator, clock } = setup({ silent: ['NAPTR sip.example.org'] }, { deadlineMs: 4000 });
    const outcome = locator.locate({ host: 'sip.example.org' }).catch((e: unknown) => e);
    await clock.advanceAsync(3999);
    let settled = false;
    void outcome.then(() => (settled = true));
    await flush();
    expect(settled).toBe(false);
    await clock.advanceAsync(1);
    const error = await outcome;
    expect((error as ServerLocationError).kind).toBe('timeout');
    expect((error as Error).message).toBe('DNS gave no answer locating sip.example.org within 4 s (asked 127.0.0.1:5353)');
    expect(clock.pendingDelays()).toEqual([]);
  });
});

describe('TTL cache', () => {
  const zone: Zone = {
    srv: { '_sip._udp.ttl.example.org': [srv('host.example.org', 5060)] },
    a: { 'host.example.org': [a('192.0.2.1', 30)], 'long.example.org': [a('192.0.2.2', 86_400)], 'zero.example.org': [a('192.0.2.3', 0)] },
  };

  it('kept until the smallest TTL of the records used, then asked again', async () => {
    const { locator, resolver, clock } = setup(zone);
    const first = await locator.locate({ host: 'ttl.example.org', transport: 'udp' });
    expect(first[0]!.expiresAt).toBe(clock.now() + 30_000);
    const count = resolver.asked.length;
    clock.advance(29_999);
    expect(await locator.locate({ host: 'ttl.example.org', transport: 'udp' })).toEqual(first);
    expect(resolver.asked.length).toBe(count);
    clock.advance(1);
    await locator.locate({ host: 'ttl.example.org', transport: 'udp' });
    expect(resolver.asked.length).toBe(count * 2);
  });

  it('SRV and NAPTR, whose TTL Node does not report, count with unknownTtlSeconds', async () => {
    const { locator, clock } = setup({ srv: { '_sip._udp.s.example.org': [srv('long.example.org', 5060)] }, a: zone.a }, { unknownTtlSeconds: 120 });
    const [target] = await locator.locate({ host: 's.example.org', transport: 'udp' });
    expect(target!.expiresAt).toBe(clock.now() + 120_000);
    // Without SRV only the A record's TTL counts.
    const [direct] = await locator.locate({ host: 'long.example.org', port: 5060 });
    expect(direct!.expiresAt).toBe(clock.now() + 86_400_000);
  });

  it('TTL 0 is never cached; clear() forgets everything', async () => {
    const { locator, resolver } = setup(zone);
    await locator.locate({ host: 'zero.example.org', port: 5060 });
    await locator.locate({ host: 'zero.example.org', port: 5060 });
    expect(resolver.asked.filter((q) => q === 'A zero.example.org')).toHaveLength(2);
    await locator.locate({ host: 'long.example.org', port: 5060 });
    locator.clear();
    await locator.locate({ host: 'long.example.org', port: 5060 });
    expect(resolver.asked.filter((q) => q === 'A long.example.org')).toHaveLength(2);
  });

  it('simultaneous lookups of one server share one walk; failures are not cached', async () => {
    const { locator, resolver } = setup(zone);
    const both = await Promise.all([
      locator.locate({ host: 'ttl.example.org', transport: 'udp' }),
      locator.locate({ host: 'ttl.example.org', transport: 'udp' }),
    ]);
    expect(both[0]).toEqual(both[1]);
    expect(resolver.asked.filter((q) => q === 'SRV _sip._udp.ttl.example.org')).toHaveLength(1);
    await expect(locator.locate({ host: 'none.example.org', port: 5060 })).rejects.toBeInstanceOf(ServerLocationError);
    await expect(locator.locate({ host: 'none.example.org', port: 5060 })).rejects.toBeInstanceOf(ServerLocationError);
    expect(resolver.asked.filter((q) => q === 'A none.example.org')).toHaveLength(2);
  });

  it('an answer asked for before clear() does not enter the cache after it', async () => {
    const { locator, resolver } = setup({ ...zone, silent: [] });
    const before = locator.locate({ host: 'long.example.org', port: 5060 });
    locator.clear();
    await before;
    await locator.locate({ host: 'long.example.org', port: 5060 });
    expect(resolver.asked.filter((q) => q === 'A long.example.org')).toHaveLength(2);
  });

  it('the caller may change what it gets without touching the cache', async () => {
    const { locator } = setup(zone);
    const first = await locator.locate({ host: 'ttl.example.org', transport: 'udp' });
    first[0]!.port = 1;
    expect((await locator.locate({ host: 'ttl.example.org', transport: 'udp' }))[0]!.port).toBe(5060);
  });
});

describe('targetLabel', () => {
  it('names the configured host and the target in use', () => {
    expect(targetLabel('sip.example.org', { address: '127.0.0.7', port: 5060, transport: 'udp' })).toBe('sip.example.org → 127.0.0.7:5060/udp');
    expect(targetLabel('sip.example.org.', { address: '2001:db8::1', port: 5061, transport: 'tls' })).toBe('sip.example.org → [2001:db8::1]:5061/tls');
    expect(targetLabel('127.0.0.7', { address: '127.0.0.7', port: 5060, transport: 'udp' })).toBe('127.0.0.7:5060/udp');
  });
});
