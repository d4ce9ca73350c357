/**
 * MediaPeer: the RTCPeerConnection that JsSIP 3.13.8's RTCSession gets in Node
 * (research/calls-design.md §1). It speaks RFC 3264 offer/answer itself for one plain audio
 * stream (RTP/AVP or SDES-SRTP) and hands the negotiated result to a {@link MediaPort} in the media
 * host. Only the surface RTCSession touches exists (§1.2): listeners, addTrack/getSenders (with
 * `track.enabled` and `dtmf`), createOffer/createAnswer, set{Local,Remote}Description,
 * localDescription/remoteDescription, signalingState, iceGatheringState, iceConnectionState, close.
 *
 * Signalling state (W3C webrtc-pc §4.3.1, restricted to what JsSIP drives; one `transition()`
 * refuses every other move):
 * ```
 *            setLocal(offer)                 setRemote(answer)
 *   stable ─────────────────▶ have-local-offer ─────────────────▶ stable
 *     │  ▲                     │  ▲ setLocal(offer) again (18x→2xx)   │ setRemote(answer) again:
 *     │  │                     └──┘                                   └─ a later 18x/2xx answer to
 *     │  │ setLocal(answer)                                              the same offer
 *     │  └──────────────── have-remote-offer
 *     └─ setRemote(offer) ───────▲
 *   any ── close() ──▶ closed
 * ```
 * Media state (`iceConnectionState`): new → connected (first configure) → failed (the media port
 * saw no RTP: JsSIP then ends the call with BYE `Reason: SIP ;cause=408`, RTCSession.js:1366) →
 * closed.
 *
 * Hold. JsSIP marks hold by disabling the audio track (`_setLocalMediaStatus`, RTCSession.js:2401)
 * — mute and remote hold do the same, so `track.enabled` alone cannot tell hold — and by
 * rewriting our re-offer *after* createOffer (`_mangleOffer`, RTCSession.js:2348): local hold
 * sendrecv→sendonly, recvonly→inactive; remote hold sendrecv→recvonly, recvonly→inactive; both →
 * inactive; never touching the `o=` version. So the peer reads JsSIP's own flags
 * (`session.isOnHold()`, bound through {@link MediaPeerOptions.holdState}) and:
 * - makes re-offers whose rewrite is the RFC 3264 §8.4 direction (local: sendonly, remote:
 *   written sendrecv → recvonly on the wire, both: inactive), stamping the `o=` version over the
 *   wire content, so a hold changes the version and a refresh does not (RFC 3264 §8);
 * - answers a far end's re-offer while we hold with sendonly/inactive (JsSIP never rewrites
 *   answers);
 * - sends audio only while the track is enabled (mute, local hold and remote hold all stop our
 *   RTP, as JsSIP intends).
 */
import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import type { Random } from '../clock';
import { systemRandom } from '../clock';
import { DtmfSender } from './dtmf-sender';
import type { CodecName, MediaDirection, MediaPort, PortRange } from './media-port';
import { directionSends } from './media-port';
import type { AcceptedOffer, LocalMediaPolicy, MediaPlan, SrtpMode } from './sdp-offer-answer';
import { acceptOffer, buildAnswer, buildOffer, readAnswer, SdpOrigin } from './sdp-offer-answer';
import type { AudioTrackStub } from './media-stream-stub';
import type { WebrtcPeerOptions } from './webrtc-media-peer';
import { WebrtcMediaPeer } from './webrtc-media-peer';

/** JsSIP's hold flags, `RTCSession.isOnHold()`. */
export interface HoldState {
  local: boolean;
  remote: boolean;
}

/**
 * Per-call options, passed to JsSIP as `rtcConstraints: { trunkline: options }` (RTCSession.js
 * hands `rtcConstraints` to the constructor untouched, by reference, so fields set after
 * `ua.call()` returns are seen by the peer).
 */
export interface MediaPeerOptions {
  /** This call's media session in the media host. */
  mediaPort: MediaPort;
  /** IPv4 address of ours that reaches the far end (the `c=` and `o=` address). */
  localAddress: string;
  portRange: PortRange;
  /** Accepted codecs in preference order. */
  codecs: readonly CodecName[];
  srtp: SrtpMode;
  /** The line's DTMF mode; the peer carries RFC 4733 either way, the call manager picks transport. */
  dtmfMode: 'rfc4733' | 'info';
  /** JsSIP's hold flags for this call; set it to `() => session.isOnHold()` (see CallMedia). */
  holdState?: () => HoldState;
  /** Told the peer once JsSIP has constructed it. */
  onPeer?: (peer: MediaPeer) => void;
  /** State shared with the call's earlier and later peers (see {@link SharedCallMedia}); default: the peer's own. */
  shared?: SharedCallMedia;
  /** Errors of fire-and-forget media-port calls (setMuted, sendDtmf, close). */
  onError?: (error: Error, operation: 'configure' | 'setMuted' | 'sendDtmf' | 'close' | 'inactive') => void;
  /** For the `o=` session id (default: the system's). */
  random?: Random;
  /** For SDES master keys (default: node:crypto). */
  randomBytes?: (size: number) => Buffer;
  /**
   * Line `calls.mediaMode: "webrtc"`: the constructor returns a {@link WebrtcMediaPeer} instead,
   * which passes a werift peer's SDP (ICE + DTLS-SRTP) through to JsSIP.
   */
  webrtc?: WebrtcPeerOptions;
}

/**
 * What the successive peers of one call share: the media port, the `o=` line and the SDES key.
 * INVITE failover (SPEC "Calls") abandons the JsSIP session and re-sends "the same call (same local
 * media)" through another server, which JsSIP can only do with a new RTCSession and so a new peer;
 * sharing this state makes that peer re-offer the same port, session id, version and key.
 */
export interface SharedCallMedia {
  /** The media port's `open`, once per call. */
  portOpening: Promise<number> | null;
  readonly origin: SdpOrigin;
  readonly srtpKeyBase64: string | null;
  /** True: the peer closing now leaves the port open for the next one (cleared when it is built). */
  keepForNextPeer: boolean;
}

/** Fresh shared state for a call (a new `o=` session id, a new SDES key unless SRTP is off). */
export function createSharedCallMedia(options: Pick<MediaPeerOptions, 'srtp' | 'random' | 'randomBytes'>): SharedCallMedia {
  const random = options.random ?? systemRandom;
  return {
    portOpening: null,
    // RFC 4566 §5.2: a numeric session id, unique per session; 12 digits stay exact in sdp-transform.
    origin: new SdpOrigin(String(1e11 + Math.floor(random() * 9e11))),
    // RFC 4568 §6.1: our master key ‖ salt, from a cryptographic source.
    srtpKeyBase64: options.srtp === 'off' ? null : (options.randomBytes ?? cryptoRandomBytes)(30).toString('base64'),
    keepForNextPeer: false,
  };
}

export type SignalingState = 'stable' | 'have-local-offer' | 'have-remote-offer' | 'closed';
export type IceConnectionState = 'new' | 'connected' | 'failed' | 'closed';
type SignalingMove = 'set-local-offer' | 'set-local-answer' | 'set-remote-offer' | 'set-remote-answer' | 'close';

/** A description as JsSIP passes it around (an RTCSessionDescription or its init dictionary). */
export interface SessionDescriptionInit {
  type: 'offer' | 'answer' | 'pranswer' | 'rollback';
  sdp: string;
}

/** The RTCRtpSender subset JsSIP reads: `track` and `dtmf`. */
export interface MediaPeerSender {
  readonly track: AudioTrackStub | null;
  readonly dtmf: DtmfSender;
}

type Listener = (event: { type: string; target: MediaPeer; candidate?: null }) => void;

function domError(name: string, message: string): Error {
  return Object.assign(new Error(`${name}: ${message}`), { name });
}

/** The moves each signalling state allows (W3C webrtc-pc §4.3.1, plus the two JsSIP needs). */
const MOVES: Record<SignalingState, Partial<Record<SignalingMove, SignalingState>>> = {
  stable: { 'set-local-offer': 'have-local-offer', 'set-remote-offer': 'have-remote-offer', 'set-remote-answer': 'stable', close: 'closed' },
  'have-local-offer': { 'set-local-offer': 'have-local-offer', 'set-remote-answer': 'stable', close: 'closed' },
  'have-remote-offer': { 'set-local-answer': 'stable', close: 'closed' },
  closed: {},
};

/** The direction we want on the wire for a re-offer, from JsSIP's hold flags (RFC 3264 §8.4). */
function offerDirectionFor(hold: HoldState): MediaDirection {
  if (hold.local && hold.remote) return 'inactive';
  if (hold.local) return 'sendonly';
  if (hold.remote) return 'recvonly';
  return 'sendrecv';
}

/** What to write so that JsSIP's `_mangleOffer` turns it into {@link offerDirectionFor}. */
function writtenOfferDirectionFor(hold: HoldState): MediaDirection {
  // Remote hold alone: JsSIP rewrites sendrecv→recvonly but recvonly→inactive.
  if (hold.remote && !hold.local) return 'sendrecv';
  return offerDirectionFor(hold);
}

export class MediaPeer {
  private state: SignalingState = 'stable';
  private ice: IceConnectionState = 'new';
  private gathering: 'new' | 'complete' = 'new';
  private readonly options: MediaPeerOptions;
  private readonly policy: LocalMediaPolicy;
  private readonly shared: SharedCallMedia;
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly senders: MediaPeerSender[] = [];
  private readonly unsubscribes: (() => void)[] = [];
  private usedPort = false;
  private localDesc: SessionDescriptionInit | null = null;
  private remoteDesc: SessionDescriptionInit | null = null;
  /** Our last offer: the direction the wire carries, to read the answer against. */
  private offered: { sdp: string; direction: MediaDirection } | null = null;
  private remoteOffer: AcceptedOffer | null = null;
  private answered: { sdp: string; plan: MediaPlan } | null = null;
  private plan: MediaPlan | null = null;
  private portMuted = false;

  /**
   * @param _configuration the RTCConfiguration JsSIP passes (`{iceServers: []}`): unused, no ICE.
   * @param constraints JsSIP's `rtcConstraints`: must carry `{ trunkline: MediaPeerOptions }`.
   * @throws TypeError naming the missing field when the options are incomplete.
   */
  constructor(_configuration?: unknown, constraints?: { trunkline?: MediaPeerOptions } | null) {
    const options = constraints?.trunkline;
    if (!options) throw new TypeError('MediaPeer needs rtcConstraints.trunkline (pass CallMedia.jssipOptions() to ua.call/session.answer)');
    if (!options.mediaPort) throw new TypeError('rtcConstraints.trunkline.mediaPort is required');
    if (!['off', 'optional', 'mandatory'].includes(options.srtp)) throw new TypeError(`rtcConstraints.trunkline.srtp must be "off", "optional" or "mandatory" (got "${String(options.srtp)}")`);
    this.options = options;
    this.policy = { codecs: [...options.codecs], srtp: options.srtp };
    this.shared = options.shared ?? createSharedCallMedia(options);
    // One global RTCPeerConnection serves every line (calls-design §1.1): webrtc lines get their own peer.
    // (The options object itself, not a copy: CallMedia.bindSession sets holdState on it after ua.call().)
    if (options.webrtc) return new WebrtcMediaPeer(Object.assign(options, { shared: this.shared })) as unknown as MediaPeer;
    // This peer now owns the call's media: a port kept by the previous peer is closed by this one.
    this.shared.keepForNextPeer = false;
    this.unsubscribes.push(options.mediaPort.onInactive(() => this.onMediaInactive()));
    options.onPeer?.(this);
  }

  get signalingState(): SignalingState {
    return this.state;
  }

  get iceConnectionState(): IceConnectionState {
    return this.ice;
  }

  /** No ICE for RTP/AVP: gathering completes when a local description is set (calls-design §1.3 rule 2). */
  get iceGatheringState(): 'new' | 'complete' {
    return this.gathering;
  }

  get connectionState(): IceConnectionState {
    return this.ice;
  }

  get localDescription(): SessionDescriptionInit | null {
    return this.localDesc;
  }

  get remoteDescription(): SessionDescriptionInit | null {
    return this.remoteDesc;
  }

  /** The media plan last handed to the media port (null before the first offer/answer completes). */
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

  /** JsSIP adds the stream's tracks; only audio is carried, and its `enabled` drives mute. */
  addTrack(track: AudioTrackStub, _stream?: unknown): MediaPeerSender {
    if (this.state === 'closed') throw domError('InvalidStateError', 'the peer is closed');
    if (track.kind !== 'audio') throw new TypeError(`only audio tracks are carried (got "${String(track.kind)}")`);
    const sender: MediaPeerSender = {
      track,
      dtmf: new DtmfSender({ canSendDtmf: () => this.canSendDtmf(), sendDtmf: (tones, duration, gap) => this.sendDtmf(tones, duration, gap) }),
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

  /** RFC 3264 §5 offer on our (opened on first use) RTP port; see the class comment for hold. */
  async createOffer(_options?: unknown): Promise<SessionDescriptionInit> {
    this.assertNotClosed();
    const port = await this.localPort();
    const hold = this.holdFlags();
    const direction = offerDirectionFor(hold);
    const sdp = buildOffer(this.shared.origin, { address: this.options.localAddress, port, direction: writtenOfferDirectionFor(hold), srtpKeyBase64: this.shared.srtpKeyBase64 }, this.policy, direction);
    this.offered = { sdp, direction };
    return { type: 'offer', sdp };
  }

  /** RFC 3264 §6 answer to the remote offer set last. */
  async createAnswer(_options?: unknown): Promise<SessionDescriptionInit> {
    this.assertNotClosed();
    const offer = this.remoteOffer;
    if (this.state !== 'have-remote-offer' || !offer) throw domError('InvalidStateError', `createAnswer needs a remote offer (signalingState is "${this.state}")`);
    const port = await this.localPort();
    // RFC 3264 §8.4: while we hold, our answer is sendonly (or inactive); JsSIP never rewrites answers.
    const localDirection: MediaDirection = this.holdFlags().local ? 'sendonly' : 'sendrecv';
    this.answered = buildAnswer(this.shared.origin, offer, { address: this.options.localAddress, port, srtpKeyBase64: this.shared.srtpKeyBase64 }, this.policy, localDirection);
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
        this.remoteOffer = null;
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
      if (!MOVES[this.state]['set-remote-offer']) {
        throw domError('InvalidStateError', `a remote offer in signalingState "${this.state}"`);
      }
      // Throws SdpError / SdpNotAcceptableError: JsSIP answers 488 (RTCSession.js:528, 1710).
      const offer = acceptOffer(description.sdp, this.policy);
      this.transition('set-remote-offer');
      this.remoteOffer = offer;
      this.remoteDesc = { type: 'offer', sdp: description.sdp };
      return;
    }
    if (description.type === 'answer') {
      const offered = this.offered;
      if (!offered || !MOVES[this.state]['set-remote-answer'] || (this.state === 'stable' && this.localDesc?.type !== 'offer')) {
        throw domError('InvalidStateError', `a remote answer in signalingState "${this.state}" without an outstanding offer of ours`);
      }
      // Throws when the answer is unusable: JsSIP ACKs and BYEs with 488 (RTCSession.js:2098).
      const plan = readAnswer(description.sdp, { direction: offered.direction, policy: this.policy, srtpKeyBase64: this.shared.srtpKeyBase64 });
      this.transition('set-remote-answer');
      this.remoteDesc = { type: 'answer', sdp: description.sdp };
      await this.configure({ ...plan, remoteHold: this.plan?.remoteHold ?? false });
      return;
    }
    throw domError('InvalidAccessError', `description type "${String(description.type)}" is not supported`);
  }

  /** Ends the call's media: idempotent; releases the media port without waiting for it. */
  close(): void {
    if (this.state === 'closed') return;
    this.transition('close');
    this.ice = 'closed';
    for (const unsubscribe of this.unsubscribes.splice(0)) unsubscribe();
    this.listeners.clear();
    for (const sender of this.senders) sender.track?.stop();
    if (this.usedPort && !this.shared.keepForNextPeer) this.fireAndForget('close', this.options.mediaPort.close());
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

  /** Opens the media port once per call; every description of the call uses the same port. */
  private async localPort(): Promise<number> {
    this.usedPort = true;
    const opening = (this.shared.portOpening ??= this.options.mediaPort
      .open({ localAddress: this.options.localAddress, portRange: this.options.portRange })
      .then(({ port }) => port));
    const port = await opening;
    if (this.state === 'closed') {
      // close() raced the open: the port it could not close yet is closed now (unless kept).
      if (!this.shared.keepForNextPeer) this.fireAndForget('close', this.options.mediaPort.close());
      throw domError('InvalidStateError', 'the peer closed while its media port was opening');
    }
    return port;
  }

  /**
   * Hands the negotiated media to the port without making JsSIP wait: JsSIP sends the ACK (and,
   * for an incoming call, the 200 OK) only once the description is set, and a round trip to the
   * media process there was most of our call setup time. The port runs its commands in order, so
   * a later mute or DTMF still follows this configure. A configure that fails ends the call the
   * way lost RTP does: `iceconnectionstatechange` → 'failed', and JsSIP sends BYE.
   */
  private configure(plan: MediaPlan): Promise<void> {
    const configured = this.options.mediaPort.configure({
      remoteAddress: plan.remoteAddress,
      remotePort: plan.remotePort,
      remoteRtcpPort: plan.remoteRtcpPort,
      payloadType: plan.payloadType,
      codec: plan.codec,
      telephoneEventPt: plan.telephoneEventPt,
      direction: plan.direction,
      ...(plan.srtp ? { srtp: plan.srtp } : {}),
    });
    configured.catch((error: unknown) => {
      if (this.state === 'closed') return;
      this.options.onError?.(error instanceof Error ? error : new Error(String(error)), 'configure');
      this.setIce('failed');
    });
    this.plan = plan;
    this.applyMute();
    this.setIce('connected');
    return Promise.resolve();
  }

  /** Mute follows the audio track: JsSIP disables it for mute, local hold and remote hold. */
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

  private sendDtmf(tones: string, durationMs: number, gapMs: number): void {
    this.fireAndForget('sendDtmf', this.options.mediaPort.sendDtmf(tones, durationMs, gapMs));
  }

  private onMediaInactive(): void {
    if (this.state === 'closed' || this.ice !== 'connected') return;
    this.setIce('failed');
  }

  private setIce(next: IceConnectionState): void {
    if (this.ice === next) return;
    this.ice = next;
    this.dispatch('iceconnectionstatechange');
  }

  private dispatch(type: string): void {
    for (const listener of [...(this.listeners.get(type) ?? [])]) listener({ type, target: this });
  }

  private fireAndForget(operation: 'setMuted' | 'sendDtmf' | 'close', promise: Promise<void>): void {
    promise.catch((error: unknown) => {
      // Hanging up while digits are still playing fails their request: nothing anyone must hear of.
      if (operation !== 'close' && this.state === 'closed') return;
      this.options.onError?.(error instanceof Error ? error : new Error(String(error)), operation);
    });
  }
}
