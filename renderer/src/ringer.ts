/**
 * The ringer: tones generated with Web Audio (no file, so the CSP needs no `media-src`), played on
 * the ringer device chosen in the phone settings (`AudioContext.setSinkId`, where the browser has
 * it; else the default output). DOM only; PhoneState decides when to ring.
 *
 * - loud: the ring cadence, 440 + 480 Hz, 2 s on / 4 s off (ITU-T E.180 Supplement 2, "ringing tone" of
 *   North America), scheduled on the audio clock for a few minutes ahead, so no timer runs per cycle;
 * - soft: call waiting, one quiet 440 Hz pip of 300 ms every 6 s (ITU-T E.180 §7 call-waiting tone);
 * - beep: one 200 ms 1 kHz beep (a call was answered by itself).
 */
import type { RingKind, Ringer } from './state/phone.svelte';

/** How far ahead the cadence is scheduled (s): longer than any server lets an INVITE ring. */
const AHEAD_S = 300;

interface SinkableContext extends AudioContext {
  setSinkId?(id: string): Promise<void>;
}

export class WebAudioRinger implements Ringer {
  #context: SinkableContext | null = null;
  #nodes: AudioScheduledSourceNode[] = [];

  play(kind: RingKind, deviceId: string | null): void {
    this.stop();
    let context: SinkableContext;
    try {
      context = new AudioContext({ latencyHint: 'playback' }) as SinkableContext;
    } catch {
      return;
    }
    this.#context = context;
    if (deviceId && context.setSinkId) context.setSinkId(deviceId).catch(() => {});
    void context.resume().catch(() => {});
    const gain = context.createGain();
    gain.gain.value = 0;
    gain.connect(context.destination);
    const start = context.currentTime + 0.05;
    const tones = kind === 'loud' ? [440, 480] : kind === 'soft' ? [440] : [1000];
    const level = kind === 'loud' ? 0.12 : kind === 'soft' ? 0.05 : 0.1;
    const pattern = kind === 'loud' ? { on: 2, period: 6 } : kind === 'soft' ? { on: 0.3, period: 6 } : { on: 0.2, period: AHEAD_S };
    for (let t = 0; t < AHEAD_S; t += pattern.period) {
      gain.gain.setValueAtTime(level, start + t);
      gain.gain.setValueAtTime(0, start + t + pattern.on);
    }
    for (const frequency of tones) {
      const oscillator = context.createOscillator();
      oscillator.frequency.value = frequency;
      oscillator.connect(gain);
      oscillator.start(start);
      oscillator.stop(start + (kind === 'beep' ? pattern.on + 0.05 : AHEAD_S));
      this.#nodes.push(oscillator);
    }
    if (kind === 'beep') this.#nodes[0]!.onended = () => this.stop();
  }

  stop(): void {
    for (const node of this.#nodes.splice(0)) {
      try {
        node.stop();
      } catch {
        // already stopped
      }
    }
    void this.#context?.close().catch(() => {});
    this.#context = null;
  }
}
