import { describe, expect, it } from 'vitest';
import { parseLineConfig, parseLinesFile } from '../../../common/line-config';
import { formatErrors } from '../../../common/schema';

const minimal = { id: 'a', username: '1001', domain: 'example.org', servers: [{ host: '127.0.0.1' }] };

describe('line configuration', () => {
  it('fills every SPEC default', () => {
    const parsed = parseLineConfig(minimal);
    expect(parsed.ok && parsed.value).toEqual({
      id: 'a', name: 'a', username: '1001', authUsername: undefined, password: '', domain: 'example.org', displayName: undefined,
      servers: [{ host: '127.0.0.1', port: 5060, portGiven: false, transport: 'udp', path: undefined, expires: 3600, tls: undefined }],
      expiryMode: 'auto', retryDelay: 60, signalRetryCount: 3,
      failback: { enabled: true, interval: 1800 }, liveness: { interval: 60 },
      nat: { rewriteContact: 'auto', keepaliveInterval: undefined },
      privacy: 'ignore', sendUnregister: true, stopFailoverAfterInviteTimeout: false,
      calls: { enabled: true, dtmfMode: 'rfc4733', codecs: ['PCMU', 'PCMA'], srtp: 'off', mediaMode: 'rtp', rtpPortMin: 10000, rtpPortMax: 20000, rtpTimeout: 60, autoAnswerMs: undefined },
      enabled: true,
    });
  });

  it('remembers whether the port was given (RFC 3263 §4.2: an explicit port skips SRV)', () => {
    const parsed = parseLineConfig({ ...minimal, servers: [{ host: 'sip.example.org' }, { host: 'sip.example.org', port: 5060 }] });
    expect(parsed.ok && parsed.value.servers.map((s) => [s.port, s.portGiven])).toEqual([[5060, false], [5060, true]]);
  });

  it('takes NAT settings and names the field of a wrong one', () => {
    const parsed = parseLineConfig({ ...minimal, nat: { rewriteContact: 'on', keepaliveInterval: 15 } });
    expect(parsed.ok && parsed.value.nat).toEqual({ rewriteContact: 'on', keepaliveInterval: 15 });
    const off = parseLineConfig({ ...minimal, nat: { keepaliveInterval: 0 } });
    expect(off.ok && off.value.nat).toEqual({ rewriteContact: 'auto', keepaliveInterval: 0 });
    const badMode = parseLineConfig({ ...minimal, nat: { rewriteContact: 'always' } });
    expect(!badMode.ok && badMode.errors.map((e) => `${e.path}: ${e.message}`)).toEqual(['nat.rewriteContact: must be one of "auto", "on", "off" (got "always")']);
    const badInterval = parseLineConfig({ ...minimal, nat: { keepaliveInterval: 2 } });
    expect(!badInterval.ok && badInterval.errors.map((e) => `${e.path}: ${e.message}`)).toEqual(['nat.keepaliveInterval: must be 0, or an integer from 5 to 3600 seconds (0 = off) (got 2)']);
  });

  it('uses the standard port of each transport', () => {
    const parsed = parseLineConfig({ ...minimal, servers: [{ host: 'h', transport: 'tls' }, { host: 'h', transport: 'wss' }, { host: 'h', transport: 'ws' }] });
    expect(parsed.ok && parsed.value.servers.map((s) => s.port)).toEqual([5061, 443, 80]);
  });

  it.each([
    [{ retryDelay: 29 }, 'retryDelay: must be an integer from 30 to 600 seconds (got 29)'],
    [{ retryDelay: 601 }, 'retryDelay: must be an integer from 30 to 600 seconds (got 601)'],
    [{ signalRetryCount: 11 }, 'signalRetryCount: must be an integer from 0 to 10 (got 11)'],
    [{ liveness: { interval: 3 } }, 'liveness.interval: must be 0, or an integer from 5 to 3600 seconds (0 = off) (got 3)'],
    [{ failback: { interval: 29 } }, 'failback.interval: must be an integer from 30 to 86400 seconds (got 29)'],
    [{ privacy: 'full' }, 'privacy: must be one of "ignore", "id", "none" (got "full")'],
    [{ expiryMode: 'manual' }, 'expiryMode: must be one of "auto", "fixed" (got "manual")'],
    [{ servers: [{ host: '127.0.0.1', expires: 19 }] }, 'servers[0].expires: must be an integer from 20 to 7200 seconds (got 19)'],
    [{ servers: [{ host: '127.0.0.1', port: 70000 }] }, 'servers[0].port: must be an integer from 1 to 65535 (got 70000)'],
    [{ servers: [{ host: '127.0.0.1', transport: 'sctp' }] }, 'servers[0].transport: must be one of "udp", "tcp", "tls", "ws", "wss" (got "sctp")'],
    [{ servers: [{ host: 'bad host' }] }, 'servers[0].host: must be a host name or IP address (IPv6 in brackets) (got "bad host")'],
    [{ servers: [] }, 'servers: must be a list of 1 to 8 items (got a list)'],
    [{ servers: [{ host: 'h', path: '/ws' }] }, 'servers[0].path: is only allowed with transport "ws" or "wss" (transport is "udp")'],
    [{ retrydelay: 60 }, 'retrydelay: is not a known field'],
    [{ inviteTimeoutMarksDown: true }, 'inviteTimeoutMarksDown: is no longer supported: use "stopFailoverAfterInviteTimeout"'],
    [{ calls: { codecs: ['PCMU', 'G729'] } }, 'calls.codecs[1]: must be one of "PCMU", "PCMA" (got "G729")'],
    [{ calls: { codecs: ['PCMA', 'PCMA'] } }, 'calls.codecs[1]: must not repeat "PCMA" (also calls.codecs[0])'],
    [{ calls: { codecs: [] } }, 'calls.codecs: must be a list of 1 to 2 different items'],
    [{ calls: { dtmfMode: 'inband' } }, 'calls.dtmfMode: must be one of "rfc4733", "info" (got "inband")'],
    [{ calls: { srtp: 'yes' } }, 'calls.srtp: must be one of "off", "optional", "mandatory" (got "yes")'],
    [{ calls: { rtpTimeout: 2 } }, 'calls.rtpTimeout: must be 0, or an integer from 5 to 3600 seconds (0 = off) (got 2)'],
    [{ calls: { rtpPortMin: 20000, rtpPortMax: 20000 } }, 'calls.rtpPortMax: must be greater than rtpPortMin (20000)'],
    [{ calls: { autoAnswerMs: -1 } }, 'calls.autoAnswerMs: must be an integer from 0 to 60000 ms (got -1)'],
    [{ calls: { mediaMode: 'webrtc' } }, 'calls.mediaMode: "webrtc" needs every server on transport "ws" or "wss" (servers[0] is "udp")'],
    [{ servers: [{ host: 'h', transport: 'wss' }], calls: { mediaMode: 'webrtc', srtp: 'mandatory' } }, 'calls.srtp: must be "off" with mediaMode "webrtc"'],
  ])('refuses %j with a message naming the field and what is allowed', (patch, message) => {
    const parsed = parseLineConfig({ ...minimal, ...patch });
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(formatErrors(parsed.errors)).toContain(message);
  });

  it('takes every call setting in range (webrtc media on a ws/wss line)', () => {
    const calls = { enabled: false, dtmfMode: 'info', codecs: ['PCMA'], srtp: 'off', mediaMode: 'webrtc', rtpPortMin: 30000, rtpPortMax: 30001, rtpTimeout: 0, autoAnswerMs: 1500 };
    const parsed = parseLineConfig({ ...minimal, servers: [{ host: 'h', transport: 'wss' }], calls });
    expect(parsed.ok && parsed.value.calls).toEqual(calls);
  });

  it('names a missing required field', () => {
    const { domain: _domain, ...noDomain } = minimal;
    const parsed = parseLineConfig(noDomain);
    expect(!parsed.ok && formatErrors(parsed.errors)).toBe('domain: is required: a host name or IP address (IPv6 in brackets)');
  });

  it('never echoes a password in an error', () => {
    const parsed = parseLineConfig({ ...minimal, password: 'x'.repeat(300) });
    expect(!parsed.ok && formatErrors(parsed.errors)).toBe('password: must be text of at most 256 characters');
  });
});

describe('lines file', () => {
  it('reads the monitor file format and rejects duplicate ids with both places named', () => {
    const parsed = parseLinesFile({ lines: [minimal, minimal] });
    expect(!parsed.ok && formatErrors(parsed.errors)).toBe('lines[1].id: must be unique ("a" is also lines[0].id)');
  });

  it('prefixes errors with the line position', () => {
    const parsed = parseLinesFile({ lines: [minimal, { ...minimal, id: 'b', retryDelay: 5 }] });
    expect(!parsed.ok && formatErrors(parsed.errors)).toBe('lines[1].retryDelay: must be an integer from 30 to 600 seconds (got 5)');
  });

  it('explains the expected shape of a wrong file', () => {
    expect(parseLinesFile([]).ok).toBe(false);
    const parsed = parseLinesFile({ line: [] });
    expect(!parsed.ok && formatErrors(parsed.errors)).toBe('line: is not a known field (known: lines)\nlines: is required: a list of line objects');
  });
});

describe('scheduled test call (monitor only)', () => {
  const messages = (input: unknown): string[] => {
    const parsed = parseLineConfig(input);
    return parsed.ok ? [] : parsed.errors.map((e) => `${e.path}: ${e.message}`);
  };

  it('is absent by default and fills duration and tone', () => {
    const none = parseLineConfig(minimal);
    expect(none.ok && none.value.testCall).toBeUndefined();
    const parsed = parseLineConfig({ ...minimal, testCall: { to: '1002', every: 300 } });
    expect(parsed.ok && parsed.value.testCall).toEqual({ to: '1002', every: 300, duration: 10, tone: 1000 });
  });

  it.each([
    [{ to: '1002', every: 29 }, 'testCall.every: must be an integer from 30 to 86400 seconds (got 29)'],
    [{ to: '1002', every: 60, duration: 0 }, 'testCall.duration: must be an integer from 1 to 300 seconds (got 0)'],
    [{ to: '1002', every: 60, duration: 301 }, 'testCall.duration: must be an integer from 1 to 300 seconds (got 301)'],
    [{ to: '1002', every: 60, tone: 4000 }, 'testCall.tone: must be an integer from 50 to 3900 Hz (got 4000)'],
    [{ every: 60 }, 'testCall.to: is required'],
    [{ to: 'http://x', every: 60 }, 'testCall.to: only sip:, sips: and tel: URIs can be dialled (got "http://x")'],
    [{ to: '1002', every: 60, when: 'now' }, 'testCall.when: is not a known field'],
  ])('names the field of a wrong testCall %j', (testCall, message) => {
    const errors = messages({ ...minimal, testCall });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(message);
  });

  it('needs a line that takes calls', () => {
    expect(messages({ ...minimal, calls: { enabled: false }, testCall: { to: '1002', every: 60 } })).toEqual([
      'testCall: needs calls.enabled true (a registration-only line cannot place a test call)',
    ]);
  });

  it('prefixes the line position in a monitor file', () => {
    const parsed = parseLinesFile({ lines: [{ ...minimal, testCall: { to: '1002', every: 5 } }] });
    expect(!parsed.ok && parsed.errors.map((e) => e.path)).toEqual(['lines[0].testCall.every']);
  });
});
