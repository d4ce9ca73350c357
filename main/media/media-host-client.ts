/**
 * The parent's handle on a media host child process: typed async methods per command, events by
 * `on(event, listener) → unsubscribe`, bounded request timeouts. A media fault never reaches the
 * caller as an exception outside a returned promise: if the child dies, every pending request
 * rejects with a clear error and an `exit` event fires.
 *
 * `start()` forks a Node child (`media-host-carrier.ts`: under tsx/vitest the `.ts` entry with
 * tsx's loader, compiled under out/ the `.js`); `attach()` takes any carrier, e.g. the Electron
 * shell's wrapper of `utilityProcess.fork(out/main/media/media-host-main.js)`.
 */
import type { MediaHostCarrier } from './media-host-carrier';
import { forkMediaHost } from './media-host-carrier';
import type {
  BusOpenResult, ConfigureParams, DtmfResult, MediaCommand, MediaCommands, MediaEvents, MediaHostMessage, MediaRequest,
  MediaStats, OpenParams, OpenResult, SessionSourceSpec, WebrtcResult,
} from './media-protocol';

/** Events of the client: the host's pushed events plus `exit` when the child is gone. */
export interface MediaClientEvents extends MediaEvents {
  exit: { code: number | null; signal: NodeJS.Signals | null; reason: string };
}

export interface MediaHostClientOptions {
  /** Per-request timeout, ms (default 5000). `dtmf` adds the time the digits take. */
  requestTimeoutMs?: number;
  /** How long to wait for the child's `ready`, ms (default 10 000). */
  startTimeoutMs?: number;
  /**
   * The child entry to run; default `media-host-main` beside this file (.ts under tsx, .js when
   * compiled). A `.ts` entry runs with tsx's loader.
   */
  entry?: string;
}

type Listener<E extends keyof MediaClientEvents> = (payload: MediaClientEvents[E]) => void;

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
  command: MediaCommand;
}

export class MediaHostClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<keyof MediaClientEvents, Set<(payload: never) => void>>();
  private exited: MediaClientEvents['exit'] | null = null;

  private constructor(private readonly carrier: MediaHostCarrier, private readonly requestTimeoutMs: number) {
    carrier.onMessage((message) => this.onMessage(message as MediaHostMessage));
    carrier.onExit((code, signal) => this.onExit(code, signal));
    // A carrier error is reported as the exit it leads to; it must never throw in the parent.
    carrier.onError((error) => this.emit('error', { session: null, message: `media host process: ${error.message}` }));
  }

  /** Forks a media host (Node child) and waits until it is ready. @throws Error when it does not start. */
  static start(options: MediaHostClientOptions = {}): Promise<MediaHostClient> {
    return MediaHostClient.attach(forkMediaHost(options.entry), options);
  }

  /**
   * Wraps a started media host process (e.g. an Electron utilityProcess in a carrier) and waits
   * for its `ready`. @throws Error when it exits or stays silent for `startTimeoutMs` (then killed).
   */
  static async attach(carrier: MediaHostCarrier, options: MediaHostClientOptions = {}): Promise<MediaHostClient> {
    const startTimeoutMs = options.startTimeoutMs ?? 10_000;
    let settled = false;
    await new Promise<void>((resolve, reject) => {
      const finish = (error: Error | null): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) reject(error);
        else resolve();
      };
      const timer = setTimeout(() => {
        carrier.kill(false);
        finish(new Error(`media host did not start within ${startTimeoutMs} ms`));
      }, startTimeoutMs);
      carrier.onMessage((message) => {
        if ((message as MediaHostMessage | null)?.kind === 'ready') finish(null);
      });
      carrier.onExit((code, signal) => finish(new Error(`media host exited while starting (code ${code}, signal ${signal})`)));
      carrier.onError((error) => finish(new Error(`media host could not start: ${error.message}`)));
    });
    return new MediaHostClient(carrier, options.requestTimeoutMs ?? 5000);
  }

  /** The child's process id (for monitoring and tests). */
  get pid(): number | undefined {
    return this.carrier.pid;
  }

  get running(): boolean {
    return this.exited === null;
  }

  /** Binds a session's RTP/RTCP ports. */
  open(params: OpenParams): Promise<OpenResult> {
    return this.request('open', params);
  }

  /** Applies negotiated media (repeat on every offer/answer). */
  configure(params: ConfigureParams): Promise<void> {
    return this.request('configure', params).then(() => undefined);
  }

  /** Chooses what the session sends (default silence); `{ kind: 'bus', bus, mid }` relays the audio bus both ways. */
  setSource(session: string, source: SessionSourceSpec): Promise<void> {
    return this.request('source', { session, source }).then(() => undefined);
  }

  /** Answers the renderer's bus offer (creates bus `bus` on the first one). */
  openBus(bus: string, sdpOffer: string): Promise<BusOpenResult> {
    return this.request('bus-open', { bus, sdpOffer });
  }

  /** Closes bus `bus`; its sessions fall back to silence. */
  closeBus(bus: string): Promise<void> {
    return this.request('bus-close', { bus }).then(() => undefined);
  }

  /** Records what is received to `path` (8 kHz mono 16-bit WAV); null stops and finalises. */
  record(session: string, path: string | null): Promise<void> {
    return this.request('record', { session, path }).then(() => undefined);
  }

  /** Sends RFC 4733 digits; resolves after the last one was sent. */
  sendDtmf(session: string, digits: string, options: { durationMs?: number; gapMs?: number } = {}): Promise<DtmfResult> {
    const durationMs = options.durationMs ?? 100;
    const gapMs = options.gapMs ?? 70;
    const takesMs = digits.length * (durationMs + gapMs + 80) + (digits.split(',').length - 1) * 2000;
    return this.request('dtmf', { session, digits, durationMs, gapMs }, this.requestTimeoutMs + takesMs);
  }

  /** Mute stops our audio packets (RTCP continues; DTMF still goes out). */
  mute(session: string, muted: boolean): Promise<void> {
    return this.request('mute', { session, muted }).then(() => undefined);
  }

  stats(session: string): Promise<MediaStats> {
    return this.request('stats', { session });
  }

  /** Ends the session: RTCP BYE, recording finalised, ports freed; returns the final statistics. */
  close(session: string): Promise<MediaStats> {
    return this.request('close', { session });
  }

  /** Our SDP offer from the session's webrtc leg (created on first use, ICE on `iceAddress`). */
  webrtcOffer(session: string, iceAddress: string, portRange?: { min: number; max: number }): Promise<WebrtcResult> {
    return this.request('webrtc-offer', { session, iceAddress, ...(portRange ? { portMin: portRange.min, portMax: portRange.max } : {}) });
  }

  /** Our SDP answer to a WebRTC far end's offer, from the session's webrtc leg. */
  webrtcAnswer(session: string, iceAddress: string, sdpOffer: string, portRange?: { min: number; max: number }): Promise<WebrtcResult> {
    return this.request('webrtc-answer', { session, iceAddress, sdpOffer, ...(portRange ? { portMin: portRange.min, portMax: portRange.max } : {}) });
  }

  /** Applies the far end's answer to the leg's last offer. */
  webrtcAccept(session: string, sdpAnswer: string): Promise<WebrtcResult> {
    return this.request('webrtc-accept', { session, sdpAnswer });
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends keyof MediaClientEvents>(event: E, listener: Listener<E>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as (payload: never) => void);
    return () => set.delete(listener as (payload: never) => void);
  }

  /**
   * Stops the child: SIGTERM (it closes every session: RTCP BYE, recordings finalised), SIGKILL if
   * it is still there after `graceMs`. Resolves when it has exited.
   */
  async stop(graceMs = 2000): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.on('exit', () => resolve()));
    this.carrier.kill(true);
    const timer = setTimeout(() => this.carrier.kill(false), graceMs);
    await exited;
    clearTimeout(timer);
  }

  private request<C extends MediaCommand>(command: C, params: MediaCommands[C]['params'], timeoutMs = this.requestTimeoutMs): Promise<MediaCommands[C]['result']> {
    if (this.exited) return Promise.reject(new Error(`media host is not running (${this.exited.reason})`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`media host: ${command} got no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer, command });
      try {
        this.carrier.send({ kind: 'request', id, command, params } as MediaRequest);
      } catch (error) {
        this.settle(id, new Error(`media host: ${command} could not be sent: ${(error as Error).message}`));
      }
    });
  }

  private settle(id: number, error: Error | null, value?: unknown): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    if (error) pending.reject(error);
    else pending.resolve(value);
  }

  private onMessage(message: MediaHostMessage): void {
    // Whatever a broken child sends must not throw inside the parent's IPC handler.
    if (typeof message !== 'object' || message === null) return;
    if (message.kind === 'response') {
      if (message.ok) this.settle(message.id, null, message.value);
      else this.settle(message.id, new Error(message.error));
    } else if (message.kind === 'event') {
      this.emit(message.event, message.payload as never);
    }
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    const reason = signal ? `media host killed by ${signal}` : `media host exited with code ${code}`;
    this.exited = { code, signal, reason };
    for (const [id, pending] of this.pending) this.settle(id, new Error(`${reason} before answering ${pending.command}`));
    this.emit('exit', this.exited);
  }

  private emit<E extends keyof MediaClientEvents>(event: E, payload: MediaClientEvents[E]): void {
    for (const listener of this.listeners.get(event) ?? []) {
      try {
        (listener as Listener<E>)(payload);
      } catch {
        // A listener's bug must not break delivery to the others nor the client itself.
      }
    }
  }
}
