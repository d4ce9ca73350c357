/**
 * The audio bus's figures for `npm run bench:renderer` (printed, never asserted): how much latency
 * the bus adds, and how busy a call keeps the renderer's main thread.
 *
 * Method. One AudioContext in a headless Chromium page makes 1 kHz bursts (100 ms, one a second)
 * into a MediaStream track, and an AudioWorklet on the same clock timestamps the first loud sample
 * of each burst coming back, so "sent" and "heard" read the same clock and every buffer between
 * the context and WebRTC counts the same in both paths:
 *
 * - baseline: two RTCPeerConnections in the page (PCMU, 20 ms), A → B, one way: one Chromium
 *   encoder, one NetEQ;
 * - bus: the page's bus leg to a real media host (werift) → relay → the call's trunk leg → a UDP
 *   echo far end on 127.0.0.1 → trunk leg → relay → bus → the page: also one encoder and one NetEQ,
 *   plus both relay hops and the host's event loop each way.
 *
 * So bus − baseline is what the bus adds over both directions; each way is half of it (the two
 * directions are the same code). The main-thread share is CDP TaskDuration over a window while the
 * bus call plays through an `<audio>` element (as in the app) with nothing else on the page.
 */
import type { AddressInfo } from 'node:net';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:http';
import type { Browser, CDPSession } from '@playwright/test';
import { MediaHostClient } from '../main/media/media-host-client';

export interface AudioBusFigures {
  /** One-way page → page through two RTCPeerConnections, ms (median, p90). */
  baselineMs: { median: number; p90: number; n: number };
  /** Round trip page → bus → trunk echo → bus → page, ms. */
  busRoundTripMs: { median: number; p90: number; n: number };
  /** (bus − baseline) / 2 per burst, ms: what the bus adds each way. */
  addedEachWayMs: { median: number; p90: number; n: number };
  /** NetEQ's mean jitter-buffer delay (inbound-rtp jitterBufferDelay / emitted), ms. */
  jitterBufferMs: { baseline: number | null; bus: number | null };
  /** RFC 3550 interarrival jitter as Chromium measured it, ms. */
  arrivalJitterMs: { baseline: number | null; bus: number | null };
  /** Main thread busy share (0–1) during a bus call. */
  mainThreadBusy: number;
}

// In-page code is passed as text: tsx names functions with a helper that does not exist in the page.
const PAGE_SETUP = `(async () => {
  const context = new AudioContext({ latencyHint: 'interactive' });
  const worklet = \`registerProcessor('onset', class extends AudioWorkletProcessor {
    constructor() { super(); this.armed = true; this.quiet = 0; }
    process(inputs) {
      const ch = inputs[0] && inputs[0][0];
      if (!ch) return true;
      for (let i = 0; i < ch.length; i++) {
        const loud = Math.abs(ch[i]) > 0.1;
        if (loud && this.armed) { this.port.postMessage(currentTime + i / sampleRate); this.armed = false; this.quiet = 0; }
        if (!loud) { this.quiet++; if (this.quiet > sampleRate * 0.3) this.armed = true; } else this.quiet = 0;
      }
      return true;
    }
  });\`;
  await context.audioWorklet.addModule(URL.createObjectURL(new Blob([worklet], { type: 'application/javascript' })));
  const oscillator = context.createOscillator();
  oscillator.frequency.value = 1000;
  const gate = context.createGain();
  gate.gain.value = 0;
  const out = context.createMediaStreamDestination();
  oscillator.connect(gate).connect(out);
  oscillator.start();
  const onsets = { baseline: [], bus: [] };
  const bursts = [];
  const w = window;
  w.bench = {
    context, track: out.stream.getAudioTracks()[0], onsets, bursts,
    listen(track, tag) {
      const node = new AudioWorkletNode(context, 'onset');
      node.port.onmessage = (e) => onsets[tag].push(e.data);
      context.createMediaStreamSource(new MediaStream([track])).connect(node);
      // An AudioWorklet only runs when pulled: keep it connected to a silent sink.
      const mute = context.createGain();
      mute.gain.value = 0;
      node.connect(mute).connect(context.destination);
    },
    async bursts_(count) {
      onsets.baseline.length = 0;
      onsets.bus.length = 0;
      bursts.length = 0;
      const t0 = context.currentTime + 0.2;
      for (let i = 0; i < count; i++) {
        const at = t0 + i;
        gate.gain.setValueAtTime(0.5, at);
        gate.gain.setValueAtTime(0, at + 0.1);
        bursts.push(at);
      }
      await new Promise((r) => setTimeout(r, (count + 1.5) * 1000));
      // Pair each burst with the first onset after it on each path (within 800 ms).
      const after = (list, b) => { const o = list.find((x) => x >= b && x - b < 0.8); return o === undefined ? null : (o - b) * 1000; };
      return bursts.map((b) => ({ baseline: after(onsets.baseline, b), bus: after(onsets.bus, b) }));
    },
    pcmu(transceiver) {
      const codecs = RTCRtpReceiver.getCapabilities('audio').codecs.filter((c) => /pcmu|telephone-event/i.test(c.mimeType) && c.clockRate === 8000);
      transceiver.setCodecPreferences(codecs);
    },
    async gathered(pc) {
      if (pc.iceGatheringState === 'complete') return;
      await new Promise((r) => pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && r()));
    },
  };
  await context.resume();
})()`;

// Both paths listen to the same bursts at once: on a loaded machine only paired differences mean anything.
const BASELINE_OPEN = `(async () => {
  const b = window.bench;
  const a = new RTCPeerConnection();
  const z = new RTCPeerConnection();
  a.onicecandidate = (e) => e.candidate && z.addIceCandidate(e.candidate);
  z.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
  const heard = new Promise((r) => (z.ontrack = (e) => r(e.track)));
  b.pcmu(a.addTransceiver(b.track, { direction: 'sendonly' }));
  await a.setLocalDescription(await a.createOffer());
  await z.setRemoteDescription(a.localDescription);
  await z.setLocalDescription(await z.createAnswer());
  await a.setRemoteDescription(z.localDescription);
  const track = await heard;
  // Play it as the app would, so NetEQ is pulled by a real sink.
  const el = new Audio(); el.srcObject = new MediaStream([track]); el.muted = true; void el.play();
  b.listen(track, 'baseline');
  b.baseline = { a, z };
})()`;

const BUS_OPEN = `(async () => {
  const b = window.bench;
  const pc = new RTCPeerConnection();
  b.pc = pc;
  const transceiver = pc.addTransceiver(b.track, { direction: 'sendrecv' });
  b.pcmu(transceiver);
  const heard = new Promise((r) => (pc.ontrack = (e) => r(e.track)));
  await pc.setLocalDescription(await pc.createOffer());
  await b.gathered(pc);
  const answer = await window.busOpen(pc.localDescription.sdp);
  await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
  b.heard = heard;
  return answer.mid ?? transceiver.mid;
})()`;

const MEASURE = `(async () => {
  const b = window.bench;
  const track = await b.heard;
  const el = new Audio(); el.srcObject = new MediaStream([track]); el.muted = true; void el.play();
  b.listen(track, 'bus');
  await new Promise((r) => setTimeout(r, 1500));
  const pairs = await b.bursts_(COUNT);
  const stats = async (pc) => {
    let jb = null, jitter = null;
    (await pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio' && s.jitterBufferEmittedCount > 0) { jb = (s.jitterBufferDelay / s.jitterBufferEmittedCount) * 1000; jitter = s.jitter * 1000; }
    });
    return { jb, jitter };
  };
  const result = { pairs, baseline: await stats(b.baseline.z), bus: await stats(b.pc) };
  b.baseline.a.close(); b.baseline.z.close();
  return result;
})()`;

function summary(values: number[]): { median: number; p90: number; n: number } {
  const sorted = [...values].sort((x, y) => x - y);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { median: at(0.5), p90: at(0.9), n: sorted.length };
}

async function busy(cdp: CDPSession, seconds: number): Promise<number> {
  const read = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  const a = await read();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const b = await read();
  return (b.TaskDuration! - a.TaskDuration!) / (b.Timestamp! - a.Timestamp!);
}

/** Runs both measurements in a fresh page of `browser` (launched with --allow-loopback-in-peer-connection). */
export async function benchAudioBus(browser: Browser, options: { bursts?: number; busySeconds?: number; echoInHost?: boolean } = {}): Promise<AudioBusFigures> {
  const count = options.bursts ?? 10;
  const host = await MediaHostClient.start();
  const echo = createSocket('udp4');
  echo.on('message', (msg, rinfo) => echo.send(msg, rinfo.port, rinfo.address)); // a loopback echo far end
  await new Promise<void>((resolve) => echo.bind(0, '127.0.0.1', resolve));
  // AudioWorklet needs a secure context: http://127.0.0.1 is one, about:blank is not.
  const server = createServer((_request, response) => response.end('<!doctype html><title>audio bus bench</title>'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const page = await browser.newPage();
  try {
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await page.evaluate(PAGE_SETUP);
    await page.evaluate(BASELINE_OPEN);

    const session = 'bench-call';
    const { rtpPort } = await host.open({ session, localAddress: '127.0.0.1', portMin: 44000, portMax: 44999 });
    // The echo far end: with --echo-in-host the trunk leg sends to its own port (no other process in
    // the path), else to a UDP reflector in this (busy, Playwright-driving) process.
    const echoPort = options.echoInHost ? rtpPort : (echo.address() as AddressInfo).port;
    await host.configure({
      session, remoteAddress: '127.0.0.1', remoteRtpPort: echoPort, codec: 'PCMU', payloadType: 0,
      telephoneEventPayloadType: 101, direction: 'sendrecv', inactivityTimeoutMs: 0,
    });
    await page.exposeFunction('busOpen', async (sdp: string) => {
      const { sdpAnswer, mids } = await host.openBus('bench', sdp);
      return { sdp: sdpAnswer, mid: mids[0] };
    });
    const mid = (await page.evaluate(BUS_OPEN)) as string;
    await host.setSource(session, { kind: 'bus', bus: 'bench', mid });
    type Stats = { jb: number | null; jitter: number | null };
    const run = (await page.evaluate(MEASURE.replace('COUNT', String(count)))) as { pairs: { baseline: number | null; bus: number | null }[]; baseline: Stats; bus: Stats };
    const both = run.pairs.filter((p): p is { baseline: number; bus: number } => p.baseline !== null && p.bus !== null);

    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable', { timeDomain: 'timeTicks' });
    const mainThreadBusy = await busy(cdp, options.busySeconds ?? 10);

    return {
      baselineMs: summary(both.map((p) => p.baseline)),
      busRoundTripMs: summary(both.map((p) => p.bus)),
      addedEachWayMs: summary(both.map((p) => (p.bus - p.baseline) / 2)),
      jitterBufferMs: { baseline: run.baseline.jb, bus: run.bus.jb },
      arrivalJitterMs: { baseline: run.baseline.jitter, bus: run.bus.jitter },
      mainThreadBusy,
    };
  } finally {
    await page.close();
    server.close();
    echo.close();
    await host.stop();
  }
}

/** Transit percentiles, ms. */
export interface TransitFigures {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  n: number;
}

/**
 * The relay hop alone, without Chromium or NetEQ: a werift peer in this process plays the renderer,
 * a UDP socket the trunk's far end; each packet carries its send time (performance.now()) in its
 * payload, so transit = arrival − send through the media host (SRTP both ends, relay, renumbering).
 * 20 ms pacing, `packets` each way at once.
 */
export async function benchRelayHop(packets = 250): Promise<{ busToTrunk: TransitFigures; trunkToBus: TransitFigures }> {
  const { RTCPeerConnection, RTCRtpCodecParameters, RtpHeader, RtpPacket } = await import('werift');
  const host = await MediaHostClient.start({ requestTimeoutMs: 10_000 });
  const pc = new RTCPeerConnection({
    codecs: { audio: [new RTCRtpCodecParameters({ mimeType: 'audio/PCMU', clockRate: 8000, channels: 1, payloadType: 0 })], video: [] },
    iceAdditionalHostAddresses: ['127.0.0.1'],
    iceInterfaceAddresses: { udp4: '127.0.0.1' },
    iceUseIpv6: false,
  });
  const far = createSocket('udp4');
  const up: number[] = [];
  const down: number[] = [];
  try {
    pc.onTrack.subscribe((track) => track.onReceiveRtp.subscribe((p) => down.push(performance.now() - p.payload.readDoubleBE(0))));
    const transceiver = pc.addTransceiver('audio', { direction: 'sendrecv' });
    await pc.setLocalDescription(await pc.createOffer());
    while (pc.iceGatheringState !== 'complete') await new Promise((r) => setTimeout(r, 10));
    const { sdpAnswer, mids } = await host.openBus('hop', pc.localDescription!.sdp);
    await pc.setRemoteDescription({ type: 'answer', sdp: sdpAnswer });
    for (let i = 0; i < 500 && pc.connectionState !== 'connected'; i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise<void>((resolve) => far.bind(0, '127.0.0.1', resolve));
    far.on('message', (msg) => {
      if (msg[1]! >= 192 && msg[1]! <= 223) return; // RTCP
      if (msg.length >= 20) up.push(performance.now() - msg.readDoubleBE(12));
    });
    const { rtpPort } = await host.open({ session: 'hop', localAddress: '127.0.0.1', portMin: 45000, portMax: 45999 });
    await host.setSource('hop', { kind: 'bus', bus: 'hop', mid: mids[0]! });
    await host.configure({ session: 'hop', remoteAddress: '127.0.0.1', remoteRtpPort: (far.address() as AddressInfo).port, codec: 'PCMU', payloadType: 0, telephoneEventPayloadType: null, direction: 'sendrecv', inactivityTimeoutMs: 0 });
    for (let i = 0; i < packets; i++) {
      const a = Buffer.alloc(160);
      a.writeDoubleBE(performance.now(), 0);
      await transceiver.sender.sendRtp(new RtpPacket(new RtpHeader({ payloadType: 0, sequenceNumber: i, timestamp: i * 160, ssrc: 1 }), a));
      const b = Buffer.alloc(160);
      b.writeDoubleBE(performance.now(), 0);
      far.send(new RtpPacket(new RtpHeader({ payloadType: 0, sequenceNumber: i, timestamp: i * 160, ssrc: 9 }), b).serialize(), rtpPort, '127.0.0.1');
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    await pc.close();
    far.close();
    await host.stop();
  }
  const figures = (values: number[]): TransitFigures => {
    const x = [...values].sort((m, n) => m - n);
    const at = (q: number) => x[Math.min(x.length - 1, Math.floor(q * x.length))] ?? Number.NaN;
    return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: x.at(-1) ?? Number.NaN, n: x.length };
  };
  return { busToTrunk: figures(up), trunkToBus: figures(down) };
}
