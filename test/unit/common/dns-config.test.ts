import { Resolver } from 'node:dns/promises';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DNS_CONFIG, isDnsServerAddress, parseDnsConfig } from '../../../common/dns-config';
import { formatErrors } from '../../../common/schema';

describe('resolver setting (dns)', () => {
  it('accepts IPv4 and bracketed IPv6, each with or without a port, and passes them through', () => {
    const servers = ['127.0.0.1:5353', '[::1]:53', '10.0.0.1', '[2001:db8::53]'];
    expect(parseDnsConfig({ servers })).toEqual({ ok: true, value: { servers } });
  });

  it('an empty list means the system resolvers', () => {
    expect(parseDnsConfig({ servers: [] })).toEqual({ ok: true, value: DEFAULT_DNS_CONFIG });
  });

  it('every accepted address is one Node\'s resolver takes as it is', () => {
    const servers = ['127.0.0.1:5353', '[::1]:53', '10.0.0.1', '[::ffff:192.0.2.1]:5300', '[fe80::1:2:3:4]'];
    expect(servers.every(isDnsServerAddress)).toBe(true);
    expect(() => new Resolver().setServers(servers)).not.toThrow();
  });

  it.each([
    [{ servers: ['localhost'] }, 'dns.servers[0]: must be an IPv4 address or an IPv6 address in brackets, with an optional port, like "127.0.0.1:5353" or "[::1]:53" (got "localhost")'],
    [{ servers: ['::1'] }, 'dns.servers[0]: must be an IPv4 address or an IPv6 address in brackets, with an optional port, like "127.0.0.1:5353" or "[::1]:53" (got "::1")'],
    [{ servers: ['127.0.0.1:0'] }, 'dns.servers[0]: must be an IPv4 address or an IPv6 address in brackets, with an optional port, like "127.0.0.1:5353" or "[::1]:53" (got "127.0.0.1:0")'],
    [{ servers: ['127.0.0.1:65536'] }, 'dns.servers[0]: must be an IPv4 address or an IPv6 address in brackets, with an optional port, like "127.0.0.1:5353" or "[::1]:53" (got "127.0.0.1:65536")'],
    [{ servers: ['10.0.0.256'] }, 'dns.servers[0]: must be an IPv4 address or an IPv6 address in brackets, with an optional port, like "127.0.0.1:5353" or "[::1]:53" (got "10.0.0.256")'],
    [{ servers: ['10.0.0.1', 53] }, 'dns.servers[1]: must be an IPv4 address or an IPv6 address in brackets, with an optional port, like "127.0.0.1:5353" or "[::1]:53" (got 53)'],
    [{ servers: ['[1:2:3:4:5:6:7:8:9]'] }, 'dns.servers[0]: must be an IPv4 address or an IPv6 address in brackets, with an optional port, like "127.0.0.1:5353" or "[::1]:53" (got "[1:2:3:4:5:6:7:8:9]")'],
    [{ servers: ['1.1.1.1', '2.2.2.2', '3.3.3.3', '4.4.4.4', '5.5.5.5'] }, 'dns.servers: must be a list of 0 to 4 items (got a list)'],
    [{ servers: ['10.0.0.1:53', '10.0.0.1:53'] }, 'dns.servers[1]: must not repeat "10.0.0.1:53" (also dns.servers[0])'],
    [{}, 'dns.servers: is required: a list of 0 to 4 items'],
    [{ servers: [], resolver: 'x' }, 'dns.resolver: is not a known field (known: servers)'],
    ['127.0.0.1', 'dns: must be an object (got "127.0.0.1")'],
  ])('%j → %s', (input, message) => {
    const parsed = parseDnsConfig(input);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(formatErrors(parsed.errors)).toBe(message);
  });

  it.each(['1::2::3', '[::1', '[::1]:', '[::1]x', '01.2.3.4', '1.2.3', '1.2.3.4:53:53', '[12345::1]', '[1.2.3.4::]', '[::1%eth0]'])('refuses %s', (address) => {
    expect(isDnsServerAddress(address)).toBe(false);
  });

  it.each(['[::]', '[1:2:3:4:5:6:7:8]', '[1::8]', '[::ffff:1.2.3.4]', '[1:2:3:4:5:6:1.2.3.4]', '0.0.0.0', '255.255.255.255:65535'])('accepts %s', (address) => {
    expect(isDnsServerAddress(address)).toBe(true);
  });

  it('errors can carry another path prefix', () => {
    const parsed = parseDnsConfig({ servers: ['x'] }, 'settings.dns');
    expect(!parsed.ok && parsed.errors[0]!.path).toBe('settings.dns.servers[0]');
  });
});
