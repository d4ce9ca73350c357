/**
 * The relay's arithmetic: payload-type mapping, A-law↔µ-law, and the renumbering that makes one
 * continuous output stream out of an input whose SSRC changes.
 */
import { alaw, mulaw } from 'alawmulaw';
import { describe, expect, it } from 'vitest';
import type { LegFormat } from '../../../main/media/bus-relay';
import { RtpRenumberer, transcodeG711, translatePayload } from '../../../main/media/bus-relay';

const trunkA: LegFormat = { codec: 'PCMA', payloadType: 8, telephoneEventPayloadType: 96 };
const busU: LegFormat = { codec: 'PCMU', payloadType: 0, telephoneEventPayloadType: 101 };
const busUNoEvents: LegFormat = { codec: 'PCMU', payloadType: 0, telephoneEventPayloadType: null };

function sine(n: number, amplitude: number): Int16Array {
  return Int16Array.from({ length: n }, (_, i) => Math.round(amplitude * Math.sin((2 * Math.PI * 1000 * i) / 8000)));
}

describe('translatePayload', () => {
  it('passes audio through untouched when both legs use the same law, with the target payload type', () => {
    const payload = Buffer.from(mulaw.encode(sine(160, 8000)));
    const out = translatePayload(0, payload, { ...busU, payloadType: 0 }, { codec: 'PCMU', payloadType: 0, telephoneEventPayloadType: 126 });
    expect(out).toEqual({ kind: 'audio', payloadType: 0, payload });
    expect(out!.payload).toBe(payload); // no copy, no decode
  });

  it('re-encodes A-law to µ-law (and back) when the legs disagree: the samples survive within G.711 quantisation', () => {
    const samples = sine(160, 8000);
    const aPayload = Buffer.from(alaw.encode(samples));
    const out = translatePayload(8, aPayload, trunkA, busU)!;
    expect(out.kind).toBe('audio');
    expect(out.payloadType).toBe(0);
    expect(out.payload.length).toBe(160);
    const decoded = mulaw.decode(new Uint8Array(out.payload));
    for (let i = 0; i < samples.length; i++) expect(Math.abs(decoded[i]! - samples[i]!)).toBeLessThanOrEqual(Math.abs(samples[i]!) / 16 + 16);
    const back = translatePayload(0, out.payload, busU, trunkA)!;
    expect(back.payloadType).toBe(8);
    expect(Math.abs(alaw.decode(new Uint8Array(back.payload))[40]! - samples[40]!)).toBeLessThan(600);
  });

  it('maps the telephone-event payload type (RFC 4733 §2.1) and keeps the event payload byte for byte', () => {
    const event = Buffer.from([5, 0x8a, 0x03, 0x20]); // digit 5, end bit, volume 10, duration 800
    expect(translatePayload(96, event, trunkA, busU)).toEqual({ kind: 'event', payloadType: 101, payload: event });
    expect(translatePayload(101, event, busU, trunkA)).toEqual({ kind: 'event', payloadType: 96, payload: event });
  });

  it('drops events toward a leg without telephone-event, and anything not negotiated (comfort noise, stray PTs)', () => {
    expect(translatePayload(96, Buffer.from([1, 0, 0, 160]), trunkA, busUNoEvents)).toBeNull();
    expect(translatePayload(13, Buffer.from([40]), trunkA, busU)).toBeNull();
    expect(translatePayload(0, Buffer.alloc(160), trunkA, busU)).toBeNull(); // PCMU is not what the trunk negotiated
  });

  it('transcodeG711 is the identity for the same law', () => {
    const p = Buffer.from([1, 2, 3]);
    expect(transcodeG711(p, 'PCMA', 'PCMA')).toBe(p);
  });
});

describe('RtpRenumberer', () => {
  it('starts at the given output numbers and keeps constant offsets within one source', () => {
    const r = new RtpRenumberer(1000, 50_000);
    expect(r.map({ ssrc: 7, sequenceNumber: 30, timestamp: 9000 }, 0)).toEqual({ sequenceNumber: 1000, timestamp: 50_000, lost: 0, discontinuity: true });
    expect(r.map({ ssrc: 7, sequenceNumber: 31, timestamp: 9160 }, 20)).toEqual({ sequenceNumber: 1001, timestamp: 50_160, lost: 0, discontinuity: false });
    // A silence of 1 s in the input's timestamps goes through unchanged (the jitter buffer must see it).
    expect(r.map({ ssrc: 7, sequenceNumber: 32, timestamp: 17_160 }, 1020)).toMatchObject({ sequenceNumber: 1002, timestamp: 58_160 });
  });

  it('passes a sequence gap through as loss (the receiver conceals it) and reports how many were lost', () => {
    const r = new RtpRenumberer(0, 0);
    r.map({ ssrc: 1, sequenceNumber: 10, timestamp: 0 }, 0);
    expect(r.map({ ssrc: 1, sequenceNumber: 13, timestamp: 480 }, 60)).toEqual({ sequenceNumber: 3, timestamp: 480, lost: 2, discontinuity: false });
  });

  it('wraps sequence numbers at 2^16 and timestamps at 2^32', () => {
    const r = new RtpRenumberer(0xffff, 0xffffff00);
    r.map({ ssrc: 1, sequenceNumber: 0xfffe, timestamp: 0xffffff60 }, 0);
    expect(r.map({ ssrc: 1, sequenceNumber: 0xffff, timestamp: 0 }, 20)).toEqual({ sequenceNumber: 0, timestamp: 0xffffffa0, lost: 0, discontinuity: false });
    expect(r.map({ ssrc: 1, sequenceNumber: 0, timestamp: 160 }, 40)).toMatchObject({ sequenceNumber: 1, timestamp: 0x40, lost: 0 });
  });

  it('continues one output stream when the input SSRC changes (re-INVITE, transfer): next sequence number, timestamp by elapsed time', () => {
    const r = new RtpRenumberer(500, 100_000);
    r.map({ ssrc: 1, sequenceNumber: 40_000, timestamp: 3_000_000 }, 1000);
    r.map({ ssrc: 1, sequenceNumber: 40_001, timestamp: 3_000_160 }, 1020);
    // The new source starts 100 ms later with unrelated numbers.
    const first = r.map({ ssrc: 2, sequenceNumber: 7, timestamp: 12 }, 1120);
    expect(first).toEqual({ sequenceNumber: 502, timestamp: 100_160 + 800, lost: 0, discontinuity: true });
    expect(r.map({ ssrc: 2, sequenceNumber: 8, timestamp: 172 }, 1140)).toEqual({ sequenceNumber: 503, timestamp: 100_960 + 160, lost: 0, discontinuity: false });
  });

  it('treats a huge sequence jump as a restart of the input, not thousands of losses', () => {
    const r = new RtpRenumberer(0, 0);
    r.map({ ssrc: 1, sequenceNumber: 100, timestamp: 0 }, 0);
    expect(r.map({ ssrc: 1, sequenceNumber: 30_000, timestamp: 999 }, 20)).toEqual({ sequenceNumber: 1, timestamp: 160, lost: 0, discontinuity: true });
  });

  it('maps a late packet with the same offsets without moving the stream end', () => {
    const r = new RtpRenumberer(0, 0);
    r.map({ ssrc: 1, sequenceNumber: 10, timestamp: 0 }, 0);
    r.map({ ssrc: 1, sequenceNumber: 12, timestamp: 320 }, 40);
    expect(r.map({ ssrc: 1, sequenceNumber: 11, timestamp: 160 }, 45)).toMatchObject({ sequenceNumber: 1, timestamp: 160 });
    expect(r.map({ ssrc: 1, sequenceNumber: 13, timestamp: 480 }, 60)).toMatchObject({ sequenceNumber: 3, lost: 0 });
  });
});
