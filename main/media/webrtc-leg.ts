/**
 * A call's trunk leg toward a WebRTC far end (a line with `calls.mediaMode: "webrtc"`): a werift
 * 0.24.4 `RTCPeerConnection` that does ICE (host candidates on the address that reaches the SIP
 * server), DTLS-SRTP (RFC 5763/5764) and `UDP/TLS/RTP/SAVPF`, with one audio transceiver.
 *
 * The leg does not duplicate the call's media logic: it is bridged over a loopback UDP socket to an
 * ordinary {@link MediaSession} (opened on 127.0.0.1 with plain RTP/AVP) that keeps the tone/WAV
 * source, the audio bus relay, recording, RFC 4733 in both directions, mute/hold, statistics and
 * the inactivity watch exactly as for `rtp` lines:
 *
 * ```
 *   MediaSession (127.0.0.1:p) ──RTP──▶ bridge socket (127.0.0.1:b) ──SRTP via werift──▶ far end
 *   MediaSession (127.0.0.1:p) ◀──RTP── bridge socket               ◀──SRTP via werift── far end
 * ```
 * The session is configured with remote = the bridge, `remoteRtcpPort` = the bridge too; the
 * session's RTCP is dropped at the bridge (werift runs its own RTCP on the DTLS-SRTP leg), so the
 * session's round trip stays null on webrtc calls.
 *
 * Codecs offered/accepted: PCMU, PCMA and telephone-event/8000 only (in that order): the session
 * encodes, decodes and records G.711 and there is no Opus codec in Node. Chromium and JsSIP accept
 * PCMU as an answerer and offer it as a caller, so this costs bandwidth, not interop.
 *
 * Offer/answer (the engine side, `webrtc-media-peer.ts`, passes the SDP through to JsSIP):
 * ```
 *   offer():  addTransceiver(sendrecv) once → createOffer → setLocal → gathered → sdp
 *   acceptAnswer(sdp): setRemote(answer)
 *   answer(sdpOffer): setRemote(offer) → transceivers sendrecv → createAnswer → setLocal → gathered → sdp
 * ```
 * Hold is JsSIP's mangling of the wire SDP; the werift side stays sendrecv and the session's
 * direction (configured by the engine from the wire SDP) decides what is sent.
 */
import { createSocket, type Socket } from 'node:dgram';
import { RTCPeerConnection, RTCRtpCodecParameters, RtpHeader, RtpPacket } from 'werift';
import type { RTCRtpTransceiver } from 'werift';
import { keepCandidatesOn } from './bus-peer';
import type { LegFormat } from './bus-relay';
import type { G711Codec } from './media-protocol';

/** Connection state as werift reports it (W3C `RTCPeerConnectionState`). */
export type WebrtcLegState = 'new' | 'connecting' | 'connected' | 'disconnected' | 'failed' | 'closed';

export interface WebrtcLegOptions {
  /** IPv4 address ICE gathers on: the one that reaches the SIP server (host candidates only). */
  iceAddress: string;
  /** The bridged session's RTP port on 127.0.0.1. */
  sessionRtpPort: number;
  /** ICE ports inside this inclusive range (the line's RTP range); default: any. */
  portRange?: { min: number; max: number };
  /** RFC 4733 payload type offered (default 101). */
  telephoneEventPayloadType?: number;
  onState?: (state: WebrtcLegState) => void;
  onError?: (error: Error) => void;
}

/** Bounds the wait for ICE gathering (host candidates only: milliseconds; a stall is a bug). */
const GATHERING_TIMEOUT_MS = 5000;
/** RFC 5761 §4: second octet 192–223 is RTCP. */
const isRtcpOctet = (b: number | undefined): boolean => b !== undefined && b >= 192 && b <= 223;

export class WebrtcLeg {
  private readonly pc: RTCPeerConnection;
  private readonly bridge: Socket;
  private negotiating: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Packets moved each way (tests, diagnostics). */
  readonly counts = { toFarEnd: 0, fromFarEnd: 0 };

  private constructor(private readonly options: WebrtcLegOptions, bridge: Socket) {
    this.bridge = bridge;
    const te = options.telephoneEventPayloadType ?? 101;
    this.pc = new RTCPeerConnection({
      codecs: {
        audio: [
          new RTCRtpCodecParameters({ mimeType: 'audio/PCMU', clockRate: 8000, channels: 1, payloadType: 0 }),
          new RTCRtpCodecParameters({ mimeType: 'audio/PCMA', clockRate: 8000, channels: 1, payloadType: 8 }),
          new RTCRtpCodecParameters({ mimeType: 'audio/telephone-event', clockRate: 8000, channels: 1, payloadType: te }),
        ],
        video: [],
      },
      iceAdditionalHostAddresses: [options.iceAddress],
      iceInterfaceAddresses: { udp4: options.iceAddress },
      iceUseIpv6: false,
      ...(options.portRange ? { icePortRange: [options.portRange.min, options.portRange.max] as [number, number] } : {}),
    });
    // werift announces the same track again on re-negotiation (re-INVITE): subscribe once per track,
    // or every packet would reach the session twice.
    const subscribed = new WeakSet<object>();
    this.pc.onTrack.subscribe((track) => {
      if (subscribed.has(track)) return;
      subscribed.add(track);
      track.onReceiveRtp.subscribe((packet) => this.fromFarEnd(packet));
    });
    this.pc.connectionStateChange.subscribe((state) => options.onState?.(state));
    bridge.on('message', (msg) => this.fromSession(msg));
    bridge.on('error', (error) => options.onError?.(error));
  }

  /** Binds the bridge socket on 127.0.0.1 and builds the peer. */
  static async create(options: WebrtcLegOptions): Promise<WebrtcLeg> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return new WebrtcLeg(options, socket);
  }

  /** The bridge's port on 127.0.0.1: the bridged session's remote RTP (and RTCP) port. */
  get bridgePort(): number {
    return this.bridge.address().port;
  }

  get state(): WebrtcLegState {
    return this.pc.connectionState;
  }

  /** Our offer (first or re-offer), complete with host candidates (no trickle: SIP carries one SDP). */
  offer(): Promise<string> {
    return this.serial(async () => {
      if (!this.audioTransceiver()) this.pc.addTransceiver('audio', { direction: 'sendrecv' });
      await this.pc.setLocalDescription(await this.pc.createOffer());
      return this.localSdp();
    });
  }

  /** Applies the far end's answer to our last offer. @throws Error when werift refuses it. */
  acceptAnswer(sdp: string): Promise<void> {
    return this.serial(async () => {
      await this.pc.setRemoteDescription({ type: 'answer', sdp });
    });
  }

  /** Answers the far end's offer (initial or re-INVITE); @returns our answer SDP with candidates. */
  answer(sdpOffer: string): Promise<string> {
    return this.serial(async () => {
      await this.pc.setRemoteDescription({ type: 'offer', sdp: sdpOffer });
      for (const transceiver of this.pc.getTransceivers()) {
        if (transceiver.kind === 'audio' && !transceiver.stopped) transceiver.setDirection('sendrecv');
      }
      await this.pc.setLocalDescription(await this.pc.createAnswer());
      return this.localSdp();
    });
  }

  /** What the audio transceiver negotiated (codec, PTs), or null before an answer or without G.711. */
  format(): LegFormat | null {
    const transceiver = this.audioTransceiver();
    const codec = transceiver?.sender.codec;
    if (!transceiver || !codec) return null;
    const name = codec.name.toUpperCase();
    if (name !== 'PCMU' && name !== 'PCMA') return null;
    const te = transceiver.codecs.find((c) => c.name.toLowerCase() === 'telephone-event' && c.clockRate === 8000);
    return { codec: name as G711Codec, payloadType: codec.payloadType, telephoneEventPayloadType: te?.payloadType ?? null };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pc.close().catch(() => undefined);
    await new Promise<void>((resolve) => {
      try {
        this.bridge.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }

  // ——— relaying ———

  /** The session's RTP (plain) → the far end over DTLS-SRTP, keeping its PT, sequence and timestamp. */
  private fromSession(msg: Buffer): void {
    if (this.closed || msg.length < 12 || isRtcpOctet(msg[1])) return; // the session's RTCP stays here
    const transceiver = this.audioTransceiver();
    if (!transceiver || this.pc.connectionState !== 'connected') return;
    let packet: RtpPacket;
    try {
      packet = RtpPacket.deSerialize(msg);
    } catch {
      return;
    }
    const { header } = packet;
    // werift's sender.sendRtp would rewrite the payload type to the codec's (turning RFC 4733 into audio).
    const out = new RtpHeader({ payloadType: header.payloadType, sequenceNumber: header.sequenceNumber, timestamp: header.timestamp, marker: header.marker, ssrc: transceiver.sender.ssrc });
    this.counts.toFarEnd++;
    transceiver.sender.dtlsTransport.sendRtp(packet.payload, out).catch((error: Error) => this.options.onError?.(error));
  }

  /** The far end's RTP (SRTP already removed by werift) → the session, from the bridge socket. */
  private fromFarEnd(packet: RtpPacket): void {
    if (this.closed) return;
    this.counts.fromFarEnd++;
    this.bridge.send(packet.serialize(), this.options.sessionRtpPort, '127.0.0.1', (error) => {
      if (error) this.options.onError?.(error);
    });
  }

  // ——— helpers ———

  private audioTransceiver(): RTCRtpTransceiver | undefined {
    return this.pc.getTransceivers().find((t) => t.kind === 'audio' && !t.stopped);
  }

  private serial<T>(step: () => Promise<T>): Promise<T> {
    const run = this.negotiating.then(() => {
      if (this.closed) throw new Error('webrtc leg: closed');
      return step();
    });
    this.negotiating = run.catch(() => undefined);
    return run;
  }

  private async localSdp(): Promise<string> {
    await this.gathered();
    const sdp = this.pc.localDescription?.sdp;
    if (!sdp) throw new Error('webrtc leg: no local description after setLocalDescription');
    // werift may also gather on other interfaces: the far end gets only the address toward the server.
    return keepCandidatesOn(sdp, this.options.iceAddress);
  }

  private gathered(): Promise<void> {
    if (this.pc.iceGatheringState === 'complete') return Promise.resolve();
    return new Promise((resolve, reject) => {
      // Not domain code: a bounded wait on a library event in the media host's I/O shell.
      const timer = setTimeout(() => {
        unsubscribe();
        reject(new Error(`webrtc leg: ICE gathering did not complete within ${GATHERING_TIMEOUT_MS} ms`));
      }, GATHERING_TIMEOUT_MS);
      const { unSubscribe: unsubscribe } = this.pc.iceGatheringStateChange.subscribe((state) => {
        if (state !== 'complete') return;
        clearTimeout(timer);
        unsubscribe();
        resolve();
      });
    });
  }
}
