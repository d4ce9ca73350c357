import { describe, expect, it } from 'vitest';
import { parseLineConfig } from '../../../common/line-config';
import type { LineConfig } from '../../../common/line-config';
import { SipEngine } from '../../../main/sip/engine';
import type { TraceRecord } from '../../../main/sip/transport/sip-socket';
import { FakeClock } from '../../fake-clock';
import { ScriptedChannel } from './scripted-channel';

function config(id: string, extra: Record<string, unknown> = {}): LineConfig {
  const parsed = parseLineConfig({ id, username: 'u', password: 'hunter2', domain: 'example.org', servers: [{ host: 'h' }, { host: 'h2' }], ...extra });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.value;
}

function setup(options: { historyCapacity?: number; traceCapacity?: number } = {}) {
  const clock = new FakeClock();
  const channels: ScriptedChannel[] = [];
  const traces: ((r: TraceRecord) => void)[] = [];
  const engine = new SipEngine({
    clock,
    ...options,
    createChannel: (_line, _index, onTrace) => {
      const channel = new ScriptedChannel(clock);
      channels.push(channel);
      traces.push(onTrace);
      return channel;
    },
  });
  return { clock, engine, channels, traces };
}

describe('engine bookkeeping', () => {
  it('keeps a bounded history per line, newest last', async () => {
    const { clock, engine, channels } = setup({ historyCapacity: 5 });
    engine.addLine(config('a', { retryDelay: 30, servers: [{ host: 'h' }] }));
    await clock.advanceAsync(10);
    channels.forEach((c) => (c.behaviour = '503'));
    for (let i = 0; i < 10; i++) {
      engine.reRegisterAll('test');
      await clock.advanceAsync(31_000);
    }
    const history = engine.history('a');
    expect(history).toHaveLength(5);
    expect(history.at(-1)!.time).toBeGreaterThan(history[0]!.time);
  });

  it('masks credentials and the password in the trace, and bounds it', () => {
    const { engine, traces } = setup({ traceCapacity: 3 });
    engine.addLine(config('a'));
    const text = 'REGISTER sip:example.org SIP/2.0\r\nAuthorization: Digest username="u", realm="example.org", nonce="n", response="deadbeef"\r\nX-Debug: hunter2\r\n\r\n';
    for (let i = 0; i < 5; i++) traces[0]!({ direction: 'sent', text, retransmission: false, time: i });
    const trace = engine.trace('a');
    expect(trace).toHaveLength(3);
    expect(trace[0]!.text).not.toContain('deadbeef');
    expect(trace[0]!.text).not.toContain('hunter2');
    expect(trace[0]).toMatchObject({ line: 'a', server: 0, direction: 'sent', time: 2 });
  });

  it('refuses a duplicate id and names it', () => {
    const { engine } = setup();
    engine.addLine(config('a'));
    expect(() => engine.addLine(config('a'))).toThrow('line "a" already exists');
  });

  it('shutdown resolves within the bound and every line ends unregistered', async () => {
    const { clock, engine, channels } = setup();
    engine.addLine(config('a'));
    engine.addLine(config('b'));
    await clock.advanceAsync(100);
    channels.forEach((c) => (c.behaviour = 'silent'));
    let done = false;
    void engine.shutdown(3000).then(() => (done = true));
    await clock.advanceAsync(2999);
    expect(done).toBe(false);
    await clock.advanceAsync(1);
    expect(done).toBe(true);
    expect(engine.snapshots().map((s) => s.state)).toEqual(['unregistered', 'unregistered']);
    await clock.advanceAsync(1);
    expect(channels.every((c) => c.disposed)).toBe(true);
  });
});

describe('engine: what calls use', () => {
  it('activeServer, whenRegistered, reportServerUnavailable and link by line id', async () => {
    const { clock, engine, channels } = setup();
    engine.addLine(config('a'));
    expect(engine.activeServer('a')).toBeNull();
    const registered = engine.whenRegistered('a', 5_000);
    await clock.advanceAsync(100);
    await expect(registered).resolves.toBe(0);
    expect(engine.activeServer('a')).toBe(0);
    engine.reportServerUnavailable('a', 0, { code: 503, reason: 'Service Unavailable' });
    await clock.advanceAsync(100);
    expect(engine.activeServer('a')).toBe(1);
    expect(channels).toHaveLength(2);
    expect(engine.link('a', 1)).toBeNull();
    expect(() => engine.link('a', 2)).toThrow(RangeError);
    expect(() => engine.activeServer('nope')).toThrow('no line "nope"');
  });
});
