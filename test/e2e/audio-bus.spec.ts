// End-to-end: the audio bus in real Chromium, through the development host, against the real
// engine (CallManager + media host relay), a real Kamailio and a real baresip far end. The page's
// microphone is Chromium's fake device playing a 1 kHz tone made with sox; baresip sends 440 Hz and
// records what it gets. Asserted: what baresip recorded and counted, and what the page received.
//
// The AudioBus class is bundled from renderer/src/audio/audio-bus.ts and evaluated in the page
// (the phone UI wires it in its own specs); it talks to main only through `window.trunkline`.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, test } from '@playwright/test';
import { buildSync } from 'esbuild';
import type { DevHost } from '../../main/devhost/dev-host';
import { startDevHost } from '../../main/devhost/dev-host';
import type { BaresipInstance } from '../harness/baresip';
import { startBaresip } from '../harness/baresip';
import { toneMargin } from '../harness/audio';
import type { KamailioInstance } from '../harness/kamailio';
import { pickLoopbackIp, startKamailio } from '../harness/kamailio';
import { account, DOMAIN, lineConfig, serverOf, USERS } from '../integration/engine-fixture';
import { openApp } from './app-page';

// The page's globals, for the functions evaluated there (test code compiles without the DOM lib;
// declared here, module-local, so nothing leaks into the Node-side types).
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const window: any;
declare const document: any;
declare const AudioContext: any;
declare const navigator: any;
declare const Event: any;
type HTMLAudioElement = any;
type MediaDeviceInfo = { deviceId: string; label: string };
/* eslint-enable @typescript-eslint/no-explicit-any */

// The fake microphone: 1 kHz, 48 kHz mono, looped by Chromium.
const WAV_DIR = resolve('.tmp/e2e-audio');
mkdirSync(WAV_DIR, { recursive: true });
const MIC_WAV = join(WAV_DIR, `mic-1khz-${process.pid}.wav`);
execFileSync('sox', ['-n', '-r', '48000', '-c', '1', '-b', '16', MIC_WAV, 'synth', '10', 'sine', '1000', 'vol', '0.5']);

test.use({
  launchOptions: {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', '--allow-loopback-in-peer-connection',
      '--autoplay-policy=no-user-gesture-required', `--use-file-for-fake-audio-capture=${MIC_WAV}`,
    ],
  },
});

const BUNDLE = buildSync({
  entryPoints: ['renderer/src/audio/audio-bus.ts'],
  bundle: true,
  format: 'iife',
  globalName: 'TrunklineAudio',
  target: 'chrome120',
  write: false,
}).outputFiles[0]!.text;

const LINE = 'bus';
const ME = '1081';

let kamailio: KamailioInstance;
let host: DevHost;
let dataDir: string;
const phones: BaresipInstance[] = [];

test.beforeAll(async () => {
  kamailio = await startKamailio({ name: 'e2e-bus', users: USERS, domain: DOMAIN, ip: await pickLoopbackIp() });
  dataDir = mkdtempSync(join(tmpdir(), 'tl-e2e-bus-'));
  host = await startDevHost({
    dataDir,
    lines: [lineConfig({ id: LINE, name: 'Bus line', ...account(ME), servers: [serverOf(kamailio)], calls: { rtpPortMin: 43000, rtpPortMax: 43999 }, liveness: { interval: 0 } })],
  });
});

test.afterEach(async () => {
  await Promise.all(phones.splice(0).map((p) => p.stop()));
});

test.afterAll(async () => {
  await host?.stop();
  await kamailio?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  rmSync(MIC_WAV, { force: true });
});

async function farEnd(user: string): Promise<BaresipInstance> {
  const phone = await startBaresip({
    name: `bus${user}`,
    user,
    password: USERS[user]!,
    registrar: { ip: kamailio.ip, port: kamailio.ports.udp, transport: 'udp' },
    domain: DOMAIN,
    answerMode: 'auto',
    tone: { frequencyHz: 440 },
    record: true,
  });
  phones.push(phone);
  await phone.registered();
  return phone;
}

/** Opens the app page, loads the AudioBus bundle and opens the bus (window.bus). */
async function openBus(page: Page): Promise<void> {
  await openApp(page, host);
  await page.evaluate(BUNDLE);
  await page.evaluate(async () => {
    const w = window as unknown as { bus: { open(): Promise<void> }; TrunklineAudio: { AudioBus: new (api: unknown) => { open(): Promise<void> } }; trunkline: unknown };
    w.bus = new w.TrunklineAudio.AudioBus(w.trunkline);
    await w.bus.open();
  });
}

async function registered(page: Page): Promise<void> {
  await expect.poll(async () => page.evaluate(async (line) => {
    const r = await (window as unknown as { trunkline: { listLines(): Promise<{ ok: boolean; value: { config: { id: string }; snapshot: { state: string } }[] }> } }).trunkline.listLines();
    return r.ok ? r.value.find((l) => l.config.id === line)?.snapshot.state : undefined;
  }, LINE), { timeout: 15_000 }).toBe('registered');
}

async function dial(page: Page, to: string): Promise<string> {
  return page.evaluate(async ({ line, to }) => {
    const r = await (window as unknown as { trunkline: { dial(l: string, t: string): Promise<{ ok: boolean; value: { id: string }; error: { message: string } }> } }).trunkline.dial(line, to);
    if (!r.ok) throw new Error(r.error.message);
    return r.value.id;
  }, { line: LINE, to });
}

/** The dominant frequency (Hz) of the far end's audio as the page receives it, from an AnalyserNode on the bus's remote track. */
async function receivedPeakHz(page: Page, callId: string): Promise<{ peakHz: number; level: number | null }> {
  return page.evaluate(async (id) => {
    const w = window as unknown as { bus: { calls: ReadonlyMap<string, string>; receivedLevel(id: string): Promise<number | null> } };
    const mid = w.bus.calls.get(id);
    const element = document.querySelector(`audio[data-bus-track="${mid}"]`) as HTMLAudioElement | null;
    const stream: unknown = element?.srcObject ?? null;
    if (!stream) return { peakHz: -1, level: null };
    const context = new AudioContext();
    const analyser = context.createAnalyser();
    analyser.fftSize = 8192;
    context.createMediaStreamSource(stream).connect(analyser);
    await new Promise((r) => setTimeout(r, 700));
    const bins = new Float32Array(analyser.frequencyBinCount as number);
    analyser.getFloatFrequencyData(bins);
    let best = 0;
    for (let i = 1; i < bins.length; i++) if (bins[i]! > bins[best]!) best = i;
    const peakHz = (best * context.sampleRate) / analyser.fftSize;
    await context.close();
    return { peakHz, level: await w.bus.receivedLevel(id) };
  }, callId);
}

test('a call from the page: the far end records the page\'s 1 kHz, the page hears its 440 Hz; mute silences us at the far end; RTCDTMFSender digits arrive', async ({ page }) => {
  const callee = await farEnd('1082');
  await openBus(page);
  await registered(page);
  const callId = await dial(page, '1082');
  await callee.waitForEvent('CALL_ESTABLISHED', undefined, 15_000);
  // The call took a bus transceiver (media:bus-track).
  await expect.poll(() => page.evaluate((id) => (window as unknown as { bus: { calls: ReadonlyMap<string, string> } }).bus.calls.get(id) ?? null, callId)).not.toBeNull();

  // The page receives baresip's 440 Hz through NetEQ.
  await expect.poll(async () => (await receivedPeakHz(page, callId)).peakHz, { timeout: 10_000 }).toBeGreaterThan(400);
  const heard = await receivedPeakHz(page, callId);
  expect(Math.abs(heard.peakHz - 440)).toBeLessThan(30);
  expect(heard.level).toBeGreaterThan(0.01);

  // Mute (the call's, in the media host): baresip's received-packet count stops moving.
  await page.waitForTimeout(1_500);
  await page.evaluate((id) => (window as unknown as { trunkline: { muteCall(id: string, m: boolean): Promise<unknown> } }).trunkline.muteCall(id, true), callId);
  // Packets already in flight when mute took effect may still land: sample after they have.
  await page.waitForTimeout(1_000);
  const mutedFrom = (await callee.rtpStats()).rxPackets;
  await page.waitForTimeout(1_500);
  const mutedTo = (await callee.rtpStats()).rxPackets;
  expect(mutedTo - mutedFrom).toBeLessThanOrEqual(1);
  await page.evaluate((id) => (window as unknown as { trunkline: { muteCall(id: string, m: boolean): Promise<unknown> } }).trunkline.muteCall(id, false), callId);
  await expect.poll(async () => (await callee.rtpStats()).rxPackets, { timeout: 10_000 }).toBeGreaterThan(mutedTo + 20);

  // DTMF through the bus's RTCDTMFSender, mapped onto the trunk as RFC 4733.
  const since = Date.now();
  const sent = await page.evaluate((id) => (window as unknown as { bus: { sendDtmf(id: string, d: string): Promise<boolean> } }).bus.sendDtmf(id, '159'), callId);
  expect(sent).toBe(true);
  for (const digit of ['1', '5', '9']) await callee.waitForEvent('CALL_DTMF_START', (e) => e.param === digit, 10_000, since);
  expect(callee.events('CALL_DTMF_START').filter((e) => e.time >= since).map((e) => e.param)).toEqual(['1', '5', '9']);

  await page.waitForTimeout(1_000);
  await page.evaluate((id) => (window as unknown as { trunkline: { hangUp(id: string): Promise<unknown> } }).trunkline.hangUp(id), callId);
  await callee.waitForEvent('CALL_CLOSED');
  await callee.stop({ keepFiles: true });
  const recording = (await callee.recordings()).at(-1);
  expect(recording?.received).toBeTruthy();
  // What baresip received is the page's microphone: 1 kHz well above the rest.
  const margin = await toneMargin(recording!.received!, 1000, { from: 0.5, seconds: 1.5 });
  expect(margin.marginDb).toBeGreaterThan(20);
  rmSync(callee.dir, { recursive: true, force: true });
});

test('an incoming call answered from the page has audio both ways through the bus', async ({ page }) => {
  const caller = await startBaresip({
    name: 'bus1083',
    user: '1083',
    password: USERS['1083']!,
    registrar: { ip: kamailio.ip, port: kamailio.ports.udp, transport: 'udp' },
    domain: DOMAIN,
    answerMode: 'manual',
    tone: { frequencyHz: 440 },
    record: true,
  });
  phones.push(caller);
  await caller.registered();
  await openBus(page);
  await registered(page);
  await caller.dial(`sip:${ME}@${DOMAIN}`);
  let ringing: string | null = null;
  await expect.poll(async () => (ringing = await page.evaluate(async () => {
    const r = await window.trunkline.listCalls();
    return (r.ok ? r.value.find((c: { direction: string; state: string; id: string }) => c.direction === 'incoming' && c.state === 'ringing')?.id : null) ?? null;
  })), { timeout: 15_000 }).not.toBeNull();
  const callId = ringing!;
  const answered = await page.evaluate((id) => window.trunkline.answerCall(id), callId);
  expect(answered.ok).toBe(true);
  await caller.waitForEvent('CALL_ESTABLISHED', undefined, 15_000);
  await expect.poll(async () => (await receivedPeakHz(page, callId)).peakHz, { timeout: 10_000 }).toBeGreaterThan(400);
  expect(Math.abs((await receivedPeakHz(page, callId)).peakHz - 440)).toBeLessThan(30);
  await page.waitForTimeout(2_500);
  await page.evaluate((id) => window.trunkline.hangUp(id), callId);
  await caller.waitForEvent('CALL_CLOSED');
  await caller.stop({ keepFiles: true });
  const recording = (await caller.recordings()).at(-1);
  expect(recording?.received).toBeTruthy();
  expect((await toneMargin(recording!.received!, 1000, { from: 0.5, seconds: 1.5 })).marginDb).toBeGreaterThan(20);
  rmSync(caller.dir, { recursive: true, force: true });
});

test('device pickers list Chromium\'s fake devices; the chosen output is applied with setSinkId', async ({ page }) => {
  await openBus(page);
  const devices = await page.evaluate(async () => {
    const w = window as unknown as { bus: { listDevices(): Promise<{ inputs: MediaDeviceInfo[]; outputs: MediaDeviceInfo[] }> } };
    const { inputs, outputs } = await w.bus.listDevices();
    return { inputs: inputs.map((d) => ({ id: d.deviceId, label: d.label })), outputs: outputs.map((d) => ({ id: d.deviceId, label: d.label })) };
  });
  expect(devices.inputs.length).toBeGreaterThanOrEqual(2);
  expect(devices.outputs.length).toBeGreaterThanOrEqual(2);
  expect(devices.inputs.every((d) => d.label.length > 0)).toBe(true); // labels: the permission was given
  const chosen = devices.outputs.find((d) => d.id !== 'default')!;
  const sinks = await page.evaluate(async (id) => {
    const w = window as unknown as { bus: { setOutput(id: string | null): Promise<void>; devices: { output: string | null } } };
    await w.bus.setOutput(id);
    return { chosen: w.bus.devices.output, elements: ([...document.querySelectorAll('audio[data-bus-track]')] as HTMLAudioElement[]).map((a) => a.sinkId as string) };
  }, chosen.id);
  expect(sinks.chosen).toBe(chosen.id);
  expect(sinks.elements.length).toBeGreaterThan(0);
  expect(sinks.elements.every((s) => s === chosen.id)).toBe(true);
  // A new input device is switched in without renegotiation.
  const input = devices.inputs.find((d) => d.id !== 'default')!;
  const level = await page.evaluate(async (id) => {
    const w = window as unknown as { bus: { setInput(id: string | null): Promise<void>; inputLevel(): number; devices: { input: string | null } } };
    await w.bus.setInput(id);
    await new Promise((r) => setTimeout(r, 300));
    return { input: w.bus.devices.input, level: w.bus.inputLevel() };
  }, input.id);
  expect(level.input).toBe(input.id);
  expect(level.level).toBeGreaterThanOrEqual(0);
});

test('a chosen device that disappears falls back to the default and the person is told; a device that cannot be used is refused', async ({ page }) => {
  await openApp(page, host);
  await page.evaluate(BUNDLE);
  const result = await page.evaluate(async () => {
    window.notices = [];
    window.bus = new window.TrunklineAudio.AudioBus(window.trunkline, { onNotice: (m: string) => window.notices.push(m), ringerDevice: 'unplugged-ringer' });
    await window.bus.open();
    let refused = '';
    try {
      await window.bus.setOutput('no-such-speaker');
    } catch (error) {
      refused = (error as Error).name;
    }
    const outputAfterRefusal = window.bus.devices.output;
    // Chromium fires devicechange when the OS device list changes; the fake devices never change, so fire it as the OS would.
    navigator.mediaDevices.dispatchEvent(new Event('devicechange'));
    return { refused, outputAfterRefusal };
  });
  expect(result.refused).toBe('NotFoundError');
  expect(result.outputAfterRefusal).toBeNull();
  // enumerateDevices takes a few hundred ms on a loaded machine.
  await expect.poll(() => page.evaluate(() => window.notices.length as number)).toBe(1);
  expect(await page.evaluate(() => ({ devices: window.bus.devices, notices: window.notices }))).toEqual({
    devices: { input: null, output: null, ringer: null },
    notices: ['The ringer device was disconnected; ringing on the default speaker.'],
  });
});
