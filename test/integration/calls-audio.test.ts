/**
 * Calls with real audio both ways, asserted on the audio: our tone in the far end's recording of
 * what it received, its tone in ours. Over UDP, TCP and TLS; PCMU and PCMA; SDES-SRTP optional and
 * mandatory against a baresip that does SRTP; WS and WSS signalling with plain RTP; an incoming call answered; a second Trunkline engine
 * as the far end; linphonec as the far end. WebRTC media mode (`mediaMode: "webrtc"`) is not covered here.
 */
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TransportKind } from '../../common/line-config';
import type { KamailioInstance } from '../harness/kamailio';
import { startLinphone, type LinphoneInstance } from '../harness/linphone';
import {
  addRegisteredLine, callEvent, callLine, connected, DOMAIN, ended, expectTone, farEnd, lastRecording, nextIncoming, sdpOf,
  startCallWorld, stopPhones, tone, USERS, waitForCall, type CallWorld,
} from './calls-fixture';
import { serverOf, startPair } from './engine-fixture';

/** Let the tones run this long before hanging up, so each recording holds enough audio. */
const TALK_MS = 1_500;

let primary: KamailioInstance;
let backup: KamailioInstance;
let world: CallWorld;

beforeAll(async () => {
  ({ primary, backup } = await startPair('calls-audio'));
  world = await startCallWorld();
});

afterEach(async () => {
  await stopPhones();
  await Promise.all(world.engine.lineIds().map((id) => world.engine.removeLine(id, 2_000)));
});

afterAll(async () => {
  await world?.close();
  await Promise.all([primary?.stop(), backup?.stop()]);
});

interface AudioCase {
  name: string;
  transport: TransportKind;
  codec: 'PCMU' | 'PCMA';
  srtp: 'off' | 'optional' | 'mandatory';
  /** Who hangs up. */
  hangup: 'local' | 'remote';
  user: string;
  peer: string;
}

const CASES: AudioCase[] = [
  { name: 'UDP, PCMU', transport: 'udp', codec: 'PCMU', srtp: 'off', hangup: 'local', user: '1001', peer: '1002' },
  { name: 'TCP, PCMA', transport: 'tcp', codec: 'PCMA', srtp: 'off', hangup: 'remote', user: '1003', peer: '1004' },
  { name: 'TLS, PCMU', transport: 'tls', codec: 'PCMU', srtp: 'off', hangup: 'local', user: '1005', peer: '1006' },
  { name: 'UDP, SRTP optional (RTP/AVP with a=crypto)', transport: 'udp', codec: 'PCMU', srtp: 'optional', hangup: 'local', user: '1007', peer: '1008' },
  { name: 'TLS, SRTP mandatory (RTP/SAVP), PCMA', transport: 'tls', codec: 'PCMA', srtp: 'mandatory', hangup: 'remote', user: '1009', peer: '1010' },
  { name: 'WS, PCMU (plain RTP)', transport: 'ws', codec: 'PCMU', srtp: 'off', hangup: 'remote', user: '1011', peer: '1012' },
  { name: 'WSS, PCMA (plain RTP)', transport: 'wss', codec: 'PCMA', srtp: 'off', hangup: 'local', user: '1013', peer: '1014' },
];

const PAYLOAD_TYPE = { PCMU: 0, PCMA: 8 } as const;

describe('outgoing calls to baresip: audio both ways', () => {
  it.each(CASES)('$name', async (c) => {
    const line = `out-${c.user}`;
    await addRegisteredLine(world, callLine(line, c.user, [serverOf(primary, c.transport)], { codecs: [c.codec], srtp: c.srtp }));
    const phone = await farEnd(c.peer, primary, { codecs: [c.codec], srtp: c.srtp, tone: { frequencyHz: 440 } });
    const ours = join(world.dir, `${line}.wav`);

    const call = await world.calls.dial(line, c.peer, { source: tone(1000), recordPath: ours });
    const answered = await waitForCall(world, call.id, connected, 10_000, 'connected');
    expect(answered).toMatchObject({ line, direction: 'outgoing', server: 0, failovers: 0 });
    expect(answered.remote.user).toBe(c.peer);
    expect(answered.answeredAt).toEqual(expect.any(Number));
    expect(answered.setupMs).toEqual(expect.any(Number));
    const established = await phone.waitForEvent('CALL_ESTABLISHED');
    expect(established.direction).toBe('incoming');
    expect(established.peeruri).toContain(`sip:${c.user}@`);

    // The INVITE went to the registrar over the line's transport and reached the phone.
    const invite = await primary.waitForWire((r) => r.method === 'INVITE' && r.fromUser === c.user, 2_000);
    expect(invite.proto).toBe(c.transport);
    const offer = sdpOf(phone.sipMessages(/^INVITE /)[0] ?? '');
    const profile = c.srtp === 'mandatory' ? 'RTP/SAVP' : 'RTP/AVP';
    expect(offer).toMatch(new RegExp(`^m=audio \\d+ ${profile.replace('/', '\\/')} ${PAYLOAD_TYPE[c.codec]}( |\\r?$)`, 'm'));
    expect(offer).toMatch(/^a=rtpmap:\d+ telephone-event\/8000/m);
    // c= is a real loopback address toward the server, never 0.0.0.0.
    expect(offer).toMatch(/^c=IN IP4 127\.\d+\.\d+\.\d+/m);
    if (c.srtp === 'off') {
      expect(offer).not.toMatch(/^a=crypto:/m);
    } else {
      expect(offer).toMatch(/^a=crypto:\d+ AES_CM_128_HMAC_SHA1_(80|32) inline:/m);
      expect((await phone.waitForEvent('CALL_MENC', () => true, 3_000)).param).toMatch(/AES_CM_128_HMAC_SHA1/);
    }

    await delay(TALK_MS);
    if (c.hangup === 'local') {
      await world.calls.hangup(call.id);
      await phone.waitForEvent('CALL_CLOSED');
    } else {
      await phone.hangup();
    }
    const end = await waitForCall(world, call.id, ended, 5_000, 'ended');
    expect(end.endedBy).toBe(c.hangup);
    expect(end.stats?.packetsSent).toBeGreaterThan(40);
    expect(end.stats?.packetsReceived).toBeGreaterThan(40);
    const endedEvent = await callEvent(world, call.id, 'ended');
    expect(endedEvent.by).toBe(c.hangup);

    // Our 1000 Hz in what the phone received, its 440 Hz in what we received.
    await expectTone((await lastRecording(phone)).received, 1000);
    await expectTone(ours, 440);
  });
});

describe('call statistics', () => {
  it('a call to baresip until the first RTCP round trip (~5–7 s): packets both ways, no loss, RTCP round trip measured, MOS estimated', async () => {
    await addRegisteredLine(world, callLine('stats', '1015', [serverOf(primary)]));
    const phone = await farEnd('1016', primary, { record: false });
    const call = await world.calls.dial('stats', '1016', { source: tone(1000) });
    await waitForCall(world, call.id, connected, 5_000, 'connected');
    // RTCP goes out every ~5 s (RFC 3550 §6.2): wait for a report round trip.
    const live = await waitForCall(world, call.id, (s) => s.stats?.rttMs !== null && s.stats?.rttMs !== undefined, 12_000, 'an RTCP round trip');
    const stats = live.stats!;
    expect(stats.packetsSent).toBeGreaterThan(150);
    expect(stats.packetsReceived).toBeGreaterThan(150);
    expect(stats.packetsLost).toBe(0);
    expect(stats.rttMs!).toBeGreaterThanOrEqual(0);
    expect(stats.rttMs!).toBeLessThan(500);
    expect(stats.jitterMs).toBeGreaterThanOrEqual(0);
    expect(stats.mos!).toBeGreaterThan(3.5);
    expect(stats.mos!).toBeLessThanOrEqual(4.5);
    expect(stats.rmsDbfs!).toBeGreaterThan(-40);
    // The far end counted our packets as well.
    expect((await phone.rtpStats()).rxPackets).toBeGreaterThan(150);
    await world.calls.hangup(call.id);
    await phone.waitForEvent('CALL_CLOSED');
  });
});

describe('incoming calls', () => {
  it('a baresip call is announced with its caller, answered with our tone; audio both ways; the caller hangs up', async () => {
    await addRegisteredLine(world, callLine('in-1021', '1021', [serverOf(primary)]));
    const caller = await farEnd('1022', primary, { tone: { frequencyHz: 700 } });
    await caller.dial(`sip:1021@${DOMAIN}`);
    const incoming = await nextIncoming(world);
    expect(incoming).toMatchObject({ line: 'in-1021', direction: 'incoming', state: 'ringing' });
    expect(incoming.remote.user).toBe('1022');
    await caller.waitForEvent('CALL_RINGING');
    const ours = join(world.dir, 'in-1021.wav');
    await world.calls.answer(incoming.id, { source: tone(1200), recordPath: ours });
    await waitForCall(world, incoming.id, connected, 5_000, 'connected');
    await caller.waitForEvent('CALL_ESTABLISHED');
    await delay(TALK_MS);
    await caller.hangup();
    const end = await waitForCall(world, incoming.id, ended, 5_000, 'ended');
    expect(end.endedBy).toBe('remote');
    await expectTone((await lastRecording(caller)).received, 1200);
    await expectTone(ours, 700);
  });
});

describe('a second Trunkline engine as the far end', () => {
  let other: CallWorld | undefined;
  afterEach(async () => {
    await other?.close();
    other = undefined;
  });

  it('one engine calls the other through Kamailio (TCP → UDP); both record the other tone', async () => {
    other = await startCallWorld();
    await addRegisteredLine(other, callLine('callee', '1032', [serverOf(primary)]));
    await addRegisteredLine(world, callLine('caller', '1031', [serverOf(primary, 'tcp')]));
    const callerWav = join(world.dir, 'engine-caller.wav');
    const calleeWav = join(other.dir, 'engine-callee.wav');
    const call = await world.calls.dial('caller', '1032', { source: tone(1000), recordPath: callerWav });
    const incoming = await nextIncoming(other);
    expect(incoming.remote.user).toBe('1031');
    await other.calls.answer(incoming.id, { source: tone(440), recordPath: calleeWav });
    await waitForCall(world, call.id, connected, 5_000, 'caller connected');
    await waitForCall(other, incoming.id, connected, 5_000, 'callee connected');
    await delay(TALK_MS);
    await world.calls.hangup(call.id);
    const calleeEnd = await waitForCall(other, incoming.id, ended, 5_000, 'callee ended');
    expect(calleeEnd.endedBy).toBe('remote');
    expect((await waitForCall(world, call.id, ended, 5_000, 'caller ended')).endedBy).toBe('local');
    await delay(200);
    await expectTone(callerWav, 440);
    await expectTone(calleeWav, 1000);
  });
});

describe('linphonec as the far end', () => {
  let linphone: LinphoneInstance | undefined;
  afterEach(async () => {
    await linphone?.stop();
    linphone = undefined;
  });

  it('auto-answers our call; tones both ways; our BYE reaches it at its GRUU contact', async () => {
    linphone = await startLinphone({
      name: 'lp1051', user: '1051', password: USERS['1051']!, domain: DOMAIN, tone: { frequencyHz: 800 }, record: true,
      registrar: { ip: primary.ip, port: primary.ports.udp, transport: 'udp' },
    });
    await addRegisteredLine(world, callLine('lp', '1052', [serverOf(primary)]));
    const ours = join(world.dir, 'linphone.wav');
    const call = await world.calls.dial('lp', '1051', { source: tone(1000), recordPath: ours });
    await waitForCall(world, call.id, connected, 10_000, 'connected');
    await linphone.waitForOutput(/Call \d+ with sip:1052@\S+ connected/);
    await delay(TALK_MS);
    await world.calls.hangup(call.id);
    await waitForCall(world, call.id, ended, 5_000, 'ended');
    await linphone.waitForOutput(/Call \d+ with sip:1052@\S+ ended/, 5_000);
    await expectTone(ours, 800);
    await delay(300);
    await expectTone(linphone.recordingPath, 1000);
  });
});
