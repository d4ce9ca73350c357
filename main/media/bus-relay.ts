/**
 * The arithmetic of relaying RTP between a call's trunk leg and its audio-bus transceiver
 * (research/calls-design.md §3.3, "Option B"): payloads are passed through without decoding,
 * except A-law↔µ-law when the two legs negotiated different G.711 laws; RFC 4733 events keep their
 * payload and change only their payload type; and the SSRC, sequence number and timestamp are
 * rewritten so that each leg sees one continuous stream from us even when the other leg's source
 * changes (re-INVITE, transfer: RFC 3550 §8.2 / §5.1).
 *
 * Pure functions and a small value class: no sockets, no clock (times are passed in).
 */
import { alaw, mulaw } from 'alawmulaw';
import type { G711Codec } from './media-protocol';

/** What one leg negotiated: the G.711 law and payload type of its audio, and RFC 4733's payload type. */
export interface LegFormat {
  codec: G711Codec;
  payloadType: number;
  /** RFC 4733 telephone-event payload type, or null when this leg did not negotiate it. */
  telephoneEventPayloadType: number | null;
}

/** A payload ready for the other leg. */
export interface TranslatedPayload {
  kind: 'audio' | 'event';
  payloadType: number;
  payload: Buffer;
}

/**
 * Maps one packet's payload from leg `from` to leg `to`.
 *
 * - Audio (`from.payloadType`): same law → the payload as is; A-law↔µ-law → re-encoded sample by
 *   sample through 16-bit linear (G.711 §A/§B tables via alawmulaw; lossless µ→A→µ is not a goal).
 * - RFC 4733 events (`from.telephoneEventPayloadType`): the payload as is, with `to`'s payload type
 *   (RFC 4733 §2.1: the payload type is dynamic, each side names its own); null when `to` has none.
 * - Anything else (comfort noise PT 13, a codec not negotiated, a stray PT): null, dropped.
 */
export function translatePayload(payloadType: number, payload: Buffer, from: LegFormat, to: LegFormat): TranslatedPayload | null {
  if (payloadType === from.payloadType) {
    return { kind: 'audio', payloadType: to.payloadType, payload: from.codec === to.codec ? payload : transcodeG711(payload, from.codec, to.codec) };
  }
  if (from.telephoneEventPayloadType !== null && payloadType === from.telephoneEventPayloadType) {
    if (to.telephoneEventPayloadType === null) return null;
    return { kind: 'event', payloadType: to.telephoneEventPayloadType, payload };
  }
  return null;
}

/** Re-encodes G.711 octets from one law to the other (one octet per sample either way). */
export function transcodeG711(payload: Buffer, from: G711Codec, to: G711Codec): Buffer {
  if (from === to) return payload;
  const bytes = new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
  const linear = from === 'PCMU' ? mulaw.decode(bytes) : alaw.decode(bytes);
  const encoded = to === 'PCMU' ? mulaw.encode(linear) : alaw.encode(linear);
  return Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength);
}

/** The header fields the renumberer reads from an incoming packet. */
export interface IncomingHeader {
  ssrc: number;
  sequenceNumber: number;
  timestamp: number;
}

/** What to write into the outgoing packet's header (the SSRC is the output stream's own). */
export interface RenumberedHeader {
  sequenceNumber: number;
  timestamp: number;
  /** Packets presumed lost on the input since the previous one (its sequence gap − 1), ≥ 0. */
  lost: number;
  /** True on the first packet and after every input source change (RFC 3551 §4.1: set after a discontinuity). */
  discontinuity: boolean;
}

/** Sequence gaps larger than this are a restart of the input, not loss (RFC 3550 A.1's MAX_DROPOUT). */
const MAX_DROPOUT = 3000;

/**
 * Rewrites one input stream (which may change SSRC) into one continuous output stream
 * (RFC 3550 §5.1: sequence numbers +1 per packet from a random start; the timestamp advances with
 * the sampling clock). Within one input source the offsets are constant, so the input's loss
 * (sequence gaps) and timing (timestamp steps, e.g. over a DTMF event or a silence) go through
 * unchanged; the receiver's jitter buffer (NetEQ on the bus) sees the far end's real pattern. On a
 * new input SSRC, or a jump larger than {@link MAX_DROPOUT}, the output continues at the next sequence
 * number and at the timestamp the wall clock has reached since the last packet.
 *
 * @param outputSequenceStart the first output sequence number (random, RFC 3550 §5.1)
 * @param outputTimestampStart the first output timestamp (random, RFC 3550 §5.1)
 * @param clockRate RTP clock rate in Hz (8000 for G.711 and telephone-event)
 */
export class RtpRenumberer {
  private inputSsrc: number | null = null;
  private seqOffset = 0;
  private tsOffset = 0;
  private lastInputSeq = 0;
  private lastOutSeq: number;
  private lastOutTs: number;
  private lastAtMs = 0;
  private started = false;

  constructor(outputSequenceStart: number, outputTimestampStart: number, private readonly clockRate = 8000) {
    this.lastOutSeq = (outputSequenceStart - 1) & 0xffff;
    this.lastOutTs = outputTimestampStart >>> 0;
  }

  /** Maps one packet's header; `nowMs` is when it arrived (used only to bridge a source change). */
  map(header: IncomingHeader, nowMs: number): RenumberedHeader {
    const delta = (header.sequenceNumber - this.lastInputSeq) & 0xffff;
    const newSource = !this.started || header.ssrc !== this.inputSsrc;
    const restart = !newSource && delta > MAX_DROPOUT && delta < 0x10000 - MAX_DROPOUT;
    let lost = 0;
    if (newSource || restart) {
      const elapsedSamples = this.started ? Math.max(1, Math.round(((nowMs - this.lastAtMs) * this.clockRate) / 1000)) : 0;
      const nextSeq = (this.lastOutSeq + 1) & 0xffff;
      const nextTs = (this.lastOutTs + elapsedSamples) >>> 0;
      this.seqOffset = (nextSeq - header.sequenceNumber) & 0xffff;
      this.tsOffset = (nextTs - header.timestamp) >>> 0;
      this.inputSsrc = header.ssrc;
      this.started = true;
    } else if (delta >= 1 && delta <= MAX_DROPOUT) {
      lost = delta - 1;
    }
    const sequenceNumber = (header.sequenceNumber + this.seqOffset) & 0xffff;
    const timestamp = (header.timestamp + this.tsOffset) >>> 0;
    // A late or duplicate packet (delta 0 or "negative") keeps its mapped number but does not move the stream's end.
    if (newSource || restart || (delta >= 1 && delta <= MAX_DROPOUT)) {
      this.lastInputSeq = header.sequenceNumber;
      this.lastOutSeq = sequenceNumber;
      this.lastOutTs = timestamp;
      this.lastAtMs = nowMs;
    }
    return { sequenceNumber, timestamp, lost, discontinuity: newSource || restart };
  }
}
