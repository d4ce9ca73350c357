import { describe, expect, it } from 'vitest';
import { parseLineConfig } from '../../../common/line-config';
import { topVia } from '../../../main/sip/jssip-channel';
import { LineController } from '../../../main/sip/line-controller';
import type { RegistrationEvent } from '../../../main/sip/registration-machine';
import { RegistrationMachine } from '../../../main/sip/registration-machine';
import type { RegisterRequest, RegisterResult, Transaction } from '../../../main/sip/server-channel';
import { FakeClock } from '../../fake-clock';
import { ScriptedChannel } from './scripted-channel';

/** A server entry with several located targets: each target is a scripted behaviour. */
class TargetedChannel extends ScriptedChannel {
  index = 0;
  constructor(
    clock: FakeClock,
    private readonly behaviours: ScriptedChannel['behaviour'][],
  ) {
    super(clock);
    this.behaviour = behaviours[0]!;
  }

  nextTarget(): boolean {
    if (this.index + 1 >= this.behaviours.length) {
      this.index = 0;
      return false;
    }
    this.index += 1;
    this.behaviour = this.behaviours[this.index]!;
    this.port += 1; // another target: another socket, another Contact
    return true;
  }
}

/** A registrar behind a NAT: the first 2xx reveals the public address, which becomes our Contact. */
class NattedChannel extends ScriptedChannel {
  rewrites = 0;
  override sendRegister(request: RegisterRequest, budgetMs: number, onAuthenticated: (cseq: number) => void): Transaction<RegisterResult> {
    const sent = super.sendRegister(request, budgetMs, onAuthenticated);
    const result = sent.result.then((r) => {
      if (r.kind !== 'response' || r.code !== 200 || this.rewrites > 0) return r;
      this.rewrites += 1;
      this.port = 62000; // the NAT's public port now names us
      return { ...r, contactChanged: true };
    });
    return { result, abandon: () => sent.abandon() };
  }
}

function machineOn(channel: ScriptedChannel, clock: FakeClock) {
  const machine = new RegistrationMachine({ channel, clock, callId: 'call-t', ttl: 600, budgetMs: 5_000 });
  const events: RegistrationEvent[] = [];
  machine.subscribe((e) => events.push(e));
  return { machine, events };
}

describe('located targets inside one server entry (RFC 3263 §4.3)', () => {
  it('a 503 from the first target moves to the next one at once, on the same Call-ID with a higher CSeq: one ok, no failure', async () => {
    const clock = new FakeClock();
    const channel = new TargetedChannel(clock, ['503', 'ok']);
    const { machine, events } = machineOn(channel, clock);
    machine.register();
    await clock.advanceAsync(200);
    expect(machine.state).toBe('bound');
    expect(events.map((e) => e.kind)).toEqual(['ok']);
    const cseqs = channel.wire.map((w) => w.cseq!);
    expect(cseqs).toEqual([1, 2]);
    // The second target was not asked to remove the first one's Contact: not its binding.
    expect(channel.wire[1]!.contacts.map((c) => c.expires)).toEqual([600]);
  });

  it('silence from every target fails the entry once, as unavailable', async () => {
    const clock = new FakeClock();
    const channel = new TargetedChannel(clock, ['silent', 'silent']);
    const { machine, events } = machineOn(channel, clock);
    machine.register();
    await clock.advanceAsync(11_000);
    expect(channel.wire).toHaveLength(2);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: 'failed', cause: { kind: 'unavailable' } });
  });

  it('a 403 is about us, not the target: no next target', async () => {
    const clock = new FakeClock();
    const channel = new TargetedChannel(clock, ['403', 'ok']);
    const { machine, events } = machineOn(channel, clock);
    machine.register();
    await clock.advanceAsync(200);
    expect(channel.index).toBe(0);
    expect(events[0]).toMatchObject({ kind: 'failed', cause: { kind: 'auth-failed', code: 403 } });
  });
});

describe('NAT: a Contact rewritten to the public address (RFC 3581 §4)', () => {
  it('registers again at once with the public Contact and the private one at expires=0; the registrar keeps only the public one', async () => {
    const clock = new FakeClock();
    const channel = new NattedChannel(clock);
    const { machine, events } = machineOn(channel, clock);
    machine.register();
    await clock.advanceAsync(200);
    expect(channel.wire).toHaveLength(2);
    const [first, second] = channel.wire;
    expect(first!.contacts).toEqual([{ uri: expect.stringContaining(':40000;'), expires: 600 }]);
    expect(second!.contacts).toEqual([
      { uri: expect.stringContaining(':62000;'), expires: 600 },
      { uri: expect.stringContaining(':40000;'), expires: 0 },
    ]);
    expect([...channel.bindings.keys()]).toEqual([expect.stringContaining(':62000;')]);
    expect(events.map((e) => e.kind)).toEqual(['ok', 'ok']);
    // Then the ordinary schedule: nothing until half the grant.
    await clock.advanceAsync(290_000);
    expect(channel.wire).toHaveLength(2);
    const removed = await Promise.all([machine.unbind(3_000), clock.advanceAsync(3_000)]);
    expect(removed[0]).toMatchObject({ kind: 'removed' });
    expect(channel.bindings.size).toBe(0);
  });
});

describe('topVia (RFC 3581 §4)', () => {
  it('reads received and rport of the first Via entry only', () => {
    const response = 'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.0.0.5:5060;rport=40123;branch=z9hG4bK1;received=203.0.113.9, SIP/2.0/UDP proxy;received=1.1.1.1\r\nVia: SIP/2.0/UDP other;rport=1\r\nCSeq: 1 REGISTER\r\n\r\n';
    expect(topVia(response)).toEqual({ received: '203.0.113.9', rport: 40123 });
  });

  it('null values without the parameters, an empty rport is no port, IPv6 received without brackets', () => {
    expect(topVia('SIP/2.0 200 OK\r\nv: SIP/2.0/TCP 10.0.0.5:5060;rport;branch=z9hG4bK1\r\n\r\n')).toEqual({ received: null, rport: null });
    expect(topVia('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP [fd00::5]:5060;received=[2001:db8::9];rport=7\r\n\r\n')).toEqual({ received: '2001:db8::9', rport: 7 });
    expect(topVia('SIP/2.0 200 OK\r\nCSeq: 1 REGISTER\r\n\r\n')).toBeNull();
  });
});

describe('liveness on a located entry', () => {
  it('an unanswered OPTIONS moves the line to the next target of the same entry (still server 0), not to the backup', async () => {
    const parsed = parseLineConfig({ id: 'l', username: '1001', password: 'p', domain: 'example.org', servers: [{ host: 'sip.example.org' }, { host: '127.0.0.1', port: 5070 }], liveness: { interval: 10 }, failback: { enabled: false } });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const clock = new FakeClock();
    const primary = new TargetedChannel(clock, ['ok', 'ok']);
    const backup = new ScriptedChannel(clock);
    const controller = new LineController(parsed.value, { clock, createChannel: (i) => (i === 0 ? primary : backup) });
    controller.start();
    await clock.advanceAsync(100);
    expect(controller.snapshot()).toMatchObject({ state: 'registered', server: 0 });
    primary.optionsBehaviour = 'silent';
    await clock.advanceAsync(10_000 + 7_500 + 200);
    expect(primary.index).toBe(1);
    expect(controller.snapshot()).toMatchObject({ state: 'registered', server: 0 });
    expect(backup.wire).toEqual([]);
    const registers = primary.wire.filter((w) => w.method === 'REGISTER');
    expect(registers[1]!.contacts.map((c) => c.expires)).toEqual([3600]);
    // This scripted registrar is shared by both targets (a cluster): its 200 OK still lists the
    // first target's Contact as ours, so the next REGISTER removes it.
    expect(registers.map((w) => w.cseq)).toEqual([1, 2, 3]);
    expect(registers[2]!.contacts.map((c) => c.expires)).toEqual([3600, 0]);
    expect(primary.bindings.size).toBe(1);
    controller.dispose();
  });
});
