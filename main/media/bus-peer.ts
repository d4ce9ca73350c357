/**
 * The media host's end of the audio bus: a werift 0.24.4 `RTCPeerConnection` that answers the
 * renderer's offer (research/calls-design.md §3.3 "Option B"). The renderer's `RTCPeerConnection`
 * holds the microphone and plays the far end; this peer only moves RTP: what arrives on a
 * transceiver goes to `onRtp`, and {@link BusPeer.send} puts a relayed packet on a transceiver with
 * its sender's SSRC and the payload type it is given (werift's `sendRtp` would overwrite the payload
 * type with the codec's, which would turn RFC 4733 events into audio).
 *
 * One bus lives for many calls: the renderer adds one audio transceiver per concurrent call and
 * re-offers; {@link BusPeer.negotiate} answers every offer (the first and every later one). A
 * transceiver is named by its `mid` (RFC 8843 §2), which both sides see.
 *
 * ```
 *   new ──negotiate(offer)──► connecting ──ICE+DTLS──► connected ──close()──► closed
 *                                  │                                     ▲
 *                                  └──────────── failed ─────────────────┘
 * ```
 *
 * Loopback only: ICE gathers on 127.0.0.1 and the answer carries only 127.0.0.1 candidates (the
 * renderer needs `--allow-loopback-in-peer-connection` to offer one, FIELD-NOTES "Chromium").
 */
import { RTCPeerConnection, RTCRtpCodecParameters, RtpHeader } from 'werift';
import type { RTCRtpTransceiver, RtpPacket } from 'werift';
import type { G711Codec } from './media-protocol';
import type { LegFormat } from './bus-relay';
import { MAX_BUS_SDP_LENGTH } from './media-request-validation';

/** Connection state as werift reports it (W3C `RTCPeerConnectionState`). */
export type BusState = 'new' | 'connecting' | 'connected' | 'disconnected' | 'failed' | 'closed';

export interface BusPeerOptions {
  /** Loopback address to gather on (default 127.0.0.1). */
  address?: string;
  /** RFC 4733 payload type to offer as answerer when the offer has none of its own (default 101). */
  telephoneEventPayloadType?: number;
}

/** The fields {@link BusPeer.send} writes; the SSRC is the transceiver sender's own. */
export interface BusRtpHeader {
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  marker: boolean;
}

/** Bounds the wait for ICE gathering on loopback (it takes milliseconds; a stall is a bug). */
const GATHERING_TIMEOUT_MS = 8000;

export class BusPeer {
  private readonly pc: RTCPeerConnection;
  private readonly rtpListeners = new Set<(mid: string, packet: RtpPacket) => void>();
  private readonly stateListeners = new Set<(state: BusState) => void>();
  private readonly address: string;
  private negotiating: Promise<unknown> = Promise.resolve();

  constructor(options: BusPeerOptions = {}) {
    this.address = options.address ?? '127.0.0.1';
    const te = options.telephoneEventPayloadType ?? 101;
    this.pc = new RTCPeerConnection({
      // Offered order is the renderer's; these are what we accept. G.711 only: the trunk leg is G.711
      // and the relay never decodes (Opus would need a codec in Node).
      codecs: {
        audio: [
          new RTCRtpCodecParameters({ mimeType: 'audio/PCMU', clockRate: 8000, channels: 1, payloadType: 0 }),
          new RTCRtpCodecParameters({ mimeType: 'audio/PCMA', clockRate: 8000, channels: 1, payloadType: 8 }),
          new RTCRtpCodecParameters({ mimeType: 'audio/telephone-event', clockRate: 8000, channels: 1, payloadType: te }),
        ],
        video: [],
      },
      iceAdditionalHostAddresses: [this.address],
      iceInterfaceAddresses: { udp4: this.address },
      iceUseIpv6: false,
    });
    this.pc.onTrack.subscribe((track) => {
      track.onReceiveRtp.subscribe((packet) => {
        const mid = this.midOfTrack(track);
        if (mid === null) return;
        for (const listener of this.rtpListeners) listener(mid, packet);
      });
    });
    this.pc.connectionStateChange.subscribe((state) => {
      for (const listener of this.stateListeners) listener(state);
    });
  }

  get state(): BusState {
    return this.pc.connectionState;
  }

  /**
   * Answers an offer from the renderer (the first or a re-offer). Every audio transceiver is made
   * sendrecv: the bus carries the call both ways; hold and mute are the trunk leg's business.
   * Offers are answered one at a time, in order.
   * @returns the answer SDP, complete with its (loopback) candidates: the bus does not trickle.
   * @throws Error when the offer is not a valid SDP offer for werift, or gathering stalls.
   */
  negotiate(sdpOffer: string): Promise<string> {
    const run = this.negotiating.then(() => this.answer(sdpOffer));
    this.negotiating = run.catch(() => undefined);
    return run;
  }

  private async answer(sdpOffer: string): Promise<string> {
    if (sdpOffer.length > MAX_BUS_SDP_LENGTH) throw new Error(`sdpOffer: must be at most ${MAX_BUS_SDP_LENGTH} characters`);
    await this.pc.setRemoteDescription({ type: 'offer', sdp: sdpOffer });
    for (const transceiver of this.pc.getTransceivers()) {
      if (transceiver.kind === 'audio' && !transceiver.stopped) transceiver.setDirection('sendrecv');
    }
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    await this.gathered();
    const sdp = this.pc.localDescription?.sdp;
    if (!sdp) throw new Error('bus: no local description after setLocalDescription');
    return keepCandidatesOn(sdp, this.address);
  }

  private gathered(): Promise<void> {
    if (this.pc.iceGatheringState === 'complete') return Promise.resolve();
    return new Promise((resolve, reject) => {
      // Not domain code: a bounded wait on a library event in the media host's I/O shell.
      const timer = setTimeout(() => {
        unsubscribe();
        reject(new Error(`bus: ICE gathering did not complete within ${GATHERING_TIMEOUT_MS} ms`));
      }, GATHERING_TIMEOUT_MS);
      const { unSubscribe: unsubscribe } = this.pc.iceGatheringStateChange.subscribe((state) => {
        if (state !== 'complete') return;
        clearTimeout(timer);
        unsubscribe();
        resolve();
      });
    });
  }

  /** The mids of the live audio transceivers, in SDP order. */
  mids(): string[] {
    return this.pc.getTransceivers().filter((t) => t.kind === 'audio' && !t.stopped && t.mid !== null).map((t) => t.mid!);
  }

  /** What transceiver `mid` negotiated, or null before negotiation or when it has no G.711. */
  format(mid: string): LegFormat | null {
    const transceiver = this.transceiver(mid);
    const codec = transceiver?.sender.codec;
    if (!transceiver || !codec) return null;
    const name = codec.name.toUpperCase();
    if (name !== 'PCMU' && name !== 'PCMA') return null;
    const te = transceiver.codecs.find((c) => c.name.toLowerCase() === 'telephone-event' && c.clockRate === 8000);
    return { codec: name as G711Codec, payloadType: codec.payloadType, telephoneEventPayloadType: te?.payloadType ?? null };
  }

  /**
   * Sends one packet on transceiver `mid` (SRTP by werift's DTLS transport). Does nothing before
   * the bus is connected or for an unknown mid: a relay running ahead of the bus drops, it does not queue.
   */
  async send(mid: string, header: BusRtpHeader, payload: Buffer): Promise<void> {
    const transceiver = this.transceiver(mid);
    if (!transceiver || this.pc.connectionState !== 'connected') return;
    const sender = transceiver.sender;
    const rtpHeader = new RtpHeader({ ...header, ssrc: sender.ssrc });
    await sender.dtlsTransport.sendRtp(payload, rtpHeader);
  }

  /** `listener(mid, packet)` for every RTP packet from the renderer. @returns unsubscribe */
  onRtp(listener: (mid: string, packet: RtpPacket) => void): () => void {
    this.rtpListeners.add(listener);
    return () => this.rtpListeners.delete(listener);
  }

  /** @returns unsubscribe */
  onState(listener: (state: BusState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  async close(): Promise<void> {
    this.rtpListeners.clear();
    await this.pc.close();
    this.stateListeners.clear();
  }

  private transceiver(mid: string): RTCRtpTransceiver | undefined {
    return this.pc.getTransceivers().find((t) => t.mid === mid && !t.stopped);
  }

  private midOfTrack(track: unknown): string | null {
    const transceiver = this.pc.getTransceivers().find((t) => t.receiver.tracks.includes(track as never));
    return transceiver?.mid ?? null;
  }
}

/** Drops every `a=candidate` line not on `address` (the bus is loopback; other host addresses only slow ICE). */
export function keepCandidatesOn(sdp: string, address: string): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  return sdp
    .split(eol)
    .filter((line) => {
      if (!line.startsWith('a=candidate:')) return true;
      // RFC 8839 §5.1: foundation component transport priority address port "typ" type …
      return line.split(' ')[4] === address;
    })
    .join(eol);
}
