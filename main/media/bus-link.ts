/**
 * Joins one call's trunk leg (a {@link MediaSession}) to one transceiver of the audio bus (a
 * {@link BusPeer}, named by its mid) for as long as the call's source is `{ kind: 'bus' }`.
 *
 * trunk → bus: every RTP packet the session accepted, payload type mapped (and A↔µ-law when the
 * legs disagree), renumbered into the bus transceiver's own stream so a re-INVITE or transfer that
 * changes the far end's SSRC is one continuous stream for Chromium's NetEQ (the only jitter buffer:
 * the relay forwards at once and keeps the trunk's timing).
 * bus → trunk: every RTP packet from the renderer (its microphone after AEC/NS/AGC, and RFC 4733
 * from its `RTCDTMFSender`), mapped the same way and sent by the session as its own stream, so
 * mute and hold (the session's) hold it back and RTCP counts it.
 */
import type { RtpPacket } from 'werift-rtp';
import type { Clock, Random } from '../sip/clock';
import type { BusPeer } from './bus-peer';
import { RtpRenumberer, translatePayload } from './bus-relay';
import type { MediaSession } from './media-session';

export class BusLink {
  private readonly toBus: RtpRenumberer;
  private toTrunk: RtpRenumberer | null = null;
  private readonly unsubscribe: () => void;
  private disposed = false;
  /** Packets relayed each way (for tests and the benchmark). */
  readonly counts = { toBus: 0, toTrunk: 0, dropped: 0 };

  constructor(
    private readonly session: MediaSession,
    readonly bus: BusPeer,
    readonly mid: string,
    private readonly deps: { clock: Clock; random: Random; fault: (error: Error) => void },
  ) {
    // RFC 3550 §5.1: random initial sequence number and timestamp for the bus-side stream.
    this.toBus = new RtpRenumberer(Math.floor(deps.random() * 0x10000), Math.floor(deps.random() * 2 ** 32) >>> 0);
    session.useRelay((packet) => this.fromTrunk(packet));
    this.unsubscribe = bus.onRtp((mid, packet) => {
      if (mid === this.mid) this.fromBus(packet);
    });
  }

  /** Stops relaying; the session goes back to silence until it gets another source. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.unsubscribe();
    this.session.stopRelay();
  }

  private fromTrunk(packet: RtpPacket): void {
    const trunk = this.session.legFormat;
    const busFormat = this.bus.format(this.mid);
    const out = trunk && busFormat ? translatePayload(packet.header.payloadType, packet.payload, trunk, busFormat) : null;
    if (!out) {
      this.counts.dropped++;
      return;
    }
    const numbers = this.toBus.map(packet.header, this.deps.clock.now());
    const marker = packet.header.marker || (out.kind === 'audio' && numbers.discontinuity);
    this.counts.toBus++;
    this.bus.send(this.mid, { payloadType: out.payloadType, sequenceNumber: numbers.sequenceNumber, timestamp: numbers.timestamp, marker }, out.payload)
      .catch((error: Error) => this.deps.fault(new Error(`bus send: ${error.message}`)));
  }

  private fromBus(packet: RtpPacket): void {
    if (this.disposed) return;
    const trunk = this.session.legFormat;
    const busFormat = this.bus.format(this.mid);
    const out = trunk && busFormat ? translatePayload(packet.header.payloadType, packet.payload, busFormat, trunk) : null;
    if (!out) {
      this.counts.dropped++;
      return;
    }
    // The trunk-side stream continues from the session's own timestamp clock (no jump when the bus takes over).
    this.toTrunk ??= new RtpRenumberer(0, this.session.timestampNow());
    const numbers = this.toTrunk.map(packet.header, this.deps.clock.now());
    const sent = this.session.relayToTrunk({
      kind: out.kind,
      payloadType: out.payloadType,
      // RFC 4733 §2.5.1.1: the marker flags an event's first packet; keep the renderer's.
      marker: packet.header.marker || (out.kind === 'audio' && numbers.discontinuity),
      timestamp: numbers.timestamp,
      lost: numbers.lost,
      payload: out.payload,
    });
    if (sent) this.counts.toTrunk++;
    else this.counts.dropped++;
  }
}
