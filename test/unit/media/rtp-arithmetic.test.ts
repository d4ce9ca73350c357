/**
 * The media host's arithmetic with plain numbers: RFC 3550 reception statistics and round trip,
 * RFC 4733 packet plans and receiver, packet pacing, the E-model.
 */
import { describe, expect, it } from 'vitest';
import { DtmfSender } from '../../../main/media/dtmf-sender';
import { IntervalHistogram } from '../../../main/media/interval-histogram';
import { estimateMos, mosFromR, rFactor } from '../../../main/media/mos-estimate';
import { packetsDue } from '../../../main/media/packet-schedule';
import { buildBye, buildCompoundReport, ntpFromEpochMs, ntpMiddle32, readCompoundReport, roundTripMs, rtcpIntervalMs } from '../../../main/media/rtcp-report';
import { RtpReceiveStats } from '../../../main/media/rtp-receive-stats';
import { createSrtpContexts, decodeInlineKey } from '../../../main/media/srtp-sdes';
import { TelephoneEventReceiver, decodeTelephoneEvent, eventPacketPlan } from '../../../main/media/telephone-event';

describe('RtpReceiveStats (RFC 3550 A.1, A.3, A.8)', () => {
  it('counts a gap as lost and reports the interval fraction', () => {
    const s = new RtpReceiveStats(8000);
    for (let i = 0; i < 100; i++) if (i % 10 !== 9) s.update(1000 + i, i * 160, i * 20);
    expect(s.expected).toBe(99); // the last drop (seq 1099) is beyond the highest seen
    expect(s.packetsLost).toBe(9);
    const block = s.takeReportBlock();
    expect(block.fractionLost).toBe(Math.floor((9 << 8) / 99));
    expect(block.extendedHighestSequence).toBe(1098);
    expect(s.takeReportBlock().fractionLost).toBe(0);
  });

  it('extends the sequence number across the 16-bit wrap', () => {
    const s = new RtpReceiveStats(8000);
    for (let i = 0; i < 20; i++) s.update((65530 + i) & 0xffff, i * 160, i * 20);
    expect(s.extendedHighestSequence).toBe(65536 + 13);
    expect(s.packetsLost).toBe(0);
  });

  it('jitter is zero for perfect pacing and ≈ the alternating delay otherwise', () => {
    const even = new RtpReceiveStats(8000);
    for (let i = 0; i < 200; i++) even.update(i, i * 160, 5 + i * 20);
    expect(even.jitterMs).toBe(0);
    const alternating = new RtpReceiveStats(8000);
    for (let i = 0; i < 200; i++) alternating.update(i, i * 160, i * 20 + (i % 2) * 10);
    expect(alternating.jitterMs).toBeGreaterThan(9.5);
    expect(alternating.jitterMs).toBeLessThanOrEqual(10);
  });

  it('a duplicate makes loss negative (A.3) and a far jump is only accepted when the next packet follows', () => {
    const s = new RtpReceiveStats(8000);
    s.update(1, 0, 0);
    s.update(2, 160, 20);
    s.update(2, 160, 21);
    expect(s.packetsLost).toBe(-1);
    expect(s.update(30000, 0, 40)).toBe(false);
    expect(s.update(30001, 160, 60)).toBe(true); // the source restarted
    expect(s.expected).toBe(1);
  });
});

describe('RTCP', () => {
  it('NTP middle 32 bits and the round trip from LSR/DLSR (RFC 3550 §6.4.1)', () => {
    const sentAt = 1_800_000_000_000;
    const lsr = ntpMiddle32(ntpFromEpochMs(sentAt));
    // The far end held our SR 30 ms, the network took 10 ms each way.
    const dlsr = Math.round(0.03 * 65536);
    const rtt = roundTripMs(sentAt + 50, lsr, dlsr)!;
    expect(rtt).toBeGreaterThan(19.9);
    expect(rtt).toBeLessThan(20.1);
    expect(roundTripMs(sentAt + 50, 0, 0)).toBeNull();
  });

  it('our compound SR + SDES (+ BYE) reads back, with a terminated CNAME chunk', () => {
    const packet = buildCompoundReport(0x11223344, 'tl-11223344@trunkl', { epochMs: 1_800_000_000_000, rtpTimestamp: 1234, packetCount: 50, octetCount: 8000 },
      { ssrc: 0x55667788, fractionLost: 25, packetsLost: 3, extendedHighestSequence: 70000, jitter: 40, lsr: 77, dlsr: 88 });
    const sdesAt = 8 + 20 + 24;
    expect(packet[sdesAt + 1]).toBe(202);
    // The CNAME ends exactly on a word: a whole word of nulls must follow (RFC 3550 §6.5).
    expect(packet.readUInt16BE(sdesAt + 2)).toBe(7); // 32 bytes
    expect(packet.subarray(sdesAt + 10, sdesAt + 28).toString()).toBe('tl-11223344@trunkl');
    expect([...packet.subarray(sdesAt + 28)]).toEqual([0, 0, 0, 0]);
    const read = readCompoundReport(Buffer.concat([packet, buildBye(0x11223344)]), 0x55667788);
    expect(read.senderReport?.ssrc).toBe(0x11223344);
    expect(read.aboutUs).toMatchObject({ fractionLost: 25, packetsLost: 3, highestSequence: 70000, jitter: 40, lsr: 77, dlsr: 88 });
    expect(read.bye).toBe(true);
  });

  it('report intervals: first half of the mean, all within [0.5, 1.5] × (RFC 3550 §6.2, §6.3.1)', () => {
    expect(rtcpIntervalMs(() => 0, true)).toBe(1250);
    expect(rtcpIntervalMs(() => 0.999999, false)).toBeCloseTo(7500, 0);
    expect(rtcpIntervalMs(() => 0.5, false, 1000)).toBe(1000);
  });
});

describe('RFC 4733', () => {
  it('a 100 ms digit at 20 ms: 4 growing packets then 3 end packets of 800 samples, marker on the first', () => {
    const plan = eventPacketPlan(5, 800, 160);
    expect(plan.map((p) => p.marker)).toEqual([true, false, false, false, false, false, false]);
    expect(plan.map((p) => decodeTelephoneEvent(p.payload))).toEqual([
      ...[160, 320, 480, 640].map((duration) => ({ event: 5, end: false, volume: 10, duration })),
      ...[0, 1, 2].map(() => ({ event: 5, end: true, volume: 10, duration: 800 })),
    ]);
  });

  it('the receiver reports each event once, even with repeated and lost end packets', () => {
    const heard: string[] = [];
    const rx = new TelephoneEventReceiver(8000, (d) => heard.push(d));
    const send = (ts: number, code: number, lastOnly = false): void => {
      const plan = eventPacketPlan(code, 800, 160);
      for (const p of lastOnly ? plan.slice(0, 4) : plan) rx.receive(ts, p.payload);
    };
    send(1000, 1);
    send(5000, 5, true); // all three end packets lost
    send(9000, 11);
    expect(heard).toEqual(['1', '5', '#']);
  });

  it('DtmfSender: one slot per packet, one timestamp per digit, gaps between digits', async () => {
    const sender = new DtmfSender();
    const done = sender.enqueue('1R', 40, 40, 20);
    const slots: (number | null)[] = [];
    for (let ts = 0; ts < 20 * 160; ts += 160) slots.push(sender.next(ts)?.timestamp ?? null);
    await done;
    // '1': 2 steps → 1 growing + 3 end packets at ts 0; gap 2 slots; 'R' (flash) at ts 960.
    expect(slots.slice(0, 10)).toEqual([0, 0, 0, 0, null, null, 960, 960, 960, 960]);
    expect(() => sender.enqueue('x', 100, 70, 20)).toThrow(/"x" is not a DTMF digit/);
  });
});

describe('packet pacing', () => {
  it('schedules against the start time, not the previous wake-up', () => {
    expect(packetsDue(0, 20, 0, 0)).toEqual({ firstIndex: 0, skipped: 0, count: 1, nextDelayMs: 20 });
    // Woke 3 ms late for packet 5: send it, next deadline still at 120.
    expect(packetsDue(0, 20, 5, 103)).toEqual({ firstIndex: 5, skipped: 0, count: 1, nextDelayMs: 17 });
    // Woke early: nothing due, sleep until the deadline.
    expect(packetsDue(0, 20, 6, 119.5)).toEqual({ firstIndex: 6, skipped: 0, count: 0, nextDelayMs: 0.5 });
  });

  it('after a stall sends at most three late packets and skips the older ones', () => {
    expect(packetsDue(0, 20, 0, 200)).toEqual({ firstIndex: 8, skipped: 8, count: 3, nextDelayMs: 20 });
  });
});

describe('SDES keys (RFC 4568) → SRTP contexts', () => {
  it('the inline key is master key ‖ salt; our key encrypts, theirs decrypts (RFC 3711 B.3 session keys)', () => {
    const ours = Buffer.from('E1F97A0D3E018BE0D64FA32C06DE4139' + '0EC675AD498AFEEBB6960B3AABE6', 'hex').toString('base64');
    const theirs = Buffer.alloc(30, 7).toString('base64');
    const { srtp, srtcp } = createSrtpContexts({ suite: 'AES_CM_128_HMAC_SHA1_80', sendKey: ours, receiveKey: theirs });
    expect(srtp.localContext.srtpSessionKey.toString('hex')).toBe('c61e7a93744f39ee10734afe3ff7a087');
    expect(srtp.localContext.srtpSessionSalt.toString('hex')).toBe('30cbbc08863d8c85d49db34a9ae1');
    expect(srtp.localContext.srtpSessionAuthTag.toString('hex')).toBe('cebe321f6ff7716b6fd4ab49af256a156d38baa4');
    expect(srtp.remoteContext.masterKey.equals(Buffer.alloc(16, 7))).toBe(true);
    expect(srtcp.localContext.masterSalt.toString('hex')).toBe('0ec675ad498afeebb6960b3aabe6');
  });

  it('refuses a key that is not 30 bytes of base64, naming the field', () => {
    expect(() => decodeInlineKey(Buffer.alloc(29).toString('base64'), 'srtp.receiveKey')).toThrow(/srtp\.receiveKey: must be base64 of 30 bytes/);
    expect(() => decodeInlineKey('@@@@', 'srtp.sendKey')).toThrow(/srtp\.sendKey/);
  });
});

describe('IntervalHistogram', () => {
  it('p50/p99 within 0.1 ms, max exact', () => {
    const h = new IntervalHistogram();
    expect(h.summary()).toBeNull();
    for (let i = 0; i < 98; i++) h.record(20.04);
    h.record(23.5);
    h.record(250);
    expect(h.summary()).toEqual({ p50: 20.1, p99: 23.6, max: 250, count: 100 });
  });
});

describe('E-model (G.107, simplified)', () => {
  it('a clean loopback call rates ≈ 4.4, 10 % random loss well below 4', () => {
    expect(estimateMos({ lossFraction: 0, rttMs: 1, jitterMs: 1, ptimeMs: 20 })).toBeGreaterThan(4.35);
    const lossy = estimateMos({ lossFraction: 0.1, rttMs: 1, jitterMs: 1, ptimeMs: 20 });
    expect(lossy).toBeGreaterThan(3.0);
    expect(lossy).toBeLessThan(3.6);
  });

  it('delay beyond 177.3 ms one way costs more per ms (Id knee)', () => {
    const r = (rtt: number): number => rFactor({ lossFraction: 0, rttMs: rtt, jitterMs: 0, ptimeMs: 20 });
    expect(r(200) - r(300)).toBeCloseTo(1.2, 5); // 50 ms one way at 0.024
    expect(r(400) - r(500)).toBeCloseTo(50 * (0.024 + 0.11), 5);
    expect(mosFromR(0)).toBe(1);
    expect(mosFromR(100)).toBe(4.5);
  });
});
