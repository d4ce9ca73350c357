/**
 * The main-process side of the audio bus (research/calls-design.md §3.3, "Option B"): the
 * `media:*` commands of the contract, validated at the boundary like every command, against the
 * media host the CallManager also uses (one host: the bus and the calls' trunk legs must meet in
 * the same process for the relay).
 *
 * The renderer opens one bus (`media:bus-open` with its offer: one audio transceiver per call it
 * can carry at once) and keeps it for the life of the page. Each new call takes a free transceiver
 * at dial/answer time ({@link MediaService.audioForNewCall}, used by {@link withBusAudio}) and gives
 * it back when it ends; `media:bus-track` tells the renderer which call uses which transceiver.
 * `media:bus-attach` moves a call that is already up onto a transceiver (e.g. one placed before
 * the bus was open).
 *
 * ```
 *   no bus ──media:bus-open──► open (mids known) ──media:bus-open (a new page's offer)──► open (bus replaced,
 *     ▲                           │                                                        calls moved over)
 *     └──── media:bus-close / media host exit ───┘
 * ```
 */
import type { CallSnapshot } from '../../common/call-status';
import { MediaHostClient } from '../media/media-host-client';
import type { BusSourceSpec } from '../media/media-protocol';
import type { BridgeError, CommandMap, CommandResult } from '../../preload/contract';
import type { CallControl, CallFeed } from './call-service';
import type { EventSink } from './line-service';

/** The one bus of the app (one renderer holds the devices). */
export const BUS_ID = 'main';

export type MediaCommandName = 'media:bus-open' | 'media:bus-attach' | 'media:bus-close';

type Handlers = { [N in MediaCommandName]: (...args: unknown[]) => Promise<CommandMap[N]['value']> };

const ID = /^[\w.@:+-]{1,128}$/;
/** RFC 8843 §15: a mid is an SDP token; Chromium uses small integers. */
const MID = /^[\w.-]{1,32}$/;
const MAX_SDP = 64 * 1024;

class InputError extends Error {}

export interface MediaServiceOptions {
  /** The media host shared with the CallManager (started on first use). */
  host: () => Promise<MediaHostClient>;
  feed: CallFeed;
  emit: EventSink;
}

export class MediaService {
  private readonly handlers: Handlers;
  private mids: string[] = [];
  /** Transceiver → call using it (a reservation made at dial time is keyed by a placeholder until the id is known). */
  private readonly inUse = new Map<string, string>();
  private open = false;
  private readonly unsubscribe: (() => void)[] = [];
  private hostUnsubscribe: (() => void)[] = [];

  constructor(private readonly options: MediaServiceOptions) {
    this.unsubscribe.push(options.feed.onCall((call) => {
      if (call.state === 'ended') this.releaseCall(call.id);
    }));
    this.handlers = {
      'media:bus-open': async (sdpOffer) => {
        if (typeof sdpOffer !== 'string' || !sdpOffer.startsWith('v=0') || sdpOffer.length > MAX_SDP) {
          throw new InputError(`sdpOffer: must be an SDP offer ("v=0…", at most ${MAX_SDP} characters)`);
        }
        const host = await this.options.host();
        this.watch(host);
        // Every offer comes from a new RTCPeerConnection (a page loaded or reloaded): the old bus
        // (other ICE credentials, other DTLS certificate) is replaced, and calls it carried move
        // to the same transceivers of the new one, so a reload mid-call keeps the call's audio.
        const carried = [...this.inUse].filter(([, callId]) => !callId.startsWith('pending:'));
        if (this.open) await host.closeBus(BUS_ID).catch(() => undefined);
        this.open = false;
        this.mids = [];
        this.inUse.clear();
        const { sdpAnswer, mids } = await host.openBus(BUS_ID, sdpOffer);
        this.mids = mids;
        this.open = true;
        for (const [mid, callId] of carried) {
          if (!mids.includes(mid)) {
            this.options.emit('media:bus-track', { callId, busTrackId: null });
            continue;
          }
          // The call may have ended meanwhile: then there is no session and nothing to move.
          const moved = await host.setSource(callId, this.sourceOf(mid)).then(() => true, () => false);
          if (moved) this.inUse.set(mid, callId);
          this.options.emit('media:bus-track', { callId, busTrackId: moved ? mid : null });
        }
        return { sdpAnswer, busTrackIds: mids };
      },
      'media:bus-attach': async (id, track) => {
        if (typeof id !== 'string' || !ID.test(id)) throw new InputError('callId: must be a call id (1 to 128 letters, digits or ".@:+-_")');
        if (typeof track !== 'string' || !MID.test(track)) throw new InputError('busTrackId: must be a transceiver mid from media:bus-open');
        if (!this.open) throw new InputError('busTrackId: the audio bus is not open (media:bus-open first)');
        if (!this.mids.includes(track)) throw new InputError(`busTrackId: the bus has no transceiver "${track}" (has ${this.mids.join(', ') || 'none'})`);
        const holder = this.inUse.get(track);
        if (holder !== undefined && holder !== id) throw new InputError(`busTrackId: transceiver "${track}" carries call "${holder}"`);
        const host = await this.options.host();
        // The media session of a call is named by the call id (CallManager → MediaHostPort).
        await host.setSource(id, this.sourceOf(track));
        this.releaseCall(id);
        this.inUse.set(track, id);
        this.options.emit('media:bus-track', { callId: id, busTrackId: track });
        return null;
      },
      'media:bus-close': async () => {
        if (!this.open) return null;
        this.open = false;
        this.mids = [];
        const calls = [...this.inUse.values()];
        this.inUse.clear();
        for (const callId of calls) this.options.emit('media:bus-track', { callId, busTrackId: null });
        const host = await this.options.host();
        await host.closeBus(BUS_ID);
        return null;
      },
    };
  }

  /** Whether this service answers `name`. */
  handles(name: string): boolean {
    return Object.hasOwn(this.handlers, name);
  }

  /** Runs one command from the bridge. Bad payloads answer an error naming the field, never throw. */
  async dispatch(name: string, args: unknown): Promise<CommandResult<unknown>> {
    if (!this.handles(name)) return { ok: false, error: { message: `unknown command "${name}"` } };
    if (!Array.isArray(args)) return { ok: false, error: { message: 'arguments must be a list' } };
    try {
      return { ok: true, value: await this.handlers[name as MediaCommandName](...args) };
    } catch (error) {
      const bridgeError: BridgeError = { message: (error as Error).message || 'internal error' };
      return { ok: false, error: bridgeError };
    }
  }

  /**
   * The audio of a call about to be placed or answered: a free bus transceiver, or `{}` (silence)
   * when no bus is open or every transceiver is taken. `bind(callId)` once the call id is known;
   * `release()` if the dial failed.
   */
  audioForNewCall(): { audio: { source?: BusSourceSpec }; bind: (callId: string) => void; release: () => void } {
    const mid = this.open ? this.mids.find((m) => !this.inUse.has(m)) : undefined;
    if (mid === undefined) return { audio: {}, bind: () => undefined, release: () => undefined };
    const placeholder = `pending:${mid}`;
    this.inUse.set(mid, placeholder);
    return {
      audio: { source: this.sourceOf(mid) },
      bind: (callId) => {
        if (this.inUse.get(mid) !== placeholder) return;
        this.inUse.set(mid, callId);
        this.options.emit('media:bus-track', { callId, busTrackId: mid });
      },
      release: () => {
        if (this.inUse.get(mid) === placeholder) this.inUse.delete(mid);
      },
    };
  }

  /** Which transceiver call `callId` uses, or null. */
  trackOf(callId: string): string | null {
    for (const [mid, id] of this.inUse) if (id === callId) return mid;
    return null;
  }

  dispose(): void {
    this.unsubscribe.splice(0).forEach((off) => off());
    this.hostUnsubscribe.splice(0).forEach((off) => off());
  }

  private sourceOf(mid: string): BusSourceSpec {
    return { kind: 'bus', bus: BUS_ID, mid };
  }

  /** Gives back the transceiver call `callId` holds (the call ended or could not be answered). */
  releaseCall(callId: string): void {
    for (const [mid, id] of this.inUse) {
      if (id !== callId) continue;
      this.inUse.delete(mid);
      this.options.emit('media:bus-track', { callId, busTrackId: null });
    }
  }

  /** Forwards the bus's state; a media host that exits takes the bus with it. */
  private watch(host: MediaHostClient): void {
    if (this.hostUnsubscribe.length > 0) return;
    this.hostUnsubscribe.push(
      host.on('bus-state', (e) => {
        if (e.bus === BUS_ID) this.options.emit('media:bus-state', { state: e.state });
      }),
      host.on('exit', () => {
        this.hostUnsubscribe.splice(0).forEach((off) => off());
        this.open = false;
        this.mids = [];
        this.inUse.clear();
        this.options.emit('media:bus-state', { state: 'closed' });
      }),
    );
  }
}

/** Sends `media:*` to the MediaService and everything else to `rest` (the line and call services). */
export function routeMediaCommands(media: MediaService, rest: { dispatch(name: string, args: unknown): Promise<CommandResult<unknown>> }): { dispatch(name: string, args: unknown): Promise<CommandResult<unknown>> } {
  return {
    dispatch: (name, args) => (name.startsWith('media:') ? media.dispatch(name, args) : rest.dispatch(name, args)),
  };
}

/**
 * The CallControl the phone's CallService drives, with every new call (dial, answer) on a free bus
 * transceiver. `manager` is the engine's CallManager, whose `dial`/`answer` take `{ source }`.
 */
export function withBusAudio(
  manager: CallControl & {
    dial(lineId: string, target: string, audio?: { source?: BusSourceSpec }): Promise<CallSnapshot>;
    answer(callId: string, audio?: { source?: BusSourceSpec }): Promise<unknown>;
  },
  media: MediaService,
): CallControl {
  return {
    hold: (id) => manager.hold(id),
    resume: (id) => manager.resume(id),
    decline: (id, code) => manager.decline(id, code),
    hangup: (id) => manager.hangup(id),
    setMuted: (id, muted) => manager.setMuted(id, muted),
    sendDtmf: (id, digits) => manager.sendDtmf(id, digits),
    transfer: (id, target) => manager.transfer(id, target),
    calls: () => manager.calls(),
    dial: async (lineId, target) => {
      const slot = media.audioForNewCall();
      try {
        const call = await manager.dial(lineId, target, slot.audio);
        slot.bind(call.id);
        return call;
      } catch (error) {
        slot.release();
        throw error;
      }
    },
    answer: async (callId) => {
      const slot = media.audioForNewCall();
      slot.bind(callId);
      try {
        return await manager.answer(callId, slot.audio);
      } catch (error) {
        media.releaseCall(callId);
        throw error;
      }
    },
  };
}

/**
 * One media host for the calls and the bus, started on first use and again after it exited
 * (`get` is what CallManagerOptions.mediaHost and MediaServiceOptions.host take). Requests may take
 * 10 s: `bus-open` includes ICE gathering, slow on a loaded machine.
 */
export function sharedMediaHost(start: () => Promise<MediaHostClient> = () => MediaHostClient.start({ requestTimeoutMs: 10_000 })): { get: () => Promise<MediaHostClient>; stop: (boundMs?: number) => Promise<void> } {
  let current: Promise<MediaHostClient> | null = null;
  return {
    get: () => {
      if (current) {
        const pending = current;
        current = pending.then((host) => (host.running ? host : start()), () => start());
      } else current = start();
      return current;
    },
    stop: async (boundMs = 2_000) => {
      const pending = current;
      current = null;
      const host = pending ? await pending.catch(() => null) : null;
      await host?.stop(boundMs).catch(() => undefined);
    },
  };
}
