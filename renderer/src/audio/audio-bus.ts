/**
 * The phone's audio in the renderer: the microphone and the speaker, joined to the calls' RTP in
 * the media host over one persistent loopback WebRTC leg, the "audio bus" (research/calls-design.md
 * §3.3, Option B). Why this way: echo cancellation only sees audio played through WebRTC (Chromium
 * issue 687574), Chromium's NetEQ is a real jitter buffer with loss concealment and drift handling,
 * and DTMF can use the real `RTCDTMFSender`. The media host relays RTP payloads between each call's
 * trunk leg and its bus transceiver without decoding. DOM only; no Svelte.
 *
 * API (for the phone UI):
 * ```ts
 * const bus = new AudioBus(window.trunkline!, { onNotice: (m) => show(m) });
 * await bus.open();                      // getUserMedia + RTCPeerConnection + media:bus-open; keep it for the page's life
 * // calls dialled/answered after open() get a transceiver by themselves (main assigns it, event media:bus-track);
 * await bus.attach(callId);              // only for a call that was up before open()
 * bus.detach(callId);                    // stop hearing/sending on that call here (e.g. the UI ended it early)
 * await bus.sendDtmf(callId, '159#');    // RFC 4733 through RTCDTMFSender (false when the leg cannot)
 * const { inputs, outputs } = await bus.listDevices();     // MediaDeviceInfo lists (labels after open())
 * await bus.setInput(id | null);  await bus.setOutput(id | null);  bus.setRinger(id | null);
 * bus.playRing('loud' | 'soft');  bus.stopRing();  await bus.testSound();
 * bus.inputLevel();                      // 0…1 RMS of the microphone after AEC/NS/AGC, read it per animation frame
 * await bus.receivedLevel(callId);       // 0…1 audioLevel of the far end (getStats inbound-rtp), or null
 * bus.onChange(() => …);                 // state, devices or the call↔transceiver map changed
 * await bus.close();
 * ```
 * `null` as a device id means the system default. A chosen device that disappears (devicechange)
 * falls back to the default and `onNotice` says so, mid-call included (`replaceTrack`, `setSinkId`).
 *
 * States: `closed ──open()──► opening ──answer applied──► open ──close()──► closed`;
 * `opening ──error──► closed` (open() rejects with the reason: no microphone permission, no bus).
 */
import type { BusState, BusTrackChange, CommandResult, TrunklineApi } from '../../../preload/contract';

/** What the bus needs from `window.trunkline`. */
export type AudioBusApi = Pick<TrunklineApi, 'openAudioBus' | 'attachAudioBus' | 'closeAudioBus' | 'onAudioBusState' | 'onAudioBusTrack'>;

export interface AudioBusOptions {
  /** Audio transceivers offered: calls carried at once (a call and one waiting). Default 2. */
  calls?: number;
  /** A device fell back to the default, the bus dropped, … (plain sentence for the person). */
  onNotice?: (message: string) => void;
  /** Initial devices (the remembered phone settings); null = default. */
  inputDevice?: string | null;
  outputDevice?: string | null;
  ringerDevice?: string | null;
}

export type AudioBusState = 'closed' | 'opening' | 'open';

/** `setSinkId` is typed as always present; older engines lack it. */
type SinkableAudio = Omit<HTMLAudioElement, 'setSinkId'> & HTMLAudioElement & { setSinkId?: (id: string) => Promise<void> };
interface SinkableContext extends AudioContext {
  setSinkId?(id: string): Promise<void>;
}

/** How long to wait for ICE gathering on loopback (it takes milliseconds; the bus does not trickle). */
const GATHERING_TIMEOUT_MS = 10_000;

/** getUserMedia constraints: the three WebRTC processors on (SPEC "Audio"), mono. */
export function microphoneConstraints(deviceId: string | null): MediaStreamConstraints {
  return {
    audio: {
      ...(deviceId ? { deviceId: { exact: deviceId } } : {}),
      echoCancellation: true,
      noiseSuppression: true,
      autoGainControl: true,
      channelCount: 1,
    },
    video: false,
  };
}

function unwrap<T>(result: CommandResult<T>): T {
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

export class AudioBus {
  #state: AudioBusState = 'closed';
  #busState: BusState = 'new';
  #pc: RTCPeerConnection | null = null;
  #mic: MediaStream | null = null;
  /** mid → the element playing that transceiver's remote track. */
  readonly #players = new Map<string, SinkableAudio>();
  /** callId → mid, from media:bus-track. */
  readonly #calls = new Map<string, string>();
  #input: string | null;
  #output: string | null;
  #ringer: string | null;
  #meter: { context: AudioContext; analyser: AnalyserNode; samples: Float32Array<ArrayBuffer> } | null = null;
  #ring: SinkableContext | null = null;
  readonly #listeners = new Set<() => void>();
  readonly #unsubscribe: (() => void)[] = [];
  readonly #onDeviceChange = (): void => void this.#checkDevices();

  constructor(private readonly api: AudioBusApi, private readonly options: AudioBusOptions = {}) {
    this.#input = options.inputDevice ?? null;
    this.#output = options.outputDevice ?? null;
    this.#ringer = options.ringerDevice ?? null;
  }

  get state(): AudioBusState {
    return this.#state;
  }

  /** The media host's end of the bus (W3C RTCPeerConnectionState). */
  get busState(): BusState {
    return this.#busState;
  }

  get devices(): { input: string | null; output: string | null; ringer: string | null } {
    return { input: this.#input, output: this.#output, ringer: this.#ringer };
  }

  /** Which transceiver (mid) carries each call here. */
  get calls(): ReadonlyMap<string, string> {
    return this.#calls;
  }

  /** `listener()` on any change of state, devices or calls. @returns unsubscribe */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Opens the microphone and the bus. Idempotent while open.
   * @throws Error when the microphone is refused or absent, or the media host cannot answer.
   */
  async open(): Promise<void> {
    if (this.#state !== 'closed') return;
    this.#set('opening');
    try {
      this.#mic = await navigator.mediaDevices.getUserMedia(microphoneConstraints(this.#input));
      const track = this.#mic.getAudioTracks()[0];
      if (!track) throw new Error('the microphone gave no audio track');
      const pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
      this.#pc = pc;
      for (let i = 0; i < (this.options.calls ?? 2); i++) {
        const transceiver = pc.addTransceiver(track, { direction: 'sendrecv', streams: [this.#mic] });
        preferG711(transceiver);
      }
      pc.ontrack = (event) => this.#play(event.transceiver.mid, event.track);
      pc.onconnectionstatechange = () => {
        if (pc.connectionState === 'failed') this.options.onNotice?.('The audio connection to the call engine failed; calls have no sound until the page reconnects it.');
        this.#emit();
      };
      this.#unsubscribe.push(
        this.api.onAudioBusState(({ state }) => {
          this.#busState = state;
          this.#emit();
        }),
        this.api.onAudioBusTrack((change) => this.#track(change)),
      );
      await pc.setLocalDescription(await pc.createOffer());
      await gathered(pc);
      const answer = unwrap(await this.api.openAudioBus(pc.localDescription!.sdp));
      await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdpAnswer });
      navigator.mediaDevices.addEventListener('devicechange', this.#onDeviceChange);
      this.#set('open');
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  /** Moves call `callId` onto a free transceiver (calls dialled or answered after open() have one already). */
  async attach(callId: string): Promise<void> {
    if (this.#state !== 'open' || !this.#pc) throw new Error('the audio bus is not open');
    if (this.#calls.has(callId)) return;
    const used = new Set(this.#calls.values());
    const mid = this.#pc.getTransceivers().map((t) => t.mid).find((m): m is string => m !== null && !used.has(m));
    if (!mid) throw new Error('every audio channel of the bus carries a call');
    unwrap(await this.api.attachAudioBus(callId, mid));
  }

  /** Stops playing and sending on call `callId`'s transceiver here; the next call that gets it plays again. */
  detach(callId: string): void {
    const mid = this.#calls.get(callId);
    if (mid === undefined) return;
    this.#calls.delete(callId);
    const player = this.#players.get(mid);
    if (player) player.muted = true;
    this.#emit();
  }

  /** The RTCDTMFSender of call `callId` (null without a bus transceiver or telephone-event on the bus). */
  dtmfSender(callId: string): RTCDTMFSender | null {
    const mid = this.#calls.get(callId);
    const transceiver = this.#pc?.getTransceivers().find((t) => t.mid === mid);
    return transceiver?.sender.dtmf ?? null;
  }

  /**
   * Sends `digits` as RFC 4733 events on call `callId`'s bus stream (`RTCDTMFSender.insertDTMF`,
   * 100 ms tones, 70 ms gaps); the media host maps them onto the trunk. Resolves false when the
   * bus cannot (no transceiver, no telephone-event): the caller then uses `call:dtmf`.
   */
  async sendDtmf(callId: string, digits: string): Promise<boolean> {
    const dtmf = this.dtmfSender(callId);
    if (!dtmf) return false;
    // canInsertDTMF turns true a moment after the leg connects (design note §3.3: inserting at once failed once).
    for (let i = 0; i < 50 && !dtmf.canInsertDTMF; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    if (!dtmf.canInsertDTMF) return false;
    dtmf.insertDTMF(digits, 100, 70);
    return true;
  }

  /** Audio inputs and outputs (labels are empty until the microphone permission was given, i.e. after open()). */
  async listDevices(): Promise<{ inputs: MediaDeviceInfo[]; outputs: MediaDeviceInfo[] }> {
    const all = await navigator.mediaDevices.enumerateDevices();
    return { inputs: all.filter((d) => d.kind === 'audioinput'), outputs: all.filter((d) => d.kind === 'audiooutput') };
  }

  /** Switches the microphone (null = default) on every call at once, without renegotiation (`replaceTrack`). */
  async setInput(deviceId: string | null): Promise<void> {
    if (this.#state === 'closed' || !this.#pc) {
      this.#input = deviceId;
      this.#emit();
      return;
    }
    // A device that cannot be opened rejects here and the current one stays.
    const next = await navigator.mediaDevices.getUserMedia(microphoneConstraints(deviceId));
    this.#input = deviceId;
    const track = next.getAudioTracks()[0]!;
    await Promise.all(this.#pc.getSenders().map((s) => s.replaceTrack(track)));
    this.#mic?.getTracks().forEach((t) => t.stop());
    this.#mic = next;
    this.#closeMeter();
    this.#emit();
  }

  /** Plays the calls on `deviceId` (null = default) via `HTMLMediaElement.setSinkId`. */
  async setOutput(deviceId: string | null): Promise<void> {
    const previous = this.#output;
    this.#output = deviceId;
    try {
      await Promise.all([...this.#players.values()].map((p) => sink(p, deviceId)));
    } catch (error) {
      // A device that cannot be used (NotFoundError): the calls stay where they were.
      this.#output = previous;
      await Promise.all([...this.#players.values()].map((p) => sink(p, previous))).catch(() => undefined);
      throw error;
    } finally {
      this.#emit();
    }
  }

  /** The ringer's device (null = default); applies to the next ring and to one ringing now. */
  setRinger(deviceId: string | null): void {
    this.#ringer = deviceId;
    if (this.#ring?.setSinkId) this.#ring.setSinkId(deviceId ?? '').catch(() => undefined);
    this.#emit();
  }

  /**
   * Rings on the ringer device with generated tones (no file: the CSP needs no `media-src`):
   * loud = 440+480 Hz 2 s on / 4 s off (ITU-T E.180 Suppl. 2), soft = one 440 Hz pip every 6 s (call waiting).
   */
  playRing(kind: 'loud' | 'soft' = 'loud'): void {
    this.stopRing();
    const context = new AudioContext({ latencyHint: 'playback' }) as SinkableContext;
    this.#ring = context;
    if (this.#ringer && context.setSinkId) context.setSinkId(this.#ringer).catch(() => undefined);
    const gain = context.createGain();
    gain.gain.value = 0;
    gain.connect(context.destination);
    const start = context.currentTime + 0.05;
    const on = kind === 'loud' ? 2 : 0.3;
    const level = kind === 'loud' ? 0.12 : 0.05;
    for (let t = 0; t < 300; t += 6) {
      gain.gain.setValueAtTime(level, start + t);
      gain.gain.setValueAtTime(0, start + t + on);
    }
    for (const frequency of kind === 'loud' ? [440, 480] : [440]) {
      const oscillator = context.createOscillator();
      oscillator.frequency.value = frequency;
      oscillator.connect(gain);
      oscillator.start(start);
    }
    void context.resume().catch(() => undefined);
  }

  stopRing(): void {
    void this.#ring?.close().catch(() => undefined);
    this.#ring = null;
  }

  /** 0.6 s of 440 Hz on the output device (the settings' test button). */
  async testSound(): Promise<void> {
    const context = new AudioContext() as SinkableContext;
    try {
      if (this.#output && context.setSinkId) await context.setSinkId(this.#output);
      await context.resume();
      const oscillator = context.createOscillator();
      const gain = context.createGain();
      gain.gain.value = 0.15;
      oscillator.frequency.value = 440;
      oscillator.connect(gain).connect(context.destination);
      const ended = new Promise<void>((resolve) => (oscillator.onended = () => resolve()));
      oscillator.start();
      oscillator.stop(context.currentTime + 0.6);
      await ended;
    } finally {
      void context.close();
    }
  }

  /**
   * The microphone's level now, 0…1 RMS (after AEC/NS/AGC: what the far end gets). Cheap: one
   * AnalyserNode read; call it from requestAnimationFrame while a meter is visible, never on a timer.
   */
  inputLevel(): number {
    const track = this.#mic?.getAudioTracks()[0];
    if (!track) return 0;
    if (!this.#meter) {
      const context = new AudioContext();
      const analyser = context.createAnalyser();
      analyser.fftSize = 1024;
      context.createMediaStreamSource(new MediaStream([track])).connect(analyser);
      this.#meter = { context, analyser, samples: new Float32Array(analyser.fftSize) };
    }
    const { analyser, samples } = this.#meter;
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const s of samples) sum += s * s;
    return Math.sqrt(sum / samples.length);
  }

  /** The far end's level on call `callId` (inbound-rtp `audioLevel`, 0…1), or null without a transceiver or stats. */
  async receivedLevel(callId: string): Promise<number | null> {
    const inbound = await this.inboundStats(callId);
    return typeof inbound?.audioLevel === 'number' ? inbound.audioLevel : null;
  }

  /** The inbound-rtp statistics of call `callId`'s transceiver (packets, energy, jitter-buffer delay), or null. */
  async inboundStats(callId: string): Promise<Record<string, number> | null> {
    const mid = this.#calls.get(callId);
    const transceiver = this.#pc?.getTransceivers().find((t) => t.mid === mid);
    if (!transceiver) return null;
    const report = await transceiver.receiver.getStats();
    let found: Record<string, number> | null = null;
    report.forEach((entry: { type: string; kind?: string } & Record<string, unknown>) => {
      if (entry.type === 'inbound-rtp' && entry.kind === 'audio') found = entry as unknown as Record<string, number>;
    });
    return found;
  }

  /** Closes the bus and the microphone. Idempotent. */
  async close(): Promise<void> {
    const wasOpen = this.#pc !== null;
    navigator.mediaDevices.removeEventListener('devicechange', this.#onDeviceChange);
    this.#unsubscribe.splice(0).forEach((off) => off());
    this.#pc?.close();
    this.#pc = null;
    this.#mic?.getTracks().forEach((t) => t.stop());
    this.#mic = null;
    for (const player of this.#players.values()) {
      player.srcObject = null;
      player.remove();
    }
    this.#players.clear();
    this.#calls.clear();
    this.#closeMeter();
    this.stopRing();
    if (wasOpen) await this.api.closeAudioBus().catch(() => undefined);
    this.#set('closed');
  }

  #play(mid: string | null, track: MediaStreamTrack): void {
    if (mid === null) return;
    let player = this.#players.get(mid);
    if (!player) {
      player = document.createElement('audio') as SinkableAudio;
      player.autoplay = true;
      player.hidden = true;
      player.dataset.busTrack = mid;
      document.body.append(player);
      this.#players.set(mid, player);
      void sink(player, this.#output);
    }
    player.srcObject = new MediaStream([track]);
    void player.play().catch(() => undefined);
  }

  #track(change: BusTrackChange): void {
    if (change.busTrackId === null) this.#calls.delete(change.callId);
    else {
      this.#calls.set(change.callId, change.busTrackId);
      const player = this.#players.get(change.busTrackId);
      if (player) player.muted = false;
    }
    this.#emit();
  }

  /** devicechange: a chosen device that is gone falls back to the default, and the person is told. */
  async #checkDevices(): Promise<void> {
    const { inputs, outputs } = await this.listDevices();
    const has = (list: MediaDeviceInfo[], id: string | null): boolean => id === null || list.some((d) => d.deviceId === id);
    if (!has(inputs, this.#input)) {
      this.options.onNotice?.('The microphone was disconnected; using the default microphone.');
      await this.setInput(null).catch(() => undefined);
    }
    if (!has(outputs, this.#output)) {
      this.options.onNotice?.('The speaker was disconnected; using the default speaker.');
      await this.setOutput(null).catch(() => undefined);
    }
    if (!has(outputs, this.#ringer)) {
      this.options.onNotice?.('The ringer device was disconnected; ringing on the default speaker.');
      this.setRinger(null);
    }
  }

  #closeMeter(): void {
    void this.#meter?.context.close().catch(() => undefined);
    this.#meter = null;
  }

  #set(state: AudioBusState): void {
    this.#state = state;
    this.#emit();
  }

  #emit(): void {
    for (const listener of this.#listeners) listener();
  }
}

/** PCMU, PCMA and telephone-event/8000 only, µ-law first: what the relay passes without transcoding on most trunks. */
function preferG711(transceiver: RTCRtpTransceiver): void {
  const capabilities = RTCRtpReceiver.getCapabilities?.('audio');
  if (!capabilities || !transceiver.setCodecPreferences) return;
  const rank = (c: RTCRtpCodec): number => {
    const name = c.mimeType.toLowerCase();
    if (name === 'audio/pcmu') return 0;
    if (name === 'audio/pcma') return 1;
    if (name === 'audio/telephone-event' && c.clockRate === 8000) return 2;
    return -1;
  };
  const codecs = capabilities.codecs.filter((c) => rank(c) >= 0).sort((a, b) => rank(a) - rank(b));
  if (codecs.length > 0) transceiver.setCodecPreferences(codecs);
}

function gathered(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ICE gathering did not complete within ${GATHERING_TIMEOUT_MS} ms`)), GATHERING_TIMEOUT_MS);
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState !== 'complete') return;
      clearTimeout(timer);
      resolve();
    });
  });
}

async function sink(element: SinkableAudio, deviceId: string | null): Promise<void> {
  if (!element.setSinkId) return;
  await element.setSinkId(deviceId ?? '');
}
