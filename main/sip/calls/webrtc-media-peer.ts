/**
 * The RTCPeerConnection JsSIP gets for a call on a line with `calls.mediaMode: "webrtc"`: instead
 * of writing RTP/AVP SDP itself (as {@link MediaPeer} does), it passes through the SDP of a werift
 * peer in the media host (`main/media/webrtc-leg.ts`: ICE, DTLS-SRTP, `UDP/TLS/RTP/SAVPF`), and
 * configures the call's ordinary media session, which the media host bridges to that peer over
 * loopback. So the tone/WAV source, recording, RFC 4733, mute, hold, statistics and the inactivity
 * timeout behave as on `rtp` lines. `MediaPeer`'s constructor returns one of these when
 * {@link MediaPeerOptions.webrtc} is set (JsSIP has one global RTCPeerConnection, calls-design §1.1).
 *
 * Signalling state: the same machine as MediaPeer's (W3C webrtc-pc §4.3.1, restricted):
 * ```
 *            setLocal(offer)                 setRemote(answer)
 *   stable ─────────────────▶ have-local-offer ─────────────────▶ stable
 *     │  ▲ setLocal(answer)    │  ▲ setLocal(offer) again (18x→2xx)
 *     │  └── have-remote-offer └──┘
 *     └─ setRemote(offer) ──▲
 *   any ── close() ──▶ closed
 * ```
 * Hold: JsSIP rewrites our re-offer's direction after createOffer (`_mangleOffer`, RTCSession.js
 * 2348); the werift peer stays sendrecv and sends/receives what the session gives it, so the
 * direction that matters is the session's: taken from JsSIP's hold flags for offers (RFC 3264
 * §8.4, as MediaPeer) and written into our answers while we hold (JsSIP never rewrites answers).
 */
import { parse } from 'sdp-transform';
import { DtmfSender } from './dtmf-sender';
import type { HoldState, MediaPeer, MediaPeerOptions, MediaPeerSender, SessionDescriptionInit, SharedCallMedia, SignalingState } from './media-peer';
import { createSharedCallMedia } from './media-peer';
import type { CodecName, MediaDirection, PortRange } from './media-port';
import { directionSends, intersectDirections, reverseDirection } from './media-port';
import type { MediaPlan } from './sdp-offer-answer';
import type { AudioTrackStub } from './media-stream-stub';

/** The address the bridged media session binds (the media host's loopback bridge, webrtc-leg.ts). */
export const WEBRTC_SESSION_ADDRESS = '127.0.0.1';

/** One negotiation step's result from the media host's webrtc leg (media-protocol `WebrtcResult`). */
export interface WebrtcNegotiation {
  sdp: string;
  bridgePort: number;
  format: { codec: CodecName; payloadType: number; telephoneEventPayloadType: number | null } | null;
}

/** The media host's webrtc leg of one call, as the peer drives it. Rejections name what failed. */
export interface WebrtcNegotiator {
  /** `portRange`: the line's RTP range, where the leg's ICE candidate port is taken from. */
  offer(iceAddress: string, portRange?: PortRange): Promise<WebrtcNegotiation>;
  answer(iceAddress: string, sdpOffer: string, portRange?: PortRange): Promise<WebrtcNegotiation>;
  accept(sdpAnswer: string): Promise<WebrtcNegotiation>;
}

/** {@link MediaPeerOptions.webrtc}: where the leg is and where ICE gathers. */
export interface WebrtcPeerOptions {
  negotiator: WebrtcNegotiator;
  /** IPv4 address of ours toward the SIP server: the leg's host candidates. */
  iceAddress: string;
}

type SignalingMove = 'set-local-offer' | 'set-local-answer' | 'set-remote-offer' | 'set-remote-answer' | 'close';
type Listener = (event: { type: string; target: unknown }) => void;

const MOVES: Record<SignalingState, Partial<Record<SignalingMove, SignalingState>>> = {
  stable: { 'set-local-offer': 'have-local-offer', 'set-remote-offer': 'have-remote-offer', 'set-remote-answer': 'stable', close: 'closed' },
  'have-local-offer': { 'set-local-offer': 'have-local-offer', 'set-remote-answer': 'stable', close: 'closed' },
  'have-remote-offer': { 'set-local-answer': 'stable', close: 'closed' },
  closed: {},
};

const DIRECTIONS: readonly MediaDirection[] = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];

function domError(name: string, message: string): Error {
  return Object.assign(new Error(`${name}: ${message}`), { name });
}

/** The audio stream's direction in an SDP (media level, else session level, else sendrecv; RFC 3264 §5.1). */
export function audioDirectionOf(sdp: string): MediaDirection {
  const session = parse(sdp) as { direction?: string; media?: { type: string; direction?: string; port: number }[] };
  const audio = session.media?.find((m) => m.type === 'audio');
  const direction = audio?.direction ?? session.direction ?? 'sendrecv';
  return DIRECTIONS.includes(direction as MediaDirection) ? (direction as MediaDirection) : 'sendrecv';
}

/** Rewrites every direction attribute of an SDP to `direction` (our answer while we hold). */
export function withDirection(sdp: string, direction: MediaDirection): string {
  return sdp.replace(/^a=(sendrecv|sendonly|recvonly|inactive)$/gm, `a=${direction}`);
}

/** The direction JsSIP's `_mangleOffer` leaves on the wire for our (sendrecv) offer (RFC 3264 §8.4). */
function offerDirectionFor(hold: HoldState): MediaDirection {
  if (hold.local && hold.remote) return 'inactive';
  if (hold.local) return 'sendonly';
  if (hold.remote) return 'recvonly';
  return 'sendrecv';
}

export class WebrtcMediaPeer {
  private state: SignalingState = 'stable';
  private ice: 'new' | 'connected' | 'failed' | 'closed' = 'new';
  private gathering: 'new' | 'complete' = 'new';
  private readonly webrtc: WebrtcPeerOptions;
  private readonly shared: SharedCallMedia;
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly senders: MediaPeerSender[] = [];
  private readonly unsubscribes: (() => void)[] = [];
  private usedPort = false;
  private localDesc: SessionDescriptionInit | null = null;
  private remoteDesc: SessionDescriptionInit | null = null;
  private offered: { sdp: string; direction: MediaDirection } | null = null;
  private answered: { sdp: string; plan: MediaPlan } | null = null;
  private plan: MediaPlan | null = null;
  private portMuted = false;

  /** @throws TypeError naming the missing field. */
  constructor(private readonly options: MediaPeerOptions) {
    if (!options.webrtc?.negotiator) throw new TypeError('rtcConstraints.trunkline.webrtc.negotiator is required');
    this.webrtc = options.webrtc;
    this.shared = options.shared ?? createSharedCallMedia(options);
    this.shared.keepForNextPeer = false;
    options.onPeer?.(this as unknown as MediaPeer);
  }

  get signalingState(): SignalingState {
    return this.state;
  }

  get iceConnectionState(): string {
    return this.ice;
  }

  get connectionState(): string {
    return this.ice;
  }

  /** The leg's offer/answer carries every candidate: gathering is complete once a description is set. */
  get iceGatheringState(): 'new' | 'complete' {
    return this.gathering;
  }

  get localDescription(): SessionDescriptionInit | null {
    return this.localDesc;
  }

  get remoteDescription(): SessionDescriptionInit | null {
    return this.remoteDesc;
  }

  get mediaPlan(): MediaPlan | null {
    return this.plan;
  }

  addEventListener(type: string, listener: Listener): void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(listener);
  }

  removeEventListener(type: string, listener: Listener): void {
    this.listeners.get(type)?.delete(listener);
  }

  addTrack(track: AudioTrackStub, _stream?: unknown): MediaPeerSender {
    this.assertNotClosed();
    if (track.kind !== 'audio') throw new TypeError(`only audio tracks are carried (got "${String(track.kind)}")`);
    const sender: MediaPeerSender = {
      track,
      dtmf: new DtmfSender({ canSendDtmf: () => this.canSendDtmf(), sendDtmf: (tones, duration, gap) => this.fireAndForget('sendDtmf', this.options.mediaPort.sendDtmf(tones, duration, gap)) }),
    };
    this.senders.push(sender);
    if (typeof track.onEnabledChange === 'function') this.unsubscribes.push(track.onEnabledChange(() => this.applyMute()));
    return sender;
  }

  getSenders(): MediaPeerSender[] {
    return [...this.senders];
  }

  getReceivers(): never[] {
    return [];
  }

  /** The leg's offer (ICE candidates, DTLS fingerprint, SAVPF), first or re-offer. */
  async createOffer(_options?: unknown): Promise<SessionDescriptionInit> {
    this.assertNotClosed();
    await this.localPort();
    const negotiation = await this.webrtc.negotiator.offer(this.webrtc.iceAddress, this.options.portRange);
    this.assertNotClosed();
    this.offered = { sdp: negotiation.sdp, direction: offerDirectionFor(this.holdFlags()) };
    return { type: 'offer', sdp: negotiation.sdp };
  }

  async createAnswer(_options?: unknown): Promise<SessionDescriptionInit> {
    this.assertNotClosed();
    if (this.state !== 'have-remote-offer' || !this.answered) throw domError('InvalidStateError', `createAnswer needs a remote offer (signalingState is "${this.state}")`);
    return { type: 'answer', sdp: this.answered.sdp };
  }

  setLocalDescription(description: SessionDescriptionInit): Promise<void> {
    try {
      if (description.type === 'offer') {
        if (!this.offered) throw domError('InvalidStateError', 'setLocalDescription(offer) before createOffer');
        this.transition('set-local-offer');
        this.localDesc = { type: 'offer', sdp: description.sdp };
        this.gathering = 'complete';
        return Promise.resolve();
      }
      if (description.type === 'answer') {
        const answered = this.answered;
        if (!answered) throw domError('InvalidStateError', 'setLocalDescription(answer) before createAnswer');
        this.transition('set-local-answer');
        this.localDesc = { type: 'answer', sdp: description.sdp };
        this.gathering = 'complete';
        return this.configure(answered.plan);
      }
      throw domError('InvalidAccessError', `description type "${String(description.type)}" is not supported`);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async setRemoteDescription(description: SessionDescriptionInit): Promise<void> {
    this.assertNotClosed();
    if (description.type === 'offer') {
      if (!MOVES[this.state]['set-remote-offer']) throw domError('InvalidStateError', `a remote offer in signalingState "${this.state}"`);
      const offerDirection = audioDirectionOf(description.sdp);
      await this.localPort();
      // Rejects when werift cannot answer (no common codec, no DTLS): JsSIP answers 488 (RTCSession.js:528, 1710).
      const negotiation = await this.webrtc.negotiator.answer(this.webrtc.iceAddress, description.sdp, this.options.portRange);
      this.assertNotClosed();
      if (!negotiation.format) throw domError('NotSupportedError', 'the offer has no PCMU or PCMA audio (the media host has no Opus codec)');
      // RFC 3264 §6.1 + §8.4: we answer the reverse of the offer, limited to sendonly while we hold.
      const ours = intersectDirections(reverseDirection(offerDirection), this.holdFlags().local ? 'sendonly' : 'sendrecv');
      const sdp = ours === 'sendrecv' ? negotiation.sdp : withDirection(negotiation.sdp, ours);
      this.transition('set-remote-offer');
      this.remoteDesc = { type: 'offer', sdp: description.sdp };
      this.answered = { sdp, plan: this.planOf(negotiation, ours, offerDirection === 'sendonly' || offerDirection === 'inactive') };
      return;
    }
    if (description.type === 'answer') {
      const offered = this.offered;
      if (!offered || !MOVES[this.state]['set-remote-answer'] || (this.state === 'stable' && this.localDesc?.type !== 'offer')) {
        throw domError('InvalidStateError', `a remote answer in signalingState "${this.state}" without an outstanding offer of ours`);
      }
      const negotiation = await this.webrtc.negotiator.accept(description.sdp);
      if (!negotiation.format) throw domError('NotSupportedError', 'the answer has no PCMU or PCMA audio');
      const ours = intersectDirections(offered.direction, reverseDirection(audioDirectionOf(description.sdp)));
      this.transition('set-remote-answer');
      this.remoteDesc = { type: 'answer', sdp: description.sdp };
      await this.configure(this.planOf(negotiation, ours, this.plan?.remoteHold ?? false));
      return;
    }
    throw domError('InvalidAccessError', `description type "${String(description.type)}" is not supported`);
  }

  close(): void {
    if (this.state === 'closed') return;
    this.transition('close');
    this.ice = 'closed';
    for (const unsubscribe of this.unsubscribes.splice(0)) unsubscribe();
    this.listeners.clear();
    for (const sender of this.senders) sender.track?.stop();
    if (this.usedPort && !this.shared.keepForNextPeer) this.fireAndForget('close', this.options.mediaPort.close());
  }

  // ——— internals ———

  private planOf(negotiation: WebrtcNegotiation, direction: MediaDirection, remoteHold: boolean): MediaPlan {
    const format = negotiation.format!;
    // The session talks plain RTP to the leg's loopback bridge; RTCP goes there too and stops.
    return {
      remoteAddress: WEBRTC_SESSION_ADDRESS,
      remotePort: negotiation.bridgePort,
      remoteRtcpPort: negotiation.bridgePort,
      payloadType: format.payloadType,
      codec: format.codec,
      telephoneEventPt: format.telephoneEventPayloadType,
      direction,
      remoteHold,
    };
  }

  private async configure(plan: MediaPlan): Promise<void> {
    await this.options.mediaPort.configure({
      remoteAddress: plan.remoteAddress,
      remotePort: plan.remotePort,
      remoteRtcpPort: plan.remoteRtcpPort,
      payloadType: plan.payloadType,
      codec: plan.codec,
      telephoneEventPt: plan.telephoneEventPt,
      direction: plan.direction,
    });
    if (this.state === 'closed') return;
    this.plan = plan;
    this.applyMute();
    if (this.ice !== 'connected') {
      this.ice = 'connected';
      this.dispatch('iceconnectionstatechange');
    }
  }

  private transition(move: SignalingMove): void {
    const next = MOVES[this.state][move];
    if (!next) throw domError('InvalidStateError', `${move} is not allowed in signalingState "${this.state}"`);
    this.state = next;
  }

  private assertNotClosed(): void {
    if (this.state === 'closed') throw domError('InvalidStateError', 'the peer is closed');
  }

  private holdFlags(): HoldState {
    return this.options.holdState?.() ?? { local: false, remote: false };
  }

  /** Opens the bridged session once per call (shared with a failover's next peer). */
  private async localPort(): Promise<number> {
    this.usedPort = true;
    const opening = (this.shared.portOpening ??= this.options.mediaPort
      .open({ localAddress: WEBRTC_SESSION_ADDRESS, portRange: this.options.portRange })
      .then(({ port }) => port));
    const port = await opening;
    if (this.state === 'closed') {
      if (!this.shared.keepForNextPeer) this.fireAndForget('close', this.options.mediaPort.close());
      throw domError('InvalidStateError', 'the peer closed while its media port was opening');
    }
    return port;
  }

  private applyMute(): void {
    if (!this.plan || this.state === 'closed') return;
    const muted = !this.senders.some((s) => s.track?.enabled);
    if (muted === this.portMuted) return;
    this.portMuted = muted;
    this.fireAndForget('setMuted', this.options.mediaPort.setMuted(muted));
  }

  private canSendDtmf(): boolean {
    return this.state !== 'closed' && this.plan !== null && this.plan.telephoneEventPt !== null && directionSends(this.plan.direction);
  }

  private dispatch(type: string): void {
    for (const listener of [...(this.listeners.get(type) ?? [])]) listener({ type, target: this });
  }

  private fireAndForget(operation: 'setMuted' | 'sendDtmf' | 'close', promise: Promise<void>): void {
    promise.catch((error: unknown) => {
      if (operation !== 'close' && this.state === 'closed') return;
      this.options.onError?.(error instanceof Error ? error : new Error(String(error)), operation);
    });
  }
}
