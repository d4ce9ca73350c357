/**
 * RFC 4733 telephone-events for DTMF: the payload format (§2.3), the sender's packet plan for one
 * digit (§2.5.1), and the receiver's one-report-per-event rule (§2.5.2: events are identified by
 * their RTP timestamp; the end bit is repeated, so it must be de-duplicated).
 */

/** RFC 4733 §3.2 event codes for DTMF, plus 16 = Flash ("R", hook flash). */
const DIGITS = '0123456789*#ABCDR';

/** The default power level of a generated tone: −10 dBm0 (RFC 4733 §2.3.4 "volume"). */
export const DTMF_VOLUME = 10;

export function eventCode(digit: string): number | null {
  const code = digit.length === 1 ? DIGITS.indexOf(digit.toUpperCase()) : -1;
  return code < 0 ? null : code;
}

export function digitOf(code: number): string | null {
  return DIGITS[code] ?? null;
}

export interface TelephoneEventPayload {
  event: number;
  end: boolean;
  volume: number;
  /** In timestamp units. */
  duration: number;
}

/** RFC 4733 §2.3: event (8) | E R volume (1 1 6) | duration (16). */
export function encodeTelephoneEvent(payload: TelephoneEventPayload): Buffer {
  const buf = Buffer.alloc(4);
  buf[0] = payload.event & 0xff;
  buf[1] = (payload.end ? 0x80 : 0) | (payload.volume & 0x3f);
  buf.writeUInt16BE(Math.min(0xffff, payload.duration), 2);
  return buf;
}

export function decodeTelephoneEvent(buf: Buffer): TelephoneEventPayload | null {
  if (buf.length < 4) return null;
  return { event: buf[0]!, end: (buf[1]! & 0x80) !== 0, volume: buf[1]! & 0x3f, duration: buf.readUInt16BE(2) };
}

/**
 * The packets that carry one digit, one per packet time, all with the event's start timestamp:
 * the first with the marker bit (§2.5.1.1), durations growing by a packet time (§2.5.1.2), and
 * the final packet sent three times with the end bit (§2.5.1.4).
 */
export function eventPacketPlan(code: number, durationSamples: number, samplesPerPacket: number): { marker: boolean; payload: Buffer }[] {
  const plan: { marker: boolean; payload: Buffer }[] = [];
  const steps = Math.max(1, Math.ceil(durationSamples / samplesPerPacket));
  for (let i = 1; i < steps; i++) {
    plan.push({ marker: i === 1, payload: encodeTelephoneEvent({ event: code, end: false, volume: DTMF_VOLUME, duration: i * samplesPerPacket }) });
  }
  const total = steps * samplesPerPacket;
  for (let i = 0; i < 3; i++) {
    plan.push({ marker: steps === 1 && i === 0, payload: encodeTelephoneEvent({ event: code, end: true, volume: DTMF_VOLUME, duration: total }) });
  }
  return plan;
}

/**
 * Reports each received event once: on its first end packet; an event whose end packets were all
 * lost is reported when the next event (another timestamp) begins.
 */
export class TelephoneEventReceiver {
  private current: { timestamp: number; code: number; duration: number; reported: boolean } | null = null;

  constructor(private readonly clockRate: number, private readonly onDigit: (digit: string, durationMs: number) => void) {}

  receive(timestamp: number, payload: Buffer): void {
    const event = decodeTelephoneEvent(payload);
    if (!event) return;
    if (this.current && this.current.timestamp !== timestamp) {
      if (!this.current.reported) this.report(this.current.code, this.current.duration);
      this.current = null;
    }
    if (!this.current) this.current = { timestamp, code: event.event, duration: 0, reported: false };
    this.current.duration = Math.max(this.current.duration, event.duration);
    if (event.end && !this.current.reported) {
      this.current.reported = true;
      this.report(event.event, this.current.duration);
    }
  }

  private report(code: number, duration: number): void {
    const digit = digitOf(code);
    if (digit !== null) this.onDigit(digit, (duration * 1000) / this.clockRate);
  }
}
