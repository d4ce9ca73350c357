/**
 * One call's media as a call manager sees it: the options JsSIP must be given so that it builds a
 * {@link MediaPeer} and never reaches for `navigator`, and the binding of JsSIP's hold flags to
 * that peer. Install the globals once per process with `installRtcGlobals()` first.
 *
 * ```ts
 * // outgoing
 * const media = new CallMedia({ mediaPort, localAddress, portRange, codecs, srtp, dtmfMode });
 * const session = ua.call(target, { ...media.jssipOptions(), eventHandlers, extraHeaders });
 * media.bindSession(session);            // before any re-offer: JsSIP's createOffer is async
 * // incoming, in ua.on('newRTCSession') with originator "remote"
 * media.bindSession(session);
 * session.answer({ ...media.jssipOptions(), extraHeaders });
 * // DTMF
 * session.sendDTMF('159#', { transportType: media.dtmfTransportType() });
 * // INVITE failover: same media through another server's UA
 * media.keepMediaForNextSession();
 * session.terminate();                   // before any 1xx: JsSIP sends nothing
 * const retry = backupUa.call(target, { ...media.jssipOptions(), eventHandlers });
 * media.bindSession(retry);
 * ```
 */
import type { DTMF_TRANSPORT } from 'jssip/lib/Constants';
import type { Random } from '../clock';
import type { HoldState, MediaPeer, MediaPeerOptions, SharedCallMedia } from './media-peer';
import { createSharedCallMedia } from './media-peer';
import type { CodecName, MediaPort, PortRange } from './media-port';
import { MediaStreamStub } from './media-stream-stub';
import type { MediaPlan, SrtpMode } from './sdp-offer-answer';

/** A line's call-media settings plus this call's media port (see {@link MediaPeerOptions}). */
export interface CallMediaSettings {
  mediaPort: MediaPort;
  localAddress: string;
  portRange: PortRange;
  codecs: readonly CodecName[];
  srtp: SrtpMode;
  dtmfMode: 'rfc4733' | 'info';
  onError?: MediaPeerOptions['onError'];
  random?: Random;
  randomBytes?: (size: number) => Buffer;
  /** Line `calls.mediaMode: "webrtc"`: ICE + DTLS-SRTP through the media host's werift leg. */
  webrtc?: MediaPeerOptions['webrtc'];
}

/** The part of JsSIP's `CallOptions`/`AnswerOptions` that media needs. */
export interface JssipMediaOptions {
  mediaStream: MediaStreamStub;
  mediaConstraints: { audio: true; video: false };
  rtcConstraints: { trunkline: MediaPeerOptions };
  pcConfig: { iceServers: [] };
}

export class CallMedia {
  readonly stream = new MediaStreamStub();
  readonly peerOptions: MediaPeerOptions;
  private readonly shared: SharedCallMedia;
  private createdPeer: MediaPeer | null = null;

  constructor(settings: CallMediaSettings) {
    this.shared = createSharedCallMedia(settings);
    this.peerOptions = {
      ...settings,
      shared: this.shared,
      onPeer: (peer) => {
        this.createdPeer = peer;
      },
    };
  }

  /** The peer JsSIP constructed for this call (null until `ua.call`/`session.answer` ran). */
  get peer(): MediaPeer | null {
    return this.createdPeer;
  }

  /** The negotiated media (codec, payload types, direction, remote hold, SRTP), or null. */
  get plan(): MediaPlan | null {
    return this.createdPeer?.mediaPlan ?? null;
  }

  /**
   * Spread into `ua.call(target, {...})` or `session.answer({...})`. `mediaStream` keeps JsSIP off
   * `navigator.mediaDevices`; `video: false` makes answer() drop video (calls-design §1.3 rule 1).
   */
  jssipOptions(): JssipMediaOptions {
    return {
      mediaStream: this.stream,
      mediaConstraints: { audio: true, video: false },
      rtcConstraints: { trunkline: this.peerOptions },
      pcConfig: { iceServers: [] },
    };
  }

  /**
   * Lets the peer read JsSIP's hold flags (`session.isOnHold()`), which it needs to write re-offers
   * and answers with the right direction and `o=` version (see MediaPeer). Call it right after
   * `ua.call()` returns, or in `newRTCSession` before `answer()`.
   */
  bindSession(session: { isOnHold(): HoldState }): void {
    this.peerOptions.holdState = () => session.isOnHold();
  }

  /**
   * INVITE failover: the session about to be abandoned leaves the media port open, and the next
   * session built with {@link jssipOptions} re-offers the same port, `o=` line and SDES key (the
   * "same call, same local media" of SPEC "Calls"). Call it just before `session.terminate()`.
   * If no next session follows, call {@link close}.
   */
  keepMediaForNextSession(): void {
    this.shared.keepForNextPeer = true;
  }

  /** Closes the media port when no peer will (a kept port that no session adopted). Idempotent. */
  async close(): Promise<void> {
    this.shared.keepForNextPeer = false;
    if (this.shared.portOpening) await this.peerOptions.mediaPort.close();
  }

  /**
   * JsSIP's `transportType` for `sendDTMF`: the line's mode, but SIP INFO when the far end did not
   * negotiate telephone-event (RFC 4733 needs its payload type).
   */
  dtmfTransportType(): DTMF_TRANSPORT {
    const rfc4733 = this.peerOptions.dtmfMode === 'rfc4733' && this.plan?.telephoneEventPt != null;
    // JsSIP declares these as an enum of exactly these strings (Constants.d.ts DTMF_TRANSPORT).
    return (rfc4733 ? 'RFC2833' : 'INFO') as DTMF_TRANSPORT;
  }
}

