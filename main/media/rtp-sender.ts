/**
 * The send side of one RTP stream (RFC 3550 §5.1): random SSRC, initial sequence number and
 * timestamp; one slot per packet time on a drift-free clock (`packet-schedule.ts`); each slot is
 * an audio packet, an RFC 4733 event packet, or nothing (mute, hold, no far end). The timestamp
 * runs with time through every gap, and the first audio packet after one carries the marker bit
 * (RFC 3551 §4.1). Sockets are not its business: packets leave through `transmit`.
 */
import { RtpHeader, RtpPacket } from 'werift-rtp';
import type { SrtpSession } from 'werift-rtp';
import type { Random } from '../sip/clock';
import type { AudioSource } from './audio-source';
import { SAMPLE_RATE, SilenceSource } from './audio-source';
import { DtmfSender } from './dtmf-sender';
import { encodeG711 } from './g711-codec';
import { IntervalHistogram } from './interval-histogram';
import type { IntervalSummary } from './interval-histogram';
import type { G711Codec } from './media-protocol';
import { packetsDue } from './packet-schedule';

/** What the negotiated stream allows right now. */
export interface SendStream {
  codec: G711Codec;
  payloadType: number;
  telephoneEventPayloadType: number | null;
  /** Direction includes "send" and the far end has a real address. */
  sending: boolean;
  srtp: SrtpSession | null;
}

/** A packet from the audio bus, already mapped to this stream's payload types and timestamps. */
export interface RelayedPacket {
  kind: 'audio' | 'event';
  payloadType: number;
  marker: boolean;
  timestamp: number;
  /** Packets lost on the bus just before this one (sequence numbers to skip). */
  lost: number;
  payload: Buffer;
}

export class RtpSender {
  readonly ssrc: number;
  readonly dtmf = new DtmfSender();
  muted = false;
  packetsSent = 0;
  /** Payload octets (the SR's octet count, RFC 3550 §6.4.1). */
  bytesSent = 0;
  /** Set by every packet, cleared by the RTCP report that announced it (SR vs RR). */
  sentSinceReport = false;
  private seq: number;
  private ts0: number;
  private startAt: number;
  private ptimeMs = 20;
  private nextIndex = 0;
  private gap = true;
  private frame = new Int16Array(160);
  /** null: the audio comes from elsewhere through {@link relay} (the audio bus); slots send only DTMF. */
  private source: AudioSource | null = new SilenceSource();
  /** A relayed audio packet was held back (mute, hold): the next one sent carries the marker. */
  private relayGap = true;
  private readonly intervals = new IntervalHistogram();
  private lastAudioAt: number | null = null;

  constructor(random: Random, now: number, private readonly transmit: (packet: Buffer) => void) {
    this.ssrc = Math.floor(random() * 2 ** 32) >>> 0;
    this.seq = Math.floor(random() * 2 ** 16);
    this.ts0 = Math.floor(random() * 2 ** 32) >>> 0;
    this.startAt = now;
  }

  /** `null` hands the audio over to {@link relay} (the audio bus). */
  setSource(source: AudioSource | null): void {
    this.source = source;
    this.relayGap = true;
  }

  /**
   * Sends one packet relayed from the audio bus as ours: our SSRC, our sequence numbers (advanced
   * by `lost` first, so the far end sees the bus's loss as loss), the relay's timestamp. Audio is
   * held back while muted or not sending; RFC 4733 events only while not sending (as our own DTMF).
   * @returns whether it went out
   */
  relay(stream: SendStream | null, packet: RelayedPacket, now: number): boolean {
    if (!stream || !stream.sending || (packet.kind === 'audio' && this.muted)) {
      if (packet.kind === 'audio') this.relayGap = true;
      return false;
    }
    this.seq = (this.seq + packet.lost) & 0xffff;
    let marker = packet.marker;
    if (packet.kind === 'audio') {
      // RFC 3551 §4.1: the first packet after a gap in what we sent carries the marker.
      marker = marker || this.relayGap;
      if (!marker && this.lastAudioAt !== null) this.intervals.record(now - this.lastAudioAt);
      this.lastAudioAt = now;
      this.relayGap = false;
    }
    this.send(stream, packet.payloadType, marker, packet.timestamp, packet.payload);
    return true;
  }

  /** Restarts the packet clock for a new packet time, keeping the timestamp continuous. */
  setPtime(ptimeMs: number, now: number): void {
    this.ts0 = this.timestampAt(now);
    this.startAt = now;
    this.nextIndex = 0;
    this.ptimeMs = ptimeMs;
    this.frame = new Int16Array(ptimeMs * (SAMPLE_RATE / 1000));
  }

  /** The RTP timestamp of the instant `now` (for the SR, RFC 3550 §6.4.1). */
  timestampAt(now: number): number {
    return (this.ts0 + Math.floor(((now - this.startAt) * SAMPLE_RATE) / 1000)) >>> 0;
  }

  /** Inter-packet intervals of consecutive audio packets as issued. */
  get sendIntervals(): IntervalSummary | null {
    return this.intervals.summary();
  }

  /**
   * Handles every slot due at `now`; returns the delay until the next, in whole milliseconds
   * rounded up (Node keeps one timer list per distinct duration, and waking a fraction early
   * would only find nothing due).
   */
  tick(now: number, stream: SendStream | null): number {
    const due = packetsDue(this.startAt, this.ptimeMs, this.nextIndex, now);
    if (due.skipped > 0) this.gap = true;
    for (let i = 0; i < due.count; i++) this.slot(due.firstIndex + i, now, stream);
    this.nextIndex = due.firstIndex + due.count;
    return Math.ceil(due.nextDelayMs);
  }

  private slot(index: number, now: number, stream: SendStream | null): void {
    const timestamp = (this.ts0 + index * this.frame.length) >>> 0;
    // The source runs with time whether or not we send, like a microphone.
    this.source?.read(this.frame);
    if (!stream || !stream.sending) {
      this.gap = true;
      return;
    }
    const event = stream.telephoneEventPayloadType !== null ? this.dtmf.next(timestamp) : null;
    if (event) {
      this.send(stream, stream.telephoneEventPayloadType!, event.marker, event.timestamp, event.payload);
      this.gap = true;
      return;
    }
    if (this.muted || !this.source) {
      this.gap = true;
      return;
    }
    // Intervals between consecutive audio packets only: a gap (mute, hold, DTMF) is not jitter.
    if (!this.gap && this.lastAudioAt !== null) this.intervals.record(now - this.lastAudioAt);
    this.lastAudioAt = now;
    this.send(stream, stream.payloadType, this.gap, timestamp, encodeG711(stream.codec, this.frame));
    this.gap = false;
  }

  private send(stream: SendStream, payloadType: number, marker: boolean, timestamp: number, payload: Buffer): void {
    const header = new RtpHeader({ payloadType, marker, sequenceNumber: this.seq, timestamp, ssrc: this.ssrc });
    this.seq = (this.seq + 1) & 0xffff;
    this.transmit(stream.srtp ? stream.srtp.encrypt(payload, header) : new RtpPacket(header, payload).serialize());
    this.packetsSent++;
    this.bytesSent += payload.length;
    this.sentSinceReport = true;
  }
}
