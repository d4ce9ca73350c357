import { describe, expect, it } from 'vitest';
import type { CallEvent, CallSnapshot } from '../../../common/call-status';
import { callEventJson, callSucceeded, callSummary, parseCallArgs } from '../../../main/monitor/call-cli-args';
import { callerOf } from '../../../main/sip/calls/call-manager';

const base = ['--config', 'lines.json', '--line', 'carrier-a'];

describe('npm run call arguments', () => {
  it('dial with every option', () => {
    const parsed = parseCallArgs([...base, '--to', '1002', '--tone', '1000', '--record', 'out.wav', '--dtmf', '159#', '--duration', '2.5', '--json']);
    expect(parsed).toEqual({
      ok: true,
      args: { config: 'lines.json', line: 'carrier-a', to: '1002', answer: false, source: { kind: 'tone', frequencyHz: 1000, dBFS: -12 }, record: 'out.wav', dtmf: '159#', durationS: 2.5, waitS: 120, json: true },
    });
  });

  it('answer with a WAV and a wait', () => {
    const parsed = parseCallArgs([...base, '--answer', '--play', 'in.wav', '--wait', '30']);
    expect(parsed).toMatchObject({ ok: true, args: { answer: true, to: null, source: { kind: 'wav', path: 'in.wav', loop: true }, waitS: 30, durationS: 10 } });
  });

  it.each([
    [['--line', 'a', '--to', '1'], /^--config: is required/],
    [['--config', 'c'], /^--line: is required/],
    [[...base], /^--to or --answer/],
    [[...base, '--to', '1', '--answer'], /^--to and --answer/],
    [[...base, '--to', '1', '--tone', '5000'], /^--tone: must be a frequency from 50 to 3900 Hz \(got "5000"\)/],
    [[...base, '--to', '1', '--tone', '440', '--play', 'x.wav'], /^--tone and --play/],
    [[...base, '--to', '1', '--dtmf', '12x'], /^--dtmf: must be/],
    [[...base, '--to', '1', '--duration', '0'], /^--duration: must be a number of seconds/],
    [[...base, '--to', '1', '--wait', '10'], /^--wait: only with --answer/],
    [[...base, '--to'], /^--to: needs a value/],
    [[...base, '--to', '1', '--to', '2'], /^--to: given twice/],
    [[...base, '--to', '1', '--frobnicate'], /^unknown argument "--frobnicate"/],
  ])('%j → error naming the option', (argv, message) => {
    const parsed = parseCallArgs(argv);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(message);
  });

  it('--help', () => {
    expect(parseCallArgs(['--help'])).toEqual({ ok: true, help: true });
  });
});

const snapshot: CallSnapshot = {
  id: 'call-1',
  line: 'carrier-a',
  direction: 'outgoing',
  remote: { uri: 'sip:1002@example.com', user: '1002', displayName: null },
  state: 'ended',
  server: 1,
  serverLabel: '10.0.0.2:5060/udp',
  failovers: 1,
  startedAt: 1_000,
  answeredAt: 2_000,
  endedAt: 12_000,
  code: 200,
  reason: 'hung up',
  endedBy: 'local',
  localHold: false,
  remoteHold: false,
  muted: false,
  setupMs: 900,
  stats: { packetsSent: 500, packetsReceived: 498, packetsLost: 2, jitterMs: 0.44, rttMs: 1.2, mos: 4.41, rmsDbfs: -15.27 },
};

describe('npm run call output', () => {
  const events: CallEvent[] = [
    { time: 1_000, call: 'call-1', line: 'carrier-a', event: 'dialing', server: null, code: null, reason: null },
    { time: 1_010, call: 'call-1', line: 'carrier-a', event: 'trying', server: 0, code: null, reason: null },
    { time: 2_510, call: 'call-1', line: 'carrier-a', event: 'failover', server: 0, code: null, reason: 'no response to INVITE within the signal-retry budget', from: 0, to: 1 },
    { time: 2_600, call: 'call-1', line: 'carrier-a', event: 'trying', server: 1, code: null, reason: null },
    { time: 2_680, call: 'call-1', line: 'carrier-a', event: 'ringing', server: 1, code: 180, reason: 'Ringing' },
    { time: 2_700, call: 'call-1', line: 'carrier-a', event: 'dtmf', server: 1, code: 200, reason: 'OK', digit: '5' },
  ];

  it('ended events carry rtp {sent, received, lost, jitterMs, rms}', () => {
    const line = JSON.parse(callEventJson({ time: 12_000, call: 'call-1', line: 'carrier-a', event: 'ended', server: 1, code: 200, reason: 'hung up', by: 'local', durationMs: 10_000, stats: snapshot.stats }, '10.0.0.2:5060/udp'));
    expect(line).toEqual({ time: 12_000, call: 'call-1', line: 'carrier-a', event: 'ended', server: 1, serverLabel: '10.0.0.2:5060/udp', code: 200, reason: 'hung up', by: 'local', durationMs: 10_000, rtp: { sent: 500, received: 498, lost: 2, jitterMs: 0.44, rms: -15.3, rttMs: 1.2, mos: 4.41 } });
  });

  it('other events are the event as is', () => {
    expect(JSON.parse(callEventJson(events[2]!, null))).toEqual({ ...events[2], serverLabel: null });
  });

  it('summary: post-dial delay from the first INVITE, server, failovers, RTP, MOS, level, DTMF', () => {
    const text = callSummary(snapshot, events);
    expect(text).toContain('answered');
    expect(text).toMatch(/post-dial delay: +1670 ms/);
    expect(text).toMatch(/server: +10\.0\.0\.2:5060\/udp \(server 1\)/);
    expect(text).toMatch(/failovers: +1: 0 → 1/);
    expect(text).toMatch(/RTP: +sent 500, received 498, lost 2, jitter 0\.4 ms, round trip 1 ms/);
    expect(text).toMatch(/MOS \(estimate\): +4\.41/);
    expect(text).toMatch(/received level: +-15\.3 dBFS/);
    expect(text).toMatch(/DTMF received: +5/);
  });

  it('success means answered and ended 200', () => {
    expect(callSucceeded(snapshot)).toBe(true);
    expect(callSucceeded({ ...snapshot, code: 408, reason: 'no RTP for 60 s' })).toBe(false);
    expect(callSucceeded({ ...snapshot, answeredAt: null, code: 486 })).toBe(false);
  });
});

describe('caller identity (SPEC "Incoming")', () => {
  const request = (pai: string | undefined) => ({
    getHeader: (name: string) => (name === 'P-Asserted-Identity' ? pai : undefined) as string,
    from: { uri: { toString: () => 'sip:anonymous@example.com' }, display_name: 'From Name' },
  });

  it('P-Asserted-Identity first (its first value when there are several)', () => {
    expect(callerOf(request('"Alice" <sip:+4930123@carrier.example>, <tel:+4930123>'))).toEqual({ uri: 'sip:+4930123@carrier.example', user: '+4930123', displayName: 'Alice' });
    expect(callerOf(request('<tel:+4930123>'))).toMatchObject({ uri: 'tel:+4930123', user: '+4930123' });
  });

  it('else From', () => {
    expect(callerOf(request(undefined))).toEqual({ uri: 'sip:anonymous@example.com', user: 'anonymous', displayName: 'From Name' });
    expect(callerOf(request('not a name-addr <'))).toMatchObject({ user: 'anonymous' });
  });
});
