/**
 * CallManager bookkeeping on scripted channels and the fake clock (no network, no media host):
 * what dial refuses and how, that the media host starts only when a call needs it, that a call
 * waiting for its line ends when hung up, and that a line without a SIP link ends the call cleanly.
 * Calls with real SIP and audio are in test/integration/call-basic.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { CallEvent } from '../../../common/call-status';
import type { LineConfig } from '../../../common/line-config';
import { parseLineConfig } from '../../../common/line-config';
import type { MediaHostClient } from '../../../main/media/media-host-client';
import { CallManager } from '../../../main/sip/calls/call-manager';
import { SipEngine } from '../../../main/sip/engine';
import { FakeClock } from '../../fake-clock';
import { ScriptedChannel } from '../sip/scripted-channel';

function config(id: string, extra: Record<string, unknown> = {}): LineConfig {
  const parsed = parseLineConfig({ id, username: 'u', password: 'pw', domain: 'example.org', servers: [{ host: 'h' }, { host: 'h2' }], ...extra });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.value;
}

function setup(historyCapacity?: number) {
  const clock = new FakeClock();
  const channels: ScriptedChannel[] = [];
  const engine = new SipEngine({
    clock,
    createChannel: () => {
      const channel = new ScriptedChannel(clock);
      channels.push(channel);
      return channel;
    },
  });
  let hostStarts = 0;
  const fakeHost = { running: true, on: () => () => undefined, stop: async () => undefined } as unknown as MediaHostClient;
  const calls = new CallManager(engine, {
    clock,
    random: () => 0.5,
    ...(historyCapacity ? { historyCapacity } : {}),
    mediaHost: async () => {
      hostStarts++;
      return fakeHost;
    },
  });
  const events: CallEvent[] = [];
  calls.on('event', (e) => events.push(e));
  return { clock, engine, channels, calls, events, hostStarts: () => hostStarts };
}

describe('CallManager', () => {
  it('dial refuses an unknown line, a registration-only line and a target it cannot dial, naming the field', async () => {
    const { engine, calls, hostStarts } = setup();
    engine.addLine(config('a'));
    engine.addLine(config('quiet', { calls: { enabled: false } }));
    await expect(calls.dial('nope', '1002')).rejects.toThrow('no line "nope"');
    await expect(calls.dial('quiet', '1002')).rejects.toThrow('line "quiet": calls.enabled is false');
    await expect(calls.dial('a', 'http://x')).rejects.toThrow(/^to: only sip:, sips: and tel: URIs can be dialled/);
    expect(calls.calls()).toEqual([]);
    expect(hostStarts()).toBe(0);
  });

  it('a call placed while the line waits to retry registers first; hanging up meanwhile ends it 487 without any INVITE', async () => {
    const { clock, engine, channels, calls, events } = setup();
    engine.addLine(config('a', { retryDelay: 30, servers: [{ host: 'h' }] }));
    channels.forEach((c) => (c.behaviour = 'silent'));
    await clock.advanceAsync(40_000);
    expect(engine.snapshot('a').state).toBe('retry-wait');
    const call = await calls.dial('a', '+49 (30) 1234-5');
    expect(call).toMatchObject({ state: 'dialing', remote: { uri: 'sip:+493012345@example.org', user: '+493012345' }, server: null });
    await clock.advanceAsync(10);
    expect(engine.snapshot('a').state).toBe('registering');
    const ended = calls.hangup(call.id);
    await clock.advanceAsync(1_000);
    expect(await ended).toMatchObject({ state: 'ended', code: 487, endedBy: 'local', failovers: 0 });
    expect(events.map((e) => e.event)).toEqual(['dialing', 'ended']);
    expect(calls.calls()).toEqual([]);
    expect(calls.history().map((h) => h.id)).toEqual([call.id]);
  });

  it('a line that cannot register ends the call with the reason', async () => {
    const { clock, engine, channels, calls } = setup();
    engine.addLine(config('a', { retryDelay: 30, servers: [{ host: 'h' }] }));
    channels.forEach((c) => (c.behaviour = '503'));
    await clock.advanceAsync(10);
    const call = await calls.dial('a', '1002');
    await clock.advanceAsync(40_000);
    const ended = calls.call(call.id);
    expect(ended).toMatchObject({ state: 'ended', code: 0, endedBy: 'local' });
    expect(ended?.reason).toMatch(/^line not registered: /);
  });

  it('on scripted channels (no JsSIP UA) a registered line ends the call "no SIP link" and starts the media host once', async () => {
    const { clock, engine, calls, hostStarts } = setup();
    engine.addLine(config('a'));
    await clock.advanceAsync(1_000);
    expect(engine.snapshot('a').state).toBe('registered');
    const call = await calls.dial('a', 'sip:bob@example.com');
    await clock.advanceAsync(1_000);
    expect(calls.call(call.id)).toMatchObject({ state: 'ended', code: 0, reason: 'line "a" has no SIP link for server 0' });
    expect(hostStarts()).toBe(1);
    await calls.shutdown(100);
    await expect(calls.dial('a', '1')).rejects.toThrow('calls are shutting down');
  });

  it('keeps a bounded history of ended calls, oldest first', async () => {
    const { clock, engine, channels, calls } = setup(2);
    engine.addLine(config('a', { retryDelay: 30, servers: [{ host: 'h' }] }));
    channels.forEach((c) => (c.behaviour = 'silent'));
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const call = await calls.dial('a', `100${i}`);
      ids.push(call.id);
      const ended = calls.hangup(call.id);
      await clock.advanceAsync(1_000);
      await ended;
    }
    expect(calls.history().map((h) => h.id)).toEqual(ids.slice(1));
    expect(calls.call(ids[0]!)).toBeNull();
  });

  it('operations on an unknown or unsuitable call throw naming it', async () => {
    const { calls } = setup();
    await expect(calls.hangup('call-x')).rejects.toThrow('no call "call-x"');
    await expect(calls.answer('call-x')).rejects.toThrow('no call "call-x"');
    expect(() => calls.sendDtmf('call-x', '1')).toThrow('no call "call-x"');
  });
});
