import { describe, expect, it } from 'vitest';
import { UdpReliability } from '../../../main/sip/transport/udp-reliability';
import { FakeClock } from '../../fake-clock';
import { sipRequest, sipResponse } from './sip-samples';

/** A reliability layer whose wire is a list of (time since start, message) pairs. */
function harness(t1Ms = 500, t2Ms = 4000) {
  const clock = new FakeClock();
  const start = clock.now();
  const wire: { at: number; text: string }[] = [];
  const reliability = new UdpReliability({
    clock,
    t1Ms,
    t2Ms,
    retransmit: (text) => wire.push({ at: clock.now() - start, text }),
  });
  /** Sends a message for the first time, as the socket does. */
  const send = (text: string): void => {
    wire.push({ at: clock.now() - start, text });
    reliability.outgoing(text);
  };
  const sendTimes = (text: string): number[] => wire.filter((w) => w.text === text).map((w) => w.at);
  return { clock, reliability, wire, send, sendTimes };
}

describe('UDP client retransmission (RFC 3261 §17.1)', () => {
  it('non-INVITE: Timer E doubles from T1 and is capped at T2 until Timer F', () => {
    const { clock, send, sendTimes } = harness();
    const options = sipRequest('OPTIONS');
    send(options);
    clock.advance(40_000);
    expect(sendTimes(options)).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    expect(clock.pendingDelays()).toEqual([]);
  });

  it('INVITE: Timer A doubles without a cap until Timer B', () => {
    const { clock, send, sendTimes } = harness();
    const invite = sipRequest('INVITE');
    send(invite);
    clock.advance(40_000);
    expect(sendTimes(invite)).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500]);
    expect(clock.pendingDelays()).toEqual([]);
  });

  it('non-INVITE: a final response stops retransmission', () => {
    const { clock, reliability, send, sendTimes } = harness();
    const register = sipRequest('REGISTER');
    send(register);
    clock.advance(1600);
    expect(reliability.incoming(sipResponse(register, 401, 'Unauthorized')).kind).toBe('deliver');
    clock.advance(40_000);
    expect(sendTimes(register)).toEqual([0, 500, 1500]);
    expect(clock.pendingDelays()).toEqual([]);
  });

  it('non-INVITE: after a provisional response Timer E runs at T2', () => {
    const { clock, reliability, send, sendTimes } = harness();
    const register = sipRequest('REGISTER');
    send(register);
    clock.advance(600);
    reliability.incoming(sipResponse(register, 100, 'Trying'));
    clock.advance(9000); // t = 9600
    // The timer armed before the 100 still fires at 1500; every later one is T2 apart.
    expect(sendTimes(register)).toEqual([0, 500, 1500, 5500, 9500]);
    reliability.incoming(sipResponse(register, 200));
    clock.advance(40_000);
    expect(sendTimes(register)).toHaveLength(5);
  });

  it('INVITE: any response, even 100 Trying, stops Timer A', () => {
    const { clock, reliability, send, sendTimes } = harness();
    const invite = sipRequest('INVITE');
    send(invite);
    clock.advance(700);
    reliability.incoming(sipResponse(invite, 100, 'Trying'));
    clock.advance(40_000);
    expect(sendTimes(invite)).toEqual([0, 500]);
  });

  it('keeps INVITE and the CANCEL sharing its branch apart', () => {
    const { clock, reliability, send, sendTimes } = harness();
    const invite = sipRequest('INVITE', { branch: 'z9hG4bKshared' });
    const cancel = sipRequest('CANCEL', { branch: 'z9hG4bKshared' });
    send(invite);
    reliability.incoming(sipResponse(invite, 180, 'Ringing'));
    send(cancel);
    clock.advance(600);
    reliability.incoming(sipResponse(cancel, 200));
    clock.advance(40_000);
    expect(sendTimes(invite)).toEqual([0]);
    expect(sendTimes(cancel)).toEqual([0, 500]);
  });

  it('never retransmits an ACK or a response, and stop(branch) ends a transaction', () => {
    const { clock, reliability, send, wire } = harness();
    const invite = sipRequest('INVITE', { branch: 'z9hG4bKx' });
    send(sipRequest('ACK', { branch: 'z9hG4bKy' }));
    send(sipResponse(sipRequest('OPTIONS', { branch: 'z9hG4bKz' }), 200));
    send(invite);
    reliability.stop('z9hG4bKx');
    clock.advance(40_000);
    expect(wire).toHaveLength(3);
  });

  it('re-sends our ACK when the final non-2xx response to our INVITE is retransmitted', () => {
    const { reliability, send, sendTimes } = harness();
    const invite = sipRequest('INVITE');
    const busy = sipResponse(invite, 486, 'Busy Here');
    const ack = sipRequest('ACK');
    send(invite);
    expect(reliability.incoming(busy)).toEqual({ kind: 'deliver' });
    send(ack);
    expect(reliability.incoming(busy)).toEqual({ kind: 'duplicate', reply: ack });
    expect(sendTimes(ack)).toEqual([0]);
  });

  it('dispose clears every timer', () => {
    const { clock, reliability, send } = harness();
    send(sipRequest('OPTIONS', { branch: 'z9hG4bK1' }));
    send(sipRequest('INVITE', { branch: 'z9hG4bK2' }));
    reliability.dispose();
    expect(clock.pendingDelays()).toEqual([]);
  });
});

describe('UDP duplicate requests (RFC 3261 §17.2)', () => {
  it('absorbs a duplicate before we answered, then answers later copies with our last response', () => {
    const { reliability, send } = harness();
    const options = sipRequest('OPTIONS', { branch: 'z9hG4bKin' });
    expect(reliability.incoming(options)).toEqual({ kind: 'deliver' });
    expect(reliability.incoming(options)).toEqual({ kind: 'duplicate', reply: null });
    const ok = sipResponse(options, 200);
    send(ok);
    expect(reliability.incoming(options)).toEqual({ kind: 'duplicate', reply: ok });
  });

  it('answers a retransmitted INVITE with the latest provisional response', () => {
    const { reliability, send } = harness();
    const invite = sipRequest('INVITE', { branch: 'z9hG4bKcall' });
    reliability.incoming(invite);
    send(sipResponse(invite, 100, 'Trying'));
    const ringing = sipResponse(invite, 180, 'Ringing');
    send(ringing);
    expect(reliability.incoming(invite)).toEqual({ kind: 'duplicate', reply: ringing });
    // The CANCEL shares the branch but is a transaction of its own.
    expect(reliability.incoming(sipRequest('CANCEL', { branch: 'z9hG4bKcall' }))).toEqual({ kind: 'deliver' });
  });

  it('treats the same branch as new once 64×T1 have passed', () => {
    const { clock, reliability } = harness();
    const message = sipRequest('MESSAGE', { branch: 'z9hG4bKold' });
    expect(reliability.incoming(message).kind).toBe('deliver');
    clock.advance(31_999);
    expect(reliability.incoming(message).kind).toBe('duplicate');
    clock.advance(1);
    expect(reliability.incoming(message).kind).toBe('deliver');
  });
});
