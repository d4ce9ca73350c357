/**
 * Call control against real baresip far ends through a harness Kamailio: the outcomes a person
 * sees (decline, cancel, busy, unknown user, no answer), DTMF both ways and both modes, hold and
 * resume on the wire and in the RTP, remote hold, blind transfer to a third phone, the RTP
 * inactivity timeout, a registration-only line, auto-answer, call waiting and mute.
 */
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { KamailioInstance } from '../harness/kamailio';
import {
  addRegisteredLine, callEvent, callLine, connected, DOMAIN, ended, eventually, expectTone, farEnd, lastRecording, nextIncoming,
  sdpOf, startCallWorld, stopPhones, tone, waitForCall, waitForEvent, type CallWorld,
} from './calls-fixture';
import { serverOf, startPair } from './engine-fixture';

let primary: KamailioInstance;
let backup: KamailioInstance;
let world: CallWorld;

beforeAll(async () => {
  ({ primary, backup } = await startPair('calls-control'));
  world = await startCallWorld({ noAnswerTimeoutMs: 3_000 });
});

afterEach(async () => {
  await stopPhones();
  await Promise.all(world.engine.lineIds().map((id) => world.engine.removeLine(id, 2_000)));
});

afterAll(async () => {
  await world?.close();
  await Promise.all([primary?.stop(), backup?.stop()]);
});

/** SIP final responses to the INVITE seen by a baresip (its trace), e.g. [486]. */
function inviteFinalCodes(trace: string[]): number[] {
  return trace
    .filter((m) => /^CSeq: \d+ INVITE/m.test(m))
    .map((m) => /^SIP\/2\.0 (\d{3}) /m.exec(m.split('\n').slice(1).join('\n'))?.[1])
    .filter((code): code is string => code !== undefined && Number(code) >= 200)
    .map(Number);
}

describe('call outcomes', () => {
  it('incoming call declined → 486 at the caller; declined with 603 → 603', async () => {
    await addRegisteredLine(world, callLine('d', '1061', [serverOf(primary)]));
    const caller = await farEnd('1062', primary, { record: false });
    await caller.dial(`sip:1061@${DOMAIN}`);
    const first = await nextIncoming(world);
    await world.calls.decline(first.id, 486);
    expect((await caller.waitForEvent('CALL_CLOSED')).sipCode).toBe(486);
    const firstEnd = await waitForCall(world, first.id, ended, 5_000, 'ended');
    expect(firstEnd.code).toBe(486);
    expect(firstEnd.endedBy).toBe('local');

    const since = Date.now();
    await caller.dial(`sip:1061@${DOMAIN}`);
    const second = await nextIncoming(world, 10_000, 1);
    await world.calls.decline(second.id, 603);
    expect((await caller.waitForEvent('CALL_CLOSED', () => true, 5_000, since)).sipCode).toBe(603);
  });

  it('cancel while ringing → the callee sees CANCEL and the INVITE ends 487; the call shows 487', async () => {
    await addRegisteredLine(world, callLine('c', '1063', [serverOf(primary)]));
    const callee = await farEnd('1064', primary, { answerMode: 'manual', record: false });
    const call = await world.calls.dial('c', '1064', { source: tone(1000) });
    await callee.waitForEvent('CALL_INCOMING');
    await waitForCall(world, call.id, (s) => s.state === 'ringing', 5_000, 'ringing');
    await world.calls.hangup(call.id);
    await callee.waitForEvent('CALL_CLOSED');
    const end = await waitForCall(world, call.id, ended, 5_000, 'ended');
    expect(end.code).toBe(487);
    expect(end.answeredAt).toBeNull();
    // baresip writes its SIP log a moment after it reports the call closed.
    await eventually(() => callee.sipMessages(/^CANCEL /).length > 0, 3_000, 'CANCEL in the callee\'s log');
    expect(callee.sipMessages(/^CANCEL /)).toHaveLength(1);
    await eventually(() => inviteFinalCodes(callee.sipLog()).includes(487), 3_000, '487 sent by the callee');
  });

  it('callee busy (in a call, maxCalls 1) → 486 shown', async () => {
    await addRegisteredLine(world, callLine('b', '1065', [serverOf(primary)]));
    const callee = await farEnd('1066', primary, { maxCalls: 1, record: false });
    const other = await farEnd('1067', primary, { record: false });
    await other.dial(`sip:1066@${DOMAIN}`);
    await callee.waitForEvent('CALL_ESTABLISHED');
    const call = await world.calls.dial('b', '1066', { source: tone(1000) });
    const end = await waitForCall(world, call.id, ended, 5_000, 'ended');
    expect(end.code).toBe(486);
    expect(end.state).toBe('ended');
    expect((await callEvent(world, call.id, 'ended')).code).toBe(486);
    await other.hangup();
  });

  it('unknown user → 404 shown, from Kamailio', async () => {
    await addRegisteredLine(world, callLine('u', '1068', [serverOf(primary)]));
    const call = await world.calls.dial('u', '1099', { source: tone(1000) });
    const end = await waitForCall(world, call.id, ended, 5_000, 'ended');
    expect(end.code).toBe(404);
    expect(end.reason).toMatch(/not found/i);
    expect(primary.wire({ method: 'INVITE', fromUser: '1068' })).toHaveLength(1);
  });

  it('no answer: the call is cancelled after the no-answer timeout and shows it', async () => {
    await addRegisteredLine(world, callLine('n', '1069', [serverOf(primary)]));
    const callee = await farEnd('1070', primary, { answerMode: 'manual', record: false });
    const call = await world.calls.dial('n', '1070', { source: tone(1000) });
    await callee.waitForEvent('CALL_INCOMING');
    const end = await waitForCall(world, call.id, ended, 10_000, 'ended by the no-answer timeout');
    expect(end.answeredAt).toBeNull();
    expect(end.endedBy).toBe('local');
    expect(`${end.code} ${end.reason}`).toMatch(/408|480|487|no answer/i);
    // The callee stopped ringing: it got a CANCEL.
    await callee.waitForEvent('CALL_CLOSED');
    await eventually(() => callee.sipMessages(/^CANCEL /).length > 0, 3_000, 'CANCEL in the callee\'s log');
    expect(callee.sipMessages(/^CANCEL /)).toHaveLength(1);
  });
});

describe('incoming policy', () => {
  it('a registration-only line (calls.enabled false) answers an INVITE 486 and refuses to dial, naming the field', async () => {
    await addRegisteredLine(world, callLine('ro', '1086', [serverOf(primary)], { enabled: false }));
    const caller = await farEnd('1087', primary, { record: false });
    await caller.dial(`sip:1086@${DOMAIN}`);
    const closed = await caller.waitForEvent('CALL_CLOSED');
    expect([486, 488]).toContain(closed.sipCode);
    expect(world.incoming.filter((c) => c.line === 'ro')).toHaveLength(0);
    await expect(world.calls.dial('ro', '1087')).rejects.toThrow(/calls\.enabled/);
  });

  it('auto-answer after 300 ms: it rings, then connects without answer()', async () => {
    await addRegisteredLine(world, callLine('aa', '1088', [serverOf(primary)], { autoAnswerMs: 300 }));
    const caller = await farEnd('1089', primary, { record: false });
    const base = world.incoming.length;
    await caller.dial(`sip:1088@${DOMAIN}`);
    const incoming = await nextIncoming(world, 5_000, base);
    const answered = await waitForCall(world, incoming.id, connected, 5_000, 'auto-answered');
    expect(answered.answeredAt! - answered.startedAt).toBeGreaterThanOrEqual(250);
    await caller.waitForEvent('CALL_ESTABLISHED');
    // It rang first: the caller saw 180 before the 200.
    expect(caller.events('CALL_RINGING').length).toBeGreaterThanOrEqual(1);
    await caller.hangup();
    await waitForCall(world, incoming.id, ended, 5_000, 'ended');
  });

  it('call waiting: a second call rings while the first is connected; answering it puts the first on hold', async () => {
    await addRegisteredLine(world, callLine('cw', '1090', [serverOf(primary)]));
    const first = await farEnd('1091', primary, { record: false });
    const second = await farEnd('1092', primary, { record: false });
    const base = world.incoming.length;
    await first.dial(`sip:1090@${DOMAIN}`);
    const call1 = await nextIncoming(world, 5_000, base);
    await world.calls.answer(call1.id, { source: tone(1000) });
    await waitForCall(world, call1.id, connected, 5_000, 'first connected');
    await second.dial(`sip:1090@${DOMAIN}`);
    const call2 = await nextIncoming(world, 5_000, base + 1);
    expect(call2.remote.user).toBe('1092');
    expect(world.snapshots.get(call1.id)?.state).toBe('connected');
    await world.calls.answer(call2.id, { source: tone(1000) });
    await waitForCall(world, call2.id, connected, 5_000, 'second connected');
    await waitForCall(world, call1.id, (s) => s.state === 'held' && s.localHold, 5_000, 'first on hold');
    await eventually(() => first.sipMessages(/^INVITE /).slice(1).find((m) => /^a=sendonly/m.test(sdpOf(m))), 3_000, 'a=sendonly at the first caller');
    expect(second.sipMessages(/^INVITE /).slice(1).filter((m) => /^a=sendonly/m.test(sdpOf(m)))).toHaveLength(0);
    await world.calls.hangup(call2.id);
    await world.calls.hangup(call1.id);
    await first.waitForEvent('CALL_CLOSED');
  });

  it('mute stops our RTP at the far end without any SIP (RTCP goes on); unmute brings our tone back', async () => {
    await addRegisteredLine(world, callLine('m', '1093', [serverOf(primary)]));
    const phone = await farEnd('1094', primary, { record: true });
    const call = await world.calls.dial('m', '1094', { source: tone(1000) });
    await waitForCall(world, call.id, connected, 5_000, 'connected');
    await phone.waitForEvent('CALL_ESTABLISHED');
    await delay(1_000);
    const invitesBefore = phone.sipMessages(/^INVITE /).length;
    expect(world.calls.setMuted(call.id, true).muted).toBe(true);
    await delay(300);
    const muted = await phone.rtpStats();
    await delay(800);
    expect((await phone.rtpStats()).rxPackets - muted.rxPackets).toBeLessThanOrEqual(2);
    expect(world.calls.setMuted(call.id, false).muted).toBe(false);
    await eventually(async () => (await phone.rtpStats()).rxPackets - muted.rxPackets >= 25, 3_000, 'RTP again after unmute');
    expect(phone.sipMessages(/^INVITE /)).toHaveLength(invitesBefore);
    await world.calls.hangup(call.id);
    await phone.waitForEvent('CALL_CLOSED');
    // sndfile writes only what arrived: the tone from before the mute and after it, nothing else.
    await expectTone((await lastRecording(phone)).received, 1000);
  });
});

describe('DTMF', () => {
  it.each(['rfc4733', 'info'] as const)('our DTMF in mode %s reaches baresip in order', async (mode) => {
    const user = mode === 'rfc4733' ? '1071' : '1073';
    const peer = mode === 'rfc4733' ? '1072' : '1074';
    await addRegisteredLine(world, callLine(`dtmf-${mode}`, user, [serverOf(primary)], { dtmfMode: mode }));
    const phone = await farEnd(peer, primary, { record: false });
    const call = await world.calls.dial(`dtmf-${mode}`, peer, { source: tone(1000) });
    await waitForCall(world, call.id, connected, 5_000, 'connected');
    await phone.waitForEvent('CALL_ESTABLISHED');
    await delay(300);
    const since = Date.now();
    world.calls.sendDtmf(call.id, '159#');
    for (const digit of ['1', '5', '9', '#']) await phone.waitForEvent('CALL_DTMF_START', (e) => e.param === digit, 5_000, since);
    expect(phone.events('CALL_DTMF_START').map((e) => e.param)).toEqual(['1', '5', '9', '#']);
    if (mode === 'info') await eventually(() => phone.sipMessages(/^INFO /).length >= 4, 3_000, 'four INFOs in the phone\'s log');
    const infos = phone.sipMessages(/^INFO /);
    if (mode === 'info') {
      expect(infos).toHaveLength(4);
      expect(infos[0]).toMatch(/^Content-Type: application\/dtmf-relay/im);
      expect(infos[0]).toMatch(/^Signal=1/m);
    } else {
      expect(infos).toHaveLength(0);
    }
    await world.calls.hangup(call.id);
    await phone.waitForEvent('CALL_CLOSED');
  });

  it('DTMF from baresip (RFC 4733) is reported as dtmf events, in order', async () => {
    await addRegisteredLine(world, callLine('dtmf-in', '1075', [serverOf(primary)]));
    const phone = await farEnd('1076', primary, { record: false });
    const call = await world.calls.dial('dtmf-in', '1076', { source: tone(1000) });
    await waitForCall(world, call.id, connected, 5_000, 'connected');
    await phone.waitForEvent('CALL_ESTABLISHED');
    await delay(300);
    await phone.sendDtmf('42*');
    await eventually(() => world.events.filter((e) => e.call === call.id && e.event === 'dtmf').length >= 3, 5_000, 'three dtmf events');
    await delay(500);
    expect(world.events.filter((e) => e.call === call.id && e.event === 'dtmf').map((e) => e.digit)).toEqual(['4', '2', '*']);
    await world.calls.hangup(call.id);
    await phone.waitForEvent('CALL_CLOSED');
  });
});

describe('hold and resume', () => {
  it('our hold: re-INVITE a=sendonly reaches the phone and RTP stops; resume: a=sendrecv and RTP flows again', async () => {
    await addRegisteredLine(world, callLine('h', '1077', [serverOf(primary)]));
    const phone = await farEnd('1078', primary, { record: false });
    const call = await world.calls.dial('h', '1078', { source: tone(1000) });
    await waitForCall(world, call.id, connected, 5_000, 'connected');
    await phone.waitForEvent('CALL_ESTABLISHED');
    await eventually(async () => (await phone.rtpStats()).rxPackets > 10, 3_000, 'RTP at the phone');

    await world.calls.hold(call.id);
    const held = await waitForCall(world, call.id, (s) => s.state === 'held' && s.localHold, 5_000, 'held');
    expect(held.remoteHold).toBe(false);
    expect((await callEvent(world, call.id, 'held')).by).toBe('local');
    const reinvite = await eventually(() => phone.sipMessages(/^INVITE /).slice(1).find((m) => /^a=sendonly/m.test(sdpOf(m))), 3_000, 'INVITE with a=sendonly at the phone');
    expect(sdpOf(reinvite)).toMatch(/^m=audio \d+ RTP\/AVP /m);
    // Settle, then the phone's receive counter stands still (a packet in flight at most).
    await delay(300);
    const before = await phone.rtpStats();
    expect(before.dir).toBe('recvonly');
    await delay(600);
    expect((await phone.rtpStats()).rxPackets - before.rxPackets).toBeLessThanOrEqual(2);

    await world.calls.resume(call.id);
    await waitForCall(world, call.id, (s) => s.state === 'connected' && !s.localHold, 5_000, 'resumed');
    expect((await callEvent(world, call.id, 'resumed')).by).toBe('local');
    await eventually(() => phone.sipMessages(/^INVITE /).slice(2).find((m) => /^a=sendrecv/m.test(sdpOf(m))), 3_000, 're-INVITE with a=sendrecv');
    const resumed = await phone.rtpStats();
    expect(resumed.dir).toBe('sendrecv');
    await eventually(async () => (await phone.rtpStats()).rxPackets - resumed.rxPackets >= 10, 3_000, 'RTP flowing again at the phone');
    await world.calls.hangup(call.id);
    await phone.waitForEvent('CALL_CLOSED');
  });

  it('remote hold is detected and shown; the phone resuming clears it', async () => {
    await addRegisteredLine(world, callLine('rh', '1079', [serverOf(primary)]));
    const phone = await farEnd('1080', primary, { record: false });
    const call = await world.calls.dial('rh', '1080', { source: tone(1000) });
    await waitForCall(world, call.id, connected, 5_000, 'connected');
    await phone.waitForEvent('CALL_ESTABLISHED');
    await delay(200);
    await phone.hold();
    const held = await waitForCall(world, call.id, (s) => s.remoteHold, 5_000, 'remote hold');
    expect(held.state).toBe('held');
    expect(held.localHold).toBe(false);
    expect((await callEvent(world, call.id, 'held')).by).toBe('remote');
    // Our answer to its a=sendonly is a=recvonly (RFC 3264 §6.1).
    await eventually(() => phone.sipMessages(/^SIP\/2\.0 200 /).find((m) => /^CSeq: \d+ INVITE/m.test(m) && /^a=recvonly/m.test(sdpOf(m))), 3_000, '200 with a=recvonly');
    await phone.resume();
    await waitForCall(world, call.id, (s) => !s.remoteHold && s.state === 'connected', 5_000, 'remote resume');
    expect((await callEvent(world, call.id, 'resumed')).by).toBe('remote');
    await world.calls.hangup(call.id);
    await phone.waitForEvent('CALL_CLOSED');
  });
});

describe('blind transfer', () => {
  it('REFER to a third phone: our call ends, the third phone rings, answers and hears the transferee', async () => {
    await addRegisteredLine(world, callLine('t', '1081', [serverOf(primary)]));
    const transferee = await farEnd('1082', primary, { tone: { frequencyHz: 1000 } });
    const target = await farEnd('1083', primary, { tone: { frequencyHz: 600 } });
    const call = await world.calls.dial('t', '1082', { source: tone(440) });
    await waitForCall(world, call.id, connected, 5_000, 'connected');
    await transferee.waitForEvent('CALL_ESTABLISHED');
    await delay(1_100); // recordings are named by the second: the transferee's next call gets its own
    world.calls.transfer(call.id, '1083');
    const refer = await eventually(() => transferee.sipMessages(/^REFER /)[0], 3_000, 'REFER at the transferee');
    expect(refer).toMatch(/^Refer-To: .*sip:1083@/im);
    expect((await transferee.waitForEvent('TRANSFER')).param).toContain('sip:1083@');
    const atTarget = await target.waitForEvent('CALL_ESTABLISHED', (e) => (e.peeruri ?? '').includes('1082'));
    expect(atTarget.direction).toBe('incoming');
    const end = await waitForCall(world, call.id, ended, 8_000, 'ended after the transfer');
    expect(end.answeredAt).toEqual(expect.any(Number));
    await waitForEvent(world, (e) => e.call === call.id && e.event === 'transfer', 5_000, 'transfer event');
    await delay(1_500);
    await target.hangup();
    await transferee.waitForEvent('CALL_CLOSED', (e) => (e.peeruri ?? '').includes('1083'));
    await expectTone((await lastRecording(target)).received, 1000);
  });
});

describe('RTP inactivity', () => {
  it('the far end goes silent (frozen) → the call ends with an RTP timeout reason after rtpTimeout 5 s, not before', async () => {
    await addRegisteredLine(world, callLine('rtp', '1084', [serverOf(primary)], { rtpTimeout: 5 }));
    const phone = await farEnd('1085', primary, { record: false });
    const ours = join(world.dir, 'rtp-timeout.wav');
    const call = await world.calls.dial('rtp', '1085', { source: tone(1000), recordPath: ours });
    await waitForCall(world, call.id, connected, 5_000, 'connected');
    await eventually(() => (world.snapshots.get(call.id)?.stats?.packetsReceived ?? 0) > 20, 3_000, 'RTP from the phone');
    const frozenAt = Date.now();
    phone.freeze();
    try {
      const end = await waitForCall(world, call.id, ended, 12_000, 'ended by RTP inactivity');
      // Protocol fact, not a timing figure: it did not end before the timeout it was given.
      expect(end.endedAt! - frozenAt).toBeGreaterThanOrEqual(4_500);
      expect(end.endedBy).toBe('local');
      expect(end.reason).toMatch(/rtp|media|inactiv/i);
      // The BYE went out through Kamailio even though the phone cannot answer it.
      await primary.waitForWire((r) => r.method === 'BYE' && r.fromUser === '1084', 3_000);
    } finally {
      phone.thaw();
    }
  });
});
