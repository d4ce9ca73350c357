/**
 * WebRTC far end (line `calls.mediaMode: "webrtc"`): a JsSIP 3.13.8 page in Debian Chromium,
 * registered over WS to the harness Kamailio as 1050, with a fake microphone playing 440 Hz. A
 * Trunkline line over WS dials it through the CallManager with a 1 kHz tone and records; then the
 * page calls us and we answer. Asserted on the audio both ways: Chromium's AnalyserNode on the
 * remote track peaks near 1 kHz (its inbound-rtp counts PCMU over a connected DTLS transport), and our recording holds 440 Hz.
 * Media: ICE (host candidates on loopback) + DTLS-SRTP between Chromium and the media host's werift
 * leg, `UDP/TLS/RTP/SAVPF`, PCMU (we offer G.711 only).
 */
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MediaHostClient } from '../../main/media/media-host-client';
import { makeToneWav, toneMargin } from '../harness/audio';
import { startKamailio, type KamailioInstance } from '../harness/kamailio';
import { addRegisteredLine, callLine, connected, DOMAIN, ended, nextIncoming, startCallWorld, tone, USERS, waitForCall, type CallWorld } from './calls-fixture';
import { serverOf } from './engine-fixture';

const PAGE_USER = '1050';
const OUR_USER = '1051';
/** Let the tones run this long before hanging up. */
const TALK_MS = 2_500;

let kam: KamailioInstance;
let world: CallWorld;
let http: Server;
let browser: Browser;
let page: Page;
const setupFigures: string[] = [];

/** The page: JsSIP over WS, auto-answer with the fake microphone, an AnalyserNode on what it receives. */
const PAGE_HTML = `<!doctype html><meta charset="utf-8"><script src="/jssip.js"></script><script>
window.log = [];
window.startPhone = (wsUrl, uri, password) => new Promise((resolve, reject) => {
  const ua = new JsSIP.UA({ sockets: [new JsSIP.WebSocketInterface(wsUrl)], uri, password, register: true, session_timers: false });
  window.ua = ua;
  ua.on('registered', () => resolve(true));
  ua.on('registrationFailed', (e) => reject(new Error('registration failed: ' + e.cause)));
  ua.on('newRTCSession', (e) => {
    const session = e.session;
    window.session = session;
    session.on('peerconnection', (p) => watch(p.peerconnection));
    session.on('ended', (x) => window.log.push('ended ' + x.cause));
    session.on('failed', (x) => window.log.push('failed ' + x.cause));
    session.on('confirmed', () => window.log.push('confirmed'));
    session.on('hold', (x) => window.log.push('hold ' + x.originator));
    session.on('unhold', (x) => window.log.push('unhold ' + x.originator));
    if (e.originator === 'remote') {
      session.answer({ mediaConstraints: { audio: true, video: false }, pcConfig: { iceServers: [] } });
    } else {
      watch(session.connection);
    }
  });
  ua.start();
});
function watch(pc) {
  if (!pc || pc.__watched) return;
  pc.__watched = true;
  window.pc = pc;
  pc.addEventListener('track', (e) => {
    const stream = e.streams[0] || new MediaStream([e.track]);
    const audio = new Audio(); audio.muted = true; audio.srcObject = stream; audio.play().catch(() => {});
    const ctx = new AudioContext();
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 8192;
    ctx.createMediaStreamSource(stream).connect(analyser);
    window.analyser = analyser; window.audioCtx = ctx;
  });
}
window.call = (target) => {
  const session = window.ua.call(target, { mediaConstraints: { audio: true, video: false }, pcConfig: { iceServers: [] } });
  watch(session.connection);
  return true;
};
/** Resolves once the re-INVITE succeeded (JsSIP refuses a second re-offer while one is pending). */
window.hold = (on) => new Promise((resolve, reject) => {
  const started = on ? window.session.hold({}, () => resolve(true)) : window.session.unhold({}, () => resolve(true));
  if (!started) reject(new Error('JsSIP refused to ' + (on ? 'hold' : 'unhold')));
});
window.sendDtmf = (digits) => { window.session.sendDTMF(digits, { transportType: 'RFC2833', duration: 120, interToneGap: 120 }); return true; };
window.hangup = () => { if (window.session && !window.session.isEnded()) window.session.terminate(); return true; };
/** The strongest frequency bin of the remote audio now, and its level in dB. */
window.peak = () => {
  const a = window.analyser; if (!a) return null;
  const bins = new Float32Array(a.frequencyBinCount); a.getFloatFrequencyData(bins);
  let best = 0; for (let i = 1; i < bins.length; i++) if (bins[i] > bins[best]) best = i;
  return { hz: best * window.audioCtx.sampleRate / a.fftSize, db: bins[best], state: window.audioCtx.state };
};
window.inbound = async () => {
  if (!window.pc) return null;
  const out = {};
  (await window.pc.getStats()).forEach((r) => {
    if (r.type === 'inbound-rtp' && r.kind === 'audio') Object.assign(out, { packetsReceived: r.packetsReceived, totalAudioEnergy: r.totalAudioEnergy, codecId: r.codecId });
    if (r.type === 'codec') out['codec:' + r.id] = r.mimeType;
    if (r.type === 'transport') out.dtlsState = r.dtlsState;
    if (r.type === 'outbound-rtp' && r.kind === 'audio') out.packetsSent = r.packetsSent;
  });
  out.codec = out['codec:' + out.codecId];
  return out;
};
</script>`;

async function serve(): Promise<string> {
  const bundle = await build({ entryPoints: [join(process.cwd(), 'node_modules/jssip/lib/JsSIP.js')], bundle: true, format: 'iife', globalName: 'JsSIP', platform: 'browser', write: false, logLevel: 'silent' });
  const js = bundle.outputFiles[0]!.text;
  http = createServer((req, res) => {
    if (req.url === '/jssip.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
    } else {
      res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE_HTML);
    }
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const address = http.address();
  if (!address || typeof address === 'string') throw new Error('http server has no port');
  return `http://127.0.0.1:${address.port}/`;
}

/** The call manager's media host (to watch the webrtc leg's ICE + DTLS setup time). */
function mediaHostOf(w: CallWorld): MediaHostClient {
  return (w.calls as unknown as { host: MediaHostClient }).host;
}

async function waitInPage<T>(probe: () => Promise<T | null | undefined | false>, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > end) {
      const state = await page.evaluate(async () => {
        const w = globalThis as unknown as { log: string[]; inbound(): Promise<unknown>; peak(): unknown };
        return { log: w.log, inbound: await w.inbound(), peak: w.peak() };
      });
      throw new Error(`${what} not seen within ${timeoutMs} ms; page ${JSON.stringify(state)}; calls ${JSON.stringify([...world.snapshots.values()].map((c) => c.stats))}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Peak { hz: number; db: number; state: string }
interface Inbound { packetsSent?: number; packetsReceived?: number; totalAudioEnergy?: number; codec?: string; dtlsState?: string }

beforeAll(async () => {
  kam = await startKamailio({ name: 'calls-webrtc', users: USERS, domain: DOMAIN });
  world = await startCallWorld();
  mediaHostOf(world).on('webrtc-state', (e) => {
    if (e.state === 'connected') setupFigures.push(`${e.sinceRemoteSdpMs?.toFixed(0)} ms after the far end's SDP (${e.elapsedMs.toFixed(0)} ms after the leg was created)`);
  });
  const toneWav = join(world.dir, 'mic-440.wav');
  await makeToneWav(toneWav, { frequencyHz: 440, seconds: 30, sampleRate: 48_000, amplitude: 0.5 });
  const url = await serve();
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--allow-loopback-in-peer-connection',
      `--use-file-for-fake-audio-capture=${toneWav}`, '--autoplay-policy=no-user-gesture-required',
    ],
  });
  page = await browser.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') console.log(`[page] ${m.text()}`);
  });
  await page.goto(url);
  await page.evaluate(
    ([ws, uri, password]) => (globalThis as unknown as { startPhone(a: string, b: string, c: string): Promise<boolean> }).startPhone(ws!, uri!, password!),
    [`ws://${kam.ip}:${kam.ports.ws}`, `sip:${PAGE_USER}@${DOMAIN}`, USERS[PAGE_USER]!],
  );
  await addRegisteredLine(world, callLine('webrtc', OUR_USER, [serverOf(kam, 'ws')], { mediaMode: 'webrtc', codecs: ['PCMU', 'PCMA'] }));
}, 60_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await new Promise((resolve) => (http ? http.close(resolve) : resolve(undefined)));
  await world?.close();
  await kam?.stop();
  if (setupFigures.length) console.log(`webrtc leg ICE+DTLS connected: ${setupFigures.join('; ')}`);
});

async function expectPageHearsOurTone(): Promise<{ peak: Peak; inbound: Inbound }> {
  const inbound = await waitInPage(async () => {
    const s = await page.evaluate(() => (globalThis as unknown as { inbound(): Promise<Inbound | null> }).inbound());
    // (totalAudioEnergy stays 0 here: headless Chromium plays out nowhere; the analyser taps the track.)
    return s && (s.packetsReceived ?? 0) > 50 ? s : null;
  }, 10_000, 'inbound audio in the page');
  expect(inbound.codec).toMatch(/PCM[UA]/);
  expect(inbound.dtlsState).toBe('connected');
  const peak = await waitInPage(async () => {
    const p = await page.evaluate(() => (globalThis as unknown as { peak(): Peak | null }).peak());
    return p && p.db > -60 && Math.abs(p.hz - 1000) < 30 ? p : null;
  }, 5_000, 'a 1 kHz peak in the page');
  return { peak, inbound };
}

describe('WebRTC far end (ws, mediaMode webrtc)', () => {
  it('we dial the JsSIP page: ICE + DTLS-SRTP, our 1 kHz reaches Chromium, its 440 Hz is in our recording', async () => {
    const ours = join(world.dir, 'out.wav');
    const call = await world.calls.dial('webrtc', PAGE_USER, { source: tone(1000), recordPath: ours });
    await waitForCall(world, call.id, connected, 15_000, 'connected');
    const { peak, inbound } = await expectPageHearsOurTone();
    console.log(`outgoing: page peak ${peak.hz.toFixed(0)} Hz ${peak.db.toFixed(1)} dB, inbound ${JSON.stringify(inbound)}`);
    await new Promise((r) => setTimeout(r, TALK_MS));
    await world.calls.hangup(call.id);
    const end = await waitForCall(world, call.id, ended, 5_000, 'ended');
    expect(end.stats?.packetsReceived ?? 0).toBeGreaterThan(50);
    const margin = await toneMargin(ours, 440, { from: 0.5 });
    expect(margin.marginDb, JSON.stringify(margin)).toBeGreaterThan(30);
  }, 40_000);

  it('the JsSIP page dials us and we answer: audio both ways', async () => {
    const before = world.incoming.length;
    await page.evaluate((target) => (globalThis as unknown as { call(t: string): boolean }).call(target), `sip:${OUR_USER}@${DOMAIN}`);
    const incoming = await nextIncoming(world, 10_000, before);
    const ours = join(world.dir, 'in.wav');
    await world.calls.answer(incoming.id, { source: tone(1000), recordPath: ours });
    await waitForCall(world, incoming.id, connected, 15_000, 'connected');
    const { peak } = await expectPageHearsOurTone();
    console.log(`incoming: page peak ${peak.hz.toFixed(0)} Hz ${peak.db.toFixed(1)} dB`);
    await new Promise((r) => setTimeout(r, TALK_MS));
    await page.evaluate(() => (globalThis as unknown as { hangup(): boolean }).hangup());
    const end = await waitForCall(world, incoming.id, ended, 5_000, 'ended');
    expect(end.stats?.packetsReceived ?? 0).toBeGreaterThan(50);
    const margin = await toneMargin(ours, 440, { from: 0.5 });
    expect(margin.marginDb, JSON.stringify(margin)).toBeGreaterThan(30);
  }, 40_000);

  it('hold/resume both ways by re-INVITE and RFC 4733 DTMF both ways over the DTLS-SRTP leg', async () => {
    const call = await world.calls.dial('webrtc', PAGE_USER, { source: tone(1000) });
    await waitForCall(world, call.id, connected, 15_000, 'connected');
    await expectPageHearsOurTone();
    const inbound = (): Promise<Inbound | null> => page.evaluate(() => (globalThis as unknown as { inbound(): Promise<Inbound | null> }).inbound());
    const log = (): Promise<string[]> => page.evaluate(() => (globalThis as unknown as { log: string[] }).log);

    // DTMF from the page (RTCDTMFSender → RFC 4733 over SRTP) reaches us as call events.
    await page.evaluate(() => (globalThis as unknown as { sendDtmf(d: string): boolean }).sendDtmf('159'));
    const digits = async (): Promise<string> => world.events.filter((e) => e.call === call.id && e.event === 'dtmf').map((e) => (e as { digit?: string }).digit).join('');
    await waitInPage(async () => ((await digits()) === '159' ? true : null), 8_000, 'DTMF 159 from the page');

    // Ours go out as RFC 4733 on the same SRTP leg (Chromium does not surface received events: no error is the check).
    world.calls.sendDtmf(call.id, '2#');

    // Our hold: re-INVITE a=sendonly (JsSIP's mangling of the leg's re-offer); the page sees a remote hold.
    await world.calls.hold(call.id);
    await waitInPage(async () => ((await log()).includes('hold remote') ? true : null), 5_000, 'remote hold in the page');
    // Let the last RFC 4733 packets of "2#" (they still go out on hold) drain first.
    await new Promise((r) => setTimeout(r, 800));
    const onHold = (await inbound())!;
    await new Promise((r) => setTimeout(r, 1_000));
    const stillOnHold = (await inbound())!;
    // JsSIP disables the track on hold, so our audio stops (a 1 s window would hold ~50 packets).
    expect((stillOnHold.packetsReceived ?? 0) - (onHold.packetsReceived ?? 0)).toBeLessThan(3);

    await world.calls.resume(call.id);
    await waitInPage(async () => ((await log()).includes('unhold remote') ? true : null), 5_000, 'remote unhold in the page');
    await waitInPage(async () => {
      const now = await inbound();
      return now && (now.packetsReceived ?? 0) > (stillOnHold.packetsReceived ?? 0) + 25 ? now : null;
    }, 5_000, 'our audio again after resume');

    // The page holds (its re-INVITE a=sendonly through our werift leg): remote hold here, our answer recvonly.
    await page.evaluate(() => (globalThis as unknown as { hold(on: boolean): Promise<boolean> }).hold(true));
    const held = await waitForCall(world, call.id, (c) => c.state === 'held' && c.remoteHold, 5_000, 'remote hold');
    expect(held.localHold).toBe(false);
    await waitInPage(async () => ((await log()).includes('hold local') ? true : null), 5_000, 'the page on hold');
    await page.evaluate(() => (globalThis as unknown as { hold(on: boolean): Promise<boolean> }).hold(false));
    await waitForCall(world, call.id, (c) => c.state === 'connected' && !c.remoteHold, 5_000, 'resumed by the page');
    const resumed = (await inbound())!;
    await waitInPage(async () => {
      const now = await inbound();
      return now && (now.packetsReceived ?? 0) > (resumed.packetsReceived ?? 0) + 25 ? now : null;
    }, 5_000, 'our audio after the page resumed');
    await world.calls.hangup(call.id);
    const end = await waitForCall(world, call.id, ended, 5_000, 'ended');
    // Re-INVITEs renegotiate the werift leg: every packet must still reach the session once (no duplicates).
    expect(end.stats?.packetsLost ?? 0).toBeGreaterThanOrEqual(0);
  }, 40_000);

  it('RTP inactivity as on rtp lines: the page drops its peer connection → BYE with the reason after rtpTimeout', async () => {
    await addRegisteredLine(world, callLine('webrtc-quiet', '1052', [serverOf(kam, 'ws')], { mediaMode: 'webrtc', rtpTimeout: 5 }));
    const call = await world.calls.dial('webrtc-quiet', PAGE_USER, { source: tone(1000) });
    await waitForCall(world, call.id, connected, 15_000, 'connected');
    await expectPageHearsOurTone();
    await page.evaluate(() => (globalThis as unknown as { pc: { close(): void } }).pc.close());
    const end = await waitForCall(world, call.id, ended, 12_000, 'ended by inactivity');
    expect(end.code).toBe(408);
    expect(end.reason).toMatch(/no RTP for 5 s/);
  }, 40_000);
});
