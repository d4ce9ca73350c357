import { describe, expect, it } from 'vitest';
import type { RegistrationEvent } from '../../../main/sip/registration-machine';
import { assertRegistrationTransition, RegistrationMachine } from '../../../main/sip/registration-machine';
import type { ChannelCall } from './scripted-channel';
import { FakeClock } from '../../fake-clock';
import { ScriptedChannel } from './scripted-channel';

function setup(ttl = 3600, budgetMs = 32_000) {
  const clock = new FakeClock();
  const server = new ScriptedChannel(clock);
  const machine = new RegistrationMachine({ channel: server, clock, callId: 'call-1', ttl, budgetMs });
  const events: RegistrationEvent[] = [];
  machine.subscribe((e) => events.push(e));
  return { clock, server, machine, events };
}

/** CSeqs of every REGISTER on the wire, in order. */
function cseqs(server: ScriptedChannel): number[] {
  return server.wire.filter((w) => w.method === 'REGISTER').map((w) => w.cseq!);
}

function strictlyIncreasing(values: number[]): boolean {
  return values.every((v, i) => i === 0 || v > values[i - 1]!);
}

describe('registration machine: one transaction at a time (RFC 3261 §10.2)', () => {
  it('quit during a refresh whose answer is a late challenge: Expires:0 only after the refresh (and its digest retry) ends, CSeq increasing, nothing after it', async () => {
    const { clock, server, machine } = setup(60);
    machine.register();
    await clock.advanceAsync(100);
    expect(machine.state).toBe('bound');
    // The refresh at 30 s draws a 401 that takes 1.2 s to arrive.
    server.challengeNext = 1;
    server.challengeLatencyMs = 1_200;
    await clock.advanceAsync(30_000 - 100 + 20);
    expect(machine.state).toBe('refreshing');
    const quitAt = clock.now();
    const outcome = machine.unbind(3_000);
    await clock.advanceAsync(3_000);
    expect(await outcome).toMatchObject({ kind: 'removed', code: 200 });

    const refresh = server.calls.find((c) => c.kind === 'register' && c.time > 0 && c.cseqs.length === 2)!;
    const unregister = server.calls.find((c) => c.kind === 'unregister')!;
    expect(refresh.endedAt).not.toBeNull();
    expect(unregister.time).toBeGreaterThanOrEqual(refresh.endedAt!);
    expect(unregister.time).toBeGreaterThan(quitAt);
    expect(server.overlapping()).toEqual([]);
    expect(strictlyIncreasing(cseqs(server))).toBe(true);
    // The Expires:0 is the last REGISTER the registrar sees, and it has the highest CSeq.
    const last = server.wire.at(-1)!;
    expect(last.expires).toBe(0);
    expect(last.cseq).toBe(Math.max(...cseqs(server)));
    await clock.advanceAsync(600_000);
    expect(server.wire.at(-1)).toBe(last);
    expect(server.hasBinding()).toBe(false);
    expect(machine.state).toBe('idle');
  });

  it('a challenge later than half the bound: the refresh is abandoned, the late 401 never answered, Expires:0 still last', async () => {
    const { clock, server, machine } = setup(60);
    machine.register();
    await clock.advanceAsync(100);
    server.challengeNext = 1;
    server.challengeLatencyMs = 5_000;
    await clock.advanceAsync(30_000);
    expect(machine.state).toBe('refreshing');
    const quitAt = clock.now();
    const outcome = machine.unbind(3_000);
    await clock.advanceAsync(10_000);
    expect((await outcome).kind).toBe('removed');
    const unregister = server.calls.find((c) => c.kind === 'unregister')!;
    expect(unregister.time - quitAt).toBe(1_500);
    expect(server.lateChallengesIgnored).toBe(1);
    expect(server.wire.at(-1)!.expires).toBe(0);
    expect(strictlyIncreasing(cseqs(server))).toBe(true);
    expect(server.overlapping()).toEqual([]);
    expect(server.hasBinding()).toBe(false);
  });

  it('register() while a REGISTER is in flight sends nothing new; register() while bound refreshes now on the same Call-ID', async () => {
    const { clock, server, machine, events } = setup();
    machine.register();
    machine.register();
    await clock.advanceAsync(100);
    expect(server.count('register')).toBe(1);
    machine.register();
    machine.register();
    await clock.advanceAsync(100);
    expect(server.count('register')).toBe(2);
    expect(new Set(server.calls.map((c) => c.callId))).toEqual(new Set(['call-1']));
    expect(events.map((e) => e.kind === 'ok' && e.refreshed)).toEqual([false, true]);
  });
});

describe('registration machine: requested lifetime', () => {
  it('a registrar that grants less each time never walks the request down: every REGISTER asks for the TTL, the grant only schedules the refresh', async () => {
    const { clock, server, machine } = setup(3600);
    server.grant = (_asked, n) => 3000 - n * 500;
    machine.register();
    await clock.advanceAsync(100);
    for (let i = 0; i < 4; i++) await clock.advanceAsync(machine.nextRefreshAt! - clock.now() + 100);
    const registers = server.calls.filter((c) => c.kind === 'register');
    expect(registers.length).toBeGreaterThanOrEqual(5);
    expect(registers.every((c) => c.expires === 3600)).toBe(true);
    // Refreshes followed the shrinking grants: 1500 s, 1250 s, 1000 s, 750 s.
    const gaps = registers.slice(1).map((c, i) => c.time - registers[i]!.time - 20);
    expect(gaps.slice(0, 4)).toEqual([1_500_000, 1_250_000, 1_000_000, 750_000]);
  });

  it('423 → retried at once with Min-Expires, which every later REGISTER keeps', async () => {
    const { clock, server, machine } = setup(60);
    server.minExpires423 = 120;
    machine.register();
    await clock.advanceAsync(100);
    expect(machine.granted).toBe(120);
    await clock.advanceAsync(60_000);
    expect(server.calls.filter((c) => c.kind === 'register').map((c) => c.expires)).toEqual([60, 120, 120]);
    expect(strictlyIncreasing(cseqs(server))).toBe(true);
  });
});

describe('registration machine: Retry-After (RFC 3261 §20.33)', () => {
  it('503 with Retry-After: failed reports it, and nothing goes to the server before it has passed', async () => {
    const { clock, server, machine, events } = setup();
    server.behaviour = '503';
    server.retryAfterS = 60;
    machine.register();
    await clock.advanceAsync(100);
    expect(events[0]).toMatchObject({ kind: 'failed', cause: { kind: 'unavailable', code: 503 }, retryAfterMs: 60_000 });
    expect(machine.notBefore).toBe(server.calls[0]!.time + 20 + 60_000);
    machine.register();
    await clock.advanceAsync(100);
    expect(events[1]).toMatchObject({ kind: 'failed', cause: { kind: 'unavailable', code: 0 } });
    expect(await machine.checkLiveness()).toMatchObject({ kind: 'unavailable' });
    expect(server.wire).toHaveLength(1);
    server.behaviour = 'ok';
    await clock.advanceAsync(60_000);
    machine.register();
    await clock.advanceAsync(100);
    expect(machine.state).toBe('bound');
    expect(server.wire[1]!.time - server.wire[0]!.time).toBeGreaterThanOrEqual(60_020);
  });
});

describe('registration machine: no stale bindings', () => {
  it('our Contact changed (a reconnect, a new local port): the next REGISTER removes the old one with expires=0 in the same request', async () => {
    const { clock, server, machine, events } = setup();
    machine.register();
    await clock.advanceAsync(100);
    const old = server.contact();
    server.dropConnection();
    expect(events.at(-1)).toMatchObject({ kind: 'lost', during: 'connection' });
    expect(machine.state).toBe('idle');
    machine.register();
    await clock.advanceAsync(100);
    const again = server.calls.at(-1)!;
    expect(again.contacts).toEqual([{ uri: server.contact(), expires: 3600 }, { uri: old, expires: 0 }]);
    expect(server.liveBindings()).toEqual([server.contact()]);
    expect((await Promise.all([machine.unbind(3_000), clock.advanceAsync(100)]))[0].kind).toBe('removed');
    expect(server.liveBindings()).toEqual([]);
  });

  it('the 200 OK still lists an old Contact of ours we thought gone: removed at once with expires=0; other devices and rewritten spellings are left alone', async () => {
    const { clock, server, machine } = setup(20);
    machine.register();
    await clock.advanceAsync(100);
    const old = server.contact();
    server.dropConnection();
    // Idle past the old grant: we think the old binding expired, but this registrar kept it.
    await clock.advanceAsync(30_000);
    server.bindings.set(old, clock.now() + 3_600_000);
    server.bindings.set('sip:c-rewritten@192.0.2.1:5060', clock.now() + 3_600_000);
    server.others = ['sip:desk-phone@10.0.0.9:5060'];
    machine.register();
    await clock.advanceAsync(100);
    const [first, cleanup] = server.calls.slice(-2) as [ChannelCall, ChannelCall];
    expect(first.contacts).toEqual([{ uri: server.contact(), expires: 20 }]);
    expect(cleanup.contacts).toEqual([{ uri: server.contact(), expires: 20 }, { uri: old, expires: 0 }]);
    expect(server.liveBindings()).toEqual(['sip:c-rewritten@192.0.2.1:5060', server.contact()]);
    await Promise.all([machine.unbind(3_000), clock.advanceAsync(100)]);
    expect(server.calls.at(-1)!.contacts.map((c) => c.uri)).toEqual([server.contact()]);
    expect(server.calls.flatMap((c) => c.contacts).some((c) => c.uri.includes('desk-phone') || c.uri.includes('rewritten') || c.uri === '*')).toBe(false);
  });

  it('a REGISTER that timed out may still have been processed: the unbind removes that Contact too', async () => {
    const { clock, server, machine } = setup(3600, 7_500);
    server.latencyMs = 10_000; // answered after we gave up: the registrar did bind us
    machine.register();
    await clock.advanceAsync(12_000);
    expect(machine.state).toBe('idle');
    expect(server.hasBinding()).toBe(true);
    expect(machine.hasBinding()).toBe(true);
    server.latencyMs = 20;
    await Promise.all([machine.unbind(3_000), clock.advanceAsync(100)]);
    expect(server.hasBinding()).toBe(false);
  });

  it('unbind with nothing held sends nothing', async () => {
    const { server, machine } = setup();
    expect(await machine.unbind(3_000)).toMatchObject({ kind: 'removed', reason: 'no binding held' });
    expect(server.wire).toHaveLength(0);
  });
});

describe('registration machine: transitions', () => {
  it('refuses moves the diagram does not have', () => {
    expect(() => assertRegistrationTransition('idle', 'bound')).toThrow('illegal REGISTER dialog transition idle → bound');
    expect(() => assertRegistrationTransition('unbinding', 'registering')).toThrow();
    expect(() => assertRegistrationTransition('bound', 'refreshing')).not.toThrow();
  });
});

describe('registration machine: register during an unbind', () => {
  it('register() while an unbind waits for the refresh in flight registers right after the Expires:0, and reports it', async () => {
    const { clock, server, machine, events } = setup(60);
    machine.register();
    await clock.advanceAsync(100);
    server.challengeNext = 1;
    server.challengeLatencyMs = 1_000;
    await clock.advanceAsync(30_000);
    expect(machine.state).toBe('refreshing');
    const unbound = machine.unbind(3_000);
    machine.register();
    await clock.advanceAsync(2_000);
    expect((await unbound).kind).toBe('removed');
    expect(server.calls.map((c) => c.kind)).toEqual(['register', 'register', 'unregister', 'register']);
    expect(server.overlapping()).toEqual([]);
    expect(machine.state).toBe('bound');
    expect(events.at(-1)).toMatchObject({ kind: 'ok', refreshed: false });
  });
});
