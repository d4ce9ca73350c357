/**
 * The phone's microphone and speaker: P2's AudioBus (renderer/src/audio/audio-bus.ts), opened at
 * the first call and kept for the page's life (the loopback leg takes ~0.7 s to connect, so it is
 * not made per call). The first call does not wait for it: it is dialled at once and moved onto
 * the bus (`AudioBus.attach`) when the bus is open. If it cannot open (no microphone, permission refused) the call still goes
 * ahead with the engine's own audio, and the person is told once why they will not be heard.
 */
import type { TrunklineApi } from '../../preload/contract';
import { AudioBus } from './audio/audio-bus';
import type { PhoneAudio } from './state/phone.svelte';

/** Opening longer than this gives up for this call (the call must not wait on a stuck device). */
const OPEN_BUDGET_MS = 4000;

export class BusPhoneAudio implements PhoneAudio {
  readonly #bus: AudioBus;
  readonly #notice: (message: string) => void;
  #opening: Promise<boolean> | null = null;
  #told = false;

  constructor(api: TrunklineApi, notice: (message: string) => void) {
    this.#bus = new AudioBus(api, { onNotice: notice });
    this.#notice = notice;
  }

  prepare(devices: { input: string | null; output: string | null; ringer: string | null }): Promise<boolean> {
    if (this.#bus.state === 'open') return Promise.resolve(true);
    this.#opening ??= (async () => {
      let timer = 0;
      const budget = new Promise<never>((_, reject) => {
        timer = window.setTimeout(() => reject(new Error(`no answer within ${OPEN_BUDGET_MS / 1000} s`)), OPEN_BUDGET_MS);
      });
      try {
        await Promise.race([this.#bus.open(), budget]);
        await Promise.all([this.#bus.setInput(devices.input), this.#bus.setOutput(devices.output)]).catch(() => undefined);
        this.#bus.setRinger(devices.ringer);
        return true;
      } catch (error) {
        this.#opening = null;
        if (!this.#told) {
          this.#told = true;
          this.#notice(`The microphone and speaker could not be opened (${(error as Error).message}): calls go ahead, but the other side will not hear you.`);
        }
        return false;
      } finally {
        window.clearTimeout(timer);
      }
    })();
    return this.#opening;
  }

  async attachWhenOpen(callId: string): Promise<void> {
    const open = this.#bus.state === 'open' || (this.#opening !== null && (await this.#opening));
    // A call dialled once the bus was open got its transceiver from main at dial time.
    if (!open || this.#bus.calls.has(callId)) return;
    await this.#bus.attach(callId);
  }

  level(): number | null {
    return this.#bus.state === 'open' ? this.#bus.inputLevel() : null;
  }

  async useDevices(devices: { input: string | null; output: string | null; ringer: string | null }): Promise<void> {
    this.#bus.setRinger(devices.ringer);
    if (this.#bus.state !== 'open') return;
    await Promise.all([this.#bus.setInput(devices.input), this.#bus.setOutput(devices.output)]);
  }

  close(): void {
    void this.#bus.close().catch(() => undefined);
  }
}
