/**
 * The media host's webrtc legs, one per session that asked for one (`webrtc-offer`,
 * `webrtc-answer`, `webrtc-accept`, media-protocol.ts). A leg is created on a session's first
 * webrtc command and closed with the session.
 */
import { RTCDtlsTransport } from 'werift';
import type { Clock } from '../sip/clock';
import type { MediaSession } from './media-session';
import type { MediaCommands, MediaEvents, WebrtcResult } from './media-protocol';
import { WebrtcLeg } from './webrtc-leg';

type WebrtcCommand = 'webrtc-offer' | 'webrtc-answer' | 'webrtc-accept';

export interface WebrtcLegsDeps {
  clock: Clock;
  emitState: (payload: MediaEvents['webrtc-state']) => void;
  fault: (session: string, error: Error) => void;
}

export class WebrtcLegs {
  private readonly legs = new Map<string, Promise<WebrtcLeg>>();
  /** When each session's leg last had the far end's SDP applied (for `sinceRemoteSdpMs`). */
  private readonly remoteSdpAt = new Map<string, number>();

  /** Starts making the DTLS certificate (see {@link prewarm}) as the media host starts. */
  constructor(private readonly deps: WebrtcLegsDeps) {
    WebrtcLegs.prewarm();
  }

  /**
   * Makes werift's per-process DTLS certificate (ECDSA P-256, cached by werift for every later peer)
   * now rather than inside the first webrtc call's setup (≈ 340 ms cold on this machine). Idempotent;
   * a failure surfaces again on first use.
   */
  static prewarm(): void {
    RTCDtlsTransport.SetupCertificate().catch(() => undefined);
  }

  static isWebrtcCommand(command: string): command is WebrtcCommand {
    return command === 'webrtc-offer' || command === 'webrtc-answer' || command === 'webrtc-accept';
  }

  /** Runs one webrtc command on `session`'s leg (created on first use). @throws Error naming the field. */
  async run(session: MediaSession, command: WebrtcCommand, params: MediaCommands[WebrtcCommand]['params']): Promise<WebrtcResult> {
    if (command === 'webrtc-accept') {
      const leg = await this.legs.get(session.id);
      if (!leg) throw new Error(`session: "${session.id}" has no webrtc leg (webrtc-offer first)`);
      try {
        await leg.acceptAnswer((params as MediaCommands['webrtc-accept']['params']).sdpAnswer);
        this.remoteSdpAt.set(session.id, this.deps.clock.now());
      } catch (error) {
        throw new Error(`sdpAnswer: the webrtc leg refused it: ${(error as Error).message}`);
      }
      return { sdp: '', bridgePort: leg.bridgePort, format: leg.format() };
    }
    const { iceAddress, portMin, portMax } = params as MediaCommands['webrtc-offer']['params'];
    const leg = await this.legFor(session, iceAddress, portMin !== undefined && portMax !== undefined ? { min: portMin, max: portMax } : undefined);
    if (command === 'webrtc-offer') return { sdp: await leg.offer(), bridgePort: leg.bridgePort, format: leg.format() };
    let sdp: string;
    try {
      this.remoteSdpAt.set(session.id, this.deps.clock.now());
      sdp = await leg.answer((params as MediaCommands['webrtc-answer']['params']).sdpOffer);
    } catch (error) {
      throw new Error(`sdpOffer: the webrtc leg could not answer it: ${(error as Error).message}`);
    }
    return { sdp, bridgePort: leg.bridgePort, format: leg.format() };
  }

  /** Closes `session`'s leg, if any. */
  async close(session: string): Promise<void> {
    const leg = this.legs.get(session);
    this.legs.delete(session);
    this.remoteSdpAt.delete(session);
    if (leg) await (await leg.catch(() => null))?.close();
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.legs.keys()].map((id) => this.close(id)));
  }

  /** The session's leg; created with the first command's address and port range (later ones do not move it). */
  private legFor(session: MediaSession, iceAddress: string, portRange: { min: number; max: number } | undefined): Promise<WebrtcLeg> {
    let leg = this.legs.get(session.id);
    if (!leg) {
      const createdAt = this.deps.clock.now();
      leg = WebrtcLeg.create({
        iceAddress,
        sessionRtpPort: session.rtpPort,
        ...(portRange ? { portRange } : {}),
        onState: (state) => {
          const now = this.deps.clock.now();
          const remoteAt = this.remoteSdpAt.get(session.id);
          this.deps.emitState({ session: session.id, state, elapsedMs: now - createdAt, sinceRemoteSdpMs: remoteAt === undefined ? null : now - remoteAt });
        },
        onError: (error) => this.deps.fault(session.id, error),
      });
      this.legs.set(session.id, leg);
      leg.catch(() => this.legs.delete(session.id));
    }
    return leg;
  }
}
