/**
 * Proves the far-end harness itself: real baresip phones (and linphonec) registered to two harness
 * Kamailio instances call each other, and the audio checks find each side's tone in the other's
 * recording. No Trunkline engine is involved, so a failure here is the harness, a far end or
 * Kamailio — never the code under test elsewhere.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { analyseWav, makeToneWav, readWavMono, toneMargin, toneShare } from '../harness/audio';
import { startBaresip, type BaresipInstance, type BaresipOptions, type Recording } from '../harness/baresip';
import { netstring, splitNetstrings } from '../harness/ctrl-tcp';
import type { KamailioInstance } from '../harness/kamailio';
import { startLinphone, type LinphoneInstance } from '../harness/linphone';
import { DOMAIN, startPair, USERS } from './engine-fixture';

/** How much louder the band around the expected tone must be than a band where nothing was sent. */
const MIN_MARGIN_DB = 30;
/** Let the tone run this long before the checks, so the recordings hold enough audio. */
const TALK_MS = 1_500;

let primary: KamailioInstance;
let backup: KamailioInstance;
const phones: BaresipInstance[] = [];

beforeAll(async () => {
  ({ primary, backup } = await startPair('far-end'));
});

afterEach(async () => {
  await Promise.all(phones.splice(0).map((p) => p.stop()));
});

afterAll(async () => {
  await Promise.all([primary?.stop(), backup?.stop()]);
});

function registrarOf(k: KamailioInstance, transport: 'udp' | 'tcp' | 'tls' = 'udp') {
  return { ip: k.ip, port: k.ports[transport], transport };
}

async function phone(user: string, k: KamailioInstance, opts: Partial<BaresipOptions> = {}): Promise<BaresipInstance> {
  const p = await startBaresip({
    name: `p${user}`,
    user,
    password: USERS[user]!,
    registrar: registrarOf(k),
    domain: DOMAIN,
    answerMode: 'auto',
    record: true,
    ...opts,
  });
  phones.push(p);
  return p;
}

/** The recording of the (only) call; fails clearly when sndfile wrote none. */
async function onlyRecording(p: BaresipInstance): Promise<Recording & { received: string; sent: string }> {
  const recordings = await p.recordings();
  const last = recordings[recordings.length - 1];
  if (!last?.received || !last.sent) throw new Error(`${p.name}: no complete recording: ${JSON.stringify(recordings)}`);
  return last as Recording & { received: string; sent: string };
}

async function expectTone(path: string, frequencyHz: number): Promise<void> {
  const margin = await toneMargin(path, frequencyHz, { from: 0.3 });
  expect(margin.marginDb, `${path}: ${JSON.stringify(margin)}`).toBeGreaterThan(MIN_MARGIN_DB);
  expect(margin.inBandDb, `${path}: ${JSON.stringify(margin)}`).toBeGreaterThan(-30);
  // Second opinion without sox: most of the power sits at the tone.
  expect(toneShare(await readWavMono(path), frequencyHz, 0.3)).toBeGreaterThan(0.5);
}

/** SIP messages in a phone's trace whose first line matches `startLine`. */
function messages(p: BaresipInstance, startLine: RegExp): string[] {
  return p.sipMessages(startLine);
}

describe('ctrl_tcp netstrings', () => {
  it('splits complete netstrings, keeps a partial one, counts bytes not characters', () => {
    const first = netstring('{"event":true,"type":"CALL_DTMF_START","param":"5"}');
    const second = netstring('{"param":"é"}');
    expect(second.subarray(0, 3).toString()).toBe('14:');
    const joined = Buffer.concat([first, second]);
    const cut = joined.length - 4;
    const head = splitNetstrings(joined.subarray(0, cut));
    expect(head.payloads.map((p) => JSON.parse(p.toString()).param)).toEqual(['5']);
    const tail = splitNetstrings(Buffer.concat([head.rest, joined.subarray(cut)]));
    expect(tail.payloads.map((p) => JSON.parse(p.toString()).param)).toEqual(['é']);
    expect(tail.rest.length).toBe(0);
  });

  it('refuses a stream it cannot re-synchronise', () => {
    expect(() => splitNetstrings(Buffer.from('x2:{},'))).toThrow(/bad netstring length/);
    expect(() => splitNetstrings(Buffer.from('2:{}!'))).toThrow(/trailing comma/);
  });
});

describe('audio checks (sox and Goertzel on generated WAVs)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tl-audio-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('finds a 440 Hz tone in its band and not in another, both with sox and with Goertzel', async () => {
    const path = join(dir, 'a440.wav');
    await makeToneWav(path, { frequencyHz: 440, seconds: 1, sampleRate: 8000, channels: 1, amplitude: 0.5 });
    const whole = await analyseWav(path);
    expect(whole.sampleRate).toBe(8000);
    expect(whole.channels).toBe(1);
    expect(whole.durationS).toBeCloseTo(1, 2);
    expect(whole.peak).toBeCloseTo(0.5, 1);
    expect(whole.rmsDbfs).toBeCloseTo(20 * Math.log10(0.5 / Math.SQRT2), 0);
    expect(Math.abs(whole.roughFrequencyHz - 440)).toBeLessThan(20);
    const margin = await toneMargin(path, 440);
    expect(margin.marginDb).toBeGreaterThan(40);
    expect((await toneMargin(path, 440)).belowTotalDb).toBeLessThan(2);
    expect((await toneMargin(path, 1000)).belowTotalDb).toBeGreaterThan(40);
    const pcm = await readWavMono(path);
    expect(toneShare(pcm, 440)).toBeGreaterThan(0.9);
    expect(toneShare(pcm, 1000)).toBeLessThan(0.01);
  });

  it('mixes stereo down and measures a band of a 48 kHz file; rejects a band beyond Nyquist', async () => {
    const path = join(dir, 's1000.wav');
    await makeToneWav(path, { frequencyHz: 1000, seconds: 0.5, sampleRate: 48000, channels: 2 });
    const band = await analyseWav(path, { bandHz: [950, 1050], from: 0.1 });
    expect(band.channels).toBe(2);
    expect(band.rmsDbfs).toBeGreaterThan(-12);
    expect(toneShare(await readWavMono(path), 1000)).toBeGreaterThan(0.9);
    await expect(analyseWav(path, { bandHz: [23000, 25000] })).rejects.toThrow(/bandHz/);
    await expect(analyseWav(join(dir, 'missing.wav'))).rejects.toThrow(/missing\.wav/);
  });
});

describe('baresip far ends through the harness Kamailio', () => {
  it('UDP call: tones both ways, DTMF 159#, hold/resume on the wire, callee hangs up', async () => {
    const a = await phone('1001', primary, { answerMode: 'manual', tone: { frequencyHz: 1000 } });
    const b = await phone('1002', primary, { answerMode: 'auto', tone: { frequencyHz: 440 } });
    expect((await primary.bindings('1002')).length).toBe(1);

    await a.dial(`sip:1002@${DOMAIN}`);
    // Auto-answer emits no CALL_INCOMING in 1.0.0: the first event of the call at B is ESTABLISHED.
    const answered = await b.waitForEvent('CALL_ESTABLISHED');
    expect(answered.direction).toBe('incoming');
    expect(answered.peeruri).toContain('sip:1001@');
    await a.waitForEvent('CALL_ESTABLISHED');
    // Kamailio record-routed the INVITE and relayed it to B's binding.
    const invite = await primary.waitForWire((r) => r.method === 'INVITE' && r.fromUser === '1001', 2_000);
    expect(invite.proto).toBe('udp');
    expect(messages(b, /^INVITE /)[0]).toMatch(/^Record-Route: <sip:[0-9.]+;lr/m);

    await delay(TALK_MS / 2);
    const dtmfFrom = Date.now();
    await a.sendDtmf('159#');
    for (const digit of ['1', '5', '9', '#']) await b.waitForEvent('CALL_DTMF_START', (e) => e.param === digit, 3_000, dtmfFrom);
    expect(b.events('CALL_DTMF_START').map((e) => e.param)).toEqual(['1', '5', '9', '#']);

    await a.hold();
    const held = await eventually(() => messages(b, /^INVITE /).find((m) => /^a=sendonly/m.test(m)), 3_000, 'INVITE with a=sendonly at B');
    expect(held).toMatch(/^m=audio \d+ RTP\/AVP /m);
    await eventually(() => messages(a, /^SIP\/2\.0 200 /).find((m) => /^CSeq: \d+ INVITE/m.test(m) && /^a=recvonly/m.test(m)), 3_000, '200 with a=recvonly at A');
    // On hold baresip 1.0.0 stops RTP both ways: B's receive counter stands still.
    const heldAtB = await b.rtpStats();
    expect(heldAtB.dir).toBe('recvonly');
    await delay(400);
    expect((await b.rtpStats()).rxPackets - heldAtB.rxPackets).toBeLessThanOrEqual(2);
    await a.resume();
    await eventually(() => messages(b, /^INVITE /).slice(2).find((m) => /^a=sendrecv/m.test(m)), 3_000, 're-INVITE with a=sendrecv at B');
    const resumedAtB = await b.rtpStats();
    expect(resumedAtB.dir).toBe('sendrecv');
    await eventually(async () => ((await b.rtpStats()).rxPackets - resumedAtB.rxPackets >= 10 ? true : undefined), 3_000, 'RTP flowing again at B');

    await delay(TALK_MS / 2);
    await b.hangup();
    const closed = await a.waitForEvent('CALL_CLOSED');
    expect(closed.param).toBeDefined();
    await b.waitForEvent('CALL_CLOSED');
    expect(messages(a, /^BYE /)).toHaveLength(1);

    // B received A's 1000 Hz and sent its 440 Hz; A the other way round.
    const recA = await onlyRecording(a);
    const recB = await onlyRecording(b);
    await expectTone(recB.received, 1000);
    await expectTone(recA.received, 440);
    await expectTone(recB.sent, 440);
    // A's own tone is not in what A received (no echo, no crossed recordings).
    expect((await toneMargin(recA.received, 1000, { from: 0.3 })).belowTotalDb).toBeGreaterThan(MIN_MARGIN_DB);
    expect((await analyseWav(recA.received)).sampleRate).toBe(8000);
  });

  it('TCP and PCMA through the backup Kamailio; a callee registered on both instances', async () => {
    const b = await phone('1012', primary, {
      codecs: ['PCMA'],
      tone: { frequencyHz: 700 },
      extraAccounts: [{ user: '1012', password: USERS['1012']!, registrar: registrarOf(backup, 'tcp') }],
    });
    expect((await primary.bindings('1012')).length).toBe(1);
    expect((await backup.bindings('1012')).length).toBe(1);
    const a = await phone('1011', backup, { registrar: registrarOf(backup, 'tcp'), tone: { frequencyHz: 1200 }, codecs: ['PCMA'] });

    await a.dial(`sip:1012@${DOMAIN}`);
    await a.waitForEvent('CALL_ESTABLISHED');
    const invite = await backup.waitForWire((r) => r.method === 'INVITE' && r.fromUser === '1011', 2_000);
    expect(invite.proto).toBe('tcp');
    expect(messages(b, /^INVITE /)[0]).toMatch(/^m=audio \d+ RTP\/AVP 8 /m);
    await delay(TALK_MS);
    await a.hangup();
    await b.waitForEvent('CALL_CLOSED');
    await expectTone((await onlyRecording(b)).received, 1200);
    await expectTone((await onlyRecording(a)).received, 700);
  });

  it('SRTP mandatory between two baresips: RTP/SAVP with a crypto line, audio both ways', async () => {
    const a = await phone('1021', primary, { srtp: 'mandatory', tone: { frequencyHz: 1000 } });
    const b = await phone('1022', primary, { srtp: 'mandatory', tone: { frequencyHz: 440 } });
    await a.dial(`sip:1022@${DOMAIN}`);
    await a.waitForEvent('CALL_ESTABLISHED');
    const menc = await b.waitForEvent('CALL_MENC', () => true, 3_000);
    expect(menc.param).toMatch(/AES_CM_128_HMAC_SHA1_80/);
    const offer = messages(b, /^INVITE /)[0] ?? '';
    expect(offer).toMatch(/^m=audio \d+ RTP\/SAVP /m);
    expect(offer).toMatch(/^a=crypto:\d+ AES_CM_128_HMAC_SHA1_80 inline:/m);
    await delay(TALK_MS);
    await a.hangup();
    await b.waitForEvent('CALL_CLOSED');
    await expectTone((await onlyRecording(b)).received, 1000);
    await expectTone((await onlyRecording(a)).received, 440);
  });

  it('TLS to Kamailio and SRTP optional: RTP/AVP offer with a crypto line, encrypted, audio both ways', async () => {
    const a = await phone('1023', primary, { registrar: registrarOf(primary, 'tls'), caCertPem: primary.caCertPem, srtp: 'optional', tone: { frequencyHz: 1000 } });
    const b = await phone('1024', primary, { srtp: 'optional', tone: { frequencyHz: 440 } });
    await a.dial(`sip:1024@${DOMAIN}`);
    await a.waitForEvent('CALL_ESTABLISHED');
    expect((await primary.waitForWire((r) => r.method === 'INVITE' && r.fromUser === '1023', 2_000)).proto).toBe('tls');
    const offer = messages(b, /^INVITE /)[0] ?? '';
    expect(offer).toMatch(/^m=audio \d+ RTP\/AVP /m);
    expect(offer).toMatch(/^a=crypto:\d+ AES_CM_128_HMAC_SHA1_80 inline:/m);
    expect((await b.waitForEvent('CALL_MENC', () => true, 3_000)).param).toMatch(/AES_CM_128_HMAC_SHA1_80/);
    await delay(TALK_MS);
    await b.hangup();
    await a.waitForEvent('CALL_CLOSED');
    await expectTone((await onlyRecording(b)).received, 1000);
    await expectTone((await onlyRecording(a)).received, 440);
  });

  it('a declined call ends 486 at the caller; an unknown user 404', async () => {
    const a = await phone('1031', primary, { record: false });
    const b = await phone('1032', primary, { answerMode: 'manual', record: false });
    await a.dial(`sip:1032@${DOMAIN}`);
    await b.waitForEvent('CALL_INCOMING');
    await a.waitForEvent('CALL_RINGING');
    await b.hangup();
    const declined = await a.waitForEvent('CALL_CLOSED');
    expect(declined.sipCode).toBe(486);

    const since = Date.now();
    await a.dial(`sip:1099@${DOMAIN}`);
    const unknown = await a.waitForEvent('CALL_CLOSED', () => true, 5_000, since);
    expect(unknown.sipCode).toBe(404);
  });

  it('a frozen far end sends no RTP until thawed; an abrupt stop sends no BYE', async () => {
    const a = await phone('1038', primary, { record: false });
    const b = await phone('1039', primary, { record: false });
    await a.dial(`sip:1039@${DOMAIN}`);
    await a.waitForEvent('CALL_ESTABLISHED');
    await eventually(async () => ((await a.rtpStats()).rxPackets > 5 ? true : undefined), 3_000, 'RTP at A');
    b.freeze();
    await delay(100);
    const frozen = await a.rtpStats();
    await delay(400);
    expect((await a.rtpStats()).rxPackets - frozen.rxPackets).toBeLessThanOrEqual(1);
    b.thaw();
    await eventually(async () => ((await a.rtpStats()).rxPackets - frozen.rxPackets >= 10 ? true : undefined), 3_000, 'RTP again after thaw');
    await b.stop({ abrupt: true });
    await delay(300);
    expect(messages(a, /^BYE /)).toHaveLength(0);
    expect(a.events('CALL_CLOSED')).toHaveLength(0);
  });

  it('a callee with maxCalls 1 in a call answers a second caller 486 (busy)', async () => {
    const b = await phone('1035', primary, { maxCalls: 1, record: false });
    const a = await phone('1036', primary, { record: false });
    const c = await phone('1037', primary, { record: false });
    await a.dial(`sip:1035@${DOMAIN}`);
    await b.waitForEvent('CALL_ESTABLISHED');
    await c.dial(`sip:1035@${DOMAIN}`);
    const busy = await c.waitForEvent('CALL_CLOSED');
    expect(busy.sipCode).toBe(486);
    expect(busy.param).toMatch(/Max Calls/);
    await a.hangup();
  });

  it('manual answer with accept(); a caller hanging up while it rings cancels (487)', async () => {
    const a = await phone('1033', primary, { record: false });
    const b = await phone('1034', primary, { answerMode: 'manual', record: false });
    await a.dial(`sip:1034@${DOMAIN}`);
    const incoming = await b.waitForEvent('CALL_INCOMING');
    expect(incoming.peeruri).toContain('sip:1033@');
    await b.accept();
    await a.waitForEvent('CALL_ESTABLISHED');
    await b.waitForEvent('CALL_ESTABLISHED');
    await a.hangup();
    await b.waitForEvent('CALL_CLOSED');

    const since = Date.now();
    await a.dial(`sip:1034@${DOMAIN}`);
    await b.waitForEvent('CALL_INCOMING', () => true, 5_000, since);
    await a.waitForEvent('CALL_RINGING', () => true, 5_000, since);
    await a.hangup();
    await b.waitForEvent('CALL_CLOSED', () => true, 5_000, since);
    await eventually(() => messages(a, /^SIP\/2\.0 487 /).find((m) => /^CSeq: \d+ INVITE/m.test(m)), 3_000, '487 to the INVITE at A');
    expect(messages(b, /^CANCEL /)).toHaveLength(1);
  });

  it('blind transfer: the transferee gets REFER and calls the third phone, which answers', async () => {
    const a = await phone('1041', primary, { tone: { frequencyHz: 1000 } });
    const b = await phone('1042', primary, { record: false });
    const c = await phone('1043', primary, { tone: { frequencyHz: 600 } });
    await a.dial(`sip:1042@${DOMAIN}`);
    await b.waitForEvent('CALL_ESTABLISHED');
    await b.transfer(`sip:1043@${DOMAIN}`);
    const transfer = await a.waitForEvent('TRANSFER');
    expect(transfer.param).toContain('sip:1043@');
    await c.waitForEvent('CALL_ESTABLISHED', (e) => (e.peeruri ?? '').includes('1041'));
    await b.waitForEvent('CALL_CLOSED');
    await delay(TALK_MS);
    await c.hangup();
    await a.waitForEvent('CALL_CLOSED', (e) => (e.peeruri ?? '').includes('1043'));
    await expectTone((await onlyRecording(c)).received, 1000);
  });
});

describe('linphonec far end', () => {
  let linphone: LinphoneInstance | undefined;
  afterEach(async () => {
    await linphone?.stop();
    linphone = undefined;
  });

  it('registers, auto-answers a baresip call, tones both ways, receives DTMF, hangs up', async () => {
    linphone = await startLinphone({
      name: 'lp1051',
      user: '1051',
      password: USERS['1051']!,
      registrar: { ip: primary.ip, port: primary.ports.udp, transport: 'udp' },
      domain: DOMAIN,
      tone: { frequencyHz: 800 },
      record: true,
    });
    expect((await primary.bindings('1051')).map((b) => b.userAgent)).toEqual([expect.stringMatching(/^Linphonec\/5\./)]);
    const a = await phone('1052', primary, { tone: { frequencyHz: 1000 } });
    await a.dial(`sip:1051@${DOMAIN}`);
    await a.waitForEvent('CALL_ESTABLISHED');
    await linphone.waitForOutput(/Call \d+ with sip:1052@\S+ connected/);
    await delay(TALK_MS / 2);
    await a.sendDtmf('42');
    await eventually(async () => ((await linphone!.dtmfReceived()).join('') === '42' ? true : undefined), 3_000, 'DTMF 42 at linphonec');
    await delay(TALK_MS / 2);
    linphone.hangup();
    await a.waitForEvent('CALL_CLOSED');
    await linphone.waitForOutput(/Call \d+ with sip:1052@\S+ ended/);
    // linphonec's BYE reached baresip through Kamailio.
    expect(messages(a, /^BYE /)).toHaveLength(1);
    // Its 200 to the INVITE names a GRUU as Contact (Kamailio granted one at REGISTER): in-dialog
    // requests TO linphonec need a cfg that resolves GRUUs (the stock one answers them 478).
    const log = await linphone.sipLog();
    expect(log.find((b) => b.startsWith('received from') && /\nINVITE sip:1051@/.test(b))).toBeDefined();
    const answer = log.find((b) => b.startsWith('sent to') && /\nSIP\/2\.0 200 /.test(b) && /\nCSeq: \d+ INVITE/i.test(b));
    expect(answer).toMatch(/\nContact: <sip:1051@trunkline\.test;gr=urn:uuid:/i);
    await expectTone((await onlyRecording(a)).received, 800);
    await delay(300);
    await expectTone(linphone.recordingPath, 1000);
  });
});

async function eventually<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`${what} not seen within ${timeoutMs} ms`);
    await delay(50);
  }
}
